"""Logging in with the second factor: a code, a recovery code once, wrong codes and the lock,
enrolment forced on admins, customers never asked."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal import second_factor
from portal.extensions import db
from portal.models import Role
from tests.conftest import PASSWORD, TOTP_SECRET


def password_step(client, user, **query):
    url = "/login" + (f"?next={query['next']}" if "next" in query else "")
    return client.post(url, data={"email": user.email, "password": PASSWORD})


def test_an_admin_logs_in_with_a_code_from_the_app(client, make_staff):
    admin = make_staff(Role.ADMIN)
    response = password_step(client, admin, next="/admin/staff")
    assert response.status_code == 302 and response.headers["Location"] == "/login/second-factor"
    # not logged in yet: the office is closed
    assert client.get("/admin/").status_code == 302
    page = client.get("/login/second-factor").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    response = client.post("/login/second-factor", data={"code": second_factor.current_code(TOTP_SECRET)})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/staff"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_logs_in_once(client, make_staff):
    manager = make_staff(Role.ACCOUNT_MANAGER, with_second_factor=False)
    codes = second_factor.enrol_known_secret(manager, TOTP_SECRET)
    db.session.commit()
    password_step(client, manager)
    response = client.post("/login/second-factor", data={"code": codes[3]}, follow_redirects=True)
    assert response.status_code == 200 and "9 are left" in response.get_data(as_text=True)
    client.post("/logout")
    password_step(client, manager)
    response = client.post("/login/second-factor", data={"code": codes[3]})
    assert response.status_code == 200 and "not valid" in response.get_data(as_text=True)
    assert client.get("/admin/companies").status_code == 302


def test_wrong_codes_count_toward_the_lock(app, client, make_staff):
    admin = make_staff(Role.ADMIN)
    right = second_factor.current_code(TOTP_SECRET)
    wrong = "000000" if right != "000000" else "111111"
    password_step(client, admin)
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"] - 1):
        response = client.post("/login/second-factor", data={"code": wrong})
        assert response.status_code == 200 and "not valid" in response.get_data(as_text=True)
    response = client.post("/login/second-factor", data={"code": wrong})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    db.session.refresh(admin)
    assert admin.locked_until is not None
    # the pending login is gone, and the password step is locked too
    assert client.post("/login/second-factor", data={"code": right}).headers["Location"] == "/login"
    page = password_step(client, admin).get_data(as_text=True)
    assert "locked" in page


def test_an_admin_without_the_factor_must_enrol_before_anything_else(client, make_staff):
    admin = make_staff(Role.ADMIN, with_second_factor=False)
    response = password_step(client, admin)
    assert response.headers["Location"] == "/login/second-factor/setup"
    assert client.get("/admin/").status_code == 302  # nothing else
    page = client.get("/login/second-factor/setup").get_data(as_text=True)
    assert "<svg" in page and "Set up the second factor" in page
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    # a reload shows the same secret (the app may have scanned it already)
    assert secret in client.get("/login/second-factor/setup").get_data(as_text=True).replace(" ", "")
    response = client.post("/login/second-factor/setup", data={"code": "12345"})
    assert response.status_code == 200 and not second_factor.is_enrolled(admin)
    response = client.post("/login/second-factor/setup", data={"code": second_factor.current_code(secret)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    assert second_factor.is_enrolled(admin)
    assert client.get("/admin/").status_code == 200  # logged in now


def test_staff_given_a_role_that_needs_it_enrol_at_their_next_request(client, login, make_staff):
    technician = make_staff(Role.TECHNICIAN)
    login(technician)
    assert client.get("/depot/").status_code == 200
    technician.roles[0].role = Role.ACCOUNT_MANAGER
    db.session.commit()
    response = client.get("/admin/companies")
    assert response.status_code == 302 and response.headers["Location"] == "/login/second-factor/setup"
    assert client.get("/admin/companies").status_code == 302


def test_customers_are_never_asked(client, make_company, app):
    app.config["SECOND_FACTOR_FOR_ALL_STAFF"] = True
    customer = make_company()
    response = password_step(client, customer)
    assert response.headers["Location"] == "/home"
    assert client.get("/login/second-factor/setup").status_code == 404


def test_technicians_are_asked_only_when_all_staff_need_it(app, client, make_staff):
    technician = make_staff(Role.TECHNICIAN)
    assert password_step(client, technician).headers["Location"] == "/depot/"
    client.post("/logout")
    app.config["SECOND_FACTOR_FOR_ALL_STAFF"] = True
    assert password_step(client, technician).headers["Location"] == "/login/second-factor/setup"


def test_a_pending_login_expires(client, make_staff):
    admin = make_staff(Role.ADMIN)
    password_step(client, admin)
    with client.session_transaction() as session:
        session["pending_login"] = {**session["pending_login"], "until": 0}
    response = client.post("/login/second-factor", data={"code": second_factor.current_code(TOTP_SECRET)})
    assert response.headers["Location"] == "/login"
    assert client.get("/admin/").status_code == 302


def test_an_admin_resets_a_managers_factor(client, login, make_staff):
    admin, manager = make_staff(Role.ADMIN), make_staff(Role.ACCOUNT_MANAGER)
    login(admin)
    response = client.post(f"/admin/staff/{manager.id}/second-factor/reset")
    assert response.status_code == 302
    assert not second_factor.is_enrolled(manager)
    client.post("/logout")
    assert password_step(client, manager).headers["Location"] == "/login/second-factor/setup"


def test_only_admins_reset_a_factor(client, login, make_staff):
    manager, other = make_staff(Role.ACCOUNT_MANAGER), make_staff(Role.ACCOUNT_MANAGER)
    login(manager)
    assert client.post(f"/admin/staff/{other.id}/second-factor/reset").status_code == 403
    assert second_factor.is_enrolled(other)


def test_the_settings_page_makes_new_recovery_codes(client, login, make_staff):
    admin = make_staff(Role.ADMIN)
    login(admin)
    assert "Manage the second factor" in client.get("/account").get_data(as_text=True)
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Recovery codes left: 10 of 10" in page and "Turn off" not in page
    second_factor.enrol_known_secret(admin, TOTP_SECRET)  # the login used the current code
    db.session.commit()
    response = client.post("/account/second-factor/recovery-codes",
                           data={"codes-code": second_factor.current_code(TOTP_SECRET)})
    assert response.status_code == 200
    assert len(re.findall(r"<code>[a-z0-9]{5}-[a-z0-9]{5}</code>", response.get_data(as_text=True))) == 10
    response = client.post("/account/second-factor/recovery-codes", data={"codes-code": "000000"},
                           follow_redirects=True)
    assert "not valid" in response.get_data(as_text=True)


def test_the_recovery_codes_are_kept_hashed(make_staff):
    from portal.models import RecoveryCode

    admin = make_staff(Role.ADMIN)
    hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.id)).all()
    assert all(h.startswith("hmac-sha256$") for h in hashes)
