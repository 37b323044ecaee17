"""Open the portal as a customer user sees it, and close that view (see portal.view_as)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from portal import view_as
from portal.admin import bp
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options
from portal.models import Company


class ViewAsForm(FlaskForm):
    user_id = SelectField(_l("Customer user"), coerce=int, validators=[InputRequired(_l("Choose the customer user."))])


@bp.route("/companies/<int:company_id>/view-as", methods=["POST"], endpoint="view_as")
def view_as_customer(company_id):
    company = db.get_or_404(Company, company_id)
    if not view_as.may_view_company(current_user, company):
        abort(403)
    form = ViewAsForm()
    form.user_id.choices = options((u.id, u.name) for u in company.users if u.is_active_account)
    back = url_for("admin.company", company_id=company.id)
    if not form.validate_on_submit():
        flash(_("Choose one of the company's active users."), "error")
        return redirect(back)
    customer = next(u for u in company.users if u.id == form.user_id.data)
    try:
        view_as.start(current_user, customer)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    return redirect(url_for("customer.home"))


@bp.route("/view-as/end", methods=["POST"])
def end_view_as():
    ended = view_as.end()
    db.session.commit()
    if ended is None:
        return redirect(url_for("admin.companies"))
    flash(_("You are back in your own view."), "success")
    return redirect(url_for("admin.company", company_id=ended.customer.company_id))
