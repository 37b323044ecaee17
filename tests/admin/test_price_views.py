"""The price list, tax rates and contract prices over HTTP: who may, what changes, what is refused."""

import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from portal import price_list, tax_rates, workflow
from portal.extensions import db
from portal.models import (
    ContractPrice,
    DeviceStatus,
    PartReservation,
    PriceItem,
    ReservationState,
    Role,
    TaxRate,
)


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def vat(app):
    rate = tax_rates.save_tax_rate({"name": "VAT 23", "rate": "23", "is_active": True})
    db.session.commit()
    return rate


@pytest.fixture
def battery(vat):
    item = price_list.save_item({"code": "BAT-01", "description": "Battery pack", "kind": "part",
                                 "unit_price": "49.90", "unit_cost": "21", "tax_rate_id": vat.id})
    db.session.commit()
    return item


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def item_form(vat, **overrides):
    return {"code": "LAB-1", "description": "Labour hour", "kind": "labour", "unit_price": "80.00",
            "unit_cost": "", "tax_rate_id": str(vat.id), "is_active": "y", **overrides}


def test_admin_lists_searches_and_adds_an_item(client, login, admin, battery, vat):
    login(admin)
    page = client.get("/admin/price-list").get_data(as_text=True)
    assert "BAT-01" in page and "49.90" in page
    assert "BAT-01" not in client.get("/admin/price-list?q=labour").get_data(as_text=True)
    response = client.post("/admin/price-list/new", data=item_form(vat))
    assert response.status_code == 302 and response.location.endswith("/admin/price-list")
    item = db.session.scalar(select(PriceItem).where(PriceItem.code == "LAB-1"))
    assert item.unit_price == Decimal("80.00") and item.unit_cost == Decimal("0.00")


def test_bad_values_are_shown_beside_their_fields_and_kept(client, login, admin, battery, vat):
    login(admin)
    response = client.post("/admin/price-list/new", data=item_form(vat, code="bat-01", unit_price="12.345",
                                                                     unit_cost="-3"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="unit_price-error">[^<]*two decimal places', page)
    assert re.search(r'id="unit_cost-error">[^<]*not negative', page)
    assert 'value="12.345"' in page and 'value="bat-01"' in page
    # the shape was right for the code, so the domain checked it after the amounts were fixed
    page = client.post("/admin/price-list/new", data=item_form(vat, code="bat-01")).get_data(as_text=True)
    assert re.search(r'id="code-error">[^<]*BAT-01[^<]*already', page)
    assert db.session.scalar(select(func.count()).select_from(PriceItem)) == 1


def test_an_item_is_deactivated_never_deleted(client, login, admin, battery):
    login(admin)
    assert client.post(f"/admin/price-list/{battery.id}/active").status_code == 302
    assert fresh(battery).is_active is False
    assert "Inactive" in client.get("/admin/price-list").get_data(as_text=True)


def _waiting_device(make_company, make_order, make_staff, take_photos, item):
    owner = make_company()
    device = make_order(owner, devices=1).devices[0]
    take_photos(device, "intake")
    tech = make_staff(Role.TECHNICIAN)
    device.technician_id = tech.id
    workflow.move(device, DeviceStatus.RECEIVED, actor=make_staff(Role.RECEIVING))
    for status in (DeviceStatus.DIAGNOSIS, DeviceStatus.REPAIR, DeviceStatus.WAITING_FOR_PARTS):
        workflow.move(device, status, actor=tech)
    db.session.add(PartReservation(device_id=device.id, price_item_id=item.id, quantity=1,
                                   state=ReservationState.WAITING))
    db.session.commit()
    return device


def test_receiving_parts_releases_the_waiting_devices(client, login, admin, battery, make_company, make_order,
                                                      make_staff, take_photos):
    device = _waiting_device(make_company, make_order, make_staff, take_photos, battery)
    login(admin)
    assert device.tag_code in client.get(f"/admin/price-list/{battery.id}").get_data(as_text=True)
    response = client.post(f"/admin/price-list/{battery.id}/receive", data={"quantity": "3"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Released to repair" in page and device.tag_code in page
    assert fresh(device).status == DeviceStatus.REPAIR
    assert fresh(battery).stock == 2


def test_receiving_a_bad_quantity_changes_nothing(client, login, admin, battery):
    login(admin)
    response = client.post(f"/admin/price-list/{battery.id}/receive", data={"quantity": "0"})
    assert response.status_code == 400 and "1 to 100,000" in response.get_data(as_text=True)
    assert fresh(battery).stock == 0


def test_export_and_import_over_http(client, login, admin, battery):
    login(admin)
    response = client.get("/admin/price-list.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    content = response.data
    response = client.post("/admin/price-list/import", data={"file": (io.BytesIO(content), "price-list.xlsx")})
    assert response.status_code == 302


def test_an_import_with_a_bad_row_lists_it_and_changes_nothing(client, login, admin, battery):
    book = Workbook()
    book.active.append(["Code", "Description", "Part or labour", "Unit price", "Tax rate"])
    book.active.append(["BAT-01", "Changed", "part", "50", "VAT 23"])
    book.active.append(["NEW", "New", "part", "NaN", "VAT 23"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    login(admin)
    response = client.post("/admin/price-list/import", data={"file": (buffer, "p.xlsx")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "nothing was changed" in page
    assert re.search(r">3</td>.*?D \(Unit price\).*?NaN.*?like 12.50", page, re.S)
    assert fresh(battery).description == "Battery pack"
    assert db.session.scalar(select(func.count()).select_from(PriceItem)) == 1


def test_a_file_that_is_no_workbook_is_refused_beside_the_field(client, login, admin):
    login(admin)
    response = client.post("/admin/price-list/import", data={"file": (io.BytesIO(b"a,b\n1,2"), "p.xlsx")})
    assert response.status_code == 400
    assert re.search(r'id="file-error">[^<]*not an Excel workbook', response.get_data(as_text=True))


def test_tax_rates_are_added_and_edited(client, login, admin):
    login(admin)
    response = client.post("/admin/tax-rates", data={"name": "Reverse charge", "rate": "0", "legal_note": "RC",
                                                      "is_reverse_charge": "y", "is_active": "y"})
    assert response.status_code == 302
    rate = db.session.scalar(select(TaxRate))
    page = client.post("/admin/tax-rates", data={"name": "RC 2", "rate": "0", "legal_note": "RC",
                                                 "is_reverse_charge": "y", "is_active": "y"}).get_data(as_text=True)
    assert re.search(r'id="is_reverse_charge-error">[^<]*only one active', page)
    response = client.post(f"/admin/tax-rates/{rate.id}", data={"name": "Reverse charge EU", "rate": "0,00",
                                                                "legal_note": "RC", "is_reverse_charge": "y",
                                                                "is_active": "y"})
    assert response.status_code == 302 and fresh(rate).name == "Reverse charge EU"
    assert db.session.scalar(select(func.count()).select_from(TaxRate)) == 1


def test_contract_prices_for_a_company(client, login, make_staff, make_company, battery):
    company = make_company().company
    login(make_staff(Role.ACCOUNT_MANAGER))
    assert client.get(f"/admin/companies/{company.id}/pricing").status_code == 200
    assert client.post(f"/admin/companies/{company.id}/pricing/discount", data={"discount": "7.5"}).status_code == 302
    assert fresh(company).contract_discount == Decimal("7.50")
    response = client.post(f"/admin/companies/{company.id}/pricing/discount", data={"discount": "-1"})
    assert response.status_code == 400 and fresh(company).contract_discount == Decimal("7.50")
    response = client.post(f"/admin/companies/{company.id}/pricing/prices",
                           data={"price_item_id": str(battery.id), "unit_price": "39.99"})
    assert response.status_code == 302
    price = db.session.scalar(select(ContractPrice))
    assert price.unit_price == Decimal("39.99")
    assert "39.99" in client.get(f"/admin/companies/{company.id}/pricing").get_data(as_text=True)
    other = make_company().company
    assert client.post(f"/admin/companies/{other.id}/pricing/prices/{price.id}/remove").status_code == 404
    assert client.post(f"/admin/companies/{company.id}/pricing/prices/{price.id}/remove").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ContractPrice)) == 0


def test_customer_care_may_not_set_contract_prices(client, login, make_staff, make_company):
    company = make_company().company
    login(make_staff(Role.CUSTOMER_CARE))
    assert client.get(f"/admin/companies/{company.id}/pricing").status_code == 403
    assert client.post(f"/admin/companies/{company.id}/pricing/discount", data={"discount": "50"}).status_code == 403


@pytest.mark.parametrize("roles", [(Role.ACCOUNT_MANAGER,), (Role.CUSTOMER_CARE,)])
def test_only_admins_keep_the_price_list(client, login, make_staff, battery, vat, roles):
    login(make_staff(*roles))
    for url in ("/admin/price-list", f"/admin/price-list/{battery.id}", "/admin/tax-rates", "/admin/price-list.xlsx"):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/price-list/new", data=item_form(vat)).status_code == 403
    assert client.post(f"/admin/price-list/{battery.id}/receive", data={"quantity": "5"}).status_code == 403
    assert fresh(battery).stock == 0


def test_a_customer_gets_403(client, login, make_company, battery):
    login(make_company())
    for url in ("/admin/price-list", f"/admin/price-list/{battery.id}", "/admin/tax-rates"):
        assert client.get(url).status_code == 403


def test_every_form_carries_a_csrf_token(app, client, login, admin, battery, make_company):
    company = make_company().company
    login(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    for url in ("/admin/price-list", f"/admin/price-list/{battery.id}", "/admin/price-list/new", "/admin/tax-rates",
                f"/admin/companies/{company.id}/pricing"):
        page = client.get(url).get_data(as_text=True)
        forms = re.findall(r'<form method="post".*?</form>', page, re.S)
        assert forms, url
        assert all('name="csrf_token"' in form for form in forms), url
