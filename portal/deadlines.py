"""Deadlines (SLA): when each stage of a device is due, read from its transition records.

The stages (portal.models.sla.DeadlineStage), each with a number of working
days from ``rule_for``:

- diagnosis: from the first receipt (RECEIVED) until the diagnosis is done: the
  first move out of DIAGNOSIS (a quote sent, repair for warranty or automatic
  approval, beyond repair, no fault found);
- repair: from the approval (the first move into REPAIR or WAITING_FOR_PARTS
  from AWAITING_APPROVAL, or straight from DIAGNOSIS for a warranty repair or
  an automatic approval) until the first READY_TO_SHIP after it;
- turnaround: from the first receipt until the first READY_TO_SHIP.

The clock pauses while the device waits for the customer (AWAITING_APPROVAL)
or for parts (WAITING_FOR_PARTS): the working time of every pause inside the
stage moves its due time later by as much (a pause still running counts up to
now). A stage is "at risk" when less than DEADLINE_AT_RISK_SHARE of its
working time is left, "overdue" once the due time has passed; a finished stage
was "met" or "missed". Working days follow portal.working_days, in the
depot's zone (DEPOT_TIMEZONE).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_timedelta, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Company, Device, DeviceStatus, Role, StaffRole, Transition, User
from portal.models.order import ServiceLevel
from portal.models.sla import DeadlineAlert, DeadlineAlertKind, DeadlineRule, DeadlineStage, Holiday
from portal.outbox import external_url, queue_mail
from portal.working_days import add_working_days, add_working_seconds, holidays, working_seconds_between

S = DeviceStatus

#: Working days when no rule is set, per service level: (diagnosis, repair, turnaround).
DEFAULT_WORKING_DAYS = {
    (DeadlineStage.DIAGNOSIS, ServiceLevel.STANDARD): 2,
    (DeadlineStage.REPAIR, ServiceLevel.STANDARD): 5,
    (DeadlineStage.TURNAROUND, ServiceLevel.STANDARD): 10,
    (DeadlineStage.DIAGNOSIS, ServiceLevel.EXPRESS): 1,
    (DeadlineStage.REPAIR, ServiceLevel.EXPRESS): 2,
    (DeadlineStage.TURNAROUND, ServiceLevel.EXPRESS): 4,
}
MAX_WORKING_DAYS = 250

STAGE_TITLES = {
    DeadlineStage.DIAGNOSIS: _l("Diagnosis"),
    DeadlineStage.REPAIR: _l("Repair"),
    DeadlineStage.TURNAROUND: _l("Turnaround"),
}
STATE_TITLES = {
    "on time": _l("On time"),
    "at risk": _l("At risk"),
    "overdue": _l("Overdue"),
    "met": _l("Met"),
    "missed": _l("Missed"),
}

#: Statuses that stop the clock: the device waits for the customer or for parts.
PAUSING = frozenset({S.AWAITING_APPROVAL, S.WAITING_FOR_PARTS})
DIAGNOSIS_DONE = frozenset({S.AWAITING_APPROVAL, S.REPAIR, S.BEYOND_REPAIR, S.NO_FAULT_FOUND})
APPROVED = frozenset({S.REPAIR, S.WAITING_FOR_PARTS})
#: Devices whose clock still runs: received and not yet ready to ship (those returned unrepaired
#: wait for dispatch, and their turnaround ends at ready to ship too).
OPEN_STATUSES = (S.RECEIVED, S.DIAGNOSIS, S.AWAITING_APPROVAL, S.WAITING_FOR_PARTS, S.REPAIR,
                 S.QUALITY_CHECK, S.BEYOND_REPAIR, S.NO_FAULT_FOUND, S.DECLINED)
#: How urgent each state is, most urgent first (for sorting queues and desks).
URGENCY = {"overdue": 0, "at risk": 1, "on time": 2, "missed": 3, "met": 4}


@dataclass(frozen=True)
class StageDue:
    stage: DeadlineStage
    working_days: int
    started_at: datetime
    due_at: datetime
    paused_seconds: float  # working seconds of the pauses so far
    pauses: list[tuple[datetime, datetime | None]]  # (start, end); end None while still paused
    done_at: datetime | None
    state: str  # "on time" | "at risk" | "overdue" | "met" | "missed"
    budget_seconds: float  # the stage's working time without pauses
    left_seconds: float  # working time left until due (0 when done or overdue)
    late_seconds: float  # how long past due (now or when done), in real seconds
    is_paused: bool = False

    @property
    def title(self) -> str:
        return str(STAGE_TITLES[self.stage])

    @property
    def state_title(self) -> str:
        return str(STATE_TITLES[self.state])

    @property
    def is_open(self) -> bool:
        return self.done_at is None

    @property
    def needs_attention(self) -> bool:
        return self.state in ("at risk", "overdue")

    @property
    def late_text(self) -> str:
        """How late, in the reader's words ("3 hours", "2 days")."""
        return format_timedelta(timedelta(seconds=self.late_seconds), threshold=1.5) if self.late_seconds else ""

    @property
    def left_text(self) -> str:
        """Working time left, in the reader's words."""
        return format_timedelta(timedelta(seconds=self.left_seconds), threshold=1.5) if self.left_seconds else ""

    @property
    def urgency(self) -> tuple:
        return URGENCY[self.state], self.due_at


@dataclass
class Calendar:
    """What due times are computed from, loaded once per page or job run."""

    now: datetime
    tz: ZoneInfo
    holidays: set
    at_risk_share: Decimal
    rules: dict = field(default_factory=dict)  # (stage, level, company_id | None) -> working days

    @classmethod
    def load(cls, now: datetime | None = None) -> Calendar:
        config = current_app.config
        rules = {(r.stage, r.service_level, r.company_id): r.working_days
                 for r in db.session.scalars(select(DeadlineRule))}
        return cls(now=now or utcnow(), tz=ZoneInfo(config["DEPOT_TIMEZONE"]), holidays=holidays(),
                   at_risk_share=Decimal(str(config["DEADLINE_AT_RISK_SHARE"])), rules=rules)

    def working_days(self, stage: DeadlineStage, service_level: ServiceLevel, company_id: int | None) -> int:
        for key in ((stage, service_level, company_id), (stage, service_level, None)):
            if key in self.rules:
                return self.rules[key]
        return DEFAULT_WORKING_DAYS[(stage, service_level)]


def rule_for(stage: DeadlineStage, service_level: ServiceLevel, company: Company | None) -> int:
    """Working days for a stage: the company's own rule, else the depot's rule, else the defaults
    (standard: diagnosis 2, repair 5, turnaround 10; express: 1, 2, 4)."""
    company_id = company.id if company is not None else None
    candidates = db.session.scalars(
        select(DeadlineRule).where(DeadlineRule.stage == stage, DeadlineRule.service_level == service_level,
                                   (DeadlineRule.company_id == company_id) | DeadlineRule.company_id.is_(None)))
    rules = {rule.company_id: rule.working_days for rule in candidates}
    if company_id is not None and company_id in rules:
        return rules[company_id]
    if None in rules:
        return rules[None]
    return DEFAULT_WORKING_DAYS[(stage, ServiceLevel(service_level))]


# -- due times ------------------------------------------------------------------

def _spans(transitions: list[Transition]) -> list[tuple[DeviceStatus, datetime, datetime | None]]:
    """The device's statuses in turn: (status, from, until); the last one is still running."""
    ordered = sorted(transitions, key=lambda t: t.id)  # the order they were made in
    return [(t.to_status, t.at, ordered[i + 1].at if i + 1 < len(ordered) else None)
            for i, t in enumerate(ordered)]


def _stage_bounds(spans) -> dict[DeadlineStage, tuple[datetime, datetime | None]]:
    received = diagnosed = approved = ready = None
    previous = None
    for status, since, _until in spans:
        if received is None and status == S.RECEIVED:
            received = since
        elif received is not None:
            if diagnosed is None and previous == S.DIAGNOSIS and status in DIAGNOSIS_DONE:
                diagnosed = since
            if approved is None and status in APPROVED and previous in (S.AWAITING_APPROVAL, S.DIAGNOSIS):
                approved = since
            if ready is None and status == S.READY_TO_SHIP:
                ready = since
        previous = status
    bounds = {}
    if received is not None:
        bounds[DeadlineStage.DIAGNOSIS] = (received, diagnosed)
        bounds[DeadlineStage.TURNAROUND] = (received, ready)
    if approved is not None:
        repair_done = ready if ready is not None and ready >= approved else None
        bounds[DeadlineStage.REPAIR] = (approved, repair_done)
    return bounds


def _stage_due(stage, days, start, done, spans, calendar: Calendar) -> StageDue:
    now, tz, hol = calendar.now, calendar.tz, calendar.holidays
    end = done or now
    pauses, paused = [], 0.0
    for status, since, until in spans:
        if status not in PAUSING:
            continue
        running = until is None and done is None
        p_start, p_end = max(since, start), (end if until is None else min(until, end))
        if p_end <= p_start and not running:  # before the stage began or after it ended
            continue
        pauses.append((p_start, None if running else p_end))
        paused += working_seconds_between(p_start, p_end, hol, tz)
    base_due = add_working_days(start, days, hol, tz)
    budget = working_seconds_between(start, base_due, hol, tz)
    due_at = add_working_seconds(base_due, paused, hol, tz)
    is_paused = bool(pauses) and pauses[-1][1] is None
    if done is not None:
        state = "met" if done <= due_at else "missed"
        left, late = 0.0, max(0.0, (done - due_at).total_seconds())
    elif now > due_at:
        state, left, late = "overdue", 0.0, (now - due_at).total_seconds()
    else:
        left, late = working_seconds_between(now, due_at, hol, tz), 0.0
        at_risk = budget > 0 and Decimal(str(left / budget)) < calendar.at_risk_share
        state = "at risk" if at_risk else "on time"
    return StageDue(stage=stage, working_days=days, started_at=start, due_at=due_at, paused_seconds=paused,
                    pauses=pauses, done_at=done, state=state, budget_seconds=budget, left_seconds=left,
                    late_seconds=late, is_paused=is_paused)


def due(device: Device, *, now: datetime | None = None, calendar: Calendar | None = None) -> list[StageDue]:
    """The device's stages that have started, in the order diagnosis, repair, turnaround."""
    calendar = calendar or Calendar.load(now)
    spans = _spans(device.transitions)
    bounds = _stage_bounds(spans)
    order = device.order
    result = []
    for stage in DeadlineStage:
        if stage not in bounds:
            continue
        start, done = bounds[stage]
        days = calendar.working_days(stage, order.service_level, order.company_id)
        result.append(_stage_due(stage, days, start, done, spans, calendar))
    return result


def most_urgent(stages: list[StageDue]) -> StageDue | None:
    """The open stage to show in a single "Due" column: overdue first, then the earliest due."""
    open_stages = [s for s in stages if s.is_open]
    return min(open_stages, key=lambda s: s.urgency) if open_stages else None


def _open_devices(company_ids=None, device_ids=None) -> list[Device]:
    query = (select(Device).where(Device.status.in_(OPEN_STATUSES))
             .options(joinedload(Device.order), selectinload(Device.transitions))
             .order_by(Device.id))
    if company_ids is not None:
        query = query.where(Device.company_id.in_(list(company_ids)))
    if device_ids is not None:
        query = query.where(Device.id.in_(list(device_ids)))
    return list(db.session.scalars(query).unique())


def open_devices_due(company_ids=None, *, now: datetime | None = None, all_stages: bool = False,
                     device_ids=None, calendar: Calendar | None = None) -> list[tuple[Device, StageDue]]:
    """Open devices (received, not yet ready to ship) with their most urgent open stage, most
    urgent first; with ``all_stages`` every open stage of each. Three queries whatever the count:
    the rules and holidays, the devices with their orders, their transitions."""
    calendar = calendar or Calendar.load(now)
    if company_ids is not None and not company_ids or device_ids is not None and not device_ids:
        return []
    pairs = []
    for device in _open_devices(company_ids, device_ids):
        stages = due(device, calendar=calendar)
        if all_stages:
            pairs.extend((device, s) for s in stages if s.is_open)
        elif (urgent := most_urgent(stages)) is not None:
            pairs.append((device, urgent))
    pairs.sort(key=lambda pair: pair[1].urgency)
    return pairs


def due_by_device(device_ids, *, now: datetime | None = None) -> dict[int, StageDue]:
    """The most urgent open stage of each of these devices that is open (for station queues)."""
    return {device.id: stage for device, stage in open_devices_due(device_ids=list(device_ids), now=now)}


# -- jobs -----------------------------------------------------------------------

def _claim(device: Device, stage: DeadlineStage, kind: DeadlineAlertKind, now: datetime) -> bool:
    """Record the alert; False when it was already recorded (by an earlier run or another worker)."""
    exists = db.session.scalar(select(DeadlineAlert.id).where(
        DeadlineAlert.device_id == device.id, DeadlineAlert.stage == stage, DeadlineAlert.kind == kind))
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(DeadlineAlert(device_id=device.id, stage=stage, kind=kind, sent_at=now))
    except IntegrityError:
        return False
    return True


def _language(user: User) -> str:
    return user.language or current_app.config["BABEL_DEFAULT_LOCALE"]


def _rows(pairs: list[tuple[Device, StageDue]]) -> list[dict]:
    return [{"device": d, "order": d.order, "company": d.order.company, "stage": s,
             "link": external_url("admin.check_order", order_id=d.order_id)} for d, s in pairs]


def send_overdue_digests(now: datetime | None = None) -> int:
    """One e-mail per account manager listing their companies' devices whose stage became overdue
    since the last run (each device's stage once: a DeadlineAlert of kind overdue records it).
    Devices of companies without an active account manager wait until one is assigned.
    Returns the e-mails queued; the caller commits."""
    calendar = Calendar.load(now)
    overdue = [(d, s) for d, s in open_devices_due(calendar=calendar, all_stages=True) if s.state == "overdue"]
    by_manager: dict[int, list[tuple[Device, StageDue]]] = defaultdict(list)
    managers: dict[int, User] = {}
    for device, stage in overdue:
        manager = device.order.company.account_manager
        if manager is None or not manager.is_active_account:
            continue
        if _claim(device, stage.stage, DeadlineAlertKind.OVERDUE, calendar.now):
            by_manager[manager.id].append((device, stage))
            managers[manager.id] = manager
    for manager_id, pairs in by_manager.items():
        manager = managers[manager_id]
        subject = lazy_ngettext("%(num)d device is now overdue", "%(num)d devices are now overdue", len(pairs))
        queue_mail(manager.email, subject, "deadline_digest", language=_language(manager), manager=manager,
                   rows=_rows(pairs), link=external_url("admin.desk"))
    db.session.flush()
    return len(by_manager)


def escalation_at(stage: StageDue, calendar: Calendar) -> datetime:
    """A second period after the due time: overdue by the stage's own length again."""
    return add_working_seconds(stage.due_at, stage.budget_seconds, calendar.holidays, calendar.tz)


def send_escalations(now: datetime | None = None) -> int:
    """Devices still overdue a second period after their due time: one e-mail per run to each active
    admin listing them (each device's stage once: a DeadlineAlert of kind escalated). Returns the
    e-mails queued; the caller commits."""
    calendar = Calendar.load(now)
    late = [(d, s) for d, s in open_devices_due(calendar=calendar, all_stages=True)
            if s.state == "overdue" and calendar.now >= escalation_at(s, calendar)]
    claimed = [(d, s) for d, s in late if _claim(d, s.stage, DeadlineAlertKind.ESCALATED, calendar.now)]
    if not claimed:
        return 0
    admins = db.session.scalars(
        select(User).join(StaffRole, StaffRole.user_id == User.id)
        .where(StaffRole.role == Role.ADMIN, User.is_active_account.is_(True)).order_by(User.id)).unique().all()
    rows = _rows(claimed)
    for admin in admins:
        subject = lazy_ngettext("Escalation: %(num)d device overdue for a second period",
                                "Escalation: %(num)d devices overdue for a second period", len(claimed))
        queue_mail(admin.email, subject, "deadline_escalation", language=_language(admin), admin=admin,
                   rows=rows)
    db.session.flush()
    return len(admins)


__all__ = ["Calendar", "StageDue", "due", "due_by_device", "most_urgent", "open_devices_due", "rule_for",
           "send_escalations", "send_overdue_digests"]


# -- the admins' settings ----------------------------------------------------------

def rules_of(company: Company | None) -> dict[tuple[DeadlineStage, ServiceLevel], int]:
    """The rules set for the company (None: the depot's own), without any fallback."""
    company_id = company.id if company is not None else None
    query = select(DeadlineRule).where(
        DeadlineRule.company_id.is_(None) if company_id is None else DeadlineRule.company_id == company_id)
    return {(r.stage, r.service_level): r.working_days for r in db.session.scalars(query)}


def save_rules(company: Company | None, days: dict[tuple[DeadlineStage, ServiceLevel], int | None]) -> None:
    """Set the working days per stage and service level for the company (None: the depot's default);
    None removes the rule, so the depot's rule (or the built-in default) applies again. Flushes."""
    for (stage, level), value in days.items():
        if value is not None and not 1 <= value <= MAX_WORKING_DAYS:
            raise DomainError(str(_l("Give between 1 and %(max)d working days.", max=MAX_WORKING_DAYS)),
                              field=f"{stage.value}_{level.value}")
    company_id = company.id if company is not None else None
    existing = {(r.stage, r.service_level): r for r in db.session.scalars(select(DeadlineRule).where(
        DeadlineRule.company_id.is_(None) if company_id is None else DeadlineRule.company_id == company_id))}
    for key, value in days.items():
        rule = existing.get(key)
        if value is None:
            if rule is not None:
                db.session.delete(rule)
        elif rule is None:
            db.session.add(DeadlineRule(stage=key[0], service_level=key[1], company_id=company_id,
                                        working_days=value))
        else:
            rule.working_days = value
    db.session.flush()


def companies_with_rules() -> list[tuple[Company, dict]]:
    """Companies whose contract sets its own deadlines, with those rules, by name."""
    rules = db.session.scalars(select(DeadlineRule).where(DeadlineRule.company_id.is_not(None))
                               .options(joinedload(DeadlineRule.company)))
    grouped: dict[int, tuple[Company, dict]] = {}
    for rule in rules:
        grouped.setdefault(rule.company_id, (rule.company, {}))[1][(rule.stage, rule.service_level)] = \
            rule.working_days
    return sorted(grouped.values(), key=lambda pair: pair[0].legal_name.lower())


def add_holiday(day: date, name: str = "") -> Holiday:
    """A day the depot does not work: no deadline counts it. Flushes."""
    name = (name or "").strip()
    if len(name) > 100:
        raise DomainError(str(_l("At most %(max)d characters.", max=100)), field="name")
    if db.session.scalar(select(Holiday.id).where(Holiday.day == day)) is not None:
        raise DomainError(str(_l("This day is already a holiday.")), field="day")
    holiday = Holiday(day=day, name=name)
    db.session.add(holiday)
    db.session.flush()
    return holiday


def remove_holiday(holiday: Holiday) -> None:
    db.session.delete(holiday)
    db.session.flush()


def overdue_first(devices: list[Device], dues: dict[int, StageDue]) -> list[Device]:
    """A station's queue with the overdue devices first, then those at risk, otherwise in its own order."""
    rank = {"overdue": 0, "at risk": 1}
    return sorted(devices, key=lambda d: rank.get(dues[d.id].state, 2) if d.id in dues else 2)
