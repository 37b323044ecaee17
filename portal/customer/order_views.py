"""The customer's orders: the list, the order form with its draft, the order page, documents."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal import documents, notes, orders, photos, quotes, spreadsheets, workflow
from portal.customer import bp
from portal.customer.forms import ConfirmForm, ParcelForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import refuse
from portal.models import Device, DeviceStatus, Order, OrderState
from portal.order_form import autosave, order_form_page

PAGE_SIZE = 25


def order_for(order_id: int, *, edit: bool = False) -> Order:
    """The order if the current user may see it (404 otherwise), and edit it when asked (403)."""
    order = db.session.get(Order, order_id)
    if order is None or not orders.may_see(current_user, order):
        abort(404)
    if edit and not orders.may_edit(current_user, order):
        abort(403)
    return order


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> orders.OrderFilters:
    return orders.OrderFilters(
        search=request.args.get("q", "").strip()[:100],
        state=request.args.get("state", "") if request.args.get("state") in set(OrderState) else "",
        device_status=request.args.get("status", "") if request.args.get("status") in set(DeviceStatus) else "",
        date_from=_date_arg("from"), date_to=_date_arg("to"),
        sort=request.args.get("sort", "newest") if request.args.get("sort") in orders.SORTS else "newest",
    )


@bp.route("/orders")
def orders_list():
    filters = _filters()
    query = orders.filter_orders(orders.visible_orders(current_user), filters, get_timezone(),
                                 current_user.company_id).options(selectinload(Order.owner))
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False, count=True)
    counts = orders.status_counts([o.id for o in page.items])
    return render_template("customer/orders.html", page=page, counts=counts, filters=filters,
                           args={k: v for k, v in request.args.items() if k != "page"},
                           new_form=ConfirmForm(), titles=workflow.STATUS_TITLES)


@bp.route("/orders/export.xlsx")
def export_orders():
    query = orders.filter_orders(orders.visible_orders(current_user), _filters(), get_timezone(),
                                 current_user.company_id)
    content = spreadsheets.orders_workbook(db.session.scalars(query).all())
    return send_file(content, download_name=f"orders-{date.today().isoformat()}.xlsx", as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/orders/new", methods=["POST"])
def new_order():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    order = orders.start_draft(current_user.company, owner=current_user, actor=current_user)
    db.session.commit()
    return redirect(url_for("customer.edit_order", order_id=order.id))


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def edit_order(order_id):
    order = order_for(order_id, edit=True)
    if order.state != OrderState.DRAFT and not orders.is_before_receipt(order):
        flash(_("The depot has already received this order; it can no longer be changed."), "error")
        return redirect(url_for("customer.order", order_id=order.id))
    return order_form_page(order, actor=current_user, template="customer/order_form.html",
                           done_url=lambda o: url_for("customer.order", order_id=o.id),
                           cancel_url=url_for("customer.orders_list"))


@bp.route("/orders/<int:order_id>/draft", methods=["POST"])
def autosave_order(order_id):
    order = order_for(order_id, edit=True)
    if order.state != OrderState.DRAFT:
        abort(409)
    return autosave(order, actor=current_user)


@bp.route("/orders/<int:order_id>")
def order(order_id):
    order = order_for(order_id)
    if order.state == OrderState.DRAFT:
        return redirect(url_for("customer.edit_order", order_id=order.id))
    return render_template("customer/order.html", order=order, action_form=ConfirmForm(),
                           parcel_form=ParcelForm(obj=order), titles=workflow.STATUS_TITLES,
                           may_edit=orders.may_edit(current_user, order),
                           before_receipt=orders.is_before_receipt(order),
                           path=workflow.USUAL_PATH, place=workflow.place_on_path,
                           progress=orders.overall_progress(order),
                           notes=notes.notes_for(order, viewer=current_user))


@bp.route("/devices/<int:device_id>")
def device(device_id):
    """One device's page: its status bar with the time of each stage, and its photos."""
    device = db.session.get(Device, device_id)
    if device is None or not orders.may_see(current_user, device.order):
        abort(404)
    return render_template("customer/device.html", device=device, titles=workflow.STATUS_TITLES,
                           path=workflow.path_of(device), usual=workflow.USUAL_PATH,
                           times=workflow.stage_times(device), action_form=ConfirmForm(),
                           photos=photos.photos_of(device), revisions=quotes.shown_revisions(device),
                           notes=notes.notes_for(device.order, viewer=current_user, device=device),
                           may_approve=device.status == DeviceStatus.AWAITING_APPROVAL
                           and quotes.is_approver(current_user, device.order))


@bp.route("/orders/<int:order_id>/<any(cancel, delete):action>", methods=["POST"])
def cancel_order(order_id, action):
    order = order_for(order_id, edit=True)
    if ConfirmForm().validate_on_submit():
        try:
            if action == "delete":
                orders.delete_draft(order, actor=current_user)
                message = _("Draft deleted.")
            else:
                orders.cancel_order(order, actor=current_user)
                message = _("Order %(number)s is cancelled.", number=order.number)
        except DomainError as error:
            refuse(None, error)
            return redirect(url_for("customer.order", order_id=order.id))
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("customer.orders_list"))


@bp.route("/orders/<int:order_id>/parcel", methods=["POST"])
def order_parcel(order_id):
    order = order_for(order_id, edit=True)
    form = ParcelForm()
    if form.validate_on_submit():
        try:
            orders.set_inbound_parcel(order, carrier=form.inbound_carrier.data,
                                      tracking=form.inbound_tracking.data, actor=current_user)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("Parcel details saved."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
    return redirect(url_for("customer.order", order_id=order.id))


@bp.route("/orders/<int:order_id>/logistics.pdf")
def logistics_pdf(order_id):
    order = order_for(order_id)
    if order.number is None:
        abort(404)
    return _pdf(documents.logistics_pdf(order, language=current_user.language),
                f"{order.number}-logistics.pdf")


@bp.route("/orders/<int:order_id>/tags-<any('62mm', a4):layout>.pdf")
def device_tags_pdf(order_id, layout):
    order = order_for(order_id)
    if order.number is None:
        abort(404)
    return _pdf(documents.device_tags_pdf(order, layout), f"{order.number}-tags-{layout}.pdf")


def _pdf(content: bytes, filename: str):
    import io

    return send_file(io.BytesIO(content), mimetype="application/pdf", download_name=filename)


@bp.route("/orders/suggest-category")
def suggest_category():
    """The category this company gave the same model before, for the order form's script."""
    category = orders.suggest_category(current_user.company, request.args.get("manufacturer", "")[:100],
                                       request.args.get("model", "")[:100])
    return {"category_id": category.id if category else None}
