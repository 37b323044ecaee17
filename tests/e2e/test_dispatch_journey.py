"""The dispatch station worked with a scanner: pack two devices, record the carrier, print the
packing list, then scan the parcel at courier pick-up; the customer gets the tracking e-mail."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal import orders, staff, workflow
from portal.extensions import db
from portal.models import DeviceStatus, Photo, PhotoStage, Role, Station, StationKind
from tests.conftest import device_row, order_data
from tests.e2e.conftest import confirmed_customer

pytestmark = pytest.mark.e2e

PASSWORD = "parcel-courier-pass-1"
S = DeviceStatus


def photographed(device, stage: PhotoStage, count: int) -> None:
    for n in range(count):
        db.session.add(Photo(device_id=device.id, company_id=device.company_id, stage=stage, shot=f"shot {n}",
                             storage_key=f"e2e/{device.id}-{stage}-{n}.jpg",
                             thumbnail_key=f"e2e/{device.id}-{stage}-{n}.thumb.jpg", content_type="image/jpeg",
                             width=1, height=1, size_bytes=1))
    db.session.flush()


@pytest.fixture
def ready(live_server):
    """Two repaired devices of one order, photographed for dispatch; a packer and a dispatch station."""
    app = live_server.app
    with app.app_context():
        owner = confirmed_customer(app, email="rita@returns.example", password=PASSWORD,
                                   legal_name="Returns Receiver Sp. z o.o.", tax_id="PL9990002223")
        order = orders.start_draft(owner.company, owner=owner, actor=owner)
        orders.submit_order(order, order_data(order, [device_row(1), device_row(2)], contact_email=owner.email),
                            actor=owner)
        crew = {role: staff.create_staff(email=f"{role}@depot.example", name=f"{role} person", roles=[role],
                                         password=PASSWORD)
                for role in (Role.RECEIVING, Role.TECHNICIAN, Role.TESTER, Role.DISPATCH)}
        db.session.add(Station(name="Dispatch 1", kind=StationKind.DISPATCH))
        needed = app.config["PHOTOS_MIN_PER_STAGE"]
        for device in order.devices:
            workflow.move(device, S.RECEIVED, actor=crew[Role.RECEIVING])
            photographed(device, PhotoStage.INTAKE, needed)
            for to in (S.DIAGNOSIS, S.REPAIR, S.QUALITY_CHECK):
                workflow.move(device, to, actor=crew[Role.TECHNICIAN])
            workflow.move(device, S.READY_TO_SHIP, actor=crew[Role.TESTER])
            photographed(device, PhotoStage.DISPATCH, needed)
        db.session.commit()
        return [d.tag_code for d in order.devices]


def scan(page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_pack_record_the_carrier_print_and_hand_to_the_courier(page, live_server, ready, mailbox):
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill("dispatch@depot.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/depot/dispatch")
    page.get_by_label("Dispatch 1").check()
    page.get_by_role("button", name="Use this station").click()

    scan_field = page.get_by_label("Scan a device tag, or a parcel code to open that parcel")
    expect(scan_field).to_be_focused()
    scan(page, ready[0])
    expect(page.get_by_role("alert")).to_contain_text(f"Packed {ready[0]}")
    expect(page.locator(".station")).to_have_attribute("data-result", "success")
    expect(scan_field).to_be_focused()
    scan(page, ready[1])
    expect(page.get_by_role("alert")).to_contain_text(f"Packed {ready[1]}")
    expect(page.get_by_role("alert")).to_contain_text("2 devices")
    expect(page.locator(f"#tag-{ready[1]}")).to_be_visible()
    heading = page.get_by_role("heading", name="Parcel PK")
    parcel_code = heading.inner_text().split()[-1]

    page.get_by_label("Carrier", exact=True).select_option("dpd")
    page.get_by_label("Tracking number", exact=True).fill("123")
    page.get_by_role("button", name="Save carrier and tracking number").click()
    expect(page.locator("#tracking_number-error")).to_contain_text("A DPD tracking number has 14 digits")
    expect(page.get_by_label("Tracking number", exact=True)).to_have_value("123")
    page.get_by_label("Tracking number", exact=True).fill("0123 4567 8901 23")
    page.get_by_role("button", name="Save carrier and tracking number").click()
    expect(page.get_by_text("tracking number 01234567890123")).to_be_visible()

    link = page.get_by_role("link", name="Print the packing list (PDF)")
    expect(link).to_have_attribute("target", "_blank")
    pdf = page.context.request.get(link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    page.get_by_role("link", name="Courier pick-up").click()
    expect(page.get_by_role("row", name=parcel_code)).to_be_visible()
    pickup_field = page.get_by_label("Scan the parcel's code or its tracking number as the courier takes it")
    expect(pickup_field).to_be_focused()
    scan(page, parcel_code)
    expect(page.get_by_role("alert")).to_contain_text(f"Parcel {parcel_code} picked up: 2 devices shipped")
    expect(page.get_by_role("row", name=parcel_code)).to_have_count(0)
    expect(pickup_field).to_be_focused()

    live_server.run_jobs()
    [message] = [m for m in mailbox.to("rita@returns.example") if "shipped" in m["Subject"]]
    text = mailbox.text(message)
    assert "01234567890123" in text and "https://tracking.dpd.de/status/en_US/parcel/01234567890123" in text
    assert all(tag in text for tag in ready)
