"""The quote PDF: read back with poppler's pdftotext, and rendered to an image to be looked at."""

from __future__ import annotations

import subprocess
from pathlib import Path

from portal import quotes
from portal.extensions import db
from portal.models import Decision
from portal.quote_documents import quote_number, quote_pdf
from tests.quotes_helpers import send_quote, tax_rate


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "quote.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_pdf_holds_the_number_customer_lines_and_both_totals(app, make_company, make_order, tmp_path):
    owner = make_company(legal_name="Nordlog Sp. z o.o.")
    order = make_order(owner, devices=1)
    quote = send_quote(order.devices[0])
    text = pdf_text(quote_pdf(quote), tmp_path)
    assert quote_number(quote) == f"{order.number}-{quote.device.tag_code}-R1"
    for expected in (quote_number(quote), "Nordlog Sp. z o.o.", "PO-1", quote.device.serial_number,
                     "Display cracked; battery worn", "SCR-TC52", "Screen assembly TC52", "Battery TC52",
                     "Cleaning and new rubber seals", "120.00", "51.00", "39.99", "10.05",
                     "171.00", "221.04", "39.33", "50.84", "210.33", "271.88", "VAT 23%"):
        assert expected in text, expected
    assert "Page 1 of 1" in text


def test_a_decided_quote_marks_the_accepted_lines_and_its_po_number(app, make_company, make_order, tmp_path):
    owner = make_company()
    order = make_order(owner, devices=1)
    quote = send_quote(order.devices[0])
    battery = next(line.id for line in quote.lines if line.code == "BAT-TC52")
    quotes.decide(quote, actor=owner, choice=Decision.LINES, revision=1, line_ids=[battery], po_number="4500-77")
    db.session.commit()
    text = pdf_text(quote_pdf(quote), tmp_path)
    assert "4500-77" in text
    assert "Required repair and the marked lines accepted by Olga Office" in text
    assert "✓ BAT-TC52" in text and "✗ CLN" in text
    assert "Accepted: 259.52 EUR with tax" in text


def test_reverse_charge_prints_its_legal_note(app, make_company, make_order, tmp_path):
    owner = make_company(country="DE")
    tax_rate("Reverse charge", "0.00", reverse=True)
    quote = send_quote(make_order(owner, devices=1).devices[0])
    text = pdf_text(quote_pdf(quote), tmp_path)
    assert "Reverse charge (0%)" in text
    assert "VAT to be accounted for by the recipient" in text


def test_many_lines_flow_onto_more_pages_and_user_text_stays_text(app, make_company, make_order, tmp_path):
    owner = make_company(legal_name="<b>Evil</b> & Co")
    lines = [("required" if n % 3 == 0 else "recommended", f"P{n:03d}", f"Part <i>{n}</i> " + "long " * 12,
              "1.10", "3") for n in range(60)]
    quote = send_quote(make_order(owner, devices=1).devices[0], lines=lines)
    text = pdf_text(quote_pdf(quote), tmp_path)
    assert "Page 1 of 3" in text or "Page 1 of 2" in text
    assert "P059" in text and "<b>Evil</b> & Co" in text and "Part <i>1</i>" in text


def test_the_pdf_renders_in_polish(app, make_company, make_order, tmp_path):
    owner = make_company()
    quote = send_quote(make_order(owner, devices=1).devices[0])
    content = quote_pdf(quote, language="pl")
    text = pdf_text(content, tmp_path)
    assert "210,33" in text and "271,88" in text  # amounts in the reader's language
    # a picture for a person to look at (tmp_path keeps it for the run)
    (tmp_path / "quote.pdf").write_bytes(quote_pdf(quote))
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(tmp_path / "quote.pdf"),
                    str(tmp_path / "quote")], check=True)
    assert list(tmp_path.glob("quote*.png"))
