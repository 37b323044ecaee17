"""Browser fixtures: the portal served by a real HTTP server in a thread, driven by Debian's Chromium.

The live app is built like the `app` fixture in tests/conftest.py, but with CSRF on, as in
production, and its own SQLite file; mail goes to the session's in-process SMTP server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from portal import create_app
from portal.cli import run_jobs
from portal.extensions import db
from tests.conftest import settings_for_tests

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]


@dataclass
class LiveServer:
    app: Flask
    url: str

    def run_jobs(self) -> dict[str, int]:
        """What cron does every minute: send the outbox (and later, reminders and deadlines)."""
        with self.app.app_context():
            return run_jobs()


@pytest.fixture
def live_server(tmp_path, smtp_server):
    # Real CSRF in the browser, as in production.
    app = create_app(settings_for_tests(f"sqlite:///{tmp_path / 'portal.sqlite3'}", smtp_server.port,
                                 SECRET_KEY="e2e-secret", WTF_CSRF_ENABLED=True,
                                 STORAGE_DIR=str(tmp_path / "files")))
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="Europe/Warsaw")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def enter_second_factor(page: Page, live_server: LiveServer, email: str) -> None:
    """After the password of staff who sign in with a second factor (admins, account managers):
    type the code their authenticator would show (see tests.conftest.next_login_code)."""
    from sqlalchemy import select

    from portal.models import User
    from tests.conftest import next_login_code

    with live_server.app.app_context():
        code = next_login_code(db.session.scalar(select(User).where(User.email == email)))
        db.session.remove()
    if page.url.endswith("/login/second-factor/setup"):  # set up just now, as if they had enrolled
        page.goto("/login/second-factor")
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()


def confirmed_customer(app: Flask, *, email: str, password: str, legal_name: str, tax_id: str):
    """A registered company whose first user has confirmed the e-mail; call inside the app context."""
    from portal import accounts
    from portal.dbbase import utcnow

    user = accounts.register_company(
        company=dict(legal_name=legal_name, tax_id=tax_id, country="PL", region="", industry="retail",
                     size_band="10-49", street="ul. Testowa 1", postcode="00-001", city="Warszawa", phone=""),
        user={"name": "Office Manager", "email": email, "password": password}, language="en")
    user.confirmed_at = utcnow()
    db.session.commit()
    return user
