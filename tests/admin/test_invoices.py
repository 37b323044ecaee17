"""The office's invoices over HTTP: the list and filters, payments, credit notes, the exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal import invoicing
from portal.extensions import db
from portal.models import Invoice, InvoiceKind, Payment, Role
from tests.invoice_helpers import invoiced_order


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def invoice(make_company, make_order):
    return invoiced_order(make_order, make_company(legal_name="Acme Logistics Sp. z o.o."))


def counts():
    return (db.session.scalar(select(func.count()).select_from(Invoice)),
            db.session.scalar(select(func.count()).select_from(Payment)))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE])
def test_the_office_sees_invoices_with_overdue_marked(client, login, invoice, make_staff, role):
    invoice.due_date = invoicing.depot_today() - timedelta(days=3)
    db.session.commit()
    login(make_staff(role))
    html = client.get("/admin/invoices").get_data(as_text=True)
    assert invoice.number in html and "Overdue" in html and "row-overdue" in html
    page = client.get(f"/admin/invoices/{invoice.id}")
    assert page.status_code == 200 and "Screen assembly TC52" in page.get_data(as_text=True)
    assert ("Record the payment" in page.get_data(as_text=True)) == (role == Role.ADMIN)
    assert client.get(f"/admin/invoices/{invoice.id}.pdf").data.startswith(b"%PDF")


def test_filters_by_status_company_and_period(client, login, admin, invoice, make_company, make_order):
    other = invoiced_order(make_order, make_company(legal_name="Beta GmbH"))
    invoicing.record_payment(other, str(other.gross), invoicing.depot_today(), "", admin)
    db.session.commit()
    login(admin)

    def listed(**args):
        html = client.get("/admin/invoices", query_string=args).get_data(as_text=True)
        return {i.number for i in (invoice, other) if i.number in html}

    assert listed() == {invoice.number, other.number}
    assert listed(status="paid") == {other.number}
    assert listed(status="unpaid") == {invoice.number}
    assert listed(company=invoice.company_id) == {invoice.number}
    assert listed(q="beta") == {other.number}
    today = invoicing.depot_today()
    assert listed(**{"from": (today + timedelta(days=1)).isoformat()}) == set()
    assert listed(**{"from": today.isoformat(), "to": today.isoformat()}) == {invoice.number, other.number}
    assert listed(status="nonsense", **{"from": "not-a-date"}) == {invoice.number, other.number}


def test_an_admin_records_a_payment_and_bad_amounts_are_refused(client, login, admin, invoice):
    login(admin)
    url = f"/admin/invoices/{invoice.id}/payments"
    today = invoicing.depot_today().isoformat()
    before = counts()
    for amount, message in [("abc", "is not an amount"), ("500", "more than the 210.33"), ("", "Fill in")]:
        response = client.post(url, data={"amount": amount, "paid_on": today, "reference": ""})
        assert response.status_code == 422 and message in response.get_data(as_text=True), amount
    assert counts() == before
    response = client.post(url, data={"amount": "210,33", "paid_on": today, "reference": "Transfer 77"})
    assert response.status_code == 302 and response.location.endswith(f"/admin/invoices/{invoice.id}")
    db.session.expire_all()
    assert invoice.paid_amount == Decimal("210.33") and invoice.payments[0].reference == "Transfer 77"
    assert invoicing.status(invoice) == invoicing.InvoiceStatus.PAID
    assert "Paid" in client.get(f"/admin/invoices/{invoice.id}").get_data(as_text=True)


def test_only_an_admin_changes_invoices(client, login, invoice, make_staff):
    login(make_staff(Role.ACCOUNT_MANAGER))
    before = counts()
    assert client.post(f"/admin/invoices/{invoice.id}/payments", data={"amount": "1"}).status_code == 403
    assert client.post(f"/admin/invoices/{invoice.id}/credit-notes", data={"reason": "x"}).status_code == 403
    assert counts() == before


def test_an_admin_issues_a_credit_note_for_some_lines(client, login, admin, invoice):
    login(admin)
    screen, labour = invoice.lines
    url = f"/admin/invoices/{invoice.id}/credit-notes"
    before = counts()
    too_much = client.post(url, data={f"line-{labour.id}": "3", "reason": "Overcharged"})
    assert too_much.status_code == 422 and "more than the 2" in too_much.get_data(as_text=True)
    no_reason = client.post(url, data={f"line-{labour.id}": "1", "reason": ""})
    assert no_reason.status_code == 422
    assert counts() == before
    response = client.post(url, data={f"line-{labour.id}": "1", "reason": "One labour unit charged twice"})
    assert response.status_code == 302
    note = db.session.scalars(select(Invoice).where(Invoice.kind == InvoiceKind.CREDIT_NOTE)).one()
    assert response.location.endswith(f"/admin/invoices/{note.id}")
    assert note.gross == Decimal("-31.37") and note.credited_invoice_id == invoice.id
    html = client.get(f"/admin/invoices/{invoice.id}").get_data(as_text=True)
    assert note.number in html and "178.96" in html  # left to pay: 210.33 - 31.37
    everything = client.post(url, data={"everything": "y", "reason": "Cancelled"})
    assert everything.status_code == 302
    assert invoicing.amount_due(invoice) == Decimal("0.00")


def test_exports_have_one_row_per_invoice_and_neutralise_formulas(client, login, admin, make_company, make_order):
    hostile = make_company(legal_name='=HYPERLINK("http://evil.example","Click")')
    invoice = invoiced_order(make_order, hostile)
    invoice.buyer = {**invoice.buyer, "tax_id": "+48123"}  # as if typed so: the export must not trust it
    db.session.commit()
    login(admin)

    response = client.get("/admin/invoices.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=False))
    assert [c.value for c in rows[0]][:4] == ["Number", "Kind", "Date", "Company"]
    [row] = rows[1:]
    assert row[0].value == invoice.number and row[3].value == hostile.company.legal_name
    assert row[3].data_type == "s" and row[4].data_type == "s"  # text, never a formula
    assert row[7].value == 210.33 and row[7].data_type == "n"
    assert row[11].value == "Unpaid"

    response = client.get("/admin/invoices.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0] == ["Number", "Kind", "Date", "Company", "Tax / VAT ID", "Net", "Tax", "Gross", "Currency",
                        "Paid", "Due date", "Status"]
    [line] = table[1:]
    assert line[3] == "'" + hostile.company.legal_name and line[4] == "'+48123"
    assert line[5:10] == ["171.00", "39.33", "210.33", "EUR", "0.00"]
    assert line[10] == invoice.due_date.isoformat()
