"""An account manager signs in with the password and a code from the app (the helper other journeys use)."""

import pytest
from playwright.sync_api import expect

from portal import staff
from portal.extensions import db
from portal.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import enter_second_factor

pytestmark = pytest.mark.e2e


def test_an_account_manager_logs_in_with_a_code(page, live_server):
    with live_server.app.app_context():
        staff.create_staff(email="marek@depot.example", name="Marek Manager", roles=[Role.ACCOUNT_MANAGER],
                           password=PASSWORD)
        db.session.commit()
    for _ in range(3):  # again and again: each login takes a fresh code
        page.context.clear_cookies()
        page.goto("/login")
        page.get_by_label("E-mail", exact=True).fill("marek@depot.example")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        enter_second_factor(page, live_server, "marek@depot.example")
        expect(page.get_by_role("heading", name="My desk")).to_be_visible()
