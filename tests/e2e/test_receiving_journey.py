"""The receiving station worked with a barcode scanner alone: each code is typed and ends with Enter."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal import orders, staff
from portal.extensions import db
from portal.models import Role, Station, StationKind
from tests.conftest import device_row, order_data
from tests.e2e.conftest import confirmed_customer

pytestmark = pytest.mark.e2e

PASSWORD = "receiving-station-pass-1"


@pytest.fixture
def parcel(live_server):
    """A submitted order of two devices, a receiving clerk and a receiving station."""
    with live_server.app.app_context():
        owner = confirmed_customer(live_server.app, email="paula@sender.example", password=PASSWORD,
                                   legal_name="Parcel Sender Sp. z o.o.", tax_id="PL9990001112")
        order = orders.start_draft(owner.company, owner=owner, actor=owner)
        orders.submit_order(order, order_data(order, [device_row(1), device_row(2)]), actor=owner)
        staff.create_staff(email="clerk@depot.example", name="Carl Clerk", roles=[Role.RECEIVING], password=PASSWORD)
        db.session.add(Station(name="Receiving 1", kind=StationKind.RECEIVING))
        db.session.commit()
        return order.number, [d.tag_code for d in order.devices]


def scan(page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_scan_document_devices_and_a_wrong_code(page, live_server, parcel):
    number, tags = parcel
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill("clerk@depot.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/depot/receiving")
    page.get_by_label("Receiving 1").check()
    page.get_by_role("button", name="Use this station").click()

    scan_field = page.get_by_label("Scan the logistics document, a box label or a device tag")
    expect(scan_field).to_be_focused()
    scan(page, number)
    expect(page.get_by_role("alert")).to_contain_text("0 of 2 received")
    expect(scan_field).to_be_focused()

    scan(page, tags[0])
    expect(page.get_by_role("alert")).to_contain_text(f"Received {tags[0]}")
    expect(page.get_by_role("alert")).to_contain_text("1 of 2")
    expect(page.locator(".station")).to_have_attribute("data-result", "success")

    scan(page, "NOT-A-CODE")
    expect(page.get_by_role("alert")).to_contain_text("Unknown code")
    expect(page.locator(".station")).to_have_attribute("data-result", "error")
    expect(scan_field).to_be_focused()

    scan(page, tags[1])
    expect(page.get_by_role("alert")).to_contain_text("2 of 2")
