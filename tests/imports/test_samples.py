"""Every shared sample file gives exactly what ../shared/samples/EXPECTED.md says, by row and column."""

from __future__ import annotations

from datetime import date

import pytest

from portal.imports import read_file


def rows(*spans: tuple[int, int]) -> list[int]:
    return [n for first, last in spans for n in range(first, last + 1)]


# file -> (sheet, header row, importable rows, warnings {(column, row)}, errors {(column, row)}, columns recognised)
EXPECTED = {
    "devices_en_25.xlsx": ("Devices", 1, rows((2, 26)), set(), set(), 8),
    "devices_10000.xlsx": ("Devices", 1, rows((2, 10001)), set(), set(), 8),
    "devices_ru.xlsx": ("Sheet", 1, rows((2, 11)), set(), set(), 6),
    "devices_pl_excel.csv": ("", 1, rows((2, 31)), set(), set(), 8),
    "devices_bom_loose_headers.csv": ("", 1, rows((2, 21)), set(), set(), 6),
    "devices_messy.xlsx": ("Lista", 3, rows((4, 7), (9, 14), (16, 21)),
                           {("C", 7), ("C", 12), ("C", 17), ("A", 21)}, set(), 6),
    "devices_with_errors.xlsx": ("Sheet", 1, [3], set(),
                                 {("C", 2), ("C", 4), ("D", 5), ("E", 5), ("F", 5), ("B", 7), ("F", 7)}, 6),
}


def read_sample(samples, name, context):
    return read_file((samples / name).read_bytes(), name, context=context())


def test_every_sample_file_has_an_expected_result(samples):
    present = {path.name for path in samples.iterdir() if path.suffix in (".xlsx", ".csv")}
    assert present == set(EXPECTED), "a sample file without an expected result here (or the other way round)"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_gives_the_expected_rows_warnings_and_errors(samples, context, name):
    sheet, header_row, importable, warnings, errors, recognised = EXPECTED[name]

    result = read_sample(samples, name, context)

    assert (result.sheet, result.header_row) == (sheet, header_row)
    assert result.kind == name.rsplit(".", 1)[1]
    assert [r.row for r in result.rows if r.is_importable] == importable
    assert {(p.column, p.row) for p in result.problems if p.level == "warning"} == warnings
    assert {(p.column, p.row) for p in result.problems if p.level == "error"} == errors
    assert (result.importable, result.warnings, result.errors) == (len(importable), len(warnings), len(errors))
    assert sum(1 for c in result.columns if c.recognised) == recognised
    for row in result.rows:
        if row.is_importable:
            assert all(row.cleaned[f] for f in ("manufacturer", "model", "serial_number", "fault_description"))
            assert row.cleaned["purchase_date"] is None or isinstance(row.cleaned["purchase_date"], date)


def test_messy_workbook_reads_the_list_sheet_trimmed_with_zeros_kept(samples, context):
    result = read_sample(samples, "devices_messy.xlsx", context)
    by_row = {r.row: r for r in result.rows}

    assert result.sheets == ["Lista", "Instructions"]
    assert {8, 15} & set(by_row) == set()  # the blank rows
    assert by_row[4].values["manufacturer"] == "Zebra" and by_row[4].values["serial_number"] == "ZE43528798"
    assert [by_row[n].cleaned["serial_number"] for n in (9, 14, 20)] == ["0090624782", "0039248022", "0099696853"]
    assert by_row[7].cleaned["serial_number"] == "45709005"  # a number in Excel: text, without ".0"
    assert by_row[4].cleaned["purchase_date"] == date(2023, 3, 31)
    [formula] = [p for p in by_row[21].problems]
    assert (formula.code, formula.value, by_row[21].cleaned["manufacturer"]) == ("formula", "Zebra", "Zebra")
    assert "=A4" in formula.message
    assert {p.code for r in result.rows for p in r.problems} == {"serial_as_number", "formula"}
    assert not by_row[21].cleaned["warranty_claimed"] and by_row[21].cleaned["purchase_date"] is None


def test_messy_workbooks_internal_note_is_offered_for_mapping_never_dropped_silently(samples, context):
    result = read_sample(samples, "devices_messy.xlsx", context)

    note = next(c for c in result.columns if c.header == "Internal note")
    assert (note.letter, note.field, note.recognised) == ("G", None, False)
    [warning] = result.file_warnings
    assert (warning.row, warning.column, warning.value, warning.code) == (3, "G", "Internal note", "unknown_column")
    assert "Internal note" in warning.message


def test_errors_sample_names_each_problem(samples, context):
    result = read_sample(samples, "devices_with_errors.xlsx", context)

    found = {(p.cell, p.code, p.value[:12]) for p in result.problems}
    assert found == {
        ("C2", "missing", ""), ("C4", "duplicate_in_file", "ZE11112222"), ("D5", "too_long", "xxxxxxxxxxxx"),
        ("E5", "not_yes_no", "maybe"), ("F5", "not_a_date", "2024-13-45"), ("B7", "missing", ""),
        ("F7", "future_date", "2030-01-01"),
    }
    duplicate = next(p for p in result.problems if p.code == "duplicate_in_file")
    assert "row 3" in duplicate.message
    assert [r.row for r in result.rows] == [2, 3, 4, 5, 7]  # row 6 is blank


def test_russian_yes_no_words(samples, context):
    result = read_sample(samples, "devices_ru.xlsx", context)

    assert [r.cleaned["warranty_claimed"] for r in result.rows[:2]] == [True, False]
    assert result.rows[0].values["warranty_claimed"] == "да"
    assert result.rows[0].cleaned["fault_description"] == "Не включается"


def test_polish_windows_csv_keeps_its_letters_and_reads_dates_and_tak_nie(samples, context):
    result = read_sample(samples, "devices_pl_excel.csv", context)

    assert (result.encoding, result.delimiter) == ("cp1250", ";")
    first = result.rows[0]
    assert first.cleaned["fault_description"] == "Bateria szybko się rozładowuje"
    assert first.cleaned["purchase_date"] == date(2024, 7, 13)
    assert first.cleaned["warranty_claimed"] is False
    assert any(r.cleaned["accessories"] == "ładowarka" for r in result.rows)
    assert any(r.cleaned["warranty_claimed"] for r in result.rows)


def test_utf8_bom_csv_with_loose_headers(samples, context):
    result = read_sample(samples, "devices_bom_loose_headers.csv", context)

    assert (result.encoding, result.delimiter) == ("utf-8-sig", ",")
    assert [c.header for c in result.columns] == ["Make", "MODEL", "Serial No.", "Problem", "Warranty?",
                                                  "Date of purchase"]
    assert [c.field for c in result.columns] == ["manufacturer", "model", "serial_number", "fault_description",
                                                 "warranty_claimed", "purchase_date"]
    assert {r.values["warranty_claimed"] for r in result.rows} == {"YES", "NO"}
    assert {r.cleaned["warranty_claimed"] for r in result.rows} == {True, False}
