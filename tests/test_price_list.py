"""The price list and tax rates: saving, Decimal amounts, the workbook round trip and its refusals."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal import price_list, tax_rates
from portal.errors import DomainError
from portal.extensions import db
from portal.imports.result import FileRefused
from portal.models import ContractPrice, PriceItem, PriceItemKind, Role, TaxRate
from portal.tax_rates import Invalid, parse_decimal

pytestmark = pytest.mark.both_databases

HEADERS = ["Code", "Description", "Part or labour", "Unit price", "Unit cost", "Tax rate", "Stock (not imported)",
           "Active"]


@pytest.fixture
def vat(app):
    rate = tax_rates.save_tax_rate({"name": "VAT 23", "rate": "23", "is_active": True})
    db.session.commit()
    return rate


def item_data(vat, **overrides):
    return {"code": "BAT-01", "description": "Battery pack", "kind": "part", "unit_price": "49.90",
            "unit_cost": "21.00", "tax_rate_id": vat.id, "is_active": True, **overrides}


def workbook(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def all_items():
    db.session.expire_all()
    return {i.code: (i.description, i.kind, i.unit_price, i.unit_cost, i.tax_rate.name, i.stock, i.is_active)
            for i in db.session.scalars(select(PriceItem))}


# -- amounts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [("12", "12.00"), ("12.5", "12.50"), ("12,50", "12.50"),
                                         (" 1 234.10 ", "1234.10"), ("0", "0.00"), ("7.100", "7.10")])
def test_amounts_are_read_as_decimal(app, text, value):
    parsed = parse_decimal(text, maximum=price_list.MAX_AMOUNT)
    assert parsed == Decimal(value) and isinstance(parsed, Decimal)


@pytest.mark.parametrize("text, message", [
    ("12.345", "two decimal places"), ("-1", "not negative"), ("NaN", "like 12.50"), ("Infinity", "like 12.50"),
    ("1e3", "like 12.50"), ("abc", "like 12.50"), ("", "Fill in"), ("10000000000", "at most")])
def test_bad_amounts_are_refused_with_a_reason(app, text, message):
    with pytest.raises(DomainError, match=message):
        parse_decimal(text, maximum=price_list.MAX_AMOUNT)


def test_a_float_is_never_an_amount(app):
    with pytest.raises(TypeError):
        parse_decimal(12.5, maximum=price_list.MAX_AMOUNT)


# -- items --------------------------------------------------------------------------------------

def test_an_item_is_saved_with_decimal_prices(vat):
    item = price_list.save_item(item_data(vat))
    db.session.commit()
    db.session.expire_all()
    assert (item.code, item.kind, item.unit_price, item.unit_cost, item.stock) == (
        "BAT-01", PriceItemKind.PART, Decimal("49.90"), Decimal("21.00"), 0)


def test_every_bad_field_is_named_and_nothing_is_saved(vat):
    price_list.save_item(item_data(vat))
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        price_list.save_item(item_data(vat, code="bat-01", description="", unit_price="1.999", unit_cost="-2",
                                       kind="gift", tax_rate_id=None))
    db.session.rollback()
    assert set(refused.value.errors) == {"code", "description", "unit_price", "unit_cost", "kind", "tax_rate_id"}
    assert "BAT-01" in refused.value.errors["code"]
    assert db.session.scalar(select(func.count()).select_from(PriceItem)) == 1


def test_a_part_with_stock_stays_a_part(vat):
    item = price_list.save_item(item_data(vat))
    item.stock = 3
    with pytest.raises(Invalid) as refused:
        price_list.save_item(item_data(vat, kind="labour"), item)
    assert "3 in stock" in refused.value.errors["kind"]


def test_search_finds_code_or_description_in_any_case(vat):
    price_list.save_item(item_data(vat))
    price_list.save_item(item_data(vat, code="LAB-10", description="Screen replacement 100%", kind="labour"))
    found = lambda q: [i.code for i in db.session.scalars(price_list.search_items(q))]  # noqa: E731
    assert found("bat") == ["BAT-01"]
    assert found("SCREEN") == ["LAB-10"]
    assert found("100%") == ["LAB-10"] and found("%") == ["LAB-10"]
    assert found("") == ["BAT-01", "LAB-10"]


def test_labour_has_no_stock_to_receive(vat, make_staff):
    labour = price_list.save_item(item_data(vat, code="LAB-1", kind="labour"))
    with pytest.raises(DomainError, match="labour"):
        price_list.receive_parts(labour, 2, actor=make_staff(Role.ADMIN))


# -- tax rates -----------------------------------------------------------------------------------

def test_a_tax_rate_is_a_percentage_from_0_to_100(app):
    with pytest.raises(Invalid) as refused:
        tax_rates.save_tax_rate({"name": "Too much", "rate": "100.01", "is_active": True})
    assert "0 to 100" in refused.value.errors["rate"]
    rate = tax_rates.save_tax_rate({"name": "Reduced", "rate": "8,5", "is_active": True})
    assert rate.rate == Decimal("8.50")


def test_only_one_active_reverse_charge_rate_and_it_is_zero_with_a_note(app):
    with pytest.raises(Invalid) as refused:
        tax_rates.save_tax_rate({"name": "RC", "rate": "5", "is_reverse_charge": True, "is_active": True})
    assert set(refused.value.errors) == {"rate", "legal_note"}
    first = tax_rates.save_tax_rate({"name": "RC", "rate": "0", "legal_note": "Reverse charge",
                                     "is_reverse_charge": True, "is_active": True})
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        tax_rates.save_tax_rate({"name": "RC 2", "rate": "0", "legal_note": "Reverse charge",
                                 "is_reverse_charge": True, "is_active": True})
    assert "RC" in refused.value.errors["is_reverse_charge"]
    db.session.rollback()
    tax_rates.save_tax_rate({"name": "RC", "rate": "0", "legal_note": "Reverse charge", "is_reverse_charge": True,
                             "is_active": False}, first)
    tax_rates.save_tax_rate({"name": "RC 2", "rate": "0", "legal_note": "Reverse charge",
                             "is_reverse_charge": True, "is_active": True})
    assert db.session.scalar(select(func.count()).select_from(TaxRate).where(
        TaxRate.is_reverse_charge.is_(True), TaxRate.is_active.is_(True))) == 1


def test_a_rate_in_use_stays_active_and_names_are_unique(vat):
    price_list.save_item(item_data(vat))
    with pytest.raises(Invalid) as refused:
        tax_rates.save_tax_rate({"name": "VAT 23", "rate": "23", "is_active": False}, vat)
    assert "1 active price items" in refused.value.errors["is_active"]
    with pytest.raises(Invalid) as refused:
        tax_rates.save_tax_rate({"name": "vat 23", "rate": "23", "is_active": True})
    assert "exists already" in refused.value.errors["name"]


# -- contract prices ----------------------------------------------------------------------------------

def test_contract_discount_and_prices(vat, make_company):
    company = make_company().company
    item = price_list.save_item(item_data(vat))
    assert price_list.set_contract_discount(company, "12.5") == Decimal("12.50")
    with pytest.raises(DomainError) as refused:
        price_list.set_contract_discount(company, "101")
    assert refused.value.field == "discount"
    price = price_list.set_contract_price(company, item, "40")
    price_list.set_contract_price(company, item, "39.99")
    db.session.commit()
    assert [(p.price_item.code, p.unit_price) for p in price_list.contract_prices(company)] == [
        ("BAT-01", Decimal("39.99"))]
    price_list.remove_contract_price(price)
    assert db.session.scalar(select(func.count()).select_from(ContractPrice)) == 0


# -- the workbook -----------------------------------------------------------------------------------

def test_export_then_import_changes_nothing(vat):
    price_list.save_item(item_data(vat))
    labour = price_list.save_item(item_data(vat, code="LAB-1", kind="labour", description="One hour",
                                            unit_price="80", unit_cost=""))
    price_list.set_item_active(labour, False)
    db.session.commit()
    before = all_items()
    summary = price_list.import_workbook(price_list.export_workbook())
    db.session.commit()
    assert summary.ok and summary.added == [] and summary.updated == [] and summary.unchanged == 2
    assert all_items() == before


def test_import_adds_new_codes_updates_existing_and_never_touches_stock(vat):
    item = price_list.save_item(item_data(vat))
    item.stock = 7
    db.session.commit()
    summary = price_list.import_workbook(workbook([
        ["BAT-01", "Battery pack, long life", "Part", "55.00", 22, "VAT 23", 999, "yes"],
        ["LAB-1", "Diagnosis hour", "labour", 80, None, "vat 23", None, None],
    ]))
    db.session.commit()
    assert summary.ok and summary.added == ["LAB-1"] and summary.updated == ["BAT-01"]
    items = all_items()
    assert items["BAT-01"] == ("Battery pack, long life", PriceItemKind.PART, Decimal("55.00"), Decimal("22.00"),
                               "VAT 23", 7, True)
    assert items["LAB-1"][1:4] == (PriceItemKind.LABOUR, Decimal("80.00"), Decimal("0.00"))


def test_a_bad_row_is_reported_by_row_and_column_and_nothing_changes(vat):
    price_list.save_item(item_data(vat))
    db.session.commit()
    before = all_items()
    summary = price_list.import_workbook(workbook([
        ["BAT-01", "Changed", "part", "50", "1", "VAT 23", None, "yes"],
        ["NEW-1", "Fine row", "part", "10", "1", "VAT 23", None, "yes"],
        ["NEW-2", "", "gadget", "12.345", "-1", "VAT 99", None, "maybe"],
        ["NEW-1", "Twice", "part", 1.1, "1", "VAT 23", None, ""],
    ]))
    db.session.rollback()
    assert not summary.ok
    found = {(p.row, p.column.split(" ")[0], p.value) for p in summary.problems}
    assert found == {(4, "B", ""), (4, "C", "gadget"), (4, "D", "12.345"), (4, "E", "-1"), (4, "F", "VAT 99"),
                     (4, "H", "maybe"), (5, "A", "NEW-1")}
    reasons = {p.column.split(" ")[0]: p.reason for p in summary.problems if p.row == 4}
    assert "two decimal places" in reasons["D"] and "VAT 23" in reasons["F"]
    assert "row 3" in next(p.reason for p in summary.problems if p.row == 5)
    assert str(summary.problems[0]).startswith("Row 4, column B (Description)")
    assert all_items() == before


@pytest.mark.parametrize("content, code", [
    (b"code;description\nA;B\n", "not_a_spreadsheet"),
    (b"", "empty"),
])
def test_a_file_that_is_no_workbook_is_refused(app, content, code):
    with pytest.raises(FileRefused) as refused:
        price_list.import_workbook(content)
    assert refused.value.code == code


def test_a_workbook_without_the_columns_is_refused(vat):
    with pytest.raises(FileRefused, match="Unit price"):
        price_list.import_workbook(workbook([["A", "B"]], headers=["Code", "Description"]))


def test_text_that_looks_like_a_formula_is_exported_as_text(vat):
    price_list.save_item(item_data(vat, code="=1+1", description='=HYPERLINK("http://evil.example","x")'))
    price_list.save_item(item_data(vat, code="@SUM", description="+cmd|' /C calc'!A0"))
    book = load_workbook(io.BytesIO(price_list.export_workbook()))
    sheet = book.active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row[:2]]
    assert {c.value for c in cells} >= {"=1+1", '=HYPERLINK("http://evil.example","x")', "@SUM"}
    assert all(c.data_type == "s" for c in cells)
    summary = price_list.import_workbook(price_list.export_workbook())
    assert summary.ok and summary.unchanged == 2
