"""Company accounts: registration, confirmation, login, colleagues and their rights."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from portal import assignment
from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import RIGHTS, Company, InvoiceProfile, LoginFailure, ReturnAddress, User
from portal.outbox import external_url, queue_mail

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS = {
    "password", "password1", "password123", "1234567890", "qwertyuiop", "qwerty1234",
    "iloveyou12", "letmein123", "welcome123", "admin12345", "abcdefghij", "zaq12wsxcde",
}


class LoginRefused(DomainError):
    def __init__(self, message, *, unconfirmed_user: User | None = None):
        super().__init__(message)
        self.unconfirmed_user = unconfirmed_user


# -- passwords ---------------------------------------------------------------

def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is too weak, or None: long enough, not a common one, not the e-mail."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return str(_l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH))
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        return str(_l("This password is too easy to guess; choose another."))
    if password.isdigit():
        return str(_l("Use letters as well as digits."))
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        return str(_l("The password must not contain your e-mail address."))
    return None


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise DomainError(problem, field="password")
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_HASH_METHOD"])


# -- signed links ------------------------------------------------------------

def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal-{purpose}")


def _fingerprint(user: User) -> str:
    # A reset or invitation link dies once the password it was sent for changes.
    return (user.password_hash or "none")[-12:]


def make_token(purpose: str, user: User) -> str:
    return _serializer(purpose).dumps({"user": user.id, "fp": _fingerprint(user)})


def read_token(purpose: str, token: str, max_age: int) -> User:
    expired = _l("This link has expired. Ask for a new one.")
    invalid = _l("This link is not valid. Check that you copied all of it.")
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise DomainError(str(expired)) from error
    except BadSignature as error:
        raise DomainError(str(invalid)) from error
    user = db.session.get(User, data.get("user"))
    if user is None or data.get("fp") != _fingerprint(user):
        raise DomainError(str(_l("This link has already been used.")))
    return user


# -- registration ------------------------------------------------------------

def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None


def _new_company(company: dict, *, name: str, email: str, language: str | None,
                 taken_tax_id_message) -> User:
    """A company with its first user (every right), a default invoice profile and return address."""
    email = normalise_email(email)
    if email_taken(email):
        raise DomainError(str(_l("An account with this e-mail already exists.")), field="email")
    tax_id = company["tax_id"].strip().upper()
    if db.session.scalar(select(Company.id).where(Company.tax_id == tax_id)):
        raise DomainError(str(taken_tax_id_message), field="tax_id")
    new_company = Company(**{**company, "tax_id": tax_id})
    first_user = User(email=email, name=name.strip(), company=new_company, language=language,
                      **{right: True for right in RIGHTS})
    db.session.add_all([new_company, first_user])
    _add_default_profile_and_address(new_company, first_user)
    return first_user


def register_company(*, company: dict, user: dict, language: str | None = None) -> User:
    """A customer registers their company; mail asks them to confirm the address."""
    first_user = _new_company(
        company, name=user["name"], email=user["email"], language=language,
        taken_tax_id_message=_l("A company with this tax ID is already registered. Ask its users to invite you."))
    set_password(first_user, user["password"])
    db.session.flush()
    assignment.assign_new_company(first_user.company)
    send_confirmation(first_user)
    return first_user


def register_company_on_behalf(*, company: dict, name: str, email: str, actor: User) -> User:
    """Depot staff register a company; its first user sets a password from an invitation."""
    first_user = _new_company(company, name=name, email=email, language=actor.language,
                              taken_tax_id_message=_l("A company with this tax ID is already registered."))
    db.session.flush()
    assignment.assign_new_company(first_user.company)
    send_invitation(first_user, inviter=actor)
    return first_user


def _add_default_profile_and_address(company: Company, user: User) -> None:
    profile = InvoiceProfile(
        company=company, name=company.legal_name, tax_id=company.tax_id, street=company.street,
        postcode=company.postcode, city=company.city, country=company.country, invoice_email=user.email,
    )
    db.session.add(profile)
    user.invoice_profile = profile
    db.session.add(ReturnAddress(
        company=company, label=str(_l("Head office")), recipient=company.legal_name,
        street=company.street, postcode=company.postcode, city=company.city,
        country=company.country, phone=company.phone, is_default=True,
    ))


def send_confirmation(user: User) -> None:
    link = external_url("auth.confirm", token=make_token("confirm", user))
    queue_mail(user.email, _l("Confirm your e-mail address"), "confirm",
               language=user.language, user=user, link=link)


def resend_confirmation(email: str) -> None:
    """A new confirmation link, only for an address that still waits for one."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is not None and not user.is_confirmed and user.password_hash:
        send_confirmation(user)


def confirm_email(token: str) -> User:
    user = read_token("confirm", token, current_app.config["CONFIRMATION_MAX_AGE"])
    if user.confirmed_at is None:
        user.confirmed_at = utcnow()
    return user


# -- login -------------------------------------------------------------------

def authenticate(email: str, password: str) -> User:
    """The user behind these credentials; repeated failures lock the account for a while."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    wrong = _l("The e-mail or the password is wrong.")
    if user is None or user.password_hash is None:
        raise LoginRefused(str(wrong))
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(str(_l(
            "Too many failed logins. This account is locked; try again in %(minutes)d minutes "
            "or reset your password.", minutes=minutes)))
    if not check_password_hash(user.password_hash, password):
        record_failure(user, now)
        raise LoginRefused(str(wrong))
    if not user.is_active_account:
        raise LoginRefused(str(_l("This account has been deactivated. Ask your company's administrator.")))
    if not user.is_confirmed:
        raise LoginRefused(
            str(_l("Please confirm your e-mail address first: open the link we sent you.")),
            unconfirmed_user=user,
        )
    user.locked_until = None
    return user


def record_failure(user: User, now) -> None:
    config = current_app.config
    db.session.add(LoginFailure(user_id=user.id, failed_at=now))
    db.session.flush()
    window_start = now - timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    since = max(window_start, user.locked_until) if user.locked_until else window_start
    recent = db.session.scalar(
        select(func.count()).select_from(LoginFailure)
        .where(LoginFailure.user_id == user.id, LoginFailure.failed_at > since)
    )
    if recent >= config["LOGIN_FAILURE_LIMIT"]:
        user.locked_until = now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])


# -- password reset ----------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active user; say nothing either way."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active_account:
        return
    link = external_url("auth.reset_password", token=make_token("reset", user))
    queue_mail(user.email, _l("Reset your password"), "reset_password",
               language=user.language, user=user, link=link)


def reset_password(token: str, password: str) -> User:
    user = read_token("reset", token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    set_password(user, password)
    user.locked_until = None
    if user.confirmed_at is None:  # the link proves the address
        user.confirmed_at = utcnow()
    return user


# -- colleagues --------------------------------------------------------------

def invite_colleague(company: Company, *, actor: User, name: str, email: str,
                     rights: dict[str, bool], language: str | None = None) -> User:
    """A new user of the company, who sets their own password from the mailed link."""
    email = normalise_email(email)
    if email_taken(email):
        raise DomainError(str(_l("An account with this e-mail already exists.")), field="email")
    user = User(
        email=email, name=name.strip(), company=company, language=language or actor.language,
        invoice_profile=actor.invoice_profile,
        **{right: bool(rights.get(right)) for right in RIGHTS},
    )
    db.session.add(user)
    db.session.flush()
    send_invitation(user, inviter=actor)
    return user


def send_invitation(user: User, *, inviter: User) -> None:
    link = external_url("auth.accept_invitation", token=make_token("invite", user))
    queue_mail(user.email, _l("%(name)s invites you to the depot repair portal", name=inviter.name),
               "invitation", language=user.language, user=user, inviter=inviter, link=link)


def accept_invitation(token: str, password: str) -> User:
    user = read_token("invite", token, current_app.config["INVITATION_MAX_AGE"])
    set_password(user, password)
    user.confirmed_at = user.confirmed_at or utcnow()
    return user


def _other_user_managers(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.company_id == user.company_id, User.id != user.id,
            User.can_manage_users.is_(True), User.is_active_account.is_(True),
        )
    )


def update_colleague(user: User, *, actor: User, rights: dict[str, bool],
                     invoice_profile: InvoiceProfile | None) -> None:
    """Set a colleague's rights; a company never loses its last user manager."""
    if user.can_manage_users and not rights.get("can_manage_users") and not _other_user_managers(user):
        raise DomainError(str(_l(
            "%(name)s is the only one who can manage users; give this right to a colleague first.",
            name=user.name)), field="can_manage_users")
    for right in RIGHTS:
        setattr(user, right, bool(rights.get(right)))
    if invoice_profile is not None:
        if invoice_profile.company_id != user.company_id or invoice_profile.is_archived:
            raise DomainError(str(_l("Choose one of the company's invoice profiles.")),
                              field="invoice_profile")
        user.invoice_profile = invoice_profile


def deactivate_colleague(user: User, *, actor: User) -> None:
    if user.can_manage_users and not _other_user_managers(user):
        raise DomainError(str(_l(
            "%(name)s is the only one who can manage users and cannot be deactivated.", name=user.name)))
    user.is_active_account = False


def reactivate_colleague(user: User, *, actor: User) -> None:
    user.is_active_account = True
