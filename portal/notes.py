"""Notes on an order or one of its devices: for staff only, or for the customer too."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import orders
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import Device, Order, User
from portal.models.sla import Note

MAX_LENGTH = 5000


def add_note(order: Order, *, author: User, text: str, device: Device | None = None,
             visible_to_customer: bool = False, on_behalf_of: User | None = None) -> Note:
    """A note by office staff on the order, or on one of its devices; the text is required (at most
    5000 characters). ``on_behalf_of`` is the customer user a staff member writes for (acting as
    them), and must belong to the order's company. Flushes; the caller commits."""
    if not author.is_staff or not orders.may_see(author, order):
        raise NotAllowed(str(_l("Only the depot's office may add notes.")))
    text = (text or "").strip()
    if not text:
        raise DomainError(str(_l("Write the note.")), field="text")
    if len(text) > MAX_LENGTH:
        raise DomainError(str(_l("A note may have at most %(max)d characters.", max=MAX_LENGTH)), field="text")
    if device is not None and device.order_id != order.id:
        raise DomainError(str(_l("That device is not on this order.")), field="device_id")
    if on_behalf_of is not None and on_behalf_of.company_id != order.company_id:
        raise DomainError(str(_l("That user is not of the order's company.")), field="on_behalf_of")
    note = Note(order_id=order.id, device_id=device.id if device is not None else None, author_id=author.id,
                on_behalf_of_id=on_behalf_of.id if on_behalf_of is not None else None, text=text,
                visible_to_customer=bool(visible_to_customer))
    db.session.add(note)
    db.session.flush()
    return note


def notes_for(order: Order, *, viewer: User, device: Device | None = None) -> list[Note]:
    """The order's notes the viewer may read, oldest first: staff who may see the order read all,
    customers only those visible to the customer, and only of orders they may see. With ``device``,
    that device's notes only."""
    if not orders.may_see(viewer, order):
        return []
    query = (select(Note).where(Note.order_id == order.id)
             .options(selectinload(Note.author), selectinload(Note.on_behalf_of), selectinload(Note.device))
             .order_by(Note.created_at, Note.id))
    if not viewer.is_staff:
        query = query.where(Note.visible_to_customer.is_(True))
    if device is not None:
        query = query.where(Note.device_id == device.id)
    return list(db.session.scalars(query))
