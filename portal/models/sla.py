"""Deadlines (SLA): working days per stage, the holidays they skip, and the alerts already sent."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db
from portal.models.company import Company
from portal.models.order import Device, Order, ServiceLevel
from portal.models.user import User


class DeadlineStage(StrEnum):
    DIAGNOSIS = "diagnosis"  # from receipt to the diagnosis done (quote sent or outcome decided)
    REPAIR = "repair"  # from approval to the repair done (quality check passed)
    TURNAROUND = "turnaround"  # from receipt to ready to ship


class DeadlineRule(db.Model):
    """Working days a stage may take, per service level; a company's contract may say otherwise."""

    __tablename__ = "deadline_rules"
    __table_args__ = (UniqueConstraint("stage", "service_level", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[DeadlineStage] = mapped_column(str_enum(DeadlineStage, 16))
    service_level: Mapped[ServiceLevel] = mapped_column(str_enum(ServiceLevel, 16))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))  # None: the depot's default
    working_days: Mapped[int]

    company: Mapped[Company | None] = relationship()


class Holiday(db.Model):
    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")


class DeadlineAlertKind(StrEnum):
    OVERDUE = "overdue"  # in the account manager's digest
    ESCALATED = "escalated"  # still overdue a second period later: the admins are told


class DeadlineAlert(db.Model):
    """An alert already sent for a device's stage, so a job run twice never sends it twice."""

    __tablename__ = "deadline_alerts"
    __table_args__ = (UniqueConstraint("device_id", "stage", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    stage: Mapped[DeadlineStage] = mapped_column(str_enum(DeadlineStage, 16))
    kind: Mapped[DeadlineAlertKind] = mapped_column(str_enum(DeadlineAlertKind, 16))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    device: Mapped[Device] = relationship()


class Note(db.Model):
    """A note on an order or one of its devices: for staff only, or for the customer too."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_order_created", "order_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: A staff member writing as the customer sees it ("open the portal as the customer")
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    visible_to_customer: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
    device: Mapped[Device | None] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
