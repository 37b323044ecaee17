"""Bringing devices to "awaiting approval" with a sent quote, for the approval tests.

Plain functions over the domain (no fixtures), so test modules and fixtures elsewhere can call them.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal import quotes, staff, workflow
from portal.extensions import db
from portal.models import DeviceStatus, Photo, PhotoStage, PriceItem, Quote, Role, TaxRate, User

REVERSE_CHARGE_NOTE = "Reverse charge: VAT to be accounted for by the recipient (Art. 196 of Directive 2006/112/EC)."


def _staff(role: Role, name: str) -> User:
    user = db.session.scalar(select(User).where(User.name == name))
    if user is None:
        count = db.session.scalar(select(db.func.count()).select_from(User))
        user = staff.create_staff(email=f"{role.value}{count}@quotes.example", name=name, roles=[role])
        db.session.flush()
    return user


def tax_rate(name: str = "VAT 23%", rate: str = "23.00", *, reverse: bool = False) -> TaxRate:
    existing = db.session.scalar(select(TaxRate).where(TaxRate.name == name))
    if existing is None:
        existing = TaxRate(name=name, rate=Decimal(rate), is_reverse_charge=reverse,
                           legal_note=REVERSE_CHARGE_NOTE if reverse else "")
        db.session.add(existing)
        db.session.flush()
    return existing


def price_item(code: str, unit_price: str, *, kind: str = "part", description: str | None = None,
               stock: int = 5, rate: TaxRate | None = None) -> PriceItem:
    item = db.session.scalar(select(PriceItem).where(PriceItem.code == code))
    if item is None:
        item = PriceItem(code=code, description=description or f"Item {code}", kind=kind,
                         unit_price=Decimal(unit_price), unit_cost=Decimal("1.00"), tax_rate=rate or tax_rate(),
                         stock=stock)
        db.session.add(item)
        db.session.flush()
    return item


#: What `send_quote` writes by default: (tier, code, description, unit price, quantity)
DEFAULT_LINES = (
    ("required", "SCR-TC52", "Screen assembly TC52", "120.00", "1"),
    ("required", "LAB-30", "Labour, 30 minutes", "25.50", "2"),
    ("recommended", "BAT-TC52", "Battery TC52", "39.99", "1"),
    ("recommended", "CLN", "Cleaning and new rubber seals", "10.05", "1"),
)


def bring_to_diagnosis(device, technician: User | None = None) -> User:
    """Received, photographed and with its technician: the device is in diagnosis."""
    technician = technician or _staff(Role.TECHNICIAN, "Tess Technician")
    if device.status == DeviceStatus.REGISTERED:
        workflow.move(device, DeviceStatus.RECEIVED, actor=_staff(Role.RECEIVING, "Rick Receiving"))
    for n in range(3 - _photo_count(device)):
        db.session.add(Photo(device_id=device.id, company_id=device.company_id, stage=PhotoStage.INTAKE,
                             shot=f"shot {n + 1}", storage_key=f"q/{device.id}-{n}.jpg",
                             thumbnail_key=f"q/{device.id}-{n}.t.jpg", content_type="image/jpeg", width=1,
                             height=1, size_bytes=1))
    db.session.flush()
    device.technician_id = technician.id
    if device.status == DeviceStatus.RECEIVED:
        workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician)
    return technician


def _photo_count(device) -> int:
    return db.session.scalar(select(db.func.count()).select_from(Photo).where(
        Photo.device_id == device.id, Photo.stage == PhotoStage.INTAKE))


def send_quote(device, lines=DEFAULT_LINES, *, findings: str = "Display cracked; battery worn (71 % health).",
               commit: bool = True) -> Quote:
    """Diagnose the device and send it a quote with `lines` (tier, code, description, price, quantity)."""
    technician = bring_to_diagnosis(device) if device.status != DeviceStatus.REPAIR else _staff(
        Role.TECHNICIAN, "Tess Technician")
    quote = quotes.draft_for(device, actor=technician)
    quote.findings = findings
    for tier, code, description, price, quantity in lines:
        quotes.add_line(quote, actor=technician, tier=tier, quantity=quantity,
                        item=price_item(code, price, description=description,
                                        kind="labour" if code.startswith("LAB") else "part"))
    quotes.send(quote, actor=technician)
    if commit:
        db.session.commit()
    return quote


def new_revision(device, extra=(("recommended", "KEY-TC52", "Keypad TC52", "15.00", "1"),), *,
                 commit: bool = True) -> Quote:
    """More work found during repair: a new revision (the last one's lines and `extra`) is sent."""
    assert device.status == DeviceStatus.REPAIR, device.status
    technician = _staff(Role.TECHNICIAN, "Tess Technician")
    quote = quotes.draft_for(device, actor=technician)
    for tier, code, description, price, quantity in extra:
        quotes.add_line(quote, actor=technician, tier=tier, quantity=quantity,
                        item=price_item(code, price, description=description))
    quotes.send(quote, actor=technician)
    if commit:
        db.session.commit()
    return quote
