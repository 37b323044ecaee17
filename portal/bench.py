"""The technician bench and the quality check: who repairs a device, and what they record.

A received device goes to the technician whose skills fit it best (category and manufacturer),
the least loaded first; a supervisor may reassign it. The technician diagnoses it against the
category's checklist, writes the quote (portal.quotes), or ends the visit (warranty repair,
beyond repair, no fault found); records the work and the time spent; and hands it to the quality
check, where a tester who did not repair it passes it or sends it back. Every status change goes
through portal.workflow; refusals raise DomainError and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal import parts, quotes, workflow
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import (
    ChecklistKind,
    CheckOutcome,
    CheckResult,
    Decision,
    Device,
    DeviceStatus,
    Order,
    Quote,
    QuoteLine,
    QuoteState,
    Role,
    ServiceLevel,
    StaffRole,
    TechnicianSkill,
    Transition,
    User,
    WorkEntry,
    WorkKind,
)

S = DeviceStatus
#: A technician's open devices: their load
OPEN = (S.RECEIVED, S.DIAGNOSIS, S.AWAITING_APPROVAL, S.WAITING_FOR_PARTS, S.REPAIR)
#: The devices that need their technician now: the queue
NEEDS_TECHNICIAN = (S.RECEIVED, S.DIAGNOSIS, S.REPAIR)
REASSIGNERS = (Role.SUPERVISOR, Role.ADMIN)
TESTERS = (Role.TESTER, Role.SUPERVISOR)
MAX_MINUTES = 24 * 60


# -- assignment ----------------------------------------------------------------------------------

def technicians() -> list[User]:
    """Active staff with the technician role, by name."""
    return list(db.session.scalars(
        select(User).join(StaffRole, StaffRole.user_id == User.id)
        .where(StaffRole.role == Role.TECHNICIAN, User.is_active_account.is_(True), User.company_id.is_(None))
        .order_by(User.name, User.id)))


def loads() -> dict[int, int]:
    """Open devices per technician id."""
    return dict(db.session.execute(
        select(Device.technician_id, func.count()).where(Device.technician_id.is_not(None), Device.status.in_(OPEN))
        .group_by(Device.technician_id)).all())


def _fit(skill: TechnicianSkill, device: Device) -> int | None:
    """How well one skill fits: 2 for category and manufacturer, 1 for one of them, 0 for an open
    skill (neither set), None when it names another category or manufacturer."""
    score = 0
    if skill.category_id is not None:
        if skill.category_id != device.category_id:
            return None
        score += 1
    if skill.manufacturer.strip():
        if skill.manufacturer.strip().casefold() != (device.manufacturer or "").strip().casefold():
            return None
        score += 1
    return score


def _pick(device: Device, people: list[User], skills: dict[int, list[TechnicianSkill]],
          load: dict[int, int]) -> User | None:
    if not people:
        return None
    fit = {}
    for person in people:
        scores = [s for s in (_fit(skill, device) for skill in skills.get(person.id, ())) if s is not None]
        fit[person.id] = max(scores, default=-1)  # -1: no skill fits; chosen only when nobody fits
    best = max(fit.values())
    return min((p for p in people if fit[p.id] == best), key=lambda p: (load.get(p.id, 0), p.id))


def _skills() -> dict[int, list[TechnicianSkill]]:
    by_user: dict[int, list[TechnicianSkill]] = {}
    for skill in db.session.scalars(select(TechnicianSkill)):
        by_user.setdefault(skill.user_id, []).append(skill)
    return by_user


def assign(device: Device) -> User | None:
    """Give the device to the technician who fits it best: the most specific matching skill
    (category and manufacturer beats one of them; technicians without a matching skill only when
    nobody matches), then the fewest open devices, then the lowest id. A device that already has a
    technician keeps them; with no technicians at all it stays unassigned (None)."""
    if device.technician_id is not None:
        return device.technician
    chosen = _pick(device, technicians(), _skills(), loads())
    if chosen is not None:
        _set_technician(device, chosen)
    return chosen


def _set_technician(device: Device, technician: User) -> bool:
    # Only if nobody assigned it meanwhile: two job workers never assign one device twice.
    result = db.session.execute(update(Device).where(Device.id == device.id, Device.technician_id.is_(None))
                                .values(technician_id=technician.id).execution_options(synchronize_session=False))
    if result.rowcount == 1:
        db.session.refresh(device, ["technician_id"])
        return True
    return False


def assign_unassigned() -> int:
    """The job: assign every received device that has no technician yet, oldest first; how many
    were assigned. Running it again assigns nothing new."""
    waiting = db.session.scalars(select(Device).where(Device.status == S.RECEIVED, Device.technician_id.is_(None))
                                 .order_by(Device.status_changed_at, Device.id)).all()
    people = technicians()
    if not waiting or not people:
        return 0
    skills, load = _skills(), loads()
    assigned = 0
    for device in waiting:
        chosen = _pick(device, people, skills, load)
        if chosen is not None and _set_technician(device, chosen):
            load[chosen.id] = load.get(chosen.id, 0) + 1
            assigned += 1
    db.session.flush()
    return assigned


def reassign(device: Device, technician: User, *, actor: User) -> None:
    """A supervisor or an admin gives an open device to another technician."""
    if not actor.has_role(*REASSIGNERS):
        raise NotAllowed(_("Only a supervisor or an admin may reassign devices."))
    if not technician.is_staff or not technician.is_active_account or not technician.has_role(Role.TECHNICIAN):
        raise DomainError(_("%(name)s is not an active technician.", name=technician.name), field="technician")
    if device.status not in OPEN:
        raise DomainError(_("Device %(tag)s is “%(status)s”: only devices still at the bench are reassigned.",
                            tag=device.tag_code, status=workflow.title(device.status)), field="technician")
    device.technician_id = technician.id
    db.session.flush()


def queue(technician: User) -> list[Device]:
    """The technician's devices that need them (received, in diagnosis, in repair, including those
    the quality check sent back): express first, then the longest waiting."""
    return list(db.session.scalars(
        select(Device).join(Order, Order.id == Device.order_id)
        .where(Device.technician_id == technician.id, Device.status.in_(NEEDS_TECHNICIAN))
        .order_by((Order.service_level == ServiceLevel.EXPRESS).desc(), Device.status_changed_at, Device.id)))


def unassigned() -> list[Device]:
    """Received devices nobody has yet (no technician, or the job has not run)."""
    return list(db.session.scalars(
        select(Device).join(Order, Order.id == Device.order_id)
        .where(Device.technician_id.is_(None), Device.status.in_(OPEN))
        .order_by((Order.service_level == ServiceLevel.EXPRESS).desc(), Device.status_changed_at, Device.id)))


def is_express(device: Device) -> bool:
    return device.order.service_level == ServiceLevel.EXPRESS


# -- rules shared by the steps -----------------------------------------------------------------------

def _require_worker(device: Device, actor: User) -> None:
    if quotes.may_work_on(actor, device):
        return
    if device.technician is not None:
        raise NotAllowed(_("Device %(tag)s is assigned to %(name)s: only they, a supervisor or an admin may work "
                           "on it.", tag=device.tag_code, name=device.technician.name))
    raise NotAllowed(_("Device %(tag)s has no technician yet: a supervisor assigns it.", tag=device.tag_code))


def _require_status(device: Device, *statuses: DeviceStatus) -> None:
    if device.status not in statuses:
        raise DomainError(_("Device %(tag)s is “%(status)s”; this needs it to be %(needed)s.",
                            tag=device.tag_code, status=workflow.title(device.status),
                            needed=" / ".join(f"“{workflow.title(s)}”" for s in statuses)))


def _move(device: Device, to: DeviceStatus, *, actor: User | None, station: str = "", note: str = "") -> None:
    """workflow.move, after asking it first, so a refusal changes nothing at all."""
    problem = workflow.refusal(device, to, actor, note)
    if problem:
        raise NotAllowed(problem)
    workflow.move(device, to, actor=actor, station=station, note=note)


# -- diagnosis -------------------------------------------------------------------------------------

def start_diagnosis(device: Device, *, actor: User, station: str = "") -> None:
    """The assigned technician (or a supervisor) takes a received device to diagnosis."""
    _require_worker(device, actor)
    _require_status(device, S.RECEIVED)
    _move(device, S.DIAGNOSIS, actor=actor, station=station)


def rounds(device: Device, kind: ChecklistKind | str) -> int:
    """How many times the checklist of that kind was recorded for the device."""
    return db.session.scalar(select(func.coalesce(func.max(CheckResult.round), 0)).where(
        CheckResult.device_id == device.id, CheckResult.kind == ChecklistKind(kind))) or 0


def results(device: Device, kind: ChecklistKind | str, round: int | None = None) -> list[CheckResult]:
    """The results of one round (the last by default)."""
    round = rounds(device, kind) if round is None else round
    return list(db.session.scalars(select(CheckResult).where(
        CheckResult.device_id == device.id, CheckResult.kind == ChecklistKind(kind), CheckResult.round == round)
        .order_by(CheckResult.id)))


def record_checks(device: Device, kind: ChecklistKind | str, results: Iterable[tuple[str, str, str]], *,
                  actor: User) -> int:
    """One round of the category's checklist: every item needs an outcome (pass, fail, n.a.) and a
    failed item its note. The diagnosis list is the technician's, in diagnosis; the quality check's
    is a tester's who did not repair the device. Returns the round's number."""
    from portal.checklists import items_for

    kind = ChecklistKind(kind)
    if kind == ChecklistKind.DIAGNOSIS:
        _require_worker(device, actor)
        _require_status(device, S.DIAGNOSIS)
    else:
        _require_status(device, S.QUALITY_CHECK)
        problem = workflow.refusal(device, S.READY_TO_SHIP, actor)
        if problem:
            raise NotAllowed(problem)
    given = [(str(text).strip(), (outcome or "").strip(), (note or "").strip()) for text, outcome, note in results]
    expected = [item.text for item in items_for(device.category, kind)]
    texts = [text for text, _outcome, _note in given]
    for text in texts:
        if text not in expected:
            raise DomainError(_("“%(item)s” is not on the checklist: open the page again.", item=text[:80]))
    for index, text in enumerate(expected):
        if text not in texts:
            raise DomainError(_("Choose pass, fail or n.a. for “%(item)s”.", item=text), field=f"check-{index}")
    for text, outcome, note in given:
        index = expected.index(text)
        if outcome not in {o.value for o in CheckOutcome}:
            raise DomainError(_("Choose pass, fail or n.a. for “%(item)s”.", item=text), field=f"check-{index}")
        if outcome == CheckOutcome.FAIL and not note:
            raise DomainError(_("Say what failed in “%(item)s”.", item=text), field=f"check-{index}")
    number = rounds(device, kind) + 1
    now = utcnow()
    for text, outcome, note in sorted(given, key=lambda g: expected.index(g[0])):
        db.session.add(CheckResult(device_id=device.id, kind=kind, round=number, item_text=text,
                                   outcome=CheckOutcome(outcome), note=note[:5000], checked_by_id=actor.id,
                                   checked_at=now))
    db.session.flush()
    return number


def confirm_warranty(device: Device, *, actor: User, confirmed: bool, note: str = "") -> None:
    """The technician's last word on a warranty claim; a rejection gives the customer the reason."""
    _require_worker(device, actor)
    _require_status(device, S.DIAGNOSIS)
    note = (note or "").strip()
    if not confirmed and not note:
        raise DomainError(_("Write the reason the customer will see for rejecting the warranty."),
                          field="warranty_note")
    device.warranty_confirmed, device.warranty_note = bool(confirmed), note[:5000]
    db.session.flush()


def warranty_repair(device: Device, *, actor: User, station: str = "") -> None:
    """A confirmed warranty goes straight to repair: no quote, no approval, no charge."""
    _require_worker(device, actor)
    _require_status(device, S.DIAGNOSIS)
    if not device.warranty_confirmed:
        raise DomainError(_("Confirm the warranty first: only a confirmed warranty is repaired without a quote."))
    _move(device, S.REPAIR, actor=actor, station=station, note=str(_l("Warranty repair: no charge")))


def beyond_repair(device: Device, *, actor: User, reason: str, station: str = "") -> None:
    """The device cannot be repaired: recorded with the reason, and returned unrepaired."""
    _require_worker(device, actor)
    _require_status(device, S.DIAGNOSIS, S.REPAIR)
    if not (reason or "").strip():
        raise DomainError(_("Write why the device cannot be repaired."), field="reason")
    _move(device, S.BEYOND_REPAIR, actor=actor, station=station, note=reason.strip())
    parts.release(device)
    workflow.move(device, S.READY_TO_SHIP, actor=None, note=str(_l("Returned unrepaired")))


def no_fault_found(device: Device, *, actor: User, note: str, station: str = "") -> None:
    """Nothing wrong was found: recorded with what was tested, and returned."""
    _require_worker(device, actor)
    _require_status(device, S.DIAGNOSIS)
    if not (note or "").strip():
        raise DomainError(_("Write what you tested, for the customer."), field="note")
    _move(device, S.NO_FAULT_FOUND, actor=actor, station=station, note=note.strip())
    workflow.move(device, S.READY_TO_SHIP, actor=None, note=str(_l("Returned unrepaired")))


# -- repair ----------------------------------------------------------------------------------------

def accepted_quote(device: Device) -> Quote | None:
    """The last revision the customer (or the policy) accepted: what the repair does."""
    return db.session.scalars(
        select(Quote).where(Quote.device_id == device.id, Quote.state == QuoteState.DECIDED,
                            Quote.decision != Decision.DECLINED)
        .order_by(Quote.revision.desc()).limit(1)).first()


def accepted_lines(device: Device) -> list[QuoteLine]:
    quote = accepted_quote(device)
    return [line for line in quote.lines if line.accepted] if quote else []


def work_entries(device: Device) -> list[WorkEntry]:
    return list(db.session.scalars(select(WorkEntry).where(WorkEntry.device_id == device.id)
                                   .order_by(WorkEntry.at, WorkEntry.id)))


def _minutes(value) -> int:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(_("The minutes “%(value)s” are not a whole number.", value=str(value)[:20]),
                          field="minutes") from None
    if not 1 <= minutes <= MAX_MINUTES:
        raise DomainError(_("Record between 1 and %(max)d minutes.", max=MAX_MINUTES), field="minutes")
    return minutes


def record_work(device: Device, *, actor: User, minutes, note: str = "", kind: WorkKind | str = WorkKind.REPAIR,
                line_ids_done: Iterable[int] = ()) -> WorkEntry:
    """Time spent on the device (diagnosis or repair) and the accepted lines it completed."""
    _require_worker(device, actor)
    try:
        kind = WorkKind(kind)
    except ValueError:
        raise DomainError(_("Choose diagnosis or repair."), field="kind") from None
    _require_status(device, S.DIAGNOSIS if kind == WorkKind.DIAGNOSIS else S.REPAIR)
    minutes = _minutes(minutes)
    done = {int(i) for i in line_ids_done}
    if done and kind != WorkKind.REPAIR:
        raise DomainError(_("Quote lines are done in the repair."))
    lines = {line.id: line for line in accepted_lines(device)}
    if not done <= lines.keys():
        raise DomainError(_("Mark only lines the customer accepted."))
    for line_id in done:
        lines[line_id].done = True
    entry = WorkEntry(device_id=device.id, user_id=actor.id, kind=kind, minutes=minutes,
                      note=(note or "").strip()[:5000])
    db.session.add(entry)
    db.session.flush()
    return entry


def _repair_since(device: Device):
    """When the current repair began: the last failed quality check, else the beginning."""
    return db.session.scalar(select(Transition.at).where(
        Transition.device_id == device.id, Transition.from_status == S.QUALITY_CHECK,
        Transition.to_status == S.REPAIR).order_by(Transition.id.desc()).limit(1))


def finish_repair(device: Device, *, actor: User, station: str = "") -> None:
    """The repair is done: work recorded (since the last failed check) and every accepted line
    done; the reserved parts count as used and the device goes to the quality check."""
    _require_worker(device, actor)
    _require_status(device, S.REPAIR)
    since = _repair_since(device)
    query = select(func.count()).select_from(WorkEntry).where(WorkEntry.device_id == device.id,
                                                            WorkEntry.kind == WorkKind.REPAIR)
    if since is not None:
        query = query.where(WorkEntry.at >= since)
    if not db.session.scalar(query):
        raise DomainError(_("Record the repair work and the time it took first."), field="minutes")
    open_lines = [line for line in accepted_lines(device) if not line.done]
    if open_lines:
        raise DomainError(_("Not done yet: %(lines)s. Mark each accepted line done when its work is.",
                            lines="; ".join(line.code or line.description for line in open_lines)))
    problem = workflow.refusal(device, S.QUALITY_CHECK, actor)
    if problem:
        raise NotAllowed(problem)
    parts.use_reserved(device)
    workflow.move(device, S.QUALITY_CHECK, actor=actor, station=station)


def record_wipe(device: Device, *, actor: User) -> None:
    """The data wipe the customer allowed, done."""
    _require_worker(device, actor)
    if not device.data_wipe_allowed:
        raise DomainError(_("The customer did not allow wiping device %(tag)s.", tag=device.tag_code))
    if device.wiped_at is not None:
        raise DomainError(_("The wipe of %(tag)s is already recorded.", tag=device.tag_code))
    _require_status(device, S.DIAGNOSIS, S.REPAIR)
    device.wiped_at, device.wiped_by_id = utcnow(), actor.id
    db.session.flush()


def unlock_code_for(device: Device, user: User | None) -> str | None:
    """The customer's unlock code, only for the assigned technician (not even a supervisor)."""
    if user is None or device.technician_id is None or device.technician_id != user.id:
        return None
    from portal.orders import decrypt_unlock_code

    return decrypt_unlock_code(device) or None


# -- quality check -----------------------------------------------------------------------------------

def _qc_round(device: Device) -> list[CheckResult] | None:
    """The QC results recorded since the device came to this quality check (None: not yet)."""
    last = db.session.scalars(select(CheckResult).where(
        CheckResult.device_id == device.id, CheckResult.kind == ChecklistKind.QUALITY_CHECK)
        .order_by(CheckResult.round.desc(), CheckResult.id).limit(1)).first()
    if last is None or last.checked_at < device.status_changed_at:
        return None
    return results(device, ChecklistKind.QUALITY_CHECK, last.round)


def _require_qc_checks(device: Device) -> list[CheckResult]:
    from portal.checklists import items_for

    recorded = _qc_round(device)
    if recorded is None:
        if items_for(device.category, ChecklistKind.QUALITY_CHECK):
            raise DomainError(_("Record the quality-check list first."))
        return []
    return recorded


def qc_pass(device: Device, *, tester: User, station: str = "") -> None:
    """A tester who did not repair the device passes it, its checklist recorded without a fail:
    it is ready to ship."""
    _require_status(device, S.QUALITY_CHECK)
    problem = workflow.refusal(device, S.READY_TO_SHIP, tester)
    if problem:
        raise NotAllowed(problem)
    failed = [r.item_text for r in _require_qc_checks(device) if r.outcome == CheckOutcome.FAIL]
    if failed:
        raise DomainError(_("A check failed (%(items)s): fail the device, or check it again.",
                            items="; ".join(failed)))
    workflow.move(device, S.READY_TO_SHIP, actor=tester, station=station,
                  note=str(_l("Quality check passed")))


def qc_fail(device: Device, *, tester: User, reason: str, station: str = "") -> None:
    """A tester who did not repair the device sends it back to the same technician, with the
    reason; the fail is counted."""
    _require_status(device, S.QUALITY_CHECK)
    if not (reason or "").strip():
        raise DomainError(_("Write why the device failed the quality check."), field="reason")
    problem = workflow.refusal(device, S.REPAIR, tester, reason)
    if problem:
        raise NotAllowed(problem)
    _require_qc_checks(device)
    workflow.move(device, S.REPAIR, actor=tester, station=station, note=reason.strip())
    device.qc_fail_count = (device.qc_fail_count or 0) + 1
    db.session.flush()


def last_repairer(device: Device) -> User | None:
    """Who handed the device to the quality check last."""
    return db.session.scalars(select(User).join(Transition, Transition.actor_id == User.id).where(
        Transition.device_id == device.id, Transition.to_status == S.QUALITY_CHECK)
        .order_by(Transition.id.desc()).limit(1)).first()
