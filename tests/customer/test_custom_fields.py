"""The admins' custom fields as customers meet them: the order form, the pages, the export, the import."""

import io

from openpyxl import load_workbook
from sqlalchemy import select

from portal import custom_fields
from portal.extensions import db
from portal.models import CustomFieldKind, CustomFieldTarget, ImportBatch, Order, OrderState
from tests.customer.test_orders import new_draft, order_form
from tests.test_custom_fields import add_field, sheet_bytes


def fields():
    return (add_field(CustomFieldTarget.ORDER, "Cost centre", CustomFieldKind.TEXT, required=True),
            add_field(CustomFieldTarget.DEVICE, "Site", CustomFieldKind.CHOICE, "Warsaw\nKraków"),
            add_field(CustomFieldTarget.DEVICE, "Book value", CustomFieldKind.NUMBER))


def test_the_order_form_asks_the_fields_refuses_bad_values_and_keeps_what_was_typed(client, login, make_company):
    cost_centre, site, value = fields()
    owner = make_company()
    login(owner)
    draft = new_draft(client)
    page = client.get(f"/orders/{draft.id}/edit").get_data(as_text=True)
    assert "Cost centre" in page and "Site" in page and '<option value="Kraków">Kraków</option>' in page
    data = order_form(draft, **{f"devices-0-{value.key}": "a lot", f"devices-0-{site.key}": "Kraków",
                               "action": "submit"})
    response = client.post(f"/orders/{draft.id}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Fill in this field." in page and "Not a number: write it like 1250 or 12.5." in page
    assert 'value="a lot"' in page and '<option selected value="Kraków">' in page
    db.session.refresh(draft)
    assert draft.state == OrderState.DRAFT and draft.draft[f"devices-0-{value.key}"] == "a lot"

    data.update({cost_centre.key: "CC-4711", f"devices-0-{value.key}": "1 250,5"})
    response = client.post(f"/orders/{draft.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(draft)
    assert draft.custom_values == {str(cost_centre.id): "CC-4711"}
    assert draft.devices[0].custom_values == {str(site.id): "Kraków", str(value.id): "1250.5"}
    page = client.get(f"/orders/{draft.id}").get_data(as_text=True)
    assert "CC-4711" in page and "Kraków" in page and "1,250.5" in page
    page = client.get(f"/devices/{draft.devices[0].id}").get_data(as_text=True)
    assert "Book value" in page and "1,250.5" in page and "CC-4711" in page


def test_changing_a_submitted_order_shows_and_keeps_its_values(client, login, make_company):
    cost_centre, site, _value = fields()
    owner = make_company()
    login(owner)
    draft = new_draft(client)
    data = order_form(draft, **{cost_centre.key: "CC-1", f"devices-0-{site.key}": "Warsaw", "action": "submit"})
    assert client.post(f"/orders/{draft.id}/edit", data=data).status_code == 302
    page = client.get(f"/orders/{draft.id}/edit").get_data(as_text=True)
    assert 'value="CC-1"' in page and '<option selected value="Warsaw">' in page
    site.is_active = False  # taken out of use: no longer asked, the value given stays
    db.session.commit()
    data = order_form(draft, **{cost_centre.key: "CC-2", "devices-0-id": str(draft.devices[0].id),
                                "action": "save"})
    assert client.post(f"/orders/{draft.id}/edit", data=data).status_code == 302
    db.session.refresh(draft)
    assert draft.custom_values == {str(cost_centre.id): "CC-2"}
    assert draft.devices[0].custom_values == {str(site.id): "Warsaw"}
    assert "Warsaw" in client.get(f"/orders/{draft.id}").get_data(as_text=True)


def test_the_export_has_a_column_per_field_with_numbers_as_numbers_and_no_formulas(
        client, login, make_company, make_order):
    cost_centre, site, value = fields()
    owner = make_company()
    order = make_order(owner, devices=1)
    order.custom_values = {str(cost_centre.id): "=1+2"}
    order.devices[0].custom_values = {str(site.id): "Warsaw", str(value.id): "12.50"}
    db.session.commit()
    login(owner)
    sheet = load_workbook(io.BytesIO(client.get("/orders/export.xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-3:] == ("Cost centre", "Site", "Book value")
    assert rows[1][-3:] == ("=1+2", "Warsaw", 12.5)
    assert sheet.cell(row=2, column=len(rows[0]) - 2).data_type == "s"


def test_an_imported_file_fills_the_fields_of_the_devices(client, login, make_company, make_order):
    _cost_centre, site, value = fields()
    owner = make_company()
    order = make_order(owner, devices=1)
    login(owner)
    content = sheet_bytes([["Manufacturer", "Model", "Serial number", "Fault description", "Site", "Book value"],
                           ["Zebra", "TC52", "IMP-1", "Broken", "warsaw", "99"],
                           ["Zebra", "TC52", "IMP-2", "Broken", "Rome", "100"]])
    client.post(f"/orders/{order.id}/import", data={"file": (io.BytesIO(content), "d.xlsx")},
                content_type="multipart/form-data")
    batch = db.session.scalar(select(ImportBatch))
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Site" in page and "Not one of the choices: Warsaw, Kraków." in page
    client.post(f"/imports/{batch.id}/rows/3", data={"action": "fix", f"value-{site.key}": "Kraków"})
    assert client.post(f"/imports/{batch.id}/confirm").status_code == 302
    db.session.refresh(order)
    imported = {d.serial_number: d.custom_values for d in order.devices if d.serial_number.startswith("IMP")}
    assert imported == {"IMP-1": {str(site.id): "Warsaw", str(value.id): "99"},
                        "IMP-2": {str(site.id): "Kraków", str(value.id): "100"}}


def test_the_template_download_carries_the_fields(client, login, make_company):
    fields()
    login(make_company())
    sheet = load_workbook(io.BytesIO(client.get("/import-template.xlsx").data)).worksheets[0]
    assert [cell.value for cell in sheet[1]][-2:] == ["Site", "Book value"]


def test_no_custom_field_leaves_orders_without_values(client, login, make_company):
    owner = make_company()
    login(owner)
    draft = new_draft(client)
    assert client.post(f"/orders/{draft.id}/edit", data=order_form(draft, action="submit")).status_code == 302
    order = db.session.get(Order, draft.id)
    assert order.custom_values is None and order.devices[0].custom_values is None
    assert custom_fields.specs(CustomFieldTarget.DEVICE) == []
