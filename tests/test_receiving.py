"""What a scan at the receiving station does: open an order or a box, receive a device, refuse loudly."""

import pytest
from sqlalchemy import func, select

from portal import orders, receiving
from portal.errors import DomainError
from portal.extensions import db
from portal.models import DeviceStatus, Role, Station, StationKind, Transition

pytestmark = pytest.mark.both_databases


@pytest.fixture
def station(app):
    station = Station(name="Receiving 1", kind=StationKind.RECEIVING)
    db.session.add(station)
    db.session.commit()
    return station


@pytest.fixture
def receiver(make_staff):
    return make_staff(Role.RECEIVING, name="Rita Receiving")


def transitions():
    return db.session.scalar(select(func.count()).select_from(Transition))


def test_order_and_box_codes_open_the_order_with_what_is_expected(make_company, make_order, station, receiver):
    order = make_order(make_company(), devices=4, boxes=2)
    opened = receiving.scan(order.number.lower() + " ", actor=receiver, station=station, current=None)
    assert (opened.level, opened.order, opened.box) == ("success", order, None)
    assert "0 of 4 received" in opened.message
    box = receiving.scan(f"{order.number}-B2", actor=receiver, station=station, current=None)
    assert box.box == 2 and "0 of 2 received" in box.message


def test_scanning_a_device_tag_receives_it_at_this_station(make_company, make_order, station, receiver):
    order = make_order(make_company(), devices=2)
    device = order.devices[0]
    result = receiving.scan(device.tag_code, actor=receiver, station=station, current=order)
    db.session.commit()
    assert result.level == "success" and "1 of 2" in result.message
    assert device.status == DeviceStatus.RECEIVED
    last = device.transitions[-1]
    assert (last.actor, last.station, last.from_status) == (receiver, "Receiving 1", DeviceStatus.REGISTERED)


@pytest.mark.parametrize("case", ["unknown code", "unknown tag", "other order", "again", "cancelled order",
                                  "box out of range"])
def test_a_scan_that_does_not_fit_says_why_and_changes_nothing(make_company, make_order, station, receiver, case):
    owner = make_company()
    order, other = make_order(owner, devices=2), make_order(owner, devices=1)
    receiving.scan(order.devices[0].tag_code, actor=receiver, station=station, current=order)
    db.session.commit()
    if case == "cancelled order":
        orders.cancel_order(other, actor=owner)
        db.session.commit()
    before = transitions()
    code, current, expected = {
        "unknown code": ("HELLO-123", order, "Unknown code"),
        "unknown tag": ("DZZZZZZZ", order, "Unknown device tag"),
        "other order": (other.devices[0].tag_code, order, f"belongs to order {other.number}"),
        "again": (order.devices[0].tag_code, order, "already received (by Rita Receiving, Receiving 1 at "),
        "cancelled order": (other.number, None, "was cancelled"),
        "box out of range": (f"{order.number}-B7", None, "has 1 boxes, not box 7"),
    }[case]
    result = receiving.scan(code, actor=receiver, station=station, current=current)
    assert result.level == "error" and expected in result.message
    assert transitions() == before


def test_a_missing_device_that_arrives_later_is_received(make_company, make_order, station, receiver, make_staff):
    from portal import workflow

    order = make_order(make_company(), devices=1)
    device = order.devices[0]
    workflow.move(device, DeviceStatus.MISSING, actor=make_staff(Role.ACCOUNT_MANAGER))
    result = receiving.scan(device.tag_code, actor=receiver, station=station, current=None)
    assert result.level == "success" and device.status == DeviceStatus.RECEIVED



@pytest.fixture
def manager(make_staff):
    return make_staff(Role.ACCOUNT_MANAGER, name="Mona Manager")


def managed_company(make_company, manager):
    from portal import assignment
    from portal.models import AssignmentMethod

    owner = make_company()
    assignment.assign_manager(owner.company, manager, method=AssignmentMethod.HAND)
    db.session.commit()
    return owner


def receive(order, receiver, station, *devices):
    for device in devices or order.devices:
        assert receiving.scan(device.tag_code, actor=receiver, station=station, current=order).level != "error"
    db.session.commit()


def test_a_device_in_the_parcel_not_on_the_order_is_added_received_and_flagged(
        make_company, make_order, station, receiver, manager, send_mail):
    order = make_order(managed_company(make_company, manager), devices=2)
    send_mail().messages.clear()  # the order's confirmation
    device = receiving.add_unlisted_device(order, serial=" EXTRA-1 ", model="TC21", actor=receiver, station=station)
    db.session.commit()
    assert device in order.devices and device.added_at_receiving
    assert (device.serial_number, device.model, device.status) == ("EXTRA-1", "TC21", DeviceStatus.RECEIVED)
    assert [t.to_status for t in device.transitions] == [DeviceStatus.REGISTERED, DeviceStatus.RECEIVED]
    assert device.transitions[-1].station == "Receiving 1"
    assert receiving.TAG_CODE.match(device.tag_code)
    assert receiving.progress(order) == (1, 3)
    mailbox = send_mail()
    [mail] = mailbox.to(manager.email)
    text = mailbox.text(mail)
    assert order.number in text and "EXTRA-1" in text and device.tag_code in text


@pytest.mark.parametrize("serial, expected", [("", "Scan or type the serial"), ("SN-LISTED", "is on the order as")])
def test_adding_a_device_that_is_listed_or_has_no_serial_is_refused(make_company, make_order, station, receiver,
                                                                    serial, expected):
    owner = make_company()
    order = make_order(owner, devices=1)
    order.devices[0].serial_number = "SN-LISTED"
    db.session.commit()
    with pytest.raises(DomainError, match=expected):
        receiving.add_unlisted_device(order, serial=serial.lower(), actor=receiver, station=station)


def test_one_received_mail_per_box_when_the_box_is_done(make_company, make_order, station, receiver, send_mail):
    owner = make_company()
    order = make_order(owner, devices=4, boxes=2)
    box_one = [d for d in order.devices if d.box_number == 1]
    send_mail().messages.clear()  # the order's confirmation
    receive(order, receiver, station, box_one[0])
    assert send_mail().to(owner.email) == []
    receive(order, receiver, station, box_one[1])
    mailbox = send_mail()
    [mail] = mailbox.to(owner.email)
    assert "box 1 of 2 received" in mail["Subject"]
    text = mailbox.text(mail)
    assert all(d.tag_code in text for d in box_one)
    assert not any(d.tag_code in text for d in order.devices if d.box_number == 2)


def test_closing_receiving_marks_the_rest_missing_and_tells_customer_and_manager(
        make_company, make_order, station, receiver, manager, send_mail):
    owner = managed_company(make_company, manager)
    order = make_order(owner, devices=3, boxes=2)
    first_box = next(d for d in order.devices if d.box_number == 1)
    receive(order, receiver, station, first_box)
    send_mail().messages.clear()  # the order's confirmation
    with pytest.raises(DomainError, match="Box 2 of 2 has not arrived"):
        receiving.close_receiving(order, actor=receiver, station=station)
    assert all(d.status == DeviceStatus.REGISTERED for d in order.devices if d is not first_box)

    missing = receiving.close_receiving(order, actor=manager)
    db.session.commit()
    assert sorted(d.id for d in missing) == sorted(d.id for d in order.devices if d is not first_box)
    assert all(d.status == DeviceStatus.MISSING for d in missing)
    assert order.receiving_closed_at is not None and order.receiving_closed_by == manager
    mailbox = send_mail()
    for address in (owner.email, manager.email):
        [mail] = mailbox.to(address)
        text = mailbox.text(mail)
        assert "2 missing" in mail["Subject"] and all(d.tag_code in text for d in missing)
    with pytest.raises(DomainError, match="already closed"):
        receiving.close_receiving(order, actor=manager)

    mailbox.messages.clear()
    late = missing[0]
    result = receiving.scan(late.tag_code, actor=receiver, station=station, current=None)
    db.session.commit()
    assert result.level == "success" and late.status == DeviceStatus.RECEIVED
    [mail] = send_mail().to(owner.email)
    assert late.tag_code in mailbox.text(mail) and "arrived after all" in mailbox.text(mail)


def test_receiving_staff_close_once_every_box_is_in(make_company, make_order, station, receiver):
    order = make_order(make_company(), devices=4, boxes=2)
    receive(order, receiver, station, *[next(d for d in order.devices if d.box_number == n) for n in (1, 2)])
    assert receiving.boxes_not_in(order) == []
    missing = receiving.close_receiving(order, actor=receiver, station=station)
    assert len(missing) == 2 and missing[0].transitions[-1].station == "Receiving 1"


def ship(device, people, take_photos):
    """Through the allowed moves to shipped, as the depot would."""
    from portal import workflow

    take_photos(device, "intake")
    take_photos(device, "dispatch")
    for to, who, note in [(DeviceStatus.RECEIVED, "receiving", ""), (DeviceStatus.DIAGNOSIS, "technician", ""),
                          (DeviceStatus.BEYOND_REPAIR, "technician", "Board burnt"),
                          (DeviceStatus.READY_TO_SHIP, "dispatch", ""), (DeviceStatus.SHIPPED, "dispatch", "")]:
        workflow.move(device, to, actor=people[who], note=note)
    db.session.commit()


@pytest.mark.parametrize("days_ago, flagged", [(30, True), (120, False)])
def test_a_serial_shipped_back_within_the_repair_warranty_is_a_repeat_repair(
        make_company, make_order, make_staff, station, receiver, take_photos, days_ago, flagged):
    from datetime import timedelta

    from portal.dbbase import utcnow

    people = {role: make_staff(Role(role)) for role in ("receiving", "technician", "dispatch")}
    owner = make_company()
    first = make_order(owner, devices=1).devices[0]
    ship(first, people, take_photos)
    first.transitions[-1].at = utcnow() - timedelta(days=days_ago)
    again = make_order(owner, devices=1).devices[0]
    again.serial_number = first.serial_number
    other_company = make_order(make_company(), devices=1).devices[0]
    other_company.serial_number = first.serial_number
    db.session.commit()

    result = receiving.scan(again.tag_code, actor=receiver, station=station, current=None)
    assert (again.repeat_of == first) is flagged
    assert (result.level, "Repeat repair" in result.message) == (("warning", True) if flagged else ("success", False))
    if flagged:
        assert first.tag_code in result.message and first.order.number in result.message
    receiving.scan(other_company.tag_code, actor=receiver, station=station, current=None)
    assert other_company.repeat_of is None  # another company's device with the same serial is not a repeat
