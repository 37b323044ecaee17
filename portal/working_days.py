"""Working-day arithmetic for deadlines: weekends and holidays skipped, counted in the depot's zone.

The rules, all in the depot's local time (``DEPOT_TIMEZONE``), whatever zone
the moment was given in or the viewer lives in:

- A working day is a local calendar day that is neither a Saturday, a Sunday
  nor in the holiday list. Its working time runs from its local midnight to
  the next local midnight (23 or 25 hours on a daylight-saving change).
- ``add_working_days(start, n)``: if ``start`` falls on a non-working day the
  clock starts at the beginning (00:00) of the next working day; the deadline
  is then the same local wall-clock time ``n`` working days later. A receipt
  on Friday at 18:00 with one working day is due on Monday at 18:00; one on
  Saturday at 10:00 is due on Tuesday at 00:00 (all of Monday counted). A wall
  time that does not exist on the due day (the spring DST gap) moves forward
  by the gap; an ambiguous one (autumn) takes the first occurrence.
- ``working_seconds_between(start, end)``: the real seconds of [start, end)
  that fall on working days. Pauses (waiting for the customer or for parts)
  are measured with it, and ``add_working_seconds`` moves a due time later by
  that much, so a pause over a weekend moves no deadline.

Times go in and come out as aware UTC datetimes, as the models store them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.extensions import db
from portal.models.sla import Holiday

SATURDAY = 5


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    return moment


def is_working_day(day: date, holidays: set[date] | frozenset[date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def next_working_day(day: date, holidays: set[date] | frozenset[date]) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def _local_midnight_utc(day: date, tz: tzinfo) -> datetime:
    """The UTC moment a local day starts (midnight exists in every zone we serve)."""
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _wall_time_utc(day: date, wall: time, tz: tzinfo) -> datetime:
    """A local wall-clock time on ``day`` as UTC.

    zoneinfo reads a time with fold=0 using the offset in force before a change:
    a time in the spring gap comes out moved forward by the gap, an ambiguous
    autumn time as its first occurrence.
    """
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def add_working_days(start: datetime, days: int, holidays: set[date], tz: tzinfo | str) -> datetime:
    """The moment ``days`` working days after ``start`` (see the module's rules), in UTC."""
    if days < 0:
        raise ValueError("working days must not be negative")
    zone = _zone(tz)
    local = _aware(start).astimezone(zone)
    day, wall = local.date(), local.time().replace(tzinfo=None)
    if not is_working_day(day, holidays):
        day, wall = next_working_day(day, holidays), time()
    for _ in range(days):
        day = next_working_day(day, holidays)
    return _wall_time_utc(day, wall, zone)


def working_seconds_between(start: datetime, end: datetime, holidays: set[date], tz: tzinfo | str) -> float:
    """Real seconds of [start, end) that fall on local working days; 0 when end is not after start."""
    zone = _zone(tz)
    start, end = _aware(start).astimezone(UTC), _aware(end).astimezone(UTC)
    if end <= start:
        return 0.0
    total = 0.0
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        if is_working_day(day, holidays):
            day_start = _local_midnight_utc(day, zone)
            day_end = _local_midnight_utc(day + timedelta(days=1), zone)
            overlap = (min(end, day_end) - max(start, day_start)).total_seconds()
            if overlap > 0:
                total += overlap
        day += timedelta(days=1)
    return total


def add_working_seconds(start: datetime, seconds: float, holidays: set[date], tz: tzinfo | str) -> datetime:
    """The moment after ``start`` by which ``seconds`` of working time have passed, in UTC."""
    zone = _zone(tz)
    moment = _aware(start).astimezone(UTC)
    if seconds <= 0:
        return moment
    day = moment.astimezone(zone).date()
    if not is_working_day(day, holidays):
        day = next_working_day(day, holidays)
        moment = _local_midnight_utc(day, zone)
    left = float(seconds)
    while True:
        day_end = _local_midnight_utc(day + timedelta(days=1), zone)
        available = (day_end - moment).total_seconds()
        if left <= available:
            return moment + timedelta(seconds=left)
        left -= available
        day = next_working_day(day, holidays)
        moment = _local_midnight_utc(day, zone)


def holidays() -> set[date]:
    """The depot's holiday list (one query; load it once per page or job run)."""
    return set(db.session.scalars(select(Holiday.day)))
