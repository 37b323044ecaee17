"""Invoices: issued when devices ship, numbered without gaps, never changed; credit notes and payments.

An invoice is issued per order when the last of its devices (not cancelled or missing) ships, or
per shipment (parcel) when the company's setting says so. Each shipped device is charged once:
the accepted lines of its last decided quote when it was repaired, the diagnosis fee when it was
declined or beyond repair, the no-fault-found fee when no fault was found, and nothing for a
confirmed warranty. Numbers run per kind and year without gaps: the counter row is taken under a
row lock in the same transaction as the invoice, so a rolled-back invoice gives its number back.

An issued invoice never changes: the buyer and the seller are copied into it as they were at that
moment, and a correction is a credit note (its own number series) that references it. Only
payments are added to an invoice afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import aliased

from portal import pricing
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import (
    Company,
    Decision,
    Device,
    DeviceStatus,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceProfile,
    Order,
    Parcel,
    ParcelState,
    Payment,
    Quote,
    QuoteState,
    Role,
    TaxRate,
    User,
    WorkEntry,
)

S = DeviceStatus
ZERO = Decimal("0.00")
#: How far back the retry job looks for pick-ups left uninvoiced: long enough to outlast a set-up
#: gap (no tax rates yet), short enough that devices which never get a line (free repeat repairs,
#: warranty decided on the quote) are not looked at again on every run for ever.
RETRY_DAYS = 60
#: Decisions whose accepted lines are charged when the device was repaired
CHARGED_DECISIONS = (Decision.REQUIRED, Decision.RECOMMENDED, Decision.LINES, Decision.AUTOMATIC)
#: Devices that never ship with their order: the order is complete without them
NOT_SHIPPING = (S.CANCELLED, S.MISSING)
SHIPPED = (S.SHIPPED, S.DELIVERED)
#: Who sees invoices in the office, and who changes them (payments, credit notes)
VIEWERS = (Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE)
KEEPERS = (Role.ADMIN,)


class TaxRatesMissing(DomainError):
    """No tax rate to charge a fee at: the depot's tax rates are not set up."""


class InvoiceStatus(StrEnum):
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    UNPAID = "unpaid"
    OVERDUE = "overdue"
    CREDIT_NOTE = "credit_note"  # a credit note is settled with its invoice, not paid itself


STATUS_TITLES = {
    InvoiceStatus.PAID: _l("Paid"),
    InvoiceStatus.PARTLY_PAID: _l("Partly paid"),
    InvoiceStatus.UNPAID: _l("Unpaid"),
    InvoiceStatus.OVERDUE: _l("Overdue"),
    InvoiceStatus.CREDIT_NOTE: _l("Credit note"),
}


def status_title(value: InvoiceStatus | str) -> str:
    return str(STATUS_TITLES[InvoiceStatus(value)])


@dataclass(frozen=True)
class Charge:
    """One line to invoice, before it has an invoice: what pricing.totals needs and more."""

    device: Device | None
    description: str
    kind: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    tax_name: str
    tax_note: str
    unit_cost: Decimal = ZERO
    code: str = ""
    quote_line_id: int | None = None


# -- dates --------------------------------------------------------------------------------------

def depot_today(now: datetime | None = None) -> date:
    """The date at the depot: an invoice's date and year are the depot's, not UTC's."""
    return (now or utcnow()).astimezone(ZoneInfo(current_app.config["DEPOT_TIMEZONE"])).date()


# -- what a device is charged ---------------------------------------------------------------------

def returned_from(device: Device) -> DeviceStatus | None:
    """The status the device last became ready to ship from: quality check when repaired."""
    return next((t.from_status for t in reversed(device.transitions) if t.to_status == S.READY_TO_SHIP), None)


def last_decided_quote(device: Device) -> Quote | None:
    return db.session.scalars(select(Quote).where(Quote.device_id == device.id, Quote.state == QuoteState.DECIDED)
                              .order_by(Quote.revision.desc()).limit(1)).first()


def _device_name(device: Device) -> str:
    return _("%(tag)s, %(device)s, S/N %(serial)s", tag=device.tag_code,
             device=f"{device.manufacturer} {device.model}".strip(), serial=device.serial_number)


def _named(description: str, device: Device) -> str:
    return f"{description} — {_device_name(device)}"[:300]


def _standard_rate(company: Company) -> TaxRate:
    standard = db.session.scalars(select(TaxRate).where(TaxRate.is_active.is_(True),
                                                        TaxRate.is_reverse_charge.is_(False))
                                  .order_by(TaxRate.rate.desc()).limit(1)).first()
    if standard is None:
        raise TaxRatesMissing(_("The tax rates are not set up, so the fees cannot be invoiced: an admin adds them "
                                "first."))
    return pricing.tax_for(company, standard)


def _fee(device: Device, setting: str, description: str) -> list[Charge]:
    amount = pricing.fee(setting)
    if amount <= 0:
        return []
    rate = _standard_rate(device.order.company)
    return [Charge(device=device, code=setting.removesuffix("_FEE").replace("_", "-")[:40],
                   description=_named(description, device), kind="fee", quantity=Decimal("1"), unit_price=amount,
                   tax_rate=rate.rate, tax_name=rate.name, tax_note=rate.legal_note)]


def charges_for(device: Device) -> list[Charge]:
    """What a shipped device is charged: by how it comes back (repaired or not), nothing under warranty."""
    if device.warranty_confirmed:
        return []
    quote = last_decided_quote(device)
    if quote is not None and quote.decision == Decision.WARRANTY:
        return []
    came_from = returned_from(device)
    if came_from in (S.DECLINED, S.BEYOND_REPAIR):
        return _fee(device, "DIAGNOSIS_FEE", _("Diagnosis fee (%(outcome)s)", outcome=_outcome_title(came_from)))
    if came_from == S.NO_FAULT_FOUND:
        return _fee(device, "NO_FAULT_FOUND_FEE", _("Diagnosis fee (no fault found)"))
    if came_from != S.QUALITY_CHECK or quote is None or quote.decision not in CHARGED_DECISIONS:
        return []  # repaired without a quote: a warranty or repeat repair, free
    return [Charge(device=device, quote_line_id=line.id, code=line.code, description=_named(line.description, device),
                   kind=str(line.kind), quantity=Decimal(line.quantity), unit_price=Decimal(line.unit_price),
                   unit_cost=Decimal(line.unit_cost), tax_rate=Decimal(line.tax_rate), tax_name=line.tax_name,
                   tax_note=line.tax_note)
            for line in quote.lines if line.accepted]


def _outcome_title(status: DeviceStatus) -> str:
    return _("declined") if status == S.DECLINED else _("beyond repair")


# -- issuing when devices ship -------------------------------------------------------------------

def invoiced_device_ids(device_ids) -> set[int]:
    """The devices already on an invoice (credit notes do not count: a device is invoiced once)."""
    ids = list(device_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(InvoiceLine.device_id).join(Invoice).where(
        Invoice.kind == InvoiceKind.INVOICE, InvoiceLine.device_id.in_(ids))))


def on_shipped(parcel: Parcel) -> list[Invoice]:
    """A parcel was picked up: issue what its shipping completes. Safe to call again (idempotent).

    Per order (the default): an order whose every device, except cancelled and missing ones, has
    shipped gets one invoice for its devices not invoiced yet. Per shipment (a company setting):
    one invoice for the parcel's devices (one per invoice profile, if the parcel's orders are
    invoiced to different ones).
    """
    company = parcel.company
    issued = []
    if company.invoice_per_shipment:
        groups: dict[int | None, list[Device]] = {}
        for device in parcel.devices:
            groups.setdefault(device.order.owner.invoice_profile_id, []).append(device)
        for devices in groups.values():
            orders = {d.order_id for d in devices}
            order = devices[0].order if len(orders) == 1 else None
            invoice = _issue_for(company, devices, order=order, parcel=parcel, owner=devices[0].order.owner)
            if invoice is not None:
                issued.append(invoice)
        return issued
    for order in sorted({d.order for d in parcel.devices}, key=lambda o: o.id):
        # The order's row lock makes two parcels of one order, picked up at once, take turns, so
        # the second sees the first's devices shipped (PostgreSQL; SQLite has one writer anyway).
        db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
        statuses = db.session.execute(select(Device.id, Device.status).where(Device.order_id == order.id)).all()
        if any(status not in SHIPPED and status not in NOT_SHIPPING for _id, status in statuses):
            continue
        shipped = [d for d in order.devices if d.id in {i for i, status in statuses if status in SHIPPED}]
        invoice = _issue_for(company, shipped, order=order, parcel=None, owner=order.owner)
        if invoice is not None:
            issued.append(invoice)
    return issued


def _issue_for(company: Company, devices: list[Device], *, order: Order | None, parcel: Parcel | None,
               owner: User) -> Invoice | None:
    done = invoiced_device_ids(d.id for d in devices)
    language = owner.language or current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        with force_locale(language):  # the lines read in the buyer's language, as the PDF does
            charges = [charge for device in sorted(devices, key=lambda d: d.id) if device.id not in done
                       for charge in charges_for(device)]
    except DomainError as error:
        # The courier is at the door: the parcel leaves, and these devices stay uninvoiced (nothing
        # was written; a tax rate is not set up, the reverse-charge one say), so the jobs issue the
        # invoice once the admin has fixed it (issue_missing).
        current_app.logger.error("Not invoiced (%s): devices %s", error.message, [d.tag_code for d in devices])
        return None
    if not charges:
        return None
    return issue(company, charges, buyer=buyer_snapshot(owner, company), order=order, parcel=parcel)


def uninvoiced_parcels(now: datetime | None = None) -> Select:
    """Parcels picked up in the last RETRY_DAYS with a shipped device on no invoice, in SQL.

    Left out: confirmed warranty devices (never charged) and, invoiced per order, devices whose
    order still waits for others to ship (its last pick-up invoices them). What is left and yet
    free (a repeat repair, say) is passed over by on_shipped until the window closes on it.
    """
    cutoff = (now or utcnow()) - timedelta(days=RETRY_DAYS)
    sibling = aliased(Device)
    invoiced = (select(InvoiceLine.id).join(Invoice)
                .where(InvoiceLine.device_id == Device.id, Invoice.kind == InvoiceKind.INVOICE).exists())
    order_waits = select(sibling.id).where(sibling.order_id == Device.order_id,
                                           sibling.status.not_in(SHIPPED + NOT_SHIPPING)).exists()
    uninvoiced = select(Device.id).where(
        Device.parcel_id == Parcel.id, Device.status.in_(SHIPPED),
        or_(Device.warranty_confirmed.is_(None), Device.warranty_confirmed.is_(False)), ~invoiced,
        or_(Company.invoice_per_shipment.is_(True), ~order_waits)).exists()
    return (select(Parcel).join(Company, Company.id == Parcel.company_id)
            .where(Parcel.state.in_((ParcelState.PICKED_UP, ParcelState.DELIVERED)), Parcel.picked_up_at >= cutoff,
                   uninvoiced).order_by(Parcel.id))


def issue_missing(now: datetime | None = None) -> int:
    """The job: issue what pick-ups left uninvoiced (say, the tax rates were set up only later).

    Each candidate goes through on_shipped, the pick-up's own path, so the invoice is the one the
    pick-up would have issued, and a second run issues nothing more. A parcel refused by a rule
    (a DomainError) is logged and rolled back to its savepoint, so it never holds up the others;
    it is tried again on the next run. Workers side by side skip the parcels another one holds
    (SKIP LOCKED on PostgreSQL), so a per-shipment parcel is never invoiced twice. Returns how
    many invoices were issued; flushes, the caller commits.
    """
    parcels = db.session.scalars(uninvoiced_parcels(now).with_for_update(of=Parcel, skip_locked=True)).all()
    issued = 0
    for parcel in parcels:
        code = parcel.code  # read before: a rolled-back savepoint expires what it touched
        try:
            with db.session.begin_nested():
                issued += len(on_shipped(parcel))
        except DomainError as error:
            current_app.logger.error("Not invoiced, parcel %s: %s", code, error.message)
    return issued


# -- issuing -----------------------------------------------------------------------------------------

def buyer_snapshot(owner: User, company: Company) -> dict:
    """The order owner's invoice profile as it is now (else the company's first active one)."""
    profile = owner.invoice_profile
    if profile is None or profile.is_archived or profile.company_id != company.id:
        profile = db.session.scalars(select(InvoiceProfile).where(InvoiceProfile.company_id == company.id,
                                                                  InvoiceProfile.is_archived.is_(False))
                                     .order_by(InvoiceProfile.id).limit(1)).first()
    source = profile or company
    return {
        "name": profile.name if profile else company.legal_name, "tax_id": source.tax_id,
        "street": source.street, "postcode": source.postcode, "city": source.city, "country": source.country,
        "email": profile.invoice_email if profile else owner.email,
        "language": owner.language or current_app.config["BABEL_DEFAULT_LOCALE"],
    }


def seller_snapshot() -> dict:
    config = current_app.config
    return {"name": config["DEPOT_NAME"], "address": config["DEPOT_ADDRESS"], "tax_id": config["DEPOT_TAX_ID"],
            "bank_account": config["DEPOT_BANK_ACCOUNT"]}


def next_number(kind: InvoiceKind, year: int) -> tuple[int, str]:
    """The next sequence and number of a kind in a year, gapless.

    The counter row is created if missing (a conflict-free insert), then incremented by one
    UPDATE ... RETURNING: that statement takes the row's lock and holds it until the caller's
    transaction ends, so concurrent issuers queue behind it (PostgreSQL's row lock, SQLite's
    write lock), and a rollback gives the number back with the invoice.
    """
    table = InvoiceCounter.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(table).values(kind=kind, year=year, last_number=0)
                       .on_conflict_do_nothing(index_elements=["kind", "year"]))
    sequence = db.session.execute(
        update(table).where(table.c.kind == kind, table.c.year == year)
        .values(last_number=table.c.last_number + 1).returning(table.c.last_number)).scalar_one()
    prefix = current_app.config["CREDIT_NOTE_PREFIX" if kind == InvoiceKind.CREDIT_NOTE else "INVOICE_PREFIX"]
    return sequence, f"{prefix}/{year}/{sequence:06d}"


def issue(company: Company, charges: list[Charge], *, buyer: dict, order: Order | None = None,
          parcel: Parcel | None = None, kind: InvoiceKind = InvoiceKind.INVOICE, credited: Invoice | None = None,
          note: str = "", positions: list[int] | None = None, totals: pricing.Totals | None = None,
          now: datetime | None = None) -> Invoice:
    """Number and write an invoice (or credit note) from its charges, totals by pricing.totals, and
    queue it by e-mail. It is never changed afterwards (only payments are added)."""
    if not charges:
        raise DomainError(_("An invoice needs at least one line."))
    now = now or utcnow()
    issued_on = depot_today(now)
    totals = totals or pricing.totals(charges)
    sequence, number = next_number(kind, issued_on.year)
    terms = company.payment_terms_days if kind == InvoiceKind.INVOICE else 0
    invoice = Invoice(
        kind=kind, number=number, year=issued_on.year, sequence=sequence, company_id=company.id,
        order_id=order.id if order else None, parcel_id=parcel.id if parcel else None,
        credited_invoice_id=credited.id if credited else None, issued_at=now,
        due_date=issued_on + timedelta(days=terms), currency=credited.currency if credited else pricing.currency(),
        buyer=dict(buyer), seller=dict(credited.seller) if credited else seller_snapshot(),
        net=totals.net, tax=totals.tax, gross=totals.gross, note=note,
        taxes=[{"name": t.name, "rate": str(t.rate), "note": t.note, "base": str(t.base), "amount": str(t.amount)}
               for t in totals.taxes],
        paid_amount=ZERO,
        parts_cost=sum((pricing.money(pricing.money(c.unit_cost) * c.quantity) for c in charges), ZERO),
        technician_minutes=_minutes_worked(charges) if kind == InvoiceKind.INVOICE else 0,
    )
    for n, charge in enumerate(charges):
        invoice.lines.append(InvoiceLine(
            position=positions[n] if positions else n + 1, device_id=charge.device.id if charge.device else None,
            quote_line_id=charge.quote_line_id, code=charge.code[:40], description=charge.description[:300],
            kind=charge.kind, quantity=charge.quantity, unit_price=pricing.money(charge.unit_price),
            unit_cost=pricing.money(charge.unit_cost),
            amount=pricing.line_amount(charge.quantity, charge.unit_price), tax_rate=charge.tax_rate,
            tax_name=charge.tax_name, tax_note=charge.tax_note))
    db.session.add(invoice)
    db.session.flush()
    email_invoice(invoice)
    return invoice


def _minutes_worked(charges: list[Charge]) -> int:
    """The technicians' minutes on the invoiced devices: the margin report's time at cost."""
    device_ids = {c.device.id for c in charges if c.device is not None}
    if not device_ids:
        return 0
    return int(db.session.scalar(select(func.sum(WorkEntry.minutes)).where(WorkEntry.device_id.in_(device_ids)))
               or 0)


def email_invoice(invoice: Invoice) -> None:
    """Queue the PDF to the buyer's invoice address, in the buyer's language."""
    from portal.invoice_documents import invoice_filename, invoice_pdf
    from portal.outbox import external_url, queue_mail

    recipient = (invoice.buyer.get("email") or "").strip()
    if not recipient:
        return
    language = invoice.buyer.get("language")
    subject = (_l("Credit note %(number)s", number=invoice.number) if invoice.kind == InvoiceKind.CREDIT_NOTE
               else _l("Invoice %(number)s", number=invoice.number))
    queue_mail(recipient, subject, "invoice_issued", language=language, invoice=invoice,
               link=external_url("customer.invoices"),
               attachments=[(invoice_filename(invoice), "application/pdf", invoice_pdf(invoice, language))])
    invoice.emailed_at = utcnow()


# -- reading --------------------------------------------------------------------------------------------

def credit_notes_of(invoice: Invoice) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.credited_invoice_id == invoice.id)
                                   .order_by(Invoice.id)))


def credited_total(invoice: Invoice) -> Decimal:
    """What credit notes took off the invoice, as a positive amount."""
    total = db.session.scalar(select(func.sum(Invoice.gross)).where(Invoice.credited_invoice_id == invoice.id))
    return -Decimal(total or 0)


def amount_due(invoice: Invoice) -> Decimal:
    """The gross less what was credited: what the customer owes in all."""
    return Decimal(invoice.gross) - credited_total(invoice)


def outstanding(invoice: Invoice) -> Decimal:
    """What is left to pay (nothing for a credit note; never below zero)."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return ZERO
    return max(amount_due(invoice) - Decimal(invoice.paid_amount), ZERO)


def status(invoice: Invoice, today: date | None = None) -> InvoiceStatus:
    """Paid when nothing is left to pay; overdue when something is left after the due date."""
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return InvoiceStatus.CREDIT_NOTE
    today = today or depot_today()
    if outstanding(invoice) <= 0:
        return InvoiceStatus.PAID
    if today > invoice.due_date:
        return InvoiceStatus.OVERDUE
    return InvoiceStatus.PARTLY_PAID if invoice.paid_amount > 0 else InvoiceStatus.UNPAID


def _due_sql():
    credit = aliased(Invoice)
    credited = (select(func.coalesce(func.sum(credit.gross), 0)).where(credit.credited_invoice_id == Invoice.id)
                .scalar_subquery())
    return Invoice.gross + credited


def status_condition(value: InvoiceStatus | str, today: date):
    """The SQL condition for a status, as status() decides it."""
    value = InvoiceStatus(value)
    if value == InvoiceStatus.CREDIT_NOTE:
        return Invoice.kind == InvoiceKind.CREDIT_NOTE
    settled = Invoice.paid_amount >= _due_sql()
    is_invoice = Invoice.kind == InvoiceKind.INVOICE
    if value == InvoiceStatus.PAID:
        return and_(is_invoice, settled)
    if value == InvoiceStatus.OVERDUE:
        return and_(is_invoice, ~settled, Invoice.due_date < today)
    open_ = and_(is_invoice, ~settled, Invoice.due_date >= today)
    if value == InvoiceStatus.PARTLY_PAID:
        return and_(open_, Invoice.paid_amount > 0)
    return and_(open_, Invoice.paid_amount <= 0)


@dataclass
class InvoiceFilters:
    status: str = ""
    company_id: int | None = None
    search: str = ""  # number, company name or tax id
    date_from: date | None = None
    date_to: date | None = None


def filter_invoices(query: Select, filters: InvoiceFilters, today: date | None = None) -> Select:
    """Filters of the office's list and exports; the period is of the issue date at the depot."""
    if filters.status in set(InvoiceStatus):
        query = query.where(status_condition(filters.status, today or depot_today()))
    if filters.company_id:
        query = query.where(Invoice.company_id == filters.company_id)
    if filters.search:
        like = f"%{filters.search}%"
        query = query.where(or_(Invoice.number.ilike(like), Invoice.company_id.in_(
            select(Company.id).where(or_(Company.legal_name.ilike(like), Company.tax_id.ilike(like))))))
    zone = ZoneInfo(current_app.config["DEPOT_TIMEZONE"])
    if filters.date_from:
        query = query.where(Invoice.issued_at >= datetime.combine(filters.date_from, datetime.min.time(), zone))
    if filters.date_to:
        query = query.where(Invoice.issued_at < datetime.combine(filters.date_to + timedelta(days=1),
                                                                 datetime.min.time(), zone))
    return query


def office_invoices() -> Select:
    return select(Invoice).order_by(Invoice.issued_at.desc(), Invoice.id.desc())


def company_invoices(user: User) -> Select:
    """Invoices and credit notes of the user's company, newest first (for users with the right)."""
    return select(Invoice).where(Invoice.company_id == user.company_id).order_by(Invoice.issued_at.desc(),
                                                                                 Invoice.id.desc())


def may_see(user: User, invoice: Invoice) -> bool:
    if user.is_staff:
        return user.has_role(*VIEWERS)
    return user.can_see_invoices and user.company_id == invoice.company_id


# -- changes after issue: payments and credit notes ---------------------------------------------------

def _require_keeper(actor: User) -> None:
    if not (actor.is_staff and actor.has_role(*KEEPERS)):
        raise NotAllowed(_("Only an admin records payments and issues credit notes."))


def _lock(invoice: Invoice) -> Invoice:
    """Read the invoice again under its row lock (PostgreSQL), so payments and credits take turns."""
    return db.session.scalars(select(Invoice).where(Invoice.id == invoice.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def parse_amount(value, field: str = "amount") -> Decimal:
    """An amount typed by a person: "1234.50", "1 234,50"; more than zero, in cents at most."""
    text = str(value if value is not None else "").strip().replace("\u00a0", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(_("“%(value)s” is not an amount: write it like 1234.50.", value=str(value)[:30]),
                          field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError(_("The amount must be more than zero."), field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("The amount has at most two decimal places (cents)."), field=field)
    return pricing.money(amount)


def record_payment(invoice: Invoice, amount, paid_on: date | str, reference: str, actor: User) -> Payment:
    """A payment, full or partial, never more than is left to pay; it settles the invoice when it
    covers the rest."""
    _require_keeper(actor)
    if invoice.kind != InvoiceKind.INVOICE:
        raise DomainError(_("A credit note is not paid: record the payment on its invoice."))
    amount = parse_amount(amount)
    if isinstance(paid_on, str):
        try:
            paid_on = date.fromisoformat(paid_on.strip())
        except ValueError:
            raise DomainError(_("“%(value)s” is not a date.", value=paid_on[:20]), field="paid_on") from None
    if paid_on is None:
        raise DomainError(_("Give the date of the payment."), field="paid_on")
    if paid_on > depot_today():
        raise DomainError(_("The payment date cannot be in the future."), field="paid_on")
    invoice = _lock(invoice)
    left = outstanding(invoice)
    if left <= 0:
        raise DomainError(_("Invoice %(number)s is paid in full.", number=invoice.number))
    if amount > left:
        raise DomainError(_("%(amount)s is more than the %(left)s %(currency)s left to pay.", amount=amount,
                            left=left, currency=invoice.currency), field="amount")
    before = Decimal(invoice.paid_amount)
    # A conditional update: of two payments recorded at once on SQLite, the second finds it changed.
    changed = db.session.execute(update(Invoice).where(Invoice.id == invoice.id, Invoice.paid_amount == before)
                                 .values(paid_amount=before + amount).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        raise DomainError(_("A payment was just recorded on %(number)s: open it again.", number=invoice.number))
    invoice.paid_amount = before + amount
    payment = Payment(invoice=invoice, amount=amount, paid_on=paid_on, reference=(reference or "").strip()[:100],
                      recorded_by=actor)
    db.session.add(payment)
    if outstanding(invoice) <= 0:
        invoice.paid_at = utcnow()
    db.session.flush()
    return payment


def creditable(invoice: Invoice) -> dict[int, Decimal]:
    """Per line of the invoice, the quantity still to credit.

    A credit note's line has the position of the invoice line it credits (positions are unique
    within an invoice), which ties them without another column.
    """
    credited: dict[int, Decimal] = {}
    for note in credit_notes_of(invoice):
        for line in note.lines:
            credited[line.position] = credited.get(line.position, ZERO) - Decimal(line.quantity)
    return {line.id: Decimal(line.quantity) - credited.get(line.position, ZERO) for line in invoice.lines}


def parse_quantity(value, field: str = "quantity") -> Decimal:
    text = str(value if value is not None else "").strip().replace(",", ".")
    try:
        quantity = Decimal(text or "0")
    except (InvalidOperation, ValueError):
        raise DomainError(_("The quantity “%(value)s” is not a number.", value=str(value)[:20]), field=field) from None
    if not quantity.is_finite() or quantity < 0 or quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_("A quantity is zero or more, in hundredths at most."), field=field)
    return quantity


def credit_note(invoice: Invoice, lines: dict[int, object] | None, reason: str, actor: User) -> Invoice:
    """A credit note for some lines and quantities of an invoice (None: everything left to credit).

    Negative amounts, its own number series, the invoice's buyer and seller; never more than is
    left to credit on any line. Refusals change nothing.
    """
    _require_keeper(actor)
    if invoice.kind != InvoiceKind.INVOICE:
        raise DomainError(_("Only an invoice is credited, not a credit note."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Write the reason for the credit note: the customer reads it."), field="reason")
    invoice = _lock(invoice)
    left = creditable(invoice)
    by_id = {line.id: line for line in invoice.lines}
    if lines is None:
        wanted = {line_id: quantity for line_id, quantity in left.items() if quantity > 0}
    else:
        wanted = {}
        for line_id, quantity in lines.items():
            line_id = int(line_id)
            if line_id not in by_id:
                raise DomainError(_("That line is not on invoice %(number)s.", number=invoice.number))
            quantity = parse_quantity(quantity)
            if quantity > left[line_id]:
                raise DomainError(_("Line %(position)d: %(quantity)s is more than the %(left)s left to credit.",
                                    position=by_id[line_id].position, quantity=quantity, left=left[line_id]),
                                  field="lines")
            if quantity > 0:
                wanted[line_id] = quantity
    if not wanted:
        raise DomainError(_("Nothing to credit: choose a line and a quantity (invoice %(number)s may be credited "
                            "in full already).", number=invoice.number), field="lines")
    chosen = [by_id[line_id] for line_id in sorted(wanted, key=lambda i: by_id[i].position)]
    charges = [Charge(device=line.device, quote_line_id=line.quote_line_id, code=line.code,
                      description=line.description, kind=line.kind, quantity=-wanted[line.id],
                      unit_price=Decimal(line.unit_price), unit_cost=Decimal(line.unit_cost),
                      tax_rate=Decimal(line.tax_rate), tax_name=line.tax_name, tax_note=line.tax_note)
               for line in chosen]
    return issue(invoice.company, charges, buyer=invoice.buyer, order=invoice.order,
                 parcel=db.session.get(Parcel, invoice.parcel_id) if invoice.parcel_id else None,
                 kind=InvoiceKind.CREDIT_NOTE, credited=invoice, note=reason,
                 positions=[line.position for line in chosen], totals=_credit_totals(invoice, charges))


def _credit_totals(invoice: Invoice, charges: list[Charge]) -> pricing.Totals:
    """Tax per rate worked out on everything credited so far, less what earlier credit notes took:
    credited piece by piece, the credit notes add up to the invoice's tax to the cent."""
    plain = pricing.totals(charges)
    before: dict[tuple[Decimal, str, str], tuple[Decimal, Decimal]] = {}
    for note in credit_notes_of(invoice):
        for tax in note.taxes:
            key = (Decimal(tax["rate"]), tax["name"], tax["note"])
            base, amount = before.get(key, (ZERO, ZERO))
            before[key] = (base + Decimal(tax["base"]), amount + Decimal(tax["amount"]))
    taxes = []
    for tax in plain.taxes:
        base_before, amount_before = before.get((tax.rate, tax.name, tax.note), (ZERO, ZERO))
        amount = pricing.money((base_before + tax.base) * tax.rate / pricing.HUNDRED) - amount_before
        taxes.append(pricing.TaxLine(name=tax.name, rate=tax.rate, note=tax.note, base=tax.base, amount=amount))
    return pricing.Totals(net=plain.net, taxes=tuple(taxes), gross=plain.net + sum((t.amount for t in taxes), ZERO))


# -- the accounting export -----------------------------------------------------------------------------

def export_rows(invoices, today: date | None = None) -> list[list]:
    """One row per invoice for accounting: texts as they are (the writers neutralise formulas)."""
    today = today or depot_today()
    rows = []
    for invoice in invoices:
        rows.append([invoice.number, status_title(InvoiceStatus.CREDIT_NOTE) if invoice.kind == InvoiceKind.CREDIT_NOTE
                     else _("Invoice"), issue_date(invoice).isoformat(), invoice.buyer.get("name", ""),
                     invoice.buyer.get("tax_id", ""), Decimal(invoice.net), Decimal(invoice.tax),
                     Decimal(invoice.gross), invoice.currency, Decimal(invoice.paid_amount),
                     invoice.due_date.isoformat(), status_title(status(invoice, today))])
    return rows


def export_headers() -> list[str]:
    return [_("Number"), _("Kind"), _("Date"), _("Company"), _("Tax / VAT ID"), _("Net"), _("Tax"), _("Gross"),
            _("Currency"), _("Paid"), _("Due date"), _("Status")]


def issue_date(invoice: Invoice) -> date:
    return depot_today(invoice.issued_at)
