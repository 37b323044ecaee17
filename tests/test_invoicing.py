"""Invoices: issued when devices ship, charged by outcome, never changed; credit notes and payments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import invoicing
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.invoice_documents import invoice_pdf
from portal.invoicing import InvoiceStatus
from portal.models import Decision, Invoice, InvoiceKind, InvoiceLine, OutboxMessage, Payment, Role
from tests.invoice_helpers import (
    beyond_repair,
    declined,
    invoiced_order,
    invoices,
    no_fault_found,
    repaired,
    ship,
    warranty,
)
from tests.quotes_helpers import REVERSE_CHARGE_NOTE, tax_rate

pytestmark = pytest.mark.both_databases
D = Decimal


@pytest.fixture
def owner(make_company):
    return make_company(legal_name="Acme Logistics Sp. z o.o.")


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


def money_of(invoice):
    return (invoice.net, invoice.tax, invoice.gross)


# -- what is charged -----------------------------------------------------------------------------

@pytest.mark.parametrize("choice, picked, codes, expected", [
    # required: 120.00 + 2 x 25.50 = 171.00 net, 23 % on the sum = 39.33
    (Decision.REQUIRED, (), ["SCR-TC52", "LAB-30"], ("171.00", "39.33", "210.33")),
    # recommended: every line, + 39.99 + 10.05 = 221.04 net, 50.8392 -> 50.84 tax
    (Decision.RECOMMENDED, (), ["SCR-TC52", "LAB-30", "BAT-TC52", "CLN"], ("221.04", "50.84", "271.88")),
    # the required lines and the battery: 210.99 net, 48.5277 -> 48.53 tax
    (Decision.LINES, ("BAT-TC52",), ["SCR-TC52", "LAB-30", "BAT-TC52"], ("210.99", "48.53", "259.52")),
])
def test_a_repaired_device_is_charged_the_accepted_lines_as_quoted(owner, make_order, choice, picked, codes,
                                                                    expected):
    device = make_order(owner, devices=1).devices[0]
    repaired(device, choice, picked_codes=picked)
    ship([device])
    [invoice] = invoices()
    assert [line.code for line in invoice.lines] == codes
    assert money_of(invoice) == tuple(D(x) for x in expected)
    labour = next(line for line in invoice.lines if line.code == "LAB-30")
    assert (labour.quantity, labour.unit_price, labour.amount, labour.unit_cost) == (D("2"), D("25.50"), D("51.00"),
                                                                                       D("1.00"))
    assert (labour.tax_rate, labour.tax_name, labour.kind) == (D("23.00"), "VAT 23%", "labour")
    assert labour.device_id == device.id and labour.quote_line_id is not None
    # every line names the device: its tag, model and serial number
    assert all(device.tag_code in line.description and "TC52" in line.description
               and device.serial_number in line.description for line in invoice.lines)
    assert invoice.taxes == [{"name": "VAT 23%", "rate": "23.00", "note": "", "base": expected[0],
                              "amount": expected[1]}]
    assert invoice.order_id == device.order_id and invoice.parcel_id is None and invoice.currency == "EUR"


@pytest.mark.parametrize("outcome, fee_setting, fee, expected", [
    (declined, "DIAGNOSIS_FEE", "25.00", ("25.00", "5.75", "30.75")),
    (beyond_repair, "DIAGNOSIS_FEE", "25.00", ("25.00", "5.75", "30.75")),
    (no_fault_found, "NO_FAULT_FOUND_FEE", "40.00", ("40.00", "9.20", "49.20")),
])
def test_a_device_returned_unrepaired_pays_the_fee_of_its_outcome(app, owner, make_order, outcome, fee_setting, fee,
                                                                    expected):
    app.config.update(DIAGNOSIS_FEE="25.00", NO_FAULT_FOUND_FEE="40.00")
    device = outcome(make_order(owner, devices=1).devices[0])
    ship([device])
    [invoice] = invoices()
    [line] = invoice.lines
    assert (line.kind, line.quantity, line.unit_price, line.device_id) == ("fee", D("1"), D(fee), device.id)
    assert device.tag_code in line.description and "fee" in line.description.lower()
    assert money_of(invoice) == tuple(D(x) for x in expected)


def test_a_confirmed_warranty_repair_is_free_and_issues_no_invoice(owner, make_order):
    device = warranty(make_order(owner, devices=1).devices[0])
    ship([device])
    assert invoices() == [] and device.status.value == "shipped"


def test_a_free_device_adds_no_line_to_its_orders_invoice(owner, make_order):
    order = make_order(owner, devices=2)
    free, paid = order.devices
    warranty(free)
    repaired(paid)
    ship(order.devices)
    [invoice] = invoices()
    assert {line.device_id for line in invoice.lines} == {paid.id}


def test_reverse_charge_keeps_its_note_on_the_invoice(make_company, make_order):
    tax_rate("Reverse charge", "0.00", reverse=True)
    foreign = make_company(country="DE")
    device = make_order(foreign, devices=1).devices[0]
    repaired(device)
    ship([device])
    [invoice] = invoices()
    assert money_of(invoice) == (D("171.00"), D("0.00"), D("171.00"))
    assert invoice.taxes[0]["note"] == REVERSE_CHARGE_NOTE
    assert all(line.tax_note == REVERSE_CHARGE_NOTE for line in invoice.lines)


# -- when: per order, per shipment; once ------------------------------------------------------------

def test_per_order_the_invoice_waits_for_the_last_device_to_ship(owner, make_order):
    order = make_order(owner, devices=3)
    first, second, cancelled = order.devices
    from portal import workflow
    from portal.models import DeviceStatus

    workflow.move(cancelled, DeviceStatus.CANCELLED, actor=owner)  # a cancelled device is not waited for
    repaired(first)
    declined(second)
    ship([first])
    assert invoices() == []
    ship([second])
    [invoice] = invoices()
    assert invoice.order_id == order.id and invoice.parcel_id is None
    assert [line.device_id for line in invoice.lines] == [first.id, first.id, second.id]
    assert invoice.gross == D("210.33") + D("30.75")


def test_per_shipment_each_parcel_gets_its_invoice(owner, make_order):
    owner.company.invoice_per_shipment = True
    order = make_order(owner, devices=2)
    first, second = order.devices
    repaired(first)
    repaired(second, Decision.RECOMMENDED)
    parcel = ship([first])
    [invoice] = invoices()
    assert (invoice.parcel_id, invoice.order_id, invoice.gross) == (parcel.id, order.id, D("210.33"))
    later = ship([second])
    assert [(i.parcel_id, i.gross) for i in invoices()] == [(parcel.id, D("210.33")), (later.id, D("271.88"))]


def test_shipping_again_never_invoices_a_device_twice(owner, make_order):
    invoice = invoiced_order(make_order, owner, devices=2)
    parcel = invoice.order.devices[0].parcel
    assert invoicing.on_shipped(parcel) == []
    owner.company.invoice_per_shipment = True  # changing the setting later does not invoice them again
    assert invoicing.on_shipped(parcel) == []
    db.session.commit()
    assert len(invoices()) == 1
    assert db.session.scalar(select(func.count()).select_from(InvoiceLine)) == 4


# -- numbers, dates, the buyer and the seller ---------------------------------------------------------

def test_numbers_run_per_kind_and_year_and_the_due_date_follows_the_terms(owner, make_order, admin):
    owner.company.payment_terms_days = 30
    first = invoiced_order(make_order, owner)
    second = invoiced_order(make_order, owner)
    year = invoicing.depot_today().year
    assert (first.number, second.number) == (f"INV/{year}/000001", f"INV/{year}/000002")
    assert (first.year, first.sequence, second.sequence) == (year, 1, 2)
    assert first.due_date == invoicing.issue_date(first) + timedelta(days=30)
    note = invoicing.credit_note(first, None, "Wrong screen fitted", admin)
    assert note.number == f"CN/{year}/000001" and note.credited_invoice == first


def test_the_invoice_date_and_year_are_the_depots(owner, make_order):
    """23:30 UTC on New Year's Eve is already the new year in Warsaw."""
    invoice = invoiced_order(make_order, owner)
    late = datetime(2030, 12, 31, 23, 30, tzinfo=UTC)
    charges = [invoicing.Charge(device=None, description="Fee", kind="fee", quantity=D("1"), unit_price=D("10"),
                                tax_rate=D("23"), tax_name="VAT 23%", tax_note="")]
    new_year = invoicing.issue(owner.company, charges, buyer=invoice.buyer, now=late)
    assert (new_year.number, new_year.year) == ("INV/2031/000001", 2031)
    assert invoicing.issue_date(new_year) == date(2031, 1, 1)


def test_the_buyer_is_the_order_owners_invoice_profile_and_is_mailed_the_pdf(owner, make_order):
    profile = owner.invoice_profile
    profile.name, profile.invoice_email, profile.tax_id = "Acme Branch Gdańsk", "ap@acme.example", "PL9990001112"
    invoice = invoiced_order(make_order, owner)
    assert invoice.buyer["name"] == "Acme Branch Gdańsk" and invoice.buyer["tax_id"] == "PL9990001112"
    assert invoice.buyer["email"] == "ap@acme.example"
    assert invoice.seller["name"] == "Depot Repair Sp. z o.o." and invoice.seller["bank_account"].startswith("PL61")
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "ap@acme.example")).all()
    assert invoice.number in mail.subject and invoice.emailed_at is not None
    [attachment] = mail.attachments
    assert attachment.filename == invoice.number.replace("/", "-") + ".pdf"
    assert attachment.content.startswith(b"%PDF")


def test_the_pdf_mail_reaches_the_invoice_address(owner, make_order, send_mail):
    owner.invoice_profile.invoice_email = "books@acme.example"
    invoice = invoiced_order(make_order, owner)
    mailbox = send_mail()
    [message] = mailbox.to("books@acme.example")
    assert invoice.number in message["Subject"]
    assert "210.33" in mailbox.text(message)
    [pdf] = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")


def test_an_issued_invoice_never_changes_when_the_company_details_do(app, owner, make_order, tmp_path):
    invoice = invoiced_order(make_order, owner)
    before = (dict(invoice.buyer), dict(invoice.seller), money_of(invoice), invoice.due_date)
    pdf_before = invoice_pdf(invoice)
    company, profile = owner.company, owner.invoice_profile
    company.legal_name, company.payment_terms_days = "Renamed S.A.", 60
    profile.name, profile.street, profile.invoice_email = "Renamed S.A.", "ul. Nowa 9", "new@renamed.example"
    app.config.update(DEPOT_NAME="Other Depot Ltd", DEPOT_BANK_ACCOUNT="DE00 0000")
    db.session.commit()
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert (invoice.buyer, invoice.seller, money_of(invoice), invoice.due_date) == before
    import subprocess

    (tmp_path / "after.pdf").write_bytes(invoice_pdf(invoice))
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "after.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "Acme Logistics" in text and "Renamed" not in text and "Other Depot" not in text
    assert len(pdf_before) > 1000


def test_there_is_no_invoice_without_lines(owner):
    with pytest.raises(DomainError):
        invoicing.issue(owner.company, [], buyer={})


# -- credit notes ----------------------------------------------------------------------------------------

def test_a_credit_note_credits_lines_and_never_more_than_is_left(owner, make_order, admin):
    invoice = invoiced_order(make_order, owner)
    screen, labour = invoice.lines
    note = invoicing.credit_note(invoice, {labour.id: "1"}, "One labour unit charged twice", admin)
    db.session.commit()
    assert note.kind == InvoiceKind.CREDIT_NOTE and note.credited_invoice_id == invoice.id
    assert note.note == "One labour unit charged twice" and note.buyer == invoice.buyer
    [line] = note.lines
    assert (line.quantity, line.unit_price, line.amount, line.position) == (D("-1"), D("25.50"), D("-25.50"), 2)
    assert money_of(note) == (D("-25.50"), D("-5.87"), D("-31.37"))
    assert invoicing.creditable(invoice) == {screen.id: D("1"), labour.id: D("1")}
    assert invoicing.amount_due(invoice) == D("210.33") - D("31.37")

    count = db.session.scalar(select(func.count()).select_from(Invoice))
    with pytest.raises(DomainError, match="more than the 1"):
        invoicing.credit_note(invoice, {labour.id: "2"}, "Again", admin)
    for bad in ({labour.id: "-1"}, {labour.id: "x"}, {999999: "1"}, {labour.id: "0"}):
        with pytest.raises(DomainError):
            invoicing.credit_note(invoice, bad, "Bad", admin)
    with pytest.raises(DomainError, match="reason"):
        invoicing.credit_note(invoice, None, "  ", admin)
    with pytest.raises(NotAllowed):
        invoicing.credit_note(invoice, None, "Not mine to do", owner)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == count

    rest = invoicing.credit_note(invoice, None, "Order cancelled after all", admin)
    assert [(line.position, line.quantity) for line in rest.lines] == [(1, D("-1")), (2, D("-1"))]
    assert invoicing.amount_due(invoice) == D("0.00")
    assert invoicing.status(invoice) == InvoiceStatus.PAID  # nothing left to pay
    with pytest.raises(DomainError, match="Nothing to credit"):
        invoicing.credit_note(invoice, None, "Once more", admin)
    with pytest.raises(DomainError):
        invoicing.credit_note(rest, None, "A credit note of a credit note", admin)


def test_the_parts_cost_and_the_minutes_worked_are_fixed_at_issue_for_the_margin_report(owner, make_order, admin):
    from portal.models import WorkEntry, WorkKind

    order = make_order(owner, devices=2)
    for device, minutes in zip(order.devices, (45, 30), strict=True):
        repaired(device)
        db.session.add(WorkEntry(device_id=device.id, user_id=admin.id, kind=WorkKind.REPAIR, minutes=minutes))
    ship(order.devices)
    [invoice] = invoices()
    costs = {line.code: line.unit_cost for line in invoice.lines}
    assert costs["SCR-TC52"] > 0  # the screen has a cost; labour has none
    assert invoice.parts_cost == sum(line.unit_cost * line.quantity for line in invoice.lines)
    worked = db.session.scalars(select(WorkEntry.minutes)).all()  # ours, and what the repairs recorded
    assert invoice.technician_minutes == sum(worked) >= 45 + 30
    screen = next(line for line in invoice.lines if line.code == "SCR-TC52")
    note = invoicing.credit_note(invoice, {screen.id: "1"}, "One screen was not fitted", admin)
    assert (note.parts_cost, note.technician_minutes) == (-screen.unit_cost, 0)


# -- payments and status ----------------------------------------------------------------------------------

def test_payments_full_or_partial_and_the_status(owner, make_order, admin):
    invoice = invoiced_order(make_order, owner)  # 210.33, due in 14 days
    today = invoicing.depot_today()
    assert invoicing.status(invoice, today) == InvoiceStatus.UNPAID
    assert invoicing.status(invoice, invoice.due_date) == InvoiceStatus.UNPAID
    assert invoicing.status(invoice, invoice.due_date + timedelta(days=1)) == InvoiceStatus.OVERDUE

    invoicing.record_payment(invoice, "100,00", today, "Bank 123", admin)
    db.session.commit()
    assert invoice.paid_amount == D("100.00") and invoice.paid_at is None
    assert invoicing.status(invoice, today) == InvoiceStatus.PARTLY_PAID
    assert invoicing.status(invoice, invoice.due_date + timedelta(days=1)) == InvoiceStatus.OVERDUE
    assert invoicing.outstanding(invoice) == D("110.33")

    with pytest.raises(DomainError, match="more than the 110.33"):
        invoicing.record_payment(invoice, "110.34", today, "", admin)
    for bad, message in [("abc", "not an amount"), ("0", "more than zero"), ("-5", "more than zero"),
                         ("1.234", "two decimal"), ("NaN", "more than zero"), ("", "not an amount")]:
        with pytest.raises(DomainError, match=message):
            invoicing.record_payment(invoice, bad, today, "", admin)
    with pytest.raises(DomainError, match="future"):
        invoicing.record_payment(invoice, "1", today + timedelta(days=1), "", admin)
    with pytest.raises(DomainError, match="not a date"):
        invoicing.record_payment(invoice, "1", "31.02.2024", "", admin)
    with pytest.raises(NotAllowed):
        invoicing.record_payment(invoice, "1", today, "", owner)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1

    payment = invoicing.record_payment(invoice, "110.33", today.isoformat(), " Bank 124 ", admin)
    db.session.commit()
    assert (payment.reference, payment.recorded_by, payment.amount) == ("Bank 124", admin, D("110.33"))
    assert invoice.paid_amount == D("210.33") and invoice.paid_at is not None
    assert invoicing.status(invoice, invoice.due_date + timedelta(days=100)) == InvoiceStatus.PAID
    with pytest.raises(DomainError, match="paid in full"):
        invoicing.record_payment(invoice, "1", today, "", admin)


def test_the_status_filter_in_sql_agrees_with_status(owner, make_order, admin):
    paid, partly, unpaid, overdue = (invoiced_order(make_order, owner) for _ in range(4))
    today = invoicing.depot_today()
    invoicing.record_payment(paid, str(paid.gross), today, "", admin)
    invoicing.record_payment(partly, "1.00", today, "", admin)
    overdue.due_date = today - timedelta(days=1)
    note = invoicing.credit_note(unpaid, {unpaid.lines[0].id: "1"}, "Screen not fitted", admin)
    db.session.commit()
    expected = {paid: InvoiceStatus.PAID, partly: InvoiceStatus.PARTLY_PAID, unpaid: InvoiceStatus.UNPAID,
                overdue: InvoiceStatus.OVERDUE, note: InvoiceStatus.CREDIT_NOTE}
    for invoice, value in expected.items():
        assert invoicing.status(invoice, today) == value
        found = db.session.scalars(invoicing.filter_invoices(
            invoicing.office_invoices(), invoicing.InvoiceFilters(status=value), today)).all()
        assert found == [invoice], value


def test_without_tax_rates_the_parcel_still_leaves_and_is_invoiced_later(owner, make_order):
    from portal.models import TaxRate

    device = make_order(owner, devices=1).devices[0]
    no_fault_found(device)
    db.session.execute(db.delete(TaxRate))
    db.session.commit()
    parcel = ship([device])
    assert invoices() == [] and device.status.value == "shipped"
    tax_rate()
    [invoice] = invoicing.on_shipped(parcel)
    assert invoice.gross == D("30.75")


# -- the job: invoices that pick-ups left missing -------------------------------------------------------

def shipped_without_tax_rates(make_order, owner):
    """A no-fault device picked up before the depot had any tax rate: shipped, not invoiced."""
    from portal.models import TaxRate

    device = no_fault_found(make_order(owner, devices=1).devices[0])
    db.session.execute(db.delete(TaxRate))
    db.session.commit()
    return ship([device])


def test_the_job_issues_the_invoice_a_pick_up_without_tax_rates_left_missing(owner, make_order):
    from portal import tax_rates

    owner.invoice_profile.invoice_email = "books@acme.example"
    parcel = shipped_without_tax_rates(make_order, owner)
    assert invoices() == [] and [d.status.value for d in parcel.devices] == ["shipped"]
    assert invoicing.issue_missing() == 0  # still no rates: nothing, and no error
    db.session.commit()
    tax_rates.save_tax_rate({"name": "VAT 23%", "rate": "23", "is_active": True})  # the admin adds it
    db.session.commit()
    assert invoicing.issue_missing() == 1
    db.session.commit()
    [invoice] = invoices()
    year = invoicing.depot_today().year
    assert (invoice.number, invoice.sequence, invoice.gross) == (f"INV/{year}/000001", 1, D("30.75"))
    assert invoice.order_id == parcel.devices[0].order_id and invoice.emailed_at is not None
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "books@acme.example")).all()
    assert invoice.number in mail.subject
    assert invoicing.issue_missing() == 0  # again: nothing more
    db.session.commit()
    assert len(invoices()) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == "books@acme.example")) == 1


def test_one_parcel_refused_by_a_rule_does_not_hold_up_the_others(make_company, make_order, caplog):
    """The German customer pays by reverse charge, and the admin added only the standard rate."""
    from portal import tax_rates

    foreign, home = make_company(country="DE"), make_company(country="PL")
    refused = shipped_without_tax_rates(make_order, foreign)
    fine = shipped_without_tax_rates(make_order, home)
    assert refused.id < fine.id  # the refused one is tried first
    tax_rates.save_tax_rate({"name": "VAT 23%", "rate": "23", "is_active": True})
    db.session.commit()
    assert invoicing.issue_missing() == 1
    db.session.commit()
    assert "pays by reverse charge, but the tax rates have no reverse-charge rate" in caplog.text
    [invoice] = invoices()
    assert invoice.company_id == home.company_id and invoice.number.endswith("/000001")
    tax_rate("Reverse charge", "0.00", reverse=True)  # once it exists, the next run issues the other
    db.session.commit()
    assert invoicing.issue_missing() == 1
    db.session.commit()
    assert [i.company_id for i in invoices()] == [home.company_id, foreign.company_id]
    assert invoices()[1].number.endswith("/000002")


def test_the_job_looks_back_only_so_many_days(owner, make_order):
    parcel = shipped_without_tax_rates(make_order, owner)
    tax_rate()
    db.session.commit()
    later = parcel.picked_up_at + timedelta(days=invoicing.RETRY_DAYS, minutes=1)
    assert db.session.scalars(invoicing.uninvoiced_parcels(later)).all() == []
    assert db.session.scalars(invoicing.uninvoiced_parcels()).all() == [parcel]


def test_invoiced_free_and_waiting_parcels_are_not_candidates(owner, make_order):
    invoiced = invoiced_order(make_order, owner)
    free = warranty(make_order(owner, devices=1).devices[0])
    ship([free])
    first, second = make_order(owner, devices=2).devices
    repaired(first)
    ship([first])  # invoiced per order: it waits for the second device
    assert invoiced.order.devices[0].parcel_id is not None and len(invoices()) == 1
    assert db.session.scalars(invoicing.uninvoiced_parcels()).all() == []
    owner.company.invoice_per_shipment = True  # per shipment, the first device's parcel is due now
    db.session.commit()
    assert db.session.scalars(invoicing.uninvoiced_parcels()).all() == [first.parcel]


def test_jobs_run_issues_the_missing_invoice_and_mails_it_in_the_same_run(owner, make_order, runner, mailbox):
    owner.invoice_profile.invoice_email = "books@acme.example"
    shipped_without_tax_rates(make_order, owner)
    tax_rate()
    db.session.commit()
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "invoices issued: 1" in result.output
    [message] = mailbox.to("books@acme.example")
    assert invoices()[0].number in message["Subject"]
    result = runner.invoke(args=["jobs", "run"])
    assert "invoices issued: 0" in result.output and len(mailbox.to("books@acme.example")) == 1
