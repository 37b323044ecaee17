"""The invoice PDF: read back with pdftotext (and rendered to PNG to look at)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from portal import invoicing
from portal.extensions import db
from portal.invoice_documents import invoice_pdf
from portal.models import Role
from tests.invoice_helpers import declined, invoiced_order, repaired, ship
from tests.quotes_helpers import REVERSE_CHARGE_NOTE, tax_rate


def pdf_text(content: bytes, tmp_path: Path, name: str = "invoice") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def render(content: bytes, tmp_path: Path, name: str) -> list[Path]:
    """A picture for a person to look at: kept in tmp_path, or in INVOICE_PNG_DIR when set."""
    out = Path(os.environ.get("INVOICE_PNG_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    (tmp_path / f"{name}.pdf").write_bytes(content)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(tmp_path / f"{name}.pdf"), str(out / name)], check=True)
    return sorted(out.glob(f"{name}*.png"))


def test_the_pdf_holds_seller_buyer_number_lines_tax_and_totals(app, make_company, make_order, tmp_path):
    owner = make_company(legal_name="Acme Logistics Sp. z o.o.")
    order = make_order(owner, devices=2)
    repaired(order.devices[0])
    declined(order.devices[1])
    ship(order.devices)
    invoice = db.session.scalars(db.select(invoicing.Invoice)).one()
    text = pdf_text(invoice_pdf(invoice), tmp_path)
    assert "Invoice" in text and invoice.number in text
    assert "Depot Repair Sp. z o.o." in text and "PL5250000000" in text and "PL61 1090 1014 0000 0712 1981 2874" in text
    assert "Acme Logistics Sp. z o.o." in text and owner.company.tax_id in text
    assert "Screen assembly TC52" in text and "Labour, 30 minutes" in text and "Diagnosis fee" in text
    assert order.devices[0].tag_code in text and order.devices[1].serial_number in text
    assert "196.00" in text and "VAT 23% on 196.00" in text and "45.08" in text and "241.08" in text
    assert f"Order: {order.number}" in text and "Due date:" in text and "Page 1 of 1" in text
    assert render(invoice_pdf(invoice), tmp_path, "invoice")


def test_a_credit_note_names_the_invoice_it_credits_and_its_reason(app, make_company, make_order, make_staff,
                                                                   tmp_path):
    invoice = invoiced_order(make_order, make_company())
    note = invoicing.credit_note(invoice, None, "Repair not done: <b>returned</b> as it came", make_staff(Role.ADMIN))
    text = pdf_text(invoice_pdf(note), tmp_path)
    assert "Credit note" in text and note.number in text and f"Credits invoice {invoice.number}" in text
    assert "<b>returned</b>" in text and "-210.33" in text and "Due date" not in text
    assert render(invoice_pdf(note), tmp_path, "credit-note")


def test_reverse_charge_prints_its_note_and_polish_amounts(app, make_company, make_order, tmp_path):
    tax_rate("Reverse charge", "0.00", reverse=True)
    invoice = invoiced_order(make_order, make_company(country="DE"))
    assert REVERSE_CHARGE_NOTE[:40] in " ".join(pdf_text(invoice_pdf(invoice), tmp_path).split())
    assert "171,00" in pdf_text(invoice_pdf(invoice, language="pl"), tmp_path, "pl")


def test_many_lines_flow_onto_more_pages_and_user_text_stays_text(app, make_company, make_order, tmp_path):
    owner = make_company(legal_name="<b>Evil</b> & Co")
    lines = [("required", f"P{n:03d}", f"Part <i>{n}</i> " + "long " * 12, "1.10", "3") for n in range(45)]
    order = make_order(owner, devices=1)
    repaired(order.devices[0], lines=lines)
    ship(order.devices)
    invoice = db.session.scalars(db.select(invoicing.Invoice)).one()
    text = pdf_text(invoice_pdf(invoice), tmp_path)
    assert "Page 1 of 3" in text or "Page 1 of 2" in text
    assert "P044" in text and "<b>Evil</b> & Co" in text and "Part <i>1</i>" in text
    assert render(invoice_pdf(invoice), tmp_path, "long")
