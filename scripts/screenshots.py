"""Screenshot every page of the portal, on a desktop and on a phone, from the demo data.

    .venv/bin/python scripts/screenshots.py [--out /tmp/shots] [--only NAME ...] [--width 1280 --width 375]
    .venv/bin/python scripts/screenshots.py --docs docs     # the README's pictures: welcome.png, users.png

Serves the app on a temporary SQLite database with the demo data (CSRF on, as in
production), logs in as the demo users in Debian's Chromium and writes
`<out>/<name>-<width>.png` for every page, full length. Nothing is downloaded.
Look at every picture after changing a template or the stylesheet.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Announcement, AssignmentRule, OutboxMessage, User  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
WIDTHS = {1280: 800, 375: 812}

CUSTOMER = "olga@nordlog.example"
OWN_ORDERS_ONLY = "jan@nordlog.example"
ADMIN = "admin@depot.example"
TECHNICIAN = "technician@depot.example"


@dataclass
class Shot:
    name: str
    path: str | Callable[[dict], str]
    user: str | None = None
    status: int = 200
    prepare: Callable[[Page, int], None] | None = None


def _register_with_errors(page: Page, _width: int) -> None:
    page.get_by_label("Company legal name").fill("Nordlog Logistyka Sp. z o.o.")
    page.get_by_label("Tax / VAT ID").fill("PL5260001234")
    page.get_by_label("Street and number").fill("ul. Portowa 12")
    page.get_by_label("Your name").fill("Olga Office")
    page.get_by_label("Your e-mail").fill("not-an-address")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _register(page: Page, width: int) -> None:
    page.get_by_label("Company legal name").fill(f"Serwis {width} Sp. z o.o.")
    page.get_by_label("Tax / VAT ID").fill(f"PL99900{width:05d}")
    page.get_by_label("Country").select_option("PL")
    page.get_by_label("Industry").select_option("services")
    page.get_by_label("Street and number").fill("ul. Prosta 1")
    page.get_by_label("Postcode").fill("00-850")
    page.get_by_label("City").fill("Warszawa")
    page.get_by_label("Your name").fill("Anna Kowalska")
    page.get_by_label("Your e-mail").fill(f"anna.{width}@serwis.example")
    page.get_by_label("Password", exact=True).fill("a-long-depot-password-42")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()


def _invite_with_errors(page: Page, _width: int) -> None:
    page.get_by_label("E-mail", exact=True).fill("kasia@nordlog.example")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _open_menu(page: Page, width: int) -> None:
    toggle = page.get_by_role("button", name="Menu")
    if width < 700 and toggle.is_visible():
        toggle.click()


SHOTS = [
    Shot("login", "/login"),
    Shot("register", "/register"),
    Shot("register-errors", "/register", prepare=_register_with_errors),
    Shot("registered", "/register", prepare=_register),
    Shot("forgot", "/password/forgot"),
    Shot("invitation", lambda ids: ids["invitation"]),
    Shot("home", "/home", CUSTOMER),
    Shot("home-menu", "/home", CUSTOMER, prepare=_open_menu),
    Shot("company", "/company", CUSTOMER),
    Shot("company-own-orders-only", "/company", OWN_ORDERS_ONLY),
    Shot("invoice-profile", lambda ids: f"/company/invoice-profiles/{ids['profile']}", CUSTOMER),
    Shot("invoice-profile-new", "/company/invoice-profiles/new", CUSTOMER),
    Shot("address", lambda ids: f"/company/addresses/{ids['address']}", CUSTOMER),
    Shot("users", "/users", CUSTOMER),
    Shot("invite", "/users/invite", CUSTOMER),
    Shot("invite-errors", "/users/invite", CUSTOMER, prepare=_invite_with_errors),
    Shot("edit-user", lambda ids: f"/users/{ids['jan']}", CUSTOMER),
    Shot("account", "/account", CUSTOMER),
    Shot("admin", "/admin/", ADMIN),
    Shot("admin-menu", "/admin/", ADMIN, prepare=_open_menu),
    Shot("staff", "/admin/staff", ADMIN),
    Shot("staff-member", lambda ids: f"/admin/staff/{ids['technician']}", ADMIN),
    Shot("staff-new", "/admin/staff/new", ADMIN),
    Shot("companies", "/admin/companies?mine=0", ADMIN),
    Shot("company-detail", lambda ids: f"/admin/companies/{ids['company']}", ADMIN),
    Shot("rules", "/admin/rules", ADMIN),
    Shot("rule", lambda ids: f"/admin/rules/{ids['rule']}", ADMIN),
    Shot("announcements", "/admin/announcements", ADMIN),
    Shot("announcement", lambda ids: f"/admin/announcements/{ids['announcement']}", ADMIN),
    Shot("mail", "/admin/mail", ADMIN),
    Shot("mail-message", lambda ids: f"/admin/mail/{ids['mail']}", ADMIN),
    Shot("depot", "/depot/", TECHNICIAN),
    Shot("403", "/users", OWN_ORDERS_ONLY, status=403),
    Shot("403-staff", "/admin/staff", TECHNICIAN, status=403),
    Shot("404", "/no-such-page", CUSTOMER, status=404),
    Shot("404-anonymous", "/no-such-page", status=404),
]

#: Shots that illustrate the README, and the file each is saved as with --docs.
DOCS = {"home": "welcome.png", "users": "users.png"}


def build_app(database: Path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "screenshots-only",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "PASSWORD_HASH_METHOD": "scrypt:4096:8:1",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "MAIL_SERVER": "",
    })
    app.instance_path = str(database.parent)
    with app.app_context():
        db.create_all()
        load_demo()
        db.session.commit()
    return app


def demo_ids(app) -> dict:
    with app.app_context():
        olga = db.session.scalar(select(User).where(User.email == CUSTOMER))
        company = olga.company
        invitation = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.text_body.contains("/invitation/")).order_by(OutboxMessage.id)
        ).first()
        link = re.search(r"https?://\S+(/invitation/\S+)", invitation.text_body).group(1)
        return {
            "company": company.id,
            "profile": company.invoice_profiles[0].id,
            "address": company.return_addresses[0].id,
            "jan": db.session.scalar(select(User.id).where(User.email == OWN_ORDERS_ONLY)),
            "technician": db.session.scalar(select(User.id).where(User.email == TECHNICIAN)),
            "rule": db.session.scalar(select(AssignmentRule.id).order_by(AssignmentRule.priority)),
            "announcement": db.session.scalar(select(Announcement.id)),
            "mail": invitation.id,
            "invitation": link,
        }


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("contentinfo")).to_contain_text(email)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/shots", type=Path)
    parser.add_argument("--only", nargs="*", help="names of the shots to take (default: all)")
    parser.add_argument("--width", type=int, action="append", choices=sorted(WIDTHS))
    parser.add_argument("--language", default="en", help="the browser's language (en, pl, ru)")
    parser.add_argument("--docs", type=Path, help="write the README's pictures (1280 x 800) into this folder instead")
    args = parser.parse_args()
    if args.docs:
        args.out, args.only, args.width, full_page = args.docs, list(DOCS), [1280], False
    else:
        full_page = True
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    widths = args.width or sorted(WIDTHS, reverse=True)
    shots = [s for s in SHOTS if not args.only or s.name in args.only]

    with tempfile.TemporaryDirectory(prefix="portal-shots-") as tmp:
        app = build_app(Path(tmp) / "portal.sqlite3")
        ids = demo_ids(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        problems = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for width in widths:
                    contexts = {}
                    for shot in shots:
                        context = contexts.get(shot.user)
                        if context is None:
                            context = contexts[shot.user] = browser.new_context(
                                base_url=base_url, viewport={"width": width, "height": WIDTHS[width]},
                                locale=args.language, timezone_id="Europe/Warsaw")
                            if shot.user:
                                login_page = context.new_page()
                                log_in(login_page, shot.user)
                                login_page.close()
                        page = context.new_page()
                        path = shot.path(ids) if callable(shot.path) else shot.path
                        response = page.goto(path)
                        if response is None or response.status != shot.status:
                            problems.append(f"{shot.name}: {path} answered {response and response.status}")
                        if shot.prepare:
                            shot.prepare(page, width)
                        target = args.out / (DOCS[shot.name] if args.docs else f"{shot.name}-{width}.png")
                        page.screenshot(path=str(target), full_page=full_page)
                        overflow = page.evaluate(
                            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
                        if overflow > 0:
                            problems.append(f"{shot.name}-{width}: the page is {overflow}px wider than the screen")
                        print(target)
                        page.close()
                    for context in contexts.values():
                        context.close()
                browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
