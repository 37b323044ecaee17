"""`flask booth watch`: a tethered camera's folder, filed to the device last scanned at the booth.

The camera software writes each picture into a folder; this command attaches every new image
to the station's current device (the one last scanned on its booth page), so the photographer
never touches the keyboard. Each file is moved to done/ when stored, or to refused/ with a
.txt file saying why, so nothing is filed twice and nothing silently disappears.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal import photos
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Station, StationKind

booth_cli = AppGroup("booth", help="The photo booth's tethered camera.")

#: Files a camera or a copy program is still writing, or that are not pictures at all.
SKIPPED_PREFIXES = (".", "~")
SKIPPED_SUFFIXES = (".tmp", ".part", ".crdownload", ".txt")
#: With --once: the pause between the two looks at the folder that prove a file's size is stable.
SETTLE_SECONDS = 0.2


def _candidates(folder: Path) -> dict[Path, tuple[int, int]]:
    """The folder's files that may be pictures, with their size and modification time."""
    found = {}
    for path in folder.iterdir():
        if path.name.startswith(SKIPPED_PREFIXES) or path.name.lower().endswith(SKIPPED_SUFFIXES):
            continue
        try:
            if path.is_file():
                stat = path.stat()
                found[path] = (stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:  # moved away between listing and looking
            continue
    return found


def _stable(before: dict[Path, tuple[int, int]], now: dict[Path, tuple[int, int]]) -> list[Path]:
    """Files seen with the same size and time on two looks: the camera has finished writing them."""
    return sorted((p for p, seen in now.items() if before.get(p) == seen and seen[0] > 0),
                  key=lambda p: (now[p][1], p.name))


def _move(path: Path, folder: Path) -> Path:
    """Move the file into the folder under a name not taken yet (cameras reuse names)."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}-{n}{path.suffix}"
        n += 1
    path.replace(target)
    return target


def _read(path: Path) -> bytes:
    """The file's bytes, but never much more than a photo may have (a video dropped in by mistake)."""
    with path.open("rb") as file:
        return file.read(current_app.config["PHOTO_MAX_BYTES"] + 1)


def _station(name: str) -> Station:
    station = db.session.scalar(select(Station).where(Station.name == name))
    if station is None or station.kind != StationKind.PHOTO_BOOTH or not station.is_active:
        raise click.ClickException(f"No active photo booth station named “{name}”.")
    return station


def file_one(path: Path, station_name: str) -> str:
    """Attach one image to the station's current device and commit; the line to print."""
    station = _station(station_name)
    device, stage = photos.current_target(station)
    try:
        if device is None:
            raise DomainError(f"no device is open at {station.name}: scan a device's tag on the booth page first")
        if stage is None:
            raise DomainError(f"device {device.tag_code} takes no photos now: scan it again on the booth page")
        photo = photos.add_photo(device, _read(path), stage=stage, shot=photos.next_shot(device, stage),
                                 actor=None, station=station.name)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        target = _move(path, path.parent / "refused")
        target.with_name(target.name + ".txt").write_text(error.message + "\n", encoding="utf-8")
        return f"{path.name}: refused, {error.message}"
    _move(path, path.parent / "done")
    taken = photos.count(device, stage)
    shot = f", {photo.shot}" if photo.shot else ""
    return (f"{path.name}: {device.tag_code} {stage.value}{shot} "
            f"({taken} of {photos.needed()} photos)")


@booth_cli.command("watch")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--station", "station_name", required=True, help="The photo booth station's name.")
@click.option("--once", is_flag=True, help="File the images there now and exit.")
@click.option("--every", default=1.0, show_default=True, help="Seconds between looks at the folder.")
def watch_command(folder: Path, station_name: str, once: bool, every: float):
    """Attach each new image in FOLDER to the device last scanned at the station."""
    _station(station_name)  # a wrong name fails at once, not at the first picture
    db.session.rollback()
    seen = _candidates(folder)
    while True:
        time.sleep(SETTLE_SECONDS if once else every)
        now = _candidates(folder)
        for path in _stable(seen, now):
            try:
                click.echo(file_one(path, station_name))
            except OSError as error:  # unreadable or vanished: say so, try again on the next look
                click.echo(f"{path.name}: not filed yet, {error.strerror or error}", err=True)
            finally:
                # A fresh transaction for each file: it sees the device the booth page scanned meanwhile.
                db.session.rollback()
        if once:
            return
        seen = now
