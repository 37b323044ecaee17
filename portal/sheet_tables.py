"""The admins' lists as one-table workbooks: written so nothing becomes a formula, read back with
every problem named by row, column, value and reason.

Reading goes through the customer import's checks (portal.imports.xlsx: zip bombs, XML
declarations, sheet sizes) before python-calamine parses the file. Columns are found by their
header, translated or English, so a file exported in one language imports in another.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from python_calamine import CalamineError, CalamineWorkbook

from portal.imports import xlsx
from portal.imports.fields import column_letter
from portal.imports.result import FileRefused
from portal.spreadsheets import append_headers, safe_cell

MAX_BYTES = 5 << 20
MAX_ROWS = 20_000
HEADER_SCAN_ROWS = 10
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class SheetColumn:
    key: str
    title: object  # a lazy translated string: the header written, and one header read
    english: str  # the header in English, also read
    required: bool = True


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str  # "C (Unit price)"
    value: str
    reason: str

    @property
    def order(self) -> tuple:
        """Sorts by row, then column as Excel orders them (B before AA)."""
        letters = self.column.split(" ")[0]
        return self.row, len(letters), letters

    def __str__(self) -> str:
        if self.value:
            return _("Row %(row)s, column %(column)s, “%(value)s”: %(reason)s", row=self.row, column=self.column,
                     value=self.value[:60], reason=self.reason)
        return _("Row %(row)s, column %(column)s: %(reason)s", row=self.row, column=self.column, reason=self.reason)


@dataclass
class SheetRow:
    number: int  # as Excel shows it
    values: dict[str, str]
    columns: dict[str, str] = field(default_factory=dict)  # key -> "C (Unit price)"

    def problem(self, key: str, reason: str) -> RowProblem:
        return RowProblem(self.number, self.columns.get(key, key), self.values.get(key, ""), str(reason))


def write_table(sheet_title: str, columns: Sequence[SheetColumn], rows: Iterable[Sequence]) -> bytes:
    """A workbook of one sheet: bold headers, then the rows; text never turns into a formula."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    append_headers(sheet, [column.title for column in columns])
    for row in rows:
        sheet.append([safe_cell(sheet, ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def cell_text(value) -> str:
    """A cell as text, as Excel shows it; a number Excel stored as 12.300000000000001 reads "12.3"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        text = f"{value:.10f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _check_envelope(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than %(limit)s MB; we do not read it.", limit=MAX_BYTES >> 20),
                          "too_large")
    if not data.strip():
        raise FileRefused(_("The file is empty."), "empty")
    if data.startswith(OLE2):
        raise FileRefused(_("This is an old Excel file (.xls) or an encrypted workbook. Open it in Excel and save "
                            "it as an Excel workbook (.xlsx) without a password, then upload that file."), "xls")
    if not data.startswith(ZIP):
        raise FileRefused(_("This file is not an Excel workbook (.xlsx). Upload a workbook, for example the "
                            "export of this list."), "not_a_spreadsheet")


def _header_index(rows: list[list], columns: Sequence[SheetColumn]) -> tuple[int, dict[str, int]] | None:
    names = {}
    for column in columns:
        names[_normal(str(column.title))] = column.key
        names[_normal(column.english)] = column.key
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found: dict[str, int] = {}
        for position, value in enumerate(row):
            key = names.get(_normal(cell_text(value)))
            if key and key not in found:
                found[key] = position
        if found:
            return index, found
    return None


def read_table(data: bytes, columns: Sequence[SheetColumn]) -> list[SheetRow]:
    """The non-blank rows under the header row of the workbook's first sheet that has one.

    Raises FileRefused when the file is no workbook, has no header or lacks a required column."""
    _check_envelope(data)
    archive, book = xlsx.inspect(data, xlsx.Limits(max_rows=MAX_ROWS, max_bytes=MAX_BYTES))
    archive.close()
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        found = None
        for info in sorted(book.sheets, key=lambda s: not s.visible):
            sheet = workbook.get_sheet_by_name(info.name)
            if sheet.start is None:
                continue
            values = sheet.to_python()
            header = _header_index(values, columns)
            if header is not None:
                found = (sheet.start, values, header)
                break
        workbook.close()
    except BaseException as error:  # a panic in calamine's Rust code is a BaseException
        if not (isinstance(error, CalamineError | ValueError | OverflowError)
                or type(error).__name__ == "PanicException"):
            raise
        raise xlsx.refuse_corrupt() from error
    titles = ", ".join(str(c.title) for c in columns)
    if found is None:
        raise FileRefused(_("No sheet has a header row with the columns %(columns)s. Export the list to see "
                            "the layout.", columns=titles), "no_header")
    (first_row, first_column), values, (header_index, positions) = found
    missing = [str(c.title) for c in columns if c.required and c.key not in positions]
    if missing:
        raise FileRefused(_("The header row (row %(row)s) has no column %(columns)s.",
                            row=first_row + header_index + 1, columns=", ".join(missing)), "missing_columns")
    labels = {key: f"{column_letter(first_column + position)} ({next(str(c.title) for c in columns if c.key == key)})"
              for key, position in positions.items()}
    rows = []
    for index in range(header_index + 1, len(values)):
        cells = values[index]
        texts = {key: cell_text(cells[position]) if position < len(cells) else ""
                 for key, position in positions.items()}
        if any(texts.values()):
            rows.append(SheetRow(first_row + index + 1, texts, labels))
    if not rows:
        raise FileRefused(_("The sheet has a header row but no rows under it."), "empty")
    return rows

