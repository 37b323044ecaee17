"""Deadlines (rules and holidays, for admins), the account manager's desk, and notes on orders."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import deadlines, desk, notes, workflow
from portal.admin import bp
from portal.admin.deadline_forms import CELLS, LEVEL_TITLES, CompanyPickForm, HolidayForm, NoteForm, RulesForm
from portal.admin.views import admin_only
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import Company, Device, Order, OrderState, Role, User
from portal.models.order import ServiceLevel
from portal.models.sla import DeadlineStage, Holiday

# -- deadline rules ------------------------------------------------------------------

@bp.route("/deadlines", methods=["GET", "POST"])
@bp.route("/deadlines/companies/<int:company_id>", methods=["GET", "POST"])
@admin_only
def deadline_rules(company_id=None):
    """The depot's working days per stage and service level, or one company's contract terms."""
    company = db.get_or_404(Company, company_id) if company_id else None
    current = deadlines.rules_of(company)
    form = RulesForm(data={name: current.get((stage, level)) for stage, level, name in CELLS})
    if form.validate_on_submit():
        try:
            deadlines.save_rules(company, form.days())
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("The deadlines of %(company)s are saved.", company=company.legal_name) if company
                  else _("The depot's deadlines are saved."), "success")
            return redirect(url_for("admin.deadline_rules", company_id=company_id))
    # What a blank cell falls back to: the depot's rule, else the built-in default.
    depot = deadlines.rules_of(None) if company else {}
    fallback = {key: depot.get(key, deadlines.DEFAULT_WORKING_DAYS[key])
                for key in deadlines.DEFAULT_WORKING_DAYS}
    pick = CompanyPickForm(meta={"csrf": False})
    pick.company_id.choices = options(
        [(0, _("Choose…"))] + [(c.id, c.legal_name) for c in db.session.scalars(
            select(Company).order_by(Company.legal_name))])
    return render_template("admin/deadlines.html", form=form, company=company, fallback=fallback,
                           stages=list(DeadlineStage), levels=list(ServiceLevel), level_titles=LEVEL_TITLES,
                           stage_titles=deadlines.STAGE_TITLES, overrides=deadlines.companies_with_rules(),
                           pick=pick)


@bp.route("/deadlines/company")
@admin_only
def deadline_company():
    """The picker's GET form: open the chosen company's rules."""
    company_id = request.args.get("company_id", type=int)
    if not company_id or db.session.get(Company, company_id) is None:
        flash(_("Choose the company."), "error")
        return redirect(url_for("admin.deadline_rules"))
    return redirect(url_for("admin.deadline_rules", company_id=company_id))


# -- holidays ------------------------------------------------------------------------

@bp.route("/holidays", methods=["GET", "POST"])
@admin_only
def holidays():
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            deadlines.add_holiday(form.day.data, form.name.data or "")
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("%(day)s is a holiday now: deadlines skip it.", day=form.day.data.isoformat()), "success")
            return redirect(url_for("admin.holidays"))
    days = db.session.scalars(select(Holiday).order_by(Holiday.day.desc())).all()
    return render_template("admin/holidays.html", form=form, days=days, remove_form=ConfirmForm())


@bp.route("/holidays/<int:holiday_id>/remove", methods=["POST"])
@admin_only
def remove_holiday(holiday_id):
    holiday = db.get_or_404(Holiday, holiday_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    deadlines.remove_holiday(holiday)
    db.session.commit()
    flash(_("%(day)s is a working day again.", day=holiday.day.isoformat()), "success")
    return redirect(url_for("admin.holidays"))


# -- the account manager's desk --------------------------------------------------------

@bp.route("/desk", endpoint="desk")
def desk_page():
    """An account manager's own desk; admins choose whose with ?manager=<id>."""
    is_admin = current_user.has_role(Role.ADMIN)
    if not (is_admin or current_user.has_role(Role.ACCOUNT_MANAGER)):
        abort(403)
    managers = desk.account_managers() if is_admin else []
    manager_id = request.args.get("manager", type=int) if is_admin else None
    if manager_id:
        manager = db.get_or_404(User, manager_id)
        if not manager.has_role(Role.ACCOUNT_MANAGER):
            abort(404)
    elif current_user.has_role(Role.ACCOUNT_MANAGER):
        manager = current_user
    else:
        return render_template("admin/desk.html", desk=None, managers=managers, manager=None)
    return render_template("admin/desk.html", desk=desk.desk_for(manager), managers=managers, manager=manager,
                           titles=workflow.STATUS_TITLES)


# -- notes -----------------------------------------------------------------------------

def note_form(order: Order) -> NoteForm:
    """The form for the notes macro on the admin order page: the order or one of its devices."""
    form = NoteForm()
    form.device_id.choices = options([(0, _("The whole order"))] + [
        (d.id, f"{d.tag_code} · {d.manufacturer} {d.model}") for d in order.devices])
    return form


@bp.route("/orders/<int:order_id>/notes", methods=["POST"])
def add_note(order_id):
    order = db.get_or_404(Order, order_id)
    if order.state == OrderState.DRAFT:
        abort(404)
    form = note_form(order)
    back = url_for("admin.check_order", order_id=order.id) + "#notes"
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    device = db.session.get(Device, form.device_id.data) if form.device_id.data else None
    try:
        notes.add_note(order, author=current_user, text=form.text.data, device=device,
                       visible_to_customer=form.visible_to_customer.data)
    except DomainError as error:
        refuse(None, error)
    else:
        db.session.commit()
        flash(_("The note is added; the customer may read it too.") if form.visible_to_customer.data
              else _("The note is added, for staff only."), "success")
    return redirect(back)
