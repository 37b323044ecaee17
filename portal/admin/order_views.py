"""The office's side of orders: new orders to check, orders on behalf of customers, categories."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import accounts, notes, orders, receiving, workflow
from portal.admin import bp
from portal.admin.deadline_views import note_form
from portal.admin.forms import STATION_KINDS, CategoryForm, CheckForm, OnBehalfForm, StationForm
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import (
    Company,
    DeviceCategory,
    DeviceStatus,
    Order,
    OrderState,
    RequestType,
    Role,
    Station,
    StationKind,
)
from portal.order_form import autosave, order_form_page

ORDER_DESK = (Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE)


def require_desk() -> None:
    if not current_user.has_role(*ORDER_DESK):
        abort(403)


@bp.route("/orders")
def new_orders():
    """Submitted orders waiting for the completeness check, oldest first."""
    query = select(Order).where(Order.state == OrderState.SUBMITTED).order_by(Order.submitted_at)
    if request.args.get("mine", "1" if current_user.has_role(Role.ACCOUNT_MANAGER) else "0") == "1":
        query = query.join(Company).where(Company.account_manager_id == current_user.id)
        mine = True
    else:
        mine = False
    page = db.paginate(query.options(selectinload(Order.company)), per_page=50, error_out=False)
    counts = orders.status_counts([o.id for o in page.items])
    return render_template("admin/new_orders.html", page=page, mine=mine, counts=counts)


@bp.route("/orders/<int:order_id>", methods=["GET", "POST"])
def check_order(order_id):
    order = db.get_or_404(Order, order_id)
    if order.state == OrderState.DRAFT:
        abort(404)
    form = CheckForm()
    if form.validate_on_submit():
        require_desk()
        try:
            if form.action.data == "return":
                orders.return_order(order, form.note.data or "", actor=current_user)
                message = _("Order %(number)s is returned to the customer with your note.", number=order.number)
            else:
                types = {int(key.split("-", 1)[1]): RequestType(value) for key, value in request.form.items()
                         if key.startswith("type-") and value in set(RequestType)}
                orders.accept_order(order, types, actor=current_user)
                message = _("Order %(number)s is checked and accepted.", number=order.number)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("admin.new_orders"))
    return render_template("admin/check_order.html", order=order, form=form, titles=workflow.STATUS_TITLES,
                           request_types=list(RequestType), close_form=ConfirmForm(),
                           notes=notes.notes_for(order, viewer=current_user), note_form=note_form(order),
                           may_close=current_user.has_role(Role.ACCOUNT_MANAGER, Role.ADMIN)
                           and order.receiving_closed_at is None and order.state != OrderState.CANCELLED
                           and any(d.status == DeviceStatus.REGISTERED for d in order.devices))


@bp.route("/orders/<int:order_id>/close-receiving", methods=["POST"])
def close_receiving(order_id):
    """The account manager decides the rest is not coming: it becomes missing, the customer is told."""
    if not current_user.has_role(Role.ACCOUNT_MANAGER, Role.ADMIN):
        abort(403)
    order = db.get_or_404(Order, order_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        missing = receiving.close_receiving(order, actor=current_user)
    except DomainError as error:
        refuse(None, error)
    else:
        db.session.commit()
        flash(_("Receiving of order %(number)s is closed; %(count)d devices are missing. The customer is told.",
                number=order.number, count=len(missing)), "success")
    return redirect(url_for("admin.check_order", order_id=order.id))


@bp.route("/orders/on-behalf", methods=["GET", "POST"])
def order_on_behalf():
    """Start an order for an existing company, or register a new company in the same step."""
    require_desk()
    form = OnBehalfForm(company_id=request.args.get("company_id", type=int))
    form.company_id.choices = options([(0, _("A new company (fill in below)"))] + [
        (c.id, f"{c.legal_name} ({c.tax_id})")
        for c in db.session.scalars(select(Company).order_by(Company.legal_name))])
    if form.validate_on_submit():
        try:
            if form.company_id.data:
                company = db.get_or_404(Company, form.company_id.data)
                owner = next((u for u in company.users if u.is_active_account and u.can_manage_users), None)
                if owner is None:
                    raise DomainError(_("The company has no active user to own the order."))
            else:
                owner = accounts.register_company_on_behalf(
                    company=form.company_data(), name=form.name.data, email=form.email.data, actor=current_user)
                company = owner.company
            order = orders.start_draft(company, owner=owner, actor=current_user)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            return redirect(url_for("admin.edit_order", order_id=order.id))
    return render_template("admin/order_on_behalf.html", form=form)


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def edit_order(order_id):
    require_desk()
    order = db.get_or_404(Order, order_id)
    if order.state != OrderState.DRAFT and not orders.is_before_receipt(order):
        flash(_("The depot has already received this order; it can no longer be changed."), "error")
        return redirect(url_for("admin.check_order", order_id=order.id))
    return order_form_page(order, actor=current_user, template="admin/order_form.html",
                           done_url=lambda o: url_for("admin.check_order", order_id=o.id),
                           cancel_url=url_for("admin.company", company_id=order.company_id))


@bp.route("/orders/<int:order_id>/draft", methods=["POST"])
def autosave_order(order_id):
    require_desk()
    order = db.get_or_404(Order, order_id)
    if order.state != OrderState.DRAFT:
        abort(409)
    return autosave(order, actor=current_user)


@bp.route("/categories", methods=["GET", "POST"])
def categories():
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    form = CategoryForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(select(DeviceCategory).where(DeviceCategory.name == name)):
            form.name.errors = [_("This category is already on the list.")]
        else:
            db.session.add(DeviceCategory(name=name))
            db.session.commit()
            flash(_("Category added."), "success")
            return redirect(url_for("admin.categories"))
    items = db.session.scalars(select(DeviceCategory).order_by(DeviceCategory.name)).all()
    return render_template("admin/categories.html", form=form, items=items, action_form=ConfirmForm())


@bp.route("/categories/<int:category_id>/toggle", methods=["POST"])
def toggle_category(category_id):
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    category = db.get_or_404(DeviceCategory, category_id)
    if ConfirmForm().validate_on_submit():
        category.is_active = not category.is_active
        db.session.commit()
        flash(_("Category updated."), "success")
    return redirect(url_for("admin.categories"))



@bp.route("/stations", methods=["GET", "POST"])
def stations():
    """The depot's stations; a browser at the station is then set to one of them."""
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    form = StationForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(select(Station).where(Station.name == name)):
            form.name.errors = [_("A station with this name exists already.")]
        else:
            db.session.add(Station(name=name, kind=StationKind(form.kind.data), label_printer=form.label_printer.data))
            db.session.commit()
            flash(_("Station added."), "success")
            return redirect(url_for("admin.stations"))
    items = db.session.scalars(select(Station).order_by(Station.name)).all()
    return render_template("admin/stations.html", form=form, items=items, kinds=STATION_KINDS)
