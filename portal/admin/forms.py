from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import COUNTRIES, INDUSTRIES, SIZE_BANDS, email_field, options, required, text_field
from portal.models import Role

ROLE_TITLES = {
    Role.ADMIN: _l("Admin"),
    Role.ACCOUNT_MANAGER: _l("Account manager"),
    Role.CUSTOMER_CARE: _l("Customer care"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.RECEIVING: _l("Receiving"),
    Role.PHOTO_BOOTH: _l("Photo booth"),
    Role.TECHNICIAN: _l("Technician"),
    Role.TESTER: _l("Tester"),
    Role.DISPATCH: _l("Dispatch"),
}

ANY = [("", _l("Any"))]


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffForm(FlaskForm):
    name = text_field(_l("Name"), 120)
    email = email_field(_l("E-mail"))
    roles = CheckboxListField(_l("Roles"), choices=options(ROLE_TITLES.items()))
    is_active = BooleanField(_l("Active (may log in)"), default=True)


class RuleForm(FlaskForm):
    name = text_field(_l("Rule name"), 120)
    priority = IntegerField(_l("Priority (lower wins)"), default=100,
                            validators=[InputRequired(_l("Fill in this field.")), NumberRange(min=0, max=10000)])
    country = SelectField(_l("Country"), choices=options(ANY + COUNTRIES))
    region = text_field(_l("Region"), 100, optional=True)
    industry = SelectField(_l("Industry"), choices=options(ANY + INDUSTRIES))
    size_band = SelectField(_l("Company size"), choices=options(ANY + SIZE_BANDS))
    managers = CheckboxListField(_l("Account managers (taking turns)"), coerce=int)
    is_active = BooleanField(_l("Active"), default=True)


class AnnouncementForm(FlaskForm):
    title = text_field(_l("Title"), 200)
    body = TextAreaField(_l("Text"), validators=[required()])
    starts_on = DateField(_l("Shown from"), validators=[InputRequired(_l("Enter a date."))])
    ends_on = DateField(_l("Shown until"), validators=[InputRequired(_l("Enter a date."))])


class ReassignForm(FlaskForm):
    manager = SelectField(_l("New account manager"), coerce=int)
    note = text_field(_l("Reason"), 500, optional=True)


class CategoryForm(FlaskForm):
    name = text_field(_l("New category"), 100)


class CheckForm(FlaskForm):
    action = SelectField(choices=options([("accept", _l("Accept")), ("return", _l("Return to the customer"))]))
    note = TextAreaField(_l("Note for the customer (what to fix)"))


class OnBehalfForm(FlaskForm):
    company_id = SelectField(_l("Company"), coerce=int)
    legal_name = text_field(_l("Company legal name"), 200, optional=True)
    tax_id = text_field(_l("Tax / VAT ID"), 32, optional=True)
    # Checked only for a new company, in validate().
    country = SelectField(_l("Country"), choices=options(COUNTRIES), validate_choice=False)
    region = text_field(_l("Region / province"), 100, optional=True)
    industry = SelectField(_l("Industry"), choices=options(INDUSTRIES), validate_choice=False)
    size_band = SelectField(_l("Company size"), choices=options(SIZE_BANDS), validate_choice=False)
    street = text_field(_l("Street and number"), 200, optional=True)
    postcode = text_field(_l("Postcode"), 20, optional=True)
    city = text_field(_l("City"), 100, optional=True)
    name = text_field(_l("Name of the customer's user"), 120, optional=True)
    email = text_field(_l("Their e-mail (they get an invitation)"), 254, optional=True)

    NEW_COMPANY_FIELDS = ("legal_name", "tax_id", "street", "postcode", "city", "name", "email")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.company_id.data:
            for name in self.NEW_COMPANY_FIELDS:
                if not (self[name].data or "").strip():
                    self[name].errors = [*self[name].errors, _l("Fill in this field for a new company.")]
                    valid = False
            for name, choices in (("country", COUNTRIES), ("industry", INDUSTRIES), ("size_band", SIZE_BANDS)):
                if self[name].data not in {value for value, _label in choices}:
                    self[name].errors = [*self[name].errors, _l("Choose from the list.")]
                    valid = False
        return valid

    def company_data(self) -> dict:
        fields = ("legal_name", "tax_id", "country", "region", "industry", "size_band", "street", "postcode", "city")
        return {name: (self[name].data or "").strip() for name in fields} | {"phone": ""}


STATION_KINDS = {
    "receiving": _l("Receiving"), "photo_booth": _l("Photo booth"), "bench": _l("Technician bench"),
    "quality_check": _l("Quality check"), "dispatch": _l("Dispatch"),
}


class StationForm(FlaskForm):
    name = text_field(_l("Station name"), 100)
    kind = SelectField(_l("Kind"), choices=options(STATION_KINDS.items()))
    label_printer = SelectField(_l("Label printer"), choices=options(
        [("62mm", _l("62 mm label roll")), ("a4", _l("A4 label sheets"))]))
