"""What a scan at the receiving station does: open an order or a box, receive a device, refuse loudly."""

import pytest
from sqlalchemy import func, select

from portal import orders, receiving
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
        "again": (order.devices[0].tag_code, order, "already received (by Rita Receiving, Receiving 1)"),
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
