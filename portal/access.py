"""Who may open what: role checks for blueprints and loaders scoped to the current user."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, url_for
from flask_login import current_user

from portal.extensions import db, login_manager
from portal.models import Role, User

#: The page each staff role lands on after login, first match wins.
ROLE_LANDING = (
    (Role.ADMIN, "admin.index"),
    (Role.ACCOUNT_MANAGER, "admin.desk"),
    (Role.CUSTOMER_CARE, "admin.companies"),
)


def landing_url(user: User) -> str:
    if not user.is_staff:
        return url_for("customer.home")
    for role, endpoint in ROLE_LANDING:
        if user.has_role(role):
            return url_for(endpoint)
    return url_for("depot.index")


def safe_next(target: str | None) -> str | None:
    """A `next` URL only when it stays on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def require_customer():
    """Use as `return require_customer()` in before_request: strangers go to the login page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.is_staff:
        abort(403)
    return None


def require_staff(*roles: Role):
    """Staff only; with roles, only staff who hold one of them. Use as `return require_staff()`."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)
    if roles and not current_user.has_role(*roles):
        abort(403)
    return None


def colleague_for(user: User, colleague_id: int) -> User:
    """A user of the same company, else 404 (never a hint that the id exists elsewhere)."""
    colleague = db.session.get(User, colleague_id)
    if colleague is None or colleague.company_id != user.company_id:
        abort(404)
    return colleague


def owned_by_company(user: User, obj):
    """An object with a company_id that belongs to the user's company, else 404."""
    if obj is None or obj.company_id != user.company_id:
        abort(404)
    return obj

