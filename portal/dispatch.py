"""The dispatch station and outbound parcels: pack, record the carrier, hand over, deliver.

A scanner types a code and Enter. A device tag puts that device into the parcel being packed
(one company, one return address per parcel); a parcel code opens that parcel. At pick-up the
parcel's code or tracking number is scanned: its devices are shipped, their unlock codes
erased, and each order's people get one e-mail with the tracking link. A refusal changes
nothing and says why.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import carriers, invoicing, orders, workflow
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import (
    Carrier,
    Device,
    DeviceStatus,
    Order,
    Parcel,
    ParcelState,
    ReturnAddress,
    Station,
    User,
)
from portal.outbox import external_url, queue_mail
from portal.receiving import TAG_CODE

PARCEL_CODE = re.compile(r"^PK\d{7}$")
S = DeviceStatus
#: Devices that go back without a repair: dispatch makes them ready to ship when it packs them.
RETURNED_UNREPAIRED = (S.BEYOND_REPAIR, S.NO_FAULT_FOUND, S.DECLINED)


@dataclass
class Scan:
    level: str  # "success", "warning" or "error": the colour and sound at the station
    message: str
    parcel: Parcel | None = None
    device: Device | None = None


def code_for(parcel_id: int) -> str:
    """A parcel's code follows from its id, as an order's number does."""
    return f"PK{parcel_id:07d}"


def address_line(address: ReturnAddress | None) -> str:
    if address is None:
        return _("no return address")
    return ", ".join(part for part in (address.recipient, address.street, f"{address.postcode} {address.city}",
                                       address.country) if part.strip())


def destination(parcel_or_order) -> str:
    """“Company, recipient, street, postcode city, country”: where a parcel goes."""
    company, address = parcel_or_order.company.legal_name, parcel_or_order.return_address
    line = address_line(address)
    if address is not None and address.recipient.strip() == company.strip():
        line = line.removeprefix(f"{address.recipient}, ")
    return f"{company}, {line}"


def outcome(device: Device) -> str:
    """How the device comes back: "Repaired", or the status it was returned unrepaired from."""
    came_from = next((t.from_status for t in reversed(device.transitions) if t.to_status == S.READY_TO_SHIP), None)
    if came_from == S.QUALITY_CHECK:
        return _("Repaired")
    return workflow.title(came_from) if came_from else workflow.title(device.status)


def open_parcels(station: Station | None = None) -> list[Parcel]:
    """Parcels being packed (at the station, if given) that hold devices: waiting for the courier."""
    query = select(Parcel).where(Parcel.state == ParcelState.PACKING).order_by(Parcel.id)
    if station is not None:
        query = query.where(Parcel.station == station.name)
    return [p for p in db.session.scalars(query) if p.devices]


def parcels_of(order: Order) -> list[Parcel]:
    """The outbound parcels holding devices of the order, oldest first."""
    return list(db.session.scalars(
        select(Parcel).where(Parcel.id.in_(select(Device.parcel_id).where(Device.order_id == order.id)))
        .order_by(Parcel.id)))


def may_see(user: User, parcel: Parcel) -> bool:
    """A customer sees a parcel of their company that holds a device of an order they may see."""
    if user.is_staff or user.company_id != parcel.company_id:
        return False
    return any(orders.may_see(user, order) for order in {d.order for d in parcel.devices})


# -- packing ---------------------------------------------------------------------------------

def scan(code: str, *, actor: User, station: Station, parcel: Parcel | None) -> Scan:
    """What one scan does at a dispatch station; refusals change nothing."""
    code = code.strip().upper()
    if PARCEL_CODE.match(code):
        return _open_parcel(code, current=parcel)
    if TAG_CODE.match(code):
        return _pack(code, actor=actor, station=station, parcel=parcel)
    return Scan("error", _("Unknown code “%(code)s”: not a device tag or parcel of this depot.", code=code[:40]),
                parcel=parcel)


def _count(parcel: Parcel) -> str:
    return _("%(count)d devices for %(destination)s", count=len(parcel.devices), destination=destination(parcel))


def _open_parcel(code: str, *, current: Parcel | None) -> Scan:
    parcel = db.session.scalar(select(Parcel).where(Parcel.code == code))
    if parcel is None:
        return Scan("error", _("No parcel %(code)s.", code=code), parcel=current)
    if parcel.state != ParcelState.PACKING:
        return Scan("error", _("Parcel %(code)s has already left with the courier.", code=code), parcel=current)
    return Scan("success", _("Parcel %(code)s: %(count)s.", code=code, count=_count(parcel)), parcel=parcel)


def _pack(tag: str, *, actor: User, station: Station, parcel: Parcel | None) -> Scan:
    device = db.session.scalar(select(Device).where(Device.tag_code == tag))
    if device is None:
        return Scan("error", _("Unknown device tag %(tag)s.", tag=tag), parcel=parcel)
    if device.status != S.READY_TO_SHIP and device.status not in RETURNED_UNREPAIRED:
        return Scan("error", _("Device %(tag)s is “%(status)s”: it is not ready to ship. Do not pack it.", tag=tag,
                               status=workflow.title(device.status)), parcel=parcel, device=device)
    if device.parcel_id is not None:
        other = db.session.get(Parcel, device.parcel_id)
        return Scan("error", _("Device %(tag)s is already in parcel %(code)s.", tag=tag, code=other.code),
                    parcel=parcel, device=device)
    order = device.order
    if parcel is not None and parcel.state != ParcelState.PACKING:
        parcel = None
    if parcel is not None and (parcel.company_id, parcel.return_address_id) != (order.company_id,
                                                                                order.return_address_id):
        return Scan("error", _("Device %(tag)s belongs to %(theirs)s; this parcel goes to %(ours)s.", tag=tag,
                               theirs=destination(order), ours=destination(parcel)), parcel=parcel, device=device)
    unrepaired = device.status in RETURNED_UNREPAIRED
    if unrepaired:
        was = workflow.title(device.status)
        try:
            workflow.move(device, S.READY_TO_SHIP, actor=actor, station=station.name,
                          note=str(_l("Returned unrepaired")))
        except DomainError as error:
            return Scan("error", error.message, parcel=parcel, device=device)
    if parcel is None:
        parcel = Parcel(company_id=order.company_id, return_address_id=order.return_address_id,
                        station=station.name, created_by=actor)
        db.session.add(parcel)
        db.session.flush()
        parcel.code = code_for(parcel.id)
    # Only if still unpacked: of two stations packing the device at once, one wins.
    packed = db.session.execute(update(Device).where(Device.id == device.id, Device.parcel_id.is_(None))
                                .values(parcel_id=parcel.id).execution_options(synchronize_session=False))
    if packed.rowcount != 1:
        raise DomainError(_("Device %(tag)s was just packed at another station.", tag=tag))
    device.parcel_id = parcel.id
    db.session.expire(parcel, ["devices"])
    what = f"{device.manufacturer} {device.model}"
    if unrepaired:
        message = _("Packed %(tag)s: %(device)s, S/N %(serial)s, returned unrepaired (%(was)s). Parcel %(code)s: "
                    "%(count)s.", tag=tag, device=what, serial=device.serial_number, was=was, code=parcel.code,
                    count=_count(parcel))
    else:
        message = _("Packed %(tag)s: %(device)s, S/N %(serial)s. Parcel %(code)s: %(count)s.", tag=tag, device=what,
                    serial=device.serial_number, code=parcel.code, count=_count(parcel))
    return Scan("success", message, parcel=parcel, device=device)


def _still_packing(parcel: Parcel) -> None:
    if parcel.state != ParcelState.PACKING:
        raise DomainError(_("Parcel %(code)s has already left with the courier; it can no longer be changed.",
                            code=parcel.code))


def remove_device(parcel: Parcel, device: Device, actor: User) -> None:
    """Take a device out of a parcel still being packed; it stays ready to ship."""
    _still_packing(parcel)
    if device.parcel_id != parcel.id:
        raise DomainError(_("Device %(tag)s is not in parcel %(code)s.", tag=device.tag_code, code=parcel.code))
    parcel.devices.remove(device)
    device.parcel_id = None
    db.session.flush()


def set_carrier(parcel: Parcel, carrier: Carrier | str, tracking: str, carrier_name: str, actor: User) -> None:
    """Record who takes the parcel and its tracking number, checked against the carrier's format."""
    _still_packing(parcel)
    number = carriers.check_tracking(carrier, tracking)
    carrier = Carrier(carrier)
    name = " ".join(carrier_name.split())[:60] if carrier == Carrier.OTHER else ""
    if carrier == Carrier.OTHER and not name:
        raise DomainError(_("Name the carrier."), field="carrier_name")
    taken = db.session.scalar(select(Parcel.code).where(Parcel.tracking_number == number, Parcel.id != parcel.id,
                                                        Parcel.carrier == carrier).limit(1))
    if taken:
        raise DomainError(_("Tracking number %(number)s is already on parcel %(code)s.", number=number, code=taken),
                          field="tracking_number")
    parcel.carrier, parcel.carrier_name, parcel.tracking_number = carrier, name, number
    db.session.flush()


# -- courier pick-up ---------------------------------------------------------------------------

def _find_for_pick_up(code: str) -> Parcel | None:
    if PARCEL_CODE.match(code):
        return db.session.scalar(select(Parcel).where(Parcel.code == code))
    number = carriers.normalise(code)
    found = db.session.scalars(select(Parcel).where(Parcel.tracking_number.in_({number, number.replace("-", "")}))
                               .order_by(Parcel.id.desc())).all()
    return next((p for p in found if p.state == ParcelState.PACKING), found[0] if found else None)


def pick_up(code: str, *, actor: User, station: Station) -> Scan:
    """The courier took the parcel (its code or tracking number scanned): all its devices ship.

    All or nothing: every device is checked first (status, dispatch photos), and one that may
    not ship refuses the whole parcel. Unlock codes are erased; each order in the parcel gets
    one e-mail with the tracking number and link.
    """
    code = code.strip().upper()
    if not code:
        return Scan("error", _("Scan the parcel's code or its tracking number."))
    parcel = _find_for_pick_up(code)
    if parcel is None:
        return Scan("error", _("No parcel with the code or tracking number “%(code)s”.", code=code[:45]))
    if parcel.state != ParcelState.PACKING:
        who = parcel.picked_up_by.name if parcel.picked_up_by else _("someone")
        at = parcel.picked_up_at.strftime("%H:%M") if parcel.picked_up_at else ""
        return Scan("error", _("Parcel %(code)s was already picked up (scanned by %(who)s at %(at)s).",
                               code=parcel.code, who=who, at=at), parcel=parcel)
    if not parcel.devices:
        return Scan("error", _("Parcel %(code)s is empty.", code=parcel.code), parcel=parcel)
    if not parcel.carrier or not parcel.tracking_number:
        return Scan("error", _("Parcel %(code)s has no carrier and tracking number yet: record them at the dispatch "
                               "station first.", code=parcel.code), parcel=parcel)
    problems = [f"{d.tag_code}: {problem}" for d in parcel.devices
                if (problem := workflow.refusal(d, S.SHIPPED, actor))]
    if problems:
        return Scan("error", _("Parcel %(code)s cannot leave: %(problems)s", code=parcel.code,
                               problems=" ".join(problems)), parcel=parcel)
    for device in parcel.devices:
        # Another station moving one of them now raises ConcurrentMove: the caller rolls back all.
        workflow.move(device, S.SHIPPED, actor=actor, station=station.name)
        device.unlock_code_encrypted = None  # the depot keeps no customer secrets once it has left
    parcel.state, parcel.picked_up_at, parcel.picked_up_by = ParcelState.PICKED_UP, utcnow(), actor
    _mail_shipped(parcel)
    invoicing.on_shipped(parcel)  # the order's (or this shipment's) invoice, once its devices have shipped
    db.session.flush()
    return Scan("success", _("Parcel %(code)s picked up: %(count)d devices shipped with %(carrier)s %(number)s.",
                             code=parcel.code, count=len(parcel.devices),
                             carrier=carriers.title(parcel.carrier, parcel.carrier_name),
                             number=parcel.tracking_number), parcel=parcel)


def _mail_shipped(parcel: Parcel) -> None:
    """One e-mail per order in the parcel, to its owner and (if another address) its contact."""
    by_order: dict[Order, list[Device]] = defaultdict(list)
    for device in parcel.devices:
        by_order[device.order].append(device)
    carrier = carriers.title(parcel.carrier, parcel.carrier_name)
    url = carriers.tracking_url(parcel.carrier, parcel.tracking_number)
    for order, devices in sorted(by_order.items(), key=lambda item: item[0].id):
        recipients = [order.owner.email]
        if order.contact_email.strip() and order.contact_email.strip().lower() != order.owner.email.lower():
            recipients.append(order.contact_email.strip())
        for recipient in recipients:
            queue_mail(recipient, _l("Order %(number)s: %(count)d devices shipped", number=order.number,
                                     count=len(devices)),
                       "parcel_shipped", language=order.owner.language, order=order, parcel=parcel, devices=devices,
                       carrier=carrier, tracking_url=url, link=external_url("customer.order", order_id=order.id))


# -- delivery ----------------------------------------------------------------------------------

def _deliver(parcel: Parcel, actor: User | None, note: str = "", now: datetime | None = None) -> None:
    for device in parcel.devices:
        if device.status == S.SHIPPED:
            workflow.move(device, S.DELIVERED, actor=actor, note=note)
    parcel.state, parcel.delivered_at = ParcelState.DELIVERED, now or utcnow()


def confirm_delivery(parcel: Parcel, actor: User) -> None:
    """The customer says the parcel arrived: its devices are delivered.

    Only someone of the company who may see its orders and may move every device in it (the
    order's owner or a user who may edit all orders) confirms; the rest is refused whole.
    """
    if not may_see(actor, parcel):
        raise NotAllowed(_("You may not confirm this parcel."))
    if parcel.state == ParcelState.DELIVERED:
        raise DomainError(_("Parcel %(code)s is already delivered.", code=parcel.code))
    if parcel.state != ParcelState.PICKED_UP:
        raise DomainError(_("Parcel %(code)s has not been shipped yet.", code=parcel.code))
    for device in parcel.devices:
        if device.status == S.SHIPPED and (problem := workflow.refusal(device, S.DELIVERED, actor)):
            raise NotAllowed(_("Device %(tag)s: %(problem)s", tag=device.tag_code, problem=problem))
    _deliver(parcel, actor)
    db.session.flush()


def deliver_overdue(now: datetime | None = None) -> int:
    """The job: parcels picked up more than DELIVERY_CONFIRM_DAYS ago are delivered by the system.

    Returns how many parcels; running it again changes nothing. Workers side by side skip the
    parcels another one holds (SKIP LOCKED on PostgreSQL). Flushes; the caller commits.
    """
    now = now or utcnow()
    days = current_app.config["DELIVERY_CONFIRM_DAYS"]
    due = db.session.scalars(
        select(Parcel).where(Parcel.state == ParcelState.PICKED_UP, Parcel.picked_up_at <= now - timedelta(days=days))
        .order_by(Parcel.id).with_for_update(skip_locked=True)
    ).all()
    for parcel in due:
        _deliver(parcel, None, note=str(_l("Delivered: not confirmed within %(days)d days of shipping", days=days)),
                 now=now)
    db.session.flush()
    return len(due)

