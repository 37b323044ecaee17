"""The customer's order pages: the form and its draft, the list, documents, export, and scoping."""

import io

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import DeviceStatus, Order, OrderState

FORM_ROW = {
    "devices-0-manufacturer": "Zebra", "devices-0-model": "TC52", "devices-0-serial_number": "S-100",
    "devices-0-fault_description": "Does not charge", "devices-0-category_id": "",
}


def order_form(order, **overrides):
    data = {"return_address_id": str(order.return_address_id), "contact_name": "Olga", "service_level": "standard",
            "box_count": "1", **FORM_ROW}
    return {**data, **overrides}


def new_draft(client):
    response = client.post("/orders/new")
    assert response.status_code == 302
    return db.session.get(Order, int(response.headers["Location"].split("/")[-2]))


def test_submit_from_the_form_registers_the_devices(client, login, make_company):
    owner = make_company()
    login(owner)
    draft = new_draft(client)
    data = order_form(draft, **{"devices-1-manufacturer": "Honeywell", "devices-1-model": "CT60",
                               "devices-1-serial_number": "S-200", "devices-1-fault_description": "Keys",
                               "action": "submit"})
    response = client.post(f"/orders/{draft.id}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/orders/{draft.id}")
    db.session.refresh(draft)
    assert draft.state == OrderState.SUBMITTED
    assert [d.serial_number for d in draft.devices] == ["S-100", "S-200"]
    page = client.get(f"/orders/{draft.id}").get_data(as_text=True)
    assert draft.number in page and draft.devices[0].tag_code in page


def test_invalid_fields_are_named_and_everything_typed_is_kept(client, login, make_company):
    owner = make_company()
    login(owner)
    draft = new_draft(client)
    data = order_form(draft, **{"devices-0-serial_number": "", "devices-0-purchase_date": "2024-13-45",
                               "devices-0-asset_tag": "ASSET-7", "devices-0-warranty_claimed": "y",
                               "action": "submit"})
    response = client.post(f"/orders/{draft.id}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Fill in this field." in page and "Not a valid date value." in page
    assert 'value="ASSET-7"' in page and 'value="2024-13-45"' in page
    db.session.refresh(draft)
    assert draft.state == OrderState.DRAFT and draft.draft["devices-0-asset_tag"] == "ASSET-7"


def test_a_draft_survives_and_opens_again_in_another_browser(app, client, login, make_company):
    owner = make_company()
    login(owner)
    draft = new_draft(client)
    response = client.post(f"/orders/{draft.id}/draft", data=order_form(draft, **{"devices-0-model": "TC-77"}))
    assert response.status_code == 200 and response.json["saved_at"]
    other_browser = app.test_client()
    other_browser.post("/login", data={"email": owner.email, "password": "correct-horse-battery"})
    page = other_browser.get(f"/orders/{draft.id}/edit").get_data(as_text=True)
    assert 'value="TC-77"' in page


def test_rows_are_added_and_removed_without_javascript(client, login, make_company):
    owner = make_company()
    login(owner)
    draft = new_draft(client)
    page = client.post(f"/orders/{draft.id}/edit", data=order_form(draft, action="add_row")).get_data(as_text=True)
    assert 'name="devices-1-serial_number"' in page
    typed = order_form(draft, **{"devices-1-serial_number": "SECOND", "action": "remove:0"})
    page = client.post(f"/orders/{draft.id}/edit", data=typed).get_data(as_text=True)
    assert 'name="devices-0-serial_number" type="text" value="SECOND"' in page or 'value="SECOND"' in page
    assert 'value="S-100"' not in page


def test_a_colleague_without_rights_sees_only_own_orders(client, login, make_company, make_user, make_order):
    owner = make_company()
    theirs = make_order(owner)
    own_only = make_user(owner.company)
    mine = make_order(own_only)
    login(own_only)
    page = client.get("/orders").get_data(as_text=True)
    assert mine.number in page and theirs.number not in page
    assert client.get(f"/orders/{theirs.id}").status_code == 404
    assert client.get(f"/orders/{theirs.id}/logistics.pdf").status_code == 404


@pytest.mark.parametrize("path", ["/orders/{id}", "/orders/{id}/edit", "/orders/{id}/logistics.pdf",
                                  "/orders/{id}/tags-62mm.pdf", "/orders/{id}/tags-a4.pdf"])
def test_another_companys_user_gets_404(client, login, make_company, make_order, path):
    order = make_order(make_company())
    login(make_company())
    assert client.get(path.format(id=order.id)).status_code == 404
    assert client.post(f"/orders/{order.id}/cancel").status_code == 404


def test_list_search_by_serial_asset_tag_and_number_and_filter_by_status(client, login, make_company, make_order):
    owner = make_company()
    first, second = make_order(owner), make_order(owner)
    login(owner)
    serial = first.devices[1].serial_number
    assert first.number in client.get(f"/orders?q={serial}").get_data(as_text=True)
    assert second.number not in client.get(f"/orders?q={serial}").get_data(as_text=True)
    assert second.number in client.get(f"/orders?q={second.devices[0].asset_tag}").get_data(as_text=True)
    assert second.number in client.get(f"/orders?q={second.number.lower()}").get_data(as_text=True)
    page = client.get("/orders?status=received").get_data(as_text=True)
    assert first.number not in page and "No orders match." in page


def test_export_lists_the_devices_and_never_writes_formulas(client, login, make_company, make_order):
    from tests.conftest import device_row

    owner = make_company()
    make_order(owner, rows=[device_row(1, fault_description="=HYPERLINK(\"http://evil\")")])
    login(owner)
    response = client.get("/orders/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Order" and len(rows) == 2
    cell = sheet.cell(row=2, column=13)
    assert cell.value == "=HYPERLINK(\"http://evil\")" and cell.data_type == "s"


def test_cancel_before_receipt_and_parcel_details(client, login, make_company, make_order):
    owner = make_company()
    order = make_order(owner)
    login(owner)
    client.post(f"/orders/{order.id}/parcel", data={"inbound_carrier": "DPD", "inbound_tracking": "0123456789"})
    assert "0123456789" in client.get(f"/orders/{order.id}").get_data(as_text=True)
    client.post(f"/orders/{order.id}/cancel")
    db.session.refresh(order)
    assert order.state == OrderState.CANCELLED
    assert {d.status for d in order.devices} == {DeviceStatus.CANCELLED}


def test_logistics_pdf_downloads_for_the_owner(client, login, make_company, make_order):
    owner = make_company()
    order = make_order(owner)
    login(owner)
    response = client.get(f"/orders/{order.id}/logistics.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_the_export_holds_only_what_the_user_may_see(client, login, make_company, make_user, make_order):
    owner = make_company()
    theirs = make_order(owner)
    own_only = make_user(owner.company)
    mine = make_order(own_only)
    outsider = make_company()
    make_order(outsider)
    for user, expected in ((own_only, {mine.number}), (outsider, None)):
        login(user)
        sheet = load_workbook(io.BytesIO(client.get("/orders/export.xlsx").data)).active
        numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert theirs.number not in numbers
        if expected:
            assert numbers == expected
