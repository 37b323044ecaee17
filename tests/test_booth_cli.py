"""`flask booth watch`: a tethered camera's pictures are filed to the device last scanned at the booth."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from portal import booth_cli, photos, workflow
from portal.extensions import db
from portal.models import DeviceStatus, PhotoStage, Role, Station, StationKind
from portal.storage import storage
from tests.images import GPS_IFD, image_bytes, jpeg_with_gps, receive

pytestmark = pytest.mark.both_databases


@pytest.fixture(autouse=True)
def storage_dir(app, tmp_path):
    app.config["STORAGE_DIR"] = str(tmp_path / "files")


@pytest.fixture
def station(app):
    station = Station(name="Booth 1", kind=StationKind.PHOTO_BOOTH)
    db.session.add(station)
    db.session.commit()
    return station


@pytest.fixture
def device(make_company, make_order, make_staff, station):
    """A received device, scanned at the booth: the camera's pictures are for it."""
    device = make_order(make_company(), devices=1).devices[0]
    receive(device, make_staff)
    photos.open_device(device.tag_code, station=station)
    db.session.commit()
    return device


@pytest.fixture
def camera(tmp_path):
    folder = tmp_path / "camera"
    folder.mkdir()
    return folder


def watch(runner, folder):
    result = runner.invoke(args=["booth", "watch", str(folder), "--station", "Booth 1", "--once"])
    db.session.expire_all()
    return result


def test_new_images_are_filed_to_the_current_device_and_moved_to_done(runner, camera, device):
    (camera / "IMG_0001.JPG").write_bytes(jpeg_with_gps())
    (camera / "IMG_0002.png").write_bytes(image_bytes("PNG"))
    (camera / "IMG_0003.webp").write_bytes(image_bytes("WEBP"))
    result = watch(runner, camera)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines == [f"IMG_0001.JPG: {device.tag_code} intake, Front (1 of 3 photos)",
                     f"IMG_0002.png: {device.tag_code} intake, Back (2 of 3 photos)",
                     f"IMG_0003.webp: {device.tag_code} intake, Serial plate (3 of 3 photos)"]
    assert sorted(p.name for p in (camera / "done").iterdir()) == ["IMG_0001.JPG", "IMG_0002.png", "IMG_0003.webp"]
    assert [p.name for p in camera.iterdir() if p.is_file()] == []
    stored = photos.photos_of(device)
    assert [(p.stage, p.station, p.taken_by_id) for p in stored] == [(PhotoStage.INTAKE, "Booth 1", None)] * 3
    assert Image.open(BytesIO(storage().get(stored[0].storage_key))).getexif().get_ifd(GPS_IFD) == {}


def test_a_file_that_is_not_an_image_is_refused_with_a_reason(runner, camera, device):
    (camera / "notes.jpg").write_text("this is not a picture")
    result = watch(runner, camera)
    assert result.exit_code == 0
    assert result.output == "notes.jpg: refused, The file is not a JPEG, PNG or WebP image.\n"
    assert (camera / "refused" / "notes.jpg").exists()
    assert "not a JPEG, PNG or WebP" in (camera / "refused" / "notes.jpg.txt").read_text()
    assert photos.count(device, "intake") == 0


def test_without_a_scanned_device_pictures_are_refused(runner, camera, station):
    (camera / "a.jpg").write_bytes(image_bytes())
    result = watch(runner, camera)
    assert "a.jpg: refused, no device is open at Booth 1" in result.output
    assert (camera / "refused" / "a.jpg.txt").exists()


def test_a_name_taken_in_done_gets_a_number(runner, camera, device):
    (camera / "done").mkdir()
    (camera / "done" / "IMG.jpg").write_bytes(b"earlier")
    (camera / "IMG.jpg").write_bytes(image_bytes())
    watch(runner, camera)
    assert (camera / "done" / "IMG-1.jpg").exists() and (camera / "done" / "IMG.jpg").read_bytes() == b"earlier"


def test_files_still_being_written_and_hidden_files_wait(runner, camera, device, monkeypatch):
    (camera / ".IMG_0009.jpg").write_bytes(image_bytes())  # the camera's temporary name
    (camera / "IMG_0010.jpg.part").write_bytes(image_bytes())
    growing = camera / "IMG_0011.jpg"
    growing.write_bytes(image_bytes()[:100])
    real_sleep = booth_cli.time.sleep

    def camera_still_writing(seconds):
        real_sleep(0)
        growing.write_bytes(image_bytes())  # the size changes between the two looks

    monkeypatch.setattr(booth_cli.time, "sleep", camera_still_writing)
    result = watch(runner, camera)
    assert result.exit_code == 0 and result.output == ""
    assert growing.exists() and photos.count(device, "intake") == 0
    monkeypatch.setattr(booth_cli.time, "sleep", real_sleep)
    assert "IMG_0011.jpg: " in watch(runner, camera).output
    assert (camera / ".IMG_0009.jpg").exists() and (camera / "IMG_0010.jpg.part").exists()


def test_a_device_that_moved_on_takes_no_more_pictures(runner, camera, device, make_staff, take_photos):
    take_photos(device, "intake")
    workflow.move(device, DeviceStatus.DIAGNOSIS, actor=make_staff(Role.TECHNICIAN))
    db.session.commit()
    (camera / "late.jpg").write_bytes(image_bytes())
    result = watch(runner, camera)
    assert f"late.jpg: refused, device {device.tag_code} takes no photos now" in result.output


def test_an_unknown_station_is_an_error(runner, camera, station):
    result = runner.invoke(args=["booth", "watch", str(camera), "--station", "Nowhere", "--once"])
    assert result.exit_code != 0 and "No active photo booth station named “Nowhere”" in result.output
