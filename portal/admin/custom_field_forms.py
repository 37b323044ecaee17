"""The admins' form for a custom field of orders or devices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.custom_fields import KIND_TITLES, TARGET_TITLES
from portal.forms import options, required


class CustomFieldForm(FlaskForm):
    target = SelectField(_l("Asked for"), choices=options(
        (target.value, title) for target, title in TARGET_TITLES.items()))
    label = StringField(_l("Label"), validators=[required(), Length(max=60)],
                        description=_l("Shown in the forms and pages, and the column's name in the import "
                                       "template and the exports."))
    kind = SelectField(_l("Kind"), choices=options((kind.value, title) for kind, title in KIND_TITLES.items()))
    choices = TextAreaField(_l("Choices, one per line"), validators=[Optional(), Length(max=10_000)],
                            description=_l("Only for a choice from a list."))
    help_text = StringField(_l("Hint"), validators=[Optional(), Length(max=200)],
                            description=_l("A short explanation shown under the field."))
    is_required = BooleanField(_l("Required"))
    is_active = BooleanField(_l("In use"), default=True,
                             description=_l("A field taken out of use is no longer asked; the values "
                                            "already given stay on the orders and devices."))
