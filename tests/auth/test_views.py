"""Registration, confirmation, login, lock-out, password reset, invitations and own settings, over HTTP."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Company, OutboxMessage, User
from tests.conftest import PASSWORD, Mailbox

LINK = re.compile(r"https?://[^\s\"'<>]+")
NEW_PASSWORD = "blue-tractor-42"


def registration(**overrides) -> dict:
    data = dict(
        legal_name="Acme Repairs Sp. z o.o.", tax_id="PL7770001111", country="PL", region="Pomorskie",
        industry="logistics", size_band="10-49", street="ul. Długa 1", postcode="80-001", city="Gdańsk",
        phone="+48 58 000 00 00", name="Olga Owner", email="olga@acme.example", password=NEW_PASSWORD,
    )
    return {**data, **overrides}


def link_path(mailbox: Mailbox, address: str, prefix: str) -> str:
    """The path of the one link starting with `prefix` in the mail the SMTP server got for `address`."""
    links = [urlsplit(url).path for message in mailbox.to(address)
             for url in LINK.findall(mailbox.text(message)) if urlsplit(url).path.startswith(prefix)]
    assert len(links) == 1, links
    return links[0]


def field_error(html: str, field_id: str) -> str:
    """The error text shown beside a field (the forms macro ties it to `<id>-error`)."""
    match = re.search(rf'id="{field_id}-error"[^>]*>(.*?)</', html, re.S)
    assert match, f"no error beside {field_id}"
    return match.group(1)


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- registration and confirmation ------------------------------------------------

def test_registration_says_check_your_email_and_the_confirmation_link_arrives(client, send_mail):
    response = client.post("/register", data=registration())
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    user = user_by_email("olga@acme.example")
    assert user.company.legal_name == "Acme Repairs Sp. z o.o." and not user.is_confirmed

    mailbox = send_mail()
    [message] = mailbox.to("olga@acme.example")
    path = link_path(mailbox, "olga@acme.example", "/confirm/")
    assert f'href="http://localhost{path}"' in mailbox.html(message)

    response = client.get(path)
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    assert user_by_email("olga@acme.example").is_confirmed
    login = client.post("/login", data={"email": "olga@acme.example", "password": NEW_PASSWORD})
    assert login.status_code == 302 and urlsplit(login.location).path == "/home"


def test_a_tampered_confirmation_link_confirms_nothing(client, send_mail):
    client.post("/register", data=registration())
    path = link_path(send_mail(), "olga@acme.example", "/confirm/")
    response = client.get(path[:-3] + "xyz", follow_redirects=True)
    assert "This link is not valid" in response.get_data(as_text=True)
    assert not user_by_email("olga@acme.example").is_confirmed


@pytest.mark.parametrize("missing", ["legal_name", "tax_id", "street", "postcode", "city", "name", "email"])
def test_a_missing_field_is_named_beside_it_and_typed_values_stay(client, missing):
    data = registration(**{missing: ""})
    response = client.post("/register", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Fill in this field." in field_error(html, missing)
    kept = "Acme Repairs Sp. z o.o." if missing != "legal_name" else "ul. Długa 1"
    assert f'value="{kept}"' in html
    assert NEW_PASSWORD not in html
    assert count(Company) == 0 and count(User) == 0


def test_a_duplicate_email_is_refused_beside_the_email_field(client, make_company):
    existing = make_company()
    response = client.post("/register", data=registration(email=existing.email.upper()))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "already exists" in field_error(html, "email")
    assert 'value="Acme Repairs Sp. z o.o."' in html and 'value="PL7770001111"' in html
    assert NEW_PASSWORD not in html
    assert count(Company) == 1


def test_a_duplicate_tax_id_is_refused_beside_the_tax_id_field(client, make_company):
    existing = make_company()
    response = client.post("/register", data=registration(tax_id=existing.company.tax_id.lower()))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "already registered" in field_error(html, "tax_id")
    assert 'value="olga@acme.example"' in html and 'value="Olga Owner"' in html
    assert NEW_PASSWORD not in html
    assert count(Company) == 1 and user_by_email("olga@acme.example") is None


@pytest.mark.parametrize("weak", ["short1", "password123", "olga-secret-pass"])
def test_a_weak_password_is_refused_beside_the_password_and_never_echoed(client, weak):
    response = client.post("/register", data=registration(email="olga@acme.example", password=weak))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, "password")
    assert weak not in html
    assert 'value="Acme Repairs Sp. z o.o."' in html and 'value="olga@acme.example"' in html
    assert count(User) == 0


def test_login_before_confirmation_says_so_and_offers_a_new_link(client, send_mail):
    client.post("/register", data=registration())
    send_mail().messages.clear()
    response = client.post("/login", data={"email": "olga@acme.example", "password": NEW_PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "confirm your e-mail address first" in html
    assert 'href="/confirm/resend?email=olga@acme.example"' in html

    response = client.post("/confirm/resend", data={"email": "olga@acme.example"})
    assert response.status_code == 302
    client.get(link_path(send_mail(), "olga@acme.example", "/confirm/"))
    assert user_by_email("olga@acme.example").is_confirmed


# -- login and logout -----------------------------------------------------------------

def test_login_and_logout(client, make_company):
    user = make_company()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and urlsplit(response.location).path == "/home"
    assert client.get("/home").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    response = client.get("/home")
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"


def test_a_wrong_password_is_refused(client, make_company):
    user = make_company()
    response = client.post("/login", data={"email": user.email, "password": "not-the-password"})
    assert response.status_code == 200
    assert "The e-mail or the password is wrong." in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_remember_me_sets_a_remember_cookie_and_without_it_none(client, make_company):
    user = make_company()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get_cookie("remember_token") is None
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only

    client.delete_cookie("session")  # the browser is closed: the remember cookie logs the user back in
    assert client.get("/home").status_code == 200
    client.post("/logout")
    assert client.get_cookie("remember_token") is None
    client.delete_cookie("session")
    assert client.get("/home").status_code == 302


def test_login_follows_a_local_next_path(client, make_company):
    user = make_company()
    response = client.post("/login?next=/company", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/company"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/home", "/\\evil.example"])
def test_login_ignores_a_next_that_leaves_the_site(client, make_company, target):
    user = make_company()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "evil" not in response.location and urlsplit(response.location).path == "/home"


def test_five_failures_lock_the_account_even_for_the_right_password(client, make_company):
    user = make_company()
    for _ in range(5):
        response = client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "locked" in html
    assert client.get("/home").status_code == 302
    assert user_by_email(user.email).locked_until is not None


# -- forgotten password ---------------------------------------------------------------

def test_forgotten_password_answers_the_same_for_an_unknown_address_and_mails_only_a_known_one(
        client, make_company, send_mail):
    user = make_company()
    send_mail().messages.clear()
    known = client.post("/password/forgot", data={"email": user.email})
    known_page = client.get(known.location).get_data(as_text=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@nowhere.example"})
    unknown_page = client.get(unknown.location).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    assert known_page == unknown_page
    assert "If an account uses this address" in known_page

    mailbox = send_mail()
    assert mailbox.to("nobody@nowhere.example") == []
    assert len(mailbox.to(user.email)) == 1
    assert count(OutboxMessage) == 3  # customer care + confirmation at registration, one reset


def test_the_reset_link_sets_a_new_password(client, make_company, send_mail):
    user = make_company()
    client.post("/password/forgot", data={"email": user.email})
    path = link_path(send_mail(), user.email, "/password/reset/")
    assert client.get(path).status_code == 200

    response = client.post(path, data={"password": "new-green-tractor", "confirm": "different-one-1"})
    assert response.status_code == 200 and "The two passwords differ." in response.get_data(as_text=True)

    response = client.post(path, data={"password": "new-green-tractor", "confirm": "new-green-tractor"})
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    assert client.post("/login", data={"email": user.email, "password": "new-green-tractor"}).status_code == 302


def test_an_invitation_link_sets_the_password_and_the_colleague_logs_in(client, make_company, send_mail, login):
    manager = make_company()
    login(manager)
    client.post("/users/invite", data={"name": "Jan Kolega", "email": "jan@acme.example"})
    client.post("/logout")
    path = link_path(send_mail(), "jan@acme.example", "/invitation/")

    response = client.post(path, data={"password": "jan-sets-this-1", "confirm": "jan-sets-this-1"})
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    response = client.post("/login", data={"email": "jan@acme.example", "password": "jan-sets-this-1"})
    assert response.status_code == 302 and urlsplit(response.location).path == "/home"
    assert "Jan Kolega" in client.get("/home").get_data(as_text=True)


def test_a_used_invitation_link_does_not_set_the_password_again(client, make_company, make_user, send_mail):
    colleague = make_user(make_company().company)
    path = link_path(send_mail(), colleague.email, "/invitation/")
    response = client.post(path, data={"password": "someone-else-1", "confirm": "someone-else-1"},
                           follow_redirects=True)
    assert "already been used" in response.get_data(as_text=True)
    assert client.post("/login", data={"email": colleague.email, "password": PASSWORD}).status_code == 302


# -- language and settings ------------------------------------------------------------

def test_language_switch_changes_the_page_language_for_an_anonymous_visitor(client):
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    response = client.post("/language", data={"language": "pl", "next": "/register"})
    assert response.status_code == 302 and response.location == "/register"
    assert '<html lang="pl">' in client.get("/login").get_data(as_text=True)


def test_language_switch_ignores_a_next_that_leaves_the_site(client):
    response = client.post("/language", data={"language": "ru", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response.location


def test_language_switch_is_saved_on_a_logged_in_user(client, make_company, login):
    user = make_company()
    login(user)
    client.post("/language", data={"language": "pl", "next": "/home"})
    assert user_by_email(user.email).language == "pl"
    assert '<html lang="pl">' in client.get("/home").get_data(as_text=True)
    client.post("/logout")
    login(user)  # a new session remembers it
    assert '<html lang="pl">' in client.get("/home").get_data(as_text=True)


def test_account_page_saves_name_time_zone_and_language(client, make_company, login):
    user = make_company()
    login(user)
    assert client.get("/account").status_code == 200
    response = client.post("/account", data={"name": "Olga Nowak", "language": "ru",
                                             "timezone": "Asia/Almaty"})
    assert response.status_code == 302
    saved = user_by_email(user.email)
    assert (saved.name, saved.language, saved.timezone) == ("Olga Nowak", "ru", "Asia/Almaty")
    assert '<html lang="ru">' in client.get("/account").get_data(as_text=True)


def test_account_page_refuses_an_unknown_time_zone(client, make_company, login):
    user = make_company()
    login(user)
    response = client.post("/account", data={"name": "Olga", "language": "en", "timezone": "Mars/Olympus"})
    assert response.status_code == 200
    assert user_by_email(user.email).timezone is None
