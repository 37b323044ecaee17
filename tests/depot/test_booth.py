"""The photo booth page: scan a tag, upload photos (the camera's or files), see them; staff images."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from portal import photos
from portal.extensions import db
from portal.models import Photo, Role, Station, StationKind
from portal.storage import storage
from tests.images import image_bytes, jpeg_with_gps, make_ready_to_ship, receive

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture(autouse=True)
def storage_dir(app, tmp_path):
    app.config["STORAGE_DIR"] = str(tmp_path / "files")


@pytest.fixture
def device(make_company, make_order, make_staff):
    device = make_order(make_company(legal_name="Nordlog Sp. z o.o."), devices=1).devices[0]
    receive(device, make_staff)
    return device


@pytest.fixture
def booth(client, login, make_staff):
    """A photographer logged in, the browser set to the booth station."""
    login(make_staff(Role.PHOTO_BOOTH, name="Pia Photographer"))
    station = Station(name="Booth 1", kind=StationKind.PHOTO_BOOTH)
    db.session.add(station)
    db.session.commit()
    assert client.post("/depot/station", data={"station": str(station.id)}).status_code == 302
    return station


def upload(client, device, *files, shot="Front", headers=None):
    data = {"device_id": str(device.id), "shot": shot,
            "photo": [(BytesIO(content), name) for name, content in files]}
    return client.post("/depot/booth/photos", data=data, content_type="multipart/form-data", headers=headers or {})


def test_the_booth_asks_for_its_station_and_its_role(client, login, make_staff):
    login(make_staff(Role.PHOTO_BOOTH))
    response = client.get("/depot/booth")
    assert response.status_code == 302 and response.location.endswith("/depot/station")
    login(make_staff(Role.RECEIVING))
    assert client.get("/depot/booth").status_code == 403


def test_scanning_a_tag_opens_the_device(client, booth, device):
    page = client.get("/depot/booth").get_data(as_text=True)
    assert "Booth 1" in page and 'name="code"' in page and "Scan a device's tag to photograph it" in page

    response = client.post("/depot/booth", data={"code": device.tag_code})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert device.serial_number in page and device.order.number in page and "Nordlog Sp. z o.o." in page
    assert "Take photo" in page and 'accept="image/jpeg,image/png,image/webp"' in page and "multiple" in page
    assert "0</strong> of 3 intake photos" in page and "Serial plate" in page
    db.session.refresh(booth)
    assert booth.current_device_id == device.id and booth.current_stage == "intake"


def test_the_page_script_gets_the_scan_as_data(client, booth, device):
    answer = client.post("/depot/booth", data={"code": device.tag_code}, headers=FETCH).json
    assert answer["level"] == "success" and answer["reload"] is True and device.tag_code in answer["message"]
    wrong = client.post("/depot/booth", data={"code": "D0000000"}, headers=FETCH).json
    assert wrong == {"level": "error", "message": "Unknown device tag D0000000.", "reload": False}
    db.session.refresh(booth)
    assert booth.current_device_id == device.id


def test_a_device_not_at_a_photo_stage_is_refused_loudly(client, booth, make_company, make_order):
    registered = make_order(make_company(), devices=1).devices[0]
    response = client.post("/depot/booth", data={"code": registered.tag_code})
    assert response.status_code == 422
    assert "photos are taken only when it is received or ready to ship" in response.get_data(as_text=True)


def test_photos_are_uploaded_with_fetch_until_the_stage_is_complete(client, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    first = upload(client, device, ("front.jpg", jpeg_with_gps()), headers=FETCH)
    assert first.status_code == 200
    answer = first.json
    assert answer["level"] == "success" and (answer["taken"], answer["needed"], answer["complete"]) == (1, 3, False)
    assert answer["next_shot"] == "Back" and answer["shots_done"] == ["Front"]
    [photo] = answer["photos"]
    assert photo["alt"] == "Front (Intake)" and photo["thumbnail"] == f"/depot/photos/{photo['id']}/thumbnail"

    # Two files at once: they take the next shots of the list.
    answer = upload(client, device, ("b.png", image_bytes("PNG")), ("c.webp", image_bytes("WEBP")),
                    shot="Back", headers=FETCH).json
    assert answer["taken"] == 3 and answer["complete"] is True
    assert "Intake photos complete: the device can go to diagnosis." in answer["message"]
    assert sorted(p.shot for p in photos.photos_of(device)) == ["Back", "Front", "Serial plate"]


def test_a_bad_file_is_refused_with_its_name_and_the_good_ones_are_kept(client, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    response = upload(client, device, ("notes.jpg", b"not an image at all"), headers=FETCH)
    assert response.status_code == 422
    assert response.json["message"] == "notes.jpg: The file is not a JPEG, PNG or WebP image."
    answer = upload(client, device, ("good.jpg", image_bytes()), ("notes.jpg", b"text"), headers=FETCH).json
    assert answer["level"] == "warning" and answer["taken"] == 1 and "notes.jpg:" in answer["message"]
    assert photos.count(device, "intake") == 1


def test_a_too_large_photo_is_refused(app, client, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    app.config["PHOTO_MAX_BYTES"] = 5_000
    response = upload(client, device, ("big.jpg", image_bytes(size=(1200, 900), quality=95)), headers=FETCH)
    assert response.status_code == 422 and "too large" in response.json["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Photo)) == 0


def test_the_file_form_works_without_javascript(client, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    response = upload(client, device, ("front.jpg", image_bytes()))
    assert response.status_code == 302 and response.location.endswith("/depot/booth")
    page = client.get("/depot/booth").get_data(as_text=True)
    assert "Photo stored: 1 of 3 intake photos." in page
    [photo] = photos.photos_of(device)
    assert f'src="/depot/photos/{photo.id}/thumbnail"' in page and 'alt="Front (Intake)"' in page
    nothing = upload(client, device)
    assert nothing.status_code == 302
    assert "Choose a photo first." in client.get("/depot/booth").get_data(as_text=True)


def test_an_upload_for_another_device_than_the_stations_is_refused(client, booth, device, make_company,
                                                                   make_order, make_staff):
    other = make_order(make_company(), devices=1).devices[0]
    receive(other, make_staff)
    client.post("/depot/booth", data={"code": device.tag_code})
    client.post("/depot/booth", data={"code": other.tag_code})  # e.g. in another tab
    response = upload(client, device, ("front.jpg", image_bytes()), headers=FETCH)
    assert response.status_code == 422 and "scan the device again" in response.json["message"]
    assert photos.count(device, "intake") == 0 and photos.count(other, "intake") == 0


def test_dispatch_photos_show_the_intake_photos_for_comparison(client, booth, device, make_staff, take_photos,
                                                               make_company, make_order):
    ready = make_order(make_company(), devices=1).devices[0]
    make_ready_to_ship(ready, make_staff, take_photos)
    db.session.execute(db.delete(Photo))  # the fixture's rows have no files; take real ones
    client.post("/depot/booth", data={"code": ready.tag_code})
    db.session.commit()
    page = client.get("/depot/booth").get_data(as_text=True)
    assert "0</strong> of 3 dispatch photos" in page
    answer = upload(client, ready, ("out.jpg", image_bytes()), headers=FETCH).json
    assert answer["level"] == "success" and answer["photos"][0]["alt"] == "Front (Dispatch)"


def test_closing_the_device_stops_filing_photos_to_it(client, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    assert client.post("/depot/booth", data={"close": "1"}).status_code == 302
    db.session.refresh(booth)
    assert booth.current_device_id is None
    assert "Scan a device's tag to photograph it" in client.get("/depot/booth").get_data(as_text=True)


def test_a_photo_taken_by_mistake_is_removed(client, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    upload(client, device, ("front.jpg", image_bytes()))
    [photo] = photos.photos_of(device)
    key = photo.storage_key
    response = client.post(f"/depot/photos/{photo.id}/delete")
    assert response.status_code == 302 and photos.count(device, "intake") == 0 and not storage().exists(key)


def test_only_the_booth_removes_photos(client, login, make_staff, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    upload(client, device, ("front.jpg", image_bytes()))
    [photo] = photos.photos_of(device)
    login(make_staff(Role.TECHNICIAN))
    assert client.post(f"/depot/photos/{photo.id}/delete").status_code == 403
    assert photos.count(device, "intake") == 1


def test_staff_see_every_photo_and_its_thumbnail(client, login, make_staff, booth, device):
    client.post("/depot/booth", data={"code": device.tag_code})
    upload(client, device, ("front.png", image_bytes("PNG")))
    [photo] = photos.photos_of(device)
    login(make_staff(Role.TECHNICIAN))
    full = client.get(f"/depot/photos/{photo.id}")
    assert full.status_code == 200 and full.mimetype == "image/png"
    assert full.headers["Cache-Control"].startswith("private") and Image.open(BytesIO(full.data)).format == "PNG"
    thumbnail = client.get(f"/depot/photos/{photo.id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert client.get(f"/depot/photos/{photo.id + 1}").status_code == 404
    storage().delete(photo.storage_key)
    assert client.get(f"/depot/photos/{photo.id}").status_code == 404  # a lost file: 404, not a crash


def test_the_page_learns_of_photos_a_tethered_camera_filed(client, booth, device, runner, tmp_path):
    """The booth page polls the station's state; `flask booth watch` files a photo without it."""
    assert client.get("/depot/booth/state").json == {"device": None, "photos": 0}
    client.post("/depot/booth", data={"code": device.tag_code})
    assert client.get("/depot/booth/state").json == {"device": device.id, "photos": 0}
    folder = tmp_path / "camera"
    folder.mkdir()
    (folder / "IMG_0001.jpg").write_bytes(image_bytes())
    result = runner.invoke(args=["booth", "watch", str(folder), "--station", booth.name, "--once"])
    assert result.exit_code == 0, result.output
    assert client.get("/depot/booth/state").json == {"device": device.id, "photos": 1}
