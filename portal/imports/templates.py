"""The spreadsheet template customers download: one sheet to fill, one explaining each column.

The sheet to fill holds the column names only (row 1), so whatever the customer types is theirs
and nothing of ours is ever imported by mistake; the example is on the explanation sheet. Serial
numbers and asset tags are text columns (Excel keeps their leading zeros), yes/no and category
columns offer drop-down lists, the box column takes whole numbers from 1 to 500.
"""

from __future__ import annotations

import io
from contextlib import nullcontext
from pathlib import Path

from flask import has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from portal.imports.fields import FIELDS, REQUIRED, TEMPLATE_HEADERS, TEMPLATE_LANGUAGES, TEMPLATE_YES_NO, column_letter
from portal.models.custom_field import CustomFieldKind
from portal.orders import MAX_BOXES

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "import_templates"
LAST_ROW = 100_001  # validations and formats reach this far: the row limit and the header
WIDTHS = {"manufacturer": 18, "model": 20, "serial_number": 22, "asset_tag": 16, "category_id": 22,
          "fault_description": 48, "warranty_claimed": 14, "purchase_date": 16, "accessories": 28,
          "box_number": 10, "data_wipe_allowed": 16}
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")


def custom_specs() -> list:
    if not has_app_context():
        return []
    from portal import custom_fields
    from portal.models import CustomFieldTarget

    return custom_fields.specs(CustomFieldTarget.DEVICE)


def _custom_explanation(spec) -> tuple[str, str]:
    """What to write in a custom field's column, and an example."""
    from portal.custom_fields import MAX_TEXT

    if spec.kind == CustomFieldKind.NUMBER:
        text, example = _("A number, such as 1250 or 12.5."), "12.5"
    elif spec.kind == CustomFieldKind.DATE:
        text, example = _("A date, such as 2024-03-31 or 31.03.2024."), "2024-03-31"
    elif spec.kind == CustomFieldKind.CHOICE:
        text, example = _("One of the choices in the drop-down list: %(choices)s.",
                          choices=", ".join(spec.options)), spec.options[0]
    else:
        text, example = _("Text, up to %(limit)d characters.", limit=MAX_TEXT), ""
    return (f"{text} {spec.help_text}" if spec.help_text else text), example


def active_categories() -> list[str]:
    if not has_app_context():
        return []
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import DeviceCategory

    return list(db.session.scalars(
        select(DeviceCategory.name).where(DeviceCategory.is_active.is_(True)).order_by(DeviceCategory.name)))


def _explanations(yes: str, no: str, category: str) -> dict[str, tuple[str, str]]:
    """field -> (what to write, example), in the template's language."""
    return {
        "manufacturer": (_("The maker's name as on the device's label, up to 100 characters."), "Zebra"),
        "model": (_("The model as on the label, up to 100 characters."), "TC52"),
        "serial_number": (_("The serial number exactly as on the label, up to 100 characters. The column is "
                            "text, so leading zeros stay."), "0021045522"),
        "asset_tag": (_("Your own inventory number, if you use one; up to 100 characters."), "NL-0231"),
        "category_id": (_("One of the categories in the drop-down list; leave it empty if none fits and the "
                          "depot will choose."), category),
        "fault_description": (_("What is wrong, in your own words, up to 2,000 characters."),
                              _("Screen cracked in the upper left corner")),
        "warranty_claimed": (_("%(yes)s if you claim a warranty repair; %(no)s or empty otherwise.", yes=yes,
                               no=no), yes),
        "purchase_date": (_("The date of purchase, such as 2024-03-31 or 31.03.2024. Needed when you claim "
                            "warranty; it cannot be in the future."), "2024-03-31"),
        "accessories": (_("What you send with the device (charger, battery, case), up to 500 characters."),
                        _("charger, battery")),
        "box_number": (_("The number of the box it travels in, from 1 to %(max)d, when you send several boxes.",
                         max=MAX_BOXES), "1"),
        "data_wipe_allowed": (_("%(yes)s if the depot may wipe the device's data when the repair needs it; "
                                "%(no)s or empty otherwise.", yes=yes, no=no), no),
    }


def build_template(language: str, categories: list[str] | None = None, custom: list | None = None) -> bytes:
    """The .xlsx template in the language (en, pl or ru; others get English); `categories` and the
    `custom` device fields (columns after ours, headed by their labels) default to those in the database."""
    language = language if language in TEMPLATE_LANGUAGES else "en"
    if categories is None:
        categories = active_categories()
    if custom is None:
        custom = custom_specs()
    with force_locale(language) if has_app_context() else nullcontext():
        return _build(language, categories, custom)


def _build(language: str, categories: list[str], custom: list) -> bytes:
    headers = TEMPLATE_HEADERS[language]
    yes, no = TEMPLATE_YES_NO[language]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Devices")[:31]
    help_sheet = workbook.create_sheet(_("How to fill in")[:31])
    bold = Font(bold=True)
    letters = {}
    for position, (field, _title) in enumerate(FIELDS):
        letter = letters[field] = column_letter(position)
        cell = sheet.cell(row=1, column=position + 1, value=headers[field])
        cell.font = bold
        cell.fill = HEADER_FILL
        dimension = sheet.column_dimensions[letter]
        dimension.width = WIDTHS[field]
        if field in ("serial_number", "asset_tag"):
            dimension.number_format = "@"  # typed serials stay text: Excel keeps their leading zeros
        elif field == "purchase_date":
            dimension.number_format = "yyyy-mm-dd"
    for position, spec in enumerate(custom, start=len(FIELDS)):
        letter = letters[spec.key] = column_letter(position)
        cell = sheet.cell(row=1, column=position + 1, value=spec.label)
        cell.data_type = "s"
        cell.font = bold
        cell.fill = HEADER_FILL
        sheet.column_dimensions[letter].width = max(14, min(40, len(spec.label) + 4))
        if spec.kind == CustomFieldKind.DATE:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif spec.kind == CustomFieldKind.TEXT:
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"

    def validation(field: str, **options) -> None:
        rule = DataValidation(allow_blank=True, showErrorMessage=True, **options)
        rule.add(f"{letters[field]}2:{letters[field]}{LAST_ROW}")
        sheet.add_data_validation(rule)

    for field in ("warranty_claimed", "data_wipe_allowed"):
        validation(field, type="list", formula1=f'"{yes},{no}"', errorTitle=_("Yes or no"),
                   error=_("Choose %(yes)s or %(no)s from the list.", yes=yes, no=no))
    validation("box_number", type="whole", operator="between", formula1="1", formula2=str(MAX_BOXES),
               errorTitle=_("Box"), error=_("A whole number from 1 to %(max)d.", max=MAX_BOXES))
    choice_fields = [spec for spec in custom if spec.kind == CustomFieldKind.CHOICE and spec.options]
    if categories or choice_fields:
        lists = workbook.create_sheet("Lists")
        lists.sheet_state = "hidden"
        for row, name in enumerate(categories, start=1):
            lists.cell(row=row, column=1, value=name).data_type = "s"
    if categories:
        validation("category_id", type="list", formula1=f"Lists!$A$1:$A${len(categories)}",
                   errorStyle="warning", errorTitle=_("Category"),
                   error=_("Choose a category from the list, or leave it empty."))
    for number, spec in enumerate(choice_fields, start=2):  # one column of the hidden sheet per field
        column = column_letter(number - 1)
        for row, option in enumerate(spec.options, start=1):
            lists.cell(row=row, column=number, value=option).data_type = "s"
        validation(spec.key, type="list", formula1=f"Lists!${column}$1:${column}${len(spec.options)}",
                   errorTitle=spec.label[:32], error=_("Choose a value from the list."))

    wrap = Alignment(wrap_text=True, vertical="top")
    help_sheet.column_dimensions["A"].width = 26
    help_sheet.column_dimensions["B"].width = 12
    help_sheet.column_dimensions["C"].width = 70
    help_sheet.column_dimensions["D"].width = 30
    help_sheet["A1"] = _("How to fill in the device list")
    help_sheet["A1"].font = Font(bold=True, size=13)
    help_sheet["A2"] = _("One device per row on the sheet “%(sheet)s”, from row 2. Keep the column names in row "
                         "1; columns that are not required may be left out or moved.", sheet=sheet.title)
    help_sheet["A3"] = _("Upload the file on your order's page. Every problem is shown by row and column, and "
                         "nothing is saved until you confirm.")
    for row in (2, 3):
        help_sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        help_sheet.cell(row=row, column=1).alignment = wrap
        help_sheet.row_dimensions[row].height = 32
    for position, title in enumerate((_("Column"), _("Required"), _("What to write"), _("Example")), start=1):
        cell = help_sheet.cell(row=5, column=position, value=title)
        cell.font = bold
        cell.fill = HEADER_FILL
    explanations = _explanations(yes, no, categories[0] if categories else "")
    lines = [(headers[field], field in REQUIRED, *explanations[field]) for field, _title in FIELDS]
    lines += [(spec.label, spec.required, *_custom_explanation(spec)) for spec in custom]
    for row, (header, is_required, text, example) in enumerate(lines, start=6):
        values = (header, _("required") if is_required else "", text, example)
        for position, value in enumerate(values, start=1):
            cell = help_sheet.cell(row=row, column=position, value=value)
            cell.data_type = "s"  # the example "2024-03-31" and "1" stay text, never a formula or a number
            cell.alignment = wrap
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
