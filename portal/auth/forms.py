from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, Length

from portal.forms import INDUSTRIES, SIZE_BANDS, country_field, email_field, options, required, text_field


class RegistrationForm(FlaskForm):
    legal_name = text_field(_l("Company legal name"), 200)
    tax_id = text_field(_l("Tax / VAT ID"), 32)
    country = country_field()
    region = text_field(_l("Region / province"), 100, optional=True)
    industry = SelectField(_l("Industry"), choices=options(INDUSTRIES), validators=[required()])
    size_band = SelectField(_l("Company size"), choices=options(SIZE_BANDS), validators=[required()])
    street = text_field(_l("Street and number"), 200)
    postcode = text_field(_l("Postcode"), 20)
    city = text_field(_l("City"), 100)
    phone = text_field(_l("Phone"), 40, optional=True)
    name = text_field(_l("Your name"), 120)
    email = email_field(_l("Your e-mail"))
    password = PasswordField(_l("Password"), validators=[required(), Length(max=200)],
                             description=_l("At least 10 characters; not a common password."))

    COMPANY_FIELDS = ("legal_name", "tax_id", "country", "region", "industry", "size_band",
                      "street", "postcode", "city", "phone")

    def company_data(self) -> dict:
        return {name: (self[name].data or "").strip() for name in self.COMPANY_FIELDS}

    def user_data(self) -> dict:
        return {"name": self.name.data, "email": self.email.data, "password": self.password.data}


class LoginForm(FlaskForm):
    email = email_field(_l("E-mail"))
    password = PasswordField(_l("Password"), validators=[required()])
    remember = BooleanField(_l("Remember me on this computer"))


class EmailForm(FlaskForm):
    email = email_field(_l("E-mail"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[required(), Length(max=200)],
                             description=_l("At least 10 characters; not a common password."))
    confirm = PasswordField(_l("Repeat the password"), validators=[
        required(), EqualTo("password", message=_l("The two passwords differ."))])


class AccountForm(FlaskForm):
    name = text_field(_l("Name"), 120)
    language = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"))
    next = StringField()
