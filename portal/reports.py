"""The managers' reports: for a period of depot days, each report as plain data (tables of rows,
each with the chart that draws it), read from summaries kept by ``refresh`` and a few indexed
live queries.

Summaries (portal.models.report) are derived from the transition records, the truth: ``refresh``
reads the transitions made since its watermark, pairs each with the device's previous one and adds
what it finds to per-day counts. It runs in `flask jobs run`, never in a scan's request; running it
twice, or from two workers at once, counts each transition once (the watermark is claimed with a
conditional update before anything is added).

- Turnaround per stage: how long devices stayed in each status, and from receipt to ready to ship,
  counted on the day the stay ended; median and 90th percentile from a logarithmic histogram
  (buckets 4 % wide: figures within 2 % of the exact ones).
- SLA compliance: each deadline stage (portal.deadlines) that ended, met or missed, on the day it
  ended.
- Technician productivity: diagnoses and repairs finished by whoever made the move; the quality
  check's outcome counts for the technician who made the repair, not for the tester.
- Revenue and margin: invoices and credit notes issued in the period, net of tax; parts at the cost
  on the invoice line; technician time of every device invoiced in the period (its work entries,
  whenever recorded) at TECHNICIAN_HOURLY_COST.
"""

from __future__ import annotations

import calendar as month_calendar
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import Integer, and_, cast, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal import deadlines, workflow
from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Company,
    Decision,
    Device,
    DeviceStatus,
    Invoice,
    Order,
    Quote,
    ReportActivityDay,
    ReportSlaDay,
    ReportStageDay,
    ReportStatusDay,
    ReportWatermark,
    Transition,
    User,
)
from portal.models.sla import DeadlineStage
from portal.spreadsheets import safe_cell

S = DeviceStatus
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
WATERMARK_ID = 1
MAX_PERIOD_DAYS = 3 * 366
TOP_ROWS = 50  # rows of a long table shown in the page; the workbook has them all
EXPORT_LIMIT = 100_000

# -- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Depot days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[from, until) in UTC: midnight at the depot on the first day and after the last."""
        return (datetime.combine(self.start, time(), tz).astimezone(UTC),
                datetime.combine(self.end + timedelta(days=1), time(), tz).astimezone(UTC))

    def __str__(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def depot_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEPOT_TIMEZONE"])


def depot_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(depot_zone()).date()


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, month_calendar.monthrange(year, month + 1)[1]))


PRESETS = {
    "this_month": _l("This month"),
    "last_3_months": _l("Last 3 months"),
    "last_12_months": _l("Last 12 months"),
}


def preset_period(name: str, today: date) -> Period:
    """This month: from its first day to today; the last N months: the N months up to today."""
    if name == "this_month":
        return Period(today.replace(day=1), today)
    months = {"last_3_months": 3, "last_12_months": 12}[name]
    return Period(_months_back(today, months) + timedelta(days=1), today)


def parse_period(start: str | None, end: str | None, *, preset: str | None = None,
                 today: date | None = None) -> Period:
    """The period asked for: a preset, or from/to dates (YYYY-MM-DD, both included); nothing given:
    the last 12 months. Raises DomainError naming the bad field."""
    today = today or depot_today()
    if preset:
        if preset not in PRESETS:
            raise DomainError(_("Choose one of the periods offered."), field="preset")
        return preset_period(preset, today)
    if not start and not end:
        return preset_period("last_12_months", today)
    values = {}
    for name, value in (("from", start), ("to", end)):
        if not value:
            raise DomainError(_("Give both the first and the last day of the period."), field=name)
        try:
            values[name] = date.fromisoformat(value.strip())
        except ValueError:
            raise DomainError(_("“%(value)s” is not a date (YYYY-MM-DD).", value=value[:20]), field=name) from None
    period = Period(values["from"], values["to"])
    if period.end < period.start:
        raise DomainError(_("The period ends before it starts."), field="to")
    if period.days > MAX_PERIOD_DAYS:
        raise DomainError(_("A period is at most %(days)d days long.", days=MAX_PERIOD_DAYS), field="from")
    return period


# -- the duration histogram -----------------------------------------------------------------------

RATIO = 1.04  # each bucket 4 % wider than the last: a bucket's middle is within 2 % of any value in it
_LOG_RATIO = math.log(RATIO)
MAX_BUCKET = 400  # about 5 years


def bucket_of(seconds: float) -> int:
    """0: under a minute; then bucket b holds [60·R^(b-1), 60·R^b) seconds."""
    if seconds < 60:
        return 0
    return min(MAX_BUCKET, 1 + int(math.log(seconds / 60) / _LOG_RATIO))


def bucket_seconds(bucket: int) -> float:
    """The middle (geometric) of a bucket: what a percentile falling into it reads as."""
    if bucket <= 0:
        return 30.0
    return 60 * RATIO ** (bucket - 0.5)


def percentile(histogram: dict[int, int], share: float) -> float | None:
    """Nearest-rank percentile of a histogram {bucket: count}, in seconds (None when empty)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_seconds(bucket)
    return None  # not reached


# -- keeping the summaries ---------------------------------------------------------------------------

DIAGNOSIS_DONE = deadlines.DIAGNOSIS_DONE
#: Transitions that may end a deadline stage: only their devices' deadlines are worked out.
ENDS_A_STAGE = DIAGNOSIS_DONE | {S.READY_TO_SHIP}
TURNAROUND = "turnaround"


class Tally:
    """Counts found in transitions, per depot day; the seeder of the bench fills one too."""

    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self.stages: Counter = Counter()  # (day, stage, bucket)
        self.statuses: Counter = Counter()  # (day, status)
        self.activity: Counter = Counter()  # (day, kind, actor_id)
        self.sla: dict = defaultdict(lambda: [0, 0])  # (day, stage) -> [met, missed]
        self._days: dict[int, date] = {}

    def day(self, ts: float) -> date:
        """The depot day of a UTC timestamp (cached per quarter-hour: zone offsets change on those)."""
        key = int(ts // 900)
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = datetime.fromtimestamp(key * 900, self.tz).date()
        return found

    def transition(self, previous, current, received_ts: float | None) -> None:
        """One transition (status, ts, actor_id) after the device's previous one (None: its first)."""
        status, ts, actor = current
        day = self.day(ts)
        self.statuses[(day, str(status))] += 1
        if received_ts is not None and status == S.READY_TO_SHIP:
            self.stages[(day, TURNAROUND, bucket_of(ts - received_ts))] += 1
        if previous is None:
            return
        before, before_ts, before_actor = previous
        self.stages[(day, str(before), bucket_of(ts - before_ts))] += 1
        kind, who = None, actor
        if before == S.DIAGNOSIS and status in DIAGNOSIS_DONE:
            kind = "diagnosis"
        elif before == S.REPAIR and status == S.QUALITY_CHECK:
            kind = "repair"
        elif before == S.QUALITY_CHECK and status == S.READY_TO_SHIP:
            kind, who = "qc_passed", before_actor
        elif before == S.QUALITY_CHECK and status == S.REPAIR:
            kind, who = "qc_failed", before_actor
        if kind:
            self.activity[(day, kind, who or 0)] += 1

    def stage_outcome(self, stage: str, done_ts: float, met: bool) -> None:
        self.sla[(self.day(done_ts), stage)][0 if met else 1] += 1

    def rows(self) -> dict:
        """Rows for the summary tables."""
        return {
            ReportStageDay: [{"day": d, "stage": s, "bucket": b, "count": n} for (d, s, b), n in self.stages.items()],
            ReportStatusDay: [{"day": d, "status": s, "count": n} for (d, s), n in self.statuses.items()],
            ReportActivityDay: [{"day": d, "kind": k, "actor_id": a, "count": n}
                                for (d, k, a), n in self.activity.items()],
            ReportSlaDay: [{"day": d, "stage": s, "met": m, "missed": x} for (d, s), (m, x) in self.sla.items()],
        }


KEYS = {ReportStageDay: ("day", "stage", "bucket"), ReportStatusDay: ("day", "status"),
        ReportActivityDay: ("day", "kind", "actor_id"), ReportSlaDay: ("day", "stage")}


def _insert_for_dialect():
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def add_counts(tally: Tally) -> None:
    """Add the tally's counts to the summaries (rows that exist grow, new ones are made). Flushes."""
    insert = _insert_for_dialect()
    for model, rows in tally.rows().items():
        keys = KEYS[model]
        table = model.__table__
        values = [c.name for c in table.columns if c.name not in keys]
        for start in range(0, len(rows), 1000):
            statement = insert(table).values(rows[start:start + 1000])
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_={name: table.c[name] + statement.excluded[name] for name in values})
            db.session.execute(statement)


def _watermark() -> int:
    found = db.session.scalar(select(ReportWatermark.last_transition_id).where(ReportWatermark.id == WATERMARK_ID))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            db.session.add(ReportWatermark(id=WATERMARK_ID, last_transition_id=0))
    except IntegrityError:  # another worker made it just now
        pass
    return db.session.scalar(select(ReportWatermark.last_transition_id).where(ReportWatermark.id == WATERMARK_ID))


def refresh(batch: int = 5000, *, now: datetime | None = None) -> int:
    """Bring the summaries up to date with the transitions made since the last run, ``batch`` at a
    time. Each batch is claimed first (the watermark moves only if no one moved it meanwhile), so
    a second worker skips what the first counts. Returns the transitions counted; the caller commits.

    On PostgreSQL a transition committed after a later-numbered one (two transactions in flight at
    once) is counted only if the run sees it before it passes that number."""
    tz = depot_zone()
    counted = 0
    calendar = None
    while True:
        last = _watermark()
        ids = db.session.scalars(select(Transition.id).where(Transition.id > last)
                                 .order_by(Transition.id).limit(batch)).all()
        if not ids:
            break
        upto = ids[-1]
        claimed = db.session.execute(
            update(ReportWatermark)
            .where(ReportWatermark.id == WATERMARK_ID, ReportWatermark.last_transition_id == last)
            .values(last_transition_id=upto, refreshed_at=now or utcnow())
            .execution_options(synchronize_session=False)).rowcount
        if not claimed:
            break  # another worker counts these
        calendar = calendar or deadlines.Calendar.load(now)
        _count(last, upto, tz, calendar)
        counted += len(ids)
        if len(ids) < batch:
            break
    db.session.flush()
    return counted


def _count(last: int, upto: int, tz: ZoneInfo, calendar: deadlines.Calendar) -> None:
    device_ids = sorted(set(db.session.scalars(
        select(Transition.device_id).where(Transition.id > last, Transition.id <= upto))))
    tally = Tally(tz)
    ending: dict[int, set[datetime]] = defaultdict(set)  # device -> times of its new stage-ending moves
    for start in range(0, len(device_ids), 500):
        chunk = device_ids[start:start + 500]
        rows = db.session.execute(
            select(Transition.id, Transition.device_id, Transition.to_status, Transition.actor_id, Transition.at)
            .where(Transition.device_id.in_(chunk), Transition.id <= upto)
            .order_by(Transition.device_id, Transition.id)).all()
        previous, received, device = None, None, None
        for row in rows:
            if row.device_id != device:
                previous, received, device = None, None, row.device_id
            ts = row.at.timestamp()
            current = (row.to_status, ts, row.actor_id)
            if row.id > last:
                tally.transition(previous, current, received)
                if row.to_status in ENDS_A_STAGE:
                    ending[row.device_id].add(row.at)
            if received is None and row.to_status == S.RECEIVED:
                received = ts
            previous = current
    _count_deadlines(tally, ending, calendar)
    add_counts(tally)


def _count_deadlines(tally: Tally, ending: dict[int, set[datetime]], calendar: deadlines.Calendar) -> None:
    ids = sorted(ending)
    for start in range(0, len(ids), 500):
        devices = db.session.scalars(
            select(Device).where(Device.id.in_(ids[start:start + 500]))
            .options(joinedload(Device.order), selectinload(Device.transitions))).unique()
        for device in devices:
            for stage in deadlines.due(device, calendar=calendar):
                if stage.done_at is not None and stage.done_at in ending[device.id]:
                    tally.stage_outcome(str(stage.stage), stage.done_at.timestamp(), stage.state == "met")


# -- the reports as plain data -------------------------------------------------------------------------

@dataclass
class Chart:
    kind: str  # "bars" | "range"
    title: str
    labels: list[str]
    series: list[list]  # bars: one list of values per series; range: [medians, p90s]
    series_titles: list[str] = field(default_factory=list)
    unit: str = ""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    chart: Chart | None = None
    note: str = ""
    shown: int | None = None  # rows shown in the page (the workbook has all)

    @property
    def page_rows(self) -> list[list]:
        return self.rows if self.shown is None else self.rows[:self.shown]


@dataclass
class ReportData:
    name: str
    title: str
    period: Period
    tables: list[Table]
    note: str = ""


def _hours(seconds: float | None) -> Decimal | None:
    return None if seconds is None else Decimal(str(round(seconds / 3600, 1)))


def _share(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"))


STAGE_ORDER = [S.REGISTERED, S.RECEIVED, S.DIAGNOSIS, S.AWAITING_APPROVAL, S.WAITING_FOR_PARTS, S.REPAIR,
               S.QUALITY_CHECK, S.BEYOND_REPAIR, S.NO_FAULT_FOUND, S.DECLINED, S.READY_TO_SHIP, S.SHIPPED,
               S.MISSING]


def stage_title(stage: str) -> str:
    if stage == TURNAROUND:
        return _("Receipt to ready to ship")
    return workflow.title(DeviceStatus(stage))


def turnaround(period: Period) -> ReportData:
    rows = db.session.execute(
        select(ReportStageDay.stage, ReportStageDay.bucket, func.sum(ReportStageDay.count))
        .where(ReportStageDay.day.between(period.start, period.end))
        .group_by(ReportStageDay.stage, ReportStageDay.bucket)).all()
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    for stage, bucket, count in rows:
        histograms[stage][bucket] = int(count)
    table_rows = []
    for stage in [*(s.value for s in STAGE_ORDER), TURNAROUND]:
        histogram = histograms.get(stage)
        if not histogram:
            continue
        table_rows.append([stage_title(stage), sum(histogram.values()), _hours(percentile(histogram, 0.5)),
                           _hours(percentile(histogram, 0.9))])
    chart = Chart("range", _("Hours per stage: median, and 90th percentile"), [r[0] for r in table_rows],
                  [[r[2] for r in table_rows], [r[3] for r in table_rows]], [_("Median"), _("90th percentile")],
                  unit=_("h"))
    return ReportData("turnaround", _("Turnaround per stage"), period, [Table(
        _("Time in each stage"), [_("Stage"), _("Stays ended"), _("Median (hours)"), _("90th percentile (hours)")],
        table_rows, chart,
        note=_("A stay counts on the day it ended. Figures are within %(share)s of the exact ones.",
                share="2 %"))])


def sla(period: Period) -> ReportData:
    rows = dict((stage, (int(met or 0), int(missed or 0))) for stage, met, missed in db.session.execute(
        select(ReportSlaDay.stage, func.sum(ReportSlaDay.met), func.sum(ReportSlaDay.missed))
        .where(ReportSlaDay.day.between(period.start, period.end)).group_by(ReportSlaDay.stage)))
    table_rows = []
    for stage in DeadlineStage:
        met, missed = rows.get(stage.value, (0, 0))
        table_rows.append([str(deadlines.STAGE_TITLES[stage]), met, missed, _share(met, met + missed)])
    chart = Chart("bars", _("Deadlines met, per cent"), [r[0] for r in table_rows],
                  [[r[3] or 0 for r in table_rows]], [_("Met")], unit="%")
    return ReportData("sla", _("SLA compliance"), period, [Table(
        _("Deadline stages ended in the period"), [_("Stage"), _("Met"), _("Missed"), _("Met (%)")], table_rows,
        chart, note=_("A stage counts on the day it ended; pauses for the customer and for parts are left out."))])


def statuses(period: Period) -> ReportData:
    now = dict(db.session.execute(select(Device.status, func.count()).group_by(Device.status)).all())
    entered = dict(db.session.execute(
        select(ReportStatusDay.status, func.sum(ReportStatusDay.count))
        .where(ReportStatusDay.day.between(period.start, period.end)).group_by(ReportStatusDay.status)).all())
    table_rows = []
    for status in workflow.STATUS_TITLES:
        count_now, count_entered = int(now.get(status, 0)), int(entered.get(status.value, 0) or 0)
        if count_now or count_entered:
            table_rows.append([workflow.title(status), count_now, count_entered])
    chart = Chart("bars", _("Devices per status now"), [r[0] for r in table_rows], [[r[1] for r in table_rows]],
                  [_("Now")])
    return ReportData("statuses", _("Devices per status"), period, [Table(
        _("Devices per status"), [_("Status"), _("Devices now"), _("Moved into it in the period")], table_rows,
        chart)])


def technicians(period: Period) -> ReportData:
    counts: dict[int, Counter] = defaultdict(Counter)
    for actor_id, kind, count in db.session.execute(
            select(ReportActivityDay.actor_id, ReportActivityDay.kind, func.sum(ReportActivityDay.count))
            .where(ReportActivityDay.day.between(period.start, period.end))
            .group_by(ReportActivityDay.actor_id, ReportActivityDay.kind)):
        counts[actor_id][kind] += int(count)
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(list(counts)))).all())
    table_rows = []
    for actor_id, c in counts.items():
        checked = c["qc_passed"] + c["qc_failed"]
        name = names.get(actor_id) or _("No one (automatic)")
        table_rows.append([name, c["diagnosis"], c["repair"], checked, c["qc_failed"], _share(c["qc_failed"], checked)])
    table_rows.sort(key=lambda r: (-(r[1] + r[2]), r[0]))
    chart = Chart("bars", _("Diagnoses and repairs per technician"), [r[0] for r in table_rows[:TOP_ROWS]],
                  [[r[1] for r in table_rows[:TOP_ROWS]], [r[2] for r in table_rows[:TOP_ROWS]]],
                  [_("Diagnoses"), _("Repairs")])
    return ReportData("technicians", _("Technician productivity"), period, [Table(
        _("Per technician"), [_("Technician"), _("Diagnoses"), _("Repairs"), _("Repairs checked"),
                              _("Failed the check"), _("Fail rate (%)")], table_rows, chart, shown=TOP_ROWS,
        note=_("The quality check's outcome counts for the technician who made the repair."))])


def repeats(period: Period) -> ReportData:
    start, end = period.utc_bounds(depot_zone())
    original = db.aliased(Device)
    rows = db.session.execute(
        select(Device.manufacturer, Device.model, original.technician_id, func.count())
        .join(original, original.id == Device.repeat_of_id)
        .where(Device.repeat_of_id.is_not(None), Device.created_at >= start, Device.created_at < end)
        .group_by(Device.manufacturer, Device.model, original.technician_id)).all()
    received = int(db.session.scalar(
        select(func.coalesce(func.sum(ReportStatusDay.count), 0))
        .where(ReportStatusDay.day.between(period.start, period.end),
               ReportStatusDay.status == S.RECEIVED.value)) or 0)
    total = sum(r[3] for r in rows)
    by_model: Counter = Counter()
    by_technician: Counter = Counter()
    for manufacturer, model, technician_id, count in rows:
        by_model[f"{manufacturer} {model}"] += count
        by_technician[technician_id or 0] += count
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(list(by_technician)))).all())
    summary = Table(_("Repeat repairs"), [_("Devices received"), _("Repeat repairs"), _("Repeat rate (%)")],
                    [[received, total, _share(total, received)]])
    models = by_model.most_common()
    model_table = Table(_("Per model"), [_("Model"), _("Repeat repairs")], [list(r) for r in models],
                        Chart("bars", _("Repeat repairs per model"), [r[0] for r in models[:TOP_ROWS]],
                              [[r[1] for r in models[:TOP_ROWS]]], [_("Repeat repairs")]), shown=TOP_ROWS)
    technician_table = Table(
        _("Per technician of the first repair"), [_("Technician"), _("Repeat repairs")],
        [[names.get(t) or _("Not assigned"), n] for t, n in by_technician.most_common()], shown=TOP_ROWS)
    return ReportData("repeats", _("Repeat repairs"), period, [summary, model_table, technician_table],
                      note=_("Devices registered in the period that came back within the depot's repair warranty."))


ACCEPTING = (Decision.REQUIRED, Decision.RECOMMENDED, Decision.LINES, Decision.AUTOMATIC)
DECISION_TITLES = {
    Decision.REQUIRED: _l("Required lines"),
    Decision.RECOMMENDED: _l("All lines (recommended)"),
    Decision.LINES: _l("Required and some recommended lines"),
    Decision.AUTOMATIC: _l("Approved automatically"),
    Decision.DECLINED: _l("Declined"),
}


def quotes(period: Period) -> ReportData:
    start, end = period.utc_bounds(depot_zone())
    counts = dict(db.session.execute(
        select(Quote.decision, func.count()).where(Quote.decided_at >= start, Quote.decided_at < end,
                                                   Quote.decision.in_(list(DECISION_TITLES)))
        .group_by(Quote.decision)).all())
    decided = sum(counts.values())
    accepted = sum(counts.get(d, 0) for d in ACCEPTING)
    table_rows = [[str(title), counts.get(decision, 0), _share(counts.get(decision, 0), decided)]
                  for decision, title in DECISION_TITLES.items()]
    chart = Chart("bars", _("Quotes decided, per cent, by variant"), [r[0] for r in table_rows],
                  [[r[2] or 0 for r in table_rows]], [_("Share")], unit="%")
    return ReportData("quotes", _("Quote acceptance"), period, [
        Table(_("Acceptance"), [_("Quotes decided"), _("Accepted"), _("Acceptance rate (%)")],
              [[decided, accepted, _share(accepted, decided)]]),
        Table(_("By variant"), [_("Variant"), _("Quotes"), _("Share (%)")], table_rows, chart,
              note=_("Quotes decided in the period; warranty repairs need no quote and are left out."))])


def hourly_cost() -> Decimal:
    return Decimal(str(current_app.config.get("TECHNICIAN_HOURLY_COST", "30.00")))


def _cents(expression):
    return func.sum(cast(func.round(expression * 100), Integer))


def _money(cents) -> Decimal:
    return (Decimal(int(cents or 0)) / HUNDRED).quantize(Decimal("0.01"))


def revenue(period: Period) -> ReportData:
    start, end = period.utc_bounds(depot_zone())
    rate = hourly_cost()
    in_period = and_(Invoice.issued_at >= start, Invoice.issued_at < end)

    def sums(key) -> dict:
        """key -> (net cents, parts at cost cents, technician minutes), from the figures each invoice
        and credit note fixed at issue (one row per invoice, never its lines)."""
        return {key_: (net, parts, minutes) for key_, net, parts, minutes in db.session.execute(
            select(key, _cents(Invoice.net), _cents(Invoice.parts_cost), func.sum(Invoice.technician_minutes))
            .where(in_period).group_by(key))}

    def rows_for(figures: dict, names: dict) -> list[list]:
        rows = []
        for key, (amount_cents, cost_cents, worked) in figures.items():
            amount, parts = _money(amount_cents), _money(cost_cents)
            worked = int(worked or 0)
            labour = (Decimal(worked) * rate / 60).quantize(Decimal("0.01"))
            margin = amount - parts - labour
            rows.append([names.get(key, "—"), amount, parts, worked, labour, margin,
                         (margin * HUNDRED / amount).quantize(Decimal("0.1")) if amount else None])
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows

    company_figures = sums(Invoice.company_id)
    company_names = dict(db.session.execute(select(Company.id, Company.legal_name).where(
        Company.id.in_(list(company_figures)))).all())
    order_figures = sums(Invoice.order_id)
    order_names = {oid: f"{number or oid} · {name}" for oid, number, name in db.session.execute(
        select(Order.id, Order.number, Company.legal_name).join(Company, Company.id == Order.company_id)
        .where(Order.id.in_([k for k in order_figures if k is not None])))}
    headers = [_("Revenue (net)"), _("Parts at cost"), _("Technician minutes"), _("Technician time at cost"),
               _("Margin"), _("Margin (%)")]
    customers = rows_for(company_figures, company_names)
    orders = rows_for(order_figures, order_names)[:EXPORT_LIMIT]
    currency = current_app.config["CURRENCY"]
    chart = Chart("bars", _("Revenue and margin per customer (%(currency)s)", currency=currency),
                  [r[0] for r in customers[:15]], [[r[1] for r in customers[:15]], [r[5] for r in customers[:15]]],
                  [_("Revenue"), _("Margin")])
    note = _("Invoices and credit notes issued in the period, net of tax, in %(currency)s; technician time of "
             "the devices invoiced at %(rate)s an hour.", currency=currency, rate=rate)
    return ReportData("revenue", _("Revenue and margin"), period, [
        Table(_("Per customer"), [_("Customer"), *headers], customers, chart, shown=TOP_ROWS),
        Table(_("Per order"), [_("Order"), *headers], orders, shown=TOP_ROWS),
    ], note=note)


@dataclass(frozen=True)
class Report:
    title: object
    build: Callable[[Period], ReportData]


REPORTS: dict[str, Report] = {
    "turnaround": Report(_l("Turnaround per stage"), turnaround),
    "sla": Report(_l("SLA compliance"), sla),
    "statuses": Report(_l("Devices per status"), statuses),
    "technicians": Report(_l("Technician productivity"), technicians),
    "repeats": Report(_l("Repeat repairs"), repeats),
    "quotes": Report(_l("Quote acceptance"), quotes),
    "revenue": Report(_l("Revenue and margin"), revenue),
}


def build(name: str, period: Period) -> ReportData:
    return REPORTS[name].build(period)


def workbook(data: ReportData) -> io.BytesIO:
    """The report as an .xlsx: one sheet per table, its title and period on top, then the rows
    (numbers as numbers; texts never become formulas)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()
    for n, table in enumerate(data.tables, start=1):
        name = re.sub(r"[\\/*?:\[\]]", " ", table.title)[:28] or str(n)
        if name in used:
            name = f"{name[:25]} {n}"
        used.add(name)
        sheet = book.create_sheet(name)
        heading = WriteOnlyCell(sheet, value=f"{data.title}: {table.title}")
        heading.font = bold
        sheet.append([heading])
        sheet.append([safe_cell(sheet, _("Period")), safe_cell(sheet, data.period.start.isoformat()),
                      safe_cell(sheet, data.period.end.isoformat())])
        header_cells = []
        for title in table.headers:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in table.rows:
            sheet.append([safe_cell(sheet, v) if isinstance(v, str) else v for v in row])
        for text in (table.note, data.note if n == len(data.tables) else ""):
            if text:
                sheet.append([])
                sheet.append([safe_cell(sheet, text)])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer
