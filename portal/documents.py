"""PDF documents: the logistics document with box labels, and device tag labels.

Builders take plain data (dataclasses made from an order) and return bytes. Barcodes are
Code 128 with 1 pt modules: what a cheap office printer and a handheld scanner resolve at
150 dpi. Text is set in the bundled DejaVu Sans, so Polish and Cyrillic print anywhere.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
MODULE = 1.0  # points per narrow bar

if FONT not in pdfmetrics.getRegisteredFontNames():
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


@dataclass
class DeviceLine:
    tag_code: str
    category: str
    manufacturer: str
    model: str
    serial_number: str
    asset_tag: str
    box_number: int | None
    fault: str = ""


@dataclass
class BoxLabel:
    code: str
    number: int
    count: int
    devices: list[DeviceLine]


@dataclass
class LogisticsDocument:
    order_number: str
    company: str
    return_address: list[str]
    contact: list[str]
    po_reference: str
    service_level: str
    created: str
    devices: list[DeviceLine]
    boxes: list[BoxLabel]
    titles: dict[str, str] = field(default_factory=dict)
    #: The admins' custom fields of the order, "label: value", under the order's details
    custom: list[str] = field(default_factory=list)


def _barcode(value: str, height: float, module: float = MODULE) -> Code128:
    return Code128(value, barWidth=module, barHeight=height, humanReadable=False)


def _fit(text: str, font: str, size: float, width: float, lines: int = 1) -> list[str]:
    """Wrap text into at most `lines` lines of `width`, ending with an ellipsis when cut."""
    wrapped = simpleSplit(" ".join(text.split()), font, size, width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        last = wrapped[-1]
        while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        wrapped[-1] = last + "…"
    return wrapped


class _Pages:
    """A canvas and what the depot's A4 lists share: a big code top right, blocks of facts, a
    table header and a running footer with page n of N (the logistics document, the packing list)."""

    def __init__(self, buffer, title: str, pagesize=A4, margin: float = 15 * mm):
        self.canvas = Canvas(buffer, pagesize=pagesize, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("Depot repair portal")
        self.width, self.height = pagesize
        self.margin = margin

    @staticmethod
    def count(rows: int, first_rows: int, other_rows: int) -> int:
        """Pages a list of rows takes when the first page holds fewer of them."""
        return 1 + -(-max(0, rows - first_rows) // other_rows)

    def code_top_right(self, code: str, top: float) -> None:
        """The document's own barcode, large, with its text below, for the scanner at the depot."""
        c = self.canvas
        barcode = _barcode(code, 16 * mm, module=1.2)
        barcode.drawOn(c, self.width - self.margin - barcode.width, top - 20 * mm)
        c.setFont(FONT_BOLD, 12)
        c.drawRightString(self.width - self.margin - 10 * 1.2, top - 25 * mm, code)

    def blocks(self, blocks: list[tuple[str, list[str]]], top: float, max_lines: int) -> None:
        """Three columns of facts, each under its heading; long lines are cut to the column."""
        c = self.canvas
        block_width = (self.width - 2 * self.margin) / 3
        for i, (heading, lines) in enumerate(blocks):
            x = self.margin + i * block_width
            c.setFont(FONT_BOLD, 9)
            c.drawString(x, top, heading)
            c.setFont(FONT, 8.5)
            for j, line in enumerate(lines[:max_lines]):
                c.drawString(x, top - 5 * mm - j * 4 * mm, _fit(line, FONT, 8.5, block_width - 4 * mm)[0])

    def table_header(self, y: float, columns: list[tuple[float, str]]) -> float:
        c = self.canvas
        c.setFont(FONT_BOLD, 8)
        for x, label in columns:
            c.drawString(self.margin + x, y, label)
        c.setLineWidth(0.5)
        c.line(self.margin, y - 2, self.width - self.margin, y - 2)
        return y - 4

    def row_rule(self, y: float) -> None:
        c = self.canvas
        c.setLineWidth(0.25)
        c.setStrokeGray(0.7)
        c.line(self.margin, y, self.width - self.margin, y)
        c.setStrokeGray(0)

    def text(self, x: float, y: float, value: str, font: str = FONT, size: float = 8.5, width: float | None = None,
             align_right: bool = False) -> None:
        """One line of text, cut to `width` with an ellipsis when given; never parsed as markup."""
        self.canvas.setFont(font, size)
        value = _fit(value, font, size, width)[0] if width else value
        (self.canvas.drawRightString if align_right else self.canvas.drawString)(x, y, value)

    def footer(self, left: str, page_label: str) -> None:
        c = self.canvas
        c.setFont(FONT, 8)
        c.drawString(self.margin, 8 * mm, left)
        c.drawRightString(self.width - self.margin, 8 * mm, page_label)


def two_passes(draw, doc) -> bytes:
    """A document whose footer says "page n of N": `draw(doc, total_pages)` returns (bytes, pages);
    the first pass counts the pages, the second draws with the count."""
    _content, pages = draw(doc, 0)
    content, _pages = draw(doc, pages)
    return content


def build_logistics_pdf(doc: LogisticsDocument) -> bytes:
    t = doc.titles
    buffer = io.BytesIO()
    pages = _Pages(buffer, f"{t['logistics']} {doc.order_number}")
    c = pages.canvas
    width, height = pages.width, pages.height
    margin = 15 * mm
    row_height = 15 * mm
    first_rows = int((height - 2 * margin - 80 * mm) // row_height)
    other_rows = int((height - 2 * margin - 22 * mm) // row_height)
    total_pages = pages.count(len(doc.devices), first_rows, other_rows) + len(doc.boxes)
    page_number = 0

    def footer():
        pages.footer(f"{doc.order_number} · {t['logistics']}", t["page"].format(page=page_number, pages=total_pages))

    def table_header(y):
        return pages.table_header(y, [(0, t["tag"]), (62 * mm, t["device"]), (120 * mm, t["serial"]),
                                      (165 * mm, t["box"])])

    def device_row(device: DeviceLine, y):
        top = y
        _barcode(device.tag_code, 8 * mm).drawOn(c, margin - 10 * MODULE + 0, top - 9 * mm)
        c.setFont(FONT, 7)
        c.drawString(margin, top - 12 * mm, device.tag_code)
        c.setFont(FONT_BOLD, 8)
        name = f"{device.manufacturer} {device.model}"
        c.drawString(margin + 62 * mm, top - 4 * mm, _fit(name, FONT_BOLD, 8, 56 * mm)[0])
        c.setFont(FONT, 7)
        c.drawString(margin + 62 * mm, top - 8 * mm, _fit(device.category, FONT, 7, 56 * mm)[0])
        for i, line in enumerate(_fit(device.fault, FONT, 7, 56 * mm, lines=1)):
            c.drawString(margin + 62 * mm, top - 12 * mm - i * 3 * mm, line)
        c.setFont(FONT, 8)
        c.drawString(margin + 120 * mm, top - 4 * mm, _fit(device.serial_number, FONT, 8, 43 * mm)[0])
        if device.asset_tag:
            c.setFont(FONT, 7)
            c.drawString(margin + 120 * mm, top - 8 * mm,
                         _fit(f"{t['asset']}: {device.asset_tag}", FONT, 7, 43 * mm)[0])
        c.setFont(FONT, 8)
        c.drawString(margin + 165 * mm, top - 4 * mm, str(device.box_number or "–"))
        pages.row_rule(top - row_height + 1.5 * mm)

    # Page 1: who, where to, the order barcode; then the device list.
    page_number = 1
    y = height - margin
    c.setFont(FONT_BOLD, 16)
    c.drawString(margin, y - 6 * mm, t["logistics"])
    c.setFont(FONT, 9)
    for i, line in enumerate(_fit(t["instructions"], FONT, 9, 112 * mm, lines=2)):
        c.drawString(margin, y - 12 * mm - i * 4 * mm, line)
    pages.code_top_right(doc.order_number, y)
    pages.blocks([
        (t["customer"], [doc.company, *doc.contact]),
        (t["return_to"], doc.return_address),
        (t["order"], [f"{t['po']}: {doc.po_reference or '–'}", f"{t['service']}: {doc.service_level}",
                      f"{t['created']}: {doc.created}", t["boxes_count"].format(count=len(doc.boxes)),
                      t["devices_count"].format(count=len(doc.devices)), *doc.custom]),
    ], y - 36 * mm, max_lines=8)
    def rows_then_footer(y, start, count):
        for device in doc.devices[start:start + count]:
            device_row(device, y)
            y -= row_height
        footer()
        return start + count

    index = rows_then_footer(table_header(y - 72 * mm), 0, first_rows)
    while index < len(doc.devices):
        c.showPage()
        page_number += 1
        y = height - margin
        c.setFont(FONT_BOLD, 10)
        c.drawString(margin, y - 4 * mm, f"{doc.order_number} · {doc.company}")
        index = rows_then_footer(table_header(y - 14 * mm), index, other_rows)

    for box in doc.boxes:
        c.showPage()
        page_number += 1
        _box_label(c, box, doc, width, height, margin)
        footer()
    c.save()
    return buffer.getvalue()


def _box_label(c: Canvas, box: BoxLabel, doc: LogisticsDocument, width, height, margin) -> None:
    t = doc.titles
    y = height - margin
    c.setLineWidth(1.5)
    c.rect(margin, height / 2, width - 2 * margin, height / 2 - margin)
    c.setFont(FONT_BOLD, 28)
    c.drawString(margin + 8 * mm, y - 16 * mm, t["box_of"].format(number=box.number, count=box.count))
    c.setFont(FONT_BOLD, 16)
    c.drawString(margin + 8 * mm, y - 26 * mm, doc.order_number)
    c.setFont(FONT, 11)
    c.drawString(margin + 8 * mm, y - 33 * mm, _fit(doc.company, FONT, 11, width - 2 * margin - 16 * mm)[0])
    code = _barcode(box.code, 22 * mm, module=1.4)
    code.drawOn(c, margin + 8 * mm, y - 62 * mm)
    c.setFont(FONT, 10)
    c.drawString(margin + 8 * mm + 14, y - 67 * mm, box.code)
    c.setFont(FONT_BOLD, 10)
    c.drawString(margin + 8 * mm, y - 78 * mm, t["in_box"])
    c.setFont(FONT, 8)
    if not box.devices:
        c.drawString(margin + 8 * mm, y - 84 * mm, t["see_list"])
        return
    per_column, column_width = 12, (width - 2 * margin - 16 * mm) / 2
    shown = box.devices[: per_column * 2]
    for i, device in enumerate(shown):
        x = margin + 8 * mm + (i // per_column) * column_width
        line = f"{device.tag_code}  {device.manufacturer} {device.model}  {device.serial_number}"
        c.drawString(x, y - 84 * mm - (i % per_column) * 4 * mm, _fit(line, FONT, 8, column_width - 3 * mm)[0])
    if len(box.devices) > len(shown):
        c.drawString(margin + 8 * mm, height / 2 + 4 * mm,
                     t["more_in_list"].format(count=len(box.devices) - len(shown)))


TAG_LAYOUTS = {
    # label-printer roll 62 mm wide: one label a page
    "62mm": {"page": (62 * mm, 30 * mm), "columns": 1, "rows": 1, "label": (62 * mm, 30 * mm), "origin": (0, 0)},
    # A4 sheet of 3 x 8 labels, 70 x 37 mm
    "a4": {"page": A4, "columns": 3, "rows": 8, "label": (70 * mm, 37 * mm), "origin": (0, 0.5 * mm)},
}


def build_device_tags_pdf(order_number: str, devices: list[DeviceLine], layout: str, title: str) -> bytes:
    spec = TAG_LAYOUTS[layout]
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=spec["page"], pageCompression=1)
    c.setTitle(title)
    label_width, label_height = spec["label"]
    per_page = spec["columns"] * spec["rows"]
    page_height = spec["page"][1]
    for index, device in enumerate(devices):
        if index and index % per_page == 0:
            c.showPage()
        slot = index % per_page
        column, row = slot % spec["columns"], slot // spec["columns"]
        x = spec["origin"][0] + column * label_width
        top = page_height - spec["origin"][1] - row * label_height
        _device_tag(c, device, order_number, x, top, label_width, label_height)
    if not devices:
        c.setFont(FONT, 8)
        c.drawString(4 * mm, page_height - 8 * mm, title)
    c.save()
    return buffer.getvalue()


def _device_tag(c: Canvas, device: DeviceLine, order_number: str, x, top, label_width, label_height) -> None:
    pad = 3 * mm
    code = _barcode(device.tag_code, 11 * mm)
    code.drawOn(c, x + (label_width - code.width) / 2, top - pad - 11 * mm)
    c.setFont(FONT_BOLD, 9)
    c.drawCentredString(x + label_width / 2, top - pad - 15 * mm, device.tag_code)
    c.setFont(FONT, 6.5)
    text_width = label_width - 2 * pad
    c.drawCentredString(x + label_width / 2, top - pad - 18.5 * mm,
                        _fit(f"{order_number} · {device.manufacturer} {device.model}", FONT, 6.5, text_width)[0])
    c.drawCentredString(x + label_width / 2, top - pad - 21.5 * mm,
                        _fit(f"S/N {device.serial_number}", FONT, 6.5, text_width)[0])


# -- from an order to plain data ---------------------------------------------------

def _titles() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "logistics": _("Logistics document"),
        "instructions": _("Print this document and put it in the first box. Stick each box label on its box."),
        "page": _("Page {page} of {pages}"),
        "tag": _("Device tag"), "device": _("Device"), "serial": _("Serial number"), "box": _("Box"),
        "asset": _("Asset tag"), "customer": _("Customer"), "return_to": _("Return address"),
        "order": _("Order"), "po": _("Your reference"), "service": _("Service level"), "created": _("Created"),
        "boxes_count": _("Boxes: {count}"), "devices_count": _("Devices: {count}"),
        "box_of": _("Box {number} of {count}"), "in_box": _("Devices in this box"),
        "see_list": _("See the device list in the logistics document."),
        "more_in_list": _("… and {count} more: see the logistics document."),
    }


def _device_lines(order, only=None) -> list[DeviceLine]:
    from portal.models import DeviceStatus

    devices = only if only is not None else order.devices
    return [
        DeviceLine(tag_code=d.tag_code, category=d.category.name if d.category else "",
                   manufacturer=d.manufacturer, model=d.model, serial_number=d.serial_number,
                   asset_tag=d.asset_tag, box_number=d.box_number, fault=d.fault_description)
        for d in devices if d.status != DeviceStatus.CANCELLED
    ]


def logistics_document(order) -> LogisticsDocument:
    from portal import custom_fields
    from portal.i18n import localdate
    from portal.models import CustomFieldTarget
    from portal.orders import box_code

    devices = _device_lines(order)
    address = order.return_address
    if order.box_count == 1:
        boxes = [BoxLabel(code=box_code(order, 1), number=1, count=1, devices=devices)]
    else:
        boxes = [BoxLabel(code=box_code(order, n), number=n, count=order.box_count,
                          devices=[d for d in devices if d.box_number == n])
                 for n in range(1, order.box_count + 1)]
    from flask_babel import gettext as _

    levels = {"standard": _("Standard"), "express": _("Express")}
    return LogisticsDocument(
        order_number=order.number, company=order.company.legal_name,
        return_address=[address.recipient, address.street, f"{address.postcode} {address.city}",
                        address.country, address.phone] if address else [],
        contact=[order.contact_name, order.contact_phone, order.contact_email],
        po_reference=order.po_reference, service_level=levels.get(order.service_level, order.service_level),
        created=localdate(order.submitted_at or order.created_at), devices=devices, boxes=boxes,
        titles=_titles(), custom=[f"{label}: {value}" for label, value in custom_fields.shown_values(
            CustomFieldTarget.ORDER, order.custom_values)],
    )


def logistics_pdf(order, language: str | None = None) -> bytes:
    from flask_babel import force_locale

    with force_locale(language or order.owner.language or "en"):
        return build_logistics_pdf(logistics_document(order))


def device_tags_pdf(order, layout: str, only=None) -> bytes:
    """Tags of the order's devices, or of just some of them (a device added at receiving)."""
    from flask_babel import gettext as _

    return build_device_tags_pdf(order.number, _device_lines(order, only), layout,
                                 _("Device tags of order %(number)s", number=order.number))
