"""A staff member opens the portal as a customer user sees it: who may, the banner, both people recorded."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import (
    AuditEntry,
    Decision,
    DeviceStatus,
    ImportBatch,
    ImportState,
    Order,
    ParcelState,
    QuoteState,
    Role,
    Transition,
)
from tests.dispatch_helpers import picked_up_parcel
from tests.quotes_helpers import send_quote

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


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


# -- whatever else is done while viewing is logged with both people -------------------------------

def actions() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "view_as_action")
                                   .order_by(AuditEntry.id)))


def upload(client, order, name, content=None):
    content = (SAMPLES / name).read_bytes() if content is None else content
    return client.post(f"/orders/{order.id}/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def draft_form(order, **overrides):
    return {"return_address_id": str(order.return_address_id), "contact_name": "Olga", "service_level": "standard",
            "box_count": "1", "devices-0-manufacturer": "Zebra", "devices-0-model": "TC52",
            "devices-0-serial_number": "S-100", "devices-0-fault_description": "Does not charge", **overrides}


@pytest.fixture
def shipped(nordlog, make_order, make_staff, take_photos):
    """A parcel of Olga's order, picked up by the courier on its way back to her."""
    olga, _colleague, _marek = nordlog
    order = make_order(olga, devices=1)
    parcel = picked_up_parcel(order.devices, make_staff, take_photos)
    return parcel, order


def test_a_delivery_confirmed_while_viewing_is_logged_with_both_people(client, login, nordlog, shipped, make_staff):
    olga, _colleague, marek = nordlog
    parcel, order = shipped
    login(marek)
    view_as(client, olga)
    response = client.post(f"/parcels/{parcel.id}/delivered", data={"order_id": order.id})
    assert response.status_code == 302
    assert parcel.state == ParcelState.DELIVERED
    [entry] = actions()
    assert (entry.actor_id, entry.entity, entry.entity_id, entry.field, entry.old_value) == (
        marek.id, "users", olga.id, "customer.confirm_delivery", "")
    assert entry.new_value == (f"customer.confirm_delivery /parcels/{parcel.id}/delivered as Olga Office "
                               f"<{olga.email}> (Nordlog Sp. z o.o.)")
    # the audit page names the action and both people
    client.post("/admin/view-as/end")
    login(make_staff(Role.ADMIN))
    page = client.get("/admin/audit").get_data(as_text=True).split("<table")[1]
    assert "Acted as customer" in page and "Marek Manager" in page and "Customer view" in page
    assert f"/parcels/{parcel.id}/delivered as Olga Office" in page and "Changed" not in page


def test_a_draft_saved_and_a_file_imported_while_viewing_are_logged(client, login, nordlog):
    olga, _colleague, marek = nordlog
    login(marek)
    view_as(client, olga)
    response = client.post("/orders/new")
    order = db.session.get(Order, int(response.headers["Location"].split("/")[-2]))
    assert client.post(f"/orders/{order.id}/edit", data=draft_form(order, action="save")).status_code == 302
    assert upload(client, order, "devices_with_errors.xlsx").status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    assert client.post(f"/imports/{batch.id}/rows/2", data={"action": "fix",
                                                            "value-serial_number": "ZE99990001"}).status_code == 302
    assert client.post(f"/imports/{batch.id}/discard").status_code == 302
    assert upload(client, order, "devices_en_25.xlsx").status_code == 302
    second = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert client.post(f"/imports/{second.id}/confirm").status_code == 302
    assert second.state == ImportState.CONFIRMED
    entries = actions()
    assert {(e.actor_id, e.entity_id) for e in entries} == {(marek.id, olga.id)}
    assert [(e.field, e.new_value.split(" as ")[0]) for e in entries] == [
        ("customer.new_order", "customer.new_order /orders/new"),
        ("customer.edit_order", f"customer.edit_order /orders/{order.id}/edit"),
        ("customer.import_devices", f"customer.import_devices /orders/{order.id}/import"),
        ("customer.import_row", f"customer.import_row /imports/{batch.id}/rows/2"),
        ("customer.finish_import", f"customer.finish_import /imports/{batch.id}/discard"),
        # (the second upload is the same page within ten minutes: logged once)
        ("customer.finish_import", f"customer.finish_import /imports/{second.id}/confirm"),
    ]
    assert all(e.new_value.endswith(f" as Olga Office <{olga.email}> (Nordlog Sp. z o.o.)") for e in entries)


def test_the_drafts_autosave_is_logged_once_per_ten_minutes(client, login, nordlog, make_order):
    olga, _colleague, marek = nordlog
    order = make_order(olga, submit=False)
    login(marek)
    view_as(client, olga)
    for n in range(20):
        response = client.post(f"/orders/{order.id}/draft", data=draft_form(order, **{"devices-0-model": f"TC-{n}"}))
        assert response.status_code == 200 and response.json["saved_at"]
    assert order.draft["devices-0-model"] == "TC-19"
    [entry] = actions()
    assert (entry.actor_id, entry.entity_id, entry.field) == (marek.id, olga.id, "customer.autosave_order")
    entry.at -= timedelta(minutes=11)  # the staff member is still typing eleven minutes later
    db.session.commit()
    client.post(f"/orders/{order.id}/draft", data=draft_form(order))
    assert len(actions()) == 2


def test_a_customer_acting_on_their_own_is_not_logged(client, login, nordlog, shipped):
    olga, _colleague, _marek = nordlog
    parcel, order = shipped
    login(olga)
    assert client.post(f"/parcels/{parcel.id}/delivered", data={"order_id": order.id}).status_code == 302
    draft = db.session.get(Order, int(client.post("/orders/new").headers["Location"].split("/")[-2]))
    assert client.post(f"/orders/{draft.id}/draft", data=draft_form(draft)).status_code == 200
    assert actions() == []


def test_refused_actions_while_viewing_are_not_logged(client, login, nordlog, make_order):
    olga, colleague, marek = nordlog
    submitted = make_order(olga, devices=1)
    draft = make_order(olga, submit=False)
    login(marek)
    view_as(client, olga)
    assert client.post(f"/users/{colleague.id}/deactivate").status_code == 403  # read-only while viewing
    assert upload(client, draft, "devices.xls", content=b"not a spreadsheet").status_code == 422
    assert client.post(f"/orders/{submitted.id}/draft", data=draft_form(submitted)).status_code == 409
    assert client.post("/orders/999999/cancel").status_code == 404
    assert client.get(f"/orders/{draft.id}/edit").status_code == 200  # reading is no action
    assert actions() == []


def test_a_log_entry_that_cannot_be_written_does_not_undo_or_break_the_action(client, login, nordlog, make_order,
                                                                                 caplog):
    olga, _colleague, marek = nordlog
    draft = make_order(olga, submit=False)
    login(marek)
    view_as(client, olga)
    db.session.execute(text("DROP TABLE audit_entries"))  # the log cannot be written to
    db.session.commit()
    response = client.post(f"/orders/{draft.id}/draft", data=draft_form(draft, **{"devices-0-model": "TC-77"}))
    assert response.status_code == 200 and response.json["saved_at"]
    db.session.expire_all()
    assert draft.draft["devices-0-model"] == "TC-77"
    assert "made while viewing as a customer" in caplog.text
