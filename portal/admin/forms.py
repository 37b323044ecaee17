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

from portal.forms import COUNTRIES, INDUSTRIES, SIZE_BANDS, email_field, required, text_field
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
    roles = CheckboxListField(_l("Roles"), choices=list(ROLE_TITLES.items()))
    is_active = BooleanField(_l("Active (may log in)"), default=True)


class RuleForm(FlaskForm):
    name = text_field(_l("Rule name"), 120)
    priority = IntegerField(_l("Priority (lower wins)"), default=100,
                            validators=[InputRequired(_l("Fill in this field.")), NumberRange(min=0, max=10000)])
    country = SelectField(_l("Country"), choices=ANY + COUNTRIES)
    region = text_field(_l("Region"), 100, optional=True)
    industry = SelectField(_l("Industry"), choices=ANY + INDUSTRIES)
    size_band = SelectField(_l("Company size"), choices=ANY + SIZE_BANDS)
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
