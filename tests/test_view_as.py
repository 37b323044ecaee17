"""A staff member opens the portal as a customer user sees it: who may, the banner, both people recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry, Decision, DeviceStatus, Order, QuoteState, Role, Transition
from tests.quotes_helpers import send_quote


@pytest.fixture
def nordlog(make_company, make_user, make_staff):
    """A company managed by Marek, with its admin Olga and a colleague."""
    olga = make_company(legal_name="Nordlog Sp. z o.o.", name="Olga Office")
    colleague = make_user(olga.company, name="Piotr Packer")
    marek = make_staff(Role.ACCOUNT_MANAGER, name="Marek Manager")
    olga.company.account_manager_id = marek.id
    db.session.commit()
    return olga, colleague, marek


def view_as(client, customer):
    return client.post(f"/admin/companies/{customer.company_id}/view-as", data={"user_id": str(customer.id)})


def transitions(device_id: int) -> list[Transition]:
    return list(db.session.scalars(select(Transition).where(Transition.device_id == device_id)
                                   .order_by(Transition.id)))


def test_the_manager_views_as_the_customer_and_sees_the_banner_on_customer_pages(client, login, nordlog, make_order):
    olga, _colleague, marek = nordlog
    order = make_order(olga, devices=1)
    login(marek)
    page = client.get(f"/admin/companies/{olga.company_id}").get_data(as_text=True)
    assert "View as customer" in page and f'<option value="{olga.id}">' in page
    response = view_as(client, olga)
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    page = client.get("/orders").get_data(as_text=True)
    assert "You are viewing the portal as Olga Office (Nordlog Sp. z o.o.) — Marek Manager" in page
    assert order.number in page  # the customer's own orders, scoped to their company
    assert "End the customer view" in page
    # staff pages keep the staff member, with a reminder that the view is open
    page = client.get("/admin/desk").get_data(as_text=True)
    assert "My desk" in page and "Your view as Olga Office (Nordlog Sp. z o.o.) is still open." in page


def test_a_cancellation_while_viewing_records_the_manager_and_the_customer(client, login, nordlog, make_order):
    olga, _colleague, marek = nordlog
    order = make_order(olga, devices=2)
    login(marek)
    view_as(client, olga)
    response = client.post(f"/orders/{order.id}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    for device in order.devices:
        last = transitions(device.id)[-1]
        assert last.to_status == DeviceStatus.CANCELLED
        assert last.actor_id == marek.id and last.on_behalf_of_id == olga.id


def test_an_order_started_while_viewing_is_created_by_the_manager_for_the_customer(client, login, nordlog):
    olga, _colleague, marek = nordlog
    login(marek)
    view_as(client, olga)
    response = client.post("/orders/new")
    assert response.status_code == 302
    order = db.session.scalars(select(Order).where(Order.company_id == olga.company_id)).one()
    assert order.created_by_id == marek.id and order.owner_id == olga.id


def test_a_quote_decided_while_viewing_needs_and_records_the_consent(client, login, nordlog, make_order):
    olga, _colleague, marek = nordlog
    order = make_order(olga, devices=1)
    quote = send_quote(order.devices[0])
    login(marek)
    view_as(client, olga)
    url = f"/orders/{order.id}/approval"
    assert 'name="consent_note"' in client.get(url).get_data(as_text=True)
    data = {f"choice-{quote.device_id}": "required", f"revision-{quote.device_id}": str(quote.revision),
            "po_number": "PO-9", "action": "decide"}
    page = client.post(url, data=data).get_data(as_text=True)
    db.session.expire_all()
    assert quote.state == QuoteState.SENT and "Please correct the fields marked below." in page
    response = client.post(url, data={**data, "consent_note": "approved by phone by Olga"})
    assert response.status_code == 302
    db.session.expire_all()
    assert quote.state == QuoteState.DECIDED and quote.decision == Decision.REQUIRED
    assert quote.decided_by_id == marek.id and quote.decided_for_id == olga.id
    assert quote.consent_note == "approved by phone by Olga"
    decided = [t for t in transitions(quote.device_id) if t.from_status == DeviceStatus.AWAITING_APPROVAL]
    assert decided and all(t.actor_id == marek.id and t.on_behalf_of_id == olga.id for t in decided)


def test_users_security_and_company_details_cannot_be_changed_while_viewing(client, login, nordlog):
    olga, colleague, marek = nordlog
    login(marek)
    view_as(client, olga)
    assert client.get("/users").status_code == 200  # read-only: the page shows
    for url, data in ((f"/users/{colleague.id}/deactivate", {}), ("/users/invite", {"name": "X", "email": "x@x.io"}),
                      (f"/users/{colleague.id}", {"name": "Renamed"}), ("/company", {"legal_name": "Hijacked"}),
                      ("/company/approval", {"approval_mode": "named"})):
        response = client.post(url, data=data)
        assert response.status_code == 403, url
        assert "cannot be changed from this view" in response.get_data(as_text=True)
    db.session.expire_all()
    assert colleague.is_active_account and colleague.name == "Piotr Packer"
    assert olga.company.legal_name == "Nordlog Sp. z o.o."


def test_ending_the_view_returns_the_staff_pages_and_is_audited(client, login, nordlog):
    olga, _colleague, marek = nordlog
    login(marek)
    view_as(client, olga)
    response = client.post("/admin/view-as/end")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/companies/{olga.company_id}")
    assert client.get("/orders").status_code == 403  # a staff member again, not a customer
    assert "You are viewing the portal as" not in client.get("/admin/desk").get_data(as_text=True)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "view_as").order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.entity, e.entity_id, e.new_value.split(":")[0]) for e in entries] == [
        (marek.id, "users", olga.id, "started"), (marek.id, "users", olga.id, "ended")]


def test_a_manager_of_other_companies_and_customers_are_refused(client, login, nordlog, make_staff, make_company):
    olga, colleague, _marek = nordlog
    other = make_staff(Role.ACCOUNT_MANAGER, name="Other Manager")
    login(other)
    assert view_as(client, olga).status_code == 403
    assert "View as customer" not in client.get(f"/admin/companies/{olga.company_id}").get_data(as_text=True)
    assert client.get("/orders").status_code == 403
    login(colleague)
    assert view_as(client, olga).status_code == 403
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "view_as")) is None


def test_an_admin_views_any_company_but_never_a_deactivated_or_foreign_user(client, login, nordlog, make_staff,
                                                                             make_company, make_user):
    olga, _colleague, _marek = nordlog
    admin = make_staff(Role.ADMIN)
    stranger = make_company(legal_name="Elsewhere Ltd")
    gone = make_user(olga.company, name="Gone User", active=False)
    login(admin)
    for user in (gone, stranger):
        response = client.post(f"/admin/companies/{olga.company_id}/view-as", data={"user_id": str(user.id)})
        assert response.status_code == 302 and "/admin/companies/" in response.headers["Location"]
        assert client.get("/orders").status_code == 403
    assert view_as(client, olga).status_code == 302
    assert "Olga Office" in client.get("/orders").get_data(as_text=True)


def test_the_view_ends_when_the_manager_no_longer_manages_the_company(client, login, nordlog, make_staff):
    olga, _colleague, marek = nordlog
    login(marek)
    view_as(client, olga)
    olga.company.account_manager_id = make_staff(Role.ACCOUNT_MANAGER).id
    db.session.commit()
    assert client.get("/orders").status_code == 403
    assert "You are viewing the portal as" not in client.get("/admin/desk").get_data(as_text=True)


def test_logging_out_ends_the_view(client, login, nordlog):
    olga, _colleague, marek = nordlog
    login(marek)
    view_as(client, olga)
    client.post("/logout")
    login(olga)
    page = client.get("/orders").get_data(as_text=True)
    assert "You are viewing the portal as" not in page
