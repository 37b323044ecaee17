"""The account manager's desk over HTTP: what it lists, for whom, and that it stays fast."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import OrderState, Role
from tests.deadline_helpers import S, live, received_so_that
from tests.quotes_helpers import send_quote


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def world(make_staff, make_company, make_order):
    """Mia manages Alpha and Beta, Max manages Gamma.

    Alpha: an accepted order with an overdue and an at-risk device, and a new order to check.
    Beta: a device waiting for the customer's decision and an order whose parcel never came.
    Gamma: an overdue device that is not Mia's business."""
    mia = make_staff(Role.ACCOUNT_MANAGER, name="Mia Manager")
    max_ = make_staff(Role.ACCOUNT_MANAGER, name="Max Manager")
    alpha, beta, gamma = (make_company(legal_name=f"{n} Sp. z o.o.") for n in ("Alpha", "Beta", "Gamma"))
    for owner, manager in ((alpha, mia), (beta, mia), (gamma, max_)):
        owner.company.account_manager_id = manager.id

    accepted = make_order(alpha, devices=3)
    accepted.state = OrderState.ACCEPTED
    overdue, at_risk, _untouched = accepted.devices
    for device in (overdue, at_risk):
        live(device, (S.RECEIVED, utcnow() - timedelta(hours=1)))
    received_so_that(overdue, "overdue")
    received_so_that(at_risk, "at risk")
    to_check = make_order(alpha, devices=1)

    quoted_order = make_order(beta, devices=1)
    quoted_order.state = OrderState.ACCEPTED
    quote = send_quote(quoted_order.devices[0], commit=False)
    quote.sent_at = utcnow() - timedelta(days=8)
    not_sent = make_order(beta, devices=2)
    not_sent.state = OrderState.ACCEPTED
    not_sent.submitted_at = utcnow() - timedelta(days=10)

    elsewhere = make_order(gamma, devices=1)
    live(elsewhere.devices[0], (S.RECEIVED, utcnow() - timedelta(hours=1)))
    received_so_that(elsewhere.devices[0], "overdue")
    db.session.commit()
    return {"mia": mia, "max": max_, "overdue": overdue, "at_risk": at_risk, "untouched": _untouched,
            "to_check": to_check, "quoted": quoted_order, "not_sent": not_sent, "elsewhere": elsewhere,
            "alpha": alpha.company, "beta": beta.company, "gamma": gamma.company}


def test_the_manager_sees_their_desk(client, login, world):
    login(world["mia"])
    response = client.get("/admin/desk")
    assert response.status_code == 200
    page = text(response)
    assert "My desk" in page
    # Deadlines: the overdue device first, then the one at risk, both highlighted.
    overdue, at_risk = world["overdue"].tag_code, world["at_risk"].tag_code
    assert page.index(overdue) < page.index(at_risk)
    assert 'class="deadline-row deadline-overdue"' in page and 'class="deadline-row deadline-at-risk"' in page
    assert "late by" in page and "left" in page
    assert world["untouched"].tag_code not in page and world["elsewhere"].devices[0].tag_code not in page
    # New orders to check, quotes waiting (with the link to decide on behalf), parcels not sent.
    assert f'/admin/orders/{world["to_check"].id}"' in page
    assert f'/admin/orders/{world["quoted"].id}/approval"' in page and "8 days" in page
    assert world["quoted"].devices[0].tag_code in page
    assert f'/admin/orders/{world["not_sent"].id}"' in page
    # Companies with their open devices.
    assert "Alpha Sp. z o.o." in page and "Beta Sp. z o.o." in page and "Gamma Sp. z o.o." not in page
    assert f'/admin/companies/{world["alpha"].id}"' in page


def test_orders_waiting_for_a_check_are_not_parcels_late_yet(client, login, world):
    login(world["mia"])
    page = text(client.get("/admin/desk"))
    section = page[page.index('id="parcels"'):page.index('id="companies"')]
    assert world["not_sent"].number in section
    assert world["to_check"].number not in section  # submitted today: not late
    assert world["quoted"].number not in section  # its device arrived


def test_another_manager_sees_only_their_companies(client, login, world):
    login(world["max"])
    page = text(client.get("/admin/desk"))
    assert world["elsewhere"].devices[0].tag_code in page
    assert world["overdue"].tag_code not in page and "Alpha Sp. z o.o." not in page


def test_admins_choose_whose_desk(client, login, make_staff, world):
    login(make_staff(Role.ADMIN, name="Ada Admin"))
    page = text(client.get("/admin/desk"))
    assert "Choose an account manager" in page and "Mia Manager" in page and "Max Manager" in page
    chosen = text(client.get(f"/admin/desk?manager={world['mia'].id}"))
    assert "Desk of Mia Manager" in chosen and world["overdue"].tag_code in chosen
    admin = make_staff(Role.ADMIN)
    assert client.get(f"/admin/desk?manager={admin.id}").status_code == 404
    assert client.get("/admin/desk?manager=9999").status_code == 404


def test_a_manager_cannot_open_another_managers_desk(client, login, world):
    login(world["max"])
    page = text(client.get(f"/admin/desk?manager={world['mia'].id}"))
    assert world["overdue"].tag_code not in page  # the parameter is for admins only


def test_a_manager_without_companies(client, login, make_staff):
    login(make_staff(Role.ACCOUNT_MANAGER))
    assert "No company is assigned" in text(client.get("/admin/desk"))


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CUSTOMER_CARE, Role.RECEIVING, Role.SUPERVISOR])
def test_other_staff_are_refused(client, login, make_staff, role):
    login(make_staff(role))
    assert client.get("/admin/desk").status_code == 403


def test_customers_are_refused(client, login, make_company):
    login(make_company())
    assert client.get("/admin/desk").status_code == 403


def test_strangers_go_to_the_login_page(client, app):
    response = client.get("/admin/desk")
    assert response.status_code == 302 and "/login" in response.location


def test_the_desk_takes_a_handful_of_queries_for_many_companies(client, login, make_staff, make_company,
                                                                make_order, world):
    mia = world["mia"]
    for n in range(8):
        owner = make_company(legal_name=f"Extra {n}")
        owner.company.account_manager_id = mia.id
        order = make_order(owner, devices=3)
        for device in order.devices:
            live(device, (S.RECEIVED, utcnow() - timedelta(hours=2)), (S.DIAGNOSIS, utcnow() - timedelta(hours=1)))
    db.session.commit()
    login(mia)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/admin/desk")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and "Extra 7" in text(response)
    assert len(statements) <= 16, "\n".join(statements)
