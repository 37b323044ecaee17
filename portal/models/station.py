"""The depot's stations: a browser is set to one, and every transition records it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.dbbase import str_enum
from portal.extensions import db


class StationKind(StrEnum):
    RECEIVING = "receiving"
    PHOTO_BOOTH = "photo_booth"
    BENCH = "bench"
    QUALITY_CHECK = "quality_check"
    DISPATCH = "dispatch"


class Station(db.Model):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[StationKind] = mapped_column(str_enum(StationKind, 16))
    label_printer: Mapped[str] = mapped_column(String(8), default="62mm")  # "62mm" or "a4"
    is_active: Mapped[bool] = mapped_column(default=True)
    #: The device last scanned here: a tethered camera's new images are attached to it.
    current_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    current_stage: Mapped[str] = mapped_column(String(16), default="", server_default="")
    current_since: Mapped[datetime | None]
