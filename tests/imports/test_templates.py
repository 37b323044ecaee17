"""The templates customers download read back as an empty, clean list: all columns, no rows, no problems."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from portal.imports import FIELDS, read_file
from portal.imports.fields import TEMPLATE_LANGUAGES
from portal.imports.templates import TEMPLATE_DIR, build_template

CATEGORIES = ["Handheld terminal", "Laptop", "Label printer"]


@pytest.mark.parametrize("language", TEMPLATE_LANGUAGES)
def test_a_template_reads_back_with_every_field_no_rows_no_problems(context, language):
    data = build_template(language, CATEGORIES)

    result = read_file(data, f"devices_{language}.xlsx", context=context())

    assert (result.header_row, result.rows, result.file_warnings) == (1, [], [])
    assert [c.field for c in result.columns] == [field for field, _title in FIELDS]
    assert result.sheet == result.sheets[0]


@pytest.mark.parametrize(("language", "first", "yes_no"), [
    ("en", "Manufacturer", '"yes,no"'), ("pl", "Producent", '"tak,nie"'), ("ru", "Производитель", '"да,нет"')])
def test_a_template_has_headers_in_its_language_lists_and_an_explanation(language, first, yes_no):
    book = load_workbook(io.BytesIO(build_template(language, CATEGORIES)))

    sheet, explained = book.worksheets[0], book.worksheets[1]
    assert sheet["A1"].value == first and sheet.max_row == 1  # headers only: nothing of ours is imported
    rules = {str(rule.sqref): rule for rule in sheet.data_validations.dataValidation}
    assert rules["G2:G100001"].formula1 == yes_no and rules["K2:K100001"].formula1 == yes_no
    assert rules["E2:E100001"].formula1 == "Lists!$A$1:$A$3"
    assert (rules["J2:J100001"].type, rules["J2:J100001"].formula1, rules["J2:J100001"].formula2) == (
        "whole", "1", "500")
    assert book["Lists"].sheet_state == "hidden"
    assert [c.value for c in book["Lists"]["A"]] == CATEGORIES
    assert sheet.column_dimensions["C"].number_format == "@"  # serial numbers keep their zeros
    explained_rows = list(explained.iter_rows(min_row=6, values_only=True))
    assert [row[0] for row in explained_rows] == [sheet.cell(row=1, column=n).value for n in range(1, 12)]
    assert all(row[2] for row in explained_rows)  # every column explained, with an example
    assert explained_rows[2][3] == "0021045522"


def test_unknown_languages_get_the_english_template():
    book = load_workbook(io.BytesIO(build_template("kk", [])))

    assert book.worksheets[0]["A1"].value == "Manufacturer"
    assert "Lists" not in book.sheetnames


def test_the_committed_templates_are_the_ones_built(context):
    for language in TEMPLATE_LANGUAGES:
        path = Path(TEMPLATE_DIR) / f"devices_{language}.xlsx"
        assert path.is_file(), f"{path} is missing: run `flask import templates`"
        result = read_file(path.read_bytes(), path.name, context=context())
        assert (len(result.rows), result.file_warnings, len(result.columns)) == (0, [], len(FIELDS))
        built = load_workbook(io.BytesIO(build_template(language, [])))
        committed = load_workbook(path)
        assert [c.value for c in committed.worksheets[0][1]] == [c.value for c in built.worksheets[0][1]]


def test_flask_import_templates_writes_the_three_files(runner, tmp_path):
    result = runner.invoke(args=["import", "templates", "--directory", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "devices_en.xlsx", "devices_pl.xlsx", "devices_ru.xlsx"]
