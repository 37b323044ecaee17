"""The second factor's rules: who needs it, enrolment, codes within their window once, recovery codes once."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from portal import second_factor
from portal.errors import DomainError
from portal.extensions import db
from portal.models import LoginFailure, RecoveryCode, Role
from tests.conftest import TOTP_SECRET


def code_at(step_offset: int, secret: str = TOTP_SECRET) -> str:
    return second_factor.current_code(secret, step=second_factor._now_step() + step_offset)


@pytest.mark.parametrize("roles, needs", [
    ((Role.ADMIN,), True), ((Role.ACCOUNT_MANAGER,), True), ((Role.TECHNICIAN, Role.ADMIN), True),
    ((Role.TECHNICIAN,), False), ((Role.CUSTOMER_CARE,), False), ((Role.RECEIVING,), False),
])
def test_admins_and_account_managers_need_it(make_staff, roles, needs):
    assert second_factor.needs_second_factor(make_staff(*roles)) is needs


def test_a_setting_asks_it_of_all_staff_but_never_of_customers(app, make_staff, make_company):
    app.config["SECOND_FACTOR_FOR_ALL_STAFF"] = True
    assert second_factor.needs_second_factor(make_staff(Role.RECEIVING, with_second_factor=False))
    assert not second_factor.needs_second_factor(make_company())


def test_enrolment_needs_a_valid_first_code_and_gives_ten_hashed_recovery_codes(make_staff):
    admin = make_staff(Role.ADMIN, with_second_factor=False)
    secret = second_factor.new_secret()
    with pytest.raises(DomainError):
        second_factor.enrol(admin, secret, "123456" if code_at(0, secret) != "123456" else "654321")
    assert not second_factor.is_enrolled(admin)

    codes = second_factor.enrol(admin, secret, code_at(0, secret))
    db.session.commit()
    assert second_factor.is_enrolled(admin)
    assert len(codes) == len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert secret.encode() not in admin.totp_secret_encrypted
    # the confirming code is spent: it does not log in a second time
    assert not second_factor.verify(admin, code_at(0, secret))


def test_the_qr_code_is_inline_svg_of_the_provisioning_uri(app, make_staff):
    admin = make_staff(Role.ADMIN, with_second_factor=False)
    uri = second_factor.provisioning_uri(admin, TOTP_SECRET)
    assert uri.startswith("otpauth://totp/") and TOTP_SECRET in uri
    svg = str(second_factor.qr_svg(uri, title="QR"))
    assert svg.startswith("<svg") and "<title>QR</title>" in svg and "<script" not in svg and "style=" not in svg


def test_a_code_is_accepted_one_step_either_side_and_only_once(make_staff, monkeypatch):
    step = second_factor._now_step()
    monkeypatch.setattr(second_factor, "_now_step", lambda: step)  # no step boundary mid-test
    admin = make_staff(Role.ADMIN)  # set up with TOTP_SECRET, no code used yet
    assert not second_factor.verify(admin, code_at(-2))
    assert not second_factor.verify(admin, code_at(2))
    assert second_factor.verify(admin, code_at(-1))
    assert not second_factor.verify(admin, code_at(-1)), "the same code twice"
    assert second_factor.verify(admin, code_at(0))
    assert not second_factor.verify(admin, code_at(-1)), "an older code after a newer one"
    assert second_factor.verify(admin, code_at(1))
    assert not second_factor.verify(admin, code_at(0))


def test_the_last_used_step_is_kept_in_the_database_not_the_session(make_staff):
    admin = make_staff(Role.ADMIN)
    code = code_at(0)
    assert second_factor.verify(admin, code)
    db.session.commit()
    db.session.expire_all()  # another process, another session: same answer
    assert not second_factor.verify(admin, code)


def test_a_stale_copy_of_the_user_cannot_reuse_a_code(make_staff):
    """Two requests with the same code: the conditional update lets only one through."""
    admin = make_staff(Role.ADMIN)
    stale_blob = admin.totp_secret_encrypted
    code = code_at(0)
    assert second_factor.verify(admin, code)
    # the second request read the row before the first one wrote it
    from sqlalchemy.orm.attributes import set_committed_value
    set_committed_value(admin, "totp_secret_encrypted", stale_blob)
    assert not second_factor.verify(admin, code)


def test_recovery_codes_work_once_each(make_staff):
    admin = make_staff(Role.ADMIN, with_second_factor=False)
    codes = second_factor.enrol_known_secret(admin, TOTP_SECRET)
    db.session.commit()
    assert second_factor.check_login(admin, codes[0].upper()) == "recovery"
    assert second_factor.recovery_codes_left(admin) == 9
    with pytest.raises(DomainError):
        second_factor.check_login(admin, codes[0])
    assert second_factor.check_login(admin, codes[1].replace("-", " ")) == "recovery"


def test_wrong_codes_count_toward_the_login_lock(app, make_staff):
    admin = make_staff(Role.ADMIN)
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"] - 1):
        with pytest.raises(DomainError, match="not valid"):
            second_factor.check_login(admin, "000000" if code_at(0) != "000000" else "111111")
    with pytest.raises(DomainError, match="locked"):
        second_factor.check_login(admin, "abcde-fghjk")
    assert admin.locked_until is not None
    assert db.session.scalar(select(db.func.count()).select_from(LoginFailure)) == app.config["LOGIN_FAILURE_LIMIT"]
    # locked: even the right code is refused now
    with pytest.raises(DomainError, match="locked"):
        second_factor.check_login(admin, code_at(0))


def test_new_recovery_codes_replace_the_old_ones(make_staff):
    admin = make_staff(Role.ADMIN, with_second_factor=False)
    old = second_factor.enrol_known_secret(admin, TOTP_SECRET)
    new = second_factor.new_recovery_codes(admin, code_at(0))
    assert not set(old) & set(new)
    with pytest.raises(DomainError):
        second_factor.check_login(admin, old[0])
    assert second_factor.check_login(admin, new[0]) == "recovery"


def test_an_admin_resets_another_staff_members_factor_but_not_their_own(make_staff):
    admin, manager = make_staff(Role.ADMIN), make_staff(Role.ACCOUNT_MANAGER)
    second_factor.disable(manager, actor=admin)
    db.session.commit()
    assert not second_factor.is_enrolled(manager)
    assert second_factor.recovery_codes_left(manager) == 0
    with pytest.raises(DomainError):
        second_factor.disable(admin, actor=admin)
    with pytest.raises(DomainError):
        second_factor.disable(admin, actor=make_staff(Role.ACCOUNT_MANAGER))


def test_only_staff_who_do_not_need_it_may_turn_it_off(make_staff):
    admin = make_staff(Role.ADMIN)
    with pytest.raises(DomainError):
        second_factor.disable_own(admin, code_at(0))
    technician = make_staff(Role.TECHNICIAN, with_second_factor=True)
    second_factor.disable_own(technician, code_at(0))
    assert not second_factor.is_enrolled(technician)


def test_the_secret_is_compatible_with_authenticator_apps(make_staff):
    admin = make_staff(Role.ADMIN)
    assert second_factor.verify(admin, pyotp.TOTP(TOTP_SECRET).now())
