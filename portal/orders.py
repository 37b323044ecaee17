"""Repair orders: drafts, submission, edits before receipt, the completeness check, reminders."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cryptography.fernet import Fernet
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, func, select, union_all

from portal import custom_fields, workflow
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import (
    Company,
    CustomFieldTarget,
    Device,
    DeviceCategory,
    DeviceStatus,
    Order,
    OrderState,
    RequestType,
    ReturnAddress,
    Role,
    Transition,
    User,
)
from portal.outbox import external_url, queue_mail

TAG_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
REMINDER_AFTER = timedelta(days=14)
MAX_BOXES = 500

DEVICE_FIELDS = ("category_id", "manufacturer", "model", "serial_number", "asset_tag", "fault_description",
                 "warranty_claimed", "purchase_date", "accessories", "box_number", "data_wipe_allowed")
ORDER_FIELDS = ("return_address_id", "contact_name", "contact_phone", "contact_email", "po_reference",
                "service_level", "note", "box_count")


class OrderInvalid(DomainError):
    """The order cannot be saved as it is; `problems` maps each form field to its message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(str(_l("Please correct the fields marked below.")))
        self.problems = problems


# -- who sees and edits what ----------------------------------------------------

def visible_orders(user: User) -> Select:
    """Orders the customer user may see: their own, or the company's with the right to (editing
    all the company's orders includes seeing them)."""
    query = select(Order).where(Order.company_id == user.company_id)
    if not (user.can_see_colleagues_orders or user.can_edit_all_orders):
        query = query.where(Order.owner_id == user.id)
    return query


def may_see(user: User, order: Order) -> bool:
    if user.is_staff:
        return user.has_role(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE)
    return order.company_id == user.company_id and (
        order.owner_id == user.id or user.can_see_colleagues_orders or user.can_edit_all_orders)


def may_edit(user: User, order: Order) -> bool:
    if user.is_staff:
        return user.has_role(Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE)
    return order.company_id == user.company_id and (order.owner_id == user.id or user.can_edit_all_orders)


def is_before_receipt(order: Order) -> bool:
    """Until the depot scans its first box, the customer may still change or cancel the order."""
    return order.state != OrderState.CANCELLED and all(
        d.status in (DeviceStatus.REGISTERED, DeviceStatus.CANCELLED) for d in order.devices)


# -- codes ------------------------------------------------------------------------

def new_tag_codes(count: int) -> list[str]:
    """Short random tag codes for labels and scanners, unique across all devices."""
    codes: set[str] = set()
    while len(codes) < count:
        wanted = {"D" + "".join(secrets.choice(TAG_ALPHABET) for _ in range(7)) for _ in range(count - len(codes))}
        taken = set(db.session.scalars(select(Device.tag_code).where(Device.tag_code.in_(wanted))))
        codes |= wanted - taken
    return list(codes)


def order_number(order: Order) -> str:
    return number_for(order.id)


def number_for(order_id: int) -> str:
    """An order's number follows from its id, so a look-up by device needs no join."""
    return f"RO{order_id:07d}"


def box_code(order: Order, box: int) -> str:
    return f"{order.number}-B{box}"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"portal-unlock-codes:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_unlock_code(code: str) -> bytes | None:
    return _fernet().encrypt(code.encode()) if code else None


def decrypt_unlock_code(device: Device) -> str:
    return _fernet().decrypt(device.unlock_code_encrypted).decode() if device.unlock_code_encrypted else ""


# -- drafts -------------------------------------------------------------------------

def start_draft(company: Company, *, owner: User, actor: User) -> Order:
    if owner.company_id != company.id:
        raise NotAllowed(str(_l("The order's owner must be a user of the company.")))
    default_address = next((a for a in company.return_addresses if a.is_default and not a.is_archived), None)
    from portal.view_as import acting_staff  # a staff member viewing the portal as `actor` created it

    order = Order(company=company, owner=owner, created_by=acting_staff(actor) or actor, state=OrderState.DRAFT,
                  return_address=default_address, contact_name=owner.name, contact_email=owner.email,
                  draft={})
    db.session.add(order)
    db.session.flush()
    return order


def save_draft(order: Order, typed: dict[str, str], *, actor: User) -> None:
    """Keep what was typed, exactly, even when it is not valid yet."""
    if order.state != OrderState.DRAFT:
        raise DomainError(str(_l("Only a draft is saved as you type.")))
    order.draft = {key: value for key, value in typed.items() if key != "csrf_token"}
    order.updated_at = utcnow()


def delete_draft(order: Order, *, actor: User) -> None:
    if order.state != OrderState.DRAFT:
        raise DomainError(str(_l("Only a draft can be deleted; cancel a submitted order instead.")))
    db.session.delete(order)


# -- validation across rows -------------------------------------------------------

def order_problems(order: Order, data: dict) -> dict[str, str]:
    """Rules that need the database or several rows at once, each named by its form field."""
    problems: dict[str, str] = {}
    address = db.session.get(ReturnAddress, data.get("return_address_id") or 0)
    if address is None or address.company_id != order.company_id or (
            address.is_archived and address.id != order.return_address_id):
        problems["return_address_id"] = str(_l("Choose one of the company's return addresses."))
    rows = data["devices"]
    if not rows:
        problems["devices"] = str(_l("Add at least one device."))
    seen: dict[tuple[str, str], int] = {}
    for index, row in enumerate(rows):
        key = (row["manufacturer"].strip().lower(), row["serial_number"].strip().upper())
        if key in seen:
            problems[f"devices-{index}-serial_number"] = str(_l(
                "The same serial number is already in row %(row)d.", row=seen[key] + 1))
        else:
            seen[key] = index
        if row.get("box_number") and row["box_number"] > data["box_count"]:
            problems[f"devices-{index}-box_number"] = str(_l(
                "The order has %(count)d boxes.", count=data["box_count"]))
        if row.get("category_id") and db.session.get(DeviceCategory, row["category_id"]) is None:
            problems[f"devices-{index}-category_id"] = str(_l("Choose a category from the list."))
    return problems


def _apply_order_fields(order: Order, data: dict) -> None:
    for name in ORDER_FIELDS:
        value = data[name]
        setattr(order, name, value.strip() if isinstance(value, str) else value)
    if "custom" in data:
        order.custom_values = custom_fields.merged(order.custom_values, data["custom"],
                                                   custom_fields.specs(CustomFieldTarget.ORDER))


def _apply_device_fields(device: Device, row: dict, device_specs: list) -> None:
    for name in DEVICE_FIELDS:
        value = row.get(name)
        if isinstance(value, str):
            value = value.strip()
        setattr(device, name, value if value is not None or name in ("category_id", "purchase_date",
                                                                        "box_number") else "")
    if row.get("unlock_code"):
        device.unlock_code_encrypted = encrypt_unlock_code(row["unlock_code"])
    if "custom" in row:
        device.custom_values = custom_fields.merged(device.custom_values, row["custom"], device_specs)


def _add_devices(order: Order, rows: list[dict], *, actor: User) -> list[Device]:
    codes = new_tag_codes(len(rows))
    devices = []
    on_behalf_of = order.owner if actor.is_staff else None
    device_specs = custom_fields.specs(CustomFieldTarget.DEVICE)
    for row, code in zip(rows, codes, strict=True):
        if not row.get("category_id"):
            suggested = suggest_category(order.company, row["manufacturer"], row["model"])
            row = {**row, "category_id": suggested.id if suggested else None}
        device = Device(order=order, company_id=order.company_id, tag_code=code)
        _apply_device_fields(device, row, device_specs)
        db.session.add(device)
        workflow.enter(device, actor=actor, on_behalf_of=on_behalf_of)
        devices.append(device)
    return devices


def submit_order(order: Order, data: dict, *, actor: User, imported: list[dict] = ()) -> Order:
    """Turn a draft (or a returned order) into a submitted one: devices enter the life cycle,
    the owner gets the logistics document by e-mail. `imported` are rows of confirmed imports."""
    if not may_edit(actor, order):
        raise NotAllowed(str(_l("You may not change this order.")))
    if order.state not in (OrderState.DRAFT, OrderState.RETURNED):
        raise DomainError(str(_l("This order has already been submitted.")))
    data = {**data, "devices": [*data["devices"], *imported]}
    problems = order_problems(order, data)
    if problems:
        raise OrderInvalid(problems)
    _apply_order_fields(order, data)
    if order.state == OrderState.DRAFT:
        _add_devices(order, data["devices"], actor=actor)
        order.number = order_number(order)
    else:
        _update_devices(order, data["devices"], actor=actor)
    order.state = OrderState.SUBMITTED
    order.submitted_at = utcnow()
    order.draft = None
    db.session.flush()
    _mail_logistics_document(order)
    return order


def _update_devices(order: Order, rows: list[dict], *, actor: User) -> None:
    by_id = {d.id: d for d in order.devices if d.status != DeviceStatus.CANCELLED}
    kept = set()
    new_rows = []
    device_specs = custom_fields.specs(CustomFieldTarget.DEVICE)
    for row in rows:
        device = by_id.get(row.get("id") or 0)
        if device is None:
            new_rows.append(row)
        else:
            _apply_device_fields(device, row, device_specs)
            kept.add(device.id)
    for device_id, device in by_id.items():
        if device_id not in kept:
            workflow.move(device, DeviceStatus.CANCELLED, actor=actor,
                          note=str(_l("Removed from the order before receipt")))
    if new_rows:
        _add_devices(order, new_rows, actor=actor)


def add_devices(order: Order, rows: list[dict], *, actor: User) -> list[Device]:
    """More devices for a submitted order (an import), before the depot receives it."""
    if not may_edit(actor, order):
        raise NotAllowed(str(_l("You may not change this order.")))
    if not is_before_receipt(order):
        raise DomainError(str(_l("The depot has already received this order; it can no longer be changed.")))
    present = {(d.manufacturer.lower(), d.serial_number.upper()) for d in order.devices
               if d.status != DeviceStatus.CANCELLED}
    clashes = [row["serial_number"] for row in rows
               if (row["manufacturer"].strip().lower(), row["serial_number"].strip().upper()) in present]
    if clashes:
        raise DomainError(str(_l("Already on this order: %(serials)s.", serials=", ".join(clashes[:10]))))
    return _add_devices(order, rows, actor=actor)


def update_order(order: Order, data: dict, *, actor: User) -> Order:
    """Change a submitted order before its first box is received."""
    if not may_edit(actor, order):
        raise NotAllowed(str(_l("You may not change this order.")))
    if order.state == OrderState.DRAFT:
        raise DomainError(str(_l("Submit the draft first.")))
    if not is_before_receipt(order):
        raise DomainError(str(_l("The depot has already received this order; it can no longer be changed.")))
    problems = order_problems(order, data)
    if problems:
        raise OrderInvalid(problems)
    _apply_order_fields(order, data)
    _update_devices(order, data["devices"], actor=actor)
    db.session.flush()
    return order


def cancel_order(order: Order, *, actor: User) -> None:
    if not may_edit(actor, order):
        raise NotAllowed(str(_l("You may not change this order.")))
    if order.state == OrderState.DRAFT:
        raise DomainError(str(_l("A draft is deleted, not cancelled.")))
    if not is_before_receipt(order):
        raise DomainError(str(_l("The depot has already received this order; it can no longer be cancelled.")))
    on_behalf_of = order.owner if actor.is_staff else None
    for device in order.devices:
        if device.status == DeviceStatus.REGISTERED:
            workflow.move(device, DeviceStatus.CANCELLED, actor=actor, on_behalf_of=on_behalf_of,
                          note=str(_l("Order cancelled")))
    order.state = OrderState.CANCELLED


def set_inbound_parcel(order: Order, *, carrier: str, tracking: str, actor: User) -> None:
    if not may_edit(actor, order):
        raise NotAllowed(str(_l("You may not change this order.")))
    if order.state in (OrderState.DRAFT, OrderState.CANCELLED):
        raise DomainError(str(_l("Submit the order before you send the parcel.")))
    order.inbound_carrier = carrier.strip()
    order.inbound_tracking = tracking.strip()


# -- the completeness check -------------------------------------------------------

def accept_order(order: Order, request_types: dict[int, RequestType], *, actor: User) -> None:
    """Customer care or the account manager found the order complete and set each request type."""
    if order.state != OrderState.SUBMITTED:
        raise DomainError(str(_l("Only a submitted order waits for the check.")))
    for device in order.devices:
        if device.status != DeviceStatus.CANCELLED:
            device.request_type = request_types.get(device.id) or (
                RequestType.WARRANTY if device.warranty_claimed else RequestType.PAID)
    order.state = OrderState.ACCEPTED
    order.checked_at = utcnow()
    order.checked_by = actor


def return_order(order: Order, note: str, *, actor: User) -> None:
    """Send the order back to its owner to fix and resubmit."""
    if order.state not in (OrderState.SUBMITTED, OrderState.ACCEPTED):
        raise DomainError(str(_l("Only a submitted order can be returned to the customer.")))
    if not is_before_receipt(order):
        raise DomainError(str(_l("The depot has already received this order.")))
    if not note.strip():
        raise DomainError(str(_l("Tell the customer what to fix.")), field="note")
    order.state = OrderState.RETURNED
    order.return_note = note.strip()
    order.checked_at = utcnow()
    order.checked_by = actor
    queue_mail(order.owner.email, _l("Order %(number)s needs your attention", number=order.number),
               "order_returned", language=order.owner.language, order=order, note=order.return_note,
               link=external_url("customer.order", order_id=order.id))


# -- mail ---------------------------------------------------------------------------

def _mail_logistics_document(order: Order) -> None:
    from portal import documents

    attachments = [(f"{order.number}-logistics.pdf", "application/pdf", documents.logistics_pdf(order))]
    queue_mail(order.owner.email, _l("Order %(number)s: print the logistics document", number=order.number),
               "order_submitted", language=order.owner.language, order=order,
               device_count=sum(1 for d in order.devices if d.status != DeviceStatus.CANCELLED),
               link=external_url("customer.order", order_id=order.id), attachments=attachments)


def send_parcel_reminders(now: datetime | None = None) -> int:
    """Remind an order's owner, once, when no parcel of it reached the depot 14 days after submission."""
    now = now or utcnow()
    received = exists().where(
        Device.order_id == Order.id,
        Device.id == Transition.device_id,
        Transition.to_status == DeviceStatus.RECEIVED,
    )
    due = db.session.scalars(
        select(Order).where(
            Order.state.in_([OrderState.SUBMITTED, OrderState.ACCEPTED]),
            Order.submitted_at <= now - REMINDER_AFTER,
            Order.reminder_sent_at.is_(None),
            ~received,
        ).order_by(Order.id).with_for_update(skip_locked=True)
    ).all()
    for order in due:
        manager = order.company.account_manager
        queue_mail(order.owner.email, _l("Order %(number)s: has the parcel been sent?", number=order.number),
                   "parcel_reminder", language=order.owner.language, order=order, manager=manager,
                   link=external_url("customer.order", order_id=order.id))
        order.reminder_sent_at = now
    return len(due)


def waiting_for(user: User) -> dict[str, list[Order]]:
    """What the user's welcome page lists: drafts to finish, orders to correct, parcels not yet sent."""
    mine = select(Order).where(Order.company_id == user.company_id, Order.owner_id == user.id)
    received = exists().where(Device.order_id == Order.id, Device.status != DeviceStatus.REGISTERED,
                              Device.status != DeviceStatus.CANCELLED)
    return {
        "drafts": db.session.scalars(mine.where(Order.state == OrderState.DRAFT).order_by(Order.id.desc())
                                     .limit(10)).all(),
        "returned": db.session.scalars(visible_orders(user).where(Order.state == OrderState.RETURNED)
                                       .order_by(Order.id.desc()).limit(10)).all(),
        "not_sent": db.session.scalars(
            mine.where(Order.state.in_([OrderState.SUBMITTED, OrderState.ACCEPTED]), ~received)
            .order_by(Order.submitted_at).limit(10)).all(),
    }


# -- lists --------------------------------------------------------------------------

@dataclass
class OrderFilters:
    search: str = ""
    state: str = ""
    device_status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "newest"


SORTS = {
    "newest": (Order.created_at.desc(), Order.id.desc()),
    "oldest": (Order.created_at.asc(), Order.id.asc()),
    "number": (Order.number.desc(),),
}


def filter_orders(query: Select, filters: OrderFilters, tz, company_id: int) -> Select:
    """Apply the list's search, filters and sort; every condition uses an index."""
    if filters.search:
        # One indexed look-up per kind of match: an OR across columns would scan the company's devices.
        term = filters.search.strip()
        matches = union_all(
            select(Order.id).where(Order.number == term.upper()),
            select(Order.id).where(Order.po_reference == term, Order.company_id == company_id),
            select(Device.order_id).where(Device.company_id == company_id, Device.serial_number == term),
            select(Device.order_id).where(Device.company_id == company_id, Device.asset_tag == term),
            select(Device.order_id).where(Device.tag_code == term.upper(), Device.company_id == company_id),
        )
        query = query.where(Order.id.in_(matches))
    if filters.state:
        query = query.where(Order.state == filters.state)
    if filters.device_status:
        query = query.where(exists().where(and_(Device.order_id == Order.id,
                                                Device.status == filters.device_status)))
    if filters.date_from:
        query = query.where(Order.created_at >= _start_of_day(filters.date_from, tz))
    if filters.date_to:
        query = query.where(Order.created_at < _start_of_day(filters.date_to + timedelta(days=1), tz))
    return query.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def _start_of_day(day: date, tz) -> datetime:
    from datetime import UTC, time

    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def status_counts(order_ids: list[int]) -> dict[int, dict[DeviceStatus, int]]:
    """For each order, how many of its devices are in each status (one query for a page)."""
    counts: dict[int, dict[DeviceStatus, int]] = {order_id: {} for order_id in order_ids}
    if order_ids:
        rows = db.session.execute(
            select(Device.order_id, Device.status, func.count())
            .where(Device.order_id.in_(order_ids)).group_by(Device.order_id, Device.status))
        for order_id, status, count in rows:
            counts[order_id][status] = count
    return counts


def overall_progress(order: Order) -> tuple[int, int]:
    """How far the order's devices are along the usual path together: (steps done, steps in all).
    Cancelled devices don't count; the order is done when every other device is delivered."""
    from portal.workflow import USUAL_PATH, place_on_path

    devices = [d for d in order.devices if d.status != DeviceStatus.CANCELLED]
    return sum(place_on_path(d.status) for d in devices), len(devices) * (len(USUAL_PATH) - 1)


def suggest_category(company: Company, manufacturer: str, model: str) -> DeviceCategory | None:
    """The category this company gave the same model last time."""
    if not model.strip():
        return None
    category_id = db.session.scalar(
        select(Device.category_id).where(
            Device.company_id == company.id, func.lower(Device.model) == model.strip().lower(),
            Device.category_id.is_not(None),
            *([func.lower(Device.manufacturer) == manufacturer.strip().lower()] if manufacturer.strip() else []),
        ).order_by(Device.id.desc()).limit(1))
    return db.session.get(DeviceCategory, category_id) if category_id else None
