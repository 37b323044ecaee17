"""The photo booth in Chromium with a fake camera: scan a tag, take a photo, upload files; the customer
sees the photos at once and another company does not."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from portal import orders, staff, workflow
from portal.extensions import db
from portal.models import DeviceStatus, Role, Station, StationKind
from tests.conftest import device_row, order_data
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, confirmed_customer
from tests.images import image_bytes

pytestmark = pytest.mark.e2e

PASSWORD = "photo-booth-pass-1"
#: Chromium's fake camera (a moving test picture) and no permission prompt.
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def camera_browser() -> Browser:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS + FAKE_CAMERA)
        yield browser
        browser.close()


@pytest.fixture
def new_page(camera_browser, live_server):
    contexts = []

    def open_page(**options):
        context = camera_browser.new_context(base_url=live_server.url, locale="en-GB",
                                             timezone_id="Europe/Warsaw", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def received_device(live_server, tmp_path):
    """A device received at the depot, a photographer, a booth station and another company's user."""
    app = live_server.app
    app.config["STORAGE_DIR"] = str(tmp_path / "files")
    with app.app_context():
        owner = confirmed_customer(app, email="olga@nordlog.example", password=PASSWORD,
                                   legal_name="Nordlog Sp. z o.o.", tax_id="PL9990002221")
        order = orders.start_draft(owner.company, owner=owner, actor=owner)
        orders.submit_order(order, order_data(order, [device_row(1)]), actor=owner)
        clerk = staff.create_staff(email="clerk@depot.example", name="Carl Clerk", roles=[Role.RECEIVING],
                                   password=PASSWORD)
        device = order.devices[0]
        workflow.move(device, DeviceStatus.RECEIVED, actor=clerk)
        staff.create_staff(email="pia@depot.example", name="Pia Photographer", roles=[Role.PHOTO_BOOTH],
                           password=PASSWORD)
        db.session.add(Station(name="Booth 1", kind=StationKind.PHOTO_BOOTH))
        confirmed_customer(app, email="max@baumarkt.example", password=PASSWORD, legal_name="Baumarkt GmbH",
                           tax_id="DE999000111")
        db.session.commit()
        return device.tag_code


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_take_a_photo_with_the_camera_and_the_customer_sees_it(new_page, received_device, tmp_path):
    tag = received_device
    page = new_page()
    log_in(page, "pia@depot.example")
    page.goto("/depot/booth")
    page.get_by_label("Booth 1").check()
    page.get_by_role("button", name="Use this station").click()

    scan_field = page.get_by_label("Scan a device tag")
    expect(scan_field).to_be_focused()
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=tag)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Intake photos: 0 of 3")

    take = page.get_by_role("button", name="Take photo")
    expect(take).to_be_visible()  # 127.0.0.1 is a secure context: the fake camera is on
    expect(page.get_by_label("Shot", exact=True)).to_have_value("Front")
    take.click()
    expect(page.get_by_role("alert")).to_contain_text("1 of 3 intake photos")
    thumbnail = page.get_by_alt_text("Front (Intake)")
    expect(thumbnail).to_be_visible()
    expect(page.get_by_label("Shot", exact=True)).to_have_value("Back")

    # The file fallback, through the same page: two files at once finish the stage.
    files = [{"name": "back.png", "mimeType": "image/png", "buffer": image_bytes("PNG")},
             {"name": "plate.jpg", "mimeType": "image/jpeg", "buffer": image_bytes()}]
    page.get_by_label("Photos from files").set_input_files(files)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("Intake photos complete: the device can go to diagnosis.")
    expect(page.get_by_alt_text("Serial plate (Intake)")).to_be_visible()
    expect(page.locator(".shot-list .shot-done")).to_have_count(3)

    # A scan after a click on a button still reaches the scan field.
    take.focus()
    page.keyboard.type("D0000000")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Unknown device tag D0000000")

    staff_url = thumbnail.get_attribute("src")
    assert staff_url.startswith("/depot/photos/") and staff_url.endswith("/thumbnail")
    customer_url = staff_url.removeprefix("/depot")
    image = page.request.get(staff_url)
    assert image.status == 200 and image.headers["content-type"] == "image/jpeg"

    customer = new_page()
    log_in(customer, "olga@nordlog.example")
    seen = customer.request.get(customer_url)
    assert seen.status == 200 and seen.headers["content-type"] == "image/jpeg"
    assert seen.body()[:3] == b"\xff\xd8\xff"
    full = customer.request.get(customer_url.removesuffix("/thumbnail"))
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg"

    stranger = new_page()
    log_in(stranger, "max@baumarkt.example")
    assert stranger.request.get(customer_url).status == 404
    assert stranger.request.get(customer_url.removesuffix("/thumbnail")).status == 404


def test_without_a_camera_the_page_says_so_and_the_files_still_work(new_page, received_device, live_server):
    page = new_page()
    # No camera permission in this context: getUserMedia fails, as on a booth PC without one.
    page.context.add_init_script("navigator.mediaDevices.getUserMedia = () => "
                                 "Promise.reject(new DOMException('No camera', 'NotFoundError'));")
    log_in(page, "pia@depot.example")
    page.goto("/depot/station")
    page.get_by_label("Booth 1").check()
    page.get_by_role("button", name="Use this station").click()
    expect(page.get_by_label("Scan a device tag")).to_be_focused()
    page.keyboard.type(received_device)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="No camera could be opened (NotFoundError)")).to_be_visible()
    expect(page.get_by_role("button", name="Take photo")).to_be_hidden()
    page.get_by_label("Photos from files").set_input_files(
        [{"name": "front.webp", "mimeType": "image/webp", "buffer": image_bytes("WEBP")}])
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_alt_text("Front (Intake)")).to_be_visible()
