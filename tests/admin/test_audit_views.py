"""The audit log page: admins only, newest first, filters by table, person and period, paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEntry, Role


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


def test_a_change_made_through_the_office_appears_in_the_log(client, login, admin):
    login(admin)
    response = client.post("/admin/tax-rates", data={"name": "VAT 23", "rate": "23", "legal_note": "",
                                                      "is_active": "y"})
    assert response.status_code == 302
    response = client.post("/admin/staff/new", data={"name": "Tomasz Technik", "email": "tomasz@depot.example",
                                                     "roles": ["technician"]})
    assert response.status_code == 302
    page = client.get("/admin/audit").get_data(as_text=True).split("<table")[1]
    assert page.index("Tomasz Technik") < page.index("VAT 23"), "newest first"
    assert "Ada Admin" in page and "Tax rates" in page
    page = client.get("/admin/audit?table=tax_rates").get_data(as_text=True).split("<table")[1]
    assert "VAT 23" in page and "Tomasz Technik" not in page


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE])
def test_only_admins_read_the_log(client, login, make_staff, role):
    login(make_staff(role))
    assert client.get("/admin/audit").status_code == 403


def test_customers_are_refused(client, login, make_company):
    login(make_company())
    assert client.get("/admin/audit").status_code == 403


def add_entry(actor, at, entity="holidays", value="x"):
    db.session.add(AuditEntry(actor_id=actor.id, at=at, action="created", entity=entity, entity_id=1,
                              new_value=value))


def test_filters_by_person_and_period(client, login, admin, make_staff):
    other = make_staff(Role.ADMIN, name="Bob Boss")
    now = datetime.now(UTC)
    add_entry(admin, now - timedelta(days=10), value="ten-days-ago")
    add_entry(other, now - timedelta(days=1), value="yesterday-by-bob")
    add_entry(admin, now, value="today-by-ada")
    db.session.commit()
    login(admin)
    page = client.get(f"/admin/audit?person={other.id}").get_data(as_text=True)
    assert "yesterday-by-bob" in page and "today-by-ada" not in page
    since = (now - timedelta(days=3)).date().isoformat()
    page = client.get(f"/admin/audit?since={since}").get_data(as_text=True)
    assert "ten-days-ago" not in page and "today-by-ada" in page and "yesterday-by-bob" in page
    until = (now - timedelta(days=5)).date().isoformat()
    page = client.get(f"/admin/audit?until={until}").get_data(as_text=True)
    assert "ten-days-ago" in page and "today-by-ada" not in page


def test_bad_filters_say_what_is_wrong_and_show_everything(client, login, admin):
    add_entry(admin, datetime.now(UTC), value="kept")
    db.session.commit()
    login(admin)
    response = client.get("/admin/audit?since=2026-05-02&until=2026-05-01&table=nonsense")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "before its start" in page and "Not a valid choice" in page and "kept" in page


def test_the_log_is_paged(client, login, admin):
    now = datetime.now(UTC)
    for n in range(55):
        add_entry(admin, now - timedelta(minutes=n), value=f"entry-{n:02d}")
    db.session.commit()
    login(admin)
    first = client.get("/admin/audit?table=holidays").get_data(as_text=True)
    assert "entry-00" in first and "entry-54" not in first and "Page 1 of 2" in first
    assert "table=holidays" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
    second = client.get("/admin/audit?table=holidays&page=2").get_data(as_text=True)
    assert "entry-54" in second and "entry-00" not in second
