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


def test_the_search_box_is_on_staff_pages_and_a_single_hit_opens_it(client, make_staff, login, make_company,
                                                                     make_order):
    order = make_order(make_company(legal_name="Acme Terminals"), devices=2)
    login(make_staff(Role.TECHNICIAN))
    assert 'role="search"' in client.get("/depot/").get_data(as_text=True)
    response = client.get("/depot/search", query_string={"q": order.devices[1].tag_code})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/depot/devices/{order.devices[1].id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert order.devices[1].serial_number in page and "Registered" in page and order.number in page
    many = client.get("/depot/search", query_string={"q": "Zebra"}).get_data(as_text=True)
    assert "Nothing found" in many
    listed = client.get("/depot/search", query_string={"q": "acme"})
    assert listed.status_code == 302 and "/admin/companies/" in listed.headers["Location"]


def test_customers_have_no_search_box_and_no_staff_search(client, make_company, login):
    login(make_company())
    assert 'role="search"' not in client.get("/home").get_data(as_text=True)
    assert client.get("/depot/search?q=x").status_code == 403


def test_the_staff_device_page_shows_each_deadline_and_when_its_clock_paused(client, make_staff, login,
                                                                            make_company, make_order, take_photos):
    from portal import workflow
    from portal.extensions import db
    from portal.models import DeviceStatus

    device = make_order(make_company(), devices=1).devices[0]
    technician = make_staff(Role.TECHNICIAN)
    workflow.move(device, DeviceStatus.RECEIVED, actor=make_staff(Role.RECEIVING))
    take_photos(device, "intake")
    workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician)
    workflow.move(device, DeviceStatus.AWAITING_APPROVAL, actor=technician)
    db.session.commit()
    login(make_staff(Role.SUPERVISOR))
    page = client.get(f"/depot/devices/{device.id}").get_data(as_text=True)
    table = page[page.index('id="deadlines-heading"'):]
    assert "Diagnosis" in table and "Turnaround" in table and "working days" in table
    assert " – now" in table  # the turnaround clock is paused while the customer decides
