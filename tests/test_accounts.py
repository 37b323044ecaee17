"""Registration, confirmation, login lock-out, colleagues and rights: the domain rules."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import accounts
from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Company, LoginFailure, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.both_databases


def company_data(**overrides):
    data = dict(legal_name="Acme Sp. z o.o.", tax_id="pl1234567890", country="PL", region="Pomorskie",
                industry="logistics", size_band="10-49", street="ul. Długa 1", postcode="80-001",
                city="Gdańsk", phone="")
    return {**data, **overrides}


def user_data(**overrides):
    return {"name": "Olga", "email": "Olga@Acme.example", "password": PASSWORD, **overrides}


def test_registration_creates_company_with_a_first_user_holding_every_right(app):
    user = accounts.register_company(company=company_data(), user=user_data())
    db.session.commit()
    assert user.email == "olga@acme.example"
    assert user.company.tax_id == "PL1234567890"
    assert all(getattr(user, right) for right in accounts.RIGHTS)
    assert not user.is_confirmed
    assert [a.is_default for a in user.company.return_addresses] == [True]
    assert user.invoice_profile.company is user.company
    assert user.password_hash != PASSWORD and user.password_hash.startswith("scrypt")


@pytest.mark.parametrize("field, company, user", [
    ("email", {"tax_id": "PL999"}, {"email": "olga@acme.example"}),
    ("tax_id", {"tax_id": " PL1234567890 "}, {"email": "other@acme.example"}),
])
def test_duplicate_email_or_tax_id_is_refused_on_its_field(app, field, company, user):
    accounts.register_company(company=company_data(), user=user_data())
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        accounts.register_company(company=company_data(**company), user=user_data(**user))
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Company)) == 1


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "aaaaaaaaaaaa", "olga-secret-x1"])
def test_weak_passwords_are_refused(app, password):
    assert accounts.password_problem(password, "olga@acme.example") is not None


def test_a_good_password_passes(app):
    assert accounts.password_problem("blue-tractor-42", "olga@acme.example") is None


def test_unconfirmed_user_cannot_log_in_until_the_link_is_opened(app):
    user = accounts.register_company(company=company_data(), user=user_data())
    db.session.commit()
    with pytest.raises(accounts.LoginRefused) as refused:
        accounts.authenticate("olga@acme.example", PASSWORD)
    assert refused.value.unconfirmed_user == user
    accounts.confirm_email(accounts.make_token("confirm", user))
    assert accounts.authenticate("OLGA@acme.example ", PASSWORD) == user


def test_confirmation_link_expires_after_48_hours(app, monkeypatch):
    user = accounts.register_company(company=company_data(), user=user_data())
    db.session.commit()
    token = accounts.make_token("confirm", user)
    app.config["CONFIRMATION_MAX_AGE"] = -1  # as if 48 hours had passed
    with pytest.raises(DomainError, match="expired"):
        accounts.confirm_email(token)
    assert not user.is_confirmed


def test_five_failures_lock_the_account_for_fifteen_minutes(app, make_company):
    user = make_company()
    for _ in range(5):
        with pytest.raises(accounts.LoginRefused, match="wrong"):
            accounts.authenticate(user.email, "not-the-password")
    db.session.commit()
    with pytest.raises(accounts.LoginRefused, match="locked"):
        accounts.authenticate(user.email, PASSWORD)  # even the right password
    assert user.locked_until - utcnow() > timedelta(minutes=14)
    user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
    assert accounts.authenticate(user.email, PASSWORD) == user


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(app, make_company):
    user = make_company()
    for _ in range(4):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(user.email, "nope-nope-nope")
    for failure in db.session.scalars(select(LoginFailure)):
        failure.failed_at -= timedelta(minutes=16)
    with pytest.raises(accounts.LoginRefused, match="wrong"):
        accounts.authenticate(user.email, "nope-nope-nope")
    assert accounts.authenticate(user.email, PASSWORD) == user


def test_deactivated_user_cannot_log_in(app, make_company, make_user):
    admin = make_company()
    colleague = make_user(admin.company, active=False)
    with pytest.raises(accounts.LoginRefused, match="deactivated"):
        accounts.authenticate(colleague.email, PASSWORD)


def test_reset_link_sets_a_new_password_once(app, make_company):
    user = make_company()
    token = accounts.make_token("reset", user)
    accounts.reset_password(token, "new-blue-tractor")
    assert accounts.authenticate(user.email, "new-blue-tractor") == user
    with pytest.raises(DomainError, match="already been used"):
        accounts.reset_password(token, "another-tractor-9")


def test_invited_colleague_sets_own_password_and_has_only_ticked_rights(app, make_company):
    admin = make_company()
    colleague = accounts.invite_colleague(admin.company, actor=admin, name="Jan", email="jan@acme.example",
                                          rights={"can_see_invoices": True})
    assert colleague.password_hash is None
    accounts.accept_invitation(accounts.make_token("invite", colleague), "jan-sets-this-1")
    assert accounts.authenticate("jan@acme.example", "jan-sets-this-1") == colleague
    assert colleague.can_see_invoices and not colleague.can_manage_users
    assert not colleague.can_see_colleagues_orders


def test_the_last_user_manager_keeps_the_right_and_stays_active(app, make_company, make_user):
    admin = make_company()
    with pytest.raises(DomainError, match="only one who can manage users"):
        accounts.update_colleague(admin, actor=admin, rights={}, invoice_profile=None)
    with pytest.raises(DomainError, match="cannot be deactivated"):
        accounts.deactivate_colleague(admin, actor=admin)
    second = make_user(admin.company, rights=("can_manage_users",))
    accounts.update_colleague(admin, actor=admin, rights={}, invoice_profile=None)
    assert not admin.can_manage_users
    with pytest.raises(DomainError):
        accounts.deactivate_colleague(second, actor=second)


def test_a_deactivated_manager_does_not_count_as_another_manager(app, make_company, make_user):
    admin = make_company()
    make_user(admin.company, rights=("can_manage_users",), active=False)
    with pytest.raises(DomainError):
        accounts.deactivate_colleague(admin, actor=admin)


def test_invoice_profile_of_another_company_is_refused(app, make_company):
    first, second = make_company(), make_company()
    with pytest.raises(DomainError):
        accounts.update_colleague(first, actor=first, rights={"can_manage_users": True},
                                  invoice_profile=second.company.invoice_profiles[0])


def test_users_are_stored_with_utc_times(app, make_company):
    user = make_company()
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.created_at.tzinfo is not None
    assert abs((utcnow() - stored.created_at).total_seconds()) < 60
