"""Staff search: one box finds a device, order, company or parcel by whatever code is at hand.

Serial numbers, tag codes, asset tags, order and box codes, company names and tracking numbers
(inbound and outbound) are all looked for at once; exact codes by index, company names by part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import Company, Device, Order, Parcel

LIMIT = 25


@dataclass
class Found:
    query: str
    devices: list[Device] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    parcels: list[Parcel] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.devices) + len(self.orders) + len(self.companies) + len(self.parcels)

    def only(self):
        """The one thing found, when there is exactly one: the page opens it at once."""
        if self.count != 1:
            return None
        return (self.devices or self.orders or self.companies or self.parcels)[0]


def find(query: str) -> Found:
    text = " ".join(query.split())[:100]
    found = Found(text)
    if len(text) < 2:
        return found
    # Codes are matched as typed and as a scanner sends them (upper case), each by its index.
    codes = list({text, text.upper()})
    order_number = text.upper().split("-B")[0]  # a box label finds its order
    found.devices = list(db.session.scalars(
        select(Device).where(or_(Device.tag_code.in_(codes), Device.serial_number.in_(codes),
                                 Device.asset_tag.in_(codes)))
        .order_by(Device.id.desc()).limit(LIMIT)))
    found.orders = list(db.session.scalars(
        select(Order).where(or_(Order.number == order_number, Order.inbound_tracking.in_(codes),
                                Order.po_reference.in_([text])))
        .where(Order.number.is_not(None)).order_by(Order.id.desc()).limit(LIMIT)))
    found.parcels = list(db.session.scalars(
        select(Parcel).where(or_(Parcel.code.in_(codes), Parcel.tracking_number.in_(codes)))
        .order_by(Parcel.id.desc()).limit(LIMIT)))
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found.companies = list(db.session.scalars(
        select(Company).where(or_(Company.legal_name.ilike(pattern, escape="\\"), Company.tax_id.in_(codes)))
        .order_by(Company.legal_name).limit(LIMIT)))
    return found
