"""Backups of the whole portal: the database and the stored files, taken while the portal runs.

A backup is a folder:

    manifest.json        when, which database kind, how many files, a SHA-256 of everything
    database.sqlite3     SQLite: a copy made with SQLite's online backup API (one read snapshot;
                         in WAL mode writers carry on meanwhile)
    database.dump        PostgreSQL: `pg_dump --format=custom` (one snapshot too)
    files/<key>          every stored file (photos, documents), by its storage key

The database is copied first and the files after it. Stored files are written once under new
keys before the rows that name them are committed, so every file the copied database refers to is
already there when the files are copied; a file added in between is merely one too many.

`restore_backup` checks every checksum before it touches anything, then brings the database
back (SQLite: through the backup API into the live file, so open connections see the restored
data instead of a file swapped under them; PostgreSQL: `pg_restore --clean --if-exists` in one
transaction) and copies the files back, each written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import make_url

from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.storage import check_key

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
FILES_DIR = "files"
FORMAT_VERSION = 1
_CHUNK = 1024 * 1024


class BackupError(DomainError):
    pass


@dataclass
class Summary:
    folder: Path
    database: str
    files: int
    bytes: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def database_kind() -> str:
    backend = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise BackupError(str(_l("Backups support SQLite and PostgreSQL, not %(kind)s.", kind=backend)))


def _sqlite_path() -> Path:
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:":
        raise BackupError(str(_l("An in-memory SQLite database cannot be backed up.")))
    return Path(database)


def _postgres_env() -> tuple[dict[str, str], str]:
    """libpq settings from the database URL, passed in the environment (never a password in argv)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    host = url.host or url.query.get("host")
    for name, value in (("PGHOST", host), ("PGPORT", url.port), ("PGUSER", url.username),
                        ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[name] = str(value)
    return env, url.database or ""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(str(_l("%(tool)s was not found on the PATH; install the PostgreSQL client tools.",
                                 tool=name)))
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(str(_l("%(tool)s failed: %(message)s", tool=Path(command[0]).name,
                                 message=message[-1] if message else result.returncode)))


def _storage_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"])


def _stored_files(root: Path):
    """(key, path) of every stored file; half-written temporary files are not stored files."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".tmp-"):
            yield path.relative_to(root).as_posix(), path


# -- backup ------------------------------------------------------------------------------

def make_backup(folder: str | os.PathLike) -> Summary:
    """A consistent copy of the database and the stored files in `folder` (new or empty)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(str(_l("%(folder)s is not empty; choose a new folder for the backup.",
                                 folder=str(folder))))
    kind = database_kind()
    folder.mkdir(parents=True, exist_ok=True)
    started = utcnow()

    if kind == "sqlite":
        database_file = folder / SQLITE_FILE
        source = sqlite3.connect(_sqlite_path(), timeout=30)
        target = sqlite3.connect(database_file)
        try:
            with target:
                source.backup(target)  # all pages in one step: one read snapshot
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
            source.close()
    else:
        database_file = folder / POSTGRES_FILE
        env, _name = _postgres_env()
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={database_file}"], env)

    checksums: dict[str, str] = {}
    total = 0
    root = _storage_root()
    for key, path in _stored_files(root):
        destination = folder / FILES_DIR / key
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(path, destination)
        except FileNotFoundError:
            continue  # deleted while we copied: the copied database no longer needs it
        checksums[key] = _sha256(destination)
        total += destination.stat().st_size

    manifest = {
        "format": FORMAT_VERSION,
        "created_at": started.isoformat(),
        "finished_at": utcnow().isoformat(),
        "database": {"kind": kind, "file": database_file.name, "sha256": _sha256(database_file),
                      "bytes": database_file.stat().st_size},
        "files": {"count": len(checksums), "bytes": total, "sha256": checksums},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return Summary(folder=folder, database=kind, files=len(checksums), bytes=total)


# -- restore -----------------------------------------------------------------------------

def read_manifest(folder: str | os.PathLike) -> dict:
    """The backup's manifest, after checking that every file it lists is there and unchanged."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        database = manifest["database"]
        files = manifest["files"]["sha256"]
    except FileNotFoundError:
        raise BackupError(str(_l("%(folder)s holds no backup (no manifest.json).", folder=str(folder)))) from None
    except (ValueError, KeyError, TypeError):
        raise BackupError(str(_l("The manifest of %(folder)s is damaged.", folder=str(folder)))) from None
    if manifest.get("format") != FORMAT_VERSION or database.get("file") not in (SQLITE_FILE, POSTGRES_FILE):
        raise BackupError(str(_l("%(folder)s is not a backup this portal can read.", folder=str(folder))))
    to_check = [(database["file"], folder / database["file"], database["sha256"])]
    for key, checksum in files.items():
        try:
            check_key(key)
        except ValueError:
            raise BackupError(str(_l("The manifest names a file outside the storage: %(key)s", key=key))) from None
        to_check.append((key, folder / FILES_DIR / key, checksum))
    for name, path, checksum in to_check:
        if not path.is_file():
            raise BackupError(str(_l("The backup is incomplete: %(name)s is missing.", name=name)))
        if _sha256(path) != checksum:
            raise BackupError(str(_l("The backup is damaged: %(name)s does not match its checksum.", name=name)))
    return manifest


def restore_backup(folder: str | os.PathLike) -> Summary:
    """Bring the database and the stored files back to the backup in `folder`.

    Nothing is changed when the backup is incomplete, damaged, or of another kind of database.
    Stored files added since the backup are left in place (no restored row refers to them).
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = database_kind()
    if manifest["database"]["kind"] != kind:
        raise BackupError(str(_l("This backup is of a %(theirs)s database; the portal uses %(ours)s.",
                                 theirs=manifest["database"]["kind"], ours=kind)))
    # Our own pooled connections would hold the old data (and, on PostgreSQL, locks).
    db.session.remove()
    db.engine.dispose()
    database_file = folder / manifest["database"]["file"]
    if kind == "sqlite":
        source = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(), timeout=60)
        try:
            with target:
                source.backup(target)  # under SQLite's own write lock: other processes never see half
        finally:
            target.close()
            source.close()
    else:
        env, name = _postgres_env()
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={name}", str(database_file)], env)
    db.engine.dispose()

    root = _storage_root()
    total = 0
    for key in manifest["files"]["sha256"]:
        source_path = folder / FILES_DIR / key
        destination = root.joinpath(*key.split("/"))
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".tmp-", suffix=".part")
        os.close(handle)
        try:
            shutil.copyfile(source_path, temporary)
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        total += destination.stat().st_size
    return Summary(folder=folder, database=kind, files=len(manifest["files"]["sha256"]), bytes=total)
