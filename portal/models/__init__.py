"""Typed SQLAlchemy models, one module per domain area."""

from portal.models.announcement import Announcement
from portal.models.company import (
    AssignmentMethod,
    AssignmentRule,
    Company,
    InvoiceProfile,
    ManagerAssignment,
    ReturnAddress,
    SizeBand,
)
from portal.models.mail import DeferredMail, MailStatus, OutboxAttachment, OutboxMessage
from portal.models.order import (
    ColumnMapping,
    Device,
    DeviceCategory,
    DeviceStatus,
    ImportBatch,
    ImportState,
    Order,
    OrderState,
    RequestType,
    ServiceLevel,
    Transition,
)
from portal.models.parcel import Carrier, Parcel, ParcelState
from portal.models.photo import Photo, PhotoStage
from portal.models.station import Station, StationKind
from portal.models.user import RIGHTS, LoginFailure, Role, StaffRole, User

__all__ = [
    "Carrier",
    "Parcel",
    "ParcelState",
    "Photo",
    "PhotoStage",
    "Station",
    "StationKind",
    "ColumnMapping",
    "ImportBatch",
    "ImportState",
    "Device",
    "DeviceCategory",
    "DeviceStatus",
    "Order",
    "OrderState",
    "RequestType",
    "ServiceLevel",
    "Transition",
    "RIGHTS",
    "Announcement",
    "AssignmentMethod",
    "AssignmentRule",
    "Company",
    "InvoiceProfile",
    "LoginFailure",
    "DeferredMail",
    "MailStatus",
    "ManagerAssignment",
    "OutboxAttachment",
    "OutboxMessage",
    "ReturnAddress",
    "Role",
    "SizeBand",
    "StaffRole",
    "User",
]
