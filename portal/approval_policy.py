"""A company's approval policy: who decides its quotes, whether a purchase-order number is
needed, and under which amount the required repair is approved without asking.

The policy is read where it applies (portal.quotes: who approves, the PO number, the automatic
approval when a quote is sent); this module only validates and saves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from portal import pricing
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import Company, User, company_approvers

#: The largest automatic-approval limit accepted (a typo guard, in the depot's currency)
MAX_AUTO_LIMIT = Decimal("100000.00")


@dataclass(frozen=True)
class Policy:
    named_only: bool
    approver_ids: frozenset[int]
    po_required: bool
    auto_limit: Decimal | None


def may_approve(user: User) -> bool:
    """A user who could be a named approver: active, and sees the orders of colleagues."""
    return (not user.is_staff and user.is_active_account
            and (user.can_see_colleagues_orders or user.can_edit_all_orders))


def eligible_approvers(company: Company) -> list[User]:
    return [user for user in company.users if may_approve(user)]


def policy_of(company: Company) -> Policy:
    ids = frozenset(db.session.scalars(select(company_approvers.c.user_id)
                                       .where(company_approvers.c.company_id == company.id)))
    return Policy(named_only=company.approval_named_only, approver_ids=ids, po_required=company.approval_po_required,
                  auto_limit=company.auto_approve_limit)


def parse_limit(value) -> Decimal | None:
    """An amount typed by a person ("150", "150,00", "1 500.50"); empty means no automatic approval."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        text = str(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise DomainError(_("“%(value)s” is not an amount: write it like 150.00, or leave it empty.",
                            value=str(value)[:20]), field="auto_limit") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AUTO_LIMIT or amount != amount.quantize(pricing.CENT):
        raise DomainError(_("The limit must be more than 0 and at most %(max)s, in cents at most.",
                            max=MAX_AUTO_LIMIT), field="auto_limit")
    return pricing.money(amount)


def save_policy(company: Company, *, named_only: bool, approver_ids, po_required: bool, auto_limit,
                actor: User) -> Policy:
    """Only a user of the company who manages its details sets the policy. Named approvers are
    active users of the company who see its orders; "named only" needs at least one of them.
    Refusals change nothing."""
    if actor.is_staff or actor.company_id != company.id or not actor.can_manage_company:
        raise NotAllowed(_("Only users who manage the company details may change the approval policy."))
    limit = parse_limit(auto_limit)
    try:
        wanted = {int(i) for i in approver_ids}
    except (TypeError, ValueError):
        raise DomainError(_("Choose approvers from the list."), field="approvers") from None
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}
    for user_id in sorted(wanted):
        user = users.get(user_id)
        if user is None or user.company_id != company.id:
            raise DomainError(_("Choose approvers from the list."), field="approvers")
        if not may_approve(user):
            raise DomainError(_("%(name)s cannot approve: an approver must be an active user who sees colleagues' "
                                "orders or edits all company orders.", name=user.name), field="approvers")
    if named_only and not wanted:
        raise DomainError(_("Name at least one approver, or let anyone who may see the order approve."),
                          field="approvers")
    company.approval_named_only = bool(named_only)
    company.approval_po_required = bool(po_required)
    company.auto_approve_limit = limit
    db.session.execute(delete(company_approvers).where(company_approvers.c.company_id == company.id))
    if wanted:
        db.session.execute(insert(company_approvers),
                           [{"company_id": company.id, "user_id": user_id} for user_id in sorted(wanted)])
    db.session.flush()
    return policy_of(company)
