"""What checking an import needs from the database, loaded in two queries per file."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from portal import custom_fields
from portal.extensions import db
from portal.imports.result import ImportContext
from portal.models import Company, CustomFieldTarget, Device, DeviceCategory, DeviceStatus
from portal.orders import number_for

DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A device still on its way through the depot: a serial number here cannot be sent in again.
CLOSED_STATUSES = (DeviceStatus.SHIPPED, DeviceStatus.DELIVERED, DeviceStatus.CANCELLED)
OPEN_STATUSES = tuple(status for status in DeviceStatus if status not in CLOSED_STATUSES)


def context_for(company: Company | None, *, today: date | None = None) -> ImportContext:
    """Active categories by name, the custom device fields in use, the serial numbers in the company's
    open orders (orders not cancelled, devices not shipped, delivered or cancelled) and the limits
    from the app's config."""
    config = current_app.config
    categories = {name.casefold(): category_id for category_id, name in db.session.execute(
        select(DeviceCategory.id, DeviceCategory.name).where(DeviceCategory.is_active.is_(True)))}
    serials: dict[str, str] = {}
    if company is not None:
        # Read from one covering index; a cancelled order's devices are all cancelled, so the
        # order itself needs no join.
        rows = db.session.execute(
            select(Device.serial_number, Device.order_id)
            .where(Device.company_id == company.id, Device.status.in_(OPEN_STATUSES))
            .order_by(Device.order_id))
        for serial, order_id in rows:
            serials.setdefault(serial.strip().upper(), number_for(order_id))
    if today is None:
        today = datetime.now(ZoneInfo(config["DEPOT_TIMEZONE"])).date()
    return ImportContext(categories=categories, existing_serials=serials, today=today,
                         max_rows=config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS),
                         max_bytes=config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES),
                         custom=tuple(custom_fields.specs(CustomFieldTarget.DEVICE)))
