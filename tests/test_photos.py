"""The photo booth's domain: shot lists, stages, checked uploads, stored images and thumbnails."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from portal import photos, workflow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import DeviceStatus, Photo, PhotoStage, Role, Station, StationKind
from portal.storage import storage
from tests.images import GPS_IFD, image_bytes, jpeg_with_gps, make_ready_to_ship, receive

pytestmark = pytest.mark.both_databases


@pytest.fixture(autouse=True)
def storage_dir(app, tmp_path):
    app.config["STORAGE_DIR"] = str(tmp_path / "files")


@pytest.fixture
def device(make_company, make_order, make_staff):
    """A received device: it waits for its intake photos."""
    device = make_order(make_company(), devices=1).devices[0]
    receive(device, make_staff)
    return device


@pytest.fixture
def photographer(make_staff):
    return make_staff(Role.PHOTO_BOOTH, name="Pia Photographer")


def add(device, data, photographer, shot="Front", stage=PhotoStage.INTAKE):
    photo = photos.add_photo(device, data, stage=stage, shot=shot, actor=photographer, station="Booth 1")
    db.session.commit()
    return photo


def stored_image(photo, thumbnail=False) -> Image.Image:
    return Image.open(BytesIO(storage().get(photo.thumbnail_key if thumbnail else photo.storage_key)))


# -- shot lists and stages ---------------------------------------------------------------------

def test_the_usual_shot_list_and_a_categorys_own(app, make_category):
    assert photos.shot_list(None) == ["Front", "Back", "Serial plate", "Damage"]
    category = make_category("Handheld terminal")
    assert photos.shot_list(category) == ["Front", "Back", "Serial plate", "Damage"]
    category.shot_list = "Screen on\n\n  Battery bay  \nKeypad\n"
    assert photos.shot_list(category) == ["Screen on", "Battery bay", "Keypad"]


def test_the_stage_follows_the_status(device, make_staff, take_photos, make_company, make_order):
    assert photos.stage_for(device) == PhotoStage.INTAKE
    other = make_order(make_company(), devices=1).devices[0]
    assert photos.stage_for(other) is None  # registered: not in the depot yet
    make_ready_to_ship(other, make_staff, take_photos)
    assert photos.stage_for(other) == PhotoStage.DISPATCH


def test_count_and_the_next_shot(device, photographer):
    assert photos.count(device, "intake") == 0 and photos.next_shot(device, PhotoStage.INTAKE) == "Front"
    add(device, image_bytes(), photographer, shot="Front")
    add(device, image_bytes(), photographer, shot="Serial plate")
    assert photos.count(device, PhotoStage.INTAKE) == 2 and photos.count(device, "dispatch") == 0
    assert photos.next_shot(device, "intake") == "Back"
    assert [(name, done) for name, _title, done in photos.shot_progress(device, "intake")] == [
        ("Front", True), ("Back", False), ("Serial plate", True), ("Damage", False)]


# -- what is stored ---------------------------------------------------------------------------------

def test_a_jpeg_is_stored_with_a_thumbnail_and_without_its_gps_position(device, photographer):
    original = Image.open(BytesIO(jpeg_with_gps((1600, 1200))))
    assert original.getexif().get_ifd(GPS_IFD)  # the upload does carry a position
    photo = add(device, jpeg_with_gps((1600, 1200)), photographer)
    assert (photo.stage, photo.shot, photo.content_type, photo.width, photo.height) == (
        PhotoStage.INTAKE, "Front", "image/jpeg", 1600, 1200)
    assert photo.company_id == device.company_id and photo.taken_by_id == photographer.id
    assert photo.station == "Booth 1" and photo.storage_key.startswith(f"photos/{device.id}/")
    image = stored_image(photo)
    assert image.format == "JPEG" and image.size == (1600, 1200)
    assert image.getexif().get_ifd(GPS_IFD) == {} and "exif" not in image.info
    assert photo.size_bytes == len(storage().get(photo.storage_key))
    thumbnail = stored_image(photo, thumbnail=True)
    assert thumbnail.format == "JPEG" and thumbnail.size == (320, 240)


def test_the_cameras_orientation_is_applied_to_the_pixels(device, photographer):
    # Orientation 6: the camera was turned; the picture must be shown rotated 90° clockwise.
    photo = add(device, jpeg_with_gps((400, 200), orientation=6), photographer)
    image = stored_image(photo)
    assert image.size == (200, 400) and (photo.width, photo.height) == (200, 400)
    assert 0x0112 not in image.getexif()
    # The dark corner was top-left; turned clockwise it is top-right.
    assert max(image.getpixel((190, 5))) < 60 and min(image.getpixel((5, 5))) > 30


@pytest.mark.parametrize("fmt, content_type", [("PNG", "image/png"), ("WEBP", "image/webp")])
def test_png_and_webp_keep_their_format(device, photographer, fmt, content_type):
    photo = add(device, image_bytes(fmt, (200, 100)), photographer)
    assert photo.content_type == content_type and stored_image(photo).format == fmt
    assert photo.storage_key.endswith(".png" if fmt == "PNG" else ".webp")
    assert stored_image(photo, thumbnail=True).size == (200, 100)  # small images are not enlarged


def test_a_transparent_png_gets_a_white_thumbnail(device, photographer):
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    output = BytesIO()
    image.save(output, "PNG")
    photo = add(device, output.getvalue(), photographer)
    assert stored_image(photo, thumbnail=True).getpixel((50, 50)) == (255, 255, 255)


# -- what is refused, and then nothing is stored ---------------------------------------------------------

def refused(device, photographer, data, match, **options):
    with pytest.raises(DomainError, match=match):
        photos.add_photo(device, data, stage=options.get("stage", "intake"), shot=options.get("shot", ""),
                         actor=photographer, station="Booth 1")
    db.session.rollback()
    assert photos.count(device, "intake") == 0
    assert [p for p in storage().root.rglob("*") if p.is_file()] == []


def test_a_text_file_named_jpg_is_refused(device, photographer):
    refused(device, photographer, b"Just some text, not a photo at all.\n" * 10, "not a JPEG, PNG or WebP")


def test_other_image_formats_are_refused_by_name(device, photographer):
    refused(device, photographer, image_bytes("GIF", (50, 50)), "GIF image; only JPEG, PNG and WebP")
    refused(device, photographer, image_bytes("BMP", (50, 50)), "BMP image")


def test_an_empty_a_truncated_and_a_too_large_file_are_refused(app, device, photographer):
    refused(device, photographer, b"", "empty")
    refused(device, photographer, image_bytes("PNG", (300, 300))[:400], "damaged or incomplete")
    app.config["PHOTO_MAX_BYTES"] = 2_000
    refused(device, photographer, image_bytes("JPEG", (800, 800), quality=95), "too large: photos of at most 0.0 MB")


def test_too_many_pixels_are_refused_before_decoding(app, device, photographer):
    app.config["PHOTO_MAX_PIXELS"] = 100 * 100
    refused(device, photographer, image_bytes("PNG", (101, 100)), "too many pixels")


def test_a_decompression_bomb_is_refused_with_a_clear_message(device, photographer, monkeypatch):
    # Pillow's own guard: a warning above its limit (an error under pytest, a refusal in the portal)...
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    refused(device, photographer, image_bytes("PNG", (120, 100)), "too many pixels")
    # ... and an error above twice the limit.
    refused(device, photographer, image_bytes("PNG", (300, 300)), "too many pixels")


def test_photos_only_at_the_stage_the_device_is_at(device, photographer, make_company, make_order):
    refused(device, photographer, image_bytes(), "takes no dispatch photos now", stage="dispatch")
    registered = make_order(make_company(), devices=1).devices[0]
    with pytest.raises(DomainError, match="takes no intake photos now"):
        photos.add_photo(registered, image_bytes(), stage="intake", shot="", actor=photographer, station="B")


def test_a_shot_not_on_the_list_is_refused(device, photographer):
    refused(device, photographer, image_bytes(), "not on this device's shot list", shot="Inside")


# -- the station's device, scans, removal ----------------------------------------------------------------

def test_a_scan_opens_the_device_and_sets_the_stations_current_device(device, make_company, make_order):
    station = Station(name="Booth 1", kind=StationKind.PHOTO_BOOTH)
    db.session.add(station)
    scan = photos.open_device(f" {device.tag_code.lower()} ", station=station)
    assert scan.level == "success" and scan.device is device and scan.stage == PhotoStage.INTAKE
    assert "Intake photos: 0 of 3" in scan.message
    assert photos.current_target(station) == (device, PhotoStage.INTAKE)
    assert station.current_since is not None

    registered = make_order(make_company(), devices=1).devices[0]
    for code, message in [("D0000000", "Unknown device tag"), ("RO1234567", "not a device tag"),
                          (registered.tag_code, "photos are taken only when it is received or ready to ship")]:
        scan = photos.open_device(code, station=station)
        assert scan.level == "error" and message in scan.message
        assert photos.current_target(station) == (device, PhotoStage.INTAKE)  # a refused scan changes nothing

    photos.set_current(station, None, None)
    assert photos.current_target(station) == (None, None) and station.current_since is None


def test_a_device_that_moved_on_is_scanned_again_for_its_next_stage(device, photographer, make_staff,
                                                                   take_photos):
    station = Station(name="Booth 1", kind=StationKind.PHOTO_BOOTH)
    db.session.add(station)
    photos.open_device(device.tag_code, station=station)
    take_photos(device, "intake")
    technician = make_staff(Role.TECHNICIAN)
    workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician)
    assert photos.current_target(station) == (device, None)
    workflow.move(device, DeviceStatus.BEYOND_REPAIR, actor=technician, note="x")
    workflow.move(device, DeviceStatus.READY_TO_SHIP, actor=make_staff(Role.DISPATCH))
    assert photos.current_target(station) == (device, None)  # scanned for intake, now at dispatch
    photos.open_device(device.tag_code, station=station)
    assert photos.current_target(station) == (device, PhotoStage.DISPATCH)


def test_a_photo_is_removed_only_while_its_stage_is_open(device, photographer, make_staff):
    photo = add(device, image_bytes(), photographer)
    keys = (photo.storage_key, photo.thumbnail_key)
    photos.delete_photo(photo, actor=photographer)
    db.session.commit()
    assert photos.count(device, "intake") == 0 and not any(storage().exists(k) for k in keys)

    kept = [add(device, image_bytes(), photographer, shot="") for _ in range(3)]
    workflow.move(device, DeviceStatus.DIAGNOSIS, actor=make_staff(Role.TECHNICIAN))
    with pytest.raises(DomainError, match="part of its record"):
        photos.delete_photo(kept[0], actor=photographer)
    assert storage().exists(kept[0].storage_key)


def test_photos_of_a_device_intake_first_then_dispatch(device, photographer, make_staff):
    intake = [add(device, image_bytes(), photographer, shot="") for _ in range(3)]
    technician = make_staff(Role.TECHNICIAN)
    workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician)
    workflow.move(device, DeviceStatus.BEYOND_REPAIR, actor=technician, note="x")
    workflow.move(device, DeviceStatus.READY_TO_SHIP, actor=make_staff(Role.DISPATCH))
    dispatch = add(device, image_bytes(), photographer, shot="Back", stage="dispatch")
    assert photos.photos_of(device) == [*intake, dispatch]
    assert db.session.get(Photo, dispatch.id).device is device
