"""Notes on orders and devices: staff write them, customers read only those meant for them."""

import html

import pytest
from sqlalchemy import select

from portal import notes
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import Role
from portal.models.sla import Note

pytestmark = pytest.mark.both_databases


@pytest.fixture
def manager(make_staff):
    return make_staff(Role.ACCOUNT_MANAGER, name="Mia Manager")


@pytest.fixture
def owner(make_company):
    return make_company(name="Olga Owner")


@pytest.fixture
def order(make_order, owner):
    return make_order(owner, devices=2)


def test_staff_read_every_note_customers_only_theirs(order, owner, manager, make_staff):
    notes.add_note(order, author=manager, text="Customer called: spare battery inside box 2.")
    shared = notes.add_note(order, author=manager, text="We repair the screens first.", visible_to_customer=True)
    on_device = notes.add_note(order, author=manager, text="Scratches on arrival.", device=order.devices[1],
                               visible_to_customer=True)
    db.session.commit()
    assert [n.text for n in notes.notes_for(order, viewer=manager)] == [
        "Customer called: spare battery inside box 2.", "We repair the screens first.", "Scratches on arrival."]
    assert notes.notes_for(order, viewer=owner) == [shared, on_device]
    assert notes.notes_for(order, viewer=owner, device=order.devices[1]) == [on_device]
    assert shared.author == manager and shared.created_at is not None
    # Customer care reads them too; a technician is not the office and reads none.
    assert len(notes.notes_for(order, viewer=make_staff(Role.CUSTOMER_CARE))) == 3
    assert notes.notes_for(order, viewer=make_staff(Role.TECHNICIAN)) == []


def test_colleagues_read_only_with_the_right_and_strangers_never(order, owner, manager, make_user, make_company):
    notes.add_note(order, author=manager, text="Shared", visible_to_customer=True)
    colleague = make_user(owner.company)
    allowed = make_user(owner.company, rights=("can_see_colleagues_orders",))
    stranger = make_company()
    assert notes.notes_for(order, viewer=colleague) == []
    assert len(notes.notes_for(order, viewer=allowed)) == 1
    assert notes.notes_for(order, viewer=stranger) == []


@pytest.mark.parametrize("text, message", [("", "Write the note."), ("   ", "Write the note."),
                                           ("x" * 5001, "at most 5000 characters")])
def test_a_note_needs_text_of_a_sane_length(order, manager, text, message):
    with pytest.raises(DomainError, match=message) as error:
        notes.add_note(order, author=manager, text=text)
    assert error.value.field == "text"


def test_only_the_office_writes_notes(order, owner, make_staff):
    with pytest.raises(NotAllowed):
        notes.add_note(order, author=owner, text="Hello")
    with pytest.raises(NotAllowed):
        notes.add_note(order, author=make_staff(Role.TECHNICIAN), text="Hello")


def test_the_device_and_the_customer_user_must_belong_to_the_order(order, manager, make_order, make_company):
    other = make_order(make_company(), devices=1)
    with pytest.raises(DomainError, match="not on this order"):
        notes.add_note(order, author=manager, text="x", device=other.devices[0])
    with pytest.raises(DomainError, match="not of the order's company"):
        notes.add_note(order, author=manager, text="x", on_behalf_of=other.owner)
    note = notes.add_note(order, author=manager, text="Acting as Olga", on_behalf_of=order.owner)
    assert note.on_behalf_of == order.owner


# -- over HTTP -------------------------------------------------------------------------------

def test_staff_add_a_note_on_the_admin_order_page(client, login, order, manager):
    login(manager)
    response = client.post(f"/admin/orders/{order.id}/notes",
                           data={"text": "Box 2 arrived wet.", "device_id": str(order.devices[0].id),
                                 "visible_to_customer": "y"})
    assert response.status_code == 302 and response.location.endswith(f"/admin/orders/{order.id}#notes")
    note = db.session.scalar(select(Note))
    assert (note.text, note.device_id, note.visible_to_customer, note.author_id) == (
        "Box 2 arrived wet.", order.devices[0].id, True, manager.id)


def test_a_staff_only_note_by_default(client, login, order, manager):
    login(manager)
    client.post(f"/admin/orders/{order.id}/notes", data={"text": "Internal", "device_id": "0"})
    note = db.session.scalar(select(Note))
    assert note.device_id is None and not note.visible_to_customer


@pytest.mark.parametrize("data, message", [
    ({"text": ""}, "Write the note."),
    ({"text": "x" * 5001}, "Field cannot be longer than 5000 characters."),
    ({"text": "ok", "device_id": "99999"}, "Not a valid choice."),
])
def test_bad_notes_are_refused_with_a_message(client, login, order, manager, data, message):
    login(manager)
    response = client.post(f"/admin/orders/{order.id}/notes", data=data, follow_redirects=True)
    assert response.status_code == 200 and message in html.unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(Note)) is None


def test_a_device_of_another_order_is_refused(client, login, order, manager, make_order, make_company):
    other = make_order(make_company(), devices=1)
    login(manager)
    client.post(f"/admin/orders/{order.id}/notes", data={"text": "x", "device_id": str(other.devices[0].id)})
    assert db.session.scalar(select(Note)) is None


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.DISPATCH])
def test_bench_staff_cannot_add_notes(client, login, order, make_staff, role):
    login(make_staff(role))
    assert client.post(f"/admin/orders/{order.id}/notes", data={"text": "x"}).status_code == 403


def test_customers_cannot_add_notes_through_the_office(client, login, order, owner):
    login(owner)
    assert client.post(f"/admin/orders/{order.id}/notes", data={"text": "x"}).status_code == 403


def test_unknown_and_draft_orders_are_404(client, login, manager, make_order, owner):
    login(manager)
    assert client.post("/admin/orders/9999/notes", data={"text": "x"}).status_code == 404
    draft = make_order(owner, submit=False)
    assert client.post(f"/admin/orders/{draft.id}/notes", data={"text": "x"}).status_code == 404


def test_another_companys_user_gets_404_on_the_order_and_device_pages(client, login, order, manager,
                                                                      make_company):
    notes.add_note(order, author=manager, text="Shared", visible_to_customer=True)
    db.session.commit()
    login(make_company())
    assert client.get(f"/orders/{order.id}").status_code == 404
    assert client.get(f"/devices/{order.devices[0].id}").status_code == 404


def test_the_notes_macro_shows_author_and_time(app, order, manager, owner):
    from flask import render_template_string

    notes.add_note(order, author=manager, text="Staff only", visible_to_customer=False)
    notes.add_note(order, author=manager, text="For you", visible_to_customer=True)
    template = '{% from "macros/notes.html" import notes_section %}{{ notes_section(items, staff=staff) }}'
    with app.test_request_context():
        staff_view = render_template_string(template, items=notes.notes_for(order, viewer=manager), staff=True)
        customer_view = render_template_string(template, items=notes.notes_for(order, viewer=owner), staff=False)
    assert "Mia Manager" in staff_view and "Staff only" in staff_view and "<time datetime=" in staff_view
    assert "Staff only" not in customer_view and "For you" in customer_view and "Mia Manager" in customer_view
    assert "Customer sees it" not in customer_view
