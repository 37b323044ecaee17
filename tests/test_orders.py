"""Orders: drafts, submission into the life cycle, edits and cancellation before receipt, the check, reminders."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import orders, workflow
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import DeviceStatus, OrderState, RequestType, Role, Transition
from tests.conftest import device_row, order_data

pytestmark = pytest.mark.both_databases


def receive(device, make_staff):
    workflow.move(device, DeviceStatus.RECEIVED, actor=make_staff(Role.RECEIVING), station="Receiving 1")
    db.session.commit()


def test_submitting_registers_every_device_with_a_unique_tag_and_mails_the_document(
        make_company, make_order, send_mail):
    owner = make_company()
    order = make_order(owner, devices=3, boxes=2)
    assert order.state == OrderState.SUBMITTED and order.number == f"RO{order.id:07d}"
    assert [d.status for d in order.devices] == [DeviceStatus.REGISTERED] * 3
    assert len({d.tag_code for d in order.devices}) == 3
    assert all(len(d.tag_code) == 8 and d.tag_code.startswith("D") for d in order.devices)
    first = db.session.scalars(select(Transition).where(Transition.device_id == order.devices[0].id)).all()
    assert [(t.from_status, t.to_status, t.actor_id) for t in first] == [(None, DeviceStatus.REGISTERED, owner.id)]
    mailbox = send_mail()
    [mail] = [m for m in mailbox.to(owner.email) if order.number in m["Subject"]]
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == f"{order.number}-logistics.pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_a_draft_keeps_what_was_typed_even_when_invalid(make_company, make_order):
    owner = make_company()
    draft = make_order(owner, submit=False)
    typed = {"contact_name": "Olga", "devices-0-purchase_date": "31.02.2024", "devices-0-serial_number": " X1 "}
    orders.save_draft(draft, typed, actor=owner)
    db.session.commit()
    db.session.expire_all()
    assert draft.draft == typed
    assert draft.devices == [] and draft.number is None


def test_duplicate_serial_box_out_of_range_and_foreign_address_are_all_reported(make_company, make_order):
    owner, other = make_company(), make_company()
    draft = make_order(owner, submit=False)
    rows = [device_row(1), device_row(2, serial_number="SN000001"), device_row(3, box_number=3)]
    data = order_data(draft, rows, box_count=2, return_address_id=other.company.return_addresses[0].id)
    with pytest.raises(orders.OrderInvalid) as refused:
        orders.submit_order(draft, data, actor=owner)
    assert set(refused.value.problems) == {"devices-1-serial_number", "devices-2-box_number", "return_address_id"}
    assert "row 1" in refused.value.problems["devices-1-serial_number"]
    db.session.rollback()
    assert draft.state == OrderState.DRAFT and draft.devices == []


def test_an_order_without_devices_is_refused(make_company, make_order):
    owner = make_company()
    draft = make_order(owner, submit=False)
    with pytest.raises(orders.OrderInvalid) as refused:
        orders.submit_order(draft, order_data(draft, []), actor=owner)
    assert "devices" in refused.value.problems


def test_before_receipt_the_owner_edits_adds_and_removes_devices(make_company, make_order):
    owner = make_company()
    order = make_order(owner, devices=2)
    first, second = order.devices
    rows = [device_row(1, id=first.id, model="TC57"), device_row(99)]
    orders.update_order(order, order_data(order, rows), actor=owner)
    db.session.commit()
    assert first.model == "TC57"
    assert second.status == DeviceStatus.CANCELLED
    assert second.transitions[-1].note == "Removed from the order before receipt"
    assert len(order.devices) == 3 and order.devices[-1].status == DeviceStatus.REGISTERED


def test_after_the_first_device_is_received_edit_and_cancel_are_refused(make_company, make_order, make_staff):
    owner = make_company()
    order = make_order(owner, devices=2)
    receive(order.devices[0], make_staff)
    assert not orders.is_before_receipt(order)
    with pytest.raises(DomainError, match="already received"):
        orders.update_order(order, order_data(order, [device_row(1)]), actor=owner)
    with pytest.raises(DomainError, match="already received"):
        orders.cancel_order(order, actor=owner)


def test_cancelling_moves_every_registered_device_through_the_life_cycle(make_company, make_order):
    owner = make_company()
    order = make_order(owner, devices=2)
    orders.cancel_order(order, actor=owner)
    db.session.commit()
    assert order.state == OrderState.CANCELLED
    assert {d.status for d in order.devices} == {DeviceStatus.CANCELLED}
    assert all(d.transitions[-1].actor_id == owner.id for d in order.devices)


def test_a_colleague_needs_edit_all_to_change_someone_elses_order(make_company, make_user, make_order):
    owner = make_company()
    order = make_order(owner)
    reader = make_user(owner.company, rights=("can_see_colleagues_orders",))
    editor = make_user(owner.company, rights=("can_edit_all_orders",))
    with pytest.raises(NotAllowed):
        orders.cancel_order(order, actor=reader)
    orders.cancel_order(order, actor=editor)
    assert order.state == OrderState.CANCELLED


def test_account_manager_submits_on_behalf_of_the_customer(make_company, make_order, make_staff):
    owner = make_company()
    manager = make_staff(Role.ACCOUNT_MANAGER)
    order = make_order(owner, actor=manager)
    assert order.created_by == manager and order.owner == owner
    transition = order.devices[0].transitions[0]
    assert (transition.actor, transition.on_behalf_of) == (manager, owner)


def test_the_check_sets_request_types_or_returns_the_order_with_a_note(
        make_company, make_order, make_staff, send_mail):
    owner = make_company()
    care = make_staff(Role.CUSTOMER_CARE)
    order = make_order(owner, devices=2)
    first, second = order.devices
    orders.return_order(order, "Serial of device 2 looks wrong", actor=care)
    db.session.commit()
    assert order.state == OrderState.RETURNED
    [mail] = [m for m in send_mail().to(owner.email) if "attention" in m["Subject"]]
    assert "Serial of device 2 looks wrong" in mail.get_body(("plain",)).get_content()
    rows = [device_row(1, id=first.id), device_row(2, id=second.id, serial_number="FIXED-2")]
    orders.submit_order(order, order_data(order, rows), actor=owner)
    orders.accept_order(order, {first.id: RequestType.WARRANTY}, actor=care)
    db.session.commit()
    assert order.state == OrderState.ACCEPTED and order.checked_by == care
    assert (first.request_type, second.request_type) == (RequestType.WARRANTY, RequestType.PAID)
    assert second.serial_number == "FIXED-2"


def test_reminder_goes_once_after_14_days_without_a_parcel(make_company, make_order, make_staff, runner, mailbox, app):
    owner = make_company()
    manager = make_staff(Role.ACCOUNT_MANAGER, name="Marek Manager")
    owner.company.account_manager = manager
    waiting, arrived, _fresh = make_order(owner), make_order(owner), make_order(owner)
    for order in (waiting, arrived):
        order.submitted_at = utcnow() - timedelta(days=15)
    receive(arrived.devices[0], make_staff)
    db.session.commit()
    for _ in range(2):
        result = runner.invoke(args=["jobs", "run"])
        assert result.exit_code == 0, result.output
    reminders = [m for m in mailbox.to(owner.email) if "has the parcel been sent" in m["Subject"]]
    assert len(reminders) == 1
    assert waiting.number in reminders[0]["Subject"]
    assert "Marek Manager" in reminders[0].get_body(("plain",)).get_content()


def test_unlock_codes_are_encrypted_at_rest(make_company, make_order):
    owner = make_company()
    draft = make_order(owner, submit=False)
    orders.submit_order(draft, order_data(draft, [device_row(1, unlock_code="1234-secret")]), actor=owner)
    device = draft.devices[0]
    assert b"1234-secret" not in device.unlock_code_encrypted
    assert orders.decrypt_unlock_code(device) == "1234-secret"


def test_visible_orders_follow_the_see_colleagues_right(make_company, make_user, make_order):
    owner = make_company()
    own_only = make_user(owner.company)
    sees_all = make_user(owner.company, rights=("can_see_colleagues_orders",))
    colleagues_order, own_order = make_order(owner), make_order(own_only)
    outsider_order = make_order(make_company())
    assert db.session.scalars(orders.visible_orders(own_only)).all() == [own_order]
    assert set(db.session.scalars(orders.visible_orders(sees_all))) == {colleagues_order, own_order}
    assert outsider_order not in db.session.scalars(orders.visible_orders(owner)).all()


def test_category_is_suggested_from_what_the_company_sent_before(make_company, make_order, make_category):
    owner = make_company()
    scanner = make_category("Handheld terminal")
    make_order(owner, rows=[device_row(1, category_id=scanner.id, manufacturer="Zebra", model="TC52")])
    assert orders.suggest_category(owner.company, "zebra", "tc52 ") == scanner
    assert orders.suggest_category(make_company().company, "Zebra", "TC52") is None
