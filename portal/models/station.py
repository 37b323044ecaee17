"""The depot's stations: a browser is set to one, and every transition records it."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import String
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
