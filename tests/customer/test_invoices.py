"""The customer's invoices: seen with the right only, scoped to the company, PDFs included."""

from __future__ import annotations

import pytest

from portal import invoicing
from portal.extensions import db
from portal.models import Role
from tests.invoice_helpers import invoiced_order


@pytest.fixture
def invoice(make_company, make_order):
    owner = make_company(legal_name="Acme Logistics Sp. z o.o.")
    return invoiced_order(make_order, owner)


def test_a_user_with_the_right_sees_the_companys_invoices_and_their_status(client, login, invoice, make_user,
                                                                             make_staff):
    reader = make_user(invoice.company, rights=("can_see_invoices",))
    login(reader)
    page = client.get("/invoices")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert invoice.number in html and "210.33" in html and "Unpaid" in html and invoice.order.number in html

    invoicing.record_payment(invoice, "10", invoicing.depot_today(), "", make_staff(Role.ADMIN))
    invoice.due_date = invoicing.depot_today().replace(year=2000)
    db.session.commit()
    html = client.get("/invoices").get_data(as_text=True)
    assert "Overdue" in html and "200.33 EUR left to pay" in html and "row-overdue" in html

    pdf = client.get(f"/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert invoice.number.replace("/", "-") in pdf.headers["Content-Disposition"]


def test_a_user_without_the_right_gets_403(client, login, invoice, make_user):
    login(make_user(invoice.company, rights=("can_see_colleagues_orders",)))
    assert client.get("/invoices").status_code == 403
    assert client.get(f"/invoices/{invoice.id}.pdf").status_code == 403


def test_another_companys_user_gets_404_on_the_invoice_pdf(client, login, invoice, make_company):
    intruder = make_company(legal_name="Beta GmbH")
    assert intruder.can_see_invoices
    login(intruder)
    assert client.get(f"/invoices/{invoice.id}.pdf").status_code == 404
    assert client.get("/invoices/999999.pdf").status_code == 404
    html = client.get("/invoices").get_data(as_text=True)
    assert invoice.number not in html and "No invoices yet" in html


def test_staff_and_strangers_do_not_reach_the_customer_pages(client, login, invoice, make_staff):
    assert client.get("/invoices").status_code == 302
    login(make_staff(Role.ADMIN))
    assert client.get(f"/invoices/{invoice.id}.pdf").status_code == 403
