"""The admins' deadline pages over HTTP: rules per stage and service level, company contracts, holidays."""

import html
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Role
from portal.models.order import ServiceLevel
from portal.models.sla import DeadlineRule, DeadlineStage, Holiday

D, R, T = DeadlineStage.DIAGNOSIS, DeadlineStage.REPAIR, DeadlineStage.TURNAROUND
PAGES = ["/admin/deadlines", "/admin/holidays"]


@pytest.fixture
def admin(make_staff, login):
    user = make_staff(Role.ADMIN, name="Ada Admin")
    login(user)
    return user


def rules() -> dict:
    db.session.expire_all()
    return {(r.stage, r.service_level, r.company_id): r.working_days for r in db.session.scalars(select(DeadlineRule))}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def cells(**values) -> dict:
    data = {f"{s.value}_{lv.value}": "" for s in DeadlineStage for lv in ServiceLevel}
    data.update(values)
    return data


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE, Role.TECHNICIAN])
def test_only_admins_open_the_deadline_pages(client, make_staff, login, path, role):
    login(make_staff(role))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_customers_are_refused(client, make_company, login, path):
    login(make_company())
    assert client.get(path).status_code == 403


def test_the_page_shows_the_built_in_values_as_placeholders(client, admin):
    page = text(client.get("/admin/deadlines"))
    assert 'name="diagnosis_standard"' in page and 'placeholder="2"' in page and 'placeholder="10"' in page
    assert "Every company follows the depot's deadlines." in page


def test_admin_sets_the_depots_rules(client, admin):
    response = client.post("/admin/deadlines", data=cells(diagnosis_standard="3", turnaround_express="5"))
    assert response.status_code == 302 and response.location.endswith("/admin/deadlines")
    assert rules() == {(D, ServiceLevel.STANDARD, None): 3, (T, ServiceLevel.EXPRESS, None): 5}
    page = text(client.get("/admin/deadlines"))
    assert "The depot's deadlines are saved." in page and 'value="3"' in page
    # A blank cell removes the rule again.
    client.post("/admin/deadlines", data=cells(diagnosis_standard="3"))
    assert rules() == {(D, ServiceLevel.STANDARD, None): 3}


@pytest.mark.parametrize("value", ["0", "-1", "251", "two", "1.5"])
def test_bad_working_days_are_refused_beside_the_cell(client, admin, value):
    response = client.post("/admin/deadlines", data=cells(diagnosis_standard="3", repair_standard=value))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="repair_standard-error"' in page and 'aria-invalid="true"' in page
    assert rules() == {}


def test_a_company_contract_overrides_the_depot(client, admin, make_company):
    company = make_company(legal_name="Zebra Logistics S.A.").company
    db.session.add(DeadlineRule(stage=R, service_level=ServiceLevel.STANDARD, company_id=None, working_days=6))
    db.session.commit()
    picked = client.get(f"/admin/deadlines/company?company_id={company.id}")
    assert picked.status_code == 302 and picked.location.endswith(f"/admin/deadlines/companies/{company.id}")
    page = client.get(f"/admin/deadlines/companies/{company.id}").get_data(as_text=True)
    assert "Deadlines of Zebra Logistics S.A." in page and 'placeholder="6"' in page  # the depot's rule
    client.post(f"/admin/deadlines/companies/{company.id}", data=cells(repair_standard="3"))
    assert rules() == {(R, ServiceLevel.STANDARD, None): 6, (R, ServiceLevel.STANDARD, company.id): 3}
    overview = text(client.get("/admin/deadlines"))
    assert "Zebra Logistics S.A." in overview and f"/admin/deadlines/companies/{company.id}" in overview


def test_unknown_companies_are_404_and_the_picker_needs_a_choice(client, admin):
    assert client.get("/admin/deadlines/companies/999").status_code == 404
    response = client.get("/admin/deadlines/company?company_id=0", follow_redirects=True)
    assert "Choose the company." in response.get_data(as_text=True)


def test_admin_adds_and_removes_a_holiday(client, admin):
    response = client.post("/admin/holidays", data={"day": "2025-11-11", "name": "Independence Day"})
    assert response.status_code == 302
    holiday = db.session.scalar(select(Holiday))
    assert (holiday.day, holiday.name) == (date(2025, 11, 11), "Independence Day")
    page = client.get("/admin/holidays").get_data(as_text=True)
    assert "Independence Day" in page and "Tuesday, November 11, 2025" in page
    again = client.post("/admin/holidays", data={"day": "2025-11-11", "name": "Twice"})
    assert again.status_code == 200 and "This day is already a holiday." in again.get_data(as_text=True)
    assert client.post(f"/admin/holidays/{holiday.id}/remove").status_code == 302
    assert db.session.scalar(select(Holiday)) is None


@pytest.mark.parametrize("day", ["", "2025-13-01", "soon"])
def test_a_bad_day_is_refused(client, admin, day):
    response = client.post("/admin/holidays", data={"day": day, "name": "x"})
    assert response.status_code == 200 and 'id="day-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Holiday)) is None


def test_removing_an_unknown_holiday_is_404(client, admin):
    assert client.post("/admin/holidays/5/remove").status_code == 404
