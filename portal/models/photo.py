"""Photos of devices taken at the photo booth: at intake and again at dispatch."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db
from portal.models.order import Device
from portal.models.user import User


class PhotoStage(StrEnum):
    INTAKE = "intake"  # after receiving: received -> diagnosis waits for these
    DIAGNOSIS = "diagnosis"  # what the technician found, taken at the bench when needed
    DISPATCH = "dispatch"  # before the parcel leaves: ready to ship -> shipped waits for these


class Photo(db.Model):
    """One photo of a device; the image and its thumbnail live in the file storage, not here."""

    __tablename__ = "photos"
    __table_args__ = (Index("ix_photos_device_stage", "device_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    # The device's company, kept here so a customer's image request is scoped without a join.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    stage: Mapped[PhotoStage] = mapped_column(str_enum(PhotoStage, 16))
    shot: Mapped[str] = mapped_column(String(60), default="")  # an entry of the category's shot list, or ""
    storage_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    station: Mapped[str] = mapped_column(String(100), default="")
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)

    device: Mapped[Device] = relationship()
    taken_by: Mapped[User | None] = relationship()
