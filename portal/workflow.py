"""The device life cycle: its states, the allowed moves, who may make each, and what each needs.

This module is the only writer of a device's status. Every move writes a Transition row
and the device's current-status columns in the same transaction; the status bar, the depot
queues and the audit history are all read from those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import Device, DeviceStatus, PhotoStage, Role, Transition, User

S = DeviceStatus
CUSTOMER = "customer"  # a user of the device's company: the order's owner or one who may edit all orders
APPROVER = "approver"  # a user of the device's company whom its approval policy lets decide quotes
SYSTEM = "system"  # scheduled jobs and automatic effects (actor None)

STATUS_TITLES = {
    S.REGISTERED: _l("Registered"),
    S.RECEIVED: _l("Received"),
    S.MISSING: _l("Missing"),
    S.CANCELLED: _l("Cancelled"),
    S.DIAGNOSIS: _l("Diagnosis"),
    S.AWAITING_APPROVAL: _l("Awaiting approval"),
    S.WAITING_FOR_PARTS: _l("Waiting for parts"),
    S.REPAIR: _l("Repair"),
    S.QUALITY_CHECK: _l("Quality check"),
    S.BEYOND_REPAIR: _l("Beyond repair"),
    S.NO_FAULT_FOUND: _l("No fault found"),
    S.DECLINED: _l("Declined"),
    S.READY_TO_SHIP: _l("Ready to ship"),
    S.SHIPPED: _l("Shipped"),
    S.DELIVERED: _l("Delivered"),
}

#: The usual path, in order: the stages of the customer's status bar.
USUAL_PATH = (S.REGISTERED, S.RECEIVED, S.DIAGNOSIS, S.AWAITING_APPROVAL, S.REPAIR,
              S.QUALITY_CHECK, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED)

#: Where a status off the usual path sits on it, for the compact progress bars.
OFF_PATH_PLACE = {S.MISSING: S.REGISTERED, S.CANCELLED: S.REGISTERED, S.WAITING_FOR_PARTS: S.AWAITING_APPROVAL,
                  S.BEYOND_REPAIR: S.DIAGNOSIS, S.NO_FAULT_FOUND: S.DIAGNOSIS, S.DECLINED: S.AWAITING_APPROVAL}


#: Where the usual path picks up again after a status off it (None: the path ends there).
RETURNS_TO_PATH = {S.MISSING: S.RECEIVED, S.CANCELLED: None, S.WAITING_FOR_PARTS: S.REPAIR,
                   S.BEYOND_REPAIR: S.READY_TO_SHIP, S.NO_FAULT_FOUND: S.READY_TO_SHIP, S.DECLINED: S.READY_TO_SHIP}


def path_of(device: Device) -> list[DeviceStatus]:
    """The stages of this device's own status bar: where it has been, then where it will go.

    A move back (quality check failed: back to repair) folds the path back to that stage, so the
    stages after it are ahead again, as they are for the device.
    """
    been: list[DeviceStatus] = []
    for transition in device.transitions:
        if transition.to_status in been:
            del been[been.index(transition.to_status) + 1:]
        else:
            been.append(transition.to_status)
    current = device.status
    if current in USUAL_PATH:
        ahead = USUAL_PATH[USUAL_PATH.index(current) + 1:]
    else:
        resume = RETURNS_TO_PATH.get(current)
        ahead = USUAL_PATH[USUAL_PATH.index(resume):] if resume else ()
    if not been:
        been = [current]
    return been + [stage for stage in ahead if stage not in been]


def place_on_path(status: DeviceStatus) -> int:
    """How far along the usual path a status is: 0 for registered, len(USUAL_PATH) - 1 for delivered."""
    return USUAL_PATH.index(OFF_PATH_PLACE.get(status, status))


@dataclass(frozen=True)
class Move:
    who: frozenset
    when: str  # the rule in the depot's words, as in DESIGN.md
    needs_reason: bool = False
    not_by_repairer: bool = False
    needs_photos: PhotoStage | None = None  # the booth's photos of that stage must be complete
    effects: tuple[str, ...] = field(default=())


def _move(*who, when, **options) -> Move:
    return Move(who=frozenset(who), when=when, **options)


R = Role
#: Who may stand in for the technician at the bench (the portal.quotes rule: assigned technician,
#: supervisor or admin)
BENCH_LEADS = (R.SUPERVISOR, R.ADMIN)
TRANSITIONS: dict[tuple[DeviceStatus, DeviceStatus], Move] = {
    (S.REGISTERED, S.RECEIVED): _move(R.RECEIVING, when="device tag scanned in; stops the 14-day reminder"),
    (S.REGISTERED, S.MISSING): _move(R.RECEIVING, R.ACCOUNT_MANAGER,
                                     when="the order's receiving is closed without it"),
    (S.MISSING, S.RECEIVED): _move(R.RECEIVING, when="it arrives later"),
    (S.REGISTERED, S.CANCELLED): _move(CUSTOMER, R.ACCOUNT_MANAGER, when="before it is received"),
    (S.RECEIVED, S.DIAGNOSIS): _move(R.TECHNICIAN, *BENCH_LEADS, when="intake photos complete",
                                     needs_photos=PhotoStage.INTAKE),
    (S.DIAGNOSIS, S.AWAITING_APPROVAL): _move(R.TECHNICIAN, *BENCH_LEADS,
                                              when="paid repair: quote sent to the approvers"),
    (S.DIAGNOSIS, S.REPAIR): _move(R.TECHNICIAN, *BENCH_LEADS,
                                   when="warranty confirmed, or the company approves automatically"),
    (S.DIAGNOSIS, S.BEYOND_REPAIR): _move(R.TECHNICIAN, *BENCH_LEADS,
                                          when="reason recorded; diagnosis fee", needs_reason=True),
    (S.DIAGNOSIS, S.NO_FAULT_FOUND): _move(R.TECHNICIAN, *BENCH_LEADS, when="fee per setting"),
    (S.AWAITING_APPROVAL, S.REPAIR): _move(APPROVER, R.ACCOUNT_MANAGER,
                                           when="a variant / lines accepted, parts in stock"),
    (S.AWAITING_APPROVAL, S.WAITING_FOR_PARTS): _move(APPROVER, R.ACCOUNT_MANAGER,
                                                      when="accepted, a part is missing"),
    (S.AWAITING_APPROVAL, S.DECLINED): _move(APPROVER, R.ACCOUNT_MANAGER, when="diagnosis fee"),
    (S.REPAIR, S.WAITING_FOR_PARTS): _move(R.TECHNICIAN, *BENCH_LEADS, when="a part is missing"),
    (S.WAITING_FOR_PARTS, S.REPAIR): _move(SYSTEM, R.TECHNICIAN, *BENCH_LEADS, when="part in stock"),
    (S.REPAIR, S.AWAITING_APPROVAL): _move(R.TECHNICIAN, *BENCH_LEADS, when="more work found: a new quote revision"),
    (S.REPAIR, S.BEYOND_REPAIR): _move(R.TECHNICIAN, *BENCH_LEADS, when="reason recorded", needs_reason=True),
    (S.REPAIR, S.QUALITY_CHECK): _move(R.TECHNICIAN, *BENCH_LEADS, when="work recorded"),
    (S.QUALITY_CHECK, S.REPAIR): _move(R.TESTER, when="fail, reason recorded", needs_reason=True,
                                       not_by_repairer=True),
    (S.QUALITY_CHECK, S.READY_TO_SHIP): _move(R.TESTER, when="pass", not_by_repairer=True),
    (S.BEYOND_REPAIR, S.READY_TO_SHIP): _move(R.DISPATCH, SYSTEM, when="returned unrepaired"),
    (S.NO_FAULT_FOUND, S.READY_TO_SHIP): _move(R.DISPATCH, SYSTEM, when="returned unrepaired"),
    (S.DECLINED, S.READY_TO_SHIP): _move(R.DISPATCH, SYSTEM, when="returned unrepaired"),
    (S.READY_TO_SHIP, S.SHIPPED): _move(R.DISPATCH, when="courier pick-up scanned; dispatch photos complete",
                                        needs_photos=PhotoStage.DISPATCH),
    (S.SHIPPED, S.DELIVERED): _move(CUSTOMER, SYSTEM, when="customer confirms, or automatically after N days"),
}

#: Who may register a device into the life cycle: submitting an order, or receiving finding a
#: device in the parcel that the order does not list.
ENTRY = frozenset({CUSTOMER, R.ACCOUNT_MANAGER, R.CUSTOMER_CARE, R.RECEIVING})


class IllegalMove(DomainError):
    pass


class ConcurrentMove(DomainError):
    """Someone else moved the device first; the message says who and when."""


def title(status: DeviceStatus | None) -> str:
    return str(STATUS_TITLES[status]) if status else ""


def actor_kinds(user: User | None, device: Device) -> set:
    """What the user counts as for this device: staff roles, the customer, or the system."""
    if user is None:
        return {SYSTEM}
    if user.is_staff:
        return set(user.role_set)
    if user.company_id != device.company_id:
        return set()
    from portal import quotes  # the company's approval policy is the quotes' business

    kinds = {CUSTOMER} if device.order.owner_id == user.id or user.can_edit_all_orders else set()
    if quotes.is_approver(user, device.order):
        kinds.add(APPROVER)
    return kinds


def _last_repairer_id(device: Device) -> int | None:
    return db.session.scalar(
        select(Transition.actor_id)
        .where(Transition.device_id == device.id, Transition.to_status == S.QUALITY_CHECK)
        .order_by(Transition.id.desc()).limit(1)
    )


def refusal(device: Device, to: DeviceStatus, user: User | None, note: str = "") -> str | None:
    """Why this user may not move the device there now, or None when they may."""
    rule = TRANSITIONS.get((device.status, to))
    if rule is None:
        return str(_l("A device that is “%(now)s” cannot become “%(to)s”.", now=title(device.status), to=title(to)))
    if not rule.who & actor_kinds(user, device):
        return str(_l("You may not move this device from “%(now)s” to “%(to)s”.",
                      now=title(device.status), to=title(to)))
    if rule.needs_reason and not note.strip():
        return str(_l("Write the reason."))
    if rule.not_by_repairer and user is not None and _last_repairer_id(device) == user.id:
        return str(_l("The quality check must be done by someone other than the repairer."))
    if rule.needs_photos:
        from portal import photos  # photos knows the booth's files; the life cycle only counts them

        taken, needed = photos.count(device, rule.needs_photos), photos.needed()
        if taken < needed:
            message = (_l("Take the intake photos first: %(taken)d of %(needed)d taken at the photo booth.",
                          taken=taken, needed=needed) if rule.needs_photos == PhotoStage.INTAKE else
                       _l("Take the dispatch photos first: %(taken)d of %(needed)d taken at the photo booth.",
                          taken=taken, needed=needed))
            return str(message)
    return None



def can_move(device: Device, to: DeviceStatus, user: User | None) -> bool:
    rule = TRANSITIONS.get((device.status, to))
    return rule is not None and refusal(device, to, user, note="-") is None


def _record(device: Device, frm, to, *, actor, station, note, on_behalf_of) -> Transition:
    if actor is not None and on_behalf_of is None and not actor.is_staff:
        # A staff member viewing the portal as this customer user: both are recorded.
        from portal.view_as import acting_staff

        staff = acting_staff(actor)
        if staff is not None:
            actor, on_behalf_of = staff, actor
    transition = Transition(
        device=device, from_status=frm, to_status=to, actor=actor, on_behalf_of=on_behalf_of,
        station=station, note=note.strip(), at=device.status_changed_at,
    )
    db.session.add(transition)
    return transition


def enter(device: Device, *, actor: User, on_behalf_of: User | None = None) -> Transition:
    """Register a new device into the life cycle (the order was submitted)."""
    kinds = actor_kinds(actor, device) if device.order is not None else set()
    if not ENTRY & kinds:
        raise NotAllowed(str(_l("You may not register devices for this company.")))
    device.status = S.REGISTERED
    device.status_changed_at = utcnow()
    return _record(device, None, S.REGISTERED, actor=actor, station="", note="", on_behalf_of=on_behalf_of)


def move(device: Device, to: DeviceStatus, *, actor: User | None, station: str = "", note: str = "",
         on_behalf_of: User | None = None) -> Transition:
    """Move a device to `to`, recording the transition; raise when the rules refuse it.

    The status column only changes if it still holds what this request read, so of two
    stations acting at once exactly one wins; the other gets ConcurrentMove.
    """
    to = DeviceStatus(to)
    problem = refusal(device, to, actor, note)
    if problem:
        raise IllegalMove(problem) if (device.status, to) not in TRANSITIONS else NotAllowed(problem)
    frm = device.status
    now = utcnow()
    result = db.session.execute(
        update(Device).where(Device.id == device.id, Device.status == frm)
        .values(status=to, status_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        latest = db.session.scalars(
            select(Transition).where(Transition.device_id == device.id).order_by(Transition.id.desc()).limit(1)
        ).first()
        who = latest.actor.name if latest and latest.actor else str(_l("the system"))
        raise ConcurrentMove(str(_l("Already moved to “%(to)s” by %(who)s at %(at)s.",
                                    to=title(latest.to_status) if latest else "", who=who,
                                    at=format_time(latest.at, "short") if latest else "")))
    # The row already holds these; tell the session so, or it would write them a second time.
    set_committed_value(device, "status", to)
    set_committed_value(device, "status_changed_at", now)
    return _record(device, frm, to, actor=actor, station=station, note=note, on_behalf_of=on_behalf_of)


def stage_times(device: Device) -> dict[DeviceStatus, object]:
    """When the device last reached each status, from its transition records."""
    return {t.to_status: t.at for t in device.transitions}
