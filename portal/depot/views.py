"""The depot's landing page, the staff search box and a device's page for staff."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from portal import deadlines, receiving, search, workflow
from portal.admin.forms import ROLE_TITLES
from portal.depot import bp
from portal.extensions import db
from portal.models import Company, Device, Order, Parcel


@bp.route("/")
def index():
    roles = [ROLE_TITLES[role] for role in ROLE_TITLES if current_user.has_role(role)]
    return render_template("depot/index.html", roles=roles)


def url_of(found) -> str:
    """Where a search hit opens."""
    if isinstance(found, Device):
        return url_for("depot.device", device_id=found.id)
    if isinstance(found, Order):
        return url_for("admin.check_order", order_id=found.id)
    if isinstance(found, Company):
        return url_for("admin.company", company_id=found.id)
    if isinstance(found, Parcel):
        return url_for("depot.device", device_id=found.devices[0].id) if found.devices else url_for("depot.index")
    raise TypeError(found)


@bp.route("/search")
def search_page():
    found = search.find(request.args.get("q", ""))
    if (only := found.only()) is not None:  # a scanned code opens its page at once
        return redirect(url_of(only))
    return render_template("depot/search.html", found=found, url_of=url_of, titles=workflow.STATUS_TITLES)


@bp.route("/devices/<int:device_id>")
def device(device_id):
    device = db.get_or_404(Device, device_id)
    return render_template("depot/device.html", device=device, titles=workflow.STATUS_TITLES,
                           path=workflow.path_of(device), usual=workflow.USUAL_PATH,
                           times=workflow.stage_times(device),
                           repeat_note=receiving.repeat_note(device), dues=deadlines.due(device))
