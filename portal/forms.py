"""Form pieces shared by every blueprint."""

from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.errors import DomainError
from portal.extensions import db
from portal.models import SizeBand

#: Countries the depot serves most often first; ISO 3166 codes are stored.
COUNTRIES = [
    ("PL", _l("Poland")), ("DE", _l("Germany")), ("CZ", _l("Czechia")), ("SK", _l("Slovakia")),
    ("LT", _l("Lithuania")), ("LV", _l("Latvia")), ("EE", _l("Estonia")), ("KZ", _l("Kazakhstan")),
    ("ID", _l("Indonesia")), ("UA", _l("Ukraine")), ("AT", _l("Austria")), ("NL", _l("Netherlands")),
    ("GB", _l("United Kingdom")), ("FR", _l("France")), ("IT", _l("Italy")), ("ES", _l("Spain")),
]

SIZE_BANDS = [(band.value, _l("%(band)s employees", band=band.value)) for band in SizeBand]

INDUSTRIES = [
    ("logistics", _l("Logistics and warehousing")), ("retail", _l("Retail")),
    ("manufacturing", _l("Manufacturing")), ("healthcare", _l("Healthcare")),
    ("construction", _l("Construction")), ("public", _l("Public sector")),
    ("services", _l("Services")), ("other", _l("Other")),
]


def title_of(choices, value) -> str:
    """The translated title of a stored code (country, industry, size band), or the code itself."""
    return str(next((title for code, title in choices if code == value), value or ""))


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select field (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def refuse(form, error: DomainError) -> None:
    """A domain function said no: undo its changes and show why, beside its field or at the top."""
    db.session.rollback()
    if form is not None and error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(error.message, "error")


def required(message=None):
    return DataRequired(message=message or _l("Fill in this field."))


def email_field(label, **kwargs) -> StringField:
    return StringField(label, validators=[
        required(), Email(message=_l("Enter an e-mail address like name@company.com.")), Length(max=254)
    ], **kwargs)


def text_field(label, max_length: int, *, optional: bool = False, **kwargs) -> StringField:
    first = Optional() if optional else required()
    return StringField(label, validators=[first, Length(max=max_length)], **kwargs)


def country_field(label=None) -> SelectField:
    return SelectField(label or _l("Country"), choices=options(COUNTRIES), validators=[required()])
