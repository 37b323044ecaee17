"""Forms of the deadline pages (rules, holidays) and of notes on orders."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.deadlines import MAX_WORKING_DAYS, STAGE_TITLES
from portal.forms import required, text_field
from portal.models.order import ServiceLevel
from portal.models.sla import DeadlineStage
from portal.notes import MAX_LENGTH

LEVEL_TITLES = {ServiceLevel.STANDARD: _l("Standard"), ServiceLevel.EXPRESS: _l("Express")}
#: The cells of the rules table: (stage, level, field name)
CELLS = [(stage, level, f"{stage.value}_{level.value}") for stage in DeadlineStage for level in ServiceLevel]


def _days_field(stage, level) -> IntegerField:
    return IntegerField(
        _l("%(stage)s, %(level)s", stage=STAGE_TITLES[stage], level=LEVEL_TITLES[level]),
        validators=[Optional(), NumberRange(min=1, max=MAX_WORKING_DAYS,
                                            message=_l("Give between 1 and %(max)d working days.",
                                                       max=MAX_WORKING_DAYS))],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_WORKING_DAYS})


class RulesForm(FlaskForm):
    """Working days per stage and service level; a blank cell follows the next rule down."""

    def days(self) -> dict:
        return {(stage, level): self[name].data for stage, level, name in CELLS}


for _stage, _level, _name in CELLS:
    setattr(RulesForm, _name, _days_field(_stage, _level))


class CompanyPickForm(FlaskForm):
    company_id = SelectField(_l("Company"), coerce=int,
                             validators=[InputRequired(_l("Choose the company."))])


class HolidayForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired(_l("Enter a date."))])
    name = text_field(_l("Name"), 100, optional=True, description=_l("E.g. “Independence Day”."))


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note"), validators=[required(_l("Write the note.")), Length(max=MAX_LENGTH)],
                         render_kw={"rows": 3, "maxlength": MAX_LENGTH})
    device_id = SelectField(_l("About"), coerce=int, default=0, validators=[Optional()])
    visible_to_customer = BooleanField(_l("The customer may read it too"), default=False,
                                       description=_l("Without this tick only the depot's staff see the note."))
