"""Summaries kept for the reports: counts per depot day, brought up to date by `flask jobs run`.

They are derived from the transition records (the truth) by portal.reports.refresh, which
remembers the last transition it read in ReportWatermark; any of these tables can be emptied and
built again from the transitions.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class ReportStageDay(db.Model):
    """How long devices stayed in a status (or took from receipt to ready to ship: "turnaround"),
    as a histogram per depot day the stay ended. Buckets are logarithmic (portal.reports.bucket_of),
    so medians and percentiles read from them are within about 2 % of the exact ones."""

    __tablename__ = "report_stage_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0, server_default="0")


class ReportStatusDay(db.Model):
    """Devices that moved into a status on a depot day."""

    __tablename__ = "report_status_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(default=0, server_default="0")


class ReportActivityDay(db.Model):
    """What a member of staff did on a depot day: diagnoses and repairs finished, and how the
    quality check went for the repairs they made (qc_passed, qc_failed: the repairer's, not the
    tester's). actor_id 0: no one (a system move)."""

    __tablename__ = "report_activity_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    actor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(default=0, server_default="0")


class ReportSlaDay(db.Model):
    """Deadline stages (portal.deadlines) that ended on a depot day: how many met, how many missed."""

    __tablename__ = "report_sla_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    met: Mapped[int] = mapped_column(default=0, server_default="0")
    missed: Mapped[int] = mapped_column(default=0, server_default="0")


class ReportWatermark(db.Model):
    """The last transition the summaries include; claimed with a conditional update, so two
    workers never count a transition twice."""

    __tablename__ = "report_watermarks"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_transition_id: Mapped[int] = mapped_column(default=0, server_default="0")
    refreshed_at: Mapped[datetime | None]
