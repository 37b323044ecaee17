"""What reading a spreadsheet gives: its columns, its rows and every problem by row and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portal.errors import DomainError

ERROR = "error"
WARNING = "warning"


class FileRefused(DomainError):
    """The file cannot be read at all; `message` says what is wrong and how to fix it,
    `code` names the kind of refusal (for tests, logs and the CLI's JSON)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class Problem:
    row: int  # the row number the customer sees in Excel (CSV: the line number)
    column: str  # the column letter, "" when the file has no column for the field
    field: str | None  # the device field, None for a problem of the file or a column
    value: str  # the offending value as the customer sees it, "" when missing
    message: str  # the reason, translated, fit to show
    level: str  # "error": the row cannot be imported; "warning": it can, but look
    code: str = ""  # what kind of problem, for code that reacts to it ("duplicate_in_file", ...)

    @property
    def cell(self) -> str:
        return f"{self.column}{self.row}" if self.column else str(self.row)


@dataclass(slots=True)
class ImportRow:
    row: int
    values: dict[str, str]  # field -> text as in the file, trimmed: what the preview shows and the user edits
    cleaned: dict  # field -> typed value as portal.orders takes it (keys of orders.DEVICE_FIELDS)
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_importable(self) -> bool:
        return not any(p.level == ERROR for p in self.problems)


@dataclass(slots=True)
class Column:
    letter: str
    header: str
    field: str | None
    recognised: bool  # the column holds a device field (recognised by its header or mapped by the user)
    index: int = 0  # 0-based column index (A = 0)
    mapped: bool = False  # the field (or "ignore") came from the user's mapping


@dataclass
class ImportResult:
    filename: str
    kind: str  # "xlsx" or "csv"
    sheet: str  # the sheet read ("" for CSV)
    header_row: int
    columns: list[Column]
    rows: list[ImportRow]  # blank rows are skipped
    file_warnings: list[Problem]  # problems of the file or a column (unknown columns offered for mapping...)
    sheets: list[str] = field(default_factory=list)  # every sheet of the workbook
    encoding: str = ""  # CSV: the text encoding found
    delimiter: str = ""  # CSV: the delimiter found

    @property
    def importable(self) -> int:
        return sum(1 for r in self.rows if r.is_importable)

    @property
    def warnings(self) -> int:
        return sum(1 for r in self.rows for p in r.problems if p.level == WARNING)

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows for p in r.problems if p.level == ERROR)

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if not r.is_importable)

    @property
    def problems(self) -> list[Problem]:
        """Every row's problems, in row order."""
        return [p for r in self.rows for p in r.problems]

    @property
    def columns_by_field(self) -> dict[str, str]:
        return {c.field: c.letter for c in self.columns if c.field}


@dataclass
class ImportContext:
    """What checking rows needs beyond the file: loaded once per file, never per row."""

    categories: dict[str, int]  # lower-cased (casefolded) category name -> id
    existing_serials: dict[str, str]  # upper-cased serial -> order number, serials in the company's open orders
    today: date
    max_rows: int = 100_000
    max_bytes: int = 20 * 1024 * 1024
    custom: tuple = ()  # the admins' custom device fields in use (portal.custom_fields.Spec)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Every field a column can hold: the device's own, then the custom ones."""
        from portal.imports.fields import FIELD_NAMES

        return FIELD_NAMES + tuple(spec.key for spec in self.custom)
