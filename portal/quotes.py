"""Quotes: written by the technician in two variants, sent, decided by the customer's approvers.

A quote is a revision of its device's quote: once sent it never changes; a change is a new
revision that the customer decides again, and every revision stays visible. The required
variant is the required lines (the device works again); the recommended variant is every line
(close to new). The customer may also accept the required lines and pick recommended lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import pricing, workflow
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import (
    Decision,
    DeclinedRecommendation,
    Device,
    DeviceStatus,
    LineTier,
    Order,
    PriceItem,
    PriceItemKind,
    Quote,
    QuoteLine,
    QuoteState,
    Role,
    User,
    company_approvers,
)

S = DeviceStatus
#: Who writes quotes: the assigned technician, or a supervisor or admin standing in
WRITERS = (Role.SUPERVISOR, Role.ADMIN)


# -- who may do what -----------------------------------------------------------------------

def may_work_on(user: User | None, device: Device) -> bool:
    """The assigned technician, a supervisor or an admin diagnoses and repairs a device."""
    return user is not None and user.is_staff and (
        device.technician_id == user.id or user.has_role(*WRITERS))


def named_approvers(order: Order) -> list[User]:
    return list(db.session.scalars(select(User).join(company_approvers, company_approvers.c.user_id == User.id)
                                   .where(company_approvers.c.company_id == order.company_id,
                                          User.is_active_account.is_(True)).order_by(User.name)))


def is_approver(user: User, order: Order) -> bool:
    """May this customer user decide the order's quotes? By the company's policy: its named
    approvers, or (by default) the order's creator and users who may edit all company orders."""
    from portal.orders import may_see

    if user.is_staff or user.company_id != order.company_id or not may_see(user, order):
        return False
    if order.company.approval_named_only:
        with db.session.no_autoflush:  # asked while a device is being registered, before its status is set
            return db.session.scalar(select(func.count()).select_from(company_approvers).where(
                company_approvers.c.company_id == order.company_id, company_approvers.c.user_id == user.id)) > 0
    return order.owner_id == user.id or user.can_edit_all_orders


def approvers(order: Order) -> list[User]:
    """The customer users who get the order's quotes to decide."""
    if order.company.approval_named_only:
        return named_approvers(order)
    return [u for u in order.company.users
            if u.is_active_account and (u.id == order.owner_id or u.can_edit_all_orders)]


def may_decide(user: User, quote: Quote) -> bool:
    """An approver of the company, or its account manager acting on the customer's behalf."""
    if user.is_staff:
        return user.has_role(Role.ACCOUNT_MANAGER)
    return is_approver(user, quote.device.order)


# -- reading quotes --------------------------------------------------------------------------

def revisions(device: Device) -> list[Quote]:
    """Every revision of the device's quote, newest first."""
    return list(db.session.scalars(select(Quote).where(Quote.device_id == device.id)
                                   .order_by(Quote.revision.desc())))


def latest(device: Device, *, sent_only: bool = False) -> Quote | None:
    query = select(Quote).where(Quote.device_id == device.id)
    if sent_only:
        query = query.where(Quote.state != QuoteState.DRAFT)
    return db.session.scalars(query.order_by(Quote.revision.desc()).limit(1)).first()


def variant_lines(quote: Quote, variant: str) -> list[QuoteLine]:
    """"required": the required lines; "recommended": every line; "accepted": what was accepted."""
    if variant == "required":
        return [line for line in quote.lines if line.tier == LineTier.REQUIRED]
    if variant == "recommended":
        return list(quote.lines)
    if variant == "accepted":
        return [line for line in quote.lines if line.accepted]
    raise ValueError(variant)


def variant_totals(quote: Quote, variant: str) -> pricing.Totals:
    return pricing.totals(variant_lines(quote, variant))


def chosen_totals(quote: Quote, line_ids) -> pricing.Totals:
    """The required lines and the chosen recommended ones: what the page shows as the customer picks."""
    chosen = set(line_ids)
    return pricing.totals([line for line in quote.lines if line.tier == LineTier.REQUIRED or line.id in chosen])


def declined_before(device: Device) -> list[DeclinedRecommendation]:
    """Recommended work the customer declined for this serial number on earlier visits."""
    return list(db.session.scalars(
        select(DeclinedRecommendation).join(Quote, Quote.id == DeclinedRecommendation.quote_id)
        .where(DeclinedRecommendation.company_id == device.company_id,
               DeclinedRecommendation.serial_number == device.serial_number, Quote.device_id != device.id)
        .order_by(DeclinedRecommendation.declined_at.desc())))


@dataclass
class Shown:
    """A sent revision with the totals of its two variants, as the page shows it."""

    quote: Quote
    required: pricing.Totals
    recommended: pricing.Totals
    accepted: pricing.Totals | None = None


def shown(quote: Quote) -> Shown:
    return Shown(quote, variant_totals(quote, "required"), variant_totals(quote, "recommended"),
                 variant_totals(quote, "accepted") if quote.state == QuoteState.DECIDED else None)


def shown_revisions(device: Device) -> list[Shown]:
    """Every sent revision of the device's quote, newest first (the customer sees them all)."""
    return [shown(q) for q in revisions(device) if q.state != QuoteState.DRAFT]


# -- writing a quote -------------------------------------------------------------------------

def _require_writer(quote_or_device, actor: User) -> Device:
    device = quote_or_device.device if isinstance(quote_or_device, Quote) else quote_or_device
    if not may_work_on(actor, device):
        raise NotAllowed(_("Only the assigned technician, a supervisor or an admin may write this quote."))
    return device


def draft_for(device: Device, *, actor: User) -> Quote:
    """The quote being written for the device: the open draft, or a new revision (copying the
    last sent revision's lines, so that a change starts from what the customer saw)."""
    _require_writer(device, actor)
    if device.status not in (S.DIAGNOSIS, S.REPAIR, S.AWAITING_APPROVAL):
        raise DomainError(_("A quote is written during diagnosis, while it waits for approval (a correction) or, "
                            "for more work found, during repair; "
                            "device %(tag)s is “%(status)s”.", tag=device.tag_code,
                            status=workflow.title(device.status)))
    last = latest(device)
    if last is not None and last.state == QuoteState.DRAFT:
        return last
    quote = Quote(device=device, revision=(last.revision + 1) if last else 1, currency=pricing.currency(),
                  created_by=actor, findings=last.findings if last else "")
    db.session.add(quote)
    if last is not None:
        for line in last.lines:
            quote.lines.append(QuoteLine(
                position=line.position, price_item_id=line.price_item_id, code=line.code,
                description=line.description, kind=line.kind, tier=line.tier, quantity=line.quantity,
                unit_price=line.unit_price, unit_cost=line.unit_cost, tax_rate=line.tax_rate,
                tax_name=line.tax_name, tax_note=line.tax_note, reason=line.reason))
    db.session.flush()
    return quote


def _editable(quote: Quote, actor: User) -> Device:
    device = _require_writer(quote, actor)
    if quote.state != QuoteState.DRAFT:
        raise DomainError(_("Revision %(revision)d was sent and cannot change: write a new revision.",
                            revision=quote.revision))
    return device


def _quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("The quantity “%(value)s” is not a number.", value=str(value)[:20]),
                          field="quantity") from None
    if not quantity.is_finite() or quantity <= 0 or quantity > 1000 or quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_("The quantity must be more than 0 and at most 1000, in hundredths at most."),
                          field="quantity")
    return quantity


def add_line(quote: Quote, *, actor: User, tier: LineTier | str, quantity, item: PriceItem | None = None,
             description: str = "", unit_price=None, kind: PriceItemKind | str | None = None,
             reason: str = "", code: str = "") -> QuoteLine:
    """A line from the price list (priced for the company), or a free line with its reason."""
    device = _editable(quote, actor)
    company = device.order.company
    tier, quantity = LineTier(tier), _quantity(quantity)
    if item is not None:
        if not item.is_active:
            raise DomainError(_("%(code)s is no longer on the price list.", code=item.code), field="item")
        rate = pricing.tax_for(company, item.tax_rate)
        line = QuoteLine(price_item_id=item.id, code=item.code, description=item.description, kind=item.kind,
                         unit_price=pricing.unit_price_for(company, item), unit_cost=pricing.money(item.unit_cost),
                         tax_rate=rate.rate, tax_name=rate.name, tax_note=rate.legal_note)
    else:
        description, reason = description.strip(), reason.strip()
        if not description:
            raise DomainError(_("Describe the work or part."), field="description")
        if not reason:
            raise DomainError(_("A line not from the price list needs its reason."), field="reason")
        try:
            price = pricing.money(str(unit_price).strip().replace(",", "."))
        except (InvalidOperation, ValueError, TypeError):
            raise DomainError(_("The unit price “%(value)s” is not an amount.", value=str(unit_price)[:20]),
                              field="unit_price") from None
        if price < 0 or price > Decimal("1000000"):
            raise DomainError(_("The unit price must be between 0 and 1,000,000."), field="unit_price")
        from portal.models import TaxRate

        standard = db.session.scalars(select(TaxRate).where(TaxRate.is_active.is_(True),
                                                            TaxRate.is_reverse_charge.is_(False))
                                      .order_by(TaxRate.rate.desc()).limit(1)).first()
        if standard is None:
            raise DomainError(_("The tax rates are not set up: an admin adds them first."))
        rate = pricing.tax_for(company, standard)
        line = QuoteLine(code=code.strip()[:40], description=description[:300], reason=reason,
                         kind=PriceItemKind(kind or PriceItemKind.LABOUR), unit_price=price,
                         unit_cost=Decimal("0.00"), tax_rate=rate.rate, tax_name=rate.name, tax_note=rate.legal_note)
    line.tier, line.quantity = tier, quantity
    line.position = max((existing.position for existing in quote.lines), default=0) + 1
    quote.lines.append(line)
    db.session.flush()
    return line


def remove_line(quote: Quote, line: QuoteLine, *, actor: User) -> None:
    _editable(quote, actor)
    if line.quote_id != quote.id:
        raise DomainError(_("That line is not on this quote."))
    quote.lines.remove(line)


def set_findings(quote: Quote, findings: str, *, actor: User) -> None:
    _editable(quote, actor)
    quote.findings = findings.strip()


# -- sending -----------------------------------------------------------------------------------

def send(quote: Quote, *, actor: User, station: str = "") -> Quote:
    """Freeze the revision and put it before the customer: the device awaits approval (or, when
    the company's policy approves the required variant under its limit, goes straight to repair)."""
    device = _editable(quote, actor)
    if not quote.lines:
        raise DomainError(_("Add at least one line before sending the quote."))
    if not variant_lines(quote, "required"):
        raise DomainError(_("Mark at least one line as required: the required variant makes the device work."))
    for earlier in db.session.scalars(select(Quote).where(Quote.device_id == device.id, Quote.id != quote.id,
                                                          Quote.state == QuoteState.SENT)):
        earlier.state = QuoteState.SUPERSEDED
    quote.state, quote.sent_at = QuoteState.SENT, utcnow()
    company = device.order.company
    limit = company.auto_approve_limit
    required = variant_totals(quote, "required")
    if limit is not None and device.status == S.DIAGNOSIS and required.gross < Decimal(limit):
        _accept(quote, {line.id for line in quote.lines if line.tier == LineTier.REQUIRED}, Decision.AUTOMATIC,
                decided_by=None)
        workflow.move(device, S.REPAIR, actor=actor, station=station,
                      note=str(_l("Quote revision %(revision)d approved automatically by the company's policy "
                                  "(under %(limit)s %(currency)s)", revision=quote.revision, limit=limit,
                                  currency=quote.currency)))
        _reserve_or_wait(device, quote, actor=actor, station=station, from_approval=False)
        return quote
    if device.status != S.AWAITING_APPROVAL:  # a corrected revision: the device already waits
        workflow.move(device, S.AWAITING_APPROVAL, actor=actor, station=station,
                      note=str(_l("Quote revision %(revision)d sent", revision=quote.revision)))
    from portal.outbox import defer

    defer("quotes_waiting", order_id=device.order_id)
    return quote


# -- deciding ----------------------------------------------------------------------------------

def decide(quote: Quote, *, actor: User, choice: Decision | str, revision: int, line_ids=(), po_number: str = "",
           on_behalf_of: User | None = None, consent_note: str = "") -> None:
    """The customer's decision on a sent revision: the required lines, every line, the required
    lines and some recommended ones, or decline. Refusals change nothing."""
    choice = Decision(choice)
    device = quote.device
    if choice not in (Decision.REQUIRED, Decision.RECOMMENDED, Decision.LINES, Decision.DECLINED):
        raise DomainError(_("Choose the required repair, the recommended repair, lines, or decline."))
    if not may_decide(actor, quote):
        raise NotAllowed(_("You may not decide quotes of this order."))
    if actor.is_staff and (on_behalf_of is None or on_behalf_of.company_id != device.company_id
                           or not consent_note.strip()):
        raise DomainError(_("Deciding for the customer needs the customer user and their written consent."),
                          field="consent_note")
    if actor.is_staff and not is_approver(on_behalf_of, device.order):
        raise DomainError(_("%(name)s may not approve this order's quotes: decide for one of its approvers.",
                            name=on_behalf_of.name), field="on_behalf_of")
    newest = latest(device, sent_only=True)
    if quote.state == QuoteState.DECIDED:
        raise DomainError(_("Revision %(revision)d of the quote for %(tag)s was already decided.",
                            revision=quote.revision, tag=device.tag_code))
    if quote.revision != revision or newest is None or newest.id != quote.id or quote.state != QuoteState.SENT:
        raise DomainError(_("This is not the current revision of the quote for %(tag)s: open the page again to "
                            "see revision %(revision)d.", tag=device.tag_code,
                            revision=newest.revision if newest else revision))
    if device.status != S.AWAITING_APPROVAL:
        raise DomainError(_("Device %(tag)s has moved on (“%(status)s”): the quote can no longer be decided.",
                            tag=device.tag_code, status=workflow.title(device.status)))
    po_number = po_number.strip()[:60]
    if choice != Decision.DECLINED and device.order.company.approval_po_required and not (
            po_number or device.order.po_reference):
        raise DomainError(_("Your company asks for a purchase-order number with each approval."), field="po_number")
    customer = on_behalf_of if actor.is_staff else actor
    quote.po_number = po_number
    quote.decided_for = on_behalf_of if actor.is_staff else None
    quote.consent_note = consent_note.strip() if actor.is_staff else ""
    note_on_behalf = dict(on_behalf_of=customer if actor.is_staff else None)
    if choice == Decision.DECLINED:
        _decline(quote, decided_by=actor)
        workflow.move(device, S.DECLINED, actor=actor, **note_on_behalf,
                      note=str(_l("Quote revision %(revision)d declined", revision=quote.revision)))
        workflow.move(device, S.READY_TO_SHIP, actor=None, note=str(_l("Returned unrepaired")))
        return
    recommended = {line.id for line in quote.lines if line.tier == LineTier.RECOMMENDED}
    chosen = {line.id for line in quote.lines if line.tier == LineTier.REQUIRED}
    if choice == Decision.RECOMMENDED:
        chosen |= recommended
    elif choice == Decision.LINES:
        picked = {int(i) for i in line_ids}
        if not picked <= recommended:
            raise DomainError(_("Pick only recommended lines of this revision."))
        chosen |= picked
    _accept(quote, chosen, choice, decided_by=actor)
    _reserve_or_wait(device, quote, actor=actor, station="", from_approval=True, **note_on_behalf)


def _accept(quote: Quote, chosen: set[int], decision: Decision, *, decided_by: User | None) -> None:
    device = quote.device
    for line in quote.lines:
        line.accepted = line.id in chosen
        if not line.accepted and line.tier == LineTier.RECOMMENDED:
            db.session.add(DeclinedRecommendation(company_id=device.company_id, serial_number=device.serial_number,
                                                  code=line.code, description=line.description, quote_id=quote.id))
    quote.state, quote.decision, quote.decided_at, quote.decided_by = (
        QuoteState.DECIDED, decision, utcnow(), decided_by)


def _decline(quote: Quote, *, decided_by: User) -> None:
    _accept(quote, set(), Decision.DECLINED, decided_by=decided_by)


def _reserve_or_wait(device: Device, quote: Quote, *, actor: User | None, station: str, from_approval: bool,
                     on_behalf_of: User | None = None) -> bool:
    """Take the accepted parts from stock; the device goes to repair, or waits for parts."""
    from portal import parts

    complete = parts.reserve(device, [line for line in quote.lines if line.accepted])
    note = str(_l("Quote revision %(revision)d accepted", revision=quote.revision))
    if from_approval:
        workflow.move(device, S.REPAIR if complete else S.WAITING_FOR_PARTS, actor=actor, station=station,
                      on_behalf_of=on_behalf_of, note=note)
    elif not complete:
        workflow.move(device, S.WAITING_FOR_PARTS, actor=actor, station=station, note=str(_l("A part is missing")))
    return complete
