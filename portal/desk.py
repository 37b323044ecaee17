"""The account manager's desk: everything about their customers that waits for someone, at a glance.

A handful of queries whatever the number of companies: the companies with their open-device
counts, the orders to check, the quotes waiting, the parcels not sent, and the deadlines
(portal.deadlines, which loads the open devices and their transitions in bulk).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_timedelta
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from portal import deadlines
from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import Company, Device, DeviceStatus, Order, OrderState, Quote, QuoteState, Role, StaffRole, User

#: Orders submitted this many days ago with no device received yet are listed as "parcel not sent".
PARCEL_WAIT_DAYS = 5
S = DeviceStatus
NOT_ARRIVED = (S.REGISTERED, S.CANCELLED, S.MISSING)


@dataclass
class Waiting:
    """Devices of one order waiting for the customer's decision on their quotes."""

    order: Order
    devices: list[Device]
    since: datetime  # the oldest quote of them was sent then

    @property
    def days(self) -> int:
        return (utcnow() - self.since).days

    @property
    def waited_text(self) -> str:
        """How long, in the reader's words ("5 hours", "8 days")."""
        return format_timedelta(utcnow() - self.since, threshold=1.5)


@dataclass
class Desk:
    manager: User
    companies: list[tuple[Company, int]]  # with the count of open devices
    to_check: list[Order]
    waiting: list[Waiting]
    attention: list[tuple[Device, deadlines.StageDue]]  # at risk or overdue, most urgent first
    parcels: list[Order]
    parcel_days: int

    @property
    def overdue_count(self) -> int:
        return sum(1 for _d, s in self.attention if s.state == "overdue")

    @property
    def at_risk_count(self) -> int:
        return sum(1 for _d, s in self.attention if s.state == "at risk")


def account_managers() -> list[User]:
    """Active staff with the account manager's role, by name (for the admins' picker)."""
    return list(db.session.scalars(
        select(User).join(StaffRole, StaffRole.user_id == User.id)
        .where(StaffRole.role == Role.ACCOUNT_MANAGER, User.is_active_account.is_(True))
        .order_by(User.name)).unique())


def desk_for(manager: User, *, now: datetime | None = None) -> Desk:
    """What waits on the manager's companies."""
    now = now or utcnow()
    parcel_days = int(current_app.config.get("DESK_PARCEL_DAYS", PARCEL_WAIT_DAYS))
    open_count = func.count(Device.id)
    companies = db.session.execute(
        select(Company, open_count)
        .outerjoin(Device, and_(Device.company_id == Company.id, Device.status.in_(deadlines.OPEN_STATUSES)))
        .where(Company.account_manager_id == manager.id)
        .group_by(Company.id).order_by(Company.legal_name)).all()
    company_ids = [c.id for c, _n in companies]
    if not company_ids:
        return Desk(manager, [], [], [], [], [], parcel_days)

    to_check = list(db.session.scalars(
        select(Order).where(Order.company_id.in_(company_ids), Order.state == OrderState.SUBMITTED)
        .options(joinedload(Order.company)).order_by(Order.submitted_at)))

    sent = (select(Quote.device_id, func.max(Quote.sent_at).label("since"))
            .where(Quote.state == QuoteState.SENT).group_by(Quote.device_id).subquery())
    rows = db.session.execute(
        select(Device, sent.c.since).join(sent, sent.c.device_id == Device.id)
        .where(Device.company_id.in_(company_ids), Device.status == S.AWAITING_APPROVAL)
        .options(joinedload(Device.order).joinedload(Order.company))
        .order_by(sent.c.since, Device.id)).all()
    by_order: dict[int, Waiting] = {}
    for device, since in rows:
        entry = by_order.setdefault(device.order_id, Waiting(device.order, [], since))
        entry.devices.append(device)
        entry.since = min(entry.since, since)
    waiting = sorted(by_order.values(), key=lambda w: w.since)

    attention = [(d, s) for d, s in deadlines.open_devices_due(company_ids, now=now) if s.needs_attention]

    arrived = exists().where(Device.order_id == Order.id, Device.status.not_in(NOT_ARRIVED))
    parcels = list(db.session.scalars(
        select(Order).where(Order.company_id.in_(company_ids),
                            Order.state.in_([OrderState.SUBMITTED, OrderState.ACCEPTED]),
                            Order.submitted_at <= now - timedelta(days=parcel_days), ~arrived)
        .options(joinedload(Order.company), selectinload(Order.devices)).order_by(Order.submitted_at)))
    return Desk(manager, companies, to_check, waiting, attention, parcels, parcel_days)
