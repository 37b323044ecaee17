"""The audit log of admin changes: who changed which setting, when, from what to what.

`register(app)` hooks the SQLAlchemy session: after each flush, while a staff member is the
current user of a request, every created, changed or deleted row of the tables the admins keep
(staff and their roles, assignment rules, announcements, stations, device categories, custom fields,
the price list, tax rates, contract prices, checklists, skills, deadline rules, holidays, and the contract
and approval fields of companies) becomes AuditEntry rows in the same transaction: a change is
one row per field with its old and new value as text. Secrets and password hashes are never
written, only "(changed)". Jobs, CLI commands and customers' own changes are not admin changes
and are not logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from itertools import chain
from zoneinfo import ZoneInfo

from flask import Flask, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, selectinload

from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import AuditEntry, User

HIDDEN = "(changed)"
MAX_VALUE_LENGTH = 2000


@dataclass(frozen=True)
class Audited:
    """How one table is logged."""

    title: object  # a lazy string, shown on the audit page
    only: frozenset[str] | None = None  # log just these columns (None: all but `skip`)
    skip: frozenset[str] = frozenset()
    secret: frozenset[str] = frozenset()
    #: relationships logged as a list of their items' text, e.g. a staff member's roles
    collections: dict = field(default_factory=dict)
    #: rows logged only when this says so (staff users, not customers)
    applies: object = None
    log_created_and_deleted: bool = True


def _is_staff_user(user: User) -> bool:
    return user.company_id is None


COMPANY_CONTRACT_FIELDS = frozenset({
    "account_manager_id", "contract_discount", "approval_named_only", "approval_po_required",
    "auto_approve_limit", "invoice_per_shipment", "payment_terms_days",
})

#: Table name -> how it is logged. The keys are the tables the audit page filters by.
AUDITED: dict[str, Audited] = {
    "users": Audited(_l("Staff"), skip=frozenset({"created_at", "locked_until", "confirmed_at", "company_id",
                                                  "invoice_profile_id"}),
                     secret=frozenset({"password_hash", "totp_secret_encrypted"}),
                     collections={"roles": lambda staff_role: str(staff_role.role.value)},
                     applies=_is_staff_user),
    "assignment_rules": Audited(_l("Assignment rules"), collections={"managers": lambda user: user.email}),
    "announcements": Audited(_l("Announcements"), skip=frozenset({"created_at", "created_by_id"})),
    "stations": Audited(_l("Stations"), skip=frozenset({"current_device_id", "current_stage", "current_since"})),
    "device_categories": Audited(_l("Device categories")),
    "price_items": Audited(_l("Price list")),
    "tax_rates": Audited(_l("Tax rates")),
    "contract_prices": Audited(_l("Contract prices")),
    "checklist_items": Audited(_l("Checklists")),
    "technician_skills": Audited(_l("Technician skills")),
    "deadline_rules": Audited(_l("Deadline rules")),
    "holidays": Audited(_l("Holidays")),
    "custom_fields": Audited(_l("Custom fields"), skip=frozenset({"created_at"})),
    "companies": Audited(_l("Companies: contract and approval"), only=COMPANY_CONTRACT_FIELDS,
                         log_created_and_deleted=False),
}


def table_title(entity: str) -> str:
    spec = AUDITED.get(entity)
    return str(spec.title) if spec else entity


def as_text(value) -> str:
    """A value as the log shows it: plain, stable text (UTC times in ISO form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return HIDDEN
    text = str(value)
    return text if len(text) <= MAX_VALUE_LENGTH else text[:MAX_VALUE_LENGTH] + "…"


def _columns(obj, spec: Audited) -> list[str]:
    mapper = inspect(obj).mapper
    names = [attr.key for attr in mapper.column_attrs if attr.key != "id"]
    if spec.only is not None:
        return [name for name in names if name in spec.only]
    return [name for name in names if name not in spec.skip]


def _shown(name: str, value, spec: Audited) -> str:
    if name in spec.secret:
        return HIDDEN if value is not None else ""
    return as_text(value)


def _summary(obj, spec: Audited) -> str:
    """A created or deleted row in one line: "name: Laptop; is_active: yes"."""
    parts = []
    for name in _columns(obj, spec):
        value = _shown(name, getattr(obj, name), spec)
        if value != "":
            parts.append(f"{name}: {value}")
    for name, render in spec.collections.items():
        items = sorted(render(item) for item in getattr(obj, name))
        if items:
            parts.append(f"{name}: {', '.join(items)}")
    return as_text("; ".join(parts))


def _changes(obj, spec: Audited) -> list[tuple[str, str, str]]:
    state = inspect(obj)
    changes = []
    for name in _columns(obj, spec):
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if name in spec.secret:
            changes.append((name, HIDDEN if old is not None else "", HIDDEN if new is not None else ""))
        elif as_text(old) != as_text(new):
            changes.append((name, as_text(old), as_text(new)))
    for name, render in spec.collections.items():
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        now = sorted(render(item) for item in getattr(obj, name))
        before = sorted([render(item) for item in history.unchanged] + [render(item) for item in history.deleted])
        if before != now:
            changes.append((name, ", ".join(before), ", ".join(now)))
    return changes


def _acting_staff() -> User | None:
    """The staff member behind the current request, if any; never loads a user to find out."""
    if not has_request_context():
        return None
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_staff:
        return None
    return user


def entries_for_flush(session: Session, actor: User) -> list[dict]:
    now = utcnow()
    rows = []

    def add(action, obj, field_name="", old="", new=""):
        rows.append({"actor_id": actor.id, "at": now, "action": action, "entity": obj.__tablename__,
                     "entity_id": getattr(obj, "id", None),
                     "field": field_name, "old_value": old, "new_value": new})

    for obj in session.new:
        spec = AUDITED.get(getattr(obj, "__tablename__", ""))
        if spec and spec.log_created_and_deleted and (spec.applies is None or spec.applies(obj)):
            add("created", obj, new=_summary(obj, spec))
    for obj in session.dirty:
        spec = AUDITED.get(getattr(obj, "__tablename__", ""))
        if spec and (spec.applies is None or spec.applies(obj)) and session.is_modified(obj):
            for name, old, new in _changes(obj, spec):
                add("changed", obj, name, old, new)
    for obj in session.deleted:
        spec = AUDITED.get(getattr(obj, "__tablename__", ""))
        if spec and spec.log_created_and_deleted and (spec.applies is None or spec.applies(obj)):
            add("deleted", obj, old=_summary(obj, spec))
    return rows


def _after_flush(session: Session, _flush_context) -> None:
    # Cheap test first: most flushes (scans, orders, mail) touch no audited table.
    touched = chain(session.new, session.dirty, session.deleted)
    if not any(getattr(obj, "__tablename__", None) in AUDITED for obj in touched):
        return
    actor = _acting_staff()
    if actor is None:
        return
    rows = entries_for_flush(session, actor)
    if rows:
        # Written on the flush's own connection: the same transaction, and no second flush.
        session.connection().execute(AuditEntry.__table__.insert(), rows)


def _keep_old_value(_target, value, _oldvalue, _initiator):
    return value


def register(app: Flask) -> None:
    """Log admin changes from every session of this process (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
    # A column set after a commit has no old value in its history unless it is loaded first:
    # "active history" loads it, for the logged columns only.
    for mapper in db.Model.registry.mappers:
        spec = AUDITED.get(getattr(mapper.class_, "__tablename__", ""))
        if spec is None:
            continue
        for column in mapper.column_attrs:
            name = column.key
            if name == "id" or name in spec.secret or name in spec.skip or (spec.only and name not in spec.only):
                continue
            attribute = getattr(mapper.class_, name)
            if not event.contains(attribute, "set", _keep_old_value):
                event.listen(attribute, "set", _keep_old_value, active_history=True, retval=True)


# -- reading the log -------------------------------------------------------------------------

def entries_query(*, entity: str | None = None, actor_id: int | None = None,
                  since: date | None = None, until: date | None = None, timezone: str = "UTC"):
    """The log newest first, filtered by table, by person and by a period of whole days
    (from `since` to `until` inclusive, as days in `timezone`)."""
    query = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(
        AuditEntry.at.desc(), AuditEntry.id.desc())
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    zone = ZoneInfo(timezone)
    if since:
        query = query.where(AuditEntry.at >= datetime.combine(since, time.min, zone).astimezone(UTC))
    if until:
        query = query.where(AuditEntry.at < datetime.combine(until + timedelta(days=1), time.min, zone).astimezone(UTC))
    return query


def actors() -> list[User]:
    """Everyone who appears in the log, for the filter."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(select(AuditEntry.actor_id).distinct())).order_by(User.name)))
