"""The staff's second factor: an authenticator app (TOTP) with one-time recovery codes.

Admins and account managers always need it (acting for customers and invoices are powerful);
with SECOND_FACTOR_FOR_ALL_STAFF every staff member does. Customers are never asked.

The authenticator's secret is kept encrypted (Fernet, a key derived from SECRET_KEY) together
with the last time step a code was accepted for, so a code seen once cannot be used again
within its window: `verify` swaps the stored blob with a conditional UPDATE, and of two
requests racing with the same code only one wins. Recovery codes are kept as keyed hashes
and each is spent by a conditional UPDATE too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal import accounts
from portal.dbbase import utcnow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import RecoveryCode, Role, User

RECOVERY_CODE_COUNT = 10
#: 30-second steps; a code of the step before or after the current one is accepted as well
STEP_SECONDS = 30
VALID_WINDOW = 1
#: Recovery codes: 10 characters from an alphabet without look-alikes (0/o, 1/l/i), about 50 bits
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

ROLES_THAT_NEED_IT = (Role.ADMIN, Role.ACCOUNT_MANAGER)


class CodeRefused(DomainError):
    """A wrong, reused or expired code; it counts toward the login lock."""


# -- who needs it ------------------------------------------------------------------

def needs_second_factor(user: User) -> bool:
    """Admins and account managers always; every staff member when the setting says so."""
    if not user.is_staff:
        return False
    return current_app.config.get("SECOND_FACTOR_FOR_ALL_STAFF", False) or user.has_role(*ROLES_THAT_NEED_IT)


def is_enrolled(user: User) -> bool:
    return user.is_staff and user.totp_enabled_at is not None and user.totp_secret_encrypted is not None


def asks_at_login(user: User) -> bool:
    """Staff who need the factor, and staff who set it up without having to, are asked after the password."""
    return needs_second_factor(user) or is_enrolled(user)


# -- the secret ----------------------------------------------------------------------

def _fernet() -> Fernet:
    digest = hashlib.sha256(b"portal-second-factor:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _seal(secret: str, last_step: int | None) -> bytes:
    return _fernet().encrypt(json.dumps({"secret": secret, "last_step": last_step}).encode())


def _unseal(blob: bytes) -> tuple[str, int | None]:
    data = json.loads(_fernet().decrypt(blob))
    return data["secret"], data.get("last_step")


def new_secret() -> str:
    return pyotp.random_base32()


def seal_pending_secret(user: User, secret: str) -> str:
    """The secret being set up, encrypted for the session cookie (bound to the user)."""
    return _fernet().encrypt(json.dumps({"user": user.id, "secret": secret}).encode()).decode()


def open_pending_secret(user: User, token: str | None) -> str | None:
    if not token:
        return None
    try:
        data = json.loads(_fernet().decrypt(token.encode(), ttl=3600))
    except (InvalidToken, ValueError):
        return None
    return data["secret"] if data.get("user") == user.id else None


def provisioning_uri(user: User, secret: str) -> str:
    issuer = current_app.config.get("DEPOT_NAME") or "Depot portal"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str, title: str = "") -> Markup:
    """The otpauth URI as inline SVG markup (no script, no style: fits the CSP)."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=5, border=2, dark="#000", light="#fff", title=title or None,
                        svgclass="qr-code", lineclass=None, omitsize=True)
    return Markup(svg)  # noqa: S704 (made here from segno's output, never from user input)


def format_secret(secret: str) -> str:
    """Groups of four for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _now_step() -> int:
    return int(time.time()) // STEP_SECONDS


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The step within the window whose code this is, newer than `after`; None if none."""
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = _now_step()
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _swap_blob(user: User, old: bytes | None, new: bytes) -> bool:
    """Store `new` only if the row still holds `old`: the compare-and-set that stops reuse."""
    condition = (User.totp_secret_encrypted == old) if old is not None else User.totp_secret_encrypted.is_(None)
    result = db.session.execute(
        update(User).where(User.id == user.id, condition).values(totp_secret_encrypted=new)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(user, "totp_secret_encrypted", new)
    return True


# -- enrolment -----------------------------------------------------------------------

def enrol(user: User, secret: str, code: str) -> list[str]:
    """Turn the authenticator on once it has shown a valid code; returns fresh recovery codes
    (shown once: only their hashes are kept). Setting up again replaces the old app and codes."""
    if not user.is_staff:
        raise NotAllowed(str(_l("Only depot staff sign in with a second factor.")))
    step = _matching_step(secret, _normalise(code), None)
    if step is None:
        raise CodeRefused(str(_l("This code does not match. Check the clock of your phone and enter the "
                                 "code the app shows now.")), field="code")
    # The confirming code is spent: it cannot also be used to log in.
    user.totp_secret_encrypted = _seal(secret, step)
    user.totp_enabled_at = utcnow()
    return _replace_recovery_codes(user)


def enrol_known_secret(user: User, secret: str, *, new_recovery_codes: bool = True) -> list[str]:
    """Turn the factor on with a secret set elsewhere, without a confirming code: for the demo
    depot (whose secret is printed beside its logins) and for tests. Returns fresh recovery codes
    (none when asked to keep the ones there are)."""
    if not user.is_staff:
        raise NotAllowed(str(_l("Only depot staff sign in with a second factor.")))
    pyotp.TOTP(secret).now()  # a malformed secret fails here, not at the first login
    user.totp_secret_encrypted = _seal(secret, None)
    user.totp_enabled_at = user.totp_enabled_at or utcnow()
    return _replace_recovery_codes(user) if new_recovery_codes else []


def last_used_step(user: User) -> int | None:
    """The time step of the last code accepted (codes of it and older ones are refused)."""
    if not is_enrolled(user):
        return None
    try:
        return _unseal(user.totp_secret_encrypted)[1]
    except (InvalidToken, ValueError, KeyError):
        return None


def now_step() -> int:
    return _now_step()


def disable(user: User, *, actor: User) -> None:
    """An admin turns another staff member's second factor off; if they need it, they set it up
    again at their next login (a lost phone). Nobody turns off their own this way."""
    if not actor.has_role(Role.ADMIN):
        raise NotAllowed(str(_l("Only an admin can reset a second factor.")))
    if actor.id == user.id:
        raise NotAllowed(str(_l("You cannot reset your own second factor here; set it up again "
                                "from your settings.")))
    if not user.is_staff:
        raise NotAllowed(str(_l("Customers do not use a second factor.")))
    _turn_off(user)


def disable_own(user: User, code: str) -> None:
    """Staff who do not need the factor may turn it off with a valid code."""
    if needs_second_factor(user):
        raise NotAllowed(str(_l("Your role needs the second factor; you can set it up again but not turn it off.")))
    verify_code(user, code)
    _turn_off(user)


def _turn_off(user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# -- recovery codes --------------------------------------------------------------------

def _code_hash(code: str) -> str:
    key = hashlib.sha256(b"portal-recovery-codes:" + current_app.config["SECRET_KEY"].encode()).digest()
    return "hmac-sha256$" + hmac.new(key, _normalise(code).encode(), hashlib.sha256).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_code_hash(code)) for code in codes)
    db.session.flush()
    return codes


def new_recovery_codes(user: User, code: str) -> list[str]:
    """A fresh set of recovery codes (the old ones stop working), after a valid authenticator code."""
    verify_code(user, code)
    return _replace_recovery_codes(user)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def _spend_recovery_code(user: User, code: str) -> bool:
    result = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# -- checking a code -------------------------------------------------------------------

def verify(user: User, code: str) -> bool:
    """True for a code of the user's authenticator within one step either side of now that is
    newer than the last one accepted; the step is remembered, so the same code works once."""
    if not is_enrolled(user):
        return False
    blob = user.totp_secret_encrypted
    try:
        secret, last_step = _unseal(blob)
    except (InvalidToken, ValueError, KeyError):
        return False
    step = _matching_step(secret, _normalise(code), last_step)
    if step is None:
        return False
    return _swap_blob(user, blob, _seal(secret, step))


def verify_code(user: User, code: str) -> None:
    """Like `verify`, for a logged-in user's own settings: raises CodeRefused when wrong."""
    if not verify(user, code):
        raise CodeRefused(str(_l("This code is not valid. Enter the code your app shows now.")), field="code")


def check_login(user: User, code: str) -> str:
    """The second step of a login: an authenticator code or an unused recovery code.

    Returns "app" or "recovery". A wrong code counts as a failed login (the lock after repeated
    failures covers both steps); a locked account is refused before the code is looked at.
    """
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise CodeRefused(str(_l(
            "Too many failed logins. This account is locked; try again in %(minutes)d minutes "
            "or reset your password.", minutes=minutes)))
    normalised = _normalise(code)
    if normalised.isdigit() and verify(user, normalised):
        return "app"
    if len(normalised) == 10 and not normalised.isdigit() and _spend_recovery_code(user, normalised):
        return "recovery"
    accounts.record_failure(user, now)
    if user.locked_until and user.locked_until > now:
        raise CodeRefused(str(_l(
            "Too many failed logins. This account is locked; try again in %(minutes)d minutes "
            "or reset your password.", minutes=current_app.config["LOGIN_LOCK_MINUTES"])))
    raise CodeRefused(str(_l("This code is not valid. Enter the code your app shows now, "
                             "or one of your recovery codes.")), field="code")


def current_code(secret: str, *, step: int | None = None) -> str:
    """The code an authenticator shows for a step (now by default): for the demo and the tests."""
    step = _now_step() if step is None else step
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)
