"""The account manager decides quotes on the customer's behalf, with their written consent recorded."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Decision, DeviceStatus, QuoteState, Role, Transition
from tests.quotes_helpers import send_quote


@pytest.fixture
def waiting(make_company, make_order):
    owner = make_company()
    order = make_order(owner, devices=2)
    return owner, order, [send_quote(d) for d in order.devices]


def form(quote, choice, **extra) -> dict:
    return {f"choice-{quote.device_id}": choice, f"revision-{quote.device_id}": str(quote.revision),
            "po_number": "PO-9", "action": "decide", **extra}


def test_the_manager_decides_for_the_customer_with_the_consent_recorded(client, login, make_staff, waiting):
    owner, order, (first, second) = waiting
    manager = make_staff(Role.ACCOUNT_MANAGER)
    login(manager)
    page = client.get(f"/admin/orders/{order.id}/approval").get_data(as_text=True)
    assert first.device.tag_code in page and "Screen assembly TC52" in page and "271.88" in page
    assert f'<option selected value="{owner.id}">' in page  # the order's owner is proposed
    response = client.post(f"/admin/orders/{order.id}/approval", data=form(
        first, "recommended", on_behalf_of=str(owner.id), consent_note="approved by phone on 25 Nov by Olga"))
    assert response.status_code == 302
    db.session.expire_all()
    assert first.state == QuoteState.DECIDED and first.decision == Decision.RECOMMENDED
    assert first.decided_by_id == manager.id and first.decided_for_id == owner.id
    assert first.consent_note == "approved by phone on 25 Nov by Olga"
    transition = db.session.scalars(db.select(Transition).where(
        Transition.device_id == first.device_id, Transition.from_status == DeviceStatus.AWAITING_APPROVAL)).one()
    assert transition.actor_id == manager.id and transition.on_behalf_of_id == owner.id
    assert second.state == QuoteState.SENT
    # the customer sees who decided for whom
    login(owner)
    page = client.get(f"/orders/{order.id}/approval").get_data(as_text=True)
    assert f"by {manager.name} for {owner.name}" in page


def test_without_consent_or_customer_nothing_is_decided(client, login, make_staff, waiting, make_company):
    owner, order, (first, _second) = waiting
    login(make_staff(Role.ACCOUNT_MANAGER))
    url = f"/admin/orders/{order.id}/approval"
    response = client.post(url, data=form(first, "required", on_behalf_of=str(owner.id), consent_note="  "))
    assert response.status_code == 200 and "Fill in this field." in response.get_data(as_text=True)
    response = client.post(url, data=form(first, "required", on_behalf_of="0", consent_note="by phone"))
    assert "Choose the customer user." in response.get_data(as_text=True)
    stranger = make_company()
    response = client.post(url, data=form(first, "required", on_behalf_of=str(stranger.id), consent_note="x"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'name="choice-{first.device_id}" value="required" checked' in page  # the choice is kept
    db.session.expire_all()
    assert first.state == QuoteState.SENT


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CUSTOMER_CARE])
def test_other_office_staff_get_403(client, login, make_staff, waiting, role):
    owner, order, (first, _second) = waiting
    login(make_staff(role))
    assert client.get(f"/admin/orders/{order.id}/approval").status_code == 403
    assert client.post(f"/admin/orders/{order.id}/approval", data=form(
        first, "required", on_behalf_of=str(owner.id), consent_note="x")).status_code == 403
    assert client.get(f"/admin/quotes/{first.id}.pdf").status_code == 403
    db.session.expire_all()
    assert first.state == QuoteState.SENT


def test_the_manager_downloads_the_pdf_and_gets_the_totals(client, login, make_staff, waiting):
    _owner, _order, (first, _second) = waiting
    login(make_staff(Role.ACCOUNT_MANAGER))
    response = client.get(f"/admin/quotes/{first.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    battery = next(line.id for line in first.lines if line.code == "BAT-TC52")
    assert client.get(f"/admin/quotes/{first.id}/totals?line={battery}").get_json()["gross"] == "259.52"
    assert client.get("/admin/orders/999999/approval").status_code == 404
