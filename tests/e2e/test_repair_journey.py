"""The repair journey in the browser: the technician diagnoses with the checklist and the price
list and sends the quote; the customer accepts the recommended variant from the e-mail's link; the
technician repairs; a tester fails it once and passes it; the customer sees it ready to ship with
its whole history on the status bar."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from portal import orders, photos, staff, workflow
from portal.extensions import db
from portal.models import (
    ChecklistItem,
    DeviceCategory,
    DeviceStatus,
    PriceItem,
    Role,
    Station,
    StationKind,
    TaxRate,
)
from tests.conftest import device_row, order_data
from tests.e2e.conftest import confirmed_customer
from tests.images import image_bytes

pytestmark = pytest.mark.e2e

PASSWORD = "bench-and-check-pass-1"
CUSTOMER = "carla@repairs-customer.example"


@pytest.fixture
def received(live_server):
    """A received, photographed laptop assigned to Tina; a tester; the price list and checklists."""
    app = live_server.app
    with app.app_context():
        laptop = DeviceCategory(name="Laptop")
        vat = TaxRate(name="VAT 23%", rate=Decimal("23.00"))
        db.session.add_all([laptop, vat])
        db.session.flush()
        db.session.add_all([
            PriceItem(code="P-SCR", description="Screen 14 inch", kind="part", unit_price=Decimal("100.00"),
                      unit_cost=Decimal("60.00"), tax_rate_id=vat.id, stock=3),
            PriceItem(code="L-CLEAN", description="Clean and service", kind="labour", unit_price=Decimal("40.00"),
                      unit_cost=Decimal("0.00"), tax_rate_id=vat.id),
            ChecklistItem(category_id=laptop.id, kind="diagnosis", position=1, text="Powers on"),
            ChecklistItem(category_id=laptop.id, kind="diagnosis", position=2, text="Screen"),
            ChecklistItem(category_id=laptop.id, kind="quality_check", position=1, text="Boots to the desktop"),
            Station(name="Bench 1", kind=StationKind.BENCH), Station(name="QC 1", kind=StationKind.QUALITY_CHECK),
        ])
        owner = confirmed_customer(app, email=CUSTOMER, password=PASSWORD, legal_name="Repairs Customer S.A.",
                                   tax_id="PL9990003334")
        order = orders.start_draft(owner.company, owner=owner, actor=owner)
        orders.submit_order(order, order_data(order, [device_row(1, category_id=laptop.id)],
                                              contact_email=owner.email), actor=owner)
        receiver = staff.create_staff(email="receiving@depot.example", name="Rex Receiving",
                                      roles=[Role.RECEIVING], password=PASSWORD)
        tech = staff.create_staff(email="tina@depot.example", name="Tina Tech", roles=[Role.TECHNICIAN],
                                  password=PASSWORD)
        staff.create_staff(email="ted@depot.example", name="Ted Tester", roles=[Role.TESTER], password=PASSWORD)
        device = order.devices[0]
        workflow.move(device, DeviceStatus.RECEIVED, actor=receiver, station="Receiving 1")
        for _n in range(app.config["PHOTOS_MIN_PER_STAGE"]):
            photos.add_photo(device, image_bytes(), stage="intake", shot="", actor=None, station="Booth")
        device.technician_id = tech.id
        db.session.commit()
        return device.id, device.tag_code


def log_in(page, email):
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def use_station(page, path, name):
    page.goto(path)
    page.get_by_label(name).check()
    page.get_by_role("button", name="Use this station").click()


def scan(page, code):
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_diagnose_quote_approve_repair_fail_and_pass(browser, live_server, received, mailbox):
    device_id, tag = received
    contexts = [browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/Warsaw")
                for _ in range(3)]
    for context in contexts:
        context.set_default_timeout(10_000)
    bench, customer, qc = (context.new_page() for context in contexts)
    try:
        # The technician scans the tag at the bench and diagnoses with the checklist.
        log_in(bench, "tina@depot.example")
        use_station(bench, "/depot/bench", "Bench 1")
        expect(bench.get_by_role("row", name=re.compile(tag))).to_be_visible()
        expect(bench.get_by_label("Scan or type a device tag to open it")).to_be_focused()
        scan(bench, tag)
        expect(bench.get_by_role("heading", level=1)).to_contain_text(tag)
        bench.get_by_role("button", name="Start the diagnosis").click()
        expect(bench.locator(".flash").first).to_contain_text("Diagnosis of")
        bench.get_by_role("group", name="Powers on").get_by_label("Pass").check()
        bench.get_by_role("group", name="Screen").get_by_label("Fail").check()
        bench.get_by_role("button", name="Save the checklist").click()
        expect(bench.get_by_text("Say what failed in “Screen”")).to_be_visible()
        expect(bench.get_by_role("group", name="Screen").get_by_label("Fail")).to_be_checked()
        bench.get_by_label("Note on “Screen”").fill("Cracked in the corner")
        bench.get_by_role("button", name="Save the checklist").click()
        expect(bench.locator(".flash").first).to_contain_text("Checklist recorded (round 1)")

        # The quote, from the price list, typed in.
        bench.get_by_label("Price-list item").fill("P-SCR")
        bench.get_by_role("button", name="Add the line", exact=True).click()
        expect(bench.locator(".flash").first).to_contain_text("Added P-SCR Screen 14 inch")
        bench.get_by_label("Price-list item").fill("L-CLEAN")
        bench.locator(".quote-line-form").first.get_by_label("Recommended").check()
        bench.get_by_role("button", name="Add the line", exact=True).click()
        totals = bench.locator(".bench-totals")
        expect(totals.get_by_role("table", name="Required repair")).to_contain_text("123.00")
        expect(totals.get_by_role("table", name="Recommended repair")).to_contain_text("172.20")
        bench.get_by_label("Findings").fill("The screen is cracked; the fan is dusty.")
        bench.get_by_role("button", name="Save the findings").click()
        bench.get_by_role("button", name="Send the quote to the customer").click()
        expect(bench.locator(".flash").first).to_contain_text("Quote revision 1 sent")

        # The customer opens the link in the e-mail and accepts the recommended repair.
        live_server.run_jobs()
        [message] = [m for m in mailbox.to(CUSTOMER) if "/approval" in mailbox.text(m)]
        # The link is built by the job with the configured public address; follow its path here.
        link = re.findall(r"https?://[^/\s]+(/orders/\d+/approval\S*)", mailbox.text(message))[0]
        customer.goto(link)
        customer.get_by_label("E-mail", exact=True).fill(CUSTOMER)
        customer.get_by_label("Password", exact=True).fill(PASSWORD)
        customer.get_by_role("button", name="Log in").click()
        customer.get_by_role("group", name=f"Your decision for {tag}").get_by_label(
            re.compile("Accept the recommended repair")).check()
        customer.get_by_role("button", name="Save the decisions").click()
        expect(customer.locator(".flash, .flashes").first).to_be_visible()

        # The technician repairs: the accepted lines done, the time recorded.
        bench.goto(f"/depot/bench/devices/{device_id}")
        expect(bench.get_by_role("heading", level=1)).to_contain_text("Repair")
        bench.get_by_label(re.compile("Screen 14 inch")).check()
        bench.get_by_label(re.compile("Clean and service")).check()
        bench.get_by_label("Minutes worked").fill("50")
        bench.get_by_label("What you did").fill("Replaced the screen, cleaned the fan")
        bench.get_by_role("button", name="Record the work").click()
        expect(bench.locator(".flash").first).to_contain_text("Recorded 50 minutes")
        bench.get_by_role("button", name="Repair finished → quality check").click()
        expect(bench.locator(".flash").first).to_contain_text("it goes to the quality check")

        # The tester fails it once, with the reason.
        log_in(qc, "ted@depot.example")
        use_station(qc, "/depot/qc", "QC 1")
        expect(qc.get_by_label("Scan a repaired device's tag")).to_be_focused()
        scan(qc, tag)
        expect(qc.get_by_role("heading", level=1)).to_contain_text(tag)
        expect(qc.get_by_text("Replaced the screen, cleaned the fan")).to_be_visible()
        qc.get_by_role("group", name="Boots to the desktop").get_by_label("Fail").check()
        qc.get_by_label("Note on “Boots to the desktop”").fill("Black screen after the logo")
        qc.get_by_role("button", name="Fail: back to repair").click()
        expect(qc.get_by_text("Write why the device failed")).to_be_visible()
        qc.get_by_label(re.compile("Why it fails")).fill("Black screen after the logo: check the cable")
        qc.get_by_role("button", name="Fail: back to repair").click()
        expect(qc.locator(".flash").first).to_contain_text("failed the quality check (1 so far): back to Tina Tech")

        # Back on Tina's queue, marked; she fixes it and hands it over again.
        bench.goto("/depot/bench")
        expect(bench.get_by_role("row", name=re.compile(tag))).to_contain_text("QC failed ×1")
        bench.goto(f"/depot/bench/devices/{device_id}")
        bench.get_by_role("button", name="Repair finished → quality check").click()
        expect(bench.locator(".flash").first).to_contain_text("Record the repair work")
        bench.get_by_label("Minutes worked").fill("15")
        bench.get_by_label("What you did").fill("Reseated the display cable")
        bench.get_by_role("button", name="Record the work").click()
        bench.get_by_role("button", name="Repair finished → quality check").click()
        expect(bench.locator(".flash").first).to_contain_text("it goes to the quality check")

        # The tester passes it.
        scan(qc, tag)
        expect(qc.get_by_role("heading", level=1)).to_contain_text(tag)
        expect(qc.locator(".fail-count")).to_contain_text("1")
        qc.get_by_role("group", name="Boots to the desktop").get_by_label("Pass").check()
        qc.get_by_role("button", name="Pass: ready to ship").click()
        expect(qc.locator(".flash").first).to_contain_text("passed the quality check: ready to ship")

        # The customer sees it ready to ship, with the whole way there.
        customer.goto(f"/devices/{device_id}")
        bar = customer.locator(".status-bar")
        expect(bar.locator("[aria-current=step]")).to_contain_text("Ready to ship")
        for stage in ("Registered", "Received", "Diagnosis", "Awaiting approval", "Repair", "Quality check"):
            expect(bar.locator(".stage-done", has_text=stage).first).to_be_visible()
        with live_server.app.app_context():
            from portal.models import Device

            device = db.session.get(Device, device_id)
            assert device.status == DeviceStatus.READY_TO_SHIP and device.qc_fail_count == 1
    finally:
        for context in contexts:
            context.close()
