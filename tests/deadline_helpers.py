"""Writing a device's history with chosen times, for the deadline tests.

The life cycle's own moves stamp the present; the deadline rules need receipts days ago. These
helpers write the same transition records portal.workflow writes, with the times a test names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from portal.extensions import db
from portal.models import DeviceStatus, Transition

WARSAW = ZoneInfo("Europe/Warsaw")
S = DeviceStatus


def warsaw(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def live(device, *steps: tuple[DeviceStatus, datetime]) -> None:
    """Append transitions (status, at) after the device's own (moved earlier when they are later
    than the first step, e.g. the registration made today), and set its current status."""
    first = steps[0][1]
    for transition in device.transitions:
        transition.at = min(transition.at, first - timedelta(days=1))
    for status, at in steps:
        db.session.add(Transition(device_id=device.id, from_status=device.status, to_status=status, at=at))
        device.status = status
        device.status_changed_at = at
    db.session.flush()
    db.session.expire(device, ["transitions"])


def backdate(device, status: DeviceStatus, at: datetime) -> None:
    """Move the time of the device's first transition into ``status`` (e.g. a receipt days ago)."""
    transition = next(t for t in device.transitions if t.to_status == status)
    transition.at = at
    db.session.flush()


def received_so_that(device, state: str, stage: str = "diagnosis") -> None:
    """Backdate the device's receipt, an hour at a time, until the stage's deadline is in ``state``
    ("at risk" or "overdue") now: the tests then hold on any weekday, weekend or holiday."""
    from portal import deadlines
    from portal.dbbase import utcnow

    receipt = next(t for t in device.transitions if t.to_status == S.RECEIVED)
    now = utcnow()
    for hours in range(1, 24 * 40):
        receipt.at = now - timedelta(hours=hours)
        for earlier in device.transitions[:device.transitions.index(receipt)]:
            earlier.at = min(earlier.at, receipt.at - timedelta(minutes=1))
        found = next(s for s in deadlines.due(device, now=now) if s.stage == stage)
        if found.state == state:
            if state == "at risk":  # leave room for the time the test takes
                receipt.at = now - timedelta(hours=hours + 1)
                found = next(s for s in deadlines.due(device, now=now) if s.stage == stage)
                if found.state != state:
                    receipt.at = now - timedelta(hours=hours)
            db.session.flush()
            return
    raise AssertionError(f"no receipt time puts the device {state}")
