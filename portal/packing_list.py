"""The return packing list: the PDF that goes into an outbound parcel, with its barcodes.

Built like the logistics document (portal.documents): plain data in, bytes out, Code 128 with
1 pt modules, DejaVu Sans. User text is only ever drawn as strings, never parsed as markup.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from reportlab.lib.units import mm

from portal.documents import FONT, FONT_BOLD, MODULE, _barcode, _fit, _Pages


@dataclass
class PackedDevice:
    tag_code: str
    manufacturer: str
    model: str
    serial_number: str
    asset_tag: str
    order_number: str
    outcome: str  # "Repaired", "Beyond repair", ...


@dataclass
class PackingList:
    parcel_code: str
    company: str
    return_address: list[str]
    carrier: str  # "" until recorded
    tracking_number: str
    packed: str  # the date the parcel was started, in the reader's language
    devices: list[PackedDevice]
    titles: dict[str, str] = field(default_factory=dict)


ROW_HEIGHT = 15 * mm
MARGIN = 15 * mm
FIRST_PAGE_TOP = 96 * mm  # header, blocks and tracking barcode above the first row
OTHER_PAGE_TOP = 18 * mm
# The table's columns: (x from the margin, width)
COLUMNS = {"tag": (0, 50 * mm), "device": (52 * mm, 44 * mm), "serial": (98 * mm, 31 * mm),
           "order": (131 * mm, 21 * mm), "outcome": (154 * mm, 26 * mm)}


def build_packing_list_pdf(doc: PackingList) -> bytes:
    t = doc.titles
    buffer = io.BytesIO()
    pages = _Pages(buffer, f"{t['title']} {doc.parcel_code}")
    c = pages.canvas
    width, height = pages.width, pages.height
    first_rows = int((height - 2 * MARGIN - FIRST_PAGE_TOP) // ROW_HEIGHT)
    other_rows = int((height - 2 * MARGIN - OTHER_PAGE_TOP) // ROW_HEIGHT)
    total_pages = pages.count(len(doc.devices), first_rows, other_rows)
    page = 1

    def footer():
        pages.footer(f"{doc.parcel_code} · {t['title']} · {_fit(doc.company, FONT, 8, 100 * mm)[0]}",
                     t["page"].format(page=page, pages=total_pages))

    def table_header(y):
        return pages.table_header(y, [(x, t[key]) for key, (x, _width) in COLUMNS.items()])

    def cell(key, text, y, font=FONT, size=8, lines=1):
        x, column_width = COLUMNS[key]
        c.setFont(font, size)
        for i, line in enumerate(_fit(text, font, size, column_width - 2 * mm, lines=lines)):
            c.drawString(MARGIN + x, y - i * 3.5 * mm, line)

    def device_row(device: PackedDevice, top):
        _barcode(device.tag_code, 8 * mm).drawOn(c, MARGIN - 10 * MODULE, top - 9 * mm)
        c.setFont(FONT, 7)
        c.drawString(MARGIN, top - 12 * mm, device.tag_code)
        cell("device", f"{device.manufacturer} {device.model}", top - 4 * mm, FONT_BOLD, 8, lines=2)
        cell("serial", device.serial_number, top - 4 * mm)
        if device.asset_tag:
            cell("serial", f"{t['asset']}: {device.asset_tag}", top - 8 * mm, size=7)
        cell("order", device.order_number, top - 4 * mm)
        cell("outcome", device.outcome, top - 4 * mm, lines=2)
        pages.row_rule(top - ROW_HEIGHT + 1.5 * mm)

    def rows(top, start, count):
        for device in doc.devices[start:start + count]:
            device_row(device, top)
            top -= ROW_HEIGHT
        footer()
        return start + count

    # Page 1: what the parcel is, where it goes, who carries it; then the devices.
    y = height - MARGIN
    c.setFont(FONT_BOLD, 16)
    c.drawString(MARGIN, y - 6 * mm, t["title"])
    c.setFont(FONT, 9)
    c.drawString(MARGIN, y - 12 * mm, t["depot"])
    for i, line in enumerate(_fit(t["instructions"], FONT, 9, 105 * mm, lines=2)):
        c.drawString(MARGIN, y - 17 * mm - i * 4 * mm, line)
    pages.code_top_right(doc.parcel_code, y)
    carrier_lines = [doc.carrier, f"{t['tracking']}:", doc.tracking_number] if doc.carrier else [t["no_carrier"]]
    block_width = (width - 2 * MARGIN) / 3
    pages.blocks([
        (t["customer"], [*_fit(doc.company, FONT, 8.5, block_width - 4 * mm, lines=2),
                         t["devices_count"].format(count=len(doc.devices)), f"{t['packed']}: {doc.packed}"]),
        (t["return_to"], doc.return_address),
        (t["carrier"], carrier_lines),
    ], y - 36 * mm, max_lines=6)
    if doc.tracking_number:
        c.setFont(FONT_BOLD, 9)
        c.drawString(MARGIN, y - 65 * mm, t["tracking_barcode"])
        tracking = _barcode(doc.tracking_number, 12 * mm)
        tracking.drawOn(c, MARGIN - 10 * MODULE, y - 79 * mm)
        c.setFont(FONT, 8)
        c.drawString(MARGIN, y - 83 * mm, doc.tracking_number)

    index = rows(table_header(y - FIRST_PAGE_TOP + 4 * mm), 0, first_rows)
    while index < len(doc.devices):
        c.showPage()
        page += 1
        y = height - MARGIN
        c.setFont(FONT_BOLD, 10)
        c.drawString(MARGIN, y - 4 * mm, _fit(f"{doc.parcel_code} · {doc.company}", FONT_BOLD, 10,
                                              width - 2 * MARGIN)[0])
        index = rows(table_header(y - OTHER_PAGE_TOP + 4 * mm), index, other_rows)
    c.save()
    return buffer.getvalue()


# -- from a parcel to plain data ----------------------------------------------------

def _titles() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "title": _("Return packing list"), "depot": _("Depot repair portal"),
        "instructions": _("These devices come back from repair. Please check the parcel against this list."),
        "page": _("Page {page} of {pages}"), "tag": _("Device tag"), "device": _("Device"),
        "serial": _("Serial number"), "order": _("Order"), "outcome": _("Result"), "asset": _("Asset tag"),
        "customer": _("Customer"), "return_to": _("Return address"), "carrier": _("Carrier"),
        "tracking": _("Tracking number"), "tracking_barcode": _("Tracking number"),
        "no_carrier": _("Not yet recorded"), "devices_count": _("Devices: {count}"), "packed": _("Packed"),
    }


def packing_list_document(parcel) -> PackingList:
    from portal import carriers, dispatch
    from portal.i18n import localdate

    address = parcel.return_address
    return PackingList(
        parcel_code=parcel.code, company=parcel.company.legal_name,
        return_address=[address.recipient, address.street, f"{address.postcode} {address.city}", address.country,
                        address.phone] if address else [],
        carrier=carriers.title(parcel.carrier, parcel.carrier_name), tracking_number=parcel.tracking_number,
        packed=localdate(parcel.created_at),
        devices=[PackedDevice(tag_code=d.tag_code, manufacturer=d.manufacturer, model=d.model,
                              serial_number=d.serial_number, asset_tag=d.asset_tag, order_number=d.order.number,
                              outcome=dispatch.outcome(d)) for d in parcel.devices],
        titles=_titles(),
    )


def packing_list_pdf(parcel, language: str | None = None) -> bytes:
    """The parcel's packing list, in the language given or that of its first order's owner."""
    from flask_babel import force_locale

    owner = parcel.devices[0].order.owner if parcel.devices else None
    with force_locale(language or (owner.language if owner else None) or "en"):
        return build_packing_list_pdf(packing_list_document(parcel))
