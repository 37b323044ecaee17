"""`flask import check FILE` for account managers and support; `flask import templates` to write the
templates customers download.

`check` prints what the preview would show and exits 0 when the file can be imported, 1 when rows
have errors (or there is no row), 2 when the file is refused; never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.imports.context import context_for
from portal.imports.fields import FIELDS, TEMPLATE_LANGUAGES
from portal.imports.reader import read_file
from portal.imports.result import FileRefused, ImportResult, Problem

import_cli = AppGroup("import", help="Spreadsheet imports: check a file, write the templates.")

EXIT_OK, EXIT_ROW_ERRORS, EXIT_REFUSED = 0, 1, 2
SHOWN_VALUE = 60


def _problem_json(problem: Problem) -> dict:
    return {"row": problem.row, "column": problem.column, "cell": problem.cell, "field": problem.field,
            "value": problem.value, "level": problem.level, "code": problem.code, "message": problem.message}


def result_json(result: ImportResult, exit_code: int) -> dict:
    return {
        "file": result.filename, "refused": False, "exit_code": exit_code, "kind": result.kind,
        "sheet": result.sheet, "sheets": result.sheets, "header_row": result.header_row,
        "encoding": result.encoding, "delimiter": result.delimiter,
        "columns": [{"letter": c.letter, "header": c.header, "field": c.field, "recognised": c.recognised}
                    for c in result.columns],
        "rows": len(result.rows), "importable": result.importable, "rows_with_errors": result.error_rows,
        "warnings": result.warnings, "errors": result.errors,
        "file_warnings": [_problem_json(p) for p in result.file_warnings],
        "problems": [_problem_json(p) for p in result.problems],
    }


def _shown(value: str) -> str:
    value = value.replace("\n", " ")
    return value if len(value) <= SHOWN_VALUE else value[:SHOWN_VALUE - 1] + "…"


def _print_result(result: ImportResult, exit_code: int) -> None:
    titles = dict(FIELDS)
    where = _("sheet “%(sheet)s”", sheet=result.sheet) if result.kind == "xlsx" else _(
        "%(encoding)s, delimiter “%(delimiter)s”", encoding=result.encoding,
        delimiter=result.delimiter.replace("\t", "\\t"))
    click.echo(_("%(file)s: %(kind)s, %(where)s, header in row %(row)d", file=result.filename,
                 kind=result.kind.upper(), where=where, row=result.header_row))
    click.echo(_("Columns:"))
    for column in result.columns:
        if column.field:
            target = str(titles[column.field])
        elif column.header:
            target = _("(not read)")
        else:
            continue
        click.echo(f"  {column.letter:>3}  {_shown(column.header) or '-':<32} -> {target}")
    click.echo(_("Rows: %(rows)d read, %(importable)d can be imported, %(bad)d with errors; %(errors)d errors, "
                 "%(warnings)d warnings.", rows=len(result.rows), importable=result.importable,
                 bad=result.error_rows, errors=result.errors, warnings=result.warnings))
    for problem in result.file_warnings:
        click.echo(f"  {problem.level:<7}  {problem.cell:<8} {problem.message}")
    for problem in result.problems:
        value = f"“{_shown(problem.value)}” " if problem.value else ""
        click.echo(f"  {problem.level:<7}  {problem.cell:<8} {value}{problem.message}")
    if exit_code == EXIT_OK:
        click.echo(_("The file can be imported."))
    elif not result.rows:
        click.echo(_("There is no device row under the header: nothing to import."))
    else:
        click.echo(_("Rows with errors must be fixed (or left out) before the file can be imported."))


def _refuse(message: str, as_json: bool, filename: str, code: str) -> None:
    if as_json:
        click.echo(json.dumps({"file": filename, "refused": True, "exit_code": EXIT_REFUSED, "code": code,
                               "message": message}, ensure_ascii=False, indent=2))
    else:
        click.echo(_("Refused: %(message)s", message=message), err=True)
    sys.exit(EXIT_REFUSED)


@import_cli.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--company", "company_id", type=int, help="Check serial numbers against this company's open orders.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check_command(path: Path, company_id: int | None, as_json: bool):
    """Check a spreadsheet as the import preview would: exit 0 importable, 1 row errors, 2 refused."""
    from portal.models import Company

    try:
        data = path.read_bytes()
    except OSError as error:
        _refuse(_("The file could not be opened: %(reason)s", reason=error.strerror or str(error)), as_json,
                str(path), "unreadable")
    company = None
    if company_id is not None:
        try:
            company = db.session.get(Company, company_id)
        except SQLAlchemyError as error:
            db.session.rollback()
            _refuse(_("The database could not be read: %(reason)s", reason=type(error).__name__), as_json,
                    path.name, "database")
        if company is None:
            _refuse(_("There is no company with id %(id)d.", id=company_id), as_json, path.name, "unknown_company")
    try:
        result = read_file(data, path.name, context=context_for(company))
    except FileRefused as error:
        _refuse(error.message, as_json, path.name, error.code)
    except SQLAlchemyError as error:
        _refuse(_("The database could not be read: %(reason)s", reason=type(error).__name__), as_json, path.name,
                "database")
    finally:
        db.session.rollback()  # only read; never leave a transaction open
    exit_code = EXIT_OK if result.rows and not result.error_rows else EXIT_ROW_ERRORS
    if as_json:
        click.echo(json.dumps(result_json(result, exit_code), ensure_ascii=False, indent=2))
    else:
        _print_result(result, exit_code)
    sys.exit(exit_code)


@import_cli.command("templates")
@click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write them (default: import_templates/ of the project).")
def templates_command(directory: Path | None):
    """Write the templates customers download: devices_en.xlsx, devices_pl.xlsx, devices_ru.xlsx."""
    from portal.imports.templates import TEMPLATE_DIR, build_template

    directory = directory or TEMPLATE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for language in TEMPLATE_LANGUAGES:
        target = directory / f"devices_{language}.xlsx"
        target.write_bytes(build_template(language))
        click.echo(_("Wrote %(path)s", path=str(target)))
