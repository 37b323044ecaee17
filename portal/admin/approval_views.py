"""The account manager decides quotes on the customer's behalf, with the customer's written consent."""

from __future__ import annotations

import io

from flask import abort, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from portal.admin import bp
from portal.customer.approval_views import ApprovalForm, approval_page, picked_ids, totals_json
from portal.extensions import db
from portal.forms import options, required
from portal.models import Order, OrderState, Quote, QuoteState, Role
from portal.quote_documents import quote_number, quote_pdf


class OnBehalfApprovalForm(ApprovalForm):
    on_behalf_of = SelectField(_l("On behalf of"), coerce=int,
                               validators=[InputRequired(_l("Choose the customer user."))],
                               description=_l("The customer user who gave the consent."))
    consent_note = TextAreaField(_l("The customer's consent"), validators=[required(), Length(max=2000)],
                                 description=_l("How and when they agreed, e.g. “approved by phone on 25 Nov "
                                                "by Olga”."))

    def validate_on_behalf_of(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the customer user."))


def require_account_manager() -> None:
    if not current_user.has_role(Role.ACCOUNT_MANAGER):
        abort(403)


@bp.route("/orders/<int:order_id>/approval", methods=["GET", "POST"])
def order_approval(order_id):
    require_account_manager()
    order = db.get_or_404(Order, order_id)
    if order.state == OrderState.DRAFT:
        abort(404)
    form = OnBehalfApprovalForm()
    users = [u for u in order.company.users if u.is_active_account]
    form.on_behalf_of.choices = options([(0, str(_l("Choose…")))] + [(u.id, f"{u.name} ({u.email})") for u in users])
    if request.method == "GET":
        form.po_number.data = order.po_reference
        form.on_behalf_of.data = order.owner_id
    customer = next((u for u in users if u.id == form.on_behalf_of.data), None)
    return approval_page(order, actor=current_user, may_decide=True, form=form, template="admin/order_approval.html",
                         redirect_url=url_for("admin.order_approval", order_id=order.id), on_behalf_of=customer,
                         consent_note=(form.consent_note.data or "") if customer else "",
                         po_required=order.company.approval_po_required)


def _quote(quote_id: int) -> Quote:
    require_account_manager()
    quote = db.get_or_404(Quote, quote_id)
    if quote.state == QuoteState.DRAFT:
        abort(404)
    return quote


@bp.route("/quotes/<int:quote_id>.pdf")
def quote_pdf_view(quote_id):
    quote = _quote(quote_id)
    return send_file(io.BytesIO(quote_pdf(quote, language=current_user.language)), mimetype="application/pdf",
                     download_name=f"quote-{quote_number(quote)}.pdf")


@bp.route("/quotes/<int:quote_id>/totals")
def quote_totals(quote_id):
    return totals_json(_quote(quote_id), picked_ids(request.args))
