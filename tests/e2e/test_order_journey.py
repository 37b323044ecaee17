"""An office manager creates an order of three devices in two boxes in the browser, with the depot's
custom fields (a cost centre per order, a site per device), submits it, and the e-mailed logistics
document's barcodes decode to exactly the order's codes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import CustomFieldKind, CustomFieldTarget, Order, OrderState
from tests.barcodes import decode_barcodes
from tests.e2e.conftest import confirmed_customer
from tests.test_custom_fields import add_field

pytestmark = pytest.mark.e2e

PASSWORD = "office-manager-password-7"
DEVICES = [
    ("Zebra", "TC52", "SN-TC52-001", "1"),
    ("Honeywell", "CT60", "SN-CT60-002", "1"),
    ("Dell", "Latitude 5430", "SN-DELL-003", "2"),
]


@pytest.fixture
def office_manager(live_server):
    with live_server.app.app_context():
        confirmed_customer(live_server.app, email="ewa@magazyny.example", password=PASSWORD,
                           legal_name="Łódzkie Magazyny Sp. z o.o.", tax_id="PL1112223334")
        add_field(CustomFieldTarget.ORDER, "Cost centre", CustomFieldKind.TEXT, required=True)
        add_field(CustomFieldTarget.DEVICE, "Site", CustomFieldKind.CHOICE, "Łódź\nPoznań")
    live_server.run_jobs()  # the confirmation mail goes out now, not in the middle of the journey
    return "ewa@magazyny.example"


def test_order_three_devices_in_two_boxes_and_decode_the_mailed_document(page, live_server, mailbox,
                                                                         office_manager, tmp_path):
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(office_manager)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/orders")
    page.get_by_role("button", name="New order").click()
    expect(page.get_by_role("heading", name="New repair order (draft)")).to_be_visible()

    page.get_by_label("Number of boxes").fill("2")
    page.get_by_label("Your reference (purchase order)").fill("PO-E2E-1")
    page.get_by_label("Cost centre").fill("CC-LODZ-7")
    for index, (maker, model, serial, box) in enumerate(DEVICES):
        if index:
            page.get_by_role("button", name="Add a device").click()
        row = page.locator(".device-row").nth(index)
        row.get_by_label("Manufacturer").fill(maker)
        row.get_by_label("Model").fill(model)
        row.get_by_label("Serial number").fill(serial)
        row.get_by_label("Box").fill(box)
        row.get_by_label("Fault description").fill(f"{model}: does not start")
        row.get_by_label("Site").select_option("Poznań" if index == 2 else "Łódź")
    expect(page.locator(".device-row")).to_have_count(3)
    page.get_by_role("button", name="Submit the order").click()

    expect(page.get_by_role("status")).to_contain_text("is submitted")
    with live_server.app.app_context():
        order = db.session.scalar(select(Order))
        assert order.state == OrderState.SUBMITTED
        assert [(d.serial_number, d.box_number) for d in order.devices] == [
            (serial, int(box)) for _maker, _model, serial, box in DEVICES]
        assert list(order.custom_values.values()) == ["CC-LODZ-7"]
        assert [list(d.custom_values.values()) for d in order.devices] == [["Łódź"], ["Łódź"], ["Poznań"]]
        expected = {order.number, f"{order.number}-B1", f"{order.number}-B2", *(d.tag_code for d in order.devices)}
        number = order.number
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Site")).to_be_visible()
    expect(page.get_by_text("CC-LODZ-7")).to_be_visible()
    page.screenshot(path=str(tmp_path / "order.png"), full_page=True)

    live_server.run_jobs()
    [mail] = [m for m in mailbox.to(office_manager) if number in m["Subject"]]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert sorted(decode_barcodes(attachment.get_content(), tmp_path / "pdf")) == sorted(expected)
