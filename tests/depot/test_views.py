"""The depot's landing page: any staff member, never a customer."""

from urllib.parse import urlsplit

import pytest

from portal.models import Role


@pytest.mark.parametrize("roles, shown", [
    ((Role.TECHNICIAN,), ["Technician"]),
    ((Role.RECEIVING, Role.DISPATCH), ["Receiving", "Dispatch"]),
    ((Role.ADMIN,), ["Admin"]),
])
def test_staff_open_the_depot_page_with_their_roles(client, make_staff, login, roles, shown):
    login(make_staff(*roles))
    response = client.get("/depot/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert all(title in page for title in shown)


def test_a_customer_gets_403_on_the_depot_page(client, make_company, login):
    login(make_company())
    assert client.get("/depot/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/depot/")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    assert "next=%2Fdepot%2F" in response.location
