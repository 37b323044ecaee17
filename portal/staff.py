"""Depot staff accounts and their roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal import accounts
from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Role, StaffRole, User


def create_staff(*, email: str, name: str, roles: list[Role], password: str | None = None,
                 actor: User | None = None) -> User:
    """A staff member; without a password they get an invitation to set their own."""
    if not roles:
        raise DomainError(str(_l("Give the staff member at least one role.")), field="roles")
    email = accounts.normalise_email(email)
    if accounts.email_taken(email):
        raise DomainError(str(_l("An account with this e-mail already exists.")), field="email")
    user = User(email=email, name=name.strip(), confirmed_at=utcnow())
    user.roles = [StaffRole(role=Role(role)) for role in roles]
    db.session.add(user)
    if password:
        accounts.set_password(user, password)
    db.session.flush()
    if not password:
        accounts.send_invitation(user, inviter=actor or user)
    return user


def update_staff(user: User, *, name: str, roles: list[Role], is_active: bool, actor: User) -> None:
    if not roles:
        raise DomainError(str(_l("Give the staff member at least one role.")), field="roles")
    if user.id == actor.id and (Role.ADMIN not in roles or not is_active):
        raise DomainError(str(_l("You cannot take away your own admin role or deactivate yourself.")),
                          field="roles")
    user.name = name.strip()
    wanted = {Role(role) for role in roles}
    user.roles = [r for r in user.roles if r.role in wanted] + [
        StaffRole(role=role) for role in wanted - user.role_set
    ]
    user.is_active_account = is_active
