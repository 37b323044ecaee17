"""Invoice numbers under concurrent creation: no gaps, no duplicates (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import invoicing
from portal.extensions import db
from portal.models import Company, Invoice, InvoiceCounter, InvoiceKind

pytestmark = pytest.mark.both_databases
THREADS = 8


def fee() -> list[invoicing.Charge]:
    return [invoicing.Charge(device=None, description="Diagnosis fee", kind="fee", quantity=Decimal("1"),
                             unit_price=Decimal("25.00"), tax_rate=Decimal("23.00"), tax_name="VAT 23%",
                             tax_note="")]


def issue_at_once(app, company_id: int, count: int, *, fail: set[int] = frozenset(),
                  kind: InvoiceKind = InvoiceKind.INVOICE) -> list[Exception]:
    """`count` threads, each with its own session, issue at the same moment; those in `fail`
    take their number and then roll back, as a request that fails after issuing would."""
    barrier, errors = threading.Barrier(count), []

    def work(n: int):
        with app.app_context():
            try:
                company = db.session.get(Company, company_id)
                barrier.wait(timeout=30)
                invoice = invoicing.issue(company, fee(), buyer={"name": company.legal_name, "email": ""})
                if n in fail:
                    assert invoice.sequence > 0
                    db.session.rollback()
                else:
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported to the test
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def sequences() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice.sequence).where(Invoice.kind == InvoiceKind.INVOICE)
                                   .order_by(Invoice.sequence)))


def test_invoices_issued_at_once_are_numbered_without_gaps_or_duplicates(app, make_company):
    company_id = make_company().company_id
    db.session.remove()
    assert issue_at_once(app, company_id, THREADS) == []
    assert sequences() == list(range(1, THREADS + 1))
    numbers = db.session.scalars(select(Invoice.number)).all()
    year = invoicing.depot_today().year
    assert sorted(numbers) == [f"INV/{year}/{n:06d}" for n in range(1, THREADS + 1)]
    [counter] = db.session.scalars(select(InvoiceCounter)).all()
    assert (counter.kind, counter.year, counter.last_number) == (InvoiceKind.INVOICE, year, THREADS)


def test_a_rolled_back_invoice_gives_its_number_back(app, make_company):
    company_id = make_company().company_id
    db.session.remove()
    assert issue_at_once(app, company_id, THREADS, fail={1, 4}) == []
    assert sequences() == list(range(1, THREADS - 1))  # six invoices, 1 to 6: the two failures left no gap
    assert issue_at_once(app, company_id, 2) == []
    assert sequences() == list(range(1, THREADS + 1))
