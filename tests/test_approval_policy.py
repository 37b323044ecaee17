"""The approval policy: who approves, the purchase-order number, automatic approval; the page and the rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import approval_policy, quotes
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import Decision, DeviceStatus, company_approvers
from tests.quotes_helpers import send_quote

SEES = ("can_see_colleagues_orders",)


def approver_ids(company) -> set[int]:
    return set(db.session.scalars(select(company_approvers.c.user_id)
                                  .where(company_approvers.c.company_id == company.id)))


def test_the_default_is_anyone_who_may_see_the_order(make_company):
    admin = make_company()
    policy = approval_policy.policy_of(admin.company)
    assert not policy.named_only and not policy.po_required and policy.auto_limit is None
    assert policy.approver_ids == frozenset()


def test_saving_named_approvers_a_purchase_order_number_and_a_limit(make_company, make_user):
    admin = make_company()
    approver = make_user(admin.company, rights=SEES)
    approval_policy.save_policy(admin.company, named_only=True, approver_ids=[str(approver.id)], po_required=True,
                                auto_limit="150,50", actor=admin)
    db.session.commit()
    company = admin.company
    assert company.approval_named_only and company.approval_po_required
    assert company.auto_approve_limit == Decimal("150.50")
    assert approver_ids(company) == {approver.id}
    # saved again without him: the list is replaced, not added to
    approval_policy.save_policy(company, named_only=False, approver_ids=[admin.id], po_required=False, auto_limit="",
                                actor=admin)
    assert approver_ids(company) == {admin.id} and company.auto_approve_limit is None


@pytest.mark.parametrize("limit, message", [
    ("abc", "is not an amount"), ("-5", "more than 0"), ("0", "more than 0"), ("1.005", "in cents"),
    ("99999999", "at most"), ("NaN", "more than 0"),
])
def test_a_bad_limit_is_refused_and_changes_nothing(make_company, limit, message):
    admin = make_company()
    with pytest.raises(DomainError, match=message) as refused:
        approval_policy.save_policy(admin.company, named_only=False, approver_ids=[], po_required=True,
                                    auto_limit=limit, actor=admin)
    assert refused.value.field == "auto_limit"
    db.session.rollback()
    assert not admin.company.approval_po_required


def test_named_approvers_must_be_active_users_of_the_company_who_see_orders(make_company, make_user):
    admin = make_company()
    blind = make_user(admin.company, name="Blind Bob")
    inactive = make_user(admin.company, rights=SEES, active=False)
    stranger = make_company()
    for user_id, message in [(blind.id, "Blind Bob cannot approve"), (inactive.id, "cannot approve"),
                             (stranger.id, "Choose approvers from the list"), ("x", "Choose approvers")]:
        with pytest.raises(DomainError, match=message):
            approval_policy.save_policy(admin.company, named_only=True, approver_ids=[user_id], po_required=False,
                                        auto_limit="", actor=admin)
        db.session.rollback()
    with pytest.raises(DomainError, match="Name at least one approver"):
        approval_policy.save_policy(admin.company, named_only=True, approver_ids=[], po_required=False,
                                    auto_limit="", actor=admin)
    db.session.rollback()
    assert approver_ids(admin.company) == set() and not admin.company.approval_named_only


def test_only_users_who_manage_the_company_set_it(make_company, make_user, make_staff):
    admin = make_company()
    clerk = make_user(admin.company, rights=SEES)
    for actor in (clerk, make_company(), make_staff(quotes.Role.ACCOUNT_MANAGER)):
        with pytest.raises(NotAllowed):
            approval_policy.save_policy(admin.company, named_only=False, approver_ids=[], po_required=True,
                                        auto_limit="", actor=actor)
    assert not admin.company.approval_po_required


def test_named_approvers_get_the_quotes_instead_of_the_order_creator(make_company, make_user, make_order):
    admin = make_company()
    editor = make_user(admin.company, rights=("can_edit_all_orders",))
    named = make_user(admin.company, rights=SEES)
    order = make_order(admin)
    assert {u.id for u in quotes.approvers(order)} == {admin.id, editor.id}
    approval_policy.save_policy(admin.company, named_only=True, approver_ids=[named.id], po_required=False,
                                auto_limit="", actor=admin)
    assert [u.id for u in quotes.approvers(order)] == [named.id]
    assert quotes.is_approver(named, order) and not quotes.is_approver(admin, order)


def test_the_limit_approves_the_required_repair_automatically(make_company, make_order):
    admin = make_company()
    approval_policy.save_policy(admin.company, named_only=False, approver_ids=[], po_required=False,
                                auto_limit="250", actor=admin)
    db.session.commit()
    order = make_order(admin, devices=1)
    quote = send_quote(order.devices[0])  # required: 210.33 with tax
    assert quote.decision == Decision.AUTOMATIC and order.devices[0].status == DeviceStatus.REPAIR


# -- the page ------------------------------------------------------------------------------------

def test_the_page_saves_the_policy(client, login, make_company, make_user):
    admin = make_company()
    named = make_user(admin.company, name="Nina Named", rights=SEES)
    make_user(admin.company, name="Nobody Sees")
    login(admin)
    page = client.get("/company/approval").get_data(as_text=True)
    assert "Nina Named" in page and "Nobody Sees" not in page
    response = client.post("/company/approval", data={"approval_mode": "named", "approvers": [str(named.id)],
                                                      "po_required": "y", "auto_limit": "99.90"})
    assert response.status_code == 302 and response.location.endswith("/company/approval")
    db.session.expire_all()
    assert admin.company.approval_named_only and admin.company.auto_approve_limit == Decimal("99.90")
    assert approver_ids(admin.company) == {named.id}
    page = client.get("/company/approval").get_data(as_text=True)
    assert 'value="99.90"' in page and "The approval policy is saved." in page


def test_the_page_shows_a_refusal_beside_its_field_and_changes_nothing(client, login, make_company):
    admin = make_company()
    login(admin)
    response = client.post("/company/approval", data={"approval_mode": "named", "auto_limit": "lots"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "“lots” is not an amount" in page
    response = client.post("/company/approval", data={"approval_mode": "named", "auto_limit": ""})
    assert "Name at least one approver" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not admin.company.approval_named_only


def test_users_without_the_right_get_403(client, login, make_company, make_user):
    admin = make_company()
    login(make_user(admin.company, rights=SEES))
    assert client.get("/company/approval").status_code == 403
    assert client.post("/company/approval", data={"approval_mode": "anyone", "po_required": "y"}).status_code == 403
    db.session.expire_all()
    assert not admin.company.approval_po_required
