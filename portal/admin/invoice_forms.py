"""Forms of the office's invoice page: a payment, a credit note."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.forms import required, text_field


class PaymentForm(FlaskForm):
    # The amount is a text: the domain reads "1 234,50" and says exactly what is wrong with it.
    amount = text_field(_l("Amount"), 30, description=_l("Full or partial, at most what is left to pay."))
    paid_on = DateField(_l("Paid on"), validators=[InputRequired(_l("Enter a date."))])
    reference = text_field(_l("Reference (bank transfer, receipt)"), 100, optional=True)


class CreditNoteForm(FlaskForm):
    reason = TextAreaField(_l("Reason (printed on the credit note)"), validators=[required(), Length(max=2000)])
    everything = BooleanField(_l("Credit everything that is left"))
