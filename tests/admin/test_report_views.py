"""The reports over HTTP: who may read them, the period picker, the charts, the .xlsx downloads."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal import reports
from portal.extensions import db
from portal.models import Role
from tests import report_fixtures

MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def depot(make_company, make_order, make_staff):
    built = report_fixtures.build(make_company, make_order, make_staff)
    reports.refresh()
    db.session.commit()
    return built


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNT_MANAGER])
@pytest.mark.parametrize("name", list(reports.REPORTS))
def test_managers_read_every_report_with_its_chart(client, login, make_staff, depot, role, name):
    login(make_staff(role))
    response = client.get("/admin/reports", query_string={"report": name, **MARCH})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="img"' in html and "<title id=" in html
    assert "<script" not in html.split("</header>")[-1]


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CUSTOMER_CARE, Role.RECEIVING])
def test_other_staff_get_403(client, login, make_staff, role):
    login(make_staff(role))
    assert client.get("/admin/reports").status_code == 403
    assert client.get("/admin/reports/turnaround.xlsx").status_code == 403


def test_customers_get_403(client, login, make_company):
    login(make_company())
    assert client.get("/admin/reports").status_code == 403
    assert client.get("/admin/reports/revenue.xlsx").status_code == 403


def test_an_unknown_report_is_404(client, login, make_staff):
    login(make_staff(Role.ADMIN))
    assert client.get("/admin/reports?report=nope").status_code == 404
    assert client.get("/admin/reports/nope.xlsx").status_code == 404


def test_a_bad_period_is_named_and_the_last_12_months_shown(client, login, make_staff):
    login(make_staff(Role.ADMIN))
    response = client.get("/admin/reports", query_string={"report": "sla", "from": "2025-13-01", "to": "2025-03-01"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is not a date" in html and 'aria-invalid="true"' in html
    assert client.get("/admin/reports/sla.xlsx", query_string={"from": "x", "to": "y"}).status_code == 400


def test_presets_link_to_their_periods(client, login, make_staff):
    login(make_staff(Role.ACCOUNT_MANAGER))
    html = client.get("/admin/reports?preset=this_month").get_data(as_text=True)
    today = reports.depot_today()
    assert f'value="{today.replace(day=1).isoformat()}"' in html
    assert "Last 3 months" in html and "Last 12 months" in html


def sheet_rows(response, index=0) -> list[tuple]:
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return [tuple(row) for row in book.worksheets[index].iter_rows(values_only=True)]


def test_the_download_holds_the_figures_of_the_page(client, login, make_staff, depot):
    login(make_staff(Role.ADMIN))
    rows = sheet_rows(client.get("/admin/reports/technicians.xlsx", query_string=MARCH))
    assert rows[1][:3] == ("Period", "2025-03-01", "2025-03-31")
    assert rows[2][:6] == ("Technician", "Diagnoses", "Repairs", "Repairs checked", "Failed the check",
                           "Fail rate (%)")
    by_name = {r[0]: r[1:6] for r in rows[3:] if r and r[0]}
    assert by_name["Tina Technician"] == (1, 2, 2, 1, 50)
    html = client.get("/admin/reports", query_string={"report": "technicians", **MARCH}).get_data(as_text=True)
    assert "Tina Technician" in html and "50.0" in html

    revenue = sheet_rows(client.get("/admin/reports/revenue.xlsx", query_string=MARCH))
    customer = next(r for r in revenue if r and r[0] == "Acme Logistics Sp. z o.o.")
    assert [Decimal(str(v)) for v in customer[1:3]] == [Decimal("110"), Decimal("20")]
    assert customer[3] == 120 and Decimal(str(customer[5])) == Decimal("30")
    orders = sheet_rows(client.get("/admin/reports/revenue.xlsx", query_string=MARCH), index=1)
    assert any(r and r[0] and "Acme" in str(r[0]) for r in orders[3:])


def test_company_names_never_become_formulas(client, login, make_staff, depot):
    depot.company.legal_name = '=HYPERLINK("http://evil.example")'
    db.session.commit()
    login(make_staff(Role.ADMIN))
    response = client.get("/admin/reports/revenue.xlsx", query_string=MARCH)
    book = load_workbook(io.BytesIO(response.data))
    cells = [c for row in book.worksheets[0].iter_rows() for c in row]
    assert any(c.value == depot.company.legal_name for c in cells)
    assert all(c.data_type != "f" for c in cells)
