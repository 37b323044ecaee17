"""The quality-check station: a tester scans a repaired device, runs its category's QC list, and
passes it (ready to ship) or fails it with a reason (back to its technician)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import select

from portal import bench, deadlines, photos, receiving, workflow
from portal.checklists import items_for
from portal.customer.forms import ConfirmForm
from portal.depot import bp
from portal.depot.bench_views import OUTCOMES, ChecksForm, find_by_tag
from portal.depot.stations import station_required
from portal.errors import DomainError
from portal.extensions import db
from portal.models import ChecklistKind, Device, DeviceStatus, Role, StationKind

S = DeviceStatus
ROLES = (Role.TESTER, Role.SUPERVISOR)
# "Failed" alone is also the outbox's mail status; a verdict reads differently in Polish and Russian.
VERDICTS = {"pass": _l("Passed"), "fail": lazy_pgettext("quality check", "Failed")}


def _is_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _station():
    return station_required(StationKind.QUALITY_CHECK, *ROLES)


def waiting() -> list[Device]:
    """Devices in the quality check, the longest waiting first."""
    return list(db.session.scalars(select(Device).where(Device.status == S.QUALITY_CHECK)
                                   .order_by(Device.status_changed_at, Device.id)))


def _scan(code: str) -> tuple[str, str, Device | None]:
    device = find_by_tag(code)
    if device is None:
        return "error", _("No device has the tag “%(code)s”.", code=code.strip()[:40]), None
    if device.status != S.QUALITY_CHECK:
        return "error", _("%(tag)s is “%(status)s”, not in the quality check.", tag=device.tag_code,
                          status=workflow.title(device.status)), None
    return "success", _("Opening %(tag)s…", tag=device.tag_code), device


@bp.route("/qc", methods=["GET", "POST"], endpoint="quality_check")
def quality_check():
    station = _station()
    message = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        level, text, device = _scan(request.form.get("code", ""))
        target = url_for("depot.qc_device", device_id=device.id) if device else None
        if _is_fetch():
            return {"level": level, "message": text, "reload": False, "open": target}
        if target:
            return redirect(target)
        message = (level, text)
    queue = waiting()
    dues = deadlines.due_by_device([d.id for d in queue])
    return render_template("depot/qc.html", station=station, form=ConfirmForm(), message=message,
                           waiting=deadlines.overdue_first(queue, dues), dues=dues,
                           titles=workflow.STATUS_TITLES), 422 if message else 200


def _device_page(device: Device, station, *, checks: ChecksForm | None = None, reason: str = "",
                 reason_error: str = "", status: int = 200):
    items = items_for(device.category, ChecklistKind.QUALITY_CHECK)
    rounds = bench.rounds(device, ChecklistKind.QUALITY_CHECK)
    return render_template(
        "depot/qc_device.html", station=station, device=device, form=ConfirmForm(),
        checks=checks or ChecksForm(items), reason=reason, reason_error=reason_error, outcomes=OUTCOMES,
        accepted=bench.accepted_lines(device), work=bench.work_entries(device),
        repairer=bench.last_repairer(device), repeat_note=receiving.repeat_note(device),
        photos=photos.photos_of(device), titles=workflow.STATUS_TITLES,
        earlier=[bench.results(device, ChecklistKind.QUALITY_CHECK, n) for n in range(rounds, 0, -1)],
        is_open=device.status == S.QUALITY_CHECK,
    ), status


@bp.route("/qc/devices/<int:device_id>", endpoint="qc_device")
def qc_device(device_id):
    station = _station()
    return _device_page(db.get_or_404(Device, device_id), station)


@bp.route("/qc/devices/<int:device_id>/verdict", methods=["POST"], endpoint="qc_verdict")
def qc_verdict(device_id):
    """The checklist and the verdict in one form: both are kept, or neither."""
    station = _station()
    device = db.get_or_404(Device, device_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    verdict, reason = request.form.get("verdict"), request.form.get("reason", "")
    if verdict not in VERDICTS:
        abort(400)
    checks = ChecksForm(items_for(device.category, ChecklistKind.QUALITY_CHECK), formdata=request.form)
    try:
        if verdict == "fail" and not reason.strip():
            raise DomainError(_("Write why the device failed the quality check."), field="reason")
        bench.record_checks(device, ChecklistKind.QUALITY_CHECK, checks.results(), actor=current_user)
        if verdict == "pass":
            bench.qc_pass(device, tester=current_user, station=station.name)
        else:
            bench.qc_fail(device, tester=current_user, reason=reason, station=station.name)
    except DomainError as error:
        reason_error = error.message if error.field == "reason" else ""
        if not reason_error:
            checks.refuse(error)
        else:
            db.session.rollback()
        return _device_page(device, station, checks=checks, reason=reason, reason_error=reason_error, status=422)
    db.session.commit()
    if verdict == "pass":
        flash(_("%(tag)s passed the quality check: ready to ship.", tag=device.tag_code), "success")
    else:
        flash(_("%(tag)s failed the quality check (%(count)d so far): back to %(name)s.", tag=device.tag_code,
                count=device.qc_fail_count, name=device.technician.name if device.technician else _("the bench")),
              "success")
    return redirect(url_for("depot.quality_check"))
