"""The invoice PDF, and the invoice exports for accounting (xlsx and CSV).

Built like the logistics document and the quote (portal.documents): plain data in, bytes out,
DejaVu Sans, user text only ever drawn as strings. Everything shown comes from the issued
invoice itself (its buyer and seller snapshots, lines and tax per rate), never from the
company's current details, so the PDF of an invoice is the same whenever it is made.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from reportlab.lib.units import mm

from portal.documents import FONT, FONT_BOLD, _fit, _Pages, two_passes
from portal.spreadsheets import FORMULA_STARTS, append_headers, safe_cell

MARGIN = 15 * mm
BOTTOM = 22 * mm
LINE = 5 * mm
SUB = 3.8 * mm  # a wrapped line of a description
# The lines table: (x from the margin, width, aligned right)
COLUMNS = {"position": (0, 7 * mm, False), "code": (8 * mm, 22 * mm, False),
           "description": (31 * mm, 69 * mm, False), "quantity": (102 * mm, 12 * mm, True),
           "unit_price": (116 * mm, 22 * mm, True), "tax": (140 * mm, 14 * mm, True),
           "amount": (156 * mm, 24 * mm, True)}
TOTAL_LABEL_X, TOTAL_X = 96 * mm, 180 * mm


@dataclass
class DocLine:
    position: str
    code: str
    description: str
    quantity: str
    unit_price: str
    tax: str
    amount: str


@dataclass
class InvoiceDocument:
    title: str  # "Invoice" or "Credit note"
    number: str
    currency: str
    seller: list[str]
    buyer: list[str]
    details: list[str]
    lines: list[DocLine]
    net: str
    taxes: list[tuple[str, str]]  # (label with its base, amount)
    gross: str
    notes: list[str]  # tax notes (reverse charge), each once
    payment: list[str]  # how to pay, or how a credit is settled
    reason: str = ""  # a credit note's reason
    titles: dict[str, str] = field(default_factory=dict)


def build_invoice_pdf(doc: InvoiceDocument) -> bytes:
    return two_passes(_draw, doc)


def _draw(doc: InvoiceDocument, total_pages: int) -> tuple[bytes, int]:
    t = doc.titles
    buffer = io.BytesIO()
    pages = _Pages(buffer, f"{doc.title} {doc.number}")
    c = pages.canvas
    width, height = pages.width, pages.height
    right = width - MARGIN
    state = {"page": 1, "y": 0.0}

    def text(x, y, value, font=FONT, size=8.5, width_=None, align_right=False):
        pages.text(x, y, value, font, size, width_, align_right)

    def footer():
        pages.footer(f"{doc.number} · {doc.title}",
                     t["page"].format(page=state["page"], pages=max(total_pages, state["page"])))

    def new_page():
        footer()
        c.showPage()
        state["page"] += 1
        y = height - MARGIN
        text(MARGIN, y - 4 * mm, f"{doc.title} {doc.number}", FONT_BOLD, 10, width_=width - 2 * MARGIN)
        state["y"] = y - 12 * mm
        table_header()

    def room(needed: float, header: bool = False) -> None:
        if state["y"] - needed < BOTTOM:
            if header:
                new_page()
            else:
                footer()
                c.showPage()
                state["page"] += 1
                state["y"] = height - MARGIN - 6 * mm

    def table_header():
        y = state["y"]
        c.setFont(FONT_BOLD, 8)
        for key, (x, w, align_right) in COLUMNS.items():
            if align_right:
                c.drawRightString(MARGIN + x + w, y, t[key])
            else:
                c.drawString(MARGIN + x, y, t[key])
        c.setLineWidth(0.5)
        c.line(MARGIN, y - 2, right, y - 2)
        state["y"] = y - 4 * mm - 2

    # Head: what it is, its number and dates.
    y = height - MARGIN
    text(MARGIN, y - 6 * mm, doc.title, FONT_BOLD, 18)
    text(MARGIN, y - 12 * mm, doc.seller[0] if doc.seller else "", FONT, 9, width_=90 * mm)
    text(right, y - 6 * mm, doc.number, FONT_BOLD, 13, align_right=True)
    for i, line in enumerate(doc.details[:2]):
        text(right, y - (12 + 4.5 * i) * mm, line, FONT, 8.5, align_right=True)
    pages.blocks([(t["seller"], doc.seller), (t["buyer"], doc.buyer), (t["details"], doc.details[2:])],
                 y - 26 * mm, max_lines=7)
    y -= 62 * mm
    if doc.reason:
        text(MARGIN, y, t["reason"], FONT_BOLD, 9)
        y -= 4.5 * mm
        for line in _fit(doc.reason, FONT, 8.5, width - 2 * MARGIN, lines=4):
            text(MARGIN, y, line)
            y -= 4 * mm
        y -= 3 * mm
    state["y"] = y
    table_header()

    for line in doc.lines:
        x, w, _r = COLUMNS["description"]
        description = _fit(line.description, FONT, 8.5, w - 2 * mm, lines=3)
        needed = LINE + SUB * (len(description) - 1)
        room(needed + 1 * mm, header=True)
        y = state["y"]
        text(MARGIN + COLUMNS["position"][0], y, line.position)
        text(MARGIN + COLUMNS["code"][0], y, line.code, width_=COLUMNS["code"][1] - 1 * mm, size=8)
        for i, part in enumerate(description):
            text(MARGIN + x, y - i * SUB, part)
        for key in ("quantity", "unit_price", "tax", "amount"):
            x_, w_, _r = COLUMNS[key]
            text(MARGIN + x_ + w_, y, getattr(line, key), align_right=True)
        state["y"] = y - needed - 1 * mm
        pages.row_rule(state["y"] + 3.6 * mm)

    # Totals, right-aligned under the amounts.
    rows = [(t["net"], doc.net, FONT), *[(label, amount, FONT) for label, amount in doc.taxes],
            (t["gross"].format(currency=doc.currency), doc.gross, FONT_BOLD)]
    room(LINE * (len(rows) + 1))
    y = state["y"] - 3 * mm
    for label, amount, font in rows:
        size = 10 if font == FONT_BOLD else 8.5
        if font == FONT_BOLD:  # the total, under a rule
            y -= 1 * mm
            c.setLineWidth(0.5)
            c.line(MARGIN + TOTAL_LABEL_X, y + 4.2 * mm, right, y + 4.2 * mm)
        text(MARGIN + TOTAL_LABEL_X, y, label, font, size, width_=TOTAL_X - TOTAL_LABEL_X - 28 * mm)
        text(MARGIN + TOTAL_X, y, amount, font, size, align_right=True)
        y -= LINE
    state["y"] = y - 2 * mm

    for note in doc.notes:
        wrapped = _fit(note, FONT, 8, width - 2 * MARGIN, lines=4)
        room(4 * mm * len(wrapped))
        for line in wrapped:
            text(MARGIN, state["y"], line, size=8)
            state["y"] -= 4 * mm
    state["y"] -= 3 * mm
    if doc.payment:
        room(LINE + 4.5 * mm * len(doc.payment))
        text(MARGIN, state["y"], t["payment"], FONT_BOLD, 9)
        state["y"] -= 5 * mm
        for line in doc.payment:
            for part in _fit(line, FONT, 8.5, width - 2 * MARGIN, lines=2):
                text(MARGIN, state["y"], part)
                state["y"] -= 4.5 * mm
    footer()
    c.save()
    return buffer.getvalue(), state["page"]


# -- from an issued invoice to plain data ----------------------------------------------------------

def _amount(value) -> str:
    from flask_babel import format_decimal

    return format_decimal(Decimal(value), "#,##0.00")


def _rate(value) -> str:
    from flask_babel import format_decimal

    return f"{format_decimal(Decimal(value), '#,##0.##')} %"


def _titles() -> dict[str, str]:
    from flask_babel import gettext as _

    return {"page": _("Page {page} of {pages}"), "seller": _("Seller"), "buyer": _("Buyer"), "details": _("Details"),
            "reason": _("Reason for the credit note"), "position": _("No."), "code": _("Code"),
            "description": _("Description"), "quantity": _("Qty"), "unit_price": _("Unit price"), "tax": _("Tax"),
            "amount": _("Amount"), "net": _("Net"), "gross": _("Total ({currency})"), "payment": _("Payment")}


def invoice_document(invoice) -> InvoiceDocument:
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    from portal.forms import COUNTRIES, title_of
    from portal.i18n import localdate
    from portal.invoicing import issue_date
    from portal.models import InvoiceKind

    is_credit = invoice.kind == InvoiceKind.CREDIT_NOTE
    seller, buyer = invoice.seller, invoice.buyer
    details = [_("Date of issue: %(date)s", date=localdate(issue_date(invoice))),
               _("Credit note, no payment due") if is_credit
               else _("Due date: %(date)s", date=localdate(invoice.due_date))]
    if is_credit and invoice.credited_invoice:
        credited = invoice.credited_invoice
        details.append(_("Credits invoice %(number)s", number=credited.number))
        details.append(_("of %(date)s", date=localdate(issue_date(credited))))
    if invoice.order is not None:
        details.append(_("Order: %(number)s", number=invoice.order.number))
        if invoice.order.po_reference:
            details.append(_("Your reference: %(reference)s", reference=invoice.order.po_reference))
    if invoice.parcel_id:
        from portal.dispatch import code_for

        details.append(_("Shipment: %(code)s", code=code_for(invoice.parcel_id)))
    details.append(_("Currency: %(currency)s", currency=invoice.currency))
    taxes = []
    for tax in invoice.taxes:
        name = tax["name"] if "%" in tax["name"] else f"{tax['name']} ({_rate(tax['rate'])})"
        taxes.append((_("%(tax)s on %(base)s", tax=name, base=_amount(tax["base"])), _amount(tax["amount"])))
    if is_credit:
        payment = [_("The amount is credited against invoice %(number)s; what was already paid is refunded.",
                     number=invoice.credited_invoice.number if invoice.credited_invoice else "")]
    else:
        payment = [_("Please pay %(amount)s %(currency)s by %(date)s to %(account)s, quoting %(number)s.",
                     amount=_amount(invoice.gross), currency=invoice.currency, date=localdate(invoice.due_date),
                     account=seller.get("bank_account", ""), number=invoice.number)]
    return InvoiceDocument(
        title=_("Credit note") if is_credit else _("Invoice"), number=invoice.number, currency=invoice.currency,
        seller=[seller.get("name", ""), *[part.strip() for part in seller.get("address", "").split(",")],
                f"{_('Tax / VAT ID')}: {seller.get('tax_id', '')}"],  # the bank account: under "Payment"
        buyer=[buyer.get("name", ""), buyer.get("street", ""), f"{buyer.get('postcode', '')} {buyer.get('city', '')}",
               title_of(COUNTRIES, buyer.get("country", "")), f"{_('Tax / VAT ID')}: {buyer.get('tax_id', '')}"],
        details=details,
        lines=[DocLine(position=str(line.position), code=line.code, description=line.description,
                       quantity=format_decimal(Decimal(line.quantity), "#,##0.##"), unit_price=_amount(line.unit_price),
                       tax=_rate(line.tax_rate), amount=_amount(line.amount)) for line in invoice.lines],
        net=_amount(invoice.net), taxes=taxes, gross=_amount(invoice.gross),
        notes=list(dict.fromkeys(tax["note"] for tax in invoice.taxes if tax.get("note"))),
        payment=payment, reason=invoice.note if is_credit else "", titles=_titles())


def invoice_pdf(invoice, language: str | None = None) -> bytes:
    """The issued invoice or credit note as a PDF, in the language given or the buyer's."""
    from flask_babel import force_locale

    with force_locale(language or invoice.buyer.get("language") or "en"):
        return build_invoice_pdf(invoice_document(invoice))


def invoice_filename(invoice) -> str:
    return f"{invoice.number.replace('/', '-')}.pdf"


# -- exports for accounting --------------------------------------------------------------------------

def neutralise(value):
    """A text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def invoices_workbook(headers: list[str], rows: list[list], sheet_title: str) -> io.BytesIO:
    """Rows as they are; amounts as numbers, texts never as formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    append_headers(sheet, headers)
    for row in rows:
        cells = []
        for value in row:
            cell = safe_cell(sheet, value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def invoices_csv(headers: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads it so); amounts with a point; formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([str(value) if isinstance(value, Decimal) else neutralise(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
