from flask import Blueprint

from portal.access import require_staff
from portal.models import Role

bp = Blueprint("admin", __name__)


@bp.before_request
def office_staff_only():
    return require_staff(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE)


from portal.admin import (  # noqa: E402,F401
    approval_views,
    audit_views,
    checklist_views,
    custom_field_views,
    deadline_views,
    invoice_views,
    order_views,
    price_views,
    report_views,
    second_factor_views,
    view_as_views,
    views,
)
