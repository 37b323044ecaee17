from flask import Blueprint

from portal.access import require_customer

bp = Blueprint("customer", __name__)
bp.before_request(require_customer)

from portal.customer import approval_views, import_views, invoice_views, order_views, parcel_views, photo_views, views  # noqa: E402,F401,E501
