"""The problems copy: the customer's own rows with a "Problems" column, fixed in Excel, read again clean."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from portal.imports import problems_workbook, read_file


def test_round_trip_download_fix_in_excel_upload_clean(samples, context):
    name = "devices_with_errors.xlsx"
    data = (samples / name).read_bytes()
    result = read_file(data, name, context=context())
    assert result.errors == 7

    copy = problems_workbook(data, name, result)

    book = load_workbook(io.BytesIO(copy))
    sheet = book["Sheet"]
    assert [c.value for c in sheet[1]] == ["Manufacturer", "Model", "Serial number", "Fault description",
                                           "Under warranty", "Purchase date", "Problems"]
    notes = {row: sheet.cell(row=row, column=7).value or "" for row in range(2, 8)}
    assert notes[2].startswith("C2:") and "serial number is missing" in notes[2]
    assert "C4 “ZE11112222”" in notes[4] and "row 3" in notes[4]
    assert notes[5].count("\n") == 2 and "D5" in notes[5] and "E5 “maybe”" in notes[5] and "F5" in notes[5]
    assert "B7" in notes[7] and "F7 “2030-01-01”" in notes[7]
    assert notes[3] == "" and notes[6] == ""
    assert sheet["C4"].fill.fgColor.rgb.endswith("F8D7DA")  # the cell at fault is marked

    sheet["C2"] = "ZE99990001"
    sheet["C4"] = "ZE99990002"
    sheet["D5"] = "Battery swollen"
    sheet["E5"] = "no"
    sheet["F5"] = "2024-12-13"
    sheet["B7"] = "ThinkPad T14"
    sheet["F7"] = "2024-01-01"
    fixed = io.BytesIO()
    book.save(fixed)

    again = read_file(fixed.getvalue(), "devices_with_errors-problems.xlsx", context=context())

    assert (again.sheet, again.header_row, [r.row for r in again.rows]) == ("Sheet", 1, [2, 3, 4, 5, 7])
    assert (again.importable, again.warnings, again.errors, again.file_warnings) == (5, 0, 0, [])
    assert next(c for c in again.columns if c.header == "Problems").field is None


def test_the_copy_keeps_title_rows_blank_rows_and_typed_cells(samples, context):
    name = "devices_messy.xlsx"
    data = (samples / name).read_bytes()
    result = read_file(data, name, context=context())

    copy = load_workbook(io.BytesIO(problems_workbook(data, name, result)))

    assert copy.sheetnames == ["Lista"]
    sheet = copy["Lista"]
    assert sheet["A1"].value.startswith("ACME Logistics") and sheet["A2"].value is None
    assert sheet["H3"].value == "Problems" and sheet["G3"].value == "Internal note"
    assert sheet["C7"].value == 45709005 and "C7 “45709005”" in sheet["H7"].value
    assert sheet["C9"].value == "0090624782"
    assert sheet["A21"].value == "Zebra" and sheet["A21"].data_type == "s"  # the saved value, never the formula
    assert "A21" in sheet["H21"].value
    assert sheet["F4"].is_date
    reread = read_file(problems_workbook(data, name, result), "again.xlsx", context=context())
    assert [r.row for r in reread.rows] == [r.row for r in result.rows]


def test_a_csv_comes_back_as_a_workbook_with_the_same_lines(context):
    text = ("Make;Model;Serial;Fault;Purchase date\n\nZebra;TC52;0012;=cmd|' /C calc'!A0;31.03.2024\n"
            "Zebra;TC52;;+SUM(1);2024-13-01\n")
    data = text.encode("cp1250")
    result = read_file(data, "devices.csv", context=context())

    book = load_workbook(io.BytesIO(problems_workbook(data, "devices.csv", result)))

    sheet = book.active
    assert [c.value for c in sheet[1]] == ["Make", "Model", "Serial", "Fault", "Purchase date", "Problems"]
    assert sheet["C3"].value == "0012" and sheet["E3"].value == "31.03.2024"
    assert sheet["D3"].value == "=cmd|' /C calc'!A0" and sheet["D3"].data_type == "s"
    assert sheet["D4"].data_type == "s"
    assert "C4" in sheet["F4"].value and "E4 “2024-13-01”" in sheet["F4"].value
    again = read_file(problems_workbook(data, "devices.csv", result), "again.xlsx", context=context())
    assert [(p.cell, p.code) for p in again.problems] == [(p.cell, p.code) for p in result.problems]


def test_text_we_write_never_becomes_a_formula(context):
    data = b"Make;Model;Serial;Fault\n=1+1;TC52;;x\n"
    result = read_file(data, "devices.csv", context=context())

    book = load_workbook(io.BytesIO(problems_workbook(data, "devices.csv", result)))

    for row in book.active.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
