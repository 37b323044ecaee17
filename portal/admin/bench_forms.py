"""Forms of the admins' bench pages: price list, tax rates, contract prices, checklists, skills.

Fields check shape only (typed, present, not too long); amounts are checked by the same parser
the domain uses, so a form and an import say the same thing about the same value.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation

from portal.errors import DomainError
from portal.forms import options, required, text_field
from portal.price_list import KIND_TITLES, MAX_AMOUNT
from portal.tax_rates import HUNDRED, parse_decimal


class Amount:
    """A non-negative number with at most two decimals (blank passes when the field is optional)."""

    def __init__(self, maximum=MAX_AMOUNT, what="amount"):
        self.maximum, self.what = maximum, what
        self.field_flags = {}

    def __call__(self, form, field):
        if not (field.data or "").strip():
            return
        try:
            parse_decimal(field.data, maximum=self.maximum, what=self.what)
        except DomainError as error:
            raise StopValidation(error.message) from None


class PriceItemForm(FlaskForm):
    code = text_field(_l("Code"), 40)
    description = text_field(_l("Description"), 300)
    kind = SelectField(_l("Part or labour"), choices=options((k.value, t) for k, t in KIND_TITLES.items()))
    unit_price = StringField(_l("Unit price"), validators=[required(), Amount()],
                             render_kw={"inputmode": "decimal"})
    unit_cost = StringField(_l("Unit cost"), validators=[Optional(), Amount()], render_kw={"inputmode": "decimal"},
                            description=_l("What the depot pays; empty: 0."))
    tax_rate_id = SelectField(_l("Tax rate"), coerce=int)
    is_active = BooleanField(_l("Active (offered on new quotes)"), default=True)


class ReceiveForm(FlaskForm):
    quantity = IntegerField(_l("Parts received"), validators=[
        InputRequired(_l("Enter how many parts arrived.")),
        NumberRange(min=1, max=100000, message=_l("Enter a whole number from 1 to 100,000."))])


class UploadForm(FlaskForm):
    file = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired(_l("Choose a file to upload."))])


class TaxRateForm(FlaskForm):
    name = text_field(_l("Name"), 60)
    rate = StringField(_l("Rate (%)"), validators=[required(), Amount(HUNDRED, "percent")],
                       render_kw={"inputmode": "decimal"})
    legal_note = TextAreaField(_l("Legal note printed on quotes"), validators=[Length(max=2000)])
    is_reverse_charge = BooleanField(_l("Reverse charge (0 %, for companies in another EU country with a VAT ID)"))
    is_active = BooleanField(_l("Active"), default=True)


class DiscountForm(FlaskForm):
    discount = StringField(_l("Contract discount (%)"), validators=[required(), Amount(HUNDRED, "percent")],
                           render_kw={"inputmode": "decimal"},
                           description=_l("Off the list price of every item without a contract price."))


class ContractPriceForm(FlaskForm):
    price_item_id = SelectField(_l("Item"), coerce=int)
    unit_price = StringField(_l("Contract unit price"), validators=[required(), Amount()],
                             render_kw={"inputmode": "decimal"})


class ChecklistItemForm(FlaskForm):
    text = text_field(_l("New item"), 300)


class ChecklistTextForm(FlaskForm):
    text = text_field(_l("Item text"), 300)


class SkillForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=int)
    manufacturer = text_field(_l("Manufacturer"), 100, optional=True, description=_l("Empty: any manufacturer."))
