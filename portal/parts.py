"""Parts: reserved from stock for accepted repairs, or waited for; a receipt releases the waiting.

Stock only changes by conditional updates (`stock = stock - n WHERE stock >= n`), so two
repairs taking the last part at once cannot both get it: one waits for parts.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import workflow
from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Device,
    DeviceStatus,
    PartReservation,
    PriceItem,
    PriceItemKind,
    QuoteLine,
    ReservationState,
    User,
)


def _take(item_id: int, quantity: int) -> bool:
    result = db.session.execute(update(PriceItem).where(PriceItem.id == item_id, PriceItem.stock >= quantity)
                                .values(stock=PriceItem.stock - quantity).execution_options(synchronize_session=False))
    return result.rowcount == 1


def reserve(device: Device, lines: list[QuoteLine]) -> bool:
    """Reserve the parts of the accepted lines; True when every one is in stock."""
    complete = True
    for line in lines:
        if line.kind != PriceItemKind.PART or line.price_item_id is None:
            continue
        quantity = max(1, int(line.quantity))
        taken = _take(line.price_item_id, quantity)
        complete &= taken
        db.session.add(PartReservation(device_id=device.id, price_item_id=line.price_item_id, quote_line_id=line.id,
                                       quantity=quantity,
                                       state=ReservationState.RESERVED if taken else ReservationState.WAITING,
                                       fulfilled_at=utcnow() if taken else None))
    db.session.flush()
    return complete


def waiting_for(device: Device) -> list[PartReservation]:
    return list(db.session.scalars(select(PartReservation).where(
        PartReservation.device_id == device.id, PartReservation.state == ReservationState.WAITING)))


def receive_stock(item: PriceItem, quantity: int, *, actor: User) -> list[Device]:
    """Parts arrived: add them to stock, then serve the devices waiting for them, oldest first;
    a device whose every part is now reserved goes back to repair."""
    if quantity <= 0 or quantity > 100000:
        raise DomainError(_("Receive between 1 and 100,000 parts."), field="quantity")
    db.session.execute(update(PriceItem).where(PriceItem.id == item.id).values(stock=PriceItem.stock + quantity)
                       .execution_options(synchronize_session=False))
    released = []
    waiting = db.session.scalars(select(PartReservation).where(
        PartReservation.price_item_id == item.id, PartReservation.state == ReservationState.WAITING)
        .order_by(PartReservation.id)).all()
    for reservation in waiting:
        if not _take(item.id, reservation.quantity):
            break
        reservation.state, reservation.fulfilled_at = ReservationState.RESERVED, utcnow()
        db.session.flush()
        device = reservation.device
        if device.status == DeviceStatus.WAITING_FOR_PARTS and not waiting_for(device):
            workflow.move(device, DeviceStatus.REPAIR, actor=None,
                          note=str(_l("Parts arrived: %(code)s", code=item.code)))
            released.append(device)
    db.session.refresh(item)
    return released


def use_reserved(device: Device) -> None:
    """The repair fitted the reserved parts."""
    for reservation in db.session.scalars(select(PartReservation).where(
            PartReservation.device_id == device.id, PartReservation.state == ReservationState.RESERVED)):
        reservation.state = ReservationState.USED


def release(device: Device) -> None:
    """The repair will not happen (beyond repair): its reserved parts go back to stock, and it
    waits for none."""
    for reservation in db.session.scalars(select(PartReservation).where(
            PartReservation.device_id == device.id,
            PartReservation.state.in_((ReservationState.RESERVED, ReservationState.WAITING)))):
        if reservation.state == ReservationState.RESERVED:
            db.session.execute(update(PriceItem).where(PriceItem.id == reservation.price_item_id)
                               .values(stock=PriceItem.stock + reservation.quantity)
                               .execution_options(synchronize_session=False))
        reservation.state = ReservationState.RELEASED
