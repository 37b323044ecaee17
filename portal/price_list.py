"""The price list the admins keep: parts (with their stock) and labour, each with its tax rate;
and the contract terms of a company (a discount, or its own price for an item).

Items are never deleted, only deactivated: quotes refer to them. Amounts are Decimal with at
most two decimals, never negative. The workbook import checks every row first and changes
nothing when any row is wrong; it updates items whose code exists and adds the others, and
never touches stock (stock changes only when parts are received or used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal import parts
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Company,
    ContractPrice,
    Device,
    PartReservation,
    PriceItem,
    PriceItemKind,
    ReservationState,
    TaxRate,
    User,
)
from portal.sheet_tables import RowProblem, SheetColumn, read_table, write_table
from portal.tax_rates import HUNDRED, Invalid, parse_decimal

MAX_AMOUNT = Decimal("9999999999.99")  # Numeric(12, 2)
KIND_TITLES = {PriceItemKind.PART: _l("Part"), PriceItemKind.LABOUR: _l("Labour")}
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0"}

COLUMNS = (
    SheetColumn("code", _l("Code"), "Code"),
    SheetColumn("description", _l("Description"), "Description"),
    SheetColumn("kind", _l("Part or labour"), "Part or labour"),
    SheetColumn("unit_price", _l("Unit price"), "Unit price"),
    SheetColumn("unit_cost", _l("Unit cost"), "Unit cost", required=False),
    SheetColumn("tax_rate", _l("Tax rate"), "Tax rate"),
    SheetColumn("stock", _l("Stock (not imported)"), "Stock (not imported)", required=False),
    SheetColumn("is_active", _l("Active"), "Active", required=False),
)


# -- the items -------------------------------------------------------------------------------

def search_items(query: str = ""):
    """A select of the price list, by code; `query` matches code or description, any case."""
    statement = select(PriceItem).order_by(PriceItem.is_active.desc(), PriceItem.code)
    if query := query.strip():
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(func.lower(PriceItem.code).like(pattern, escape="\\"),
                                        func.lower(PriceItem.description).like(pattern, escape="\\")))
    return statement


def _kind(value) -> PriceItemKind | None:
    if isinstance(value, PriceItemKind):
        return value
    text = str(value or "").strip().casefold()
    for kind, title in KIND_TITLES.items():
        if text in (kind.value, str(title).casefold()):
            return kind
    return None


def _tax_rate(value) -> TaxRate | None:
    if isinstance(value, TaxRate):
        return value
    if value in (None, ""):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return db.session.get(TaxRate, int(value))
    return None


def check_item(data: dict, item: PriceItem | None = None) -> tuple[dict, dict[str, str]]:
    """The cleaned values of an item and the problems, field -> message (empty when it may be saved)."""
    errors: dict[str, str] = {}
    clean: dict = {}
    code = (data.get("code") or "").strip()
    if not code:
        errors["code"] = _("Fill in this field.")
    elif len(code) > 40:
        errors["code"] = _("Use at most 40 characters.")
    elif any(c.isspace() for c in code):
        errors["code"] = _("A code has no spaces.")
    else:
        taken = db.session.scalar(select(PriceItem.code).where(
            func.lower(PriceItem.code) == code.lower(), PriceItem.id != (item.id if item and item.id else -1)))
        if taken is not None:
            errors["code"] = _("The code %(code)s is on the price list already.", code=taken)
    clean["code"] = code
    description = (data.get("description") or "").strip()
    if not description:
        errors["description"] = _("Fill in this field.")
    elif len(description) > 300:
        errors["description"] = _("Use at most 300 characters.")
    clean["description"] = description
    kind = _kind(data.get("kind"))
    if kind is None:
        errors["kind"] = _("Choose part or labour.")
    elif item is not None and item.id and item.kind == PriceItemKind.PART and kind != PriceItemKind.PART \
            and item.stock > 0:
        errors["kind"] = _("This part has %(count)s in stock; it stays a part.", count=item.stock)
    clean["kind"] = kind
    for name, blank_is_zero in (("unit_price", False), ("unit_cost", True)):
        text = data.get(name)
        if blank_is_zero and not str(text or "").strip():
            clean[name] = Decimal("0.00")
            continue
        try:
            clean[name] = parse_decimal(text, maximum=MAX_AMOUNT)
        except DomainError as error:
            errors[name] = error.message
    rate = _tax_rate(data.get("tax_rate_id", data.get("tax_rate")))
    if rate is None:
        errors["tax_rate_id"] = _("Choose a tax rate.")
    elif not rate.is_active and (item is None or item.tax_rate_id != rate.id):
        errors["tax_rate_id"] = _("The tax rate %(name)s is not active.", name=rate.name)
    clean["tax_rate"] = rate
    clean["is_active"] = bool(data.get("is_active", True))
    return clean, errors


def save_item(data: dict, item: PriceItem | None = None) -> PriceItem:
    """Add an item to the price list or change one; raises Invalid with every field's problem."""
    clean, errors = check_item(data, item)
    if errors:
        raise Invalid(errors)
    if item is None:
        item = PriceItem(stock=0)
        db.session.add(item)
    _apply(item, clean)
    db.session.flush()
    return item


def _apply(item: PriceItem, clean: dict) -> None:
    item.code, item.description, item.kind = clean["code"], clean["description"], clean["kind"]
    item.unit_price, item.unit_cost = clean["unit_price"], clean["unit_cost"]
    item.tax_rate = clean["tax_rate"]
    item.is_active = clean["is_active"]


def set_item_active(item: PriceItem, active: bool) -> None:
    """Deactivated items are offered to no new quote; quotes that have them keep them."""
    if active and not item.tax_rate.is_active:
        raise DomainError(_("Its tax rate %(name)s is not active; give the item an active rate first.",
                            name=item.tax_rate.name))
    item.is_active = active
    db.session.flush()


def receive_parts(item: PriceItem, quantity: int, *, actor: User) -> list[Device]:
    """Parts arrived: stock goes up and devices waiting for the part go back to repair, oldest first."""
    if item.kind != PriceItemKind.PART:
        raise DomainError(_("%(code)s is labour, not a part: it has no stock.", code=item.code), field="quantity")
    return parts.receive_stock(item, quantity, actor=actor)


def devices_waiting_for(item: PriceItem) -> list[Device]:
    """Devices waiting for the part, oldest reservation first."""
    return list(db.session.scalars(
        select(Device).join(PartReservation, PartReservation.device_id == Device.id)
        .where(PartReservation.price_item_id == item.id, PartReservation.state == ReservationState.WAITING)
        .group_by(Device.id).order_by(func.min(PartReservation.id))))


# -- the workbook ----------------------------------------------------------------------------

def export_workbook() -> bytes:
    """The whole price list, active and inactive, in the columns the import reads."""
    items = db.session.scalars(select(PriceItem).order_by(PriceItem.code))
    rows = ([i.code, i.description, str(KIND_TITLES[i.kind]), Decimal(i.unit_price), Decimal(i.unit_cost),
             i.tax_rate.name, i.stock if i.kind == PriceItemKind.PART else None,
             _("yes") if i.is_active else _("no")] for i in items)
    return write_table(_("Price list"), COLUMNS, rows)


@dataclass
class ImportSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _yes_no(text: str) -> bool | None:
    value = text.strip().casefold()
    if value in YES or value == _("yes").casefold() or not value:
        return True
    if value in NO or value == _("no").casefold():
        return False
    return None


def import_workbook(data: bytes) -> ImportSummary:
    """Check every row, then add new codes and update existing ones; with any problem, change nothing.

    Raises FileRefused (a DomainError) when the file cannot be read as a price list at all."""
    rows = read_table(data, COLUMNS)
    rates = {r.name.casefold(): r for r in db.session.scalars(select(TaxRate))}
    existing = {i.code.casefold(): i for i in db.session.scalars(select(PriceItem))}
    field_columns = {"tax_rate_id": "tax_rate"}
    summary = ImportSummary()
    seen: dict[str, int] = {}
    planned = []
    for row in rows:
        values = row.values
        code = values["code"].strip()
        item = existing.get(code.casefold())
        problems = []
        if code and code.casefold() in seen:
            problems.append(row.problem("code", _("The code is on row %(row)s already.", row=seen[code.casefold()])))
        seen.setdefault(code.casefold(), row.number)
        rate = rates.get(values["tax_rate"].strip().casefold())
        active = _yes_no(values.get("is_active", ""))
        if active is None:
            problems.append(row.problem("is_active", _("Write yes or no.")))
        data = {**values, "tax_rate": rate, "is_active": active is not False}
        clean, errors = check_item(data, item)
        if rate is None and values["tax_rate"].strip():
            names = ", ".join(sorted(r.name for r in rates.values() if r.is_active)) or _("none yet")
            errors["tax_rate_id"] = _("There is no tax rate of this name; the tax rates are: %(names)s.",
                                      names=names)
        for name, message in errors.items():
            problems.append(row.problem(field_columns.get(name, name), message))
        summary.problems.extend(problems)
        if not problems:
            planned.append((item, clean))
    if summary.problems:
        summary.problems.sort(key=lambda p: p.order)
        return summary
    for item, clean in planned:
        if item is None:
            item = PriceItem(stock=0)
            db.session.add(item)
            summary.added.append(clean["code"])
        elif _differs(item, clean):
            summary.updated.append(clean["code"])
        else:
            summary.unchanged += 1
        _apply(item, clean)
    db.session.flush()
    return summary


def _differs(item: PriceItem, clean: dict) -> bool:
    return (item.code, item.description, item.kind, Decimal(item.unit_price), Decimal(item.unit_cost),
            item.tax_rate_id, item.is_active) != (
        clean["code"], clean["description"], clean["kind"], clean["unit_price"], clean["unit_cost"],
        clean["tax_rate"].id, clean["is_active"])


# -- a company's contract ---------------------------------------------------------------------

def set_contract_discount(company: Company, text) -> Decimal:
    """The company's discount in percent on the list price (its contract prices override it)."""
    try:
        discount = parse_decimal(text, maximum=HUNDRED, what="percent")
    except DomainError as error:
        raise DomainError(error.message, field="discount") from None
    company.contract_discount = discount
    db.session.flush()
    return discount


def contract_prices(company: Company) -> list[ContractPrice]:
    return list(db.session.scalars(
        select(ContractPrice).join(PriceItem).where(ContractPrice.company_id == company.id).order_by(PriceItem.code)))


def set_contract_price(company: Company, item: PriceItem | None, text) -> ContractPrice:
    """The company's own price for an item: added, or changed when it has one already."""
    if item is None:
        raise DomainError(_("Choose an item of the price list."), field="price_item_id")
    try:
        unit_price = parse_decimal(text, maximum=MAX_AMOUNT)
    except DomainError as error:
        raise DomainError(error.message, field="unit_price") from None
    price = db.session.scalar(select(ContractPrice).where(
        ContractPrice.company_id == company.id, ContractPrice.price_item_id == item.id))
    if price is None:
        price = ContractPrice(company=company, price_item=item)
        db.session.add(price)
    price.unit_price = unit_price
    db.session.flush()
    return price


def remove_contract_price(price: ContractPrice) -> None:
    """The item goes back to the list price less the company's discount, for quotes written from now on."""
    db.session.delete(price)
    db.session.flush()
