"""Customer companies, their invoice profiles, return addresses and account managers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db
from portal.models.user import User


class SizeBand(StrEnum):
    MICRO = "1-9"
    SMALL = "10-49"
    MEDIUM = "50-249"
    LARGE = "250-999"
    ENTERPRISE = "1000+"


class AssignmentMethod(StrEnum):
    RULE = "rule"
    ROUND_ROBIN = "round_robin"
    HAND = "hand"


class Company(db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(32), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(100), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    size_band: Mapped[SizeBand] = mapped_column(str_enum(SizeBand, 16))
    street: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    account_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True), index=True
    )
    #: The contract: a discount in percent on the price list (contract prices override it)
    contract_discount: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"), server_default="0")
    #: The approval policy: only named approvers (else the order's creator and "edit all" users),
    #: a purchase-order number required, the required variant approved automatically under a limit
    approval_named_only: Mapped[bool] = mapped_column(default=False, server_default="0")
    approval_po_required: Mapped[bool] = mapped_column(default=False, server_default="0")
    auto_approve_limit: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    #: Invoicing: one invoice per order when its last device ships, or one per shipment (parcel)
    invoice_per_shipment: Mapped[bool] = mapped_column(default=False, server_default="0")
    payment_terms_days: Mapped[int] = mapped_column(default=14, server_default="14")

    users: Mapped[list[User]] = relationship(
        back_populates="company", foreign_keys="User.company_id", order_by="User.name"
    )
    account_manager: Mapped[User | None] = relationship(foreign_keys=[account_manager_id])
    invoice_profiles: Mapped[list[InvoiceProfile]] = relationship(
        back_populates="company", order_by="InvoiceProfile.id",
        foreign_keys="InvoiceProfile.company_id",
    )
    return_addresses: Mapped[list[ReturnAddress]] = relationship(
        back_populates="company", order_by="ReturnAddress.id"
    )
    assignments: Mapped[list[ManagerAssignment]] = relationship(
        back_populates="company", order_by="ManagerAssignment.id.desc()"
    )

    def __repr__(self) -> str:
        return f"<Company {self.legal_name}>"


class InvoiceProfile(db.Model):
    """Where and to whom a company's invoices go; branches may each have their own."""

    __tablename__ = "invoice_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(32))
    street: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    invoice_email: Mapped[str] = mapped_column(String(254))
    is_archived: Mapped[bool] = mapped_column(default=False)

    company: Mapped[Company] = relationship(back_populates="invoice_profiles", foreign_keys=[company_id])


class ReturnAddress(db.Model):
    __tablename__ = "return_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)

    company: Mapped[Company] = relationship(back_populates="return_addresses")


assignment_rule_managers = Table(
    "assignment_rule_managers",
    db.Model.metadata,
    Column("rule_id", Integer, ForeignKey("assignment_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class AssignmentRule(db.Model):
    """Picks account managers for new companies; an empty criterion matches anything."""

    __tablename__ = "assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(default=100)
    country: Mapped[str] = mapped_column(String(2), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    size_band: Mapped[str] = mapped_column(String(16), default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    managers: Mapped[list[User]] = relationship(secondary=assignment_rule_managers, order_by="User.id")


class ManagerAssignment(db.Model):
    """The history of a company's account managers: who, when, and how they were chosen."""

    __tablename__ = "manager_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[AssignmentMethod] = mapped_column(str_enum(AssignmentMethod, 16))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("assignment_rules.id", ondelete="SET NULL"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    company: Mapped[Company] = relationship(back_populates="assignments")
    manager: Mapped[User] = relationship(foreign_keys=[manager_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    rule: Mapped[AssignmentRule | None] = relationship()
