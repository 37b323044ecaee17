"""Dispatch: packing parcels by scanning, the carrier, the packing list, courier pick-up, delivery."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from portal import dispatch, orders, workflow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import (
    Carrier,
    Device,
    DeviceStatus,
    OutboxMessage,
    Parcel,
    ParcelState,
    ReturnAddress,
    Role,
    Station,
    StationKind,
    Transition,
)
from portal.packing_list import packing_list_pdf
from tests.barcodes import decode_barcodes
from tests.conftest import device_row

pytestmark = pytest.mark.both_databases
S = DeviceStatus


@pytest.fixture
def station(app):
    station = Station(name="Dispatch 1", kind=StationKind.DISPATCH)
    db.session.add(station)
    db.session.commit()
    return station


@pytest.fixture
def crew(make_staff):
    return SimpleNamespace(receiving=make_staff(Role.RECEIVING), technician=make_staff(Role.TECHNICIAN),
                           tester=make_staff(Role.TESTER), dispatch=make_staff(Role.DISPATCH, name="Dora Dispatch"))


@pytest.fixture
def bring(crew, take_photos):
    """Walk a device through allowed moves: repaired and tested to ready to ship, or to an outcome
    it is returned unrepaired from (stopping there)."""
    def bring(device, via=S.QUALITY_CHECK):
        workflow.move(device, S.RECEIVED, actor=crew.receiving)
        take_photos(device, "intake")
        workflow.move(device, S.DIAGNOSIS, actor=crew.technician)
        if via == S.QUALITY_CHECK:
            workflow.move(device, S.REPAIR, actor=crew.technician)
            workflow.move(device, S.QUALITY_CHECK, actor=crew.technician)
            workflow.move(device, S.READY_TO_SHIP, actor=crew.tester)
        elif via == S.DECLINED:
            workflow.move(device, S.AWAITING_APPROVAL, actor=crew.technician)
            workflow.move(device, S.DECLINED, actor=device.order.owner)
        else:
            workflow.move(device, via, actor=crew.technician, note="Mainboard burnt")
        db.session.commit()
        return device
    return bring


@pytest.fixture
def shipment(make_company, make_order, bring):
    """One customer, two orders to the same return address, every device ready to ship."""
    owner = make_company()
    first = make_order(owner, devices=3, rows=[device_row(100 + n, unlock_code=f"PIN{n}") for n in range(3)])
    second = make_order(owner, devices=1)
    for device in first.devices + second.devices:
        bring(device)
    return SimpleNamespace(owner=owner, first=first, second=second, devices=first.devices + second.devices)


def pack(devices, crew, station, parcel=None):
    for device in devices:
        result = dispatch.scan(device.tag_code, actor=crew.dispatch, station=station, parcel=parcel)
        assert result.level == "success", result.message
        parcel = result.parcel
    db.session.commit()
    return parcel


def counts():
    return (db.session.scalar(select(func.count()).select_from(Transition)),
            db.session.scalar(select(func.count()).select_from(Parcel)))


def shipped_mail(mailbox, address):
    return [m for m in mailbox.to(address) if "shipped" in m["Subject"]]


def give_dispatch_photos(devices, take_photos):
    for device in devices:
        take_photos(device, "dispatch")
    db.session.commit()


# -- packing ----------------------------------------------------------------------------------

def test_scanning_ready_devices_builds_one_parcel_for_their_return_address(shipment, crew, station):
    parcel = pack(shipment.devices, crew, station)
    assert re.fullmatch(r"PK\d{7}", parcel.code) and parcel.code == dispatch.code_for(parcel.id)
    assert parcel.devices == sorted(shipment.devices, key=lambda d: d.id)
    assert parcel.company_id == shipment.owner.company_id
    assert parcel.return_address_id == shipment.first.return_address_id
    assert (parcel.state, parcel.station, parcel.created_by) == (ParcelState.PACKING, "Dispatch 1", crew.dispatch)
    assert all(d.status == S.READY_TO_SHIP for d in parcel.devices)  # packing moves nothing
    reopened = dispatch.scan(parcel.code.lower(), actor=crew.dispatch, station=station, parcel=None)
    assert reopened.level == "success" and reopened.parcel == parcel and "4 devices" in reopened.message


@pytest.mark.parametrize("outcome", [S.BEYOND_REPAIR, S.NO_FAULT_FOUND, S.DECLINED])
def test_a_device_returned_unrepaired_is_made_ready_to_ship_as_it_is_packed(make_company, make_order, bring, crew,
                                                                            station, outcome):
    device = bring(make_order(make_company(), devices=1).devices[0], via=outcome)
    result = dispatch.scan(device.tag_code, actor=crew.dispatch, station=station, parcel=None)
    db.session.commit()
    assert result.level == "success" and "returned unrepaired" in result.message
    assert device.status == S.READY_TO_SHIP and device.parcel_id == result.parcel.id
    last = device.transitions[-1]
    assert (last.from_status, last.actor, last.station) == (outcome, crew.dispatch, "Dispatch 1")
    assert dispatch.outcome(device) == workflow.title(outcome)


def test_a_repaired_device_comes_back_as_repaired(shipment):
    assert dispatch.outcome(shipment.devices[0]) == "Repaired"


@pytest.mark.parametrize("case", ["other company", "other address", "wrong status", "already packed",
                                  "unknown tag", "unknown code", "unknown parcel"])
def test_a_scan_that_does_not_fit_says_why_and_changes_nothing(shipment, make_company, make_order, bring, crew,
                                                              station, case):
    parcel = pack(shipment.devices[:2], crew, station)
    stranger = bring(make_order(make_company(legal_name="Other Firma"), devices=1).devices[0])
    elsewhere = make_order(shipment.owner, devices=2)
    address = ReturnAddress(company=shipment.owner.company, label="Branch", recipient="Branch office",
                            street="ul. Inna 5", postcode="30-001", city="Kraków", country="PL")
    db.session.add(address)
    db.session.flush()
    elsewhere.return_address_id = address.id
    db.session.commit()
    bring(elsewhere.devices[0])
    lone = pack(shipment.devices[3:], crew, station)  # another parcel, same address
    before = counts()
    code, expected = {
        "other company": (stranger.tag_code, "belongs to Other Firma"),
        "other address": (elsewhere.devices[0].tag_code, "Branch office, ul. Inna 5, 30-001 Kraków"),
        "wrong status": (elsewhere.devices[1].tag_code, "is “Registered”: it is not ready to ship"),
        "already packed": (shipment.devices[3].tag_code, f"already in parcel {lone.code}"),
        "unknown tag": ("DZZZZZZZ", "Unknown device tag"),
        "unknown code": ("HELLO", "Unknown code"),
        "unknown parcel": ("PK9999999", "No parcel PK9999999"),
    }[case]
    result = dispatch.scan(code, actor=crew.dispatch, station=station, parcel=parcel)
    db.session.commit()
    assert result.level == "error" and expected in result.message, result.message
    assert result.parcel == parcel
    assert counts() == before
    assert len(parcel.devices) == 2
    if case == "other address":
        assert f"this parcel goes to {shipment.owner.company.legal_name}" in result.message


def test_of_two_stations_packing_one_device_at_once_one_wins(shipment, crew, station):
    device = shipment.devices[0]
    other = pack(shipment.devices[1:2], crew, station)
    # The other station's packing reached the database after this request read the device.
    db.session.execute(update(Device).where(Device.id == device.id).values(parcel_id=other.id)
                       .execution_options(synchronize_session=False))
    with pytest.raises(DomainError, match="just packed at another station"):
        dispatch.scan(device.tag_code, actor=crew.dispatch, station=station, parcel=None)
    db.session.rollback()


@pytest.mark.parametrize("status", [S.REGISTERED, S.RECEIVED, S.DIAGNOSIS, S.REPAIR, S.QUALITY_CHECK])
def test_devices_not_ready_to_ship_are_refused_loudly_by_their_status(make_company, make_order, crew, station,
                                                                      take_photos, status):
    device = make_order(make_company(), devices=1).devices[0]
    path = [S.RECEIVED, S.DIAGNOSIS, S.REPAIR, S.QUALITY_CHECK]
    actors = {S.RECEIVED: crew.receiving}
    take_photos(device, "intake")
    for to in path[:path.index(status) + 1] if status != S.REGISTERED else []:
        workflow.move(device, to, actor=actors.get(to, crew.technician))
    db.session.commit()
    result = dispatch.scan(device.tag_code, actor=crew.dispatch, station=station, parcel=None)
    assert result.level == "error" and workflow.title(status) in result.message
    assert device.parcel_id is None and device.status == status


def test_devices_are_taken_out_of_a_parcel_while_it_is_packed(shipment, crew, station):
    parcel = pack(shipment.devices, crew, station)
    device = shipment.devices[1]
    dispatch.remove_device(parcel, device, crew.dispatch)
    db.session.commit()
    assert device.parcel_id is None and device not in parcel.devices and len(parcel.devices) == 3
    assert device.status == S.READY_TO_SHIP
    with pytest.raises(DomainError, match="is not in parcel"):
        dispatch.remove_device(parcel, device, crew.dispatch)
    again = dispatch.scan(device.tag_code, actor=crew.dispatch, station=station, parcel=parcel)
    assert again.level == "success" and again.parcel == parcel


# -- carrier ----------------------------------------------------------------------------------

def test_the_carrier_and_tracking_number_are_checked_and_kept(shipment, crew, station):
    parcel = pack(shipment.devices, crew, station)
    with pytest.raises(DomainError, match="A DPD tracking number has 14 digits; “123” has 3.") as refused:
        dispatch.set_carrier(parcel, Carrier.DPD, "123", "", crew.dispatch)
    assert refused.value.field == "tracking_number"
    with pytest.raises(DomainError, match="Name the carrier") as refused:
        dispatch.set_carrier(parcel, Carrier.OTHER, "AB-1234", "  ", crew.dispatch)
    assert refused.value.field == "carrier_name"
    dispatch.set_carrier(parcel, "dpd", "0123 4567 8901 23", "ignored", crew.dispatch)
    db.session.commit()
    assert (parcel.carrier, parcel.tracking_number, parcel.carrier_name) == (Carrier.DPD, "01234567890123", "")

    other = Parcel(company_id=parcel.company_id, code="PK7654321")
    db.session.add(other)
    db.session.flush()
    with pytest.raises(DomainError, match=f"already on parcel {parcel.code}"):
        dispatch.set_carrier(other, Carrier.DPD, "01234567890123", "", crew.dispatch)


# -- the packing list -----------------------------------------------------------------------------

def test_the_packing_list_carries_the_parcel_tracking_and_device_barcodes(shipment, crew, station, tmp_path):
    parcel = pack(shipment.devices, crew, station)
    dispatch.set_carrier(parcel, Carrier.INPOST, "620123456789012345678901", "", crew.dispatch)
    db.session.commit()
    pdf = packing_list_pdf(parcel)
    assert pdf.startswith(b"%PDF")
    codes = decode_barcodes(pdf, tmp_path / "codes")
    assert parcel.code in codes and "620123456789012345678901" in codes
    assert {d.tag_code for d in shipment.devices} <= set(codes)
    (tmp_path / "list.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "list.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    for expected in ["Return packing list", shipment.owner.company.legal_name, "InPost", shipment.first.number,
                     shipment.devices[0].serial_number, "Repaired", "Page 1 of 1"]:
        assert expected in text


def test_a_long_packing_list_runs_over_numbered_pages(make_company, make_order, bring, crew, station, tmp_path):
    order = make_order(make_company(), devices=24)
    for device in order.devices:
        bring(device, via=S.NO_FAULT_FOUND)
    parcel = pack(order.devices, crew, station)
    pdf = packing_list_pdf(parcel)
    codes = decode_barcodes(pdf, tmp_path / "codes")
    assert {d.tag_code for d in order.devices} <= set(codes) and parcel.code in codes
    (tmp_path / "list.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "list.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Page 1 of 2" in text and "Page 2 of 2" in text and "No fault found" in text


# -- courier pick-up ---------------------------------------------------------------------------

def test_pick_up_ships_every_device_erases_unlock_codes_and_mails_once_per_order(shipment, crew, station,
                                                                                take_photos, send_mail):
    parcel = pack(shipment.devices, crew, station)
    dispatch.set_carrier(parcel, Carrier.DPD, "01234567890123", "", crew.dispatch)
    give_dispatch_photos(shipment.devices, take_photos)
    assert shipment.first.devices[0].unlock_code_encrypted
    result = dispatch.pick_up(" 0123 4567 8901 23 ", actor=crew.dispatch, station=station)  # the tracking number
    db.session.commit()
    assert result.level == "success" and "4 devices shipped with DPD 01234567890123" in result.message
    assert parcel.state == ParcelState.PICKED_UP and parcel.picked_up_by == crew.dispatch and parcel.picked_up_at
    for device in shipment.devices:
        assert device.status == S.SHIPPED and device.unlock_code_encrypted is None
        assert device.transitions[-1].station == "Dispatch 1" and device.transitions[-1].actor == crew.dispatch
        assert orders.decrypt_unlock_code(device) == ""

    mailbox = send_mail()
    to_owner = shipped_mail(mailbox, shipment.owner.email)
    assert len(to_owner) == 2  # one per order, not one per device
    assert len(shipped_mail(mailbox, "olga@example.com")) == 2  # the orders' contact, another address
    by_order = {o.number: next(m for m in to_owner if o.number in m["Subject"])
                for o in (shipment.first, shipment.second)}
    first = mailbox.text(by_order[shipment.first.number])
    assert "01234567890123" in first and "https://tracking.dpd.de/status/en_US/parcel/01234567890123" in first
    assert all(d.tag_code in first and d.serial_number in first for d in shipment.first.devices)
    assert shipment.second.devices[0].tag_code not in first
    assert "3 devices shipped" in by_order[shipment.first.number]["Subject"]
    assert 'href="https://tracking.dpd.de/status/en_US/parcel/01234567890123"' in mailbox.html(
        by_order[shipment.first.number])


def test_pick_up_needs_the_carrier_and_tracking_number_first(shipment, crew, station, take_photos):
    parcel = pack(shipment.devices, crew, station)
    give_dispatch_photos(shipment.devices, take_photos)
    before = counts()
    result = dispatch.pick_up(parcel.code, actor=crew.dispatch, station=station)
    assert result.level == "error" and "no carrier and tracking number" in result.message
    assert counts() == before and parcel.state == ParcelState.PACKING


def test_pick_up_without_every_devices_dispatch_photos_ships_nothing(shipment, crew, station, take_photos):
    parcel = pack(shipment.devices, crew, station)
    dispatch.set_carrier(parcel, Carrier.UPS, "1Z999AA10123456784", "", crew.dispatch)
    give_dispatch_photos(shipment.devices[:3], take_photos)
    take_photos(shipment.devices[3], "dispatch", count=1)
    db.session.commit()
    before = counts()
    result = dispatch.pick_up(parcel.code, actor=crew.dispatch, station=station)
    db.session.commit()
    assert result.level == "error"
    assert shipment.devices[3].tag_code in result.message and "dispatch photos" in result.message
    assert shipment.devices[0].tag_code not in result.message
    assert counts() == before
    assert all(d.status == S.READY_TO_SHIP and d.unlock_code_encrypted is not None
               for d in shipment.first.devices)
    assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("shipped"))).all()


def test_a_parcel_is_picked_up_once(shipment, crew, station, take_photos):
    parcel = pack(shipment.devices, crew, station)
    dispatch.set_carrier(parcel, Carrier.GLS, "12345678901", "", crew.dispatch)
    give_dispatch_photos(shipment.devices, take_photos)
    assert dispatch.pick_up(parcel.code, actor=crew.dispatch, station=station).level == "success"
    db.session.commit()
    again = dispatch.pick_up(parcel.code, actor=crew.dispatch, station=station)
    assert again.level == "error" and "already picked up (scanned by Dora Dispatch" in again.message
    unknown = dispatch.pick_up("PK0999999", actor=crew.dispatch, station=station)
    assert unknown.level == "error" and "No parcel" in unknown.message
    late = dispatch.scan(shipment.devices[0].tag_code, actor=crew.dispatch, station=station, parcel=None)
    assert late.level == "error" and "“Shipped”" in late.message


# -- delivery ------------------------------------------------------------------------------------

@pytest.fixture
def shipped(shipment, crew, station, take_photos):
    parcel = pack(shipment.devices, crew, station)
    dispatch.set_carrier(parcel, Carrier.DHL, "1234567890", "", crew.dispatch)
    give_dispatch_photos(shipment.devices, take_photos)
    dispatch.pick_up(parcel.code, actor=crew.dispatch, station=station)
    db.session.commit()
    return parcel


def test_parcels_not_confirmed_are_delivered_by_the_job_after_the_days_set(app, shipped):
    days = app.config["DELIVERY_CONFIRM_DAYS"]
    assert dispatch.deliver_overdue(now=shipped.picked_up_at + timedelta(days=days - 1)) == 0
    assert shipped.state == ParcelState.PICKED_UP
    later = shipped.picked_up_at + timedelta(days=days, minutes=1)
    assert dispatch.deliver_overdue(now=later) == 1
    db.session.commit()
    assert (shipped.state, shipped.delivered_at) == (ParcelState.DELIVERED, later)
    before = counts()
    assert dispatch.deliver_overdue(now=later + timedelta(days=1)) == 0  # twice = once
    assert counts() == before
    for device in shipped.devices:
        last = device.transitions[-1]
        assert device.status == S.DELIVERED and last.actor is None and f"{days} days" in last.note


def test_the_customer_confirms_delivery(shipped, shipment):
    dispatch.confirm_delivery(shipped, shipment.owner)
    db.session.commit()
    assert shipped.state == ParcelState.DELIVERED and shipped.delivered_at
    assert all(d.status == S.DELIVERED and d.transitions[-1].actor == shipment.owner for d in shipped.devices)
    with pytest.raises(DomainError, match="already delivered"):
        dispatch.confirm_delivery(shipped, shipment.owner)
    assert dispatch.deliver_overdue(now=shipped.picked_up_at + timedelta(days=30)) == 0


def test_only_someone_who_may_move_the_devices_confirms(shipped, shipment, make_user, make_company):
    before = counts()
    with pytest.raises(NotAllowed):
        dispatch.confirm_delivery(shipped, make_company())
    viewer = make_user(shipment.owner.company, rights=("can_see_colleagues_orders",))
    with pytest.raises(NotAllowed, match="You may not move this device"):
        dispatch.confirm_delivery(shipped, viewer)
    assert counts() == before and shipped.state == ParcelState.PICKED_UP
    editor = make_user(shipment.owner.company, rights=("can_see_colleagues_orders", "can_edit_all_orders"))
    dispatch.confirm_delivery(shipped, editor)
    assert shipped.state == ParcelState.DELIVERED


def test_a_parcel_not_yet_picked_up_cannot_be_confirmed(shipment, crew, station):
    parcel = pack(shipment.devices, crew, station)
    with pytest.raises(DomainError, match="not been shipped yet"):
        dispatch.confirm_delivery(parcel, shipment.owner)


def test_the_orders_parcels_are_listed_for_its_page(shipped, shipment):
    assert dispatch.parcels_of(shipment.first) == [shipped]
    assert dispatch.may_see(shipment.owner, shipped)
