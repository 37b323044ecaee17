"""Forms of the second factor: a code from the app (or a recovery code at login)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from portal.forms import required


class LoginCodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[required(), Length(max=40)],
                       description=_l("The 6-digit code your authenticator app shows now, "
                                      "or one of your recovery codes."))


class AppCodeForm(FlaskForm):
    code = StringField(_l("Code from the app"), validators=[required(), Length(max=20)],
                       description=_l("6 digits, as the app shows them now."))
