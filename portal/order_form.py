"""The order form, shared by the customer portal and the account manager's desk.

A draft keeps exactly what was typed (even what is not valid yet) as the user works; rows
are added and removed in the page by static/js/order_form.js, and by buttons without it.
"""

from __future__ import annotations

import re
from datetime import date

from flask import flash, jsonify, redirect, render_template, request
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from portal import custom_fields, order_imports, orders
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse, required
from portal.models import (
    CustomFieldKind,
    CustomFieldTarget,
    DeviceCategory,
    DeviceStatus,
    Order,
    OrderState,
    ServiceLevel,
)

ROW_KEY = re.compile(r"^devices-(\d+)-(.+)$")


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class DeviceRowForm(Form):
    id = HiddenField()
    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False)
    manufacturer = StringField(_l("Manufacturer"), validators=[required(), Length(max=100)])
    model = StringField(_l("Model"), validators=[required(), Length(max=100)])
    serial_number = StringField(_l("Serial number"), validators=[required(), Length(max=100)])
    asset_tag = StringField(_l("Asset tag"), validators=[Optional(), Length(max=100)])
    fault_description = TextAreaField(_l("Fault description"), validators=[required(), Length(max=2000)])
    warranty_claimed = BooleanField(_l("Warranty claimed"))
    purchase_date = DateField(_l("Purchase date"), validators=[Optional()],
                              description=_l("Needed when you claim warranty."))
    accessories = StringField(_l("Accessories sent with it"), validators=[Optional(), Length(max=500)])
    box_number = IntegerField(_l("Box"), validators=[Optional(), NumberRange(min=1, max=orders.MAX_BOXES)])
    unlock_code = StringField(_l("Unlock code or password"), validators=[Optional(), Length(max=200)],
                              description=_l("Only the technician repairing the device sees it."))
    data_wipe_allowed = BooleanField(_l("The depot may wipe its data"))

    custom_specs: list = []

    def custom(self) -> list:
        """The admins' custom fields of the row, in their order."""
        return [self[spec.key] for spec in self.custom_specs]

    def validate_purchase_date(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The purchase date cannot be in the future."))
        if self.warranty_claimed.data and not field.data and not field.errors:
            raise ValidationError(_l("Enter the purchase date to claim warranty."))


class OrderForm(FlaskForm):
    return_address_id = SelectField(_l("Return address"), coerce=_optional_int, validate_choice=False)
    contact_name = StringField(_l("Contact person"), validators=[required(), Length(max=120)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    contact_email = StringField(_l("Contact e-mail"), validators=[
        Optional(), Email(message=_l("Enter an e-mail address like name@company.com.")), Length(max=254)])
    po_reference = StringField(_l("Your reference (purchase order)"), validators=[Optional(), Length(max=60)])
    service_level = SelectField(_l("Service level"), choices=options([
        (ServiceLevel.STANDARD.value, _l("Standard")), (ServiceLevel.EXPRESS.value, _l("Express"))]))
    note = TextAreaField(_l("Note for the depot"), validators=[Optional(), Length(max=2000)])
    box_count = IntegerField(_l("Number of boxes"), default=1, validators=[
        InputRequired(_l("Fill in this field.")), NumberRange(min=1, max=orders.MAX_BOXES)])
    devices = FieldList(FormField(DeviceRowForm), min_entries=0)
    custom_specs: list = []
    row_class = DeviceRowForm

    def custom(self) -> list:
        return [self[spec.key] for spec in self.custom_specs]

    def set_choices(self, order: Order) -> None:
        addresses = [a for a in order.company.return_addresses
                     if not a.is_archived or a.id == order.return_address_id]
        self.return_address_id.choices = options((a.id, f"{a.label}: {a.street}, {a.city}") for a in addresses)
        categories = db.session.scalars(
            select(DeviceCategory).where(DeviceCategory.is_active.is_(True)).order_by(DeviceCategory.name)).all()
        category_choices = options([("", _("Choose…"))] + [(c.id, c.name) for c in categories])
        for entry in self.devices:
            entry.form.category_id.choices = category_choices
        self.category_choices = category_choices

    def order_data(self) -> dict:
        data = {name: self[name].data for name in orders.ORDER_FIELDS}
        data["devices"] = []
        for entry in self.devices:
            row = {name: entry.form[name].data for name in orders.DEVICE_FIELDS}
            row["id"] = _optional_int(entry.form.id.data)
            row["unlock_code"] = entry.form.unlock_code.data or ""
            row["custom"] = custom_fields.read_all(entry.form.custom_specs, entry.form.data)[0]
            for name in ("asset_tag", "accessories"):
                row[name] = row[name] or ""
            data["devices"].append(row)
        for name in ("contact_phone", "contact_email", "po_reference", "note"):
            data[name] = data[name] or ""
        data["custom"] = custom_fields.read_all(self.custom_specs, self.data)[0]
        return data


def _custom_field(spec: custom_fields.Spec):
    """A form field for one of the admins' custom fields; its value is read as the import reads it."""
    def reads(_form, field):
        if field.data:
            try:
                custom_fields.read(spec, str(field.data).strip())
            except custom_fields.Invalid as error:
                raise ValidationError(error.message) from None

    checks = [required() if spec.required else Optional(), reads]
    if spec.kind == CustomFieldKind.CHOICE:
        return SelectField(spec.label, choices=options([("", _l("Choose…"))] + [(o, o) for o in spec.options]),
                           validators=checks, validate_choice=False, description=spec.help_text)
    render = {CustomFieldKind.DATE: {"type": "date"}, CustomFieldKind.NUMBER: {"inputmode": "decimal"}}
    return StringField(spec.label, validators=checks, description=spec.help_text,
                       render_kw=render.get(spec.kind))


def form_class() -> type[OrderForm]:
    """The order form with the custom fields the admins keep today."""
    order_specs = custom_fields.specs(CustomFieldTarget.ORDER)
    device_specs = custom_fields.specs(CustomFieldTarget.DEVICE)
    if not order_specs and not device_specs:
        return OrderForm
    row_class = type("DeviceRowWithCustomFields", (DeviceRowForm,),
                     {"custom_specs": device_specs, **{spec.key: _custom_field(spec) for spec in device_specs}})
    return type("OrderWithCustomFields", (OrderForm,), {
        "custom_specs": order_specs, "row_class": row_class,
        "devices": FieldList(FormField(row_class), min_entries=0),
        **{spec.key: _custom_field(spec) for spec in order_specs}})


def _template_row(form: OrderForm):
    """A blank device row for the page's script to copy when the user adds a device."""
    from types import SimpleNamespace

    row = form.row_class(formdata=None, prefix="devices-__index__-")
    row.category_id.choices = form.category_choices
    return SimpleNamespace(form=row)


def _render(template: str, order: Order, form: OrderForm, cancel_url: str, status: int = 200):
    batches = order_imports.imports_of(order)
    return render_template(template, order=order, form=form, cancel_url=cancel_url,
                           template_row=_template_row(form), imports=batches,
                           summaries={b.id: order_imports.summary(b) for b in batches}), status


def form_for(order: Order, typed: dict | None = None, *, blank_row: bool = True) -> OrderForm:
    """The form filled from what was typed, from the draft, or from the submitted devices.

    With `blank_row`, a form without device rows shows one empty row to start typing in.
    """
    form_type = form_class()
    if typed is not None:
        form = form_type(formdata=ImmutableMultiDict(typed))
    elif order.state == OrderState.DRAFT:
        draft = order.draft or {}
        form = form_type(formdata=ImmutableMultiDict(draft)) if draft else form_type(
            data=_order_values(order, form_type))
    else:
        form = form_type(formdata=None, data=_order_values(order, form_type))
    if blank_row and not form.devices.entries:
        form.devices.append_entry()
    form.set_choices(order)
    return form


def _order_values(order: Order, form_type: type[OrderForm]) -> dict:
    values = {name: getattr(order, name) for name in orders.ORDER_FIELDS}
    values.update(custom_fields.form_values(order.custom_values, form_type.custom_specs))
    device_specs = form_type.row_class.custom_specs
    values["devices"] = [
        {**{name: getattr(d, name) for name in orders.DEVICE_FIELDS}, "id": d.id, "unlock_code": "",
         **custom_fields.form_values(d.custom_values, device_specs)}
        for d in order.devices if d.status != DeviceStatus.CANCELLED
    ]
    return values


def typed_values() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key not in ("csrf_token", "action")}


def without_row(typed: dict[str, str], index: int) -> dict[str, str]:
    """The typed values with one device row taken out and the rows after it renumbered."""
    kept: dict[str, str] = {}
    for key, value in typed.items():
        match = ROW_KEY.match(key)
        if not match:
            kept[key] = value
            continue
        row = int(match.group(1))
        if row == index:
            continue
        kept[f"devices-{row - 1 if row > index else row}-{match.group(2)}"] = value
    return kept


def without_blank_rows(typed: dict[str, str]) -> dict[str, str]:
    """Device rows with nothing typed in them are left out (and the rest renumbered)."""
    rows: dict[int, dict[str, str]] = {}
    kept: dict[str, str] = {}
    for key, value in typed.items():
        match = ROW_KEY.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
        else:
            kept[key] = value
    filled = [row for _index, row in sorted(rows.items())
              if any(value.strip() for name, value in row.items() if name != "id") or row.get("id")]
    for number, row in enumerate(filled):
        kept.update({f"devices-{number}-{name}": value for name, value in row.items()})
    return kept


def with_new_row(typed: dict[str, str]) -> dict[str, str]:
    rows = {int(m.group(1)) for m in (ROW_KEY.match(k) for k in typed) if m}
    return {**typed, f"devices-{max(rows, default=-1) + 1}-manufacturer": ""}


def order_form_page(order: Order, *, actor, template: str, done_url, cancel_url):
    """GET shows the form; POST saves the draft, adds or removes a row, saves changes or submits."""
    if request.method == "GET":
        return _render(template, order, form_for(order), cancel_url)
    action = request.form.get("action", "save")
    typed = typed_values()
    if action == "add_row" or action.startswith("remove:"):
        typed = with_new_row(typed) if action == "add_row" else without_row(typed, int(action.split(":")[1]))
        if order.state == OrderState.DRAFT:
            orders.save_draft(order, typed, actor=actor)
            db.session.commit()
        return _render(template, order, form_for(order, typed), cancel_url)
    if order.state == OrderState.DRAFT and action == "save":
        orders.save_draft(order, typed, actor=actor)
        db.session.commit()
        flash(_("Draft saved. You can come back to it from any browser."), "success")
        return redirect(request.url)
    form = form_for(order, without_blank_rows(typed), blank_row=False)
    if form.validate():
        try:
            if action == "submit" and order.state in (OrderState.DRAFT, OrderState.RETURNED):
                imported = order_imports.draft_rows(order) if order.state == OrderState.DRAFT else []
                orders.submit_order(order, form.order_data(), actor=actor, imported=imported)
                message = _("Order %(number)s is submitted. The logistics document is on its way by e-mail.",
                            number=order.number)
            else:
                orders.update_order(order, form.order_data(), actor=actor)
                message = _("Changes saved.")
        except orders.OrderInvalid as error:
            db.session.rollback()
            _show_problems(form, error.problems)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(done_url(order))
    if order.state == OrderState.DRAFT:  # nothing typed is lost, even when it is refused
        orders.save_draft(order, typed, actor=actor)
        db.session.commit()
    flash(_("The order is not submitted yet: please correct the fields marked below."), "error")
    if not form.devices.entries:
        form.devices.append_entry()
        form.set_choices(order)
    return _render(template, order, form, cancel_url, 422)


def _show_problems(form: OrderForm, problems: dict[str, str]) -> None:
    for key, message in problems.items():
        match = ROW_KEY.match(key)
        if match and int(match.group(1)) < len(form.devices.entries):
            field = form.devices.entries[int(match.group(1))].form[match.group(2)]
        elif key in form:
            field = form[key]
        else:
            flash(message, "error")
            continue
        field.errors = [*field.errors, message]


def autosave(order: Order, *, actor):
    """The page's script saves the draft as the user types; answer with the time it was saved."""
    from portal.i18n import localtime

    orders.save_draft(order, typed_values(), actor=actor)
    db.session.commit()
    return jsonify(saved_at=localtime(order.updated_at, "short"), timezone=str(get_timezone()))

