"""Fixtures on real parts: a SQLite file (and PostgreSQL when TEST_DATABASE_URL is set),
an in-process SMTP server, factories for companies, users and staff."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from portal import accounts, create_app, second_factor, staff
from portal.cli import run_jobs
from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import RIGHTS, Role, SizeBand

PASSWORD = "correct-horse-battery"
#: The authenticator secret of every staff member the fixtures set up with a second factor
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECOND_FACTOR_PATHS = ("/login/second-factor", "/login/second-factor/setup")


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("both_databases") and os.environ.get("TEST_DATABASE_URL"):
            backends.append("postgresql")
        metafunc.parametrize("db_backend", backends)


class Mailbox:
    """What the in-process SMTP server received, parsed as e-mail messages."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def html(message) -> str:
        return message.get_body(preferencelist=("html",)).get_content()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    smtp_server.handler.messages.clear()
    return smtp_server.handler


def _reset_postgresql(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class RequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as in production.

    The `app` fixture keeps an app context pushed, and Flask reuses it for each test request,
    so without this Flask-Login's cached user (and Flask-WTF's token) would leak from one
    request, or one client, into the next.
    """

    def open(self, *args, **kwargs):
        for name in list(g) if has_app_context() else ():
            g.pop(name)
        return super().open(*args, **kwargs)


def settings_for_tests(database_url: str, smtp_port: int, **overrides) -> dict:
    """The portal's settings in tests: a real database and the in-process SMTP server."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
        "SERVER_NAME": None,
        "PASSWORD_HASH_METHOD": "scrypt:4096:8:1",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        **overrides,
    }


@pytest.fixture
def app(tmp_path, smtp_server, db_backend):
    if db_backend == "postgresql":
        url = os.environ["TEST_DATABASE_URL"]
        _reset_postgresql(url)
    else:
        url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    app = create_app(settings_for_tests(url, smtp_server.port, STORAGE_DIR=str(tmp_path / "files")))
    app.instance_path = str(tmp_path)
    app.test_client_class = RequestClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def send_mail(app, mailbox):
    """Run the jobs as cron would, so queued mail reaches the SMTP server."""
    def send():
        run_jobs()
        return mailbox
    return send


@pytest.fixture
def make_company(app):
    counter = iter(range(1, 10_000))

    def make(*, legal_name=None, country="PL", industry="logistics", size_band=SizeBand.MEDIUM,
             region="Mazowieckie", email=None, confirmed=True, name="Olga Office"):
        n = next(counter)
        user = accounts.register_company(
            company=dict(legal_name=legal_name or f"Company {n} Sp. z o.o.", tax_id=f"PL{n:010d}",
                         country=country, region=region, industry=industry, size_band=size_band,
                         street=f"ul. Testowa {n}", postcode="00-001", city="Warszawa", phone=""),
            user={"name": name, "email": email or f"admin{n}@company{n}.example", "password": PASSWORD},
            language="en",
        )
        if confirmed:
            user.confirmed_at = utcnow()
        db.session.commit()
        return user
    return make


@pytest.fixture
def make_user(app):
    counter = iter(range(1, 10_000))

    def make(company, *, name=None, rights=(), active=True):
        n = next(counter)
        admin = next(u for u in company.users if u.can_manage_users)
        user = accounts.invite_colleague(company, actor=admin, name=name or f"Colleague {n}",
                                         email=f"colleague{n}.{company.id}@company.example",
                                         rights={right: right in rights for right in RIGHTS})
        accounts.set_password(user, PASSWORD)
        user.confirmed_at = utcnow()
        user.is_active_account = active
        db.session.commit()
        return user
    return make


@pytest.fixture
def make_staff(app):
    counter = iter(range(1, 10_000))

    def make(*roles: Role, name=None, with_second_factor: bool | None = None):
        """A staff member; those who need the second factor (or with_second_factor=True) have the
        authenticator set up with TOTP_SECRET, as if they had enrolled."""
        n = next(counter)
        user = staff.create_staff(email=f"staff{n}@depot.example", name=name or f"Staff {n}",
                                  roles=list(roles), password=PASSWORD)
        if with_second_factor or (with_second_factor is None and second_factor.needs_second_factor(user)):
            second_factor.enrol_known_secret(user, TOTP_SECRET)
        db.session.commit()
        return user
    return make


def next_login_code(user) -> str:
    """The code the user's authenticator (set up with TOTP_SECRET) would show for their next login.

    A code works once: the next login takes the next step's code, which is still in the window.
    Only when a test logs in more often than that (the clock hardly moves in a test) is the
    record of the last used code cleared, as if time had passed; recovery codes stay as they are.
    Staff not set up yet are set up with TOTP_SECRET, as if they had enrolled.
    """
    db.session.refresh(user)
    if not second_factor.is_enrolled(user):
        second_factor.enrol_known_secret(user, TOTP_SECRET)
        db.session.commit()
    now, last = second_factor.now_step(), second_factor.last_used_step(user)
    step = now if last is None or last < now else now + 1
    if last is not None and last > now:
        second_factor.enrol_known_secret(user, TOTP_SECRET, new_recovery_codes=False)
        db.session.commit()
        step = now
    return second_factor.current_code(TOTP_SECRET, step=step)


def pass_second_factor(client, user, **data):
    """Complete the second step of a login (extra form data, such as a csrf_token, is sent along)."""
    return client.post("/login/second-factor", data={"code": next_login_code(user), **data})


@pytest.fixture
def login(client):
    def log_in(user, password=PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        if response.headers["Location"].split("?")[0] in SECOND_FACTOR_PATHS:
            response = pass_second_factor(client, user)
            assert response.status_code == 302, response.get_data(as_text=True)
        return response
    return log_in


@pytest.fixture
def make_category(app):
    from portal.models import DeviceCategory

    def make(name="Laptop"):
        category = db.session.scalar(db.select(DeviceCategory).where(DeviceCategory.name == name))
        if category is None:
            category = DeviceCategory(name=name)
            db.session.add(category)
            db.session.commit()
        return category
    return make


def device_row(n: int, **overrides) -> dict:
    row = {"id": None, "category_id": None, "manufacturer": "Zebra", "model": "TC52",
           "serial_number": f"SN{n:06d}", "asset_tag": f"AT-{n}", "fault_description": "Screen cracked",
           "warranty_claimed": False, "purchase_date": None, "accessories": "", "box_number": None,
           "unlock_code": "", "data_wipe_allowed": False}
    return {**row, **overrides}


def order_data(order, devices: list[dict], **overrides) -> dict:
    data = {"return_address_id": order.return_address_id, "contact_name": "Olga Office",
            "contact_phone": "+48 600 100 200", "contact_email": "olga@example.com", "po_reference": "PO-1",
            "service_level": "standard", "note": "", "box_count": 1, "devices": devices}
    return {**data, **overrides}


@pytest.fixture
def make_order(app):
    """An order of the user's company: submitted unless submit=False (then a draft)."""
    from portal import orders

    def make(owner, *, devices=3, boxes=1, submit=True, actor=None, rows=None):
        order = orders.start_draft(owner.company, owner=owner, actor=actor or owner)
        if submit:
            rows = rows or [device_row(order.id * 1000 + n, box_number=(n % boxes) + 1 if boxes > 1 else None)
                            for n in range(devices)]
            orders.submit_order(order, order_data(order, rows, box_count=boxes), actor=actor or owner)
        db.session.commit()
        return order
    return make


@pytest.fixture
def take_photos(app):
    """Photo records for a device's stage, so life-cycle tests can pass the photo checks.

    Only the rows the checks count are written; the booth's own tests upload real images.
    """
    from portal.models import Photo, PhotoStage

    def take(device, stage="intake", count=None):
        count = app.config["PHOTOS_MIN_PER_STAGE"] if count is None else count
        for n in range(count):
            db.session.add(Photo(device_id=device.id, company_id=device.company_id, stage=PhotoStage(stage),
                                 shot=f"shot {n + 1}", storage_key=f"test/{device.id}-{stage}-{n}.jpg",
                                 thumbnail_key=f"test/{device.id}-{stage}-{n}.thumb.jpg",
                                 content_type="image/jpeg", width=1, height=1, size_bytes=1))
        db.session.flush()
    return take
