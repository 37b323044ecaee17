"""The price list, tax rates and a company's contract prices, kept in the browser."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal import price_list, tax_rates
from portal.admin import bp
from portal.admin.bench_forms import (
    ContractPriceForm,
    DiscountForm,
    PriceItemForm,
    ReceiveForm,
    TaxRateForm,
    UploadForm,
)
from portal.admin.views import admin_only
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import Company, ContractPrice, PriceItem, PriceItemKind, Role, TaxRate
from portal.sheet_tables import XLSX_MIMETYPE
from portal.tax_rates import Invalid

PAGE_SIZE = 50


def show_errors(form, error: DomainError) -> None:
    """Every field's problem beside its field (Invalid), or the one problem (DomainError)."""
    if isinstance(error, Invalid):
        db.session.rollback()
        for name, message in error.errors.items():
            if name in form:
                form[name].errors = [*form[name].errors, message]
            else:
                flash(message, "error")
    else:
        refuse(form, error)


# -- the price list --------------------------------------------------------------------------

def _price_list_page(upload=None, summary=None, status=200):
    query = request.args.get("q", "")[:100]
    page = db.paginate(price_list.search_items(query), per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/price_list.html", page=page, search=query, kinds=price_list.KIND_TITLES,
                           upload=upload or UploadForm(), summary=summary, action_form=ConfirmForm()), status


@bp.route("/price-list", endpoint="price_list")
@admin_only
def price_list_page():
    return _price_list_page()


@bp.route("/price-list/new", methods=["GET", "POST"])
@bp.route("/price-list/<int:item_id>", methods=["GET", "POST"])
@admin_only
def price_item(item_id=None):
    item = db.get_or_404(PriceItem, item_id) if item_id else None
    form = PriceItemForm(obj=item)
    # the usual rates first: a new item starts on the first of them, never on reverse charge
    rates = sorted((r for r in tax_rates.all_rates() if r.is_active or (item and item.tax_rate_id == r.id)),
                   key=lambda r: (r.is_reverse_charge, not r.is_active, r.name))
    form.tax_rate_id.choices = options((r.id, f"{r.name} ({r.rate.normalize():f} %)") for r in rates)
    if item is not None and not form.is_submitted():
        form.kind.data = item.kind.value
    if form.validate_on_submit():
        try:
            saved = price_list.save_item(form.data, item)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("%(code)s saved.", code=saved.code), "success")
            return redirect(url_for("admin.price_list"))
    waiting = price_list.devices_waiting_for(item) if item is not None else []
    return render_template("admin/price_item.html", item=item, form=form, receive=ReceiveForm(),
                           waiting=waiting, action_form=ConfirmForm())


@bp.route("/price-list/<int:item_id>/active", methods=["POST"])
@admin_only
def toggle_price_item(item_id):
    item = db.get_or_404(PriceItem, item_id)
    if ConfirmForm().validate_on_submit():
        try:
            price_list.set_item_active(item, not item.is_active)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("%(code)s is active again.", code=item.code) if item.is_active
                  else _("%(code)s is deactivated: new quotes no longer offer it.", code=item.code), "success")
    return redirect(url_for("admin.price_list"))


@bp.route("/price-list/<int:item_id>/receive", methods=["POST"])
@admin_only
def receive_parts(item_id):
    item = db.get_or_404(PriceItem, item_id)
    if item.kind != PriceItemKind.PART:
        abort(404)
    form = ReceiveForm()
    if form.validate_on_submit():
        try:
            released = price_list.receive_parts(item, form.quantity.data, actor=current_user)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("%(code)s: %(count)s in stock now.", code=item.code, count=item.stock), "success")
            if released:
                flash(ngettext("Released to repair: %(tags)s.", "Released to repair, oldest first: %(tags)s.",
                               len(released), tags=", ".join(d.tag_code or str(d.id) for d in released)), "success")
            return redirect(url_for("admin.price_item", item_id=item.id))
    form_item = PriceItemForm(obj=item, formdata=None)
    form_item.kind.data = item.kind.value
    form_item.tax_rate_id.choices = options((r.id, r.name) for r in tax_rates.all_rates())
    return render_template("admin/price_item.html", item=item, form=form_item, receive=form,
                           waiting=price_list.devices_waiting_for(item), action_form=ConfirmForm()), 400


@bp.route("/price-list.xlsx")
@admin_only
def export_price_list():
    return send_file(io.BytesIO(price_list.export_workbook()), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name="price-list.xlsx")


@bp.route("/price-list/import", methods=["POST"])
@admin_only
def import_price_list():
    form = UploadForm()
    if not form.validate_on_submit():
        return _price_list_page(upload=form, status=400)
    try:
        summary = price_list.import_workbook(form.file.data.read())
    except DomainError as error:
        db.session.rollback()
        form.file.errors = [error.message]
        return _price_list_page(upload=form, status=400)
    if not summary.ok:
        db.session.rollback()
        return _price_list_page(upload=form, summary=summary, status=400)
    db.session.commit()
    flash(_("Price list imported: %(added)s added, %(updated)s changed, %(same)s unchanged.",
            added=len(summary.added), updated=len(summary.updated), same=summary.unchanged), "success")
    return redirect(url_for("admin.price_list"))


# -- tax rates -------------------------------------------------------------------------------

@bp.route("/tax-rates", methods=["GET", "POST"], endpoint="tax_rates")
@bp.route("/tax-rates/<int:rate_id>", methods=["GET", "POST"], endpoint="tax_rate")
@admin_only
def tax_rates_page(rate_id=None):
    rate = db.get_or_404(TaxRate, rate_id) if rate_id else None
    form = TaxRateForm(obj=rate)
    if rate is not None and not form.is_submitted():
        form.rate.data = f"{rate.rate.normalize():f}"
    if form.validate_on_submit():
        try:
            saved = tax_rates.save_tax_rate(form.data, rate)
        except DomainError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Tax rate %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.tax_rates"))
    return render_template("admin/tax_rates.html", rates=tax_rates.all_rates(), rate=rate, form=form)


# -- a company's contract --------------------------------------------------------------------

def _may_price(company: Company) -> None:
    if not current_user.has_role(Role.ADMIN, Role.ACCOUNT_MANAGER):
        abort(403)


def _pricing_page(company, discount=None, price=None, status=200):
    discount = discount or DiscountForm(formdata=None, discount=f"{company.contract_discount.normalize():f}")
    price = price or ContractPriceForm(formdata=None)
    _item_choices(price)
    return render_template("admin/company_pricing.html", company=company, discount_form=discount,
                           price_form=price, prices=price_list.contract_prices(company),
                           action_form=ConfirmForm()), status


def _item_choices(form: ContractPriceForm) -> None:
    items = db.session.scalars(select(PriceItem).where(PriceItem.is_active.is_(True)).order_by(PriceItem.code))
    form.price_item_id.choices = options(
        [(0, _("Choose an item"))]
        + [(i.id, f"{i.code} · {i.description} ({i.unit_price})") for i in items])


@bp.route("/companies/<int:company_id>/pricing")
def company_pricing(company_id):
    company = db.get_or_404(Company, company_id)
    _may_price(company)
    return _pricing_page(company)


@bp.route("/companies/<int:company_id>/pricing/discount", methods=["POST"])
def company_discount(company_id):
    company = db.get_or_404(Company, company_id)
    _may_price(company)
    form = DiscountForm()
    if form.validate_on_submit():
        try:
            price_list.set_contract_discount(company, form.discount.data)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Contract discount saved."), "success")
            return redirect(url_for("admin.company_pricing", company_id=company.id))
    return _pricing_page(company, discount=form, status=400)


@bp.route("/companies/<int:company_id>/pricing/prices", methods=["POST"])
def company_contract_price(company_id):
    company = db.get_or_404(Company, company_id)
    _may_price(company)
    form = ContractPriceForm()
    _item_choices(form)
    if form.validate_on_submit():
        item = db.session.get(PriceItem, form.price_item_id.data) if form.price_item_id.data else None
        try:
            price = price_list.set_contract_price(company, item, form.unit_price.data)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Contract price for %(code)s saved.", code=price.price_item.code), "success")
            return redirect(url_for("admin.company_pricing", company_id=company.id))
    return _pricing_page(company, price=form, status=400)


@bp.route("/companies/<int:company_id>/pricing/prices/<int:price_id>/remove", methods=["POST"])
def remove_contract_price(company_id, price_id):
    company = db.get_or_404(Company, company_id)
    _may_price(company)
    price = db.get_or_404(ContractPrice, price_id)
    if price.company_id != company.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        code = price.price_item.code
        price_list.remove_contract_price(price)
        db.session.commit()
        flash(_("%(code)s is at the list price less the discount again.", code=code), "success")
    return redirect(url_for("admin.company_pricing", company_id=company.id))
