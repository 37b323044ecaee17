"""The customer portal over HTTP: colleagues and rights, company details, profiles, addresses, welcome page."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import RIGHTS, Announcement, InvoiceProfile, ReturnAddress, Role, User
from tests.conftest import PASSWORD


def fresh(obj):
    """The object as the database now holds it."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def path_of(response) -> str:
    return urlsplit(response.location).path


def profile_form(**overrides) -> dict:
    data = dict(name="Acme Branch Gdańsk", tax_id="PL5550001111", street="ul. Morska 3", postcode="81-001",
                city="Gdynia", country="PL", invoice_email="invoices@branch.example")
    return {**data, **overrides}


def address_form(**overrides) -> dict:
    data = dict(label="Warehouse Łódź", recipient="Acme magazyn", street="ul. Składowa 5", postcode="90-001",
                city="Łódź", country="PL", phone="+48 42 000 00 00")
    return {**data, **overrides}


@pytest.fixture
def manager(make_company):
    """The company's first user, who holds every right."""
    return make_company(legal_name="Acme Repairs Sp. z o.o.", name="Olga Owner")


# -- colleagues and rights ------------------------------------------------------------

def test_a_user_without_the_manage_users_right_gets_403_on_the_users_pages(client, manager, make_user, login):
    colleague = make_user(manager.company, rights=("can_see_invoices", "can_manage_company"))
    login(colleague)
    assert client.get("/users").status_code == 403
    assert client.get("/users/invite").status_code == 403
    response = client.post("/users/invite", data={"name": "Sneaky", "email": "sneaky@acme.example"})
    assert response.status_code == 403
    assert client.get(f"/users/{manager.id}").status_code == 403
    assert client.post(f"/users/{manager.id}/deactivate").status_code == 403
    assert db.session.scalar(select(User).where(User.email == "sneaky@acme.example")) is None
    assert fresh(manager).is_active_account


def test_a_manager_invites_a_colleague_with_no_rights_ticked(client, manager, login, send_mail):
    login(manager)
    assert client.get("/users/invite").status_code == 200
    response = client.post("/users/invite", data={"name": "Jan Kolega", "email": "Jan@Acme.example"})
    assert response.status_code == 302 and path_of(response) == "/users"

    jan = db.session.scalar(select(User).where(User.email == "jan@acme.example"))
    assert jan.company_id == manager.company_id and jan.password_hash is None
    assert not any(getattr(jan, right) for right in RIGHTS)
    assert jan.invoice_profile_id == manager.invoice_profile_id
    [message] = send_mail().to("jan@acme.example")
    assert "Olga Owner" in message["Subject"]
    assert "/invitation/" in send_mail().text(message)
    page = client.get("/users").get_data(as_text=True)
    assert "Jan Kolega" in page and "Invited" in page


def test_inviting_an_address_already_in_use_is_refused_beside_the_email(client, manager, make_company, login):
    other = make_company()
    login(manager)
    response = client.post("/users/invite", data={"name": "Someone", "email": other.email})
    assert response.status_code == 200
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.company_id == manager.company_id)) == 1


def test_a_manager_edits_a_colleagues_rights_and_invoice_profile(client, manager, make_user, login):
    colleague = make_user(manager.company)
    branch = InvoiceProfile(company=manager.company, **profile_form())
    db.session.add(branch)
    db.session.commit()
    login(manager)
    assert client.get(f"/users/{colleague.id}").status_code == 200
    response = client.post(f"/users/{colleague.id}", data={
        "can_see_invoices": "y", "can_edit_all_orders": "y", "invoice_profile": branch.id})
    assert response.status_code == 302 and path_of(response) == "/users"
    saved = fresh(colleague)
    assert saved.can_see_invoices and saved.can_edit_all_orders
    assert not (saved.can_see_colleagues_orders or saved.can_manage_users or saved.can_manage_company)
    assert saved.invoice_profile_id == branch.id


def test_a_deactivated_colleague_cannot_log_in_and_their_row_stays(client, manager, make_user, login):
    colleague = make_user(manager.company, name="Jan Kolega")
    login(manager)
    response = client.post(f"/users/{colleague.id}/deactivate")
    assert response.status_code == 302
    assert not fresh(colleague).is_active_account
    page = client.get("/users").get_data(as_text=True)
    assert "Jan Kolega" in page and "Deactivated" in page

    client.post("/logout")
    response = client.post("/login", data={"email": colleague.email, "password": PASSWORD})
    assert response.status_code == 200 and "deactivated" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302

    login(manager)
    client.post(f"/users/{colleague.id}/reactivate")
    assert fresh(colleague).is_active_account


def test_a_deactivated_colleague_is_logged_out_of_an_open_session(app, client, manager, make_user, login):
    colleague = make_user(manager.company)
    colleague_client = app.test_client()
    colleague_client.post("/login", data={"email": colleague.email, "password": PASSWORD})
    assert colleague_client.get("/home").status_code == 200
    login(manager)
    client.post(f"/users/{colleague.id}/deactivate")
    assert colleague_client.get("/home").status_code == 302


def test_the_last_user_manager_cannot_drop_the_right(client, manager, make_user, login):
    make_user(manager.company)  # a colleague without the right does not count
    login(manager)
    response = client.post(f"/users/{manager.id}", data={"can_see_invoices": "y",
                                                         "invoice_profile": manager.invoice_profile_id})
    assert response.status_code == 200
    assert "only one who can manage users" in response.get_data(as_text=True)
    saved = fresh(manager)
    assert all(getattr(saved, right) for right in RIGHTS)


def test_the_last_user_manager_cannot_be_deactivated(client, manager, login):
    login(manager)
    response = client.post(f"/users/{manager.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200
    assert "cannot be deactivated" in response.get_data(as_text=True)
    assert fresh(manager).is_active_account


def test_with_a_second_manager_the_first_may_drop_the_right(client, manager, make_user, login):
    make_user(manager.company, rights=("can_manage_users",))
    login(manager)
    response = client.post(f"/users/{manager.id}", data={"invoice_profile": manager.invoice_profile_id})
    assert response.status_code == 302
    assert not fresh(manager).can_manage_users
    assert client.get("/users").status_code == 403


# -- company details -------------------------------------------------------------------

@pytest.mark.parametrize("form", [
    {"legal_name": "Taken Over Ltd", "street": "x", "postcode": "1", "city": "y"},
    {"legal_name": ""},  # an incomplete form is refused just the same
])
def test_company_details_need_the_manage_company_right(client, manager, make_user, login, form):
    colleague = make_user(manager.company, rights=("can_manage_users",))
    login(colleague)
    assert client.get("/company").status_code == 200  # reading is allowed
    assert client.post("/company", data=form).status_code == 403
    assert fresh(manager.company).legal_name == "Acme Repairs Sp. z o.o."


def test_a_company_manager_saves_the_company_details(client, manager, login):
    login(manager)
    response = client.post("/company", data={"legal_name": "Acme Serwis S.A.", "region": "Pomorskie",
                                             "street": "ul. Nowa 9", "postcode": "80-002", "city": "Gdańsk",
                                             "phone": ""})
    assert response.status_code == 302 and path_of(response) == "/company"
    company = fresh(manager.company)
    assert (company.legal_name, company.street, company.postcode) == ("Acme Serwis S.A.", "ul. Nowa 9", "80-002")


def test_company_details_with_a_missing_field_are_not_saved(client, manager, login):
    login(manager)
    response = client.post("/company", data={"legal_name": "", "street": "ul. Nowa 9", "postcode": "80-002",
                                             "city": "Gdańsk"})
    assert response.status_code == 200
    assert 'id="legal_name-error"' in response.get_data(as_text=True)
    assert fresh(manager.company).legal_name == "Acme Repairs Sp. z o.o."


@pytest.mark.parametrize("url", ["/company/invoice-profiles/new", "/company/addresses/new"])
def test_profiles_and_addresses_need_the_manage_company_right(client, manager, make_user, login, url):
    login(make_user(manager.company, rights=("can_manage_users",)))
    assert client.get(url).status_code == 403
    assert client.post(url, data=profile_form() | address_form()).status_code == 403
    assert len(fresh(manager.company).invoice_profiles) == 1
    assert len(manager.company.return_addresses) == 1


# -- invoice profiles ------------------------------------------------------------------------

def test_invoice_profiles_are_added_edited_and_archived(client, manager, make_user, login):
    colleague = make_user(manager.company)
    first = manager.invoice_profile
    login(manager)
    response = client.post("/company/invoice-profiles/new", data=profile_form())
    assert response.status_code == 302 and path_of(response) == "/company"
    branch = db.session.scalar(select(InvoiceProfile).where(InvoiceProfile.name == "Acme Branch Gdańsk"))
    assert branch.company_id == manager.company_id and not branch.is_archived

    response = client.post(f"/company/invoice-profiles/{branch.id}", data=profile_form(city="Sopot"))
    assert response.status_code == 302 and fresh(branch).city == "Sopot"

    response = client.post(f"/company/invoice-profiles/{first.id}/archive")
    assert response.status_code == 302
    assert fresh(first).is_archived
    assert fresh(colleague).invoice_profile_id == branch.id  # moved to the active profile
    assert fresh(manager).invoice_profile_id == branch.id

    client.post(f"/company/invoice-profiles/{first.id}/archive")  # the same button restores
    assert not fresh(first).is_archived


def test_the_last_active_invoice_profile_cannot_be_archived(client, manager, login):
    login(manager)
    response = client.post(f"/company/invoice-profiles/{manager.invoice_profile_id}/archive",
                           follow_redirects=True)
    assert "at least one active invoice profile" in response.get_data(as_text=True)
    assert not fresh(manager.invoice_profile).is_archived


def test_an_invoice_profile_with_a_bad_email_is_refused_beside_it(client, manager, login):
    login(manager)
    response = client.post("/company/invoice-profiles/new", data=profile_form(invoice_email="not-an-address"))
    assert response.status_code == 200 and 'id="invoice_email-error"' in response.get_data(as_text=True)
    assert len(fresh(manager.company).invoice_profiles) == 1


# -- return addresses -------------------------------------------------------------------------

def test_return_addresses_are_added_edited_made_default_and_archived(client, manager, login):
    head_office = manager.company.return_addresses[0]
    assert head_office.is_default
    login(manager)
    response = client.post("/company/addresses/new", data=address_form())
    assert response.status_code == 302 and path_of(response) == "/company"
    warehouse = db.session.scalar(select(ReturnAddress).where(ReturnAddress.label == "Warehouse Łódź"))
    assert warehouse.company_id == manager.company_id and not warehouse.is_default

    client.post(f"/company/addresses/{warehouse.id}", data=address_form(recipient="Pan Magazynier"))
    assert fresh(warehouse).recipient == "Pan Magazynier"

    client.post(f"/company/addresses/{warehouse.id}/default")
    assert fresh(warehouse).is_default and not fresh(head_office).is_default

    client.post(f"/company/addresses/{warehouse.id}/archive")  # archiving the default moves it
    assert fresh(warehouse).is_archived and not fresh(warehouse).is_default
    assert fresh(head_office).is_default


def test_the_last_return_address_cannot_be_archived(client, manager, login):
    address = manager.company.return_addresses[0]
    login(manager)
    response = client.post(f"/company/addresses/{address.id}/archive", follow_redirects=True)
    assert "at least one return address" in response.get_data(as_text=True)
    assert not fresh(address).is_archived and fresh(address).is_default


def test_an_archived_address_cannot_become_the_default(client, manager, login):
    login(manager)
    client.post("/company/addresses/new", data=address_form())
    warehouse = db.session.scalar(select(ReturnAddress).where(ReturnAddress.label == "Warehouse Łódź"))
    client.post(f"/company/addresses/{warehouse.id}/archive")
    response = client.post(f"/company/addresses/{warehouse.id}/default", follow_redirects=True)
    assert "cannot be the default" in response.get_data(as_text=True)
    assert not fresh(warehouse).is_default


# -- welcome page ---------------------------------------------------------------------------------

def test_the_welcome_page_shows_the_company_its_manager_and_current_news(client, make_staff, make_company, login):
    make_staff(Role.ACCOUNT_MANAGER, name="Marta Manager")
    user = make_company(legal_name="Acme Repairs Sp. z o.o.")
    today = date.today()
    for title, start, end in [("Holiday hours", today - timedelta(days=1), today + timedelta(days=1)),
                              ("Old news", today - timedelta(days=10), today - timedelta(days=2)),
                              ("Coming soon", today + timedelta(days=2), today + timedelta(days=10))]:
        db.session.add(Announcement(title=title, body=f"{title} body", starts_on=start, ends_on=end))
    db.session.commit()

    response = login(user)
    assert path_of(response) == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert "Acme Repairs Sp. z o.o." in page and user.company.tax_id in page
    assert "Marta Manager" in page
    assert "Holiday hours" in page and "Holiday hours body" in page
    assert "Old news" not in page and "Coming soon" not in page


def test_the_welcome_page_says_when_no_manager_is_assigned_yet(client, make_company, login):
    user = make_company()
    login(user)
    page = client.get("/home").get_data(as_text=True)
    assert "Being assigned" in page and "No news at the moment." in page
