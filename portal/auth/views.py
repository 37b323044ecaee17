"""Registration, e-mail confirmation, login, password reset, invitations, own settings."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import accounts, second_factor
from portal.access import landing_url, safe_next
from portal.auth import bp
from portal.auth.forms import (
    AccountForm,
    EmailForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    RegistrationForm,
)
from portal.auth.second_factor_views import start_pending_login
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.i18n import timezone_choices


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegistrationForm()
    if form.validate_on_submit():
        problem = accounts.password_problem(form.password.data, form.email.data)
        if problem:
            form.password.errors = [problem]
        else:
            try:
                accounts.register_company(company=form.company_data(), user=form.user_data(),
                                          language=str(get_locale()))
            except DomainError as error:
                refuse(form, error)
            else:
                db.session.commit()
                return render_template("auth/registered.html", email=form.email.data)
    return render_template("auth/register.html", form=form)


@bp.route("/confirm/<token>")
def confirm(token):
    try:
        user = accounts.confirm_email(token)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("auth.resend_confirmation"))
    db.session.commit()
    flash(_("Thank you, your e-mail address is confirmed. You can log in now."), "success")
    return redirect(url_for("auth.login", email=user.email))


@bp.route("/confirm/resend", methods=["GET", "POST"])
def resend_confirmation():
    form = EmailForm(email=request.args.get("email"))
    if form.validate_on_submit():
        accounts.resend_confirmation(form.email.data)
        db.session.commit()
        flash(_("If that address waits for confirmation, a new link is on its way."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/resend.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(landing_url(current_user))
    form = LoginForm(email=request.args.get("email"))
    unconfirmed = None
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.LoginRefused as error:
            db.session.commit()  # keeps the failure count
            unconfirmed = error.unconfirmed_user
            flash(error.message, "error")
        else:
            db.session.commit()
            if second_factor.asks_at_login(user):
                return start_pending_login(user, remember=form.remember.data, next_url=request.args.get("next"))
            login_user(user, remember=form.remember.data)
            session.pop("language", None)
            return redirect(safe_next(request.args.get("next")) or landing_url(user))
    return render_template("auth/login.html", form=form, unconfirmed=unconfirmed)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account uses this address, we have sent it a link to set a new password."),
              "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def _new_password_page(token: str, action, template: str, success: str):
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = action(token, form.password.data)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("auth.login", email=user.email))
    return render_template(template, form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return _new_password_page(token, accounts.reset_password, "auth/reset.html",
                              _("Your password is changed. Log in with the new one."))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token):
    return _new_password_page(token, accounts.accept_invitation, "auth/invitation.html",
                              _("Welcome! Your password is set; log in to start."))


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    form.language.choices = options(current_app.config["LANGUAGES"].items())
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.language = form.language.data
            db.session.commit()
        session["language"] = form.language.data
    return redirect(safe_next(form.next.data) or url_for("auth.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    form.language.choices = options(current_app.config["LANGUAGES"].items())
    form.timezone.choices = options((tz, tz.replace("_", " ")) for tz in timezone_choices())
    if request.method == "GET":
        form.language.data = str(get_locale())
        form.timezone.data = current_user.timezone or current_app.config["DEPOT_TIMEZONE"]
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.language = form.language.data
        current_user.timezone = form.timezone.data
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
