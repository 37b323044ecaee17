"""The quote PDF: one revision of a device's quote, both variants with their lines and totals.

Built like the logistics document and the packing list (portal.documents): plain data in, bytes
out, DejaVu Sans, user text only ever drawn as strings. Amounts are formatted in the reader's
language from Decimals; nothing here computes money (portal.pricing does).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib.units import mm

from portal.documents import FONT, FONT_BOLD, _fit, _Pages, two_passes

MARGIN = 15 * mm
BOTTOM = 22 * mm  # the footer and a little air below the last row
LINE = 5 * mm
ROW = 6 * mm  # a line of the quote
# The lines table: (x from the margin, width, aligned right)
COLUMNS = {"code": (0, 28 * mm, False), "description": (30 * mm, 78 * mm, False),
           "quantity": (110 * mm, 14 * mm, True), "unit_price": (126 * mm, 26 * mm, True),
           "amount": (154 * mm, 26 * mm, True)}
# The totals: a label, then the required and the recommended variant, right-aligned at these x
TOTAL_COLUMNS = (110 * mm, 145 * mm, 180 * mm)


@dataclass
class DocLine:
    code: str
    description: str
    quantity: str
    unit_price: str
    amount: str
    accepted: bool | None = None  # None: not decided yet
    reason: str = ""  # a free line's reason


@dataclass
class DocTotals:
    net: str
    taxes: list[tuple[str, str, str]]  # (label, amount, legal note)
    gross: str


@dataclass
class QuoteDocument:
    number: str
    revision: int
    sent: str
    currency: str
    customer: list[str]
    device: list[str]
    order: list[str]
    findings: str
    required_lines: list[DocLine]
    recommended_lines: list[DocLine]
    required: DocTotals
    recommended: DocTotals
    status: str = ""  # decided, superseded: one sentence; "" while waiting for the decision
    accepted_gross: str = ""
    titles: dict[str, str] = field(default_factory=dict)


def build_quote_pdf(doc: QuoteDocument) -> bytes:
    return two_passes(_draw, doc)


def _draw(doc: QuoteDocument, total_pages: int) -> tuple[bytes, int]:
    t = doc.titles
    buffer = io.BytesIO()
    pages = _Pages(buffer, f"{t['title']} {doc.number}")
    c = pages.canvas
    width, height = pages.width, pages.height
    right = width - MARGIN
    state = {"page": 1, "y": 0.0}

    def footer():
        pages.footer(f"{doc.number} · {t['title']}",
                     t["page"].format(page=state["page"], pages=max(total_pages, state["page"])))

    def new_page():
        footer()
        c.showPage()
        state["page"] += 1
        y = height - MARGIN
        c.setFont(FONT_BOLD, 10)
        c.drawString(MARGIN, y - 4 * mm, _fit(f"{t['title']} {doc.number}", FONT_BOLD, 10, width - 2 * MARGIN)[0])
        state["y"] = y - 12 * mm

    def room(needed: float) -> None:
        if state["y"] - needed < BOTTOM:
            new_page()

    def text(x, y, value, font=FONT, size=8.5, width_=None, align_right=False):
        pages.text(x, y, value, font, size, width_, align_right)

    # Head: what it is, whose, which revision.
    y = height - MARGIN
    c.setFont(FONT_BOLD, 16)
    c.drawString(MARGIN, y - 6 * mm, t["title"])
    c.setFont(FONT, 9)
    c.drawString(MARGIN, y - 12 * mm, t["depot"])
    text(right, y - 6 * mm, doc.number, FONT_BOLD, 12, align_right=True)
    text(right, y - 12 * mm, t["revision_sent"].format(revision=doc.revision, sent=doc.sent), align_right=True)
    pages.blocks([(t["customer"], doc.customer), (t["device"], doc.device), (t["order"], doc.order)],
                 y - 24 * mm, max_lines=6)
    y -= 56 * mm
    if doc.status:
        for line in _fit(doc.status, FONT_BOLD, 9, width - 2 * MARGIN, lines=2):
            text(MARGIN, y, line, FONT_BOLD, 9)
            y -= 4.5 * mm
        y -= 2 * mm
    text(MARGIN, y, t["findings"], FONT_BOLD, 9)
    y -= 5 * mm
    for paragraph in (doc.findings or "–").splitlines() or ["–"]:
        for line in _fit(paragraph, FONT, 8.5, width - 2 * MARGIN, lines=6):
            text(MARGIN, y, line)
            y -= 4 * mm
    state["y"] = y - 4 * mm

    def table_header():
        room(LINE * 3)
        y = state["y"]
        c.setFont(FONT_BOLD, 8)
        for key, (x, w, align_right) in COLUMNS.items():
            label = t[key]
            if align_right:
                c.drawRightString(MARGIN + x + w, y, label)
            else:
                c.drawString(MARGIN + x, y, label)
        c.setLineWidth(0.5)
        c.line(MARGIN, y - 2, right, y - 2)
        state["y"] = y - 4 * mm - 2

    def group(title: str, lines: list[DocLine]):
        room(LINE * 2)
        text(MARGIN, state["y"], title, FONT_BOLD, 9)
        state["y"] -= LINE
        if not lines:
            text(MARGIN, state["y"], t["none"])
            state["y"] -= LINE
        for line in lines:
            description = _fit(line.description, FONT, 8.5, COLUMNS["description"][1] - 2 * mm, lines=2)
            extra = [f"{t['reason']}: {line.reason}"] if line.reason else []
            needed = ROW + 3.8 * mm * (len(description) - 1 + len(extra))
            room(needed + LINE)
            if state["y"] - needed < BOTTOM + LINE:
                table_header()
            y = state["y"]
            mark = ""
            if line.accepted is not None:
                mark = "✓ " if line.accepted else "✗ "
            x, w, _r = COLUMNS["code"]
            text(MARGIN + x, y, mark + line.code, width_=w - 2 * mm)
            x, w, _r = COLUMNS["description"]
            for i, part in enumerate(description):
                text(MARGIN + x, y - i * 3.8 * mm, part)
            for i, part in enumerate(extra):
                text(MARGIN + x, y - (len(description) + i) * 3.8 * mm, _fit(part, FONT, 7.5, w - 2 * mm)[0],
                     size=7.5)
            for key in ("quantity", "unit_price", "amount"):
                x, w, _r = COLUMNS[key]
                text(MARGIN + x + w, y, getattr(line, key), align_right=True)
            state["y"] = y - needed
            pages.row_rule(state["y"] + 3.6 * mm)

    table_header()
    group(t["required_lines"], doc.required_lines)
    state["y"] -= 2 * mm
    group(t["recommended_lines"], doc.recommended_lines)

    # Totals: the two variants side by side.
    rows = [(t["net"], doc.required.net, doc.recommended.net, FONT)]
    labels = dict.fromkeys([label for label, _a, _n in doc.required.taxes + doc.recommended.taxes])
    required_taxes = {label: amount for label, amount, _n in doc.required.taxes}
    recommended_taxes = {label: amount for label, amount, _n in doc.recommended.taxes}
    for label in labels:
        rows.append((label, required_taxes.get(label, "–"), recommended_taxes.get(label, "–"), FONT))
    rows.append((t["gross"].format(currency=doc.currency), doc.required.gross, doc.recommended.gross, FONT_BOLD))
    notes = list(dict.fromkeys(note for _l, _a, note in doc.required.taxes + doc.recommended.taxes if note))
    room(LINE * (len(rows) + 3))
    y = state["y"] - 4 * mm
    c.setFont(FONT_BOLD, 8)
    c.drawString(MARGIN, y, t["totals"])
    c.drawRightString(MARGIN + TOTAL_COLUMNS[1], y, t["required"])
    c.drawRightString(MARGIN + TOTAL_COLUMNS[2], y, t["recommended"])
    c.setLineWidth(0.5)
    c.line(MARGIN, y - 2, right, y - 2)
    y -= 5 * mm
    for label, required, recommended, font in rows:
        text(MARGIN, y, label, font, width_=TOTAL_COLUMNS[0] - 4 * mm)
        text(MARGIN + TOTAL_COLUMNS[1], y, required, font, align_right=True)
        text(MARGIN + TOTAL_COLUMNS[2], y, recommended, font, align_right=True)
        y -= LINE
    if doc.accepted_gross:
        text(MARGIN, y, t["accepted"].format(amount=doc.accepted_gross, currency=doc.currency), FONT_BOLD, 9)
        y -= LINE
    state["y"] = y - 2 * mm
    for note in notes:
        wrapped = _fit(note, FONT, 8, width - 2 * MARGIN, lines=4)
        room(4 * mm * len(wrapped))
        for line in wrapped:
            text(MARGIN, state["y"], line, size=8)
            state["y"] -= 4 * mm
    room(10 * mm)
    for line in _fit(t["explain"], FONT, 7.5, width - 2 * MARGIN, lines=3):
        text(MARGIN, state["y"] - 2 * mm, line, size=7.5)
        state["y"] -= 3.6 * mm
    footer()
    c.save()
    return buffer.getvalue(), state["page"]


# -- from a quote to plain data -----------------------------------------------------------------

def quote_number(quote) -> str:
    """The order's number, the device's tag and the revision: unique and readable on the phone."""
    return f"{quote.device.order.number}-{quote.device.tag_code}-R{quote.revision}"


def _titles() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "title": _("Quote"), "depot": _("Depot repair portal"), "page": _("Page {page} of {pages}"),
        "revision_sent": _("Revision {revision} · sent {sent}"), "customer": _("Customer"), "device": _("Device"),
        "order": _("Order"), "findings": _("Findings"), "code": _("Code"), "description": _("Description"),
        "quantity": _("Qty"), "unit_price": _("Unit price"), "amount": _("Amount"),
        "required_lines": _("Required repair: the device works again"),
        "recommended_lines": _("Recommended in addition: the device comes back close to new"),
        "none": _("None"), "reason": _("Reason"), "totals": _("Totals"), "net": _("Net"),
        "gross": _("Total ({currency})"), "required": _("Required repair"),
        "recommended": _("Recommended repair"), "accepted": _("Accepted: {amount} {currency} with tax"),
        "explain": _("The recommended repair is the required repair and every recommended line. You may also "
                     "accept the required repair with some recommended lines, or decline; a declined device is "
                     "returned unrepaired with the diagnosis fee."),
    }


def _amount(value) -> str:
    from flask_babel import format_decimal

    return format_decimal(value, "#,##0.00")


def _totals(totals) -> DocTotals:
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    return DocTotals(
        net=_amount(totals.net),
        taxes=[(tax.name if "%" in tax.name else _("%(name)s (%(rate)s%%)", name=tax.name,
                                                   rate=format_decimal(tax.rate)),
                _amount(tax.amount), tax.note) for tax in totals.taxes],
        gross=_amount(totals.gross))


def _status(quote) -> str:
    from flask_babel import gettext as _

    from portal.i18n import localtime
    from portal.models import Decision, QuoteState

    if quote.state == QuoteState.SUPERSEDED:
        return _("Replaced by a newer revision: this revision can no longer be decided.")
    if quote.state != QuoteState.DECIDED:
        return ""
    who = quote.decided_by.name if quote.decided_by else _("the company's approval policy")
    if quote.decided_for is not None:
        who = _("%(staff)s for %(customer)s", staff=who, customer=quote.decided_for.name)
    when = localtime(quote.decided_at, "short")
    titles = {Decision.REQUIRED: _("Required repair accepted"), Decision.RECOMMENDED: _("Recommended repair accepted"),
              Decision.LINES: _("Required repair and the marked lines accepted"), Decision.DECLINED: _("Declined"),
              Decision.AUTOMATIC: _("Required repair approved automatically"),
              Decision.WARRANTY: _("Warranty repair")}
    return _("%(decision)s by %(who)s, %(when)s.", decision=titles.get(quote.decision, ""), who=who, when=when)


def quote_document(quote) -> QuoteDocument:
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    from portal import quotes
    from portal.forms import COUNTRIES, title_of
    from portal.i18n import localtime
    from portal.models import LineTier, QuoteState

    device, order = quote.device, quote.device.order
    company = order.company
    decided = quote.state == QuoteState.DECIDED

    def doc_line(line) -> DocLine:
        from portal import pricing

        return DocLine(code=line.code, description=line.description, quantity=format_decimal(line.quantity),
                       unit_price=_amount(line.unit_price),
                       amount=_amount(pricing.line_amount(line.quantity, line.unit_price)),
                       accepted=bool(line.accepted) if decided else None, reason=line.reason)

    po = quote.po_number or order.po_reference
    return QuoteDocument(
        number=quote_number(quote), revision=quote.revision, sent=localtime(quote.sent_at, "short"),
        currency=quote.currency,
        customer=[company.legal_name, company.street, f"{company.postcode} {company.city}",
                  title_of(COUNTRIES, company.country), f"{_('Tax / VAT ID')}: {company.tax_id}"],
        device=[f"{device.manufacturer} {device.model}", f"{_('Serial number')}: {device.serial_number}",
                f"{_('Device tag')}: {device.tag_code}",
                *([f"{_('Asset tag')}: {device.asset_tag}"] if device.asset_tag else [])],
        order=[f"{_('Order')}: {order.number}", f"{_('Purchase-order number')}: {po or '–'}",
               f"{_('Contact person')}: {order.contact_name}" if order.contact_name else ""],
        findings=quote.findings,
        required_lines=[doc_line(line) for line in quote.lines if line.tier == LineTier.REQUIRED],
        recommended_lines=[doc_line(line) for line in quote.lines if line.tier == LineTier.RECOMMENDED],
        required=_totals(quotes.variant_totals(quote, "required")),
        recommended=_totals(quotes.variant_totals(quote, "recommended")),
        status=_status(quote),
        accepted_gross=_amount(quotes.variant_totals(quote, "accepted").gross) if decided and any(
            line.accepted for line in quote.lines) else "",
        titles=_titles(),
    )


def quote_pdf(quote, language: str | None = None) -> bytes:
    """A sent revision as a PDF, in the language given or that of the order's owner."""
    from flask_babel import force_locale

    with force_locale(language or quote.device.order.owner.language or "en"):
        return build_quote_pdf(quote_document(quote))
