"""Excel workbooks, checked before they are parsed: the zip, every XML part, every sheet's size.

python-calamine reads the values (and the values Excel saved for formulas); before it sees the
file we walk the zip ourselves, streaming each part with a cap, so that a zip bomb, an XML part
with DOCTYPE/ENTITY declarations or a sheet whose declared or real size explodes is refused
before any parser allocates for it.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree import ElementTree

from flask_babel import format_number
from flask_babel import gettext as _

from portal.imports.fields import column_index, column_letter
from portal.imports.result import FileRefused

CHUNK = 1 << 20
OVERLAP = 64
MAX_ENTRIES = 5_000
MAX_RATIO = 100  # deflated XML packs 5-30x; a bomb packs ~1000x
RATIO_FROM = 1 << 20  # parts smaller than this are never a bomb, whatever their ratio
MAX_COLUMNS = 100
CELLS_PER_ROW = 30  # the cell budget of a sheet: its row limit times this
HEADER_SCAN_ROWS = 30
SMALL_PART = 4 << 20  # package parts we parse ourselves (rels, workbook.xml) are small

# Plain byte searches (memchr-fast): "<!" is rare in a workbook, so the exact words are looked for only then.
_MARKUP = tuple("<!".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be"))
_UNSAFE = tuple(word.encode(encoding) for word in ("<!DOCTYPE", "<!ENTITY")
                for encoding in ("utf-8", "utf-16-le", "utf-16-be"))
_FORMULA_OR_ERROR = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/", b't="e"')
_ROW_REF = re.compile(rb'\sr="[A-Z]{0,3}([0-9]{1,12})"')
_WIDE_REF = re.compile(rb'\sr="([A-Z]{2,4})[0-9]')
_DIMENSION = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref="([A-Z]{1,4})([0-9]{1,12})(?::([A-Z]{1,4})([0-9]{1,12}))?"')
_CELL_REF = re.compile(r"([A-Z]{1,4})([0-9]+)")
# What a damaged zip raises while being read: bad CRC, truncated or corrupt deflate data, an unsupported
# or encrypted entry.
DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
           RuntimeError, ValueError, KeyError)


@dataclass
class Limits:
    max_rows: int
    max_bytes: int

    @property
    def row_limit(self) -> int:
        """Rows a sheet may reach: the row limit and room for a title and the header above it."""
        return self.max_rows + HEADER_SCAN_ROWS

    @property
    def max_cells(self) -> int:
        return self.row_limit * CELLS_PER_ROW

    @property
    def max_unpacked(self) -> int:
        return max(8 * self.max_bytes, 16 << 20)


@dataclass
class SheetInfo:
    name: str
    part: str
    visible: bool = True
    rows: int = 0  # <row> elements
    has_cell_notes: bool = False  # formulas or error cells: worth a look at the XML


@dataclass
class Workbook:
    sheets: list[SheetInfo] = field(default_factory=list)


@dataclass(slots=True)
class CellNote:
    """A formula or an error cell, as the sheet's XML says (calamine gives only the value)."""

    formula: str | None  # "=A4"; "" for a shared formula whose text is on another cell; None: no formula
    has_value: bool  # Excel saved a value with the formula
    error: str | None  # "#N/A" when the cell holds an error


def _refuse_unsafe() -> FileRefused:
    return FileRefused(_("The workbook holds XML declarations (DOCTYPE or ENTITY) that spreadsheets never "
                         "need, so we do not read it. Open it in Excel, save it as a new .xlsx file and "
                         "upload that."), "unsafe_xml")


def refuse_corrupt() -> FileRefused:
    return FileRefused(_("The workbook could not be read; it may be damaged. Open it in Excel, save it again "
                         "and upload the new file."), "corrupt")


def _refuse_bomb(limits: Limits) -> FileRefused:
    return FileRefused(_("The workbook unpacks to far more than its size suggests (over %(limit)s MB), so we "
                         "do not read it. Save it again from Excel, or split it into smaller files.",
                         limit=format_number(limits.max_unpacked // (1 << 20))), "zip_bomb")


def refuse_rows(limits: Limits, sheet: str) -> FileRefused:
    return FileRefused(_("The sheet “%(sheet)s” has more than %(limit)s rows; we accept at most %(limit)s "
                         "devices in one file. Split it into several files.", sheet=sheet,
                         limit=format_number(limits.max_rows)), "too_many_rows")


def _refuse_extent(limits: Limits, sheet: str, rows: int, columns: int, declared: bool) -> FileRefused:
    where = column_letter(columns - 1) + str(rows)
    if declared:
        message = _("The sheet “%(sheet)s” declares that it reaches cell %(cell)s, far more than we accept "
                    "(%(limit)s rows, %(columns)s columns). If your list is smaller, delete the empty rows "
                    "and columns around it, save and upload again.", sheet=sheet, cell=where,
                    limit=format_number(limits.max_rows), columns=MAX_COLUMNS)
    else:
        message = _("The sheet “%(sheet)s” reaches cell %(cell)s, far more than we accept (%(limit)s rows, "
                    "%(columns)s columns). If your list is smaller, delete the empty rows and columns around "
                    "it, save and upload again.", sheet=sheet, cell=where,
                    limit=format_number(limits.max_rows), columns=MAX_COLUMNS)
    return FileRefused(message, "too_large_sheet")


def _check_extent(limits: Limits, sheet: str, rows: int, columns: int, declared: bool) -> None:
    if rows > limits.row_limit or columns > MAX_COLUMNS or rows * max(columns, 26) > limits.max_cells:
        raise _refuse_extent(limits, sheet, rows, columns, declared)


class _PartReader:
    """Streams the parts of the zip, each checked for XML declarations, the total capped."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits):
        self.archive = archive
        self.limits = limits
        self.unpacked = 0

    def chunks(self, name: str):
        """The part's bytes in chunks, each with the end of the one before (for matches across chunks)."""
        tail = b""
        try:
            with self.archive.open(name) as stream:
                while chunk := stream.read(CHUNK):
                    self.unpacked += len(chunk)
                    if self.unpacked > self.limits.max_unpacked:
                        raise _refuse_bomb(self.limits)
                    window = tail + chunk
                    if any(mark in window for mark in _MARKUP) and any(word in window for word in _UNSAFE):
                        raise _refuse_unsafe()
                    yield window, len(tail)
                    tail = window[-OVERLAP:]
        except DAMAGED as error:
            raise refuse_corrupt() from error

    def read_small(self, name: str) -> bytes:
        info = self.archive.getinfo(name)
        if info.file_size > SMALL_PART:
            raise refuse_corrupt()
        return b"".join(window[start:] for window, start in self.chunks(name))

    def scan(self, name: str) -> None:
        for _window in self.chunks(name):
            pass

    def scan_sheet(self, sheet: SheetInfo) -> None:
        """Count the sheet's rows and find how far its cells reach, without parsing it: streamed with
        the whole workbook's unpacked size capped, so nothing here grows with a lying file."""
        limits = self.limits
        first = True
        declared = None
        max_row = max_wide = 0
        for window, start in self.chunks(sheet.part):
            if first:
                first = False
                declared = _DIMENSION.search(window)
            # what lies wholly in the part seen before was counted with that chunk
            sheet.rows += _row_tags(window) - _row_tags(window[:start])
            if sheet.rows > limits.row_limit:
                raise refuse_rows(limits, sheet.name)
            refs = _ROW_REF.findall(window)
            if refs:
                max_row = max(max_row, max(map(int, refs)))
            for letters in _WIDE_REF.findall(window):
                max_wide = max(max_wide, column_index(letters.decode()) + 1)
            if max_row > limits.row_limit or max_wide > MAX_COLUMNS:
                _check_extent(limits, sheet.name, max_row, max_wide, False)
            if not sheet.has_cell_notes and any(mark in window for mark in _FORMULA_OR_ERROR):
                sheet.has_cell_notes = True
        if declared:  # checked once the rows are counted: a long list is "too many rows", not "too large"
            last_col, last_row = declared.group(3) or declared.group(1), declared.group(4) or declared.group(2)
            _check_extent(limits, sheet.name, int(last_row), column_index(last_col.decode()) + 1, True)
        _check_extent(limits, sheet.name, max_row, max_wide, False)


def _row_tags(content: bytes) -> int:
    """<row> elements, with or without a namespace prefix (an upper bound: text may say ":row")."""
    return (content.count(b"<row") - content.count(b"<rowBreaks")
            + content.count(b":row") - content.count(b":rowBreaks"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _relationships(reader: _PartReader, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of a part's relationships."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in reader.archive.NameToInfo:
        return {}
    root = _parse(reader.read_small(rels))
    found = {}
    for element in root:
        if _local(element.tag) != "Relationship" or element.get("TargetMode") == "External":
            continue
        target = element.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[element.get("Id", "")] = (element.get("Type", ""), target)
    return found


def _parse(content: bytes):
    try:
        return ElementTree.fromstring(content)
    except ElementTree.ParseError as error:
        raise refuse_corrupt() from error


def open_archive(data: bytes, limits: Limits) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except DAMAGED as error:
        raise refuse_corrupt() from error
    if len(infos) > MAX_ENTRIES:
        raise _refuse_bomb(limits)
    if sum(info.file_size for info in infos) > limits.max_unpacked or any(
            info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1)
            for info in infos):
        raise _refuse_bomb(limits)
    return archive


def inspect(data: bytes, limits: Limits) -> tuple[zipfile.ZipFile, Workbook]:
    """Check a zip that should be a workbook; its sheets in workbook order, each measured."""
    try:
        return _inspect(data, limits)
    except DAMAGED as error:
        raise refuse_corrupt() from error


def _inspect(data: bytes, limits: Limits) -> tuple[zipfile.ZipFile, Workbook]:
    archive = open_archive(data, limits)
    names = set(archive.NameToInfo)
    reader = _PartReader(archive, limits)
    if "mimetype" in names:
        with archive.open("mimetype") as stream:
            mimetype = stream.read(200)
        if b"spreadsheet" in mimetype:
            raise FileRefused(_("This is an OpenDocument spreadsheet (.ods). Open it and save it as an Excel "
                                "workbook (.xlsx), then upload that file."), "ods")
        raise not_a_spreadsheet()
    workbook_part = None
    if "_rels/.rels" in names:
        for kind, target in _relationships(reader, "").values():
            if kind.endswith("/officeDocument") and target in names:
                workbook_part = target
    if workbook_part is None and "xl/workbook.xml" in names:
        workbook_part = "xl/workbook.xml"
    if workbook_part is None:
        raise not_a_spreadsheet()
    if workbook_part.endswith(".bin"):
        raise FileRefused(_("This is an Excel binary workbook (.xlsb). Open it in Excel and save it as an Excel "
                            "workbook (.xlsx): File > Save As > Excel Workbook, then upload that file."), "xlsb")
    root = _parse(reader.read_small(workbook_part))
    relationships = _relationships(reader, workbook_part)
    book = Workbook()
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        kind, target = relationships.get(_attribute(element, "id") or "", ("", ""))
        if kind.endswith("/worksheet") and target in names:
            book.sheets.append(SheetInfo(name=element.get("name", ""), part=target,
                                         visible=element.get("state", "visible") == "visible"))
    sheet_parts = {sheet.part for sheet in book.sheets}
    for sheet in book.sheets:
        reader.scan_sheet(sheet)
    for info in archive.infolist():  # every other part too: a part's name need not end in .xml
        if info.filename not in sheet_parts and not info.is_dir():
            reader.scan(info.filename)
    return archive, book


def not_a_spreadsheet() -> FileRefused:
    return FileRefused(_("This file is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file, "
                         "for example our template filled in."), "not_a_spreadsheet")


def cell_notes(archive: zipfile.ZipFile, sheet: SheetInfo) -> dict[tuple[int, int], CellNote]:
    """(row, column), both 0-based -> what the XML says of each formula or error cell of the sheet.

    Streamed: elements are dropped as soon as their row is read."""
    notes: dict[tuple[int, int], CellNote] = {}
    row = -1
    column = -1
    sheet_data = None
    try:
        with archive.open(sheet.part) as stream:
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                tag = _local(element.tag)
                if event == "start":
                    if tag == "row":
                        reference = element.get("r")
                        row = int(reference) - 1 if reference and reference.isdigit() else row + 1
                        column = -1
                    elif tag == "c":
                        match = _CELL_REF.fullmatch(element.get("r") or "")
                        column = column_index(match.group(1)) if match else column + 1
                    elif tag == "sheetData":
                        sheet_data = element
                    continue
                if tag == "c":
                    formula = value = None
                    for child in element:
                        name = _local(child.tag)
                        if name == "f":
                            formula = child
                        elif name == "v":
                            value = child
                    kind = element.get("t", "n")
                    if formula is not None or kind == "e":
                        has_value = value is not None and (bool(value.text) or kind in ("str", "inlineStr"))
                        notes[(row, column)] = CellNote(
                            formula=("=" + formula.text) if formula is not None and formula.text else (
                                "" if formula is not None else None),
                            has_value=has_value or kind == "inlineStr",
                            error=(value.text if value is not None else None) if kind == "e" else None)
                elif tag == "row" and sheet_data is not None:
                    sheet_data.clear()
    except (ElementTree.ParseError, *DAMAGED) as error:
        raise refuse_corrupt() from error
    return notes
