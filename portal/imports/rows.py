"""One row of a spreadsheet checked against the rules of a device: values in, typed values and problems out.

Runs once per row (10,000s of times per file): no regular expression is compiled here per call,
no database is asked, and messages are only translated for the rows that have a problem.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from portal.imports.fields import REQUIRED, TEXT_LIMITS, YES_NO, normalise
from portal.imports.result import ERROR, WARNING, ImportContext, ImportRow, Problem
from portal.orders import MAX_BOXES

EXCEL_EPOCH = date(1899, 12, 30)
# Excel serials we read as purchase dates: 1 January 1980 to 31 December 2099.
FIRST_SERIAL, LAST_SERIAL = 29221, 73415

_DATE = re.compile(
    r"(\d{1,4})[./\- ](\d{1,2})[./\- ](\d{1,4})\.?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?)?")
_SERIAL = re.compile(r"\d{5}(?:[.,]\d+)?")
_WHOLE = re.compile(r"\d+(?:\.0+)?")


def _missing_messages() -> dict[str, str]:
    return {
        "manufacturer": _("The manufacturer is missing."),
        "model": _("The model is missing."),
        "serial_number": _("The serial number is missing."),
        "fault_description": _("The fault description is missing."),
    }


def excel_date(serial: float) -> date | None:
    """An Excel date serial as a date, when it is a plausible purchase date."""
    if FIRST_SERIAL <= serial < LAST_SERIAL + 1:
        return EXCEL_EPOCH + timedelta(days=int(serial))
    return None


def parse_date(text: str) -> date | None:
    """ISO (2024-03-31), day first (31.03.2024, 31/03/2024, 31-03-2024, 31.03.24) or an Excel serial."""
    match = _DATE.fullmatch(text)
    try:
        if match:
            first, second, third = match.groups()
            if len(first) == 4:
                return date(int(first), int(second), int(third))
            if len(third) == 4:
                return date(int(third), int(second), int(first))
            if len(third) == 2 and len(first) <= 2:
                year = int(third)
                return date(2000 + year if year < 70 else 1900 + year, int(second), int(first))
            return None
    except ValueError:
        return None
    if _SERIAL.fullmatch(text):
        return excel_date(float(text.replace(",", ".")))
    return None


def parse_yes_no(text: str) -> bool | None:
    """yes/no in the languages of our customers; blank is no, anything else is None (unknown)."""
    if not text:
        return False
    answer = YES_NO.get(text.casefold())
    return answer if answer is not None else YES_NO.get(normalise(text) or text.strip().casefold())


def cell_text(value) -> str:
    """A cell as the customer sees it in Excel, as text, trimmed."""
    kind = type(value)
    if kind is str:
        return value.strip()
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if kind is datetime:
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if kind is date:
        return value.isoformat()
    if kind is time:
        return value.strftime("%H:%M")
    if value is None:
        return ""
    return str(value).strip()


def blank_cleaned() -> dict:
    return {"category_id": None, "manufacturer": "", "model": "", "serial_number": "", "asset_tag": "",
            "fault_description": "", "warranty_claimed": False, "purchase_date": None, "accessories": "",
            "box_number": None, "data_wipe_allowed": False}


def validate_row(values: dict[str, str], row: int, columns_by_field: dict[str, str],
                 context: ImportContext) -> ImportRow:
    """Check one row as the order form would: required fields (manufacturer, model, serial number,
    fault description), length limits, yes/no words (blank is no), a purchase date that is a date,
    not in the future and present when warranty is claimed, a known category (else a warning and
    left empty), a box number from 1 to 500, and a serial number not already in an open order of
    the company. Serials repeated within the file are the reader's check (it sees all rows)."""
    values = {name: str(values.get(name) or "").strip() for name in context.field_names if name in values}
    return check_row(values, row, columns_by_field, context)


def check_row(values: dict[str, str], row: int, columns_by_field: dict[str, str],
              context: ImportContext) -> ImportRow:
    """validate_row for values already trimmed and limited to device fields (the reader's fast path)."""
    cleaned = blank_cleaned()
    problems: list[Problem] = []

    def problem(field: str, message: str, code: str, level: str = ERROR) -> None:
        problems.append(Problem(row, columns_by_field.get(field, ""), field, values.get(field, ""),
                                message, level, code))

    get = values.get
    for field, limit in TEXT_LIMITS.items():
        text = get(field, "")
        if not text:
            if field in REQUIRED:
                problem(field, _missing_messages()[field], "missing")
        elif len(text) > limit:
            problem(field, _("Too long: %(length)d characters, at most %(limit)d.", length=len(text),
                             limit=limit), "too_long")
        else:
            cleaned[field] = text

    serial = cleaned["serial_number"]
    if serial:
        order_number = context.existing_serials.get(serial.upper())
        if order_number:
            problem("serial_number", _("This serial number is already in open order %(number)s.",
                                       number=order_number), "in_open_order")

    warranty = parse_yes_no(get("warranty_claimed", ""))
    if warranty is None:
        problem("warranty_claimed", _("Not yes or no: write yes or no (blank means no)."), "not_yes_no")
    else:
        cleaned["warranty_claimed"] = warranty
    wipe = parse_yes_no(get("data_wipe_allowed", ""))
    if wipe is None:
        problem("data_wipe_allowed", _("Not yes or no: write yes or no (blank means no)."), "not_yes_no")
    else:
        cleaned["data_wipe_allowed"] = wipe

    text = get("purchase_date", "")
    if text:
        purchased = parse_date(text)
        if purchased is None:
            problem("purchase_date", _("Not a date: write it as 2024-03-31 or 31.03.2024."), "not_a_date")
        elif purchased > context.today:
            problem("purchase_date", _("The purchase date cannot be in the future."), "future_date")
        else:
            cleaned["purchase_date"] = purchased
    elif warranty:
        problem("purchase_date", _("Enter the purchase date to claim warranty."), "date_for_warranty")

    text = get("category_id", "")
    if text:
        category_id = context.categories.get(text.casefold())
        if category_id is None:
            problem("category_id", _("Not a category of ours: left empty, the depot will choose one."),
                    "unknown_category", WARNING)
        else:
            cleaned["category_id"] = category_id

    text = get("box_number", "")
    if text:
        box = int(float(text)) if _WHOLE.fullmatch(text) else None
        if box is None or not 1 <= box <= MAX_BOXES:
            problem("box_number", _("Not a box number: write a whole number from 1 to %(max)d.", max=MAX_BOXES),
                    "not_a_box")
        else:
            cleaned["box_number"] = box
    if context.custom:
        cleaned["custom"] = _custom_values(values, context, problem)
    return ImportRow(row, values, cleaned, problems)


def _custom_values(values: dict[str, str], context: ImportContext, problem) -> dict[str, str]:
    """The admins' custom fields of the row, read as the order form reads them."""
    from portal.custom_fields import Invalid, read

    custom = {}
    for spec in context.custom:
        text = values.get(spec.key, "")
        if not text:
            if spec.required:
                problem(spec.key, _("%(field)s is missing.", field=spec.label), "missing")
            continue
        try:
            custom[str(spec.id)] = read(spec, text)
        except Invalid as error:
            problem(spec.key, error.message, error.code)
    return custom
