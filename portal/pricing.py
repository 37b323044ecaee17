"""Money on quotes: prices for a company, tax per rate, rounding to cents half up. Decimal only.

A line's amount is its quantity times its unit price, rounded to cents; tax is worked out per
rate on the sum of the lines at that rate, and rounded once. A company in another EU country
with a VAT id pays no tax (reverse charge), and the quote says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Company, ContractPrice, PriceItem, TaxRate

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

#: The member states of the EU (ISO codes): reverse charge applies between them
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})


def money(value) -> Decimal:
    """An amount rounded to cents, half up (never float: strings and Decimals in, Decimal out)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def currency() -> str:
    return current_app.config["CURRENCY"]


def fee(name: str) -> Decimal:
    """A fee from the settings: DIAGNOSIS_FEE or NO_FAULT_FOUND_FEE."""
    return money(current_app.config[name])


def unit_price_for(company: Company, item: PriceItem) -> Decimal:
    """The company's contract price for the item, else the list price less its contract discount."""
    contract = db.session.scalar(select(ContractPrice.unit_price).where(
        ContractPrice.company_id == company.id, ContractPrice.price_item_id == item.id))
    if contract is not None:
        return money(contract)
    discount = Decimal(company.contract_discount or 0)
    return money(Decimal(item.unit_price) * (HUNDRED - discount) / HUNDRED)


def reverse_charge_applies(company: Company) -> bool:
    depot = current_app.config["DEPOT_COUNTRY"]
    return company.country in EU_COUNTRIES and company.country != depot and bool((company.tax_id or "").strip())


def tax_for(company: Company, rate: TaxRate) -> TaxRate:
    """The rate a line is taxed at for this company: the reverse-charge rate where it applies."""
    if not reverse_charge_applies(company):
        return rate
    reverse = db.session.scalar(select(TaxRate).where(TaxRate.is_reverse_charge.is_(True),
                                                      TaxRate.is_active.is_(True)).limit(1))
    if reverse is None:
        raise DomainError(str(_l("%(company)s pays by reverse charge, but the tax rates have no reverse-charge "
                                 "rate: an admin adds it first.", company=company.legal_name)))
    return reverse


@dataclass(frozen=True)
class TaxLine:
    name: str
    rate: Decimal
    note: str
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    taxes: tuple[TaxLine, ...]
    gross: Decimal

    @property
    def tax(self) -> Decimal:
        return sum((t.amount for t in self.taxes), Decimal("0.00"))


def line_amount(quantity, unit_price) -> Decimal:
    return money(Decimal(quantity) * Decimal(unit_price))


def totals(lines) -> Totals:
    """Net, tax per rate and gross of lines with quantity, unit_price, tax_rate, tax_name, tax_note."""
    bases: dict[tuple[Decimal, str, str], Decimal] = {}
    net = Decimal("0.00")
    for line in lines:
        amount = line_amount(line.quantity, line.unit_price)
        net += amount
        key = (Decimal(line.tax_rate), line.tax_name, line.tax_note)
        bases[key] = bases.get(key, Decimal("0.00")) + amount
    taxes = tuple(TaxLine(name=name, rate=rate, note=note, base=base, amount=money(base * rate / HUNDRED))
                  for (rate, name, note), base in sorted(bases.items(), key=lambda kv: (-kv[0][0], kv[0][1])))
    return Totals(net=net, taxes=taxes, gross=net + sum((t.amount for t in taxes), Decimal("0.00")))
