"""The admins' custom fields on orders and devices: which there are, how a typed value is read and shown.

A value is kept as text in the record's `custom_values` (field id -> text): a number in plain
decimal form, a date as ISO (2026-03-31), a choice as the option's text. The order form, the
import and the pages all read values here, so a value is accepted or refused with the same words
wherever it is typed. A field taken out of use keeps the values already given (pages still show
them), and its kind never changes once created: the values given would no longer fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.errors import DomainError
from portal.extensions import db
from portal.i18n import localdate
from portal.models import CustomField, CustomFieldKind, CustomFieldTarget

MAX_TEXT = 200
MAX_DIGITS = 15
MAX_OPTIONS = 100
MAX_OPTION_LENGTH = 100
KIND_TITLES = {
    CustomFieldKind.TEXT: _l("Text"),
    CustomFieldKind.NUMBER: _l("Number"),
    CustomFieldKind.DATE: _l("Date"),
    CustomFieldKind.CHOICE: _l("Choice from a list"),
}
TARGET_TITLES = {CustomFieldTarget.ORDER: _l("Orders"), CustomFieldTarget.DEVICE: _l("Devices")}


@dataclass(frozen=True)
class Spec:
    """A field as reading values needs it, detached from the session (imports read without one)."""

    id: int
    label: str
    kind: CustomFieldKind
    options: tuple[str, ...]
    required: bool
    help_text: str = ""

    @property
    def key(self) -> str:
        return f"cf_{self.id}"


class Invalid(ValueError):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def spec_of(field: CustomField) -> Spec:
    return Spec(field.id, field.label, field.kind, tuple(field.options), field.is_required, field.help_text)


def fields_of(target: CustomFieldTarget, *, active_only: bool = True) -> list[CustomField]:
    query = select(CustomField).where(CustomField.target == target)
    if active_only:
        query = query.where(CustomField.is_active.is_(True))
    return list(db.session.scalars(query.order_by(CustomField.position, CustomField.id)))


def specs(target: CustomFieldTarget) -> list[Spec]:
    """The fields in use for orders or devices, in the admins' order."""
    return [spec_of(field) for field in fields_of(target)]


# -- reading what was typed ----------------------------------------------------------------------

def read(spec: Spec, text: str) -> str:
    """The value as kept, from what was typed (trimmed, not empty); raises Invalid with the reason."""
    if spec.kind == CustomFieldKind.NUMBER:
        return _read_number(text)
    if spec.kind == CustomFieldKind.DATE:
        return _read_date(text)
    if spec.kind == CustomFieldKind.CHOICE:
        wanted = text.casefold()
        for option in spec.options:
            if option.casefold() == wanted:
                return option
        raise Invalid(str(_l("Not one of the choices: %(choices)s.", choices=", ".join(spec.options))),
                      "not_a_choice")
    if len(text) > MAX_TEXT:
        raise Invalid(str(_l("Too long: %(length)d characters, at most %(limit)d.", length=len(text),
                             limit=MAX_TEXT)), "too_long")
    return text


def _read_number(text: str) -> str:
    compact = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if "," in compact and "." not in compact and compact.count(",") == 1:
        compact = compact.replace(",", ".")  # a decimal comma, as most of our customers write
    try:
        value = Decimal(compact)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or len(value.as_tuple().digits) > MAX_DIGITS:
        raise Invalid(str(_l("Not a number: write it like 1250 or 12.5.")), "not_a_number")
    return format(value, "f")


def _read_date(text: str) -> str:
    from portal.imports.rows import parse_date  # the import's reading: ISO, day first or an Excel serial

    day = parse_date(text)
    if day is None:
        raise Invalid(str(_l("Not a date: write it as 2024-03-31 or 31.03.2024.")), "not_a_date")
    return day.isoformat()


def read_all(field_specs: list[Spec], typed: Mapping[str, object], prefix: str = "") -> tuple[dict, dict]:
    """Values of every field from typed texts keyed by `prefix` + the field's key:
    (field id as text -> value, key -> message for each field refused or missing)."""
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    for spec in field_specs:
        text = str(typed.get(prefix + spec.key) or "").strip()
        if not text:
            if spec.required:
                problems[spec.key] = str(_l("Fill in this field."))
            continue
        try:
            values[str(spec.id)] = read(spec, text)
        except Invalid as error:
            problems[spec.key] = error.message
    return values, problems


def merged(kept: dict | None, given: dict | None, field_specs: list[Spec]) -> dict | None:
    """The record's values after a form or import gave `given` for the fields in use: values of
    fields out of use stay, a field in use left empty is cleared."""
    values = {key: value for key, value in (kept or {}).items()
              if key not in {str(spec.id) for spec in field_specs}}
    values.update(given or {})
    return values or None


def form_values(record_values: dict | None, field_specs: list[Spec]) -> dict[str, str]:
    """A record's values under the form's field names, for the form's fields in use."""
    record_values = record_values or {}
    return {spec.key: record_values.get(str(spec.id), "") for spec in field_specs}


# -- showing ---------------------------------------------------------------------------------------

def shown(kind: CustomFieldKind, value: str) -> str:
    """A kept value as the viewer reads it: dates and numbers in their locale."""
    if not value:
        return ""
    try:
        if kind == CustomFieldKind.DATE:
            return localdate(date.fromisoformat(value))
        if kind == CustomFieldKind.NUMBER:
            return format_decimal(Decimal(value), format="#,##0.##########")
    except (ValueError, InvalidOperation):
        pass
    return value


def typed(kind: CustomFieldKind, value: str):
    """A kept value as a spreadsheet cell takes it ("" stays ""): numbers as Decimal and dates as
    dates, so Excel sums and sorts them."""
    try:
        if value and kind == CustomFieldKind.DATE:
            return date.fromisoformat(value)
        if value and kind == CustomFieldKind.NUMBER:
            return Decimal(value)
    except (ValueError, InvalidOperation):
        pass
    return value


class Labels:
    """The fields of one kind of record, loaded once for a page or an export."""

    def __init__(self, target: CustomFieldTarget):
        self.fields = fields_of(target, active_only=False)
        self.active = [field for field in self.fields if field.is_active]

    def columns(self, records) -> list[CustomField]:
        """Fields in use, and fields out of use that one of `records` still has a value for."""
        given = {key for record in records for key, value in (record.custom_values or {}).items() if value}
        return [field for field in self.fields if field.is_active or str(field.id) in given]

    def pairs(self, values: dict | None) -> list[tuple[str, str]]:
        """(label, value as shown) of each field the record has a value for."""
        values = values or {}
        return [(field.label, shown(field.kind, values[str(field.id)]))
                for field in self.fields if values.get(str(field.id))]

    def cells(self, fields: list[CustomField], values: dict | None, as_value=None) -> list:
        """The record's value of each field, as shown (or as `as_value`, such as `typed`, makes it)."""
        values = values or {}
        return [(as_value or shown)(field.kind, values.get(str(field.id), "")) for field in fields]


def shown_values(target: CustomFieldTarget, values: dict | None) -> list[tuple[str, str]]:
    return Labels(target).pairs(values) if values else []


# -- the admins' list --------------------------------------------------------------------------------

def save_field(field: CustomField | None, *, target: CustomFieldTarget, label: str, kind: CustomFieldKind,
               choices: str, help_text: str, is_required: bool, is_active: bool) -> CustomField:
    """Create a field or change one; refuses a label already taken and a choice without options.
    The caller commits."""
    from portal.imports.fields import HEADER_LOOKUP, normalise  # the device list's own columns, every language

    label = " ".join(label.split())
    if not label:
        raise DomainError(str(_l("Fill in this field.")), field="label")
    if field is not None:
        target, kind = field.target, field.kind  # fixed once created: values given must still fit
    taken = db.session.scalar(select(CustomField.id).where(
        CustomField.target == target, func.lower(CustomField.label) == label.lower(),
        CustomField.id != (field.id if field else 0)))
    if taken:
        raise DomainError(str(_l("Another field is already called “%(label)s”.", label=label)), field="label")
    if target == CustomFieldTarget.DEVICE and normalise(label) in HEADER_LOOKUP:
        raise DomainError(str(_l("“%(label)s” already names one of the device list's own columns: choose "
                                 "another label.", label=label)), field="label")
    options = [line.strip() for line in choices.splitlines() if line.strip()]
    if kind == CustomFieldKind.CHOICE:
        if not options:
            raise DomainError(str(_l("Write the choices, one per line.")), field="choices")
        if len(options) > MAX_OPTIONS:
            raise DomainError(str(_l("At most %(count)d choices.", count=MAX_OPTIONS)), field="choices")
        long = next((option for option in options if len(option) > MAX_OPTION_LENGTH), None)
        if long:
            raise DomainError(str(_l("“%(choice)s” is longer than %(limit)d characters.", choice=long[:40] + "…",
                                     limit=MAX_OPTION_LENGTH)), field="choices")
        if len({option.casefold() for option in options}) != len(options):
            raise DomainError(str(_l("A choice is written twice.")), field="choices")
    else:
        options = []
    if field is None:
        last = db.session.scalar(select(func.max(CustomField.position)).where(CustomField.target == target))
        field = CustomField(target=target, kind=kind, position=(last or 0) + 1)
        db.session.add(field)
    field.label = label
    field.choices = "\n".join(options)
    field.help_text = help_text.strip()[:200]
    field.is_required = is_required
    field.is_active = is_active
    db.session.flush()
    return field


def move(field: CustomField, step: int) -> None:
    """Move a field up (-1) or down (+1) among its target's fields."""
    siblings = fields_of(field.target, active_only=False)
    index = siblings.index(field)
    other = index + step
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position


class OrderValues:
    """An order's custom values for its page: the order's own, and a column per device field."""

    def __init__(self, order):
        self.order = Labels(CustomFieldTarget.ORDER).pairs(order.custom_values)
        self._devices = Labels(CustomFieldTarget.DEVICE)
        self.device_fields = self._devices.columns(order.devices)

    def cells(self, device) -> list[str]:
        return self._devices.cells(self.device_fields, device.custom_values)


def device_values(device) -> list[tuple[str, str]]:
    """(label, value) of the device's custom fields, then of its order's."""
    return shown_values(CustomFieldTarget.DEVICE, device.custom_values) + shown_values(
        CustomFieldTarget.ORDER, device.order.custom_values)
