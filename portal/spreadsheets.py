"""Spreadsheets the portal writes: exports that open safely in Excel."""

from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal import workflow
from portal.i18n import localdate

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def append_headers(sheet, titles) -> None:
    """The header row of an export: the titles in bold."""
    bold = Font(bold=True)
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)


def safe_cell(sheet, value) -> WriteOnlyCell:
    """A cell Excel shows as typed: text starting with =, +, - or @ is stored as text, never a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
    return cell


def orders_workbook(orders) -> io.BytesIO:
    """One row per device of the given orders, with the order's details repeated; the admins'
    custom fields of orders, then of devices, close each row."""
    from portal.custom_fields import Labels, typed
    from portal.models import CustomFieldTarget

    orders = list(orders)
    order_labels, device_labels = Labels(CustomFieldTarget.ORDER), Labels(CustomFieldTarget.DEVICE)
    order_fields = order_labels.columns(orders)
    device_fields = device_labels.columns([device for order in orders for device in order.devices])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Devices"))
    headers = [_("Order"), _("Order status"), _("Your reference"), _("Submitted"), _("Device tag"),
               _("Category"), _("Manufacturer"), _("Model"), _("Serial number"), _("Asset tag"),
               _("Device status"), _("Box"), _("Fault description"),
               *(field.label for field in order_fields), *(field.label for field in device_fields)]
    append_headers(sheet, headers)
    for order in orders:
        common = [order.number or _("Draft"), _order_state_title(order.state), order.po_reference,
                  localdate(order.submitted_at) if order.submitted_at else ""]
        order_cells = order_labels.cells(order_fields, order.custom_values, typed)
        for device in order.devices:
            sheet.append([safe_cell(sheet, v) for v in [
                *common, device.tag_code, device.category.name if device.category else "", device.manufacturer,
                device.model, device.serial_number, device.asset_tag, workflow.title(device.status),
                device.box_number, device.fault_description, *order_cells,
                *device_labels.cells(device_fields, device.custom_values, typed)]])
        if not order.devices:
            sheet.append([safe_cell(sheet, v) for v in [*common, *[""] * 9, *order_cells]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def _order_state_title(state) -> str:
    from portal.models import OrderState

    return {
        OrderState.DRAFT: _("Draft"), OrderState.SUBMITTED: _("Submitted"),
        OrderState.RETURNED: _("Returned to you"), OrderState.ACCEPTED: _("Accepted"),
        OrderState.CANCELLED: _("Cancelled"),
    }[state]
