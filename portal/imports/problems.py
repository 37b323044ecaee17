"""The customer's own file handed back with its problems: same sheet, same rows, one column more.

They fix it in Excel and upload it again. The copy holds the values they saw (a formula's saved
value, never a formula), and nothing we write can turn into a formula.
"""

from __future__ import annotations

import io
from datetime import date, datetime, time

from flask import current_app, has_app_context
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

from portal.imports import csvfile, xlsx
from portal.imports.fields import column_index, column_letter
from portal.imports.result import ERROR, ImportResult, Problem
from portal.spreadsheets import FORMULA_STARTS

ERROR_FILL = PatternFill("solid", fgColor="F8D7DA")
WARNING_FILL = PatternFill("solid", fgColor="FFF3CD")
SHOWN_VALUE = 40


def _limits() -> xlsx.Limits:
    from portal.imports.context import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS

    config = current_app.config if has_app_context() else {}
    return xlsx.Limits(config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS),
                       config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _describe(problem: Problem) -> str:
    value = problem.value if len(problem.value) <= SHOWN_VALUE else problem.value[:SHOWN_VALUE - 1] + "…"
    if value:
        return _("%(cell)s “%(value)s”: %(message)s", cell=problem.cell, value=value, message=problem.message)
    return _("%(cell)s: %(message)s", cell=problem.cell, message=problem.message)


def _text(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _cell(sheet, value, fill=None):
    """A cell that shows what the customer typed: text stays text, dates stay dates."""
    if isinstance(value, str):
        value = _text(value)
        if not fill and not value.startswith(FORMULA_STARTS):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        if value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
    else:
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        if not fill and not isinstance(value, date | time):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(value, time):
            cell.number_format = "hh:mm"
    if fill:
        cell.fill = fill
    return cell


def _source_rows(data: bytes, result: ImportResult):
    """(row number, cells from column A) of the sheet that was read, every row kept in place."""
    if result.kind == "csv":
        text, _encoding = csvfile.decode(data)
        declared = csvfile.separator_line(text) is not None
        return csvfile.records(text, result.delimiter or ",", skip_sep_line=declared)
    from python_calamine import CalamineWorkbook

    xlsx.inspect(data, _limits())
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(result.sheet)
    return ((number, cells) for number, cells in enumerate(sheet.to_python(skip_empty_area=False), start=1))


def problems_workbook(data: bytes, filename: str, result: ImportResult) -> bytes:
    """An .xlsx copy of the sheet that was read, with a "Problems" column naming each row's problems
    and the cells at fault coloured (red: errors, yellow: warnings)."""
    by_row: dict[int, list[Problem]] = {}
    for row in result.rows:
        if row.problems:
            by_row[row.row] = row.problems
    rows = list(_source_rows(data, result))
    width = max((len(cells) for _number, cells in rows), default=0)
    width = max(width, max((c.index + 1 for c in result.columns), default=0))
    while width and all(len(cells) < width or cells[width - 1] in ("", None) for _number, cells in rows):
        width -= 1
    problems_at = width
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(result.sheet or _("Devices"))
    sheet.column_dimensions[column_letter(problems_at)].width = 70
    wrap = Alignment(wrap_text=True, vertical="top")
    written = 0
    for number, cells in rows:
        while written < number - 1:
            sheet.append([])
            written += 1
        problems = by_row.get(number, ())
        fills = {}
        for problem in problems:
            if problem.column:
                position = column_index(problem.column)
                if fills.get(position) is not ERROR_FILL:
                    fills[position] = ERROR_FILL if problem.level == ERROR else WARNING_FILL
        out = [_cell(sheet, value, fills.get(position)) for position, value in enumerate(cells[:width])]
        out.extend([None] * (problems_at - len(out)))
        if number == result.header_row:
            title = WriteOnlyCell(sheet, value=_("Problems"))
            title.font = Font(bold=True)
            out.append(title)
        elif problems:
            note = WriteOnlyCell(sheet, value=_text("\n".join(_describe(p) for p in problems)))
            note.data_type = "s"
            note.alignment = wrap
            note.fill = ERROR_FILL if any(p.level == ERROR for p in problems) else WARNING_FILL
            out.append(note)
        sheet.append(out)
        written = number
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
