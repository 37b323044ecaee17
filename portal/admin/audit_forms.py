"""The audit log's filters (a GET form: shareable links, no CSRF needed for reading)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError


class AuditFilterForm(FlaskForm):
    table = SelectField(_l("Table"), validators=[Optional()])
    person = SelectField(_l("Person"), validators=[Optional()])
    since = DateField(_l("Changed from"), validators=[Optional()])
    until = DateField(_l("Changed until"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end of the period is before its start."))

    def filters(self) -> dict:
        return {"entity": self.table.data or None,
                "actor_id": int(self.person.data) if self.person.data else None,
                "since": self.since.data, "until": self.until.data}
