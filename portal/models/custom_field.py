"""Fields the admins add to orders and devices, beyond the ones every depot needs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.dbbase import str_enum, utcnow
from portal.extensions import db


class CustomFieldTarget(StrEnum):
    ORDER = "order"
    DEVICE = "device"


class CustomFieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"


class CustomField(db.Model):
    """One field: its values live in the order's or device's `custom_values`, keyed by this id,
    so a field taken out of use keeps the values already given."""

    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[CustomFieldTarget] = mapped_column(str_enum(CustomFieldTarget, 16))
    #: The label in forms and pages, and the column's header in the import template and exports
    label: Mapped[str] = mapped_column(String(60))
    kind: Mapped[CustomFieldKind] = mapped_column(str_enum(CustomFieldKind, 16))
    #: A choice field's options, one per line
    choices: Mapped[str] = mapped_column(Text, default="")
    help_text: Mapped[str] = mapped_column(String(200), default="")
    is_required: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def key(self) -> str:
        """The field's name in forms, drafts and import rows."""
        return f"cf_{self.id}"

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]
