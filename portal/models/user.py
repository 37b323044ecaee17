"""People who log in: customer users (with rights in their company) and depot staff (with roles)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.models.company import Company, InvoiceProfile


class Role(StrEnum):
    ADMIN = "admin"
    ACCOUNT_MANAGER = "account_manager"
    CUSTOMER_CARE = "customer_care"
    SUPERVISOR = "supervisor"
    RECEIVING = "receiving"
    PHOTO_BOOTH = "photo_booth"
    TECHNICIAN = "technician"
    TESTER = "tester"
    DISPATCH = "dispatch"


#: Company rights a customer user may be given, in the order the users page shows them.
RIGHTS = (
    "can_see_colleagues_orders",
    "can_edit_all_orders",
    "can_see_invoices",
    "can_manage_users",
    "can_manage_company",
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    invoice_profile_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_profiles.id"))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    confirmed_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    #: The second factor: an authenticator app's secret (encrypted), set up at this time
    totp_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enabled_at: Mapped[datetime | None]

    can_see_colleagues_orders: Mapped[bool] = mapped_column(default=False)
    can_edit_all_orders: Mapped[bool] = mapped_column(default=False)
    can_see_invoices: Mapped[bool] = mapped_column(default=False)
    can_manage_users: Mapped[bool] = mapped_column(default=False)
    can_manage_company: Mapped[bool] = mapped_column(default=False)

    company: Mapped[Company | None] = relationship(back_populates="users", foreign_keys=[company_id])
    invoice_profile: Mapped[InvoiceProfile | None] = relationship()
    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    @property
    def is_staff(self) -> bool:
        return self.company_id is None

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def role_set(self) -> set[Role]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.role_set.intersection(roles))

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class StaffRole(db.Model):
    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))

    user: Mapped[User] = relationship(back_populates="roles")


class LoginFailure(db.Model):
    """One refused password, kept in the database so a lock holds across processes."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]


class AuditEntry(db.Model):
    """One change an admin made: who, when, what (the record and field), the old and new value."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(16))  # created, changed, deleted
    entity: Mapped[str] = mapped_column(String(60))  # the table
    entity_id: Mapped[int | None]
    field: Mapped[str] = mapped_column(String(60), default="")
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()
