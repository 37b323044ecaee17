"""The receiving station: what a scanned code means, and what it changes.

A scanner types a code and Enter. The logistics document or a box label opens its order;
a device tag marks that device received. A code that does not fit changes nothing and says
why, loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import workflow
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import Device, DeviceStatus, Order, OrderState, Role, Station, Transition, User
from portal.outbox import composer, defer, external_url, queue_mail

ORDER_CODE = re.compile(r"^(RO\d{7})(?:-B(\d+))?$")
TAG_CODE = re.compile(r"^D[0-9A-Z]{7}$")


@dataclass
class Scan:
    level: str  # "success", "warning" or "error": the colour and sound at the station
    message: str
    order: Order | None = None
    box: int | None = None
    device: Device | None = None
    #: The order's devices counted by box and status after the scan, for the answer's progress
    counts: list | None = None


NOT_YET_RECEIVED = (DeviceStatus.REGISTERED, DeviceStatus.MISSING)


def is_received(device: Device) -> bool:
    """Any status past registered (or missing) means the device has been through receiving."""
    return device.status not in NOT_YET_RECEIVED


def progress(order: Order, box: int | None = None, counts: list | None = None) -> tuple[int, int]:
    """Devices received and expected, for the order or one of its boxes (counted by the database:
    a scan answers without loading the order's devices; `counts` reuses a count just made)."""
    received = expected = 0
    for box_number, status, count in counts if counts is not None else _status_counts(order):
        if status == DeviceStatus.CANCELLED or (
                box is not None and order.box_count > 1 and box_number not in (box, None)):
            continue
        expected += count
        received += count if status not in NOT_YET_RECEIVED else 0
    return received, expected


def _status_counts(order: Order) -> list[tuple[int | None, DeviceStatus, int]]:
    return db.session.execute(
        select(Device.box_number, Device.status, func.count()).where(Device.order_id == order.id)
        .group_by(Device.box_number, Device.status)).all()


def scan(code: str, *, actor: User, station: Station, current: Order | None) -> Scan:
    """What one scan does at a receiving station; refusals change nothing."""
    code = code.strip().upper()
    if match := ORDER_CODE.match(code):
        return _open_order(match.group(1), int(match.group(2)) if match.group(2) else None)
    if TAG_CODE.match(code):
        return _receive(code, actor=actor, station=station, current=current)
    return Scan("error", _("Unknown code “%(code)s”: not an order, box or device tag of this depot.", code=code[:40]),
                order=current)


def _open_order(number: str, box: int | None) -> Scan:
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is None:
        return Scan("error", _("No order %(number)s.", number=number))
    if order.state == OrderState.CANCELLED:
        return Scan("error", _("Order %(number)s was cancelled by the customer: do not receive it.", number=number),
                    order=order)
    if box is not None and not 1 <= box <= order.box_count:
        return Scan("error", _("Order %(number)s has %(count)d boxes, not box %(box)d.", number=number,
                               count=order.box_count, box=box), order=order)
    received, expected = progress(order, box)
    what = _("box %(box)d of %(count)d", box=box, count=order.box_count) if box else _("the whole order")
    return Scan("success", _("Order %(number)s (%(company)s), %(what)s: %(received)d of %(expected)d received.",
                             number=number, company=order.company.legal_name, what=what, received=received,
                             expected=expected), order=order, box=box)


def _receive(tag: str, *, actor: User, station: Station, current: Order | None) -> Scan:
    device = db.session.scalar(select(Device).where(Device.tag_code == tag))
    if device is None:
        return Scan("error", _("Unknown device tag %(tag)s.", tag=tag), order=current)
    order = device.order
    if current is not None and order.id != current.id:
        return Scan("error", _("Device %(tag)s belongs to order %(other)s, not to the open order %(number)s.",
                               tag=tag, other=order.number, number=current.number), order=current)
    if device.status == DeviceStatus.CANCELLED or order.state == OrderState.CANCELLED:
        return Scan("error", _("Device %(tag)s was cancelled by the customer: do not receive it.", tag=tag),
                    order=order, device=device)
    if device.status not in NOT_YET_RECEIVED:
        last = next((t for t in reversed(device.transitions) if t.to_status == DeviceStatus.RECEIVED), None)
        who = last.actor.name if last and last.actor else _("someone")
        return Scan("error", _("Device %(tag)s is already received (by %(who)s%(station)s at %(at)s).", tag=tag,
                               who=who, station=f", {last.station}" if last and last.station else "",
                               at=format_time(last.at, "short") if last else "?"),
                    order=order, device=device)
    try:
        workflow.move(device, DeviceStatus.RECEIVED, actor=actor, station=station.name)
    except DomainError as error:
        return Scan("error", error.message, order=order, device=device)
    counts = _status_counts(order)
    received, expected = progress(order, counts=counts)
    message = _("Received %(tag)s: %(device)s, S/N %(serial)s. %(received)d of %(expected)d.", tag=tag,
                device=f"{device.manufacturer} {device.model}", serial=device.serial_number,
                received=received, expected=expected)
    level = "success"
    if flag_repeat_repair(device):
        level, message = "warning", f"{message} {repeat_note(device)}"
    _tell_when_box_is_done(device, counts)
    return Scan(level, message, order=order, device=device, counts=counts)


# -- repeat repairs -------------------------------------------------------------------

def flag_repeat_repair(device: Device) -> bool:
    """Mark the device when the same serial was shipped back from the depot within its repair
    warranty: the technician decides whether it is the same fault (then it is free)."""
    since = utcnow() - timedelta(days=current_app.config["REPAIR_WARRANTY_DAYS"])
    # The company's devices with this serial first (by index; almost always none), then their
    # few transitions: asked in one join, a database may walk every shipped transition instead.
    others = list(db.session.scalars(select(Device.id).where(
        Device.company_id == device.company_id, Device.serial_number == device.serial_number,
        Device.id != device.id)))
    transitions = db.session.scalars(select(Transition).where(Transition.device_id.in_(others))) if others else []
    shipped = [(t.at, t.device_id) for t in transitions if t.to_status == DeviceStatus.SHIPPED and t.at >= since]
    device.repeat_of_id = max(shipped)[1] if shipped else None
    return device.repeat_of_id is not None


def repeat_note(device: Device) -> str:
    """What every station says about a repeat repair; "" for other devices."""
    earlier = device.repeat_of
    if earlier is None:
        return ""
    shipped = workflow.stage_times(earlier).get(DeviceStatus.SHIPPED)
    from portal.i18n import localdate

    return _("Repeat repair: %(tag)s with this serial was shipped back on %(day)s (order %(number)s).",
             tag=earlier.tag_code, day=localdate(shipped) if shipped else "?", number=earlier.order.number)


# -- devices not on the order -----------------------------------------------------------

def add_unlisted_device(order: Order, *, serial: str, manufacturer: str = "", model: str = "", note: str = "",
                        box: int | None = None, actor: User, station: Station) -> Device:
    """A device found in the parcel that the order does not list: it joins the order, is received
    at once and is flagged for the account manager, who sorts it out with the customer."""
    from portal.orders import new_tag_codes

    serial = serial.strip()
    if not serial:
        raise DomainError(_("Scan or type the serial number of the device."), field="serial")
    if len(serial) > 100 or len(manufacturer) > 100 or len(model) > 100:
        raise DomainError(_("Serial number, manufacturer and model have at most 100 characters each."),
                          field="serial")
    if order.state == OrderState.CANCELLED:
        raise DomainError(_("Order %(number)s was cancelled by the customer: do not receive it.",
                            number=order.number))
    if order.state == OrderState.DRAFT:
        raise DomainError(_("Order %(number)s has not been submitted.", number=order.number))
    listed = next((d for d in order.devices if d.serial_number.casefold() == serial.casefold()
                   and d.status != DeviceStatus.CANCELLED), None)
    if listed is not None:
        raise DomainError(_("Serial %(serial)s is on the order as %(tag)s: scan its tag instead.", serial=serial,
                            tag=listed.tag_code), field="serial")
    tag = new_tag_codes(1)[0]
    with db.session.no_autoflush:  # the device has no status until the life cycle enters it
        device = Device(order=order, company_id=order.company_id, tag_code=tag,
                        manufacturer=manufacturer.strip() or _("Unknown"), model=model.strip() or _("Unknown"),
                        serial_number=serial, box_number=box, added_at_receiving=True,
                        fault_description=note.strip() or _("Not on the order: found in the parcel at receiving."))
        workflow.enter(device, actor=actor)
    db.session.flush()
    workflow.move(device, DeviceStatus.RECEIVED, actor=actor, station=station.name,
                  note=str(_l("Not on the order: added at receiving")))
    flag_repeat_repair(device)
    manager = order.company.account_manager
    if manager is not None:
        queue_mail(manager.email, _l("Order %(number)s: a device not on the order arrived", number=order.number),
                   "unlisted_device", language=manager.language, order=order, device=device, manager=manager,
                   link=external_url("admin.check_order", order_id=order.id))
    return device


# -- closing an order's receiving -----------------------------------------------------------

def box_choices(order: Order, box: int | None):
    """The box a device found in the parcel came in: the open box first."""
    from portal.forms import options

    if order.box_count == 1:
        return options([("", _("The only box"))])
    numbers = [box] if box else []
    numbers += [n for n in range(1, order.box_count + 1) if n != box]
    return options([(str(n), _("Box %(box)d of %(count)d", box=n, count=order.box_count)) for n in numbers])


def boxes_not_in(order: Order) -> list[int]:
    """Announced boxes of which nothing has been received yet."""
    if order.box_count == 1:
        return [] if any(is_received(d) for d in order.devices) else [1]
    seen = {d.box_number for d in order.devices if is_received(d)}
    if None in seen:  # a device without a box number came in, in some box: don't guess which
        return []
    return [n for n in range(1, order.box_count + 1) if n not in seen]


def close_receiving(order: Order, *, actor: User, station: Station | None = None) -> list[Device]:
    """Receiving is over for this order: what did not arrive becomes missing, and the customer and
    the account manager are told. Receiving staff may close once every announced box is in; the
    account manager may decide to close earlier."""
    if order.receiving_closed_at is not None:
        raise DomainError(_("Receiving of order %(number)s was already closed.", number=order.number))
    if order.state in (OrderState.DRAFT, OrderState.CANCELLED):
        raise DomainError(_("Order %(number)s is not on its way to the depot.", number=order.number))
    waiting = boxes_not_in(order)
    if waiting and not actor.has_role(Role.ACCOUNT_MANAGER, Role.ADMIN):
        raise NotAllowed(_("Box %(boxes)s of %(count)d has not arrived: only the account manager can close "
                           "receiving now.", boxes=", ".join(map(str, waiting)), count=order.box_count))
    missing = [d for d in order.devices if d.status == DeviceStatus.REGISTERED]
    for device in missing:
        workflow.move(device, DeviceStatus.MISSING, actor=actor, station=station.name if station else "",
                      note=str(_l("Not in the parcel when receiving was closed")))
    order.receiving_closed_at = utcnow()
    order.receiving_closed_by = actor
    received = [d for d in order.devices if is_received(d)]
    recipients = {order.owner.email: order.owner.language}
    if order.company.account_manager is not None:
        recipients.setdefault(order.company.account_manager.email, order.company.account_manager.language)
    for email, language in recipients.items():
        queue_mail(email, _l("Order %(number)s: receiving closed, %(missing)d missing", number=order.number,
                             missing=len(missing)),
                   "receiving_closed", language=language, order=order, received=received, missing=missing,
                   link=external_url("customer.order", order_id=order.id) if email == order.owner.email
                   else external_url("admin.check_order", order_id=order.id))
    return missing


# -- the customer's "received" e-mail: one per box, not one per device ----------------------------

def _tell_when_box_is_done(device: Device, counts: list) -> None:
    """Note the e-mail when this scan finished a box (or a late device came); the jobs write it."""
    order = device.order
    if order.receiving_closed_at is not None:  # arrived after all, after receiving was closed
        defer("devices_received", order_id=order.id, box=None, device_ids=[device.id], late=True)
        return
    box = None if order.box_count == 1 else device.box_number
    if box is None and order.box_count > 1:
        return  # no box of its own: the order's closing e-mail covers it
    waiting = sum(count for box_number, status, count in counts
                  if status in NOT_YET_RECEIVED and (box is None or box_number == box))
    if not waiting:
        defer("devices_received", order_id=order.id, box=box, device_ids=None, late=False)


@composer("devices_received")
def _mail_received(*, order_id: int, box: int | None, device_ids: list[int] | None, late: bool) -> None:
    """The devices of the box (or of the order with one box), or the late ones named."""
    order = db.session.get(Order, order_id)
    devices = [d for d in order.devices if d.status != DeviceStatus.CANCELLED and (
        d.id in device_ids if device_ids is not None else box is None or d.box_number == box)]
    owner = order.owner
    subject = (_l("Order %(number)s: box %(box)d of %(count)d received", number=order.number, box=box,
                  count=order.box_count) if box else
               _l("Order %(number)s: your devices were received", number=order.number))
    queue_mail(owner.email, subject, "devices_received", language=owner.language, order=order, devices=devices,
               box=box, late=late, link=external_url("customer.order", order_id=order.id))
