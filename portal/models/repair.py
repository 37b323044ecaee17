"""The bench: technicians' skills, checklists, the price list, quotes, parts and time worked."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db
from portal.models.company import Company
from portal.models.order import Device, DeviceCategory
from portal.models.user import User

MONEY = Numeric(12, 2)  # amounts in the depot's currency, always Decimal
RATE = Numeric(5, 2)  # percentages: tax rates, discounts
QUANTITY = Numeric(10, 2)


class TechnicianSkill(db.Model):
    """What a technician repairs: a device category, a manufacturer, or both (empty: any)."""

    __tablename__ = "technician_skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("device_categories.id"))
    manufacturer: Mapped[str] = mapped_column(String(100), default="")

    user: Mapped[User] = relationship()
    category: Mapped[DeviceCategory | None] = relationship()


class ChecklistKind(StrEnum):
    DIAGNOSIS = "diagnosis"
    QUALITY_CHECK = "quality_check"


class CheckOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "na"


class ChecklistItem(db.Model):
    """One line of a category's diagnosis or quality-check list, kept by the admins."""

    __tablename__ = "checklist_items"
    __table_args__ = (Index("ix_checklist_items_category_kind", "category_id", "kind", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("device_categories.id"))  # None: every category
    kind: Mapped[ChecklistKind] = mapped_column(str_enum(ChecklistKind, 16))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[DeviceCategory | None] = relationship()


class CheckResult(db.Model):
    """How one checklist item went for a device, in its nth diagnosis or quality check.

    The item's text is copied, so a later edit of the list never changes what was checked.
    """

    __tablename__ = "check_results"
    __table_args__ = (Index("ix_check_results_device_kind_round", "device_id", "kind", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    kind: Mapped[ChecklistKind] = mapped_column(str_enum(ChecklistKind, 16))
    round: Mapped[int] = mapped_column(default=1)
    item_text: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[CheckOutcome] = mapped_column(str_enum(CheckOutcome, 8))
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    checked_by: Mapped[User | None] = relationship()


class TaxRate(db.Model):
    """A tax rate the admin keeps; the reverse-charge rate (0 %) carries its legal note."""

    __tablename__ = "tax_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    rate: Mapped[Decimal] = mapped_column(RATE)
    legal_note: Mapped[str] = mapped_column(Text, default="")
    is_reverse_charge: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)


class PriceItemKind(StrEnum):
    PART = "part"
    LABOUR = "labour"


class PriceItem(db.Model):
    """A line of the price list: a part (with its stock) or a labour item."""

    __tablename__ = "price_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(300))
    kind: Mapped[PriceItemKind] = mapped_column(str_enum(PriceItemKind, 16))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    tax_rate_id: Mapped[int] = mapped_column(ForeignKey("tax_rates.id"))
    #: Parts in stock; changed only by conditional updates (portal.parts), never read-modify-write
    stock: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    tax_rate: Mapped[TaxRate] = relationship()


class ContractPrice(db.Model):
    """A company's own price for a price-list item, from its contract."""

    __tablename__ = "contract_prices"
    __table_args__ = (UniqueConstraint("company_id", "price_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    price_item_id: Mapped[int] = mapped_column(ForeignKey("price_items.id"))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)

    company: Mapped[Company] = relationship()
    price_item: Mapped[PriceItem] = relationship()


class QuoteState(StrEnum):
    DRAFT = "draft"  # the technician is writing it; the customer does not see it
    SENT = "sent"  # immutable from here: a change is a new revision
    DECIDED = "decided"  # accepted (all or some lines) or declined
    SUPERSEDED = "superseded"  # a newer revision replaced it before it was decided


class Decision(StrEnum):
    REQUIRED = "required"  # the required lines: the device works again
    RECOMMENDED = "recommended"  # every line: close to new
    LINES = "lines"  # the required lines and some recommended ones
    DECLINED = "declined"
    AUTOMATIC = "automatic"  # the company's policy approved the required lines
    WARRANTY = "warranty"  # confirmed warranty: no approval, no charge


class Quote(db.Model):
    """One revision of a device's quote, in two variants: required lines, and all lines."""

    __tablename__ = "quotes"
    __table_args__ = (UniqueConstraint("device_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(default=1)
    state: Mapped[QuoteState] = mapped_column(str_enum(QuoteState, 16), default=QuoteState.DRAFT, index=True)
    findings: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the customer was reminded of it
    escalated_at: Mapped[datetime | None]  # the account manager was alerted
    decision: Mapped[Decision | None] = mapped_column(str_enum(Decision, 16))
    decided_at: Mapped[datetime | None] = mapped_column(index=True)  # reports read decisions by period
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Staff deciding for the customer: the customer user, and their written consent
    decided_for_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_note: Mapped[str] = mapped_column(Text, default="")
    po_number: Mapped[str] = mapped_column(String(60), default="")

    device: Mapped[Device] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    decided_for: Mapped[User | None] = relationship(foreign_keys=[decided_for_id])
    lines: Mapped[list[QuoteLine]] = relationship(back_populates="quote", order_by="QuoteLine.position",
                                                  cascade="all, delete-orphan")


class LineTier(StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"


class QuoteLine(db.Model):
    """A quote line, its price fixed when written: later price-list changes never change it."""

    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    price_item_id: Mapped[int | None] = mapped_column(ForeignKey("price_items.id"))  # None: a free line
    code: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(String(300))
    kind: Mapped[PriceItemKind] = mapped_column(str_enum(PriceItemKind, 16))
    tier: Mapped[LineTier] = mapped_column(str_enum(LineTier, 16))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(RATE)
    tax_name: Mapped[str] = mapped_column(String(60), default="")
    tax_note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why a free line (not from the price list)
    accepted: Mapped[bool | None]  # the customer's choice, once decided
    done: Mapped[bool] = mapped_column(default=False)  # the repair recorded this work

    quote: Mapped[Quote] = relationship(back_populates="lines")
    price_item: Mapped[PriceItem | None] = relationship()


class DeclinedRecommendation(db.Model):
    """A recommended line the customer declined, remembered for the serial number's next visit."""

    __tablename__ = "declined_recommendations"
    __table_args__ = (Index("ix_declined_recommendations_company_serial", "company_id", "serial_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    serial_number: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(String(300))
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    declined_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReservationState(StrEnum):
    RESERVED = "reserved"  # taken from stock for the device
    WAITING = "waiting"  # not in stock: the device waits for parts
    USED = "used"  # fitted in the repair
    RELEASED = "released"  # given back to stock (the repair did not need it)


class PartReservation(db.Model):
    __tablename__ = "part_reservations"
    __table_args__ = (Index("ix_part_reservations_item_state", "price_item_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    price_item_id: Mapped[int] = mapped_column(ForeignKey("price_items.id"))
    quote_line_id: Mapped[int | None] = mapped_column(ForeignKey("quote_lines.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    state: Mapped[ReservationState] = mapped_column(str_enum(ReservationState, 16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fulfilled_at: Mapped[datetime | None]

    device: Mapped[Device] = relationship()
    price_item: Mapped[PriceItem] = relationship()


class WorkKind(StrEnum):
    DIAGNOSIS = "diagnosis"
    REPAIR = "repair"


class WorkEntry(db.Model):
    """Time a technician spent on a device, with what was done."""

    __tablename__ = "work_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[WorkKind] = mapped_column(str_enum(WorkKind, 16))
    minutes: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User | None] = relationship()


#: Named approvers of a company's quotes (its approval policy), when not "anyone who sees the order"
company_approvers = Table(
    "company_approvers",
    db.metadata,
    Column("company_id", ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)
