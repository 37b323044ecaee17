"""The customer's approval: an order's quotes decided on one page, the quote PDF, the company's policy.

The pieces of the approval page (what it shows, reading the choices, deciding them all) are
shared with the account manager's page in portal.admin.approval_views.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal import approval_policy, pricing, quotes, view_as
from portal.customer import bp
from portal.customer.order_views import order_for
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse, required
from portal.models import Decision, Device, DeviceStatus, Order, Quote, QuoteState, User
from portal.quote_documents import quote_number
from portal.quote_documents import quote_pdf as build_quote_pdf

#: The choices a device can get on the page ("" leaves it for later)
CHOICES = (Decision.REQUIRED, Decision.RECOMMENDED, Decision.LINES, Decision.DECLINED)
AMOUNT = "#,##0.00"


# -- forms ---------------------------------------------------------------------------------------

class ApprovalForm(FlaskForm):
    """The page-wide fields; each device's choice is read from `choice-<device id>` and friends."""

    po_number = StringField(_l("Purchase-order number"), validators=[Optional(), Length(max=60)])
    bulk_choice = SelectField(_l("Apply to every device"), choices=options([
        ("", _l("Choose…")), (Decision.REQUIRED.value, _l("Accept the required repair")),
        (Decision.RECOMMENDED.value, _l("Accept the recommended repair")),
        (Decision.DECLINED.value, _l("Decline"))]), validators=[Optional()])


class ConsentApprovalForm(ApprovalForm):
    """The page as a staff member viewing the portal as the customer sees it: their consent is recorded."""

    consent_note = TextAreaField(_l("The customer's consent"), validators=[required(), Length(max=2000)],
                                 description=_l("You decide as the customer user you are viewing as: write how and "
                                                "when they agreed, e.g. “approved by phone on 25 Nov by Olga”."))


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PolicyForm(FlaskForm):
    approval_mode = RadioField(_l("Who may approve quotes"), default="anyone", choices=options([
        ("anyone", _l("Anyone who may see the order: its creator and users who edit all company orders")),
        ("named", _l("Only the approvers named below"))]))
    approvers = CheckboxListField(_l("Named approvers"), coerce=int, validate_choice=False,
                                  description=_l("Active users who see colleagues' orders or edit all company "
                                                 "orders."))
    po_required = BooleanField(_l("A purchase-order number is required with each approval"))
    auto_limit = StringField(_l("Approve the required repair automatically under this amount"),
                             validators=[Optional(), Length(max=20)],
                             description=_l("Gross, with tax. Leave empty to decide every quote yourselves."))


# -- the approval page, shared with the account manager's page ---------------------------------

@dataclass
class Item:
    """One device on the approval page: its current revision, the earlier ones, and the choice made."""

    device: Device
    current: quotes.Shown
    earlier: list[quotes.Shown]
    declined_before: list
    choice: str = ""
    lines: set[int] = field(default_factory=set)
    chosen: pricing.Totals | None = None
    error: str = ""


def approval_items(order: Order) -> list[Item]:
    """The order's devices awaiting approval, each with its current sent revision."""
    items = []
    devices = db.session.scalars(select(Device).where(Device.order_id == order.id,
                                                      Device.status == DeviceStatus.AWAITING_APPROVAL)
                                 .order_by(Device.id))
    for device in devices:
        revisions = quotes.shown_revisions(device)
        if not revisions or revisions[0].quote.state != QuoteState.SENT:
            continue
        items.append(Item(device, revisions[0], revisions[1:], quotes.declined_before(device)))
    return items


def decided_quotes(order: Order) -> list[tuple[Device, quotes.Shown]]:
    """Devices of the order whose newest sent revision was decided, for the page's record."""
    sent = db.session.scalars(select(Quote).join(Device, Device.id == Quote.device_id)
                              .where(Device.order_id == order.id, Quote.state != QuoteState.DRAFT)
                              .order_by(Quote.device_id, Quote.revision))
    newest: dict[int, Quote] = {}
    for quote in sent:
        newest[quote.device_id] = quote
    decided = [q for q in newest.values() if q.state == QuoteState.DECIDED]
    return [(q.device, quotes.shown(q)) for q in sorted(decided, key=lambda q: q.decided_at, reverse=True)]


@dataclass
class Wanted:
    """What the form asks for one device."""

    device: Device
    choice: str
    revision: int | None
    lines: set[int]


def read_choices(order: Order, items: list[Item], form) -> list[Wanted]:
    """The choices posted for the order's devices (ids of other orders are ignored), and the
    page's items updated to show them again."""
    by_id = {d.id: d for d in order.devices}
    wanted = []
    for key in form:
        if not key.startswith("choice-"):
            continue
        try:
            device = by_id.get(int(key.removeprefix("choice-")))
        except ValueError:
            continue
        if device is None:
            continue
        choice = form.get(key, "").strip()
        try:
            revision = int(form.get(f"revision-{device.id}", ""))
        except ValueError:
            revision = None
        lines = set()
        for value in form.getlist(f"lines-{device.id}"):
            if value.isdigit():
                lines.add(int(value))
        wanted.append(Wanted(device, choice, revision, lines))
    asked = {w.device.id: w for w in wanted}
    for item in items:
        w = asked.get(item.device.id)
        if w is not None:
            item.choice, item.lines = w.choice, w.lines
    return wanted


def apply_bulk(items: list[Item], choice: str) -> None:
    for item in items:
        item.choice = choice


def fill_chosen_totals(items: list[Item]) -> None:
    for item in items:
        item.chosen = quotes.chosen_totals(item.current.quote, item.lines)


def decide_all(wanted: list[Wanted], *, actor: User, po_number: str, on_behalf_of: User | None = None,
               consent_note: str = "") -> tuple[int, dict[int, str], str]:
    """Decide every device asked for, all or nothing: (how many, {device id: refusal}, PO error).

    A refusal for one device leaves every device as it was (the caller rolls back), so the page
    can be sent again with that device left out or changed; the caller commits when none refused.
    (No savepoints: pysqlite would commit a first SAVEPOINT's work on RELEASE.)
    """
    errors: dict[int, str] = {}
    po_error = ""
    decided = 0
    for w in wanted:
        if not w.choice:
            continue
        tag = w.device.tag_code
        if w.choice not in CHOICES:
            errors[w.device.id] = _("%(tag)s: choose the required repair, the recommended repair, lines, or "
                                    "decline.", tag=tag)
            continue
        quote = quotes.latest(w.device, sent_only=True)
        if quote is None or w.revision is None:
            errors[w.device.id] = _("%(tag)s: there is no quote to decide.", tag=tag)
            continue
        choice = Decision.REQUIRED if w.choice == Decision.LINES and not w.lines else Decision(w.choice)
        try:
            quotes.decide(quote, actor=actor, choice=choice, revision=w.revision,
                          line_ids=w.lines if choice == Decision.LINES else (), po_number=po_number,
                          on_behalf_of=on_behalf_of, consent_note=consent_note)
        except DomainError as error:
            # Nothing will be saved now; undo this attempt and try the rest, to name every refusal at once.
            db.session.rollback()
            if error.field == "po_number":
                po_error = error.message
            elif error.field == "consent_note":
                return decided, errors, error.message
            else:
                message = error.message if tag in error.message else f"{tag}: {error.message}"
                errors[w.device.id] = message
        else:
            decided += 1
    return decided, errors, po_error


def approval_page(order: Order, *, actor: User, may_decide: bool, form, template: str, redirect_url: str,
                  on_behalf_of=None, consent_note: str = "", **context):
    """GET shows the quotes; POST decides them (or, without the page's script, applies the bulk
    choice or updates the picked lines' totals) and shows the page again on any refusal."""
    items = approval_items(order)
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not may_decide:
            abort(403)
        wanted = read_choices(order, items, request.form)
        action = request.form.get("action", "decide")
        if not form.validate_on_submit():
            flash(_("Please correct the fields marked below."), "error")
        elif action == "bulk":
            apply_bulk(items, form.bulk_choice.data or "")
        elif action == "decide":
            if not any(w.choice for w in wanted):
                flash(_("Choose what to do with at least one device."), "error")
            else:
                count, errors, general = _decide(wanted, actor, form, on_behalf_of, consent_note)
                if count and not errors and not general:
                    db.session.commit()
                    flash(_("Decisions saved for %(count)d devices.", count=count) if count != 1 else
                          _("Decision saved for 1 device."), "success")
                    return redirect(redirect_url)
                db.session.rollback()
                items = _keep(order, items)
                if general:
                    flash(general, "error")
    fill_chosen_totals(items)
    moved_on = {device_id: message for device_id, message in errors.items()
                if device_id not in {item.device.id for item in items}}
    for item in items:
        item.error = errors.get(item.device.id, "")
    return render_template(template, order=order, items=items, form=form, may_decide=may_decide,
                           moved_on=moved_on, errors=errors, decided=decided_quotes(order),
                           fee=pricing.fee("DIAGNOSIS_FEE"), currency=pricing.currency(), **context)


def _decide(wanted, actor, form, on_behalf_of, consent_note):
    count, errors, po_error = decide_all(wanted, actor=actor, po_number=form.po_number.data or "",
                                         on_behalf_of=on_behalf_of, consent_note=consent_note)
    general = ""
    if po_error:
        form.po_number.errors = [*form.po_number.errors, po_error]
        general = po_error
    if errors and not general:
        general = _("Nothing was saved: %(count)d of the devices could not be decided as chosen. Correct them "
                    "and send again.", count=len(errors)) if len(errors) != 1 else _(
            "Nothing was saved: one device could not be decided as chosen. Correct it and send again.")
    return count, errors, general


def _keep(order: Order, items: list[Item]) -> list[Item]:
    """After a rollback: the page read again, with the choices the user made."""
    fresh = approval_items(order)
    before = {item.device.id: item for item in items}
    for item in fresh:
        old = before.get(item.device.id)
        if old is not None and old.current.quote.id == item.current.quote.id:
            item.choice, item.lines = old.choice, old.lines
    return fresh


def totals_json(quote: Quote, line_ids) -> dict:
    """The totals of the required lines and the picked ones, formatted for the reader."""
    totals = quotes.chosen_totals(quote, line_ids)
    return {"net": format_decimal(totals.net, AMOUNT), "gross": format_decimal(totals.gross, AMOUNT),
            "tax": format_decimal(totals.tax, AMOUNT), "currency": quote.currency,
            "taxes": [{"name": t.name, "note": t.note, "amount": format_decimal(t.amount, AMOUNT)}
                      for t in totals.taxes]}


def picked_ids(args) -> list[int]:
    return [int(v) for v in args.getlist("line") if v.isdigit()][:500]


# -- views ----------------------------------------------------------------------------------------

@bp.route("/orders/<int:order_id>/approval", methods=["GET", "POST"])
def order_approval(order_id):
    order = order_for(order_id)
    staff = view_as.acting_staff(current_user)  # viewing as the customer: decided by staff, for them
    form = ConsentApprovalForm() if staff else ApprovalForm()
    if request.method == "GET":
        form.po_number.data = order.po_reference
    return approval_page(order, actor=staff or current_user, may_decide=quotes.is_approver(current_user, order),
                         form=form, template="customer/order_approval.html",
                         redirect_url=url_for("customer.order_approval", order_id=order.id),
                         on_behalf_of=current_user._get_current_object() if staff else None,
                         consent_note=(form.consent_note.data or "") if staff else "",
                         po_required=order.company.approval_po_required)


def quote_for(quote_id: int) -> Quote:
    """A sent revision of a device of an order the user may see, else 404 (drafts never show)."""
    quote = db.session.get(Quote, quote_id)
    if quote is None or quote.state == QuoteState.DRAFT:
        abort(404)
    order_for(quote.device.order_id)
    return quote


@bp.route("/quotes/<int:quote_id>.pdf")
def quote_pdf(quote_id):
    quote = quote_for(quote_id)
    content = build_quote_pdf(quote, language=current_user.language)
    return send_file(io.BytesIO(content), mimetype="application/pdf",
                     download_name=f"quote-{quote_number(quote)}.pdf")


@bp.route("/quotes/<int:quote_id>/totals")
def quote_totals(quote_id):
    """The totals as the customer picks recommended lines: the page's script asks, the server counts."""
    return totals_json(quote_for(quote_id), picked_ids(request.args))


@bp.route("/company/approval", methods=["GET", "POST"], endpoint="approval_policy")
def approval_policy_page():
    if not current_user.can_manage_company:
        abort(403)
    company = current_user.company
    policy = approval_policy.policy_of(company)
    eligible = approval_policy.eligible_approvers(company)
    form = PolicyForm()
    form.approvers.choices = options([(u.id, f"{u.name} ({u.email})") for u in eligible])
    if request.method == "GET":
        form.approval_mode.data = "named" if policy.named_only else "anyone"
        form.approvers.data = [u.id for u in eligible if u.id in policy.approver_ids]
        form.po_required.data = policy.po_required
        form.auto_limit.data = format_decimal(policy.auto_limit, "0.00") if policy.auto_limit is not None else ""
    if form.validate_on_submit():
        try:
            approval_policy.save_policy(company, named_only=form.approval_mode.data == "named",
                                        approver_ids=form.approvers.data or [], po_required=form.po_required.data,
                                        auto_limit=form.auto_limit.data, actor=current_user)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("The approval policy is saved."), "success")
            return redirect(url_for("customer.approval_policy"))
    return render_template("customer/approval_policy.html", form=form, company=company, eligible=eligible,
                           currency=pricing.currency())

