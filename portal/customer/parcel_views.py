"""The customer's outbound parcels: confirming that one arrived."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import dispatch, orders
from portal.customer import bp
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import refuse
from portal.models import Parcel


def parcel_for(parcel_id: int) -> Parcel:
    """The parcel if it is the user's company's and holds an order they may see; 404 otherwise."""
    parcel = db.session.get(Parcel, parcel_id)
    if parcel is None or not dispatch.may_see(current_user, parcel):
        abort(404)
    return parcel


@bp.route("/parcels/<int:parcel_id>/delivered", methods=["POST"])
def confirm_delivery(parcel_id):
    parcel = parcel_for(parcel_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    visible = [d.order for d in parcel.devices if orders.may_see(current_user, d.order)]
    back = next((o.id for o in visible if str(o.id) == request.form.get("order_id")), visible[0].id)
    try:
        dispatch.confirm_delivery(parcel, current_user)
    except DomainError as error:
        refuse(None, error)
    else:
        db.session.commit()
        flash(_("Thank you: parcel %(code)s is marked delivered.", code=parcel.code), "success")
    return redirect(url_for("customer.order", order_id=back))
