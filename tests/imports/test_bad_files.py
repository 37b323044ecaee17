"""Files we refuse, each made here and refused with a message that says what to do."""

from __future__ import annotations

import io
import zipfile

import pytest

from portal.imports import FileRefused, read_file
from portal.imports import xlsx as workbook_checks
from tests.imports.conftest import compound_file, replace_part, xlsx_bytes

HEADER = ["Manufacturer", "Model", "Serial number", "Fault description"]


def device_rows(count: int, start: int = 1) -> list[list]:
    return [["Zebra", "TC52", f"SN{n:06d}", "Screen cracked"] for n in range(start, start + count)]


def refused(data: bytes, context, filename: str = "devices.xlsx", **limits) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        read_file(data, filename, context=context(**limits))
    return caught.value


def test_a_legacy_xls_is_refused_with_how_to_save_it_as_xlsx(context):
    error = refused(compound_file(["Workbook", "\x05SummaryInformation"]), context, "devices.xls")

    assert error.code == "xls"
    assert "save it as .xlsx" in error.message and "File > Save As > Excel Workbook" in error.message


def test_a_password_protected_workbook_is_told_apart_from_xls(context):
    error = refused(compound_file(["EncryptionInfo", "EncryptedPackage"]), context)

    assert error.code == "encrypted"
    assert "password" in error.message


def test_another_ole2_file_is_not_a_spreadsheet(context):
    assert refused(compound_file(["WordDocument"]), context, "devices.xlsx").code == "not_a_spreadsheet"


@pytest.mark.parametrize("content", [
    b"Dear customer,\nplease find our devices attached.\n",
    b"\x89PNG\r\n\x1a\n" + bytes(200),
    b"%PDF-1.7\n" + bytes(100),
    bytes(range(256)) * 4,
])
def test_a_file_that_is_not_a_spreadsheet_is_refused_whatever_its_name(context, content):
    error = refused(content, context, "devices.xlsx")

    assert error.code == "not_a_spreadsheet"
    assert "not a spreadsheet" in error.message


def test_a_web_page_named_xls_is_refused_with_a_way_out(context):
    error = refused(b"<html><body><table><tr><td>Make</td></tr></table></body></html>", context, "export.xls")

    assert error.code == "not_a_spreadsheet" and ".xlsx" in error.message


def test_a_zip_that_is_not_a_workbook_is_refused(context):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert refused(buffer.getvalue(), context).code == "not_a_spreadsheet"


def test_an_opendocument_spreadsheet_is_refused_with_how_to_save_it(context):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    error = refused(buffer.getvalue(), context, "devices.ods")

    assert error.code == "ods" and ".xlsx" in error.message


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(context, content):
    error = refused(content, context, "devices.csv")

    assert (error.code, error.message) == ("empty", "The file is empty.")


def test_a_workbook_with_empty_sheets_is_refused(context):
    error = refused(xlsx_bytes([], more_sheets={"Other": []}), context)

    assert error.code == "empty" and "empty" in error.message


def test_a_sheet_without_a_recognisable_header_is_refused(context):
    error = refused(xlsx_bytes([["Name", "Price"], ["Chair", 12]]), context)

    assert error.code == "no_header"
    assert "header row" in error.message and "Serial number" in error.message


def test_a_csv_without_a_recognisable_header_is_refused(context):
    assert refused(b"name;price\nchair;12\n", context, "devices.csv").code == "no_header"


def test_a_damaged_workbook_is_refused(context):
    data = xlsx_bytes([HEADER, *device_rows(3)])

    error = refused(data[: len(data) // 2], context)

    assert error.code == "corrupt" and "damaged" in error.message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(context):
    data = xlsx_bytes([HEADER, *device_rows(50)])

    error = refused(data, context, max_bytes=len(data) - 1)

    assert error.code == "too_large"
    assert "MB" in error.message


@pytest.mark.parametrize("count", [6, 200])  # read to the limit; refused by the sheet's size before parsing
def test_a_workbook_over_the_row_limit_is_refused(context, count):
    error = refused(xlsx_bytes([HEADER, *device_rows(count)]), context, max_rows=5)

    assert error.code == "too_many_rows"
    assert "at most 5 devices" in error.message


def test_a_sheet_with_too_many_rows_is_refused_before_calamine_parses_it(context):
    data = xlsx_bytes([HEADER, *device_rows(200)])

    with pytest.raises(FileRefused) as caught:
        workbook_checks.inspect(data, workbook_checks.Limits(max_rows=5, max_bytes=20 << 20))
    assert caught.value.code == "too_many_rows"


def test_a_csv_over_the_row_limit_is_refused(context):
    lines = ["Manufacturer;Model;Serial number;Fault description"]
    lines += [f"Zebra;TC52;SN{n:06d};Screen cracked" for n in range(6)]

    error = refused("\n".join(lines).encode(), context, "devices.csv", max_rows=5)

    assert error.code == "too_many_rows"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(context):
    data = replace_part(xlsx_bytes([HEADER, *device_rows(2)]), "xl/media/padding.xml", lambda _old: b" " * (30 << 20))

    error = refused(data, context)

    assert error.code == "zip_bomb"
    assert "unpacks" in error.message


def test_a_sheet_declaring_a_huge_dimension_is_refused(context):
    data = replace_part(xlsx_bytes([HEADER, *device_rows(2)]), "xl/worksheets/sheet1.xml",
                        lambda old: old.replace(b'<dimension ref="A1:D3"', b'<dimension ref="A1:XFD1048576"'))

    error = refused(data, context)

    assert error.code == "too_large_sheet"
    assert "XFD1048576" in error.message


def test_a_sheet_whose_cells_reach_far_is_refused_even_without_a_dimension(context):
    def far_cell(old: bytes) -> bytes:
        old = old.replace(b'<dimension ref="A1:D3" />', b"")
        return old.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is>'
                                            b"</c></row></sheetData>")

    data = replace_part(xlsx_bytes([HEADER, *device_rows(2)]), "xl/worksheets/sheet1.xml", far_cell)
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    assert refused(data, context).code == "too_large_sheet"


def test_a_sheet_reaching_far_to_the_right_is_refused(context):
    data = replace_part(xlsx_bytes([HEADER, *device_rows(2)]), "xl/worksheets/sheet1.xml",
                        lambda old: old.replace(b'<dimension ref="A1:D3" />', b"").replace(
                            b"</sheetData>", b'<row r="4"><c r="XFD4" t="inlineStr"><is><t>x</t></is></c></row>'
                                             b"</sheetData>"))

    assert refused(data, context).code == "too_large_sheet"


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_xml_with_entity_declarations_is_refused(context, part):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>')

    data = replace_part(xlsx_bytes([HEADER, *device_rows(2)]), part,
                        lambda old: laughs + old.split(b"?>", 1)[1] if old.startswith(b"<?xml") else laughs + old)

    error = refused(data, context)
    assert error.code == "unsafe_xml"
    assert "DOCTYPE" in error.message


def test_a_utf16_part_with_a_doctype_is_refused_too(context):
    data = replace_part(xlsx_bytes([HEADER, *device_rows(2)]), "xl/styles.xml",
                        lambda old: '<!DOCTYPE x [<!ENTITY a "b">]>'.encode("utf-16-le") + old)

    assert refused(data, context).code == "unsafe_xml"


def test_a_refused_file_changes_nothing_in_the_database(app, context, make_company, make_order):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.imports import context_for
    from portal.models import Device, ImportBatch

    user = make_company()
    make_order(user, devices=2)
    before = db.session.scalar(select(func.count()).select_from(Device))

    with pytest.raises(FileRefused):
        read_file(compound_file(["Workbook"]), "old.xls", context=context_for(user.company))

    assert db.session.scalar(select(func.count()).select_from(Device)) == before
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
