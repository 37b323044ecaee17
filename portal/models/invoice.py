"""Invoices and credit notes: numbered without gaps per year, never changed once issued."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db
from portal.models.company import Company
from portal.models.order import Device, Order
from portal.models.user import User

MONEY = Numeric(12, 2)


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"  # corrects an issued invoice; its own number series


class InvoiceCounter(db.Model):
    """The last number used per kind and year: taken under a row lock, so numbers have no gaps
    and no duplicates however many invoices are issued at once."""

    __tablename__ = "invoice_counters"
    __table_args__ = (UniqueConstraint("kind", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind, 16))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("kind", "year", "sequence"),
        Index("ix_invoices_company_issued", "company_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(str_enum(InvoiceKind, 16), default=InvoiceKind.INVOICE)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    year: Mapped[int]
    sequence: Mapped[int]
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id"))  # invoiced per shipment
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # reports read by period
    due_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    #: The buyer and the seller as they were at issue: later changes of details never change it
    buyer: Mapped[dict] = mapped_column(JSON)
    seller: Mapped[dict] = mapped_column(JSON)
    net: Mapped[Decimal] = mapped_column(MONEY)
    tax: Mapped[Decimal] = mapped_column(MONEY)
    gross: Mapped[Decimal] = mapped_column(MONEY)
    #: For the margin report, fixed at issue: the lines' parts at cost, and the technicians' minutes
    #: on the invoiced devices (an invoice only; a credit note gives back parts, never time)
    parts_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"), server_default="0")
    technician_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Tax per rate as issued: [{"name", "rate", "note", "base", "amount"}] (amounts as strings)
    taxes: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    paid_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    paid_at: Mapped[datetime | None]  # when the last payment settled it
    emailed_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()
    order: Mapped[Order | None] = relationship()
    credited_invoice: Mapped[Invoice | None] = relationship(remote_side="Invoice.id")
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", order_by="InvoiceLine.position",
                                                    cascade="all, delete-orphan")
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.id")


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    quote_line_id: Mapped[int | None] = mapped_column(ForeignKey("quote_lines.id"))
    code: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # part, labour or fee
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    tax_name: Mapped[str] = mapped_column(String(60), default="")
    tax_note: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    device: Mapped[Device | None] = relationship()


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(100), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    recorded_by: Mapped[User | None] = relationship()
