"""Fixtures for the spreadsheet import: the shared sample files, contexts, files made in the test."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from portal.imports import ImportContext

# The repository's sibling folder, as CI lays it out: ../shared/samples
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
TODAY = date(2026, 6, 1)


@pytest.fixture
def samples() -> Path:
    if not (SAMPLES / "EXPECTED.md").is_file():
        pytest.fail(f"The shared sample files are missing: expected them in {SAMPLES} (the repository's sibling "
                    "folder shared/samples, with EXPECTED.md). Check out or copy them there.")
    return SAMPLES


@pytest.fixture(autouse=True)
def _app(app):
    """Messages are translated, so every import test runs inside the app."""
    return app


@pytest.fixture
def context():
    def make(**overrides) -> ImportContext:
        values = {"categories": {"laptop": 1, "handheld terminal": 2}, "existing_serials": {}, "today": TODAY,
                  "max_rows": 100_000, "max_bytes": 20 * 1024 * 1024}
        return ImportContext(**{**values, **overrides})
    return make


def xlsx_bytes(rows: list[list], *, title: str = "Sheet", more_sheets: dict[str, list[list]] | None = None) -> bytes:
    """A workbook made with openpyxl: rows from A1 (None leaves a cell empty)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for name, other_rows in (more_sheets or {}).items():
        other = workbook.create_sheet(name)
        for row in other_rows:
            other.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_part(data: bytes, name: str, change) -> bytes:
    """The same zip with one part's bytes changed by `change(old) -> new` (or added when missing)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info.filename, change(content) if info.filename == name else content)
        if name not in source.NameToInfo:
            target.writestr(name, change(b""))
    return buffer.getvalue()


def compound_file(stream_names: list[str]) -> bytes:
    """A minimal OLE2 compound file (the container of .xls and of password-protected .xlsx) whose
    directory holds empty streams with the given names: header, one FAT sector, one directory sector."""
    end_of_chain, no_stream, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    assert len(stream_names) <= 3, "one directory sector holds the root and three streams"
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # versions, byte order, sector sizes
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, end_of_chain, 0, end_of_chain, 0)
    struct.pack_into("<I", header, 76, 0)  # the FAT is sector 0
    for index in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * index, no_stream)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, fat_sector, end_of_chain)

    def entry(name: str = "", kind: int = 0, child: int = no_stream, right: int = no_stream) -> bytes:
        raw = bytearray(128)
        if name:
            encoded = (name + "\0").encode("utf-16-le")
            raw[0:len(encoded)] = encoded
            struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, no_stream, right, child)
        struct.pack_into("<II", raw, 116, end_of_chain, 0)
        return bytes(raw)

    entries = [entry("Root Entry", 5, child=1 if stream_names else no_stream)]
    for position, name in enumerate(stream_names, start=1):
        entries.append(entry(name, 2, right=position + 1 if position < len(stream_names) else no_stream))
    entries += [entry() for _ in range(4 - len(entries))]
    return bytes(header) + bytes(fat) + b"".join(entries)
