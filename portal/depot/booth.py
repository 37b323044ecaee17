"""The photo booth station: scan a device's tag, photograph it with the browser's camera (or
upload files), and the staff's view of stored photos."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import photos, workflow
from portal.customer.forms import ConfirmForm
from portal.depot import bp
from portal.depot.stations import station_required
from portal.errors import DomainError
from portal.extensions import db
from portal.i18n import localtime
from portal.models import Photo, Role, StationKind

BOOTH_ROLES = (Role.PHOTO_BOOTH, Role.SUPERVISOR)


def _is_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _booth() -> tuple:
    return station_required(StationKind.PHOTO_BOOTH, *BOOTH_ROLES), ConfirmForm()


@bp.route("/booth", methods=["GET", "POST"], endpoint="booth")
def booth_station():
    station, form = _booth()
    result = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if request.form.get("close"):
            photos.set_current(station, None, None)
            db.session.commit()
            return redirect(url_for("depot.booth"))
        result = photos.open_device(request.form.get("code", ""), station=station)
        answer = {"level": result.level, "message": result.message,
                  "reload": result.level != "error"}  # a device opened: the page shows it
        db.session.commit()
        if _is_fetch():
            return answer
    device, stage = photos.current_target(station)
    all_photos = photos.photos_of(device) if device else []
    return render_template(
        "depot/booth.html", station=station, form=form, result=result, device=device, stage=stage,
        status=workflow.title(device.status) if device else "",
        shots=photos.shot_progress(device, stage) if stage else [],
        next_shot=photos.next_shot(device, stage) if stage else "",
        taken=photos.count(device, stage) if stage else 0, needed=photos.needed(),
        complete=photos.complete_message(stage) if stage else "",
        stage_photos=[p for p in all_photos if p.stage == stage],
        other_photos=[p for p in all_photos if p.stage != stage],
    ), (422 if result and result.level == "error" else 200)


@bp.route("/booth/state", endpoint="booth_state")
def booth_state():
    """What the station holds now, polled by the page: a tethered camera (`flask booth watch`)
    files photos without the page, which reloads when they arrive."""
    station, _form = _booth()
    device, _stage = photos.current_target(station)
    return {"device": device.id if device else None, "photos": len(photos.photos_of(device)) if device else 0}


def _photo_data(photo: Photo) -> dict:
    return {"id": photo.id, "shot": photo.shot, "url": url_for("depot.photo", photo_id=photo.id),
            "thumbnail": url_for("depot.photo_thumbnail", photo_id=photo.id),
            "alt": f"{photos.shot_title(photo.shot) or _('Photo')} ({photos.stage_title(photo.stage)})",
            "caption": f"{photos.shot_title(photo.shot) or _('Photo')} · {localtime(photo.taken_at, 'short')}",
            "delete": url_for("depot.delete_photo", photo_id=photo.id)}


@bp.route("/booth/photos", methods=["POST"], endpoint="booth_upload")
def booth_upload():
    station, form = _booth()
    if not form.validate_on_submit():
        abort(400)
    device, stage = photos.current_target(station)
    files = [f for f in request.files.getlist("photo") if f.filename]
    if device is None or str(device.id) != request.form.get("device_id") or stage is None:
        return _answer("error", _("This page shows another device than the station's: scan the device again."))
    if not files:
        return _answer("error", _("Choose a photo first."))
    stored, refused = [], []
    shot = request.form.get("shot", "")
    limit = current_app.config["PHOTO_MAX_BYTES"]
    for file in files:
        try:
            # Read a byte past the limit, not the whole part: enough for the domain to refuse it.
            photo = photos.add_photo(device, file.read(limit + 1), stage=stage, shot=shot, actor=current_user,
                                     station=station.name)
        except DomainError as error:
            db.session.rollback()
            refused.append(_("%(file)s: %(problem)s", file=file.filename[:80], problem=error.message))
            continue
        db.session.commit()  # one photo at a time: a bad file later in the batch keeps the good ones
        stored.append(_photo_data(photo))
        shot = photos.next_shot(device, stage)  # further files of one upload take the next shots
    taken, needed = photos.count(device, stage), photos.needed()
    parts = []
    if stored:
        parts.append(ngettext("Photo stored: %(taken)d of %(needed)d %(stage)s photos.",
                              "%(num)d photos stored: %(taken)d of %(needed)d %(stage)s photos.", len(stored),
                              taken=taken, needed=needed, stage=photos.stage_title(stage).lower()))
        if taken >= needed:
            parts.append(photos.complete_message(stage))
    parts.extend(refused)
    level = "error" if not stored else "warning" if refused else "success"
    return _answer(level, " ".join(parts), photos=stored, taken=taken, needed=needed,
                   complete=taken >= needed, next_shot=photos.next_shot(device, stage),
                   shots_done=sorted(photos.shots_taken(device, stage)))


def _answer(level: str, message: str, **data):
    """JSON for the page's script (422 when nothing was stored); a flash and the page otherwise."""
    if _is_fetch():
        return {"level": level, "message": message, "reload": False, **data}, (422 if level == "error" else 200)
    flash(message, "error" if level == "error" else "success" if level == "success" else "info")
    return redirect(url_for("depot.booth"))


@bp.route("/photos/<int:photo_id>/delete", methods=["POST"], endpoint="delete_photo")
def delete_photo(photo_id: int):
    if not current_user.has_role(*BOOTH_ROLES):
        abort(403)
    photo = db.get_or_404(Photo, photo_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        photos.delete_photo(photo, actor=current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Photo removed."), "success")
    return redirect(url_for("depot.booth"))


@bp.route("/photos/<int:photo_id>", endpoint="photo")
def photo_image(photo_id: int):
    return photos.photo_response(db.get_or_404(Photo, photo_id), thumbnail=False)


@bp.route("/photos/<int:photo_id>/thumbnail", endpoint="photo_thumbnail")
def photo_thumbnail(photo_id: int):
    return photos.photo_response(db.get_or_404(Photo, photo_id), thumbnail=True)

