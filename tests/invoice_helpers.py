"""Bringing devices to an outcome and shipping them, so that invoices are issued as in the depot.

Plain functions over the domain (no fixtures), like tests/quotes_helpers.py.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from portal import bench, dispatch, quotes, staff, workflow
from portal.extensions import db
from portal.models import (
    Carrier,
    Decision,
    Device,
    DeviceStatus,
    Invoice,
    InvoiceKind,
    LineTier,
    Parcel,
    Photo,
    PhotoStage,
    Role,
    Station,
    StationKind,
    User,
)
from tests.quotes_helpers import DEFAULT_LINES, bring_to_diagnosis, send_quote, tax_rate

S = DeviceStatus


def person(role: Role, name: str) -> User:
    user = db.session.scalar(select(User).where(User.name == name))
    if user is None:
        count = db.session.scalar(select(db.func.count()).select_from(User))
        user = staff.create_staff(email=f"{role.value}{count}@invoices.example", name=name, roles=[role])
        db.session.flush()
    return user


def station() -> Station:
    found = db.session.scalar(select(Station).where(Station.name == "Dispatch 1"))
    if found is None:
        found = Station(name="Dispatch 1", kind=StationKind.DISPATCH)
        db.session.add(found)
        db.session.flush()
    return found


def repaired(device: Device, choice: Decision | str = Decision.REQUIRED, *, lines=DEFAULT_LINES,
             picked_codes=()) -> Device:
    """Quoted, decided by the order's owner, repaired and tested: ready to ship."""
    quote = send_quote(device, lines)
    if device.status == S.AWAITING_APPROVAL:
        picked = [line.id for line in quote.lines if line.code in picked_codes and line.tier == LineTier.RECOMMENDED]
        quotes.decide(quote, actor=device.order.owner, choice=choice, revision=quote.revision, line_ids=picked)
    return tested(device)


def tested(device: Device) -> Device:
    technician = db.session.get(User, device.technician_id)
    workflow.move(device, S.QUALITY_CHECK, actor=technician)
    workflow.move(device, S.READY_TO_SHIP, actor=person(Role.TESTER, "Tina Tester"))
    db.session.commit()
    return device


def declined(device: Device) -> Device:
    quote = send_quote(device)
    quotes.decide(quote, actor=device.order.owner, choice=Decision.DECLINED, revision=quote.revision)
    db.session.commit()
    return device


def beyond_repair(device: Device) -> Device:
    tax_rate()
    technician = bring_to_diagnosis(device)
    bench.beyond_repair(device, actor=technician, reason="Mainboard burnt")
    db.session.commit()
    return device


def no_fault_found(device: Device) -> Device:
    tax_rate()
    technician = bring_to_diagnosis(device)
    workflow.move(device, S.NO_FAULT_FOUND, actor=technician, note="Works as specified")
    db.session.commit()
    return device


def warranty(device: Device) -> Device:
    technician = bring_to_diagnosis(device)
    bench.confirm_warranty(device, actor=technician, confirmed=True)
    bench.warranty_repair(device, actor=technician)
    return tested(device)


def ship(devices: list[Device], *, tracking: str | None = None) -> Parcel:
    """Pack the devices into one parcel, photograph them and hand it to the courier."""
    packer, desk = person(Role.DISPATCH, "Dora Dispatch"), station()
    parcel = None
    for device in devices:
        result = dispatch.scan(device.tag_code, actor=packer, station=desk, parcel=parcel)
        assert result.level == "success", result.message
        parcel = result.parcel
    dispatch.set_carrier(parcel, Carrier.OTHER, tracking or f"TRK{parcel.id:08d}", "Courier Co", packer)
    for device in devices:
        for n in range(current_app.config["PHOTOS_MIN_PER_STAGE"]):
            db.session.add(Photo(device_id=device.id, company_id=device.company_id, stage=PhotoStage.DISPATCH,
                                 shot=f"shot {n + 1}", storage_key=f"d/{device.id}-{n}.jpg",
                                 thumbnail_key=f"d/{device.id}-{n}.t.jpg", content_type="image/jpeg", width=1,
                                 height=1, size_bytes=1))
    db.session.flush()
    result = dispatch.pick_up(parcel.code, actor=packer, station=desk)
    assert result.level == "success", result.message
    db.session.commit()
    return parcel


def invoices(kind: InvoiceKind = InvoiceKind.INVOICE) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.kind == kind).order_by(Invoice.id)))


def invoiced_order(make_order, owner, *, devices: int = 1) -> Invoice:
    """An order of `devices` repaired devices (required variant), shipped: its invoice."""
    order = make_order(owner, devices=devices)
    for device in order.devices:
        repaired(device)
    ship(order.devices)
    return db.session.scalars(select(Invoice).where(Invoice.order_id == order.id)).one()
