"""Which account manager looks after a company: rules first, then round robin."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    AssignmentMethod,
    AssignmentRule,
    Company,
    ManagerAssignment,
    Role,
    StaffRole,
    User,
)
from portal.outbox import external_url, queue_mail

CRITERIA = ("country", "region", "industry", "size_band")


def active_managers() -> list[User]:
    return list(db.session.scalars(
        select(User).join(StaffRole)
        .where(StaffRole.role == Role.ACCOUNT_MANAGER, User.is_active_account.is_(True))
        .order_by(User.id)
    ))


def rule_matches(rule: AssignmentRule, company: Company) -> bool:
    """Every criterion the rule names must equal the company's (case aside); blank ones match all."""
    for criterion in CRITERIA:
        wanted = (getattr(rule, criterion) or "").strip().lower()
        if wanted and wanted != str(getattr(company, criterion) or "").strip().lower():
            return False
    return True


def _next_in_turn(candidates: list[User]) -> User:
    """The candidate whose latest assignment is the oldest (never assigned comes first)."""
    latest = dict(db.session.execute(
        select(ManagerAssignment.manager_id, func.max(ManagerAssignment.id))
        .where(ManagerAssignment.manager_id.in_([c.id for c in candidates]))
        .group_by(ManagerAssignment.manager_id)
    ).all())
    return min(candidates, key=lambda user: (latest.get(user.id, 0), user.id))


def pick_manager(company: Company) -> tuple[User | None, AssignmentRule | None]:
    managers = {user.id: user for user in active_managers()}
    rules = db.session.scalars(
        select(AssignmentRule).where(AssignmentRule.is_active.is_(True))
        .order_by(AssignmentRule.priority, AssignmentRule.id)
    )
    for rule in rules:
        candidates = [m for m in rule.managers if m.id in managers]
        if candidates and rule_matches(rule, company):
            return _next_in_turn(candidates), rule
    if managers:
        return _next_in_turn(list(managers.values())), None
    return None, None


def assign_manager(company: Company, manager: User, *, method: AssignmentMethod,
                   rule: AssignmentRule | None = None, actor: User | None = None,
                   note: str = "") -> ManagerAssignment:
    if not (manager.is_active_account and manager.has_role(Role.ACCOUNT_MANAGER)):
        raise DomainError(str(_l("%(name)s is not an active account manager.", name=manager.name)),
                          field="manager")
    company.account_manager = manager
    record = ManagerAssignment(company=company, manager=manager, method=method, rule=rule,
                               assigned_by=actor, note=note)
    db.session.add(record)
    db.session.flush()
    return record


def assign_new_company(company: Company) -> ManagerAssignment | None:
    """Give a new company its manager and tell customer care who it is."""
    manager, rule = pick_manager(company)
    record = None
    if manager is not None:
        method = AssignmentMethod.RULE if rule else AssignmentMethod.ROUND_ROBIN
        record = assign_manager(company, manager, method=method, rule=rule)
    queue_mail(
        current_app.config["CUSTOMER_CARE_EMAIL"],
        _l("New company registered: %(name)s", name=company.legal_name),
        "new_company",
        company=company, manager=manager, rule=rule,
        link=external_url("admin.company", company_id=company.id),
    )
    return record


def reassign_by_hand(company: Company, manager: User, *, actor: User, note: str = "") -> ManagerAssignment:
    if company.account_manager_id == manager.id:
        raise DomainError(str(_l("%(name)s already manages this company.", name=manager.name)),
                          field="manager")
    return assign_manager(company, manager, method=AssignmentMethod.HAND, actor=actor, note=note)


def save_rule(data: dict, managers: list[User], *, rule: AssignmentRule | None = None) -> AssignmentRule:
    if not managers:
        raise DomainError(str(_l("Choose at least one account manager for the rule.")), field="managers")
    if rule is None:
        rule = AssignmentRule()
        db.session.add(rule)
    for name, value in data.items():
        setattr(rule, name, value.strip() if isinstance(value, str) else value)
    rule.managers = managers
    db.session.flush()
    return rule
