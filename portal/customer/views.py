"""The customer portal: welcome page, company details, colleagues and their rights."""

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from portal import accounts, announcements, companies, orders
from portal.access import colleague_for, owned_by_company
from portal.customer import bp
from portal.customer.forms import (
    ColleagueForm,
    CompanyForm,
    ConfirmForm,
    InviteForm,
    InvoiceProfileForm,
    ReturnAddressForm,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import InvoiceProfile, ReturnAddress


def require_right(right: str) -> None:
    if not getattr(current_user, right):
        abort(403)


@bp.route("/home")
def home():
    today = datetime.now(get_timezone()).date()
    return render_template(
        "customer/home.html",
        company=current_user.company,
        announcements=announcements.current_announcements(today),
        waiting=orders.waiting_for(current_user),
    )


# -- company details -----------------------------------------------------------

@bp.route("/company", methods=["GET", "POST"])
def company():
    company = current_user.company
    if request.method == "POST":  # before validation: a refused user learns nothing from error messages
        require_right("can_manage_company")
    form = CompanyForm(obj=company)
    if form.validate_on_submit():
        companies.update_company(company, form.data, actor=current_user)
        db.session.commit()
        flash(_("Company details saved."), "success")
        return redirect(url_for("customer.company"))
    return render_template("customer/company.html", company=company, form=form,
                           action_form=ConfirmForm())


def _profile_data(form) -> dict:
    return {name: form[name].data for name in
            ("name", "tax_id", "street", "postcode", "city", "country", "invoice_email")}


def _address_data(form) -> dict:
    return {name: form[name].data or "" for name in
            ("label", "recipient", "street", "postcode", "city", "country", "phone")}


@bp.route("/company/invoice-profiles/new", methods=["GET", "POST"])
@bp.route("/company/invoice-profiles/<int:profile_id>", methods=["GET", "POST"])
def invoice_profile(profile_id=None):
    require_right("can_manage_company")
    profile = None
    if profile_id is not None:
        profile = owned_by_company(current_user, db.session.get(InvoiceProfile, profile_id))
    form = InvoiceProfileForm(obj=profile)
    if form.validate_on_submit():
        companies.save_invoice_profile(current_user.company, _profile_data(form), profile=profile)
        db.session.commit()
        flash(_("Invoice profile saved."), "success")
        return redirect(url_for("customer.company"))
    return render_template("customer/invoice_profile.html", form=form, profile=profile)


@bp.route("/company/invoice-profiles/<int:profile_id>/archive", methods=["POST"])
def archive_invoice_profile(profile_id):
    require_right("can_manage_company")
    profile = owned_by_company(current_user, db.session.get(InvoiceProfile, profile_id))
    if ConfirmForm().validate_on_submit():
        try:
            companies.set_invoice_profile_archived(profile, not profile.is_archived)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("Invoice profile archived.") if profile.is_archived else _("Invoice profile restored."),
                  "success")
    return redirect(url_for("customer.company"))


@bp.route("/company/addresses/new", methods=["GET", "POST"])
@bp.route("/company/addresses/<int:address_id>", methods=["GET", "POST"])
def return_address(address_id=None):
    require_right("can_manage_company")
    address = None
    if address_id is not None:
        address = owned_by_company(current_user, db.session.get(ReturnAddress, address_id))
    form = ReturnAddressForm(obj=address)
    if form.validate_on_submit():
        companies.save_return_address(current_user.company, _address_data(form), address=address)
        db.session.commit()
        flash(_("Return address saved."), "success")
        return redirect(url_for("customer.company"))
    return render_template("customer/return_address.html", form=form, address=address)


@bp.route("/company/addresses/<int:address_id>/<any(default, archive):action>", methods=["POST"])
def change_return_address(address_id, action):
    require_right("can_manage_company")
    address = owned_by_company(current_user, db.session.get(ReturnAddress, address_id))
    if ConfirmForm().validate_on_submit():
        try:
            if action == "default":
                companies.make_default_address(address)
            else:
                companies.set_address_archived(address, not address.is_archived)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("Return address updated."), "success")
    return redirect(url_for("customer.company"))


# -- colleagues ----------------------------------------------------------------

@bp.route("/users")
def users():
    require_right("can_manage_users")
    return render_template("customer/users.html", users=current_user.company.users,
                           action_form=ConfirmForm())


@bp.route("/users/invite", methods=["GET", "POST"])
def invite_user():
    require_right("can_manage_users")
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = accounts.invite_colleague(current_user.company, actor=current_user,
                                             name=form.name.data, email=form.email.data,
                                             rights=form.rights())
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("customer.users"))
    return render_template("customer/invite.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    require_right("can_manage_users")
    colleague = colleague_for(current_user, user_id)
    form = ColleagueForm(obj=colleague)
    profiles = [p for p in current_user.company.invoice_profiles
                if not p.is_archived or p.id == colleague.invoice_profile_id]
    form.invoice_profile.choices = options((p.id, p.name) for p in profiles)
    if not form.is_submitted():
        form.invoice_profile.data = colleague.invoice_profile_id
    if form.validate_on_submit():
        profile = next((p for p in profiles if p.id == form.invoice_profile.data), None)
        try:
            accounts.update_colleague(colleague, actor=current_user, rights=form.rights(),
                                      invoice_profile=profile)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Saved the rights of %(name)s.", name=colleague.name), "success")
            return redirect(url_for("customer.users"))
    return render_template("customer/edit_user.html", form=form, colleague=colleague)


@bp.route("/users/<int:user_id>/<any(deactivate, reactivate, resend):action>", methods=["POST"])
def change_user(user_id, action):
    require_right("can_manage_users")
    colleague = colleague_for(current_user, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            if action == "deactivate":
                accounts.deactivate_colleague(colleague, actor=current_user)
                message = _("%(name)s can no longer log in; their orders stay.", name=colleague.name)
            elif action == "reactivate":
                accounts.reactivate_colleague(colleague, actor=current_user)
                message = _("%(name)s can log in again.", name=colleague.name)
            else:
                accounts.send_invitation(colleague, inviter=current_user)
                message = _("Invitation sent again to %(email)s.", email=colleague.email)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(message, "success")
    return redirect(url_for("customer.users"))
