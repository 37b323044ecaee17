"""The tax rates the admin keeps. Quotes copy a line's rate, so editing a rate never changes a sent quote.

Rules: a name is unique; a rate is a percentage from 0 to 100 with at most two decimals; at most one
active rate is the reverse-charge rate, which is 0 % and carries the legal note quotes print; a rate
that active price items use stays active.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.errors import DomainError
from portal.extensions import db
from portal.models import PriceItem, TaxRate

HUNDRED = Decimal(100)
_NUMBER = re.compile(r"(-)?(\d+)(?:[.,](\d+))?")


class Invalid(DomainError):
    """Several fields are wrong at once: `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


def parse_decimal(text, *, maximum: Decimal, what: str = "amount") -> Decimal:
    """A non-negative number with at most two decimals, typed with a point or a comma; never a float.

    `what` is "amount" or "percent", for the message."""
    if isinstance(text, float):
        raise TypeError("never a float")
    if isinstance(text, Decimal | int):
        text = str(text)
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if what == "percent":
        cleaned = cleaned.removesuffix("%")
    match = _NUMBER.fullmatch(cleaned)
    if not cleaned:
        raise DomainError(_("Fill in this field."))
    if match is None:
        raise DomainError(_("Enter a number like 12.50.") if what == "amount" else _("Enter a percentage like 23."))
    if match.group(1):
        raise DomainError(_("Enter a number that is not negative."))
    if match.group(3) and len(match.group(3).rstrip("0")) > 2:
        raise DomainError(_("Use at most two decimal places."))
    value = Decimal(f"{match.group(2)}.{match.group(3) or '0'}").quantize(Decimal("0.01"))
    if value > maximum:
        if what == "percent":
            raise DomainError(_("Enter a percentage from 0 to %(maximum)s.", maximum=f"{maximum.normalize():f}"))
        raise DomainError(_("Enter at most %(maximum)s.", maximum=maximum))
    return value


def active_rates() -> list[TaxRate]:
    return list(db.session.scalars(select(TaxRate).where(TaxRate.is_active.is_(True)).order_by(TaxRate.name)))


def all_rates() -> list[TaxRate]:
    return list(db.session.scalars(select(TaxRate).order_by(TaxRate.is_active.desc(), TaxRate.name)))


def save_tax_rate(data: dict, rate: TaxRate | None = None) -> TaxRate:
    """Add a tax rate, or change one, from name, rate (text), legal_note, is_reverse_charge, is_active."""
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Fill in this field.")
    elif len(name) > 60:
        errors["name"] = _("Use at most 60 characters.")
    elif db.session.scalar(select(TaxRate.id).where(func.lower(TaxRate.name) == name.lower(),
                                                    TaxRate.id != (rate.id if rate else -1))):
        errors["name"] = _("A tax rate with this name exists already.")
    try:
        percent = parse_decimal(data.get("rate"), maximum=HUNDRED, what="percent")
    except DomainError as error:
        errors["rate"] = error.message
        percent = None
    note = (data.get("legal_note") or "").strip()
    reverse = bool(data.get("is_reverse_charge"))
    active = bool(data.get("is_active", True))
    if reverse:
        if percent is not None and percent != 0:
            errors["rate"] = _("The reverse-charge rate is 0 %: the customer accounts for the tax.")
        if not note:
            errors["legal_note"] = _("Write the legal note quotes and invoices print for reverse charge, "
                                     "e.g. “Reverse charge: VAT to be accounted for by the recipient”.")
        other = db.session.scalar(select(TaxRate).where(
            TaxRate.is_reverse_charge.is_(True), TaxRate.is_active.is_(True), TaxRate.id != (rate.id if rate else -1)))
        if active and other is not None:
            errors["is_reverse_charge"] = _("“%(name)s” is the reverse-charge rate already; only one active rate "
                                            "may be. Deactivate it first.", name=other.name)
    if rate is not None and rate.is_active and not active:
        used = db.session.scalar(select(func.count()).select_from(PriceItem).where(
            PriceItem.tax_rate_id == rate.id, PriceItem.is_active.is_(True)))
        if used:
            errors["is_active"] = _("%(count)s active price items use this rate; give them another rate first.",
                                    count=used)
    if errors:
        raise Invalid(errors)
    if rate is None:
        rate = TaxRate()
        db.session.add(rate)
    rate.name, rate.rate, rate.legal_note, rate.is_reverse_charge, rate.is_active = name, percent, note, reverse, active
    db.session.flush()
    return rate
