"""Forms of the depot's stations."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from portal.forms import text_field


class UnlistedDeviceForm(FlaskForm):
    """A device found in the parcel that the order does not list."""

    serial = text_field(_l("Serial number"), 100, description=_l("Scan the serial number's barcode or type it."))
    manufacturer = text_field(_l("Manufacturer"), 100, optional=True)
    model = text_field(_l("Model"), 100, optional=True)
    box = SelectField(_l("Box"), choices=[], default="")
    note = text_field(_l("Note for the account manager"), 500, optional=True)
