"""The dispatch station: pack parcels by scanning, record the carrier, print the packing list;
and the courier pick-up page, where scanning a parcel ships its devices."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from portal import carriers, dispatch, workflow
from portal.customer.forms import ConfirmForm
from portal.depot import bp
from portal.depot.stations import station_required
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import Device, Parcel, ParcelState, Photo, PhotoStage, Role, StationKind
from portal.packing_list import packing_list_pdf

SESSION_KEY = "dispatch_parcel_id"
ROLES = (Role.DISPATCH, Role.SUPERVISOR)


class CarrierForm(FlaskForm):
    carrier = SelectField(_l("Carrier"), choices=options([("", _l("Choose…")), *carriers.choices()]))
    carrier_name = StringField(_l("Carrier's name"), validators=[Optional(), Length(max=60)],
                               description=_l("Only for “Other carrier”."))
    tracking_number = StringField(_l("Tracking number"), validators=[Length(max=60)])


def _is_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _open_parcel() -> Parcel | None:
    parcel = db.session.get(Parcel, session.get(SESSION_KEY) or 0)
    return parcel if parcel is not None and parcel.state == ParcelState.PACKING else None


def _photo_counts(devices) -> dict[int, int]:
    ids = [d.id for d in devices]
    if not ids:
        return {}
    return dict(db.session.execute(
        select(Photo.device_id, func.count()).where(Photo.device_id.in_(ids), Photo.stage == PhotoStage.DISPATCH)
        .group_by(Photo.device_id)).all())


def _device_answer(device: Device, parcel: Parcel | None) -> dict:
    taken, needed = _photo_counts([device]).get(device.id, 0), current_app.config["PHOTOS_MIN_PER_STAGE"]
    return {"photos": _("%(taken)d of %(needed)d", taken=taken, needed=needed), "photos_complete": taken >= needed,
            "tag": device.tag_code, "device": f"{device.manufacturer} {device.model}",
            "serial": device.serial_number, "order": device.order.number, "outcome": dispatch.outcome(device),
            "status": workflow.title(device.status), "in_parcel": parcel is not None and device.parcel_id == parcel.id,
            "remove": url_for("depot.dispatch_remove", parcel_id=parcel.id, device_id=device.id)
            if parcel is not None else ""}


def _dispatch_page(station, parcel, *, result=None, carrier_form=None, status=200):
    if carrier_form is None and parcel is not None:
        carrier_form = CarrierForm(data={"carrier": parcel.carrier or "", "carrier_name": parcel.carrier_name,
                                         "tracking_number": parcel.tracking_number}, formdata=None)
    others = [p for p in dispatch.open_parcels(station) if parcel is None or p.id != parcel.id]
    return render_template(
        "depot/dispatch.html", station=station, parcel=parcel, result=result, form=ConfirmForm(),
        carrier_form=carrier_form, action_form=ConfirmForm(), others=others,
        photos=_photo_counts(parcel.devices) if parcel else {},
        photos_needed=current_app.config["PHOTOS_MIN_PER_STAGE"] if parcel else 0,
        outcome=dispatch.outcome, destination=dispatch.destination,
    ), status


@bp.route("/dispatch", methods=["GET", "POST"], endpoint="dispatch")
def dispatch_station():
    station = station_required(StationKind.DISPATCH, *ROLES)
    if request.method == "GET" and request.args.get("close") == "1":
        session.pop(SESSION_KEY, None)
        return redirect(url_for("depot.dispatch"))
    parcel = _open_parcel()
    result = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            result = dispatch.scan(request.form.get("code", ""), actor=current_user, station=station, parcel=parcel)
        except DomainError as error:  # another station was quicker: nothing of this scan is kept
            db.session.rollback()
            parcel = _open_parcel()
            result = dispatch.Scan("error", error.message, parcel=parcel)
        opened = result.parcel is not None and result.parcel is not parcel
        if opened:
            session[SESSION_KEY] = result.parcel.id
            parcel = result.parcel
        if _is_fetch():
            # Read before the commit, which would expire what the answer shows.
            answer = {"level": result.level, "message": result.message, "reload": opened,
                      "count": len(parcel.devices) if parcel else 0,
                      "device": _device_answer(result.device, parcel) if result.device else None}
            db.session.commit()
            return answer
        db.session.commit()
    return _dispatch_page(station, parcel, result=result, status=422 if result and result.level == "error" else 200)


def _packing_parcel(parcel_id: int) -> Parcel:
    return db.get_or_404(Parcel, parcel_id)


@bp.route("/dispatch/parcels/<int:parcel_id>/carrier", methods=["POST"], endpoint="dispatch_carrier")
def dispatch_carrier(parcel_id):
    station = station_required(StationKind.DISPATCH, *ROLES)
    parcel = _packing_parcel(parcel_id)
    form = CarrierForm()
    if form.validate_on_submit():
        try:
            dispatch.set_carrier(parcel, form.carrier.data, form.tracking_number.data or "",
                                 form.carrier_name.data or "", actor=current_user)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Parcel %(code)s goes with %(carrier)s, tracking number %(number)s.", code=parcel.code,
                    carrier=carriers.title(parcel.carrier, parcel.carrier_name), number=parcel.tracking_number),
                  "success")
            session[SESSION_KEY] = parcel.id
            return redirect(url_for("depot.dispatch"))
    return _dispatch_page(station, parcel if parcel.state == ParcelState.PACKING else None,
                          carrier_form=form, status=422)


@bp.route("/dispatch/parcels/<int:parcel_id>/devices/<int:device_id>/remove", methods=["POST"],
          endpoint="dispatch_remove")
def dispatch_remove(parcel_id, device_id):
    station_required(StationKind.DISPATCH, *ROLES)
    parcel = _packing_parcel(parcel_id)
    device = db.get_or_404(Device, device_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        dispatch.remove_device(parcel, device, current_user)
    except DomainError as error:
        refuse(None, error)
    else:
        db.session.commit()
        flash(_("Device %(tag)s taken out of parcel %(code)s.", tag=device.tag_code, code=parcel.code), "success")
    return redirect(url_for("depot.dispatch"))


@bp.route("/parcels/<int:parcel_id>/packing-list.pdf", endpoint="packing_list")
def packing_list(parcel_id):
    if not current_user.has_role(Role.DISPATCH, Role.SUPERVISOR, Role.ACCOUNT_MANAGER, Role.CUSTOMER_CARE,
                                 Role.ADMIN):
        abort(403)
    parcel = _packing_parcel(parcel_id)
    return send_file(io.BytesIO(packing_list_pdf(parcel)), mimetype="application/pdf",
                     download_name=f"{parcel.code}-packing-list.pdf")


@bp.route("/pickup", methods=["GET", "POST"], endpoint="pickup")
def pickup_station():
    station = station_required(StationKind.DISPATCH, *ROLES)
    result = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            result = dispatch.pick_up(request.form.get("code", ""), actor=current_user, station=station)
        except DomainError as error:  # another station moved a device meanwhile: nothing is kept
            db.session.rollback()
            result = dispatch.Scan("error", error.message)
        answer = {"level": result.level, "message": result.message, "reload": False,
                  "parcel": result.parcel.code if result.parcel else None,
                  "picked_up": result.level == "success"}
        db.session.commit()
        if _is_fetch():
            return answer
    waiting = dispatch.open_parcels()
    photos, needed = _photo_counts([d for p in waiting for d in p.devices]), current_app.config["PHOTOS_MIN_PER_STAGE"]
    lacking = {p.id: sum(photos.get(d.id, 0) < needed for d in p.devices) for p in waiting}
    return render_template("depot/pickup.html", station=station, result=result, form=ConfirmForm(),
                           waiting=waiting, lacking_photos=lacking, destination=dispatch.destination), \
        (422 if result and result.level == "error" else 200)
