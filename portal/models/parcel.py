"""Parcels going back to customers: built at dispatch, handed to a courier."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db
from portal.models.company import Company, ReturnAddress
from portal.models.order import Device
from portal.models.user import User


class Carrier(StrEnum):
    DHL = "dhl"
    DPD = "dpd"
    GLS = "gls"
    UPS = "ups"
    FEDEX = "fedex"
    INPOST = "inpost"
    POCZTA_POLSKA = "poczta_polska"
    OTHER = "other"


class ParcelState(StrEnum):
    PACKING = "packing"  # devices are being put in; carrier and tracking may still change
    PICKED_UP = "picked_up"  # the courier took it: its devices are shipped
    DELIVERED = "delivered"  # the customer confirmed it, or the days for it passed


class Parcel(db.Model):
    """One outbound parcel: devices of one company for one return address."""

    __tablename__ = "parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "PK" and seven digits, printed as a barcode on the packing list; scanned at pick-up.
    code: Mapped[str | None] = mapped_column(String(16), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    return_address_id: Mapped[int | None] = mapped_column(ForeignKey("return_addresses.id"))
    state: Mapped[ParcelState] = mapped_column(str_enum(ParcelState, 16), default=ParcelState.PACKING, index=True)
    carrier: Mapped[Carrier | None] = mapped_column(str_enum(Carrier, 16))
    carrier_name: Mapped[str] = mapped_column(String(60), default="")  # for "other"
    tracking_number: Mapped[str] = mapped_column(String(60), default="", index=True)
    station: Mapped[str] = mapped_column(String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    picked_up_at: Mapped[datetime | None]
    picked_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivered_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()
    return_address: Mapped[ReturnAddress | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    picked_up_by: Mapped[User | None] = relationship(foreign_keys=[picked_up_by_id])
    devices: Mapped[list[Device]] = relationship(order_by="Device.id", foreign_keys="Device.parcel_id",
                                                 back_populates="parcel")
