"""The receiving station: what a scanned code means, and what it changes.

A scanner types a code and Enter. The logistics document or a box label opens its order;
a device tag marks that device received. A code that does not fit changes nothing and says
why, loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal import workflow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Device, DeviceStatus, Order, OrderState, Station, User

ORDER_CODE = re.compile(r"^(RO\d{7})(?:-B(\d+))?$")
TAG_CODE = re.compile(r"^D[0-9A-Z]{7}$")


@dataclass
class Scan:
    level: str  # "success", "warning" or "error": the colour and sound at the station
    message: str
    order: Order | None = None
    box: int | None = None
    device: Device | None = None


NOT_YET_RECEIVED = (DeviceStatus.REGISTERED, DeviceStatus.MISSING)


def progress(order: Order, box: int | None = None) -> tuple[int, int]:
    """Devices received and expected, for the order or one of its boxes: any status past
    registered (or missing) means the device has been through receiving."""
    expected = [d for d in order.devices if d.status != DeviceStatus.CANCELLED
                and (box is None or order.box_count == 1 or d.box_number in (box, None))]
    return sum(d.status not in NOT_YET_RECEIVED for d in expected), len(expected)


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
        return Scan("error", _("Device %(tag)s is already received (by %(who)s%(station)s).", tag=tag, who=who,
                               station=f", {last.station}" if last and last.station else ""),
                    order=order, device=device)
    try:
        workflow.move(device, DeviceStatus.RECEIVED, actor=actor, station=station.name)
    except DomainError as error:
        return Scan("error", error.message, order=order, device=device)
    received, expected = progress(order)
    level = "success" if device.status == DeviceStatus.RECEIVED else "warning"
    return Scan(level, _("Received %(tag)s: %(device)s, S/N %(serial)s. %(received)d of %(expected)d.", tag=tag,
                         device=f"{device.manufacturer} {device.model}", serial=device.serial_number,
                         received=received, expected=expected), order=order, device=device)
