"""The second step of a staff login, setting up the authenticator, and managing it in one's settings.

After the password, a staff member who is asked for the second factor is not logged in yet: the
session holds only a pending login (their id, for a few minutes). `login_user` runs once the
code is right, or once a first-time set-up is confirmed.
"""

from __future__ import annotations

import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal import second_factor as factor
from portal.access import landing_url, safe_next
from portal.auth import bp
from portal.auth.second_factor_forms import AppCodeForm, LoginCodeForm
from portal.errors import DomainError
from portal.extensions import db
from portal.models import User

PENDING_KEY = "pending_login"
ENROL_KEY = "second_factor_setup"
PENDING_SECONDS = 10 * 60

#: What a staff member who must still set up the factor may open (besides static files)
ALLOWED_WHILE_UNENROLLED = {"static", "auth.enrol_second_factor", "auth.second_factor", "auth.logout",
                            "auth.set_language", "auth.login"}


def start_pending_login(user: User, *, remember: bool, next_url: str | None):
    """After a right password: remember who is half-way in, and send them to the second step."""
    session.pop(ENROL_KEY, None)
    session[PENDING_KEY] = {"user": user.id, "until": int(time.time()) + PENDING_SECONDS,
                            "remember": bool(remember), "next": safe_next(next_url) or ""}
    if factor.is_enrolled(user):
        return redirect(url_for("auth.second_factor"))
    return redirect(url_for("auth.enrol_second_factor"))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not pending or pending.get("until", 0) < time.time():
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.is_active_account:
        session.pop(PENDING_KEY, None)
        return None
    return user


def _expired():
    flash(_("Your login has expired. Please enter your e-mail and password again."), "error")
    return redirect(url_for("auth.login"))


def _finish_login(user: User):
    pending = session.pop(PENDING_KEY, {})
    session.pop(ENROL_KEY, None)
    login_user(user, remember=pending.get("remember", False))
    session.pop("language", None)
    return pending.get("next") or landing_url(user)


@bp.before_app_request
def set_up_second_factor_first():
    """Staff who need the factor but have none (a new role, a reset by an admin) do nothing else first."""
    if request.endpoint in ALLOWED_WHILE_UNENROLLED or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    if not factor.needs_second_factor(user) or factor.is_enrolled(user):
        return None
    logout_user()
    flash(_("Your account needs a second factor. Set it up to continue."), "info")
    return start_pending_login(user, remember=False, next_url=None)


@bp.route("/login/second-factor", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    if user is None:
        return _expired()
    if not factor.is_enrolled(user):
        return redirect(url_for("auth.enrol_second_factor"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        try:
            used = factor.check_login(user, form.code.data)
        except DomainError as error:
            db.session.commit()  # keeps the failure count
            if user.locked_until:
                session.pop(PENDING_KEY, None)
                flash(error.message, "error")
                return redirect(url_for("auth.login"))
            form.code.errors = [error.message]
        else:
            db.session.commit()
            target = _finish_login(user)
            if used == "recovery":
                flash(_("You used a recovery code; %(count)d are left. Set up the app again from your "
                        "settings if your phone is lost.", count=factor.recovery_codes_left(user)),
                      "info")
            return redirect(target)
    return render_template("auth/second_factor.html", form=form, user=user)


def _enrolling_user() -> tuple[User | None, bool]:
    """Who is setting up: a pending login (not logged in yet), or a logged-in staff member."""
    if current_user.is_authenticated:
        if not current_user.is_staff:
            abort(404)
        return current_user._get_current_object(), False
    return _pending_user(), True


@bp.route("/login/second-factor/setup", methods=["GET", "POST"])
def enrol_second_factor():
    user, pending = _enrolling_user()
    if user is None:
        return _expired()
    if pending and factor.is_enrolled(user):
        return redirect(url_for("auth.second_factor"))
    secret = factor.open_pending_secret(user, session.get(ENROL_KEY))
    if secret is None:
        secret = factor.new_secret()
        session[ENROL_KEY] = factor.seal_pending_secret(user, secret)
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            codes = factor.enrol(user, secret, form.code.data)
        except DomainError as error:
            db.session.rollback()
            form.code.errors = [error.message]
        else:
            db.session.commit()
            target = _finish_login(user) if pending else url_for("auth.manage_second_factor")
            session.pop(ENROL_KEY, None)
            return _show_recovery_codes(codes, target, first_time=True)
    uri = factor.provisioning_uri(user, secret)
    return render_template("auth/enrol_second_factor.html", form=form, user=user, pending=pending,
                           qr=factor.qr_svg(uri, title=_("QR code to scan with your authenticator app")),
                           secret=factor.format_secret(secret), uri=uri)


def _show_recovery_codes(codes: list[str], continue_url: str, *, first_time: bool):
    response = render_template("auth/recovery_codes.html", codes=codes, continue_url=continue_url,
                               first_time=first_time)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/account/second-factor")
@login_required
def manage_second_factor():
    if not current_user.is_staff:
        abort(404)
    user = current_user._get_current_object()
    return render_template("auth/second_factor_settings.html", user=user,
                           enrolled=factor.is_enrolled(user),
                           required=factor.needs_second_factor(user),
                           codes_left=factor.recovery_codes_left(user),
                           codes_form=AppCodeForm(prefix="codes"), off_form=AppCodeForm(prefix="off"))


@bp.route("/account/second-factor/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes():
    if not current_user.is_staff or not factor.is_enrolled(current_user):
        abort(404)
    form = AppCodeForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = factor.new_recovery_codes(current_user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            return _show_recovery_codes(codes, url_for("auth.manage_second_factor"), first_time=False)
    else:
        flash(_("Enter the code your app shows now."), "error")
    return redirect(url_for("auth.manage_second_factor"))


@bp.route("/account/second-factor/off", methods=["POST"])
@login_required
def turn_off_second_factor():
    if not current_user.is_staff or not factor.is_enrolled(current_user):
        abort(404)
    form = AppCodeForm(prefix="off")
    if form.validate_on_submit():
        try:
            factor.disable_own(current_user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The second factor is turned off."), "success")
    else:
        flash(_("Enter the code your app shows now."), "error")
    return redirect(url_for("auth.manage_second_factor"))
