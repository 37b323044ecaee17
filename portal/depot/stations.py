"""Stations: the browser is set to one once, and the receiving station's scanner page."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from portal import documents, receiving, workflow
from portal.customer.forms import ConfirmForm
from portal.depot import bp
from portal.depot.forms import UnlistedDeviceForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import refuse
from portal.models import Device, Order, Role, Station, StationKind

STATION_COOKIE = "portal_station"
ONE_YEAR = 365 * 24 * 3600


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="portal-station")


def this_station() -> Station | None:
    """The station this browser is set to (a long-lived signed cookie), if still active."""
    try:
        station_id = _signer().loads(request.cookies.get(STATION_COOKIE, ""))
    except BadSignature:
        return None
    station = db.session.get(Station, station_id)
    return station if station is not None and station.is_active else None


#: Each kind of station's page, where a browser set to it goes.
STATION_PAGES = {
    StationKind.RECEIVING: "depot.receiving",
    StationKind.PHOTO_BOOTH: "depot.booth",
    StationKind.DISPATCH: "depot.dispatch",
    StationKind.BENCH: "depot.bench",
    StationKind.QUALITY_CHECK: "depot.quality_check",
}


def station_page(station: Station) -> str:
    endpoint = STATION_PAGES.get(station.kind)
    return url_for(endpoint if endpoint in current_app.view_functions else "depot.index")


def station_required(kind: StationKind, *roles: Role) -> Station:
    """The station this browser is set to, for a page of the given kind and roles.

    Staff without the roles get 403; a browser not set to such a station is sent to choose one
    (raised as a redirect, so a view just calls this first).
    """
    if not current_user.has_role(*roles):
        abort(403)
    station = this_station()
    if station is None or station.kind != kind:
        flash(_("Set this browser to a station of this kind first."), "info")
        abort(redirect(url_for("depot.choose_station")))
    return station


@bp.route("/station", methods=["GET", "POST"])
def choose_station():
    stations = db.session.scalars(select(Station).where(Station.is_active.is_(True)).order_by(Station.name)).all()
    form = ConfirmForm()
    if form.validate_on_submit():
        station = next((s for s in stations if str(s.id) == request.form.get("station")), None)
        if station is None:
            flash(_("Choose one of the stations."), "error")
        else:
            response = redirect(station_page(station))
            response.set_cookie(STATION_COOKIE, _signer().dumps(station.id), max_age=ONE_YEAR, httponly=True,
                                samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
            flash(_("This browser is now the station “%(name)s”.", name=station.name), "success")
            return response
    return render_template("depot/choose_station.html", stations=stations, current=this_station(), form=form)


@bp.route("/receiving", methods=["GET", "POST"], endpoint="receiving")
def receiving_station():
    station = station_required(StationKind.RECEIVING, Role.RECEIVING, Role.SUPERVISOR)
    if request.method == "GET" and request.args.get("close") == "1":
        session.pop("receiving_order_id", None)
        session.pop("receiving_box", None)
        return redirect(url_for("depot.receiving"))
    current, box = _open_receiving_order()
    result = None
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        result = receiving.scan(request.form.get("code", ""), actor=current_user, station=station, current=current)
        opened = result.order is not None and (result.order is not current or result.box != box)
        if opened:
            session["receiving_order_id"], session["receiving_box"] = result.order.id, result.box
            current, box = result.order, result.box
        if request.headers.get("X-Requested-With") == "fetch":
            # The page's script keeps the scanner's field and only updates what changed; the answer
            # is read before the commit, which would otherwise expire and reload what it shows.
            counts = result.counts if result.order is current else None
            received, expected = receiving.progress(current, box, counts) if current else (0, 0)
            answer = {"level": result.level, "message": result.message, "reload": opened,
                      "received": received, "expected": expected,
                      "device": {"tag": result.device.tag_code, "status": workflow.title(result.device.status)}
                      if result.device else None}
            db.session.commit()
            return answer
        db.session.commit()
    elif request.method == "POST":
        abort(400)
    added = db.session.get(Device, request.args.get("added", 0, type=int)) if request.method == "GET" else None
    return _receiving_page(station, current, box, form, result=result, added=added)


def _receiving_page(station, order, box, form, *, result=None, unlisted_form=None, added=None):
    counts = receiving.progress(order, box) if order else None
    if unlisted_form is None:
        unlisted_form = UnlistedDeviceForm(formdata=None)
    if order is not None:
        unlisted_form.box.choices = receiving.box_choices(order, box)
    failed = (result is not None and result.level == "error") or bool(unlisted_form.errors)
    return render_template("depot/receiving.html", station=station, order=order, box=box, result=result,
                           counts=counts, form=form, unlisted_form=unlisted_form, added=added,
                           missing_boxes=receiving.boxes_not_in(order) if order else [],
                           titles=workflow.STATUS_TITLES), 422 if failed else 200


def _open_receiving_order() -> tuple[Order | None, int | None]:
    return db.session.get(Order, session.get("receiving_order_id") or 0), session.get("receiving_box")


@bp.route("/receiving/unlisted", methods=["POST"])
def receiving_unlisted():
    """A device in the parcel that the order does not list: add it, and print its tag at once."""
    station = station_required(StationKind.RECEIVING, Role.RECEIVING, Role.SUPERVISOR)
    order, box = _open_receiving_order()
    if order is None:
        flash(_("Scan the order's logistics document or box label first."), "error")
        return redirect(url_for("depot.receiving"))
    form = UnlistedDeviceForm()
    form.box.choices = receiving.box_choices(order, box)
    if form.validate_on_submit():
        try:
            device = receiving.add_unlisted_device(
                order, serial=form.serial.data, manufacturer=form.manufacturer.data or "",
                model=form.model.data or "", note=form.note.data or "",
                box=int(form.box.data) if form.box.data else None, actor=current_user, station=station)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Added %(tag)s (S/N %(serial)s) to order %(number)s and received it; the account manager is "
                    "told. Stick its tag on the device.", tag=device.tag_code, serial=device.serial_number,
                    number=order.number), "success")
            return redirect(url_for("depot.receiving", added=device.id))
    return _receiving_page(station, order, box, ConfirmForm(), unlisted_form=form)


@bp.route("/receiving/devices/<int:device_id>/tag.pdf")
def receiving_device_tag(device_id):
    """One device's tag, laid out for this station's label printer."""
    station = station_required(StationKind.RECEIVING, Role.RECEIVING, Role.SUPERVISOR)
    device = db.get_or_404(Device, device_id)
    pdf = documents.device_tags_pdf(device.order, station.label_printer, only=[device])
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{device.tag_code}.pdf"'})


@bp.route("/receiving/close", methods=["POST"])
def receiving_close():
    station = station_required(StationKind.RECEIVING, Role.RECEIVING, Role.SUPERVISOR)
    order, _box = _open_receiving_order()
    if order is None or not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        missing = receiving.close_receiving(order, actor=current_user, station=station)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("depot.receiving"))
    db.session.commit()
    session.pop("receiving_order_id", None)
    session.pop("receiving_box", None)
    flash(_("Receiving of order %(number)s is closed; %(count)d devices are missing. The customer and the account "
            "manager are told.", number=order.number, count=len(missing)), "success")
    return redirect(url_for("depot.receiving"))

