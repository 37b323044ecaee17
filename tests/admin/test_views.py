"""The office over HTTP: staff and roles, companies and their managers, rules, announcements, mail."""

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal import assignment
from portal.extensions import db
from portal.models import (
    Announcement,
    AssignmentMethod,
    AssignmentRule,
    OutboxMessage,
    Role,
    User,
)
from tests.conftest import PASSWORD

ADMIN_ONLY_PAGES = ["/admin/staff", "/admin/staff/new", "/admin/rules", "/admin/rules/new",
                    "/admin/announcements", "/admin/announcements/new"]


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def path_of(response) -> str:
    return urlsplit(response.location).path


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def managers(make_staff):
    return [make_staff(Role.ACCOUNT_MANAGER, name=name) for name in ("Marek Manager", "Greta Manager")]


# -- staff ----------------------------------------------------------------------------

def test_admin_creates_a_staff_member_with_roles_who_is_invited_by_mail(client, admin, login, send_mail):
    login(admin)
    assert client.get("/admin/staff/new").status_code == 200
    response = client.post("/admin/staff/new", data={"name": "Tomasz Technik", "email": "tomasz@depot.example",
                                                     "roles": ["technician", "tester"]})
    assert response.status_code == 302 and path_of(response) == "/admin/staff"
    person = user_by_email("tomasz@depot.example")
    assert person.is_staff and person.role_set == {Role.TECHNICIAN, Role.TESTER}
    assert person.password_hash is None
    assert "Tomasz Technik" in client.get("/admin/staff").get_data(as_text=True)

    [message] = send_mail().to("tomasz@depot.example")
    [link] = re.findall(r"https?://\S+/invitation/\S+", send_mail().text(message))
    client.post("/logout")
    response = client.post(urlsplit(link).path, data={"password": "blue-tractor-77", "confirm": "blue-tractor-77"})
    assert response.status_code == 302
    response = client.post("/login", data={"email": "tomasz@depot.example", "password": "blue-tractor-77"})
    assert path_of(response) == "/depot/"


def test_a_staff_member_without_a_role_is_refused(client, admin, login):
    login(admin)
    response = client.post("/admin/staff/new", data={"name": "Nobody", "email": "nobody@depot.example"})
    assert response.status_code == 200
    assert 'id="roles-error"' in response.get_data(as_text=True)
    assert user_by_email("nobody@depot.example") is None


def test_admin_edits_roles_and_deactivates_a_staff_member(client, admin, make_staff, login):
    person = make_staff(Role.TECHNICIAN, name="Tomasz")
    login(admin)
    assert client.get(f"/admin/staff/{person.id}").status_code == 200
    response = client.post(f"/admin/staff/{person.id}", data={
        "name": "Tomasz Nowak", "roles": ["account_manager", "customer_care"], "is_active": "y"})
    assert response.status_code == 302
    saved = fresh(person)
    assert saved.name == "Tomasz Nowak"
    assert saved.role_set == {Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE}

    client.post(f"/admin/staff/{person.id}", data={"name": "Tomasz Nowak", "roles": ["account_manager"]})
    assert not fresh(person).is_active_account
    client.post("/logout")
    assert client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 200


def test_admin_cannot_remove_their_own_admin_role(client, admin, login):
    login(admin)
    response = client.post(f"/admin/staff/{admin.id}", data={"name": "Ada", "roles": ["technician"],
                                                              "is_active": "y"})
    assert response.status_code == 200
    assert "cannot take away your own admin role" in response.get_data(as_text=True)
    assert fresh(admin).role_set == {Role.ADMIN} and fresh(admin).name == "Ada Admin"


def test_the_staff_page_does_not_open_a_customer_user(client, admin, make_company, login):
    customer = make_company()
    login(admin)
    assert client.get(f"/admin/staff/{customer.id}").status_code == 404
    assert client.get("/admin/staff/99999").status_code == 404


# -- who may open what ---------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE])
def test_office_staff_open_companies_and_mail_but_not_the_admin_pages(client, make_staff, make_company, login,
                                                                      role):
    person = make_staff(role)
    company = make_company().company
    message_id = db.session.scalar(select(func.min(OutboxMessage.id)))
    login(person)
    for url in ["/admin/", "/admin/companies", "/admin/companies?mine=0", f"/admin/companies/{company.id}",
                "/admin/mail", f"/admin/mail/{message_id}", f"/admin/mail/{message_id}/html"]:
        assert client.get(url).status_code == 200, url
    for url in ADMIN_ONLY_PAGES:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("roles, landing", [
    ((Role.ADMIN,), "/admin/"),
    ((Role.ACCOUNT_MANAGER,), "/admin/desk"),
    ((Role.CUSTOMER_CARE,), "/admin/companies"),
    ((Role.TECHNICIAN,), "/depot/"),
    ((Role.RECEIVING, Role.DISPATCH), "/depot/"),
    ((Role.TECHNICIAN, Role.ACCOUNT_MANAGER), "/admin/desk"),
])
def test_staff_land_on_the_page_of_their_role(client, make_staff, login, roles, landing):
    response = login(make_staff(*roles))
    assert path_of(response) == landing
    assert client.get(landing).status_code == 200
    assert path_of(client.get("/")) == landing


# -- companies and account managers -----------------------------------------------------------

@pytest.mark.parametrize("viewer", [Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE])
def test_the_company_page_shows_how_each_manager_was_assigned(client, admin, managers, make_company, make_staff,
                                                               login, viewer):
    assignment.save_rule({"name": "Poland", "priority": 10, "country": "PL"}, [managers[0]])
    db.session.commit()
    by_rule = make_company(country="PL").company
    by_turns = make_company(country="DE").company
    assignment.reassign_by_hand(by_rule, managers[1], actor=admin, note="Speaks Kashubian")
    db.session.commit()
    login(make_staff(viewer))

    page = client.get(f"/admin/companies/{by_rule.id}").get_data(as_text=True)
    assert "By rule “Poland”" in page and "Marek Manager" in page
    assert "By hand" in page and "Ada Admin" in page and "Speaks Kashubian" in page
    page = client.get(f"/admin/companies/{by_turns.id}").get_data(as_text=True)
    assert "Round robin" in page and "By hand" not in page

    listing = client.get("/admin/companies?mine=0").get_data(as_text=True)
    assert by_rule.legal_name in listing and by_turns.legal_name in listing


def test_admin_reassigns_a_company_by_hand(client, admin, managers, make_company, login):
    company = make_company().company
    other = next(m for m in managers if m.id != company.account_manager_id)
    login(admin)
    response = client.post(f"/admin/companies/{company.id}", data={"manager": other.id, "note": "Customer asked"})
    assert response.status_code == 302 and path_of(response) == f"/admin/companies/{company.id}"
    company = fresh(company)
    assert company.account_manager_id == other.id
    latest = company.assignments[0]
    assert (latest.method, latest.assigned_by_id, latest.note) == (AssignmentMethod.HAND, admin.id, "Customer asked")

    page = client.get(f"/admin/companies/{company.id}").get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr[ >].*?</tr>", page, re.S) if "By hand" in r)
    assert "Ada Admin" in row and other.name in row and "Customer asked" in row


def test_reassigning_to_the_current_manager_is_refused(client, admin, managers, make_company, login):
    company = make_company().company
    login(admin)
    response = client.post(f"/admin/companies/{company.id}", data={"manager": company.account_manager_id})
    assert response.status_code == 200 and "already manages" in response.get_data(as_text=True)
    assert len(fresh(company).assignments) == 1


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE])
def test_only_an_admin_may_reassign(client, managers, make_staff, make_company, login, role):
    company = make_company().company
    first = company.account_manager_id
    other = next(m for m in managers if m.id != first)
    login(make_staff(role))
    page = client.get(f"/admin/companies/{company.id}").get_data(as_text=True)
    assert "Reassign by hand" not in page
    for data in ({"manager": other.id}, {"manager": "not-a-number"}):
        assert client.post(f"/admin/companies/{company.id}", data=data).status_code == 403
    assert fresh(company).account_manager_id == first


def test_an_account_manager_sees_their_own_companies_by_default(client, managers, make_company, login):
    mine, theirs = make_company().company, make_company().company  # round robin: one each
    manager = db.session.get(User, mine.account_manager_id)
    login(manager)
    page = client.get("/admin/companies").get_data(as_text=True)
    assert mine.legal_name in page and theirs.legal_name not in page
    assert theirs.legal_name in client.get("/admin/companies?mine=0").get_data(as_text=True)


# -- rules ---------------------------------------------------------------------------------------

def test_admin_adds_edits_and_deletes_a_rule_in_the_browser(client, admin, managers, make_company, login):
    login(admin)
    assert client.get("/admin/rules/new").status_code == 200
    response = client.post("/admin/rules/new", data={
        "name": "Pomerania logistics", "priority": "5", "country": "PL", "region": "Pomorskie",
        "industry": "logistics", "size_band": "", "managers": [managers[1].id], "is_active": "y"})
    assert response.status_code == 302 and path_of(response) == "/admin/rules"
    rule = db.session.scalar(select(AssignmentRule))
    assert (rule.name, rule.priority, rule.country, rule.region, rule.size_band) == (
        "Pomerania logistics", 5, "PL", "Pomorskie", "")
    assert rule.managers == [managers[1]]
    assert "Pomerania logistics" in client.get("/admin/rules").get_data(as_text=True)
    assert make_company(region="Pomorskie").company.account_manager == managers[1]

    response = client.post(f"/admin/rules/{rule.id}", data={
        "name": "Pomerania", "priority": "7", "country": "PL", "region": "Pomorskie", "industry": "",
        "size_band": "", "managers": [managers[0].id, managers[1].id]})
    assert response.status_code == 302
    rule = fresh(rule)
    assert (rule.name, rule.priority, rule.industry, rule.is_active) == ("Pomerania", 7, "", False)
    assert {m.id for m in rule.managers} == {managers[0].id, managers[1].id}

    response = client.post(f"/admin/rules/{rule.id}/delete")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 0


def test_a_rule_without_managers_is_refused(client, admin, managers, login):
    login(admin)
    response = client.post("/admin/rules/new", data={"name": "Nobody's", "priority": "1", "country": "",
                                                     "region": "", "industry": "", "size_band": ""})
    assert response.status_code == 200
    assert 'id="managers-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AssignmentRule)) == 0


# -- announcements -------------------------------------------------------------------------------

def test_admin_writes_edits_and_deletes_an_announcement(client, admin, login):
    today = date.today()
    login(admin)
    assert client.get("/admin/announcements/new").status_code == 200
    response = client.post("/admin/announcements/new", data={
        "title": "Holiday hours", "body": "Closed on Friday.",
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=7)).isoformat()})
    assert response.status_code == 302 and path_of(response) == "/admin/announcements"
    item = db.session.scalar(select(Announcement))
    assert (item.title, item.starts_on, item.created_by_id) == ("Holiday hours", today, admin.id)
    assert "Holiday hours" in client.get("/admin/announcements").get_data(as_text=True)

    client.post(f"/admin/announcements/{item.id}", data={
        "title": "Holiday hours", "body": "Closed on Friday and Monday.",
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=9)).isoformat()})
    item = fresh(item)
    assert item.body == "Closed on Friday and Monday." and item.ends_on == today + timedelta(days=9)

    assert client.post(f"/admin/announcements/{item.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Announcement)) == 0


def test_an_announcement_ending_before_it_starts_is_refused(client, admin, login):
    today = date.today()
    login(admin)
    response = client.post("/admin/announcements/new", data={
        "title": "Backwards", "body": "x", "starts_on": today.isoformat(),
        "ends_on": (today - timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="ends_on-error"' in html and "cannot come before the first" in html
    assert db.session.scalar(select(func.count()).select_from(Announcement)) == 0


# -- mail ------------------------------------------------------------------------------------------

def test_the_mail_page_lists_queued_mail_and_shows_the_links_of_a_message(client, admin, make_company, login):
    user = make_company()
    confirmation = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == user.email))
    login(admin)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert user.email in page and "Confirm your e-mail address" in page and "Queued" in page

    page = client.get(f"/admin/mail/{confirmation.id}").get_data(as_text=True)
    [link] = set(re.findall(r'href="(http[^"]+/confirm/[^"]+)"', page))
    assert link in confirmation.text_body
    assert client.get(urlsplit(link).path).status_code == 302  # the link works

    found = client.get("/admin/mail", query_string={"q": user.email}).get_data(as_text=True)
    assert "care@depot.example" not in found.split("<tbody>")[1]


def test_the_html_version_of_a_mail_is_sandboxed(client, admin, make_company, login):
    user = make_company()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == user.email))
    login(admin)
    response = client.get(f"/admin/mail/{message.id}/html")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == message.html_body
    policy = response.headers["Content-Security-Policy"]
    directives = {d.strip().split()[0]: d.strip() for d in policy.split(";")}
    assert "sandbox" in directives
    assert "allow-scripts" not in policy and "allow-same-origin" not in policy and "allow-forms" not in policy
    assert directives["default-src"] == "default-src 'none'"
