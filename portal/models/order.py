"""Repair orders, their devices and every device's life-cycle transitions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.dbbase import str_enum, utcnow
from portal.extensions import db
from portal.models.company import Company, ReturnAddress
from portal.models.user import User

if TYPE_CHECKING:
    from portal.models.parcel import Parcel


class DeviceStatus(StrEnum):
    """A device's place in its life cycle; portal.workflow owns the moves between them."""

    REGISTERED = "registered"
    RECEIVED = "received"
    MISSING = "missing"
    CANCELLED = "cancelled"
    DIAGNOSIS = "diagnosis"
    AWAITING_APPROVAL = "awaiting_approval"
    WAITING_FOR_PARTS = "waiting_for_parts"
    REPAIR = "repair"
    QUALITY_CHECK = "quality_check"
    BEYOND_REPAIR = "beyond_repair"
    NO_FAULT_FOUND = "no_fault_found"
    DECLINED = "declined"
    READY_TO_SHIP = "ready_to_ship"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


class OrderState(StrEnum):
    """Where the order is on its way into the depot (each device then moves on its own)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # waits for the completeness check
    RETURNED = "returned"  # sent back to the customer with a note, to fix and resubmit
    ACCEPTED = "accepted"  # checked by customer care or the account manager
    CANCELLED = "cancelled"


class ServiceLevel(StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"


class RequestType(StrEnum):
    WARRANTY = "warranty"
    PAID = "paid"


class DeviceCategory(db.Model):
    """The list of device kinds the admin keeps (laptop, handheld terminal, ...)."""

    __tablename__ = "device_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: The photo booth's shot list, one shot per line (empty: the depot's usual list)
    shot_list: Mapped[str] = mapped_column(Text, default="", server_default="")


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_company_created", "company_id", "created_at", "id"),
        Index("ix_orders_owner_created", "owner_id", "created_at", "id"),
        # po_reference first: without statistics SQLite would otherwise pick it for plain company lists
        Index("ix_orders_po_reference", "po_reference", "company_id"),
        Index("ix_orders_inbound_tracking", "inbound_tracking"),  # staff search by the customer's tracking
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[OrderState] = mapped_column(str_enum(OrderState, 16), default=OrderState.DRAFT)
    return_address_id: Mapped[int | None] = mapped_column(ForeignKey("return_addresses.id"))
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    po_reference: Mapped[str] = mapped_column(String(60), default="")
    service_level: Mapped[ServiceLevel] = mapped_column(str_enum(ServiceLevel, 16), default=ServiceLevel.STANDARD)
    note: Mapped[str] = mapped_column(Text, default="")
    box_count: Mapped[int] = mapped_column(default=1)
    #: What the user typed while the order is a draft, kept as typed (even when invalid).
    draft: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    checked_at: Mapped[datetime | None]
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_note: Mapped[str] = mapped_column(Text, default="")
    inbound_carrier: Mapped[str] = mapped_column(String(40), default="")
    inbound_tracking: Mapped[str] = mapped_column(String(60), default="")
    reminder_sent_at: Mapped[datetime | None]
    #: Receiving closed (all boxes in, or the account manager decided): the rest became missing.
    receiving_closed_at: Mapped[datetime | None]
    receiving_closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The admins' custom fields: field id (as text) -> value as text (portal.custom_fields)
    custom_values: Mapped[dict | None] = mapped_column(JSON)

    company: Mapped[Company] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    checked_by: Mapped[User | None] = relationship(foreign_keys=[checked_by_id])
    receiving_closed_by: Mapped[User | None] = relationship(foreign_keys=[receiving_closed_by_id])
    return_address: Mapped[ReturnAddress | None] = relationship()
    devices: Mapped[list[Device]] = relationship(back_populates="order", order_by="Device.id")


class Device(db.Model):
    __tablename__ = "devices"
    __table_args__ = (
        Index("ix_devices_order_status", "order_id", "status"),
        # serial searches, and (covering) the import's look-up of serials in open orders
        Index("ix_devices_company_serial_status", "company_id", "serial_number", "status", "order_id"),
        Index("ix_devices_company_asset_tag", "company_id", "asset_tag"),
        Index("ix_devices_company_model", "company_id", "model"),
        # staff search across all companies by the code on the device
        Index("ix_devices_serial_number", "serial_number"),
        Index("ix_devices_asset_tag", "asset_tag"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    # The company is the order's; kept on the device so scoped look-ups need no join.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    tag_code: Mapped[str] = mapped_column(String(16), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("device_categories.id"))
    manufacturer: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    serial_number: Mapped[str] = mapped_column(String(100))
    asset_tag: Mapped[str] = mapped_column(String(100), default="")
    fault_description: Mapped[str] = mapped_column(Text)
    warranty_claimed: Mapped[bool] = mapped_column(default=False)
    purchase_date: Mapped[date | None]
    accessories: Mapped[str] = mapped_column(String(500), default="")
    box_number: Mapped[int | None]
    unlock_code_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    data_wipe_allowed: Mapped[bool] = mapped_column(default=False)
    request_type: Mapped[RequestType | None] = mapped_column(str_enum(RequestType, 16))
    #: The current status and since when: written only by portal.workflow, with the transition.
    status: Mapped[DeviceStatus] = mapped_column(str_enum(DeviceStatus, 32), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Found in the parcel but not on the order: added at receiving, flagged for the account manager.
    added_at_receiving: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: The earlier device with this serial shipped back within the depot's repair warranty.
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    #: The outbound parcel it goes back in.
    parcel_id: Mapped[int | None] = mapped_column(ForeignKey("parcels.id"), index=True)
    #: The technician it is assigned to (by skill and load; a supervisor may reassign)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The technician's word on a warranty claim (None: not decided yet), with the reason the customer sees
    warranty_confirmed: Mapped[bool | None]
    warranty_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Quality checks failed so far (each sends it back to repair)
    qc_fail_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The data wipe the customer allowed, once done
    wiped_at: Mapped[datetime | None]
    wiped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The admins' custom fields: field id (as text) -> value as text (portal.custom_fields)
    custom_values: Mapped[dict | None] = mapped_column(JSON)

    order: Mapped[Order] = relationship(back_populates="devices")
    category: Mapped[DeviceCategory | None] = relationship()
    repeat_of: Mapped[Device | None] = relationship(remote_side="Device.id")
    parcel: Mapped[Parcel | None] = relationship(foreign_keys=[parcel_id], back_populates="devices")
    technician: Mapped[User | None] = relationship(foreign_keys=[technician_id])
    transitions: Mapped[list[Transition]] = relationship(
        back_populates="device", order_by="Transition.id", cascade="all, delete-orphan"
    )


class Transition(db.Model):
    """One step of a device's life: the source of its history, status bar and queues."""

    __tablename__ = "transitions"
    __table_args__ = (Index("ix_transitions_device_at", "device_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    from_status: Mapped[DeviceStatus | None] = mapped_column(str_enum(DeviceStatus, 32))
    to_status: Mapped[DeviceStatus] = mapped_column(str_enum(DeviceStatus, 32), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    station: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    device: Mapped[Device] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])


class ImportState(StrEnum):
    READING = "reading"  # uploaded; the rows are being read (the page shows how far)
    PREVIEW = "preview"
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


class ImportBatch(db.Model):
    """An uploaded spreadsheet on its way into an order: previewed, fixed in the browser, confirmed.

    Rows live here, not as devices, until the user confirms; the file itself is kept so the
    problems can be handed back as a copy of it.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[ImportState] = mapped_column(str_enum(ImportState, 16), default=ImportState.PREVIEW)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))
    sheet: Mapped[str] = mapped_column(String(255), default="")
    header_row: Mapped[int] = mapped_column(default=1)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    #: [{"letter", "header", "field"}], as recognised or mapped by the user
    columns: Mapped[list] = mapped_column(JSON, default=list)
    #: [{"row", "values", "problems": [...], "dropped"}]
    rows: Mapped[list] = mapped_column(JSON, default=list)
    file_warnings: Mapped[list] = mapped_column(JSON, default=list)
    #: How far reading has come, written while a large file is read so the page can show it
    rows_read: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_total: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship()


class ColumnMapping(db.Model):
    """How a company's column headers map to device fields, remembered for its next import."""

    __tablename__ = "column_mappings"
    __table_args__ = (Index("ix_column_mappings_company_header", "company_id", "header", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    header: Mapped[str] = mapped_column(String(255))  # normalised header text
    field: Mapped[str] = mapped_column(String(40))  # a device field, or "" for "ignore"
