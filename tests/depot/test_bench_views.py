"""The bench's pages: the queue and its scan field, the device page and each of its small forms."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal import bench, orders, quotes, workflow
from portal.extensions import db
from portal.models import (
    ChecklistItem,
    CheckResult,
    Decision,
    DeviceStatus,
    PriceItem,
    QuoteState,
    Role,
    StationKind,
    TaxRate,
    WorkEntry,
)
from tests.depot.test_receiving import set_station

S = DeviceStatus
FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def shop(make_company, make_order, make_staff, make_category, take_photos):
    laptop = make_category("Laptop")
    owner = make_company()
    order = make_order(owner, devices=2)
    receiver = make_staff(Role.RECEIVING)
    tech = make_staff(Role.TECHNICIAN, name="Tina Tech")
    other = make_staff(Role.TECHNICIAN, name="Otto Other")
    vat = TaxRate(name="VAT 23%", rate=Decimal("23.00"))
    db.session.add(vat)
    db.session.flush()
    screen = PriceItem(code="P-SCR", description="Screen", kind="part", unit_price=Decimal("100.00"),
                       unit_cost=Decimal("60.00"), tax_rate_id=vat.id, stock=5)
    labour = PriceItem(code="L-1", description="Labour, 1 h", kind="labour", unit_price=Decimal("50.00"),
                       tax_rate_id=vat.id)
    db.session.add_all([screen, labour])
    for n, text in enumerate(["Powers on", "Screen"]):
        db.session.add(ChecklistItem(category_id=laptop.id, kind="diagnosis", position=n, text=text))
    for device in order.devices:
        device.category_id = laptop.id
        workflow.move(device, S.RECEIVED, actor=receiver)
        take_photos(device, "intake")
        device.technician_id = tech.id
    order.devices[0].unlock_code_encrypted = orders.encrypt_unlock_code("2468")
    db.session.commit()
    return dict(order=order, device=order.devices[0], tech=tech, other=other, owner=owner, screen=screen,
                labour=labour)


@pytest.fixture
def at_bench(client, login, shop):
    login(shop["tech"])
    set_station(client, "Bench 1", StationKind.BENCH)
    return shop


def page_of(client, device) -> str:
    return client.get(f"/depot/bench/devices/{device.id}").get_data(as_text=True)


def test_the_bench_needs_a_bench_station_and_a_bench_role(client, login, make_staff, shop):
    login(shop["tech"])
    assert client.get("/depot/bench").headers["Location"].endswith("/depot/station")
    login(make_staff(Role.DISPATCH))
    set_station(client, "Bench 1", StationKind.BENCH)
    assert client.get("/depot/bench").status_code == 403


def test_choosing_a_bench_station_opens_the_bench(client, login, shop):
    login(shop["tech"])
    station = set_station(client, "Bench 9", StationKind.BENCH)
    response = client.post("/depot/station", data={"station": str(station.id)})
    assert response.headers["Location"].endswith("/depot/bench")


def test_the_queue_lists_my_devices_and_a_scan_opens_one(client, at_bench):
    device = at_bench["device"]
    page = client.get("/depot/bench").get_data(as_text=True)
    assert "My devices" in page and device.tag_code in page and at_bench["order"].company.legal_name in page
    answer = client.post("/depot/bench", data={"code": device.tag_code.lower()}, headers=FETCH).get_json()
    assert answer["level"] == "success" and answer["open"].endswith(f"/depot/bench/devices/{device.id}")
    response = client.post("/depot/bench", data={"code": device.tag_code})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bench/devices/{device.id}")
    answer = client.post("/depot/bench", data={"code": "NOPE"}, headers=FETCH).get_json()
    assert answer["level"] == "error" and "NOPE" in answer["message"]
    assert client.post("/depot/bench", data={"code": "NOPE"}).status_code == 422


def test_a_supervisor_sees_every_queue_and_reassigns(client, login, make_staff, shop):
    boss = make_staff(Role.SUPERVISOR, name="Sue Supervisor")
    login(boss)
    set_station(client, "Bench 1", StationKind.BENCH)
    page = client.get("/depot/bench").get_data(as_text=True)
    assert "Queue of Tina Tech" in page and "Queue of Otto Other" in page and "Reassign" in page
    device = shop["device"]
    response = client.post(f"/depot/bench/devices/{device.id}/reassign", data={"technician": str(shop["other"].id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert device.technician_id == shop["other"].id


def test_a_technician_may_not_reassign(client, at_bench):
    device = at_bench["device"]
    client.post(f"/depot/bench/devices/{device.id}/reassign", data={"technician": str(at_bench["other"].id)})
    db.session.expire_all()
    assert device.technician_id == at_bench["tech"].id


def test_the_unlock_code_shows_only_to_the_assigned_technician(client, login, make_staff, at_bench):
    device = at_bench["device"]
    assert "2468" in page_of(client, device)
    login(make_staff(Role.SUPERVISOR))
    assert "2468" not in page_of(client, device)
    login(at_bench["other"])
    page = page_of(client, device)
    assert "2468" not in page and "you can look, not work on it" in page


def test_diagnosis_checklist_then_the_quote_then_send(client, at_bench):
    device = at_bench["device"]
    assert client.post(f"/depot/bench/devices/{device.id}/start").status_code == 302
    db.session.expire_all()
    assert device.status == S.DIAGNOSIS
    page = page_of(client, device)
    assert "Powers on" in page and 'name="outcome-1"' in page and "P-SCR — Screen" in page

    # a fail without its note: the page again, the error beside the item, the choices kept
    response = client.post(f"/depot/bench/devices/{device.id}/checks",
                           data={"outcome-0": "pass", "outcome-1": "fail", "note-1": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Say what failed in “Screen”" in page and 'value="fail" checked' in page
    assert db.session.query(CheckResult).count() == 0
    response = client.post(f"/depot/bench/devices/{device.id}/checks",
                           data={"outcome-0": "pass", "outcome-1": "fail", "note-1": "Cracked"})
    assert response.status_code == 302 and db.session.query(CheckResult).count() == 2

    response = client.post(f"/depot/bench/devices/{device.id}/quote/lines",
                           data={"code": "X-NONE", "tier": "required", "quantity": "1"})
    assert response.status_code == 422 and "No price-list item has the code “X-NONE”" in response.get_data(as_text=True)
    response = client.post(f"/depot/bench/devices/{device.id}/quote/lines",
                           data={"code": "P-SCR", "tier": "required", "quantity": "abc"})
    assert response.status_code == 422 and 'value="abc"' in response.get_data(as_text=True)
    assert client.post(f"/depot/bench/devices/{device.id}/quote/lines",
                       data={"code": "p-scr — Screen", "tier": "required", "quantity": "1"}).status_code == 302
    response = client.post(f"/depot/bench/devices/{device.id}/quote/free-lines",
                           data={"description": "Clean the fan", "kind": "labour", "unit_price": "20",
                                 "free_quantity": "1", "free_tier": "recommended", "reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "needs its reason" in page and 'value="Clean the fan"' in page
    client.post(f"/depot/bench/devices/{device.id}/quote/free-lines",
                data={"description": "Clean the fan", "kind": "labour", "unit_price": "20", "free_quantity": "1",
                      "free_tier": "recommended", "reason": "Dusty"})
    client.post(f"/depot/bench/devices/{device.id}/findings", data={"findings": "Screen cracked, fan dusty"})
    quote = quotes.latest(device)
    assert [line.code for line in quote.lines] == ["P-SCR", ""] and quote.findings == "Screen cracked, fan dusty"
    page = page_of(client, device)
    assert "123.00" in page and "147.60" in page  # required 100 + 23 % ; recommended 120 + 23 %

    line = quote.lines[1]
    client.post(f"/depot/bench/devices/{device.id}/quote/lines/{line.id}/remove")
    db.session.expire_all()
    assert len(quotes.latest(device).lines) == 1

    assert client.post(f"/depot/bench/devices/{device.id}/quote/send").status_code == 302
    db.session.expire_all()
    assert device.status == S.AWAITING_APPROVAL and quotes.latest(device).state == QuoteState.SENT


def test_a_refused_send_says_why_and_changes_nothing(client, at_bench):
    device = at_bench["device"]
    client.post(f"/depot/bench/devices/{device.id}/start")
    response = client.post(f"/depot/bench/devices/{device.id}/quote/send", follow_redirects=True)
    assert "Add at least one line" in response.get_data(as_text=True)
    db.session.expire_all()
    assert device.status == S.DIAGNOSIS


def test_another_technician_cannot_work_on_the_device(client, login, at_bench):
    device = at_bench["device"]
    login(at_bench["other"])
    response = client.post(f"/depot/bench/devices/{device.id}/start", follow_redirects=True)
    assert "assigned to Tina Tech" in response.get_data(as_text=True)
    db.session.expire_all()
    assert device.status == S.RECEIVED


def test_warranty_confirmed_then_repaired_without_a_quote(client, at_bench):
    device = at_bench["device"]
    client.post(f"/depot/bench/devices/{device.id}/start")
    response = client.post(f"/depot/bench/devices/{device.id}/warranty", data={"verdict": "reject",
                                                                             "warranty_note": ""})
    assert response.status_code == 422 and "reason the customer will see" in response.get_data(as_text=True)
    client.post(f"/depot/bench/devices/{device.id}/warranty", data={"verdict": "confirm", "warranty_note": ""})
    assert "Repair under warranty" in page_of(client, device)
    client.post(f"/depot/bench/devices/{device.id}/outcome", data={"outcome": "warranty_repair"})
    db.session.expire_all()
    assert device.status == S.REPAIR and quotes.latest(device) is None


def test_beyond_repair_needs_a_reason_and_then_returns_the_device(client, at_bench):
    device = at_bench["device"]
    client.post(f"/depot/bench/devices/{device.id}/start")
    response = client.post(f"/depot/bench/devices/{device.id}/outcome",
                           data={"outcome": "beyond_repair", "beyond-reason": ""})
    assert response.status_code == 422 and "Write why the device cannot be repaired" in response.get_data(as_text=True)
    client.post(f"/depot/bench/devices/{device.id}/outcome",
                data={"outcome": "beyond_repair", "beyond-reason": "Board burnt"})
    db.session.expire_all()
    assert device.status == S.READY_TO_SHIP


def test_no_fault_found(client, at_bench):
    device = at_bench["device"]
    client.post(f"/depot/bench/devices/{device.id}/start")
    client.post(f"/depot/bench/devices/{device.id}/outcome", data={"outcome": "no_fault_found",
                                                                 "note": "Ran every test: fine"})
    db.session.expire_all()
    assert device.status == S.READY_TO_SHIP


def test_repair_work_lines_done_and_finish(client, at_bench):
    device = at_bench["device"]
    tech = at_bench["tech"]
    bench.start_diagnosis(device, actor=tech)
    bench.record_checks(device, "diagnosis", [("Powers on", "pass", ""), ("Screen", "fail", "cracked")], actor=tech)
    quote = quotes.draft_for(device, actor=tech)
    quotes.add_line(quote, actor=tech, tier="required", quantity="1", item=at_bench["screen"])
    quotes.send(quote, actor=tech)
    quotes.decide(quote, actor=at_bench["owner"], choice=Decision.REQUIRED, revision=1)
    db.session.commit()
    page = page_of(client, device)
    assert "Accepted work" in page and "reserved" in page
    response = client.post(f"/depot/bench/devices/{device.id}/finish", follow_redirects=True)
    assert "Record the repair work" in response.get_data(as_text=True)
    response = client.post(f"/depot/bench/devices/{device.id}/work", data={"minutes": "", "work_note": "x"})
    assert response.status_code == 422 and "Fill in the minutes" in response.get_data(as_text=True)
    line = quote.lines[0]
    assert client.post(f"/depot/bench/devices/{device.id}/work",
                       data={"minutes": "40", "work_note": "Screen replaced", "kind": "repair",
                             "done": str(line.id)}).status_code == 302
    assert db.session.query(WorkEntry).count() == 1
    response = client.post(f"/depot/bench/devices/{device.id}/finish")
    assert response.status_code == 302 and response.headers["Location"].endswith("/depot/bench")
    db.session.expire_all()
    assert device.status == S.QUALITY_CHECK


def test_the_wipe_is_recorded(client, at_bench):
    device = at_bench["device"]
    device.data_wipe_allowed = True
    db.session.commit()
    client.post(f"/depot/bench/devices/{device.id}/start")
    assert "Record the wipe" in page_of(client, device)
    client.post(f"/depot/bench/devices/{device.id}/wipe")
    db.session.expire_all()
    assert device.wiped_at is not None and "Wiped on" in page_of(client, device)


def test_the_technician_adds_photos_of_what_was_found_and_the_customer_sees_them(app, client, login, make_staff,
                                                                                  make_company, make_order,
                                                                                  take_photos, tmp_path):
    from io import BytesIO

    from portal.models import DeviceStatus, Photo, Role, Station, StationKind
    from tests.images import image_bytes

    owner = make_company()
    device = make_order(owner, devices=1).devices[0]
    technician = make_staff(Role.TECHNICIAN)
    device.technician_id = technician.id
    workflow.move(device, DeviceStatus.RECEIVED, actor=make_staff(Role.RECEIVING))
    take_photos(device, "intake")
    workflow.move(device, DeviceStatus.DIAGNOSIS, actor=technician)
    station = Station(name="Bench 9", kind=StationKind.BENCH)
    db.session.add(station)
    db.session.commit()
    login(technician)
    client.post("/depot/station", data={"station": str(station.id)})
    response = client.post(f"/depot/bench/devices/{device.id}/photos", content_type="multipart/form-data",
                           data={"photo": [(BytesIO(image_bytes()), "corrosion.jpg"),
                                           (BytesIO(b"not an image"), "notes.jpg")]}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 photo stored" in page and "notes.jpg" in page
    photo = db.session.scalar(db.select(Photo).where(Photo.stage == "diagnosis"))
    assert photo.device_id == device.id and photo.station == "Bench 9"
    login(owner)
    assert "Diagnosis photos" in client.get(f"/devices/{device.id}").get_data(as_text=True)
    assert client.get(f"/photos/{photo.id}").mimetype == "image/jpeg"
