from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField

from portal.forms import country_field, email_field, text_field


class RightsMixin:
    can_see_colleagues_orders = BooleanField(_l("See colleagues' orders"))
    can_edit_all_orders = BooleanField(_l("Edit all company orders"))
    can_see_invoices = BooleanField(_l("See invoices"))
    can_manage_users = BooleanField(_l("Manage users"))
    can_manage_company = BooleanField(_l("Manage company details"))

    def rights(self) -> dict[str, bool]:
        from portal.models import RIGHTS

        return {right: self[right].data for right in RIGHTS}


class InviteForm(RightsMixin, FlaskForm):
    name = text_field(_l("Name"), 120)
    email = email_field(_l("E-mail"))


class ColleagueForm(RightsMixin, FlaskForm):
    invoice_profile = SelectField(_l("Invoiced to"), coerce=int)


class CompanyForm(FlaskForm):
    legal_name = text_field(_l("Company legal name"), 200)
    region = text_field(_l("Region / province"), 100, optional=True)
    street = text_field(_l("Street and number"), 200)
    postcode = text_field(_l("Postcode"), 20)
    city = text_field(_l("City"), 100)
    phone = text_field(_l("Phone"), 40, optional=True)


class InvoiceProfileForm(FlaskForm):
    name = text_field(_l("Name on the invoice"), 200)
    tax_id = text_field(_l("Tax / VAT ID"), 32)
    street = text_field(_l("Street and number"), 200)
    postcode = text_field(_l("Postcode"), 20)
    city = text_field(_l("City"), 100)
    country = country_field()
    invoice_email = email_field(_l("E-mail for invoices"))


class ReturnAddressForm(FlaskForm):
    label = text_field(_l("Label (for example: Warehouse Gdańsk)"), 100)
    recipient = text_field(_l("Recipient"), 200)
    street = text_field(_l("Street and number"), 200)
    postcode = text_field(_l("Postcode"), 20)
    city = text_field(_l("City"), 100)
    country = country_field()
    phone = text_field(_l("Phone"), 40, optional=True)


class ConfirmForm(FlaskForm):
    """A bare form: a button that posts with its CSRF token."""


class ParcelForm(FlaskForm):
    inbound_carrier = text_field(_l("Courier"), 40, description=_l("For example: DHL, DPD, GLS, UPS, InPost."))
    inbound_tracking = text_field(_l("Tracking number"), 60)


class UploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file to upload."))],
        description=_l("Your own list is fine: we recognise the columns, and you check everything before it is added."))
