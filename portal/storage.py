"""Stored files (photos and their thumbnails) behind one small interface.

Everything the portal keeps as a file goes through `storage()`, by key: a relative path such
as "photos/12/3f2a….jpg". Today the files live under instance/ (STORAGE_DIR); an object
store can replace FileStorage later with the same four methods, and no caller changes.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import current_app

#: Keys are plain relative paths: letters, digits, ".", "_" and "-" in "/"-separated parts.
KEY_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")


class StoredFileMissing(LookupError):
    """No file is stored under the key (a row pointing to a file that is gone)."""


def check_key(key: str) -> str:
    """The key itself if it is safe to use as a path below the storage root; ValueError if not.

    Keys are made by the portal, never typed by users, so a bad key is a programming error:
    the check stops one from ever reading or writing outside the storage folder.
    """
    if not isinstance(key, str) or not key or len(key) > 200:
        raise ValueError(f"Bad storage key: {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") or not KEY_PART.match(part) for part in parts):
        raise ValueError(f"Bad storage key: {key!r}")
    return key


class FileStorage:
    """Files in a folder on this machine; writes are atomic, so a reader never sees half a file."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file in the same folder, then a rename: os.replace is atomic on one file system.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StoredFileMissing(key) from None

    def delete(self, key: str) -> None:
        """Remove the file; a key with no file is not an error (deleting twice is harmless)."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def storage() -> FileStorage:
    """The storage of the current app (built per call: it holds nothing but its root)."""
    return FileStorage(current_app.config["STORAGE_DIR"])
