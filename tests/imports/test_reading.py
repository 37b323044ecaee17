"""Reading files as customers make them: headers in six languages, CSV dialects, formulas, mappings."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from portal.imports import read_file
from portal.imports.fields import recognise
from tests.imports.conftest import replace_part, xlsx_bytes


@pytest.mark.parametrize(("header", "field"), [
    ("Make", "manufacturer"), ("MANUFACTURER", "manufacturer"), ("Producent", "manufacturer"),
    ("Производитель", "manufacturer"), ("Hersteller", "manufacturer"), ("Өндіруші", "manufacturer"),
    ("Pabrikan", "manufacturer"), ("Produsen", "manufacturer"), ("  brand ", "manufacturer"),
    ("Serial No.", "serial_number"), ("S/N", "serial_number"), ("Numer seryjny", "serial_number"),
    ("Серийный номер", "serial_number"), ("Seriennummer", "serial_number"), ("Сериялық нөмір", "serial_number"),
    ("Nomor seri", "serial_number"), ("Serial number (S/N):", "serial_number"), ("Серийный №", "serial_number"),
    ("Problem", "fault_description"), ("Fault", "fault_description"), ("Opis usterki", "fault_description"),
    ("Неисправность", "fault_description"), ("Описание неисправности", "fault_description"),
    ("Fehlerbeschreibung", "fault_description"), ("Ақаулық", "fault_description"),
    ("Kerusakan", "fault_description"), ("Keluhan", "fault_description"),
    ("Warranty?", "warranty_claimed"), ("Gwarancja", "warranty_claimed"), ("Гарантия", "warranty_claimed"),
    ("Garantie", "warranty_claimed"), ("Кепілдік", "warranty_claimed"), ("Garansi", "warranty_claimed"),
    ("Under warranty (yes/no)", "warranty_claimed"),
    ("Date of purchase", "purchase_date"), ("Purchase date", "purchase_date"), ("Data zakupu", "purchase_date"),
    ("Дата покупки", "purchase_date"), ("Kaufdatum", "purchase_date"), ("Сатып алу күні", "purchase_date"),
    ("Tanggal pembelian", "purchase_date"), ("purchase-date", "purchase_date"),
    ("Asset tag", "asset_tag"), ("Nr inwentarzowy", "asset_tag"), ("Инвентарный номер", "asset_tag"),
    ("Category", "category_id"), ("Kategoria", "category_id"), ("Категория", "category_id"),
    ("Accessories", "accessories"), ("Akcesoria", "accessories"), ("Комплектация", "accessories"),
    ("Zubehör", "accessories"), ("Box No.", "box_number"), ("Karton", "box_number"), ("Коробка", "box_number"),
    ("Model", "model"), ("Модель", "model"), ("Modell", "model"),
])
def test_headers_in_our_customers_languages(header, field):
    assert recognise(header) == field


@pytest.mark.parametrize("header", ["Internal note", "Price", "Problems", "", "Notes for us"])
def test_headers_that_are_no_device_field(header):
    assert recognise(header) is None


def test_title_rows_blank_rows_and_extra_columns(context):
    data = xlsx_bytes([["Devices for repair"], [], [None, "Hersteller", "Modell", "Seriennummer", "Defekt",
                                                         "Garantie", "Kaufdatum", "Kostenstelle"],
                       [None, "Bosch", "GSR 18V", "BO1", "Akku defekt", "ja", date(2024, 5, 1), "K-17"], [],
                       [None, "Bosch", "GBH", "BO2", "Motor", "nein", "01.02.2024", "K-18"]], title="Geräte")

    result = read_file(data, "geraete.xlsx", context=context())

    assert (result.sheet, result.header_row) == ("Geräte", 3)
    assert [(c.letter, c.field) for c in result.columns][:2] == [("A", None), ("B", "manufacturer")]
    assert [c.letter for c in result.columns] == ["A", "B", "C", "D", "E", "F", "G", "H"]
    assert [r.row for r in result.rows] == [4, 6]
    assert [r.cleaned["warranty_claimed"] for r in result.rows] == [True, False]
    assert [r.cleaned["purchase_date"] for r in result.rows] == [date(2024, 5, 1), date(2024, 2, 1)]
    assert [(w.cell, w.code) for w in result.file_warnings] == [("H3", "unknown_column")]


def test_the_sheet_naming_most_fields_is_read(context):
    data = xlsx_bytes([["Read me"], ["Manufacturer: who made it"]], title="Help",
                      more_sheets={"Devices": [["Make", "Model", "S/N", "Problem"], ["HP", "M404", "HP1", "Jam"]]})

    result = read_file(data, "book.xlsx", context=context())

    assert (result.sheet, result.sheets, len(result.rows)) == ("Devices", ["Help", "Devices"], 1)


def test_numbers_dates_and_booleans_from_excel_cells(context):
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault", "Warranty", "Purchase date", "Box"],
                       ["Dell", 7090, 123456789012, "Fan", True, 45382, 2.0],
                       ["Dell", 7090, "000123", "Fan", False, datetime(2024, 3, 31, 0, 0), 3]])

    result = read_file(data, "numbers.xlsx", context=context())

    first, second = result.rows
    assert first.values == {"manufacturer": "Dell", "model": "7090", "serial_number": "123456789012",
                            "fault_description": "Fan", "warranty_claimed": "TRUE", "purchase_date": "2024-03-31",
                            "box_number": "2"}
    assert [(p.cell, p.code) for p in first.problems] == [("C2", "serial_as_number")]
    assert first.cleaned["warranty_claimed"] is True and first.cleaned["box_number"] == 2
    assert second.cleaned["serial_number"] == "000123" and second.problems == []
    assert second.cleaned["purchase_date"] == date(2024, 3, 31)


def test_a_formula_without_a_saved_value_is_an_error_for_that_cell(context):
    # openpyxl writes formulas without the value Excel would have saved
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault"], ["Zebra", "TC52", "=\"ZE\"&\"1\"", "Cracked"]])

    [row] = read_file(data, "formula.xlsx", context=context()).rows

    [problem] = row.problems
    assert (problem.cell, problem.code, problem.level, problem.value) == (
        "C2", "formula_without_value", "error", '="ZE"&"1"')


def test_a_formula_with_a_saved_value_gives_that_value_and_a_warning(context):
    data = replace_part(xlsx_bytes([["Make", "Model", "Serial", "Fault"], ["Zebra", "TC52", "x", "Cracked"]]),
                        "xl/worksheets/sheet1.xml", lambda old: old.replace(
                            b'<c r="C2" t="inlineStr"><is><t>x</t></is></c>',
                            b'<c r="C2" t="str"><f>UPPER("ze123")</f><v>ZE123</v></c>'))

    [row] = read_file(data, "formula.xlsx", context=context()).rows

    assert row.cleaned["serial_number"] == "ZE123"
    [problem] = row.problems
    assert (problem.cell, problem.code, problem.level) == ("C2", "formula", "warning")
    assert '=UPPER("ze123")' in problem.message


def test_an_error_cell_is_an_error_for_that_cell(context):
    data = replace_part(xlsx_bytes([["Make", "Model", "Serial", "Fault"], ["Zebra", "x", "ZE1", "Cracked"]]),
                        "xl/worksheets/sheet1.xml", lambda old: old.replace(
                            b'<c r="B2" t="inlineStr"><is><t>x</t></is></c>',
                            b'<c r="B2" t="e"><f>VLOOKUP(A2,Z:Z,2,0)</f><v>#N/A</v></c>'))

    [row] = read_file(data, "errors.xlsx", context=context()).rows

    [problem] = row.problems
    assert (problem.cell, problem.code, problem.value) == ("B2", "excel_error", "#N/A")


def test_a_column_named_twice_is_read_once_and_the_other_offered(context):
    data = xlsx_bytes([["Make", "Model", "Serial number", "S/N", "Fault"], ["HP", "M404", "HP1", "OLD1", "Jam"]])

    result = read_file(data, "twice.xlsx", context=context())

    assert result.rows[0].cleaned["serial_number"] == "HP1"
    [warning] = result.file_warnings
    assert (warning.cell, warning.code) == ("D1", "duplicate_column") and "column C" in warning.message


def test_a_missing_required_column_is_named_once_for_the_file_and_in_every_row(context):
    data = xlsx_bytes([["Make", "Serial", "Fault"], ["HP", "HP1", "Jam"], ["HP", "HP2", "Jam"]])

    result = read_file(data, "nomodel.xlsx", context=context())

    [missing] = result.file_warnings
    assert (missing.level, missing.field, missing.code) == ("error", "model", "missing_column")
    assert [(p.cell, p.code) for p in result.problems] == [("2", "missing"), ("3", "missing")]


def test_data_in_a_column_without_header_is_reported(context):
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault"], ["HP", "M404", "HP1", "Jam", "box 2"]])

    result = read_file(data, "extra.xlsx", context=context())

    assert [(w.cell, w.code) for w in result.file_warnings] == [("E1", "unnamed_column")]


def test_the_users_mapping_reads_a_column_the_headers_do_not_name(context):
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault", "Carton #1"], ["HP", "M404", "HP1", "Jam", 4]])

    by_letter = read_file(data, "m.xlsx", mapping={"E": "box_number"}, context=context())
    by_header = read_file(data, "m.xlsx", mapping={"carton #1": "box_number"}, context=context())
    ignored = read_file(data, "m.xlsx", mapping={"Carton #1": ""}, context=context())

    for result in (by_letter, by_header):
        assert result.columns[4].field == "box_number" and result.columns[4].mapped
        assert result.rows[0].cleaned["box_number"] == 4 and result.file_warnings == []
    assert ignored.columns[4].field is None and ignored.file_warnings == []


def test_the_mapping_overrides_recognition(context):
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault", "Description"], ["HP", "M404", "HP1", "Jam", "Office"]])

    result = read_file(data, "m.xlsx", mapping={"D": "fault_description", "E": ""}, context=context())

    assert result.rows[0].cleaned["fault_description"] == "Jam"
    unknown = read_file(data, "m.xlsx", mapping={"E": "not_a_field"}, context=context())
    assert unknown.columns[4].field is None  # "Description" recognised, but D already holds the fault


def test_duplicate_serials_the_later_one_is_the_error(context):
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault"], ["HP", "A", "X1", "Jam"], ["HP", "B", "x1 ", "Jam"],
                       ["HP", "C", "X1", "Jam"]])

    result = read_file(data, "dupes.xlsx", context=context())

    assert [(p.cell, p.code) for p in result.problems] == [("C3", "duplicate_in_file"), ("C4", "duplicate_in_file")]
    assert all("row 2" in p.message for p in result.problems)


def csv_result(context, text: str, encoding: str = "utf-8", **options):
    return read_file(text.encode(encoding), "devices.csv", context=context(), **options)


def test_russian_csv_in_windows_1251_with_semicolons(context):
    text = ("Производитель;Модель;Серийный номер;Неисправность;Гарантия;Дата покупки\r\n"
            "Zebra;TC52;ZE1;Не включается;да;03.04.2024\r\nHP;M404;HP2;Замятие бумаги;нет;\r\n")

    result = csv_result(context, text, "cp1251")

    assert (result.encoding, result.delimiter) == ("cp1251", ";")
    assert [r.cleaned["fault_description"] for r in result.rows] == ["Не включается", "Замятие бумаги"]
    assert [r.cleaned["warranty_claimed"] for r in result.rows] == [True, False]


def test_utf8_csv_without_bom_with_commas_and_quotes(context):
    text = 'Make,Model,Serial,Fault\n"Zebra","TC52","0012","Screen, cracked"\n'

    result = csv_result(context, text)

    assert (result.encoding, result.delimiter) == ("utf-8", ",")
    assert result.rows[0].cleaned["serial_number"] == "0012"
    assert result.rows[0].cleaned["fault_description"] == "Screen, cracked"


def test_utf16_tab_separated_text_as_excel_saves_unicode_text(context):
    text = "\ufeffMake\tModel\tSerial\tFault\nZebra\tTC52\tZE1\tGlass\n"

    result = read_file(text.encode("utf-16-le"), "devices.txt", context=context())

    assert (result.encoding, result.delimiter, len(result.rows)) == ("utf-16", "\t", 1)


def test_csv_line_numbers_count_title_lines_blank_lines_and_multiline_values(context):
    text = ('Device list;;;\n\nMake;Model;Serial;Fault\nZebra;TC52;ZE1;"Two\nlines"\n\n'
            "Zebra;TC52;;Glass\n")

    result = csv_result(context, text)

    assert result.header_row == 3
    assert [r.row for r in result.rows] == [4, 7]
    assert [(p.cell, p.code) for p in result.problems] == [("C7", "missing")]


def test_excels_sep_line_names_the_delimiter(context):
    result = csv_result(context, "sep=,\nMake,Model,Serial,Fault\nZebra,TC52,ZE1,Glass\n")

    assert (result.delimiter, result.header_row, [r.row for r in result.rows]) == (",", 2, [3])


def test_formula_like_text_stays_text(context):
    result = csv_result(context, "Make;Model;Serial;Fault\n=HYPERLINK(\"x\");TC52;-12;@SUM(A1)\n")

    row = result.rows[0]
    assert (row.cleaned["manufacturer"], row.cleaned["serial_number"], row.cleaned["fault_description"]) == (
        '=HYPERLINK("x")', "-12", "@SUM(A1)")


def test_progress_is_reported_as_rows_are_read(context):
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault"], *[["HP", "M", f"S{n}", "Jam"] for n in range(2500)]])
    seen = []

    read_file(data, "big.xlsx", context=context(), progress=lambda done, total: seen.append((done, total)))

    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_a_column_without_header_can_be_mapped_by_its_letter(context):
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault"], ["HP", "M404", "HP1", "Jam", None, "3"]])

    before = read_file(data, "m.xlsx", context=context())
    after = read_file(data, "m.xlsx", mapping={"F": "box_number"}, context=context())

    assert [(w.cell, w.code) for w in before.file_warnings] == [("F1", "unnamed_column")]
    assert (after.columns[5].letter, after.columns[5].field, after.columns[5].header) == ("F", "box_number", "")
    assert after.rows[0].cleaned["box_number"] == 3 and after.file_warnings == []
