"""A device's photos for the customer: the company's users who may see the device's order."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from portal import orders, photos
from portal.customer import bp
from portal.extensions import db
from portal.models import Photo


def photo_for(photo_id: int) -> Photo:
    """The photo if the current user may see its device's order; 404 otherwise (never 403, so
    another company cannot even learn that the photo exists)."""
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.company_id != current_user.company_id or not orders.may_see(
            current_user, photo.device.order):
        abort(404)
    return photo


@bp.route("/photos/<int:photo_id>", endpoint="photo")
def photo_image(photo_id: int):
    return photos.photo_response(photo_for(photo_id), thumbnail=False)


@bp.route("/photos/<int:photo_id>/thumbnail", endpoint="photo_thumbnail")
def photo_thumbnail(photo_id: int):
    return photos.photo_response(photo_for(photo_id), thumbnail=True)
