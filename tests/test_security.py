"""Security, tested by walking the app: scoping, roles, CSRF, headers, cookies, escaping, hashing, errors."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter

from portal import create_app, invoicing, orders
from portal.extensions import db
from portal.models import RIGHTS, ImportBatch, InvoiceProfile, Parcel, Photo, PhotoStage, ReturnAddress, Role, User
from tests.conftest import PASSWORD, SECOND_FACTOR_PATHS, pass_second_factor
from tests.quotes_helpers import send_quote

CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

#: What a walking request posts: every field any customer form knows, so a missing scope check changes data.
FORM_DATA = {
    "name": "Taken over", "email": "taken@over.example", "tax_id": "XX1", "street": "Hijack 1", "postcode": "1",
    "city": "Nowhere", "country": "PL", "invoice_email": "taken@over.example", "label": "Hijacked",
    "recipient": "Thief", "phone": "1", "legal_name": "Hijacked Ltd", "note": "x", "inbound_carrier": "DHL",
    "inbound_tracking": "123", **{right: "y" for right in RIGHTS},
}


def database_rows() -> dict[str, list]:
    """Every committed row of every table, to prove a refused request changed nothing."""
    db.session.rollback()
    db.session.expire_all()
    return {table.name: sorted((tuple(row) for row in db.session.execute(select(table))), key=repr)
            for table in db.metadata.sorted_tables}


def rules_of(app, *blueprints: str):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in blueprints]


def urls_for(rule, ids: dict[str, int] | None = None, default_id: int = 1) -> list[str]:
    """Every URL of a rule: ids from `ids` (else `default_id`), each choice of an any() part."""
    choices = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            choices[name] = sorted(converter.items)
        elif isinstance(converter, IntegerConverter):
            choices[name] = [ids[name] if ids is not None else default_id]
        else:
            choices[name] = ["some-token"]
    names = list(choices)
    return [rule.build(dict(zip(names, values, strict=True)), append_unknown=False)[1]
            for values in itertools.product(*(choices[n] for n in names))]


def methods_of(rule) -> list[str]:
    return sorted(rule.methods & {"GET", "POST"})


# -- (a) customer data is scoped to the user's company -----------------------------------------

@pytest.fixture
def company_a(make_company, make_user, make_order):
    """A company with one object of every kind a customer URL can name."""
    admin = make_company(legal_name="Alpha Sp. z o.o.")
    company = admin.company
    colleague = make_user(company, name="Alpha Colleague")
    profile = InvoiceProfile(company=company, name="Alpha Branch", tax_id="PL1", street="s", postcode="p",
                             city="c", country="PL", invoice_email="branch@alpha.example")
    address = ReturnAddress(company=company, label="Alpha Warehouse", recipient="r", street="s", postcode="p",
                            city="c", country="PL")
    db.session.add_all([profile, address])
    order = orders.start_draft(company, owner=colleague, actor=colleague)
    batch = ImportBatch(order=order, company_id=company.id, user_id=colleague.id, filename="alpha.xlsx", kind="xlsx",
                        content=b"", columns=[{"letter": "A", "header": "Serial", "field": "serial_number"}],
                        rows=[{"row": 2, "values": {"serial_number": "A1"}, "problems": [], "dropped": False}])
    db.session.add(batch)
    parcel = Parcel(company=company, return_address=address, station="Dispatch 1")
    db.session.add(parcel)
    db.session.flush()
    parcel.code = f"PK{parcel.id:07d}"
    device = make_order(colleague, devices=1).devices[0]
    photo = Photo(device_id=device.id, company_id=company.id, stage=PhotoStage.INTAKE, storage_key="t/a.jpg",
                  thumbnail_key="t/a.thumb.jpg", content_type="image/jpeg", width=1, height=1, size_bytes=1)
    db.session.add(photo)
    quote = send_quote(make_order(colleague, devices=1).devices[0])
    invoice = invoicing.issue(company, [invoicing.Charge(
        device=device, description="Diagnosis fee", kind="fee", quantity=Decimal("1"), unit_price=Decimal("25"),
        tax_rate=Decimal("23"), tax_name="VAT 23%", tax_note="")], buyer=invoicing.buyer_snapshot(colleague, company))
    db.session.commit()
    return {"user_id": colleague.id, "profile_id": profile.id, "address_id": address.id, "order_id": order.id,
            "batch_id": batch.id, "row": 2, "parcel_id": parcel.id,
            "photo_id": photo.id, "device_id": device.id, "quote_id": quote.id, "invoice_id": invoice.id}


def test_every_customer_url_with_an_id_of_another_company_is_404(app, client, company_a, make_company, login):
    intruder = make_company(legal_name="Beta GmbH")
    assert all(getattr(intruder, right) for right in RIGHTS)
    login(intruder)
    assert client.get(f"/users/{intruder.id}").status_code == 200  # the rights are real
    before = database_rows()

    walked, wrong = 0, []
    for rule in rules_of(app, "customer"):
        id_names = [name for name, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not id_names:
            continue
        unknown = set(id_names) - set(company_a)
        assert not unknown, f"{rule.rule}: give the company_a fixture an object for {unknown}"
        for url, method in itertools.product(urls_for(rule, company_a), methods_of(rule)):
            response = client.open(url, method=method, data=FORM_DATA if method == "POST" else None)
            walked += 1
            if response.status_code != 404:
                wrong.append(f"{method} {url} -> {response.status_code}")
    assert walked >= 10
    assert wrong == []
    assert database_rows() == before


# -- (b) roles: customers, staff without the role, strangers ----------------------------------------

def test_customers_get_403_on_every_admin_and_depot_page(app, client, make_company, login):
    login(make_company())
    before = database_rows()
    wrong = []
    for rule in rules_of(app, "admin", "depot"):
        for url, method in itertools.product(urls_for(rule), methods_of(rule)):
            status = client.open(url, method=method, data={"name": "x"} if method == "POST" else None).status_code
            if status != 403:
                wrong.append(f"{method} {url} -> {status}")
    assert wrong == []
    assert database_rows() == before


@pytest.mark.parametrize("roles", [(Role.TECHNICIAN,), (Role.RECEIVING, Role.DISPATCH, Role.SUPERVISOR)])
def test_staff_without_an_office_role_get_403_on_every_admin_page(app, client, make_staff, login, roles):
    login(make_staff(*roles))
    assert client.get("/depot/").status_code == 200
    wrong = []
    for rule in rules_of(app, "admin"):
        for url, method in itertools.product(urls_for(rule), methods_of(rule)):
            status = client.open(url, method=method).status_code
            if status != 403:
                wrong.append(f"{method} {url} -> {status}")
    assert wrong == []


def test_staff_get_403_on_customer_pages(app, client, make_staff, login):
    login(make_staff(Role.ADMIN))
    wrong = [f"GET {url}" for rule in rules_of(app, "customer") if "GET" in rule.methods
             for url in urls_for(rule) if client.get(url).status_code != 403]
    assert wrong == []


def test_strangers_are_sent_to_the_login_page_from_every_private_page(app, client):
    rules = rules_of(app, "customer", "admin", "depot") + [
        rule for rule in app.url_map.iter_rules() if rule.endpoint == "auth.account"]
    wrong = []
    for rule in rules:
        for url, method in itertools.product(urls_for(rule), methods_of(rule)):
            response = client.open(url, method=method)
            if response.status_code != 302 or urlsplit(response.location).path != "/login":
                wrong.append(f"{method} {url} -> {response.status_code} {response.location}")
    assert wrong == []


# -- (c) CSRF -----------------------------------------------------------------------------------------

def csrf_login(client, user) -> None:
    token = CSRF_TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    if urlsplit(response.location).path in SECOND_FACTOR_PATHS:  # staff who sign in with a second factor
        response = pass_second_factor(client, user, csrf_token=token)
        assert response.status_code == 302


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, client, make_company, make_staff,
                                                                         company_a):
    app.config["WTF_CSRF_ENABLED"] = True
    customer = make_company()
    admin = make_staff(Role.ADMIN)
    wrong, walked = [], 0
    for actor, blueprints in [(None, ("auth",)), (customer, ("auth", "customer")), (admin, ("admin", "depot"))]:
        client.delete_cookie("session")
        if actor is not None:
            csrf_login(client, actor)  # a staff login records the second factor's last used code
        before = database_rows()
        for rule in rules_of(app, *blueprints):
            if "POST" not in rule.methods:
                continue
            for url in urls_for(rule, company_a if rule.endpoint.startswith("customer.") else None):
                response = client.post(url, data=FORM_DATA)
                walked += 1
                if response.status_code != 400 or "Form expired" not in response.get_data(as_text=True):
                    wrong.append(f"POST {url} as {actor} -> {response.status_code}")
        assert database_rows() == before, actor
    assert walked >= 20
    assert wrong == []

    # The same kind of request with its token goes through: the refusals above were about the token.
    token = CSRF_TOKEN.search(client.get("/admin/").get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


# -- (d) headers and cookies ---------------------------------------------------------------------------

def test_pages_carry_the_security_headers(client):
    response = client.get("/login")
    directives = [d.split() for d in response.headers["Content-Security-Policy"].split(";")]
    policy = {name: values for name, *values in directives}
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy.get("default-src", []) + policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_has_an_inline_script(client, make_company, login):
    login(make_company())
    for url in ["/login", "/register", "/home", "/company", "/users", "/users/invite", "/account"]:
        page = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", page):
            assert "src=" in tag, (url, tag)
        assert not re.search(r"\son[a-z]+=", page), url


def test_the_session_cookie_is_http_only_and_same_site_lax(client, make_company):
    user = make_company()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes and attributes["samesite"].strip() == "SameSite=Lax"


@pytest.fixture
def real_environment(tmp_path, monkeypatch):
    """The environment of a production machine: no debug flag, a database of its own."""
    monkeypatch.delenv("PORTAL_DEBUG", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'real.sqlite3'}")
    return monkeypatch


def session_cookie_of(app) -> str:
    with app.app_context():
        response = app.test_client().get("/login")  # the form's CSRF token starts a session
        db.engine.dispose()
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def test_with_the_real_configuration_the_session_cookie_is_secure(real_environment):
    real_environment.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    app = create_app()
    assert not app.testing and app.config["WTF_CSRF_ENABLED"]
    cookie = session_cookie_of(app)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_without_a_secret_key_the_real_configuration_refuses_to_start(real_environment):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_a_debug_machine_starts_without_a_secret_and_sends_cookies_over_http(real_environment):
    real_environment.setenv("PORTAL_DEBUG", "1")
    app = create_app()
    assert not app.debug  # the flag never turns on Flask's debugger
    assert "Secure" not in session_cookie_of(app)


# -- (e) user text is never markup ------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>x</b>"
ITALIC = "<i>y</i>"


def test_user_text_is_escaped_on_pages_and_in_mail(client, make_staff, login, send_mail, app):
    manager = make_staff(Role.ACCOUNT_MANAGER, name="Marta Manager")
    response = client.post("/register", data=dict(
        legal_name=SCRIPT, tax_id="PL0000000666", country="PL", region=SCRIPT, industry="other",
        size_band="1-9", street=SCRIPT, postcode="00-001", city="Warszawa", phone="", name=BOLD,
        email="xss@evil.example", password=PASSWORD))
    assert response.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "xss@evil.example"))
    assert user.company.legal_name == SCRIPT and user.name == BOLD  # stored as typed
    mailbox = send_mail()
    [link] = re.findall(r"http://localhost(/confirm/\S+)", mailbox.text(mailbox.to(user.email)[0]))
    client.get(link)
    login(user)
    client.post("/users/invite", data={"name": ITALIC, "email": "colleague@evil.example"})

    pages = [client.get(url).get_data(as_text=True) for url in ["/home", "/users", "/company", "/account"]]
    login(manager)
    pages += [client.get(url).get_data(as_text=True) for url in
              ["/admin/companies", "/admin/companies?mine=0", f"/admin/companies/{user.company_id}", "/admin/mail"]]
    for page in pages:
        assert SCRIPT not in page and BOLD not in page and ITALIC not in page
    assert all("&lt;script&gt;alert(1)&lt;/script&gt;" in page for page in pages[:3] + pages[4:])
    assert "&lt;b&gt;x&lt;/b&gt;" in pages[0] and "&lt;i&gt;y&lt;/i&gt;" in pages[1]

    mailbox = send_mail()
    mails = (mailbox.to(user.email) + mailbox.to("colleague@evil.example")
             + mailbox.to(app.config["CUSTOMER_CARE_EMAIL"]))
    assert len(mails) == 3
    for message in mails:
        html = mailbox.html(message)
        assert SCRIPT not in html and BOLD not in html and ITALIC not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in mailbox.html(mails[0])
    assert "&lt;i&gt;y&lt;/i&gt;" in mailbox.html(mails[1]) and "&lt;script&gt;" in mailbox.html(mails[1])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mailbox.html(mails[2])
    assert BOLD in mailbox.text(mails[0])  # the plain text part shows the name as typed


# -- (f) passwords -------------------------------------------------------------------------------------------

def test_passwords_are_stored_only_as_hashes(client):
    password = "blue-tractor-42"
    client.post("/register", data=dict(
        legal_name="Acme", tax_id="PL1", country="PL", region="", industry="other", size_band="1-9",
        street="s", postcode="p", city="c", phone="", name="Olga", email="olga@acme.example", password=password))
    user = db.session.scalar(select(User).where(User.email == "olga@acme.example"))
    assert user.password_hash.startswith("scrypt:")
    assert password not in repr(database_rows())


# -- (g) error pages -------------------------------------------------------------------------------------------

def test_an_unknown_address_shows_the_friendly_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "There is nothing at this address." in page and 'href="/"' in page


def test_a_crash_shows_the_friendly_500_page_without_a_traceback(app, client):
    def crash():
        raise RuntimeError("secret internals of the portal")

    app.add_url_rule("/test-crash", "test_crash", crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    response = client.get("/test-crash")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "Nothing was changed" in page
    assert "Traceback" not in page and "secret internals" not in page and "RuntimeError" not in page
