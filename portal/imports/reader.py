"""Read a customer's spreadsheet into rows of device values, every problem named by row and column.

The file is recognised by its content, never its name. Workbooks are checked part by part
before python-calamine parses them (see portal.imports.xlsx); CSV is decoded and sniffed. Then
the same steps for both: find the header row among the first rows (the one naming the most
device fields), map its columns to fields, and check each non-blank row below it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from flask_babel import format_number
from flask_babel import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from portal.imports import csvfile, xlsx
from portal.imports.fields import (
    FIELD_NAMES,
    FIELDS,
    REQUIRED,
    column_index,
    column_letter,
    is_ignored,
    normalise,
    recognise,
)
from portal.imports.result import (
    ERROR,
    WARNING,
    Column,
    FileRefused,
    ImportContext,
    ImportResult,
    ImportRow,
    Problem,
)
from portal.imports.rows import cell_text, check_row, excel_date

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
OTHER_FORMATS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BM",
                 b"{\\rtf", b"\x00\x00\x01\x00")
HEADER_SCAN_ROWS = xlsx.HEADER_SCAN_ROWS
MIN_HEADER_FIELDS = 2
PROGRESS_EVERY = 1_000
Progress = Callable[[int, int], None]


def _mb(size: int) -> str:
    return format_number(round(size / (1 << 20), 1))


# -- refusals that need no parsing ---------------------------------------------------------

def _check_envelope(data: bytes, context: ImportContext) -> str:
    """Size and magic bytes: "xlsx" or "csv", or FileRefused."""
    if len(data) > context.max_bytes:
        raise FileRefused(_("The file is %(size)s MB; we accept files up to %(limit)s MB. Split it into smaller "
                            "files.", size=_mb(len(data)), limit=_mb(context.max_bytes)), "too_large")
    blank = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"
    if not data[:65536].strip(blank) and (len(data) <= 65536 or not data.strip(blank)):
        raise FileRefused(_("The file is empty."), "empty")
    if data.startswith(ZIP):
        return "xlsx"
    if data.startswith(OLE2):
        raise _ole2_refusal(data)
    if data.startswith(OTHER_FORMATS) or csvfile.looks_binary(data):
        raise xlsx.not_a_spreadsheet()
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        raise FileRefused(_("This file is a web page or XML file, not a spreadsheet, even if its name says so. "
                            "Open it in Excel and save it as an Excel workbook (.xlsx), then upload that file."),
                          "not_a_spreadsheet")
    return "csv"


def _ole2_refusal(data: bytes) -> FileRefused:
    """An OLE2 compound file: Excel's encrypted .xlsx, a legacy .xls, or not a spreadsheet at all.

    The directory of a compound file holds its stream names in UTF-16: looking for them is enough
    to tell these apart without parsing the whole format."""
    if "EncryptedPackage".encode("utf-16-le") in data:
        return FileRefused(_("The workbook is protected with a password, so we cannot read it. Open it in "
                             "Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password: "
                             "clear it), save and upload it again."), "encrypted")
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return FileRefused(_("This is an old Excel file (.xls). Open it in Excel and save it as .xlsx (Excel: "
                             "File > Save As > Excel Workbook), then upload the new file."), "xls")
    return xlsx.not_a_spreadsheet()


# -- columns ----------------------------------------------------------------------------------

class _Mapping:
    """The user's choices: column letter or header -> field ("" or None: ignore the column)."""

    def __init__(self, mapping: dict[str, str] | None, fields: tuple[str, ...] = FIELD_NAMES):
        self.by_letter: dict[str, str | None] = {}
        self.by_header: dict[str, str | None] = {}
        for key, field in (mapping or {}).items():
            field = field or None
            if field is not None and field not in fields:
                continue
            key = str(key).strip()
            if key.isalpha() and key.isascii() and key.isupper() and len(key) <= 3:
                self.by_letter[key] = field
            elif normalise(key):
                self.by_header[normalise(key)] = field

    def widen(self, headers: list[str], offset: int) -> list[str]:
        """The header row reaching every column the user mapped by letter, named or not."""
        last = max((column_index(letter) for letter, field in self.by_letter.items() if field), default=-1)
        return headers + [""] * (last - offset + 1 - len(headers))

    def choice(self, letter: str, header: str, blank_letters: bool) -> tuple[bool, str | None]:
        if letter in self.by_letter and (header or blank_letters):
            return True, self.by_letter[letter]
        key = normalise(header)
        if key and key in self.by_header:
            return True, self.by_header[key]
        return False, None


def _locale_headers(context: ImportContext) -> tuple[dict[str, str], set[str]]:
    """Field titles and the problems column's header in the reader's language, recognised too, and
    the custom fields' labels (the headers of their template columns)."""
    titles = {normalise(spec.label): spec.key for spec in context.custom}
    titles.update({normalise(str(title)): field for field, title in FIELDS})
    return titles, {normalise(_("Problems"))}


def _columns(headers: list[str], offset: int, mapping: _Mapping, extra: dict[str, str], ignored: set[str],
             blank_letters: bool = False) -> list[Column]:
    """The header row's columns, each with its field: the user's mapping first, then recognition;
    a field claimed by an earlier column leaves a later one without. `blank_letters`: a column
    without a header takes the field the user mapped to its letter (never while the header row
    is being looked for, so a mapping cannot make any row look like the header)."""
    columns = []
    for index, header in enumerate(headers):
        letter = column_letter(offset + index)
        mapped, field = mapping.choice(letter, header, blank_letters)
        recognised = field
        if not mapped and header and not is_ignored(header) and normalise(header) not in ignored:
            recognised = recognise(header, extra)
        columns.append(Column(letter=letter, header=header, field=recognised, recognised=recognised is not None,
                              index=offset + index, mapped=mapped))
    taken: dict[str, Column] = {}
    for column in sorted(columns, key=lambda c: (not c.mapped, c.index)):
        if column.field in taken:
            column.field, column.recognised = None, False
        elif column.field:
            taken[column.field] = column
    return columns


def _score(headers: list[str], offset: int, mapping: _Mapping, extra: dict[str, str], ignored: set[str]) -> int:
    if sum(1 for h in headers if h) < MIN_HEADER_FIELDS:
        return 0
    return len({c.field for c in _columns(headers, offset, mapping, extra, ignored) if c.field})


def _header_texts(cells: list) -> list[str]:
    texts = [cell_text(value) for value in cells]
    while texts and not texts[-1]:
        texts.pop()
    return texts


def _best_header(rows: Iterable[tuple[int, list]], offset: int, mapping: _Mapping, extra: dict[str, str],
                 ignored: set[str]) -> tuple[int, int, list[str]]:
    """(score, index among the rows, header texts) of the row naming the most fields."""
    best = (0, -1, [])
    for index, (_number, cells) in enumerate(rows):
        if index >= HEADER_SCAN_ROWS:
            break
        headers = _header_texts(cells)
        score = _score(headers, offset, mapping, extra, ignored)
        if score > best[0]:
            best = (score, index, headers)
    return best


def _no_header() -> FileRefused:
    examples = ", ".join(str(title) for field, title in FIELDS if field in REQUIRED)
    return FileRefused(_("We found no header row: the first %(count)d rows do not name the device columns we "
                         "need (%(examples)s). Put the column names in one row above the devices, or start "
                         "from our template.", count=HEADER_SCAN_ROWS, examples=examples), "no_header")


# -- rows --------------------------------------------------------------------------------------

def _cell_messages() -> dict[str, str]:
    return {
        "serial_as_number": _("Stored as a number in Excel: leading zeros may have been lost. Check it against "
                              "the device's label."),
        "formula_without_value": _("A formula with no value saved in the file (we never compute formulas). Open "
                                   "the file in Excel, save it and upload it again, or type the value."),
        "formula": _("A formula: the value Excel saved with the file is taken."),
    }


class _RowReader:
    """Turns raw rows (cells as the reader gives them) into checked ImportRows."""

    def __init__(self, columns: list[Column], offset: int, context: ImportContext, limits: xlsx.Limits,
                 sheet: str, notes: dict | None = None):
        self.context = context
        self.limits = limits
        self.sheet = sheet
        self.notes = notes or {}
        self.by_field = {c.field: c.letter for c in columns if c.field}
        self.fields = [(c.field, c.index - offset, c.index, c.letter) for c in columns if c.field]
        self.unmapped = {c.index - offset for c in columns if not c.field}
        self.width = len(columns)
        self.offset = offset
        self.with_data: set[int] = set()  # positions of unmapped columns that hold data
        self.rows: list[ImportRow] = []
        self.first_row_of: dict[str, int] = {}
        self.messages: dict[str, str] | None = None
        self.order = {c.letter: c.index for c in columns}
        # One object per distinct text: makers, models, yes/no and dates repeat thousands of times.
        self.shared = {}.setdefault

    def _message(self, code: str) -> str:
        if self.messages is None:
            self.messages = _cell_messages()
        return self.messages[code]

    def add(self, number: int, cells: list, typed: bool) -> None:
        values: dict[str, str] = {}
        cell_problems: list[Problem] = []
        size = len(cells)
        shared = self.shared
        for field, position, index, letter in self.fields:
            value = cells[position] if position < size else ""
            kind = type(value)
            if kind is str:
                text = value.strip()
            elif typed and kind in (float, int) and field == "purchase_date":
                day = excel_date(value)
                text = day.isoformat() if day else cell_text(value)
            elif typed and kind in (float, int) and field == "serial_number":
                text = cell_text(value)
                cell_problems.append(Problem(number, letter, field, text, self._message("serial_as_number"),
                                             WARNING, "serial_as_number"))
            else:
                text = cell_text(value)
            if self.notes:
                note = self.notes.get((number - 1, index))
                if note is not None:
                    problem = self._note_problem(note, number, letter, field, text)
                    if problem is not None:
                        cell_problems.append(problem)
            values[field] = shared(text, text)
        for position in self.unmapped:
            if position < size and position not in self.with_data and cell_text(cells[position]):
                self.with_data.add(position)
        if size > self.width:
            for position in range(self.width, size):
                if position not in self.with_data and cell_text(cells[position]):
                    self.with_data.add(position)
        if not any(values.values()) and not any(p.level == ERROR for p in cell_problems):
            return  # a blank row
        if len(self.rows) >= self.limits.max_rows:
            raise xlsx.refuse_rows(self.limits, self.sheet or _("CSV"))
        checked = check_row(values, number, self.by_field, self.context)
        if cell_problems:
            broken = {p.field for p in cell_problems if p.level == ERROR}
            checked.problems = [p for p in checked.problems if p.field not in broken] + cell_problems
        serial = checked.cleaned["serial_number"] or values.get("serial_number", "")
        if serial:
            key = serial.upper()
            first = self.first_row_of.setdefault(key, number)
            if first != number:
                checked.problems.append(Problem(
                    number, self.by_field.get("serial_number", ""), "serial_number", serial,
                    _("The same serial number is already in row %(row)d.", row=first), ERROR, "duplicate_in_file"))
        if len(checked.problems) > 1:
            order = self.order
            checked.problems.sort(key=lambda p: order.get(p.column, -1))
        self.rows.append(checked)

    def _note_problem(self, note: xlsx.CellNote, number: int, letter: str, field: str, text: str) -> Problem | None:
        if note.error:
            return Problem(number, letter, field, note.error, _(
                "The cell shows the Excel error %(error)s: correct it in the file or type the value.",
                error=note.error), ERROR, "excel_error")
        if note.formula is None:
            return None
        if not note.has_value:
            return Problem(number, letter, field, note.formula, self._message("formula_without_value"), ERROR,
                           "formula_without_value")
        message = _("A formula (%(formula)s): the value Excel saved with the file is taken.",
                    formula=note.formula) if note.formula else self._message("formula")
        return Problem(number, letter, field, text, message, WARNING, "formula")


def _file_warnings(columns: list[Column], header_row: int, with_data: set[int], offset: int,
                   ignored: set[str]) -> list[Problem]:
    warnings = []
    first_with: dict[str, Column] = {}
    for column in columns:
        if column.field:
            first_with.setdefault(column.field, column)
    titles = dict(FIELDS)
    for column in columns:
        if column.field or (column.mapped and column.header):
            continue  # a field, or ignored by the user's choice
        header = column.header
        if header and (is_ignored(header) or normalise(header) in ignored):
            continue
        same = recognise(header) if header else None
        if same and same in first_with:
            message = _("Column %(column)s “%(header)s” also looks like %(field)s, already read from column "
                        "%(other)s: it is ignored unless you map it to another field.", column=column.letter,
                        header=header, field=str(titles[same]), other=first_with[same].letter)
            code = "duplicate_column"
        elif header:
            message = _("Column %(column)s “%(header)s” is not a device field we know: it is ignored unless you "
                        "map it to one.", column=column.letter, header=header)
            code = "unknown_column"
        elif column.index - offset in with_data:
            message = _("Column %(column)s has data but no header: it is ignored unless you map it to a field.",
                        column=column.letter)
            code = "unnamed_column"
        else:
            continue
        warnings.append(Problem(header_row, column.letter, None, header, message, WARNING, code))
    for position in sorted(p for p in with_data if p >= len(columns)):
        letter = column_letter(offset + position)
        warnings.append(Problem(header_row, letter, None, "", _(
            "Column %(column)s has data but no header: it is ignored unless you map it to a field.",
            column=letter), WARNING, "unnamed_column"))
    for field, title in FIELDS:
        if field in REQUIRED and field not in first_with:
            warnings.append(Problem(header_row, "", field, "", _(
                "No column for %(field)s was found: every row needs it. Map one of the columns to it.",
                field=str(title)), ERROR, "missing_column"))
    return warnings


# -- the two kinds of file -------------------------------------------------------------------

def _is_calamine_failure(error: BaseException) -> bool:
    """What python-calamine raises on a workbook it cannot read; a panic in its Rust code arrives as
    pyo3's PanicException, a BaseException, which must not end the request with a traceback either."""
    return isinstance(error, CalamineError | ValueError | OverflowError) or type(error).__name__ == "PanicException"


def _read_xlsx(data: bytes, filename: str, mapping: _Mapping, context: ImportContext,
               limits: xlsx.Limits, progress: Progress | None) -> ImportResult:
    archive, book = xlsx.inspect(data, limits)
    if not book.sheets:
        raise FileRefused(_("The workbook has no worksheet to read."), "empty")
    extra, ignored = _locale_headers(context)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        best = None
        any_content = False
        for position, info in enumerate(book.sheets):
            sheet = workbook.get_sheet_by_name(info.name)
            start = sheet.start
            if start is None:
                continue
            head = sheet.to_python(nrows=HEADER_SCAN_ROWS)
            if not any(any(cell_text(v) for v in row) for row in head):
                continue
            any_content = True
            rows = [(start[0] + i + 1, row) for i, row in enumerate(head)]
            score, index, headers = _best_header(rows, start[1], mapping, extra, ignored)
            rank = (score, info.visible, -position)
            if score >= MIN_HEADER_FIELDS and (best is None or rank > best[0]):
                best = (rank, info, sheet, index, headers)
            del sheet, head
        if best is None:
            if not any_content:
                raise FileRefused(_("The workbook is empty: no sheet has any rows."), "empty")
            raise _no_header()
        _rank, info, sheet, header_index, headers = best
        del best
        start_row, offset = sheet.start
        notes = xlsx.cell_notes(archive, info) if info.has_cell_notes else None
        columns = _columns(mapping.widen(headers, offset), offset, mapping, extra, ignored, blank_letters=True)
        reader = _RowReader(columns, offset, context, limits, info.name, notes)
        values = sheet.to_python()
        del sheet
        workbook.close()
    except BaseException as error:
        if not _is_calamine_failure(error):
            raise
        raise xlsx.refuse_corrupt() from error
    header_row = start_row + header_index + 1
    total = len(values) - header_index - 1
    for index in range(header_index + 1, len(values)):
        reader.add(start_row + index + 1, values[index], True)
        values[index] = None  # let the row's raw cells go as soon as they are read
        if progress and (index - header_index) % PROGRESS_EVERY == 0:
            progress(index - header_index, total)
    if progress:
        progress(total, total)
    return ImportResult(filename=filename, kind="xlsx", sheet=info.name, header_row=header_row, columns=columns,
                        rows=reader.rows, file_warnings=_file_warnings(columns, header_row, reader.with_data,
                                                                      offset, ignored),
                        sheets=[s.name for s in book.sheets])


def _read_csv(data: bytes, filename: str, mapping: _Mapping, context: ImportContext,
              limits: xlsx.Limits, progress: Progress | None) -> ImportResult:
    text, encoding = csvfile.decode(data)
    extra, ignored = _locale_headers(context)
    declared = csvfile.separator_line(text)
    candidates = (declared,) if declared else csvfile.DELIMITERS
    best = None
    sample = text[:csvfile.SAMPLE]
    for delimiter in candidates:
        head = []
        try:
            for record in csvfile.records(sample, delimiter, skip_sep_line=bool(declared)):
                head.append(record)
                if len(head) >= HEADER_SCAN_ROWS:
                    break
        except FileRefused:
            continue
        score, index, headers = _best_header(head, 0, mapping, extra, ignored)
        rank = (score, len(headers))
        if score >= MIN_HEADER_FIELDS and (best is None or rank > best[0]):
            best = (rank, delimiter, head[index][0], headers)
    if best is None:
        if not csvfile.looks_tabular(sample):
            raise xlsx.not_a_spreadsheet()
        raise _no_header()
    _rank, delimiter, header_row, headers = best
    columns = _columns(mapping.widen(headers, 0), 0, mapping, extra, ignored, blank_letters=True)
    reader = _RowReader(columns, 0, context, limits, "")
    lines = text.count("\n") + 1 - header_row  # a multi-line value makes this a little high: an estimate
    for number, cells in csvfile.records(text, delimiter, skip_sep_line=bool(declared)):
        if number > header_row:
            reader.add(number, cells, False)
            if progress and (number - header_row) % PROGRESS_EVERY == 0:
                progress(min(number - header_row, lines), lines)
    if progress:
        progress(lines, lines)
    return ImportResult(filename=filename, kind="csv", sheet="", header_row=header_row, columns=columns,
                        rows=reader.rows, file_warnings=_file_warnings(columns, header_row, reader.with_data, 0,
                                                                      ignored),
                        encoding=encoding, delimiter=delimiter)


def read_file(data: bytes, filename: str, *, mapping: dict[str, str] | None = None,
              context: ImportContext, progress: Progress | None = None) -> ImportResult:
    """Read an uploaded .xlsx or .csv (recognised by content) into checked rows.

    Refuses, with FileRefused and nothing read, a file over the size or row limit, one that is not
    a spreadsheet, a legacy .xls, a password-protected workbook, an empty file, one without a
    recognisable header row, and a workbook that is unsafe to parse. `mapping` (column letter or
    header -> field, "" to ignore) overrides what the headers say. `progress(rows read, rows in
    the file)` is called every 1,000 rows and at the end (for a page showing real progress)."""
    limits = xlsx.Limits(context.max_rows, context.max_bytes)
    kind = _check_envelope(data, context)
    chosen = _Mapping(mapping, context.field_names)
    if kind == "xlsx":
        try:
            return _read_xlsx(data, filename, chosen, context, limits, progress)
        except xlsx.DAMAGED as error:
            raise xlsx.refuse_corrupt() from error
    return _read_csv(data, filename, chosen, context, limits, progress)

