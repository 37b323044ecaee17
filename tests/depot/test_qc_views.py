"""The quality-check station: scan a repaired device, run its list, pass or fail it."""

from __future__ import annotations

import pytest

from portal import bench, workflow
from portal.extensions import db
from portal.models import ChecklistItem, CheckResult, DeviceStatus, Role, StationKind
from tests.depot.test_receiving import set_station

S = DeviceStatus
FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def repaired(make_company, make_order, make_staff, make_category, take_photos):
    laptop = make_category("Laptop")
    order = make_order(make_company(), devices=2)
    receiver, tech = make_staff(Role.RECEIVING), make_staff(Role.TECHNICIAN, Role.TESTER, name="Tina Tech")
    db.session.add(ChecklistItem(category_id=laptop.id, kind="quality_check", position=0, text="Boots"))
    db.session.add(ChecklistItem(category_id=None, kind="quality_check", position=1, text="Clean"))
    device = order.devices[0]
    device.category_id, device.technician_id = laptop.id, tech.id
    workflow.move(device, S.RECEIVED, actor=receiver)
    take_photos(device, "intake")
    bench.start_diagnosis(device, actor=tech)
    bench.confirm_warranty(device, actor=tech, confirmed=True)
    bench.warranty_repair(device, actor=tech)
    bench.record_work(device, actor=tech, minutes=30, note="New battery")
    bench.finish_repair(device, actor=tech)
    db.session.commit()
    return dict(device=device, tech=tech, other=order.devices[1])


@pytest.fixture
def tester(client, login, make_staff):
    user = make_staff(Role.TESTER, name="Ted Tester")
    login(user)
    set_station(client, "QC 1", StationKind.QUALITY_CHECK)
    return user


def test_the_page_needs_a_qc_station_and_a_tester(client, login, make_staff, repaired):
    login(make_staff(Role.TESTER))
    assert client.get("/depot/qc").headers["Location"].endswith("/depot/station")
    login(make_staff(Role.TECHNICIAN))
    set_station(client, "QC 1", StationKind.QUALITY_CHECK)
    assert client.get("/depot/qc").status_code == 403


def test_scanning_opens_a_device_in_the_quality_check(client, tester, repaired):
    device = repaired["device"]
    page = client.get("/depot/qc").get_data(as_text=True)
    assert device.tag_code in page and "Tina Tech" in page
    answer = client.post("/depot/qc", data={"code": device.tag_code}, headers=FETCH).get_json()
    assert answer["level"] == "success" and answer["open"].endswith(f"/depot/qc/devices/{device.id}")
    answer = client.post("/depot/qc", data={"code": repaired["other"].tag_code}, headers=FETCH).get_json()
    assert answer["level"] == "error" and "not in the quality check" in answer["message"]
    page = client.get(f"/depot/qc/devices/{device.id}").get_data(as_text=True)
    assert "Boots" in page and "Clean" in page and "New battery" in page and "Warranty repair" in page


def test_fail_needs_a_reason_then_goes_back_to_the_technician(client, tester, repaired):
    device = repaired["device"]
    url = f"/depot/qc/devices/{device.id}/verdict"
    response = client.post(url, data={"verdict": "fail", "outcome-0": "fail", "note-0": "No boot",
                                      "outcome-1": "pass", "reason": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Write why the device failed" in page and 'value="No boot"' in page
    response = client.post(url, data={"verdict": "pass", "outcome-0": "pass", "reason": ""})
    assert response.status_code == 422 and "Choose pass, fail or n.a. for “Clean”" in response.get_data(as_text=True)
    assert db.session.query(CheckResult).count() == 0
    response = client.post(url, data={"verdict": "fail", "outcome-0": "fail", "note-0": "No boot",
                                      "outcome-1": "pass", "reason": "Does not boot"})
    assert response.status_code == 302
    db.session.expire_all()
    assert device.status == S.REPAIR and device.qc_fail_count == 1 and device.technician_id == repaired["tech"].id


def test_pass_makes_it_ready_to_ship(client, tester, repaired):
    device = repaired["device"]
    response = client.post(f"/depot/qc/devices/{device.id}/verdict",
                           data={"verdict": "pass", "outcome-0": "pass", "outcome-1": "na"})
    assert response.status_code == 302
    db.session.expire_all()
    assert device.status == S.READY_TO_SHIP


def test_the_repairer_may_not_check_their_own_repair(client, login, repaired):
    login(repaired["tech"])
    set_station(client, "QC 1", StationKind.QUALITY_CHECK)
    device = repaired["device"]
    response = client.post(f"/depot/qc/devices/{device.id}/verdict",
                           data={"verdict": "pass", "outcome-0": "pass", "outcome-1": "pass"})
    assert response.status_code == 422
    assert "someone other than the repairer" in response.get_data(as_text=True)
    db.session.expire_all()
    assert device.status == S.QUALITY_CHECK and db.session.query(CheckResult).count() == 0
