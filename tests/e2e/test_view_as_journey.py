"""An account manager opens the portal as their customer sees it: the banner says whose view it is,
a quote decided there needs the customer's consent and records both people, and ending the view
brings back the manager's own pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal import orders, second_factor, staff
from portal.extensions import db
from portal.models import Device, DeviceStatus, Quote, Role
from tests.conftest import TOTP_SECRET, device_row, order_data
from tests.e2e.conftest import confirmed_customer, enter_second_factor
from tests.quotes_helpers import send_quote

pytestmark = pytest.mark.e2e

PASSWORD = "view-as-journey-pass-1"
CUSTOMER = "olga@nordlog.example"
MANAGER = "marek@depot.example"
#: Set to a folder to keep screenshots of the banner (desktop and a 390 px phone).
SHOTS = os.environ.get("VIEW_AS_SHOTS")


@pytest.fixture
def nordlog(live_server):
    """Marek manages Nordlog; Olga's device waits for her decision on its quote."""
    app = live_server.app
    with app.app_context():
        olga = confirmed_customer(app, email=CUSTOMER, password=PASSWORD, legal_name="Nordlog Sp. z o.o.",
                                  tax_id="PL9990007771")
        olga.name = "Olga Office"
        marek = staff.create_staff(email=MANAGER, name="Marek Manager", roles=[Role.ACCOUNT_MANAGER],
                                   password=PASSWORD)
        second_factor.enrol_known_secret(marek, TOTP_SECRET)
        olga.company.account_manager_id = marek.id
        order = orders.start_draft(olga.company, owner=olga, actor=olga)
        orders.submit_order(order, order_data(order, [device_row(1)], contact_email=olga.email), actor=olga)
        device = order.devices[0]
        send_quote(device, commit=False)
        db.session.commit()
        return olga.company_id, order.id, order.number, device.id, device.tag_code


def test_manager_views_the_portal_as_the_customer_and_decides_with_consent(page, live_server, nordlog):
    company_id, order_id, number, device_id, tag = nordlog
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(MANAGER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    enter_second_factor(page, live_server, MANAGER)
    expect(page.get_by_role("heading", name="My desk")).to_be_visible()

    # From the desk to the company, and into Olga's view.
    page.get_by_role("link", name="View as customer").click()
    expect(page).to_have_url(re.compile(f"/admin/companies/{company_id}#view-as$"))
    page.get_by_label("View the portal as").select_option(label=f"Olga Office ({CUSTOMER})")
    page.get_by_role("button", name="View as customer").click()
    expect(page).to_have_url(re.compile("/home$"))

    # Her orders, with the banner naming her, her company and the manager.
    page.get_by_role("link", name="Orders", exact=True).click()
    banner = page.get_by_role("region", name="Customer view")
    expect(banner).to_contain_text("You are viewing the portal as Olga Office (Nordlog Sp. z o.o.) — Marek Manager")
    expect(page.get_by_role("link", name=number)).to_be_visible()
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/view-as-orders-desktop.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{SHOTS}/view-as-orders-390.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 720})

    # Her quote, decided in her view: the consent is asked for and recorded with both people.
    page.goto(f"/orders/{order_id}/approval")
    page.get_by_role("group", name=f"Your decision for {tag}").get_by_role(
        "radio", name=re.compile(r"^Accept the required repair \d")).check()
    page.get_by_label("The customer's consent").fill("Approved by phone today by Olga")
    page.get_by_role("button", name="Save the decisions").click()
    expect(page.locator(".flash-success")).to_contain_text("Decision saved")
    with live_server.app.app_context():
        device = db.session.get(Device, device_id)
        assert device.status in (DeviceStatus.REPAIR, DeviceStatus.WAITING_FOR_PARTS)
        decided = next(t for t in device.transitions if t.from_status == DeviceStatus.AWAITING_APPROVAL)
        assert decided.actor.email == MANAGER and decided.on_behalf_of.email == CUSTOMER
        quote = db.session.scalars(db.select(Quote).where(Quote.device_id == device_id)).one()
        assert quote.decided_by.email == MANAGER and quote.decided_for.email == CUSTOMER
        assert quote.consent_note == "Approved by phone today by Olga"
        db.session.remove()

    # Her users can be seen, not changed.
    page.goto("/users")
    expect(page.get_by_role("region", name="Customer view")).to_be_visible()

    # Ending the view: back on the company page, as the manager again.
    banner.get_by_role("button", name="End the customer view").click()
    expect(page).to_have_url(re.compile(f"/admin/companies/{company_id}$"))
    expect(page.locator(".flash-success")).to_contain_text("You are back in your own view.")
    expect(page.get_by_role("region", name="Customer view")).to_have_count(0)
    expect(page.get_by_role("link", name="Desk")).to_be_visible()
