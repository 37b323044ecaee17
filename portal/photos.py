"""The photo booth: photos of each device at intake and again at dispatch.

A device is photographed while it is received (intake) and while it is ready to ship
(dispatch); the life cycle waits for PHOTOS_MIN_PER_STAGE photos of each stage. Every upload
is checked on its content (a real JPEG, PNG or WebP image within the size and pixel limits)
and re-encoded, which drops EXIF and XMP metadata, the GPS position among them. Images and
thumbnails go to the file storage; the Photo row says where.
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from portal.dbbase import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Device, DeviceCategory, DeviceStatus, Photo, PhotoStage, Station, User
from portal.storage import StoredFileMissing, storage

#: The depot's usual shot list, for categories without their own. Stored by these English
#: names, shown translated (`shot_title`), so a customer reads them in their own language.
DEFAULT_SHOTS = {"Front": _l("Front"), "Back": _l("Back"), "Serial plate": _l("Serial plate"),
                 "Damage": _l("Damage")}

STAGE_TITLES = {PhotoStage.INTAKE: _l("Intake"), PhotoStage.DIAGNOSIS: _l("Diagnosis"),
                PhotoStage.DISPATCH: _l("Dispatch")}

#: The formats accepted, as Pillow names them, with what the image is served as.
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
THUMBNAIL_WIDTH = 320
#: Photos are private to the depot and the device's customer: no shared cache may keep them.
CACHE_CONTROL = "private, max-age=3600"
#: Pixels per image unless PHOTO_MAX_PIXELS says otherwise: a 50 MP camera fits, a decompression bomb does not.
MAX_PIXELS = 60_000_000


# -- shot lists and stages -------------------------------------------------------------------

def shot_list(category: DeviceCategory | None) -> list[str]:
    """The shots to take of a device of this category, as stored: the category's own list (one
    shot per line), or the depot's usual one. `shot_title` shows a name to its reader."""
    own = [line.strip() for line in (category.shot_list if category else "").splitlines() if line.strip()]
    return own or list(DEFAULT_SHOTS)


def shot_title(name: str) -> str:
    """A stored shot name as the reader sees it: the usual shots are translated, the admin's as typed."""
    return DEFAULT_SHOTS.get(name, name)


def stage_title(stage: PhotoStage | str) -> str:
    return str(STAGE_TITLES[PhotoStage(stage)])


def stage_for(device: Device) -> PhotoStage | None:
    """The stage a device is photographed for now: intake while it is received, dispatch while it
    is ready to ship; None at any other status (the booth then refuses it)."""
    if device.status == DeviceStatus.RECEIVED:
        return PhotoStage.INTAKE
    if device.status == DeviceStatus.READY_TO_SHIP:
        return PhotoStage.DISPATCH
    return None


def count(device: Device, stage: PhotoStage | str) -> int:
    return db.session.scalar(select(func.count()).select_from(Photo)
                             .where(Photo.device_id == device.id, Photo.stage == PhotoStage(stage)))


def needed() -> int:
    return current_app.config["PHOTOS_MIN_PER_STAGE"]


def photos_of(device: Device) -> list[Photo]:
    """The device's photos, intake first, each stage in the order they were taken."""
    stage_order = [PhotoStage.INTAKE, PhotoStage.DIAGNOSIS, PhotoStage.DISPATCH]
    photos = db.session.scalars(select(Photo).where(Photo.device_id == device.id)
                                .order_by(Photo.taken_at, Photo.id)).all()
    return sorted(photos, key=lambda p: stage_order.index(p.stage))


def shots_taken(device: Device, stage: PhotoStage | str) -> set[str]:
    return set(db.session.scalars(select(Photo.shot).where(Photo.device_id == device.id,
                                                           Photo.stage == PhotoStage(stage))))


def next_shot(device: Device, stage: PhotoStage | str) -> str:
    """The first shot of the list not yet taken at this stage ("" when all are)."""
    taken = shots_taken(device, stage)
    return next((name for name in shot_list(device.category) if name not in taken), "")


def shot_progress(device: Device, stage: PhotoStage | str) -> list[tuple[str, str, bool]]:
    """The shot list for the booth page: (stored name, title, taken at this stage yet)."""
    taken = shots_taken(device, stage)
    return [(name, shot_title(name), name in taken) for name in shot_list(device.category)]


def complete_message(stage: PhotoStage | str) -> str:
    if PhotoStage(stage) == PhotoStage.INTAKE:
        return _("Intake photos complete: the device can go to diagnosis.")
    return _("Dispatch photos complete: the device can be shipped.")


# -- the station's current device ---------------------------------------------------------------

def set_current(station: Station, device: Device | None, stage: PhotoStage | str | None) -> None:
    """Make the device the one a tethered camera's next images are attached to (None: no device)."""
    station.current_device_id = device.id if device is not None else None
    station.current_stage = PhotoStage(stage).value if device is not None and stage else ""
    station.current_since = utcnow() if device is not None else None


def current_device(station: Station) -> Device | None:
    return db.session.get(Device, station.current_device_id) if station.current_device_id else None


def current_target(station: Station) -> tuple[Device | None, PhotoStage | None]:
    """The station's current device and the stage photos of it are for now, if any.

    The stage is the one the device was scanned for, while the device is still at it: a device
    scanned at intake that later comes back ready to ship is scanned again before the booth
    takes dispatch photos of it, so a forgotten scan never files photos under the wrong stage.
    """
    device = current_device(station)
    stage = stage_for(device) if device is not None else None
    return device, stage if stage is not None and stage.value == station.current_stage else None


@dataclass
class BoothScan:
    level: str  # "success", "warning" or "error", as at every scanner station
    message: str
    device: Device | None = None
    stage: PhotoStage | None = None


def open_device(code: str, *, station: Station) -> BoothScan:
    """A tag scanned at the booth opens its device and makes it the station's current one;
    a device that is not at a photo stage is refused and the station keeps what it had."""
    # Imported here: the life cycle (which receiving imports) counts photos through this module.
    from portal import workflow
    from portal.receiving import TAG_CODE

    code = code.strip().upper()
    if not TAG_CODE.match(code):
        return BoothScan("error", _("“%(code)s” is not a device tag.", code=code[:40]))
    device = db.session.scalar(select(Device).where(Device.tag_code == code))
    if device is None:
        return BoothScan("error", _("Unknown device tag %(tag)s.", tag=code))
    stage = stage_for(device)
    if stage is None:
        return BoothScan("error", _("Device %(tag)s is “%(status)s”: photos are taken only when it is received "
                                    "or ready to ship.", tag=code, status=workflow.title(device.status)),
                         device=device)
    set_current(station, device, stage)
    taken = count(device, stage)
    return BoothScan("success", _("%(tag)s: %(device)s, S/N %(serial)s. %(stage)s photos: %(taken)d of "
                                  "%(needed)d.", tag=code, device=f"{device.manufacturer} {device.model}",
                                  serial=device.serial_number, stage=stage_title(stage), taken=taken,
                                  needed=needed()), device=device, stage=stage)


# -- checking and storing images -------------------------------------------------------------------

@dataclass
class CleanImage:
    data: bytes
    thumbnail: bytes
    format: str  # "JPEG", "PNG" or "WEBP"
    width: int
    height: int


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _open_checked(data: bytes) -> tuple[Image.Image, str]:
    """The decoded image and its format, or DomainError naming what is wrong with the file."""
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if not data:
        raise DomainError(_("The file is empty."))
    if len(data) > limit:
        raise DomainError(_("The file is too large: photos of at most %(limit)s are accepted.",
                            limit=_megabytes(limit)))
    max_pixels = current_app.config.get("PHOTO_MAX_PIXELS", MAX_PIXELS)
    too_many_pixels = _("The image has too many pixels (at most %(limit)d megapixels are accepted).",
                        limit=max_pixels // 1_000_000 or 1)
    not_an_image = _("The file is not a JPEG, PNG or WebP image.")
    try:
        # Pillow only warns about a moderately large bomb; here that is a refusal too.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                if probe.format not in CONTENT_TYPES:
                    raise DomainError(_("The file is a %(format)s image; only JPEG, PNG and WebP are accepted.",
                                        format=probe.format or "?"))
                if probe.width * probe.height > max_pixels:
                    raise DomainError(too_many_pixels)
                probe.verify()
            image = Image.open(BytesIO(data))  # verify() leaves the image unusable: open it again
            image.load()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(too_many_pixels) from None
    except UnidentifiedImageError:
        raise DomainError(not_an_image) from None
    except Exception:  # noqa: BLE001 - a damaged file makes the decoders raise almost anything
        raise DomainError(_("The image file is damaged or incomplete.")) from None
    return image, image.format


def clean_image(data: bytes) -> CleanImage:
    """The upload checked on its content, turned upright, re-encoded without metadata, and its thumbnail.

    Re-encoding keeps only pixels (and the colour profile): EXIF, XMP and comments, where a
    camera writes the GPS position, are not carried over. The time taken is the Photo row's.
    """
    image, fmt = _open_checked(data)
    icc_profile = image.info.get("icc_profile")
    with image:
        upright = ImageOps.exif_transpose(image)
    upright.info = {}
    output = BytesIO()
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(output, "JPEG", quality=90, icc_profile=icc_profile)
    elif fmt == "PNG":
        upright.save(output, "PNG", optimize=True, icc_profile=icc_profile)
    else:
        upright.save(output, "WEBP", quality=90, icc_profile=icc_profile)
    return CleanImage(output.getvalue(), _thumbnail(upright), fmt, upright.width, upright.height)


def _thumbnail(image: Image.Image) -> bytes:
    """A JPEG THUMBNAIL_WIDTH px wide (smaller images keep their size); transparency on white."""
    width = min(THUMBNAIL_WIDTH, image.width)
    height = max(1, round(image.height * width / image.width))
    small = image.convert("RGBA").resize((width, height), Image.Resampling.LANCZOS)
    flat = Image.new("RGB", small.size, "white")
    flat.paste(small, mask=small.getchannel("A"))
    output = BytesIO()
    flat.save(output, "JPEG", quality=82)
    return output.getvalue()


def add_photo(device: Device, data: bytes, *, stage: PhotoStage | str, shot: str, actor: User | None,
              station: str) -> Photo:
    """Store a photo of the device for the stage it is at now; nothing is stored if it is refused.

    `shot` is an entry of the device's shot list, or "" for an extra photo. The actor is None
    for a tethered camera (`flask booth watch`), which no one logs in to.
    """
    stage = PhotoStage(stage)
    if stage_for(device) != stage:
        from portal import workflow  # here, not at the top: the life cycle imports this module

        raise DomainError(_("Device %(tag)s is “%(status)s”: it takes no %(stage)s photos now.",
                            tag=device.tag_code, status=workflow.title(device.status),
                            stage=stage_title(stage).lower()))
    if shot and shot not in shot_list(device.category):
        raise DomainError(_("“%(shot)s” is not on this device's shot list.", shot=shot[:60]))
    return _store(device, data, stage=stage, shot=shot, actor=actor, station=station)


def add_diagnosis_photo(device: Device, data: bytes, *, actor: User, station: str) -> Photo:
    """A photo the technician takes of what they found (at the bench, during diagnosis or repair),
    kept in the same storage and shown to the customer like the booth's."""
    if device.status not in (DeviceStatus.DIAGNOSIS, DeviceStatus.REPAIR):
        from portal import workflow

        raise DomainError(_("Device %(tag)s is “%(status)s”: diagnosis photos are taken during diagnosis or "
                            "repair.", tag=device.tag_code, status=workflow.title(device.status)))
    return _store(device, data, stage=PhotoStage.DIAGNOSIS, shot="", actor=actor, station=station)


def _store(device: Device, data: bytes, *, stage: PhotoStage, shot: str, actor: User | None,
           station: str) -> Photo:
    image = clean_image(data)
    base = f"photos/{device.id}/{uuid.uuid4().hex}"
    photo = Photo(device_id=device.id, company_id=device.company_id, stage=stage, shot=shot,
                  storage_key=f"{base}.{EXTENSIONS[image.format]}", thumbnail_key=f"{base}.thumb.jpg",
                  content_type=CONTENT_TYPES[image.format], width=image.width, height=image.height,
                  size_bytes=len(image.data), taken_by_id=actor.id if actor else None, station=station[:100])
    db.session.add(photo)
    db.session.flush()
    files = storage()
    files.put(photo.storage_key, image.data)
    files.put(photo.thumbnail_key, image.thumbnail)
    return photo


def photo_response(photo: Photo, *, thumbnail: bool):
    """The image as a response for whoever was allowed to see it (the view decides who): only
    the user's own browser may keep a copy; a file gone from the storage is a 404."""
    from flask import Response, abort

    try:
        data, content_type = image_of(photo, thumbnail=thumbnail)
    except StoredFileMissing:
        abort(404)
    return Response(data, mimetype=content_type, headers={"Cache-Control": CACHE_CONTROL})


def image_of(photo: Photo, *, thumbnail: bool = False) -> tuple[bytes, str]:
    """The stored image (or its thumbnail) and its content type; StoredFileMissing if it is gone."""
    if thumbnail:
        return storage().get(photo.thumbnail_key), "image/jpeg"
    return storage().get(photo.storage_key), photo.content_type


def delete_photo(photo: Photo, *, actor: User) -> None:
    """Remove a photo taken by mistake (the wrong device, a blurred shot), only while its device
    is still at that stage: once the device has moved on, its photos are its record."""
    if stage_for(photo.device) != photo.stage:
        raise DomainError(_("The %(stage)s photos of this device are part of its record now: they stay.",
                            stage=stage_title(photo.stage).lower()))
    keys = (photo.storage_key, photo.thumbnail_key)
    db.session.delete(photo)
    db.session.flush()
    # The files go last, so a refused delete never leaves a row without its image.
    for key in keys:
        storage().delete(key)
