"""A device's photos are the customer's as soon as they are taken, and no one else's."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from portal import photos
from portal.extensions import db
from portal.models import Role
from tests.images import image_bytes, jpeg_with_gps, receive


@pytest.fixture(autouse=True)
def storage_dir(app, tmp_path):
    app.config["STORAGE_DIR"] = str(tmp_path / "files")


@pytest.fixture
def photo(make_company, make_order, make_staff):
    """An intake photo of a device of an order placed by the company's first user."""
    owner = make_company(legal_name="Nordlog Sp. z o.o.")
    device = make_order(owner, devices=1).devices[0]
    receive(device, make_staff)
    photo = photos.add_photo(device, jpeg_with_gps(), stage="intake", shot="Front",
                             actor=make_staff(Role.PHOTO_BOOTH), station="Booth 1")
    db.session.commit()
    return photo


def urls(photo) -> list[str]:
    return [f"/photos/{photo.id}", f"/photos/{photo.id}/thumbnail"]


def test_the_orders_owner_sees_the_photo_and_its_thumbnail_at_once(client, login, photo):
    login(photo.device.order.owner)
    full, thumbnail = (client.get(url) for url in urls(photo))
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert Image.open(BytesIO(full.data)).size == (640, 480)
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    assert Image.open(BytesIO(thumbnail.data)).size == (320, 240)
    for response in (full, thumbnail):
        assert response.headers["Cache-Control"].startswith("private")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_another_companys_user_gets_404(client, login, photo, make_company):
    login(make_company(legal_name="Baumarkt GmbH"))  # with every right in their own company
    assert [client.get(url).status_code for url in urls(photo)] == [404, 404]


def test_a_colleague_sees_it_only_with_the_right_to_see_colleagues_orders(client, login, photo, make_user):
    company = photo.device.order.company
    login(make_user(company))
    assert [client.get(url).status_code for url in urls(photo)] == [404, 404]
    login(make_user(company, rights=("can_see_colleagues_orders",)))
    assert [client.get(url).status_code for url in urls(photo)] == [200, 200]


def test_an_unknown_photo_is_404(client, login, photo):
    login(photo.device.order.owner)
    assert client.get(f"/photos/{photo.id + 100}").status_code == 404


def test_staff_see_it_on_the_depot_address_not_the_customers(client, login, photo, make_staff):
    login(make_staff(Role.TECHNICIAN))
    assert [client.get(url).status_code for url in urls(photo)] == [403, 403]
    assert client.get(f"/depot/photos/{photo.id}").status_code == 200
    assert client.get(f"/depot/photos/{photo.id}/thumbnail").status_code == 200


def test_strangers_are_sent_to_log_in(client, photo):
    response = client.get(urls(photo)[0])
    assert response.status_code == 302 and "/login" in response.location


def test_the_gallery_macro_groups_by_stage_with_alt_texts(app, photo, make_staff):
    from flask import render_template_string

    photos.add_photo(photo.device, image_bytes("PNG"), stage="intake", shot="", actor=None, station="Booth 1")
    template = ('{% from "macros/photos.html" import photo_gallery %}'
                '{{ photo_gallery(photos, "customer.photo") }}')
    with app.test_request_context():
        html = render_template_string(template, photos=photos.photos_of(photo.device))
        empty = render_template_string(template, photos=[])
    assert html.count('class="photo-item"') == 2 and "Intake photos" in html and "Dispatch" not in html
    assert f'href="/photos/{photo.id}"' in html and f'src="/photos/{photo.id}/thumbnail"' in html
    assert 'alt="Front (Intake)"' in html and 'alt="Photo (Intake)"' in html
    assert "No photos yet" in empty
