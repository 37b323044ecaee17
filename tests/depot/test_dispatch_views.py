"""The dispatch station's pages: scan to pack, the carrier form, the packing list, courier pick-up."""

from __future__ import annotations

import pytest

from portal import workflow
from portal.extensions import db
from portal.models import Carrier, DeviceStatus, Parcel, ParcelState, Role, StationKind
from tests.depot.test_receiving import set_station

S = DeviceStatus
FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def ready(make_company, make_order, make_staff, take_photos):
    """An order of three devices, each repaired, tested and ready to ship."""
    receiving, technician, tester = make_staff(Role.RECEIVING), make_staff(Role.TECHNICIAN), make_staff(Role.TESTER)
    order = make_order(make_company(), devices=3)
    for device in order.devices:
        workflow.move(device, S.RECEIVED, actor=receiving)
        take_photos(device, "intake")
        for to in (S.DIAGNOSIS, S.REPAIR, S.QUALITY_CHECK):
            workflow.move(device, to, actor=technician)
        workflow.move(device, S.READY_TO_SHIP, actor=tester)
    db.session.commit()
    return order


@pytest.fixture
def packer(client, login, make_staff):
    user = make_staff(Role.DISPATCH, name="Dora Dispatch")
    login(user)
    set_station(client, "Dispatch 1", StationKind.DISPATCH)
    return user


def parcel_of(device) -> Parcel:
    db.session.expire_all()
    return db.session.get(Parcel, device.parcel_id)


def test_the_page_asks_for_a_dispatch_station_first(client, login, make_staff):
    login(make_staff(Role.DISPATCH))
    response = client.get("/depot/dispatch")
    assert response.status_code == 302 and response.headers["Location"].endswith("/depot/station")
    set_station(client, "Receiving 1")
    assert client.get("/depot/dispatch").status_code == 302  # a receiving station is not a dispatch station
    set_station(client, "Dispatch 1", StationKind.DISPATCH)
    page = client.get("/depot/dispatch").get_data(as_text=True)
    assert "Dispatch 1" in page and 'name="code"' in page and "autofocus" in page


def test_scanning_by_post_packs_devices_into_one_parcel(client, packer, ready):
    tags = [d.tag_code for d in ready.devices]
    first = client.post("/depot/dispatch", data={"code": tags[0]})
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    parcel = parcel_of(ready.devices[0])
    assert f"Parcel {parcel.code}" in page and "Packed" in page and 'data-result="success"' in page
    client.post("/depot/dispatch", data={"code": tags[1]})
    assert parcel_of(ready.devices[1]) == parcel
    again = client.post("/depot/dispatch", data={"code": tags[1]})
    assert again.status_code == 422 and f"already in parcel {parcel.code}" in again.get_data(as_text=True)


def test_the_page_script_gets_each_scan_as_data(client, packer, ready):
    tags = [d.tag_code for d in ready.devices]
    opened = client.post("/depot/dispatch", data={"code": tags[0]}, headers=FETCH).json
    assert opened["level"] == "success" and opened["reload"] is True and opened["count"] == 1
    packed = client.post("/depot/dispatch", data={"code": tags[1]}, headers=FETCH).json
    device = ready.devices[1]
    parcel = parcel_of(device)
    assert packed["reload"] is False and packed["count"] == 2
    assert packed["device"] == {
        "tag": tags[1], "device": f"{device.manufacturer} {device.model}", "serial": device.serial_number,
        "order": ready.number, "outcome": "Repaired", "status": "Ready to ship", "in_parcel": True,
        "remove": f"/depot/dispatch/parcels/{parcel.id}/devices/{device.id}/remove", "photos": "0 of 3",
        "photos_complete": False}
    wrong = client.post("/depot/dispatch", data={"code": "nonsense"}, headers=FETCH).json
    assert wrong["level"] == "error" and wrong["reload"] is False and wrong["count"] == 2
    reopened = client.post("/depot/dispatch", data={"code": parcel.code}, headers=FETCH).json
    assert reopened["level"] == "success" and reopened["reload"] is False  # it was already open


def test_the_carrier_form_shows_errors_beside_fields_and_keeps_what_was_typed(client, packer, ready):
    client.post("/depot/dispatch", data={"code": ready.devices[0].tag_code})
    parcel = parcel_of(ready.devices[0])
    wrong = client.post(f"/depot/dispatch/parcels/{parcel.id}/carrier",
                        data={"carrier": "dpd", "tracking_number": "12 3", "carrier_name": ""})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert 'id="tracking_number-error"' in page and "A DPD tracking number has 14 digits; “123” has 3." in page
    assert 'value="12 3"' in page and '<option selected value="dpd">' in page
    no_name = client.post(f"/depot/dispatch/parcels/{parcel.id}/carrier",
                          data={"carrier": "other", "tracking_number": "AB-1", "carrier_name": ""})
    assert 'id="carrier_name-error"' in no_name.get_data(as_text=True)
    assert parcel_of(ready.devices[0]).tracking_number == ""

    saved = client.post(f"/depot/dispatch/parcels/{parcel.id}/carrier",
                        data={"carrier": "ups", "tracking_number": "1z999aa10123456784"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/depot/dispatch")
    parcel = parcel_of(ready.devices[0])
    assert (parcel.carrier, parcel.tracking_number) == (Carrier.UPS, "1Z999AA10123456784")
    page = client.get("/depot/dispatch").get_data(as_text=True)
    assert "1Z999AA10123456784" in page and 'rel="noopener noreferrer"' in page


def test_a_device_is_taken_out_and_the_packing_list_printed(client, packer, ready):
    for device in ready.devices:
        client.post("/depot/dispatch", data={"code": device.tag_code})
    parcel = parcel_of(ready.devices[0])
    response = client.post(f"/depot/dispatch/parcels/{parcel.id}/devices/{ready.devices[2].id}/remove")
    assert response.status_code == 302
    assert parcel_of(ready.devices[0]).devices == ready.devices[:2]
    pdf = client.get(f"/depot/parcels/{parcel.id}/packing-list.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert client.get("/depot/parcels/999/packing-list.pdf").status_code == 404


def test_pick_up_page_lists_waiting_parcels_and_ships_the_scanned_one(client, packer, ready, take_photos):
    for device in ready.devices:
        client.post("/depot/dispatch", data={"code": device.tag_code})
        take_photos(device, "dispatch")
    db.session.commit()
    parcel = parcel_of(ready.devices[0])
    page = client.get("/depot/pickup").get_data(as_text=True)
    assert parcel.code in page and "No tracking number" in page
    refused = client.post("/depot/pickup", data={"code": parcel.code}, headers=FETCH).json
    assert refused["level"] == "error" and "no carrier" in refused["message"]

    client.post(f"/depot/dispatch/parcels/{parcel.id}/carrier",
                data={"carrier": "poczta_polska", "tracking_number": "RR123456785PL"})
    assert "Ready" in client.get("/depot/pickup").get_data(as_text=True)
    answer = client.post("/depot/pickup", data={"code": "rr123456785pl"}, headers=FETCH).json
    assert answer == {"level": "success", "message": answer["message"], "reload": False, "parcel": parcel.code,
                      "picked_up": True}
    parcel = parcel_of(ready.devices[0])
    assert parcel.state == ParcelState.PICKED_UP and all(d.status == S.SHIPPED for d in parcel.devices)
    assert parcel.code not in client.get("/depot/pickup").get_data(as_text=True)
    again = client.post("/depot/pickup", data={"code": parcel.code})
    assert again.status_code == 422 and "already picked up" in again.get_data(as_text=True)


def test_only_dispatch_staff_and_supervisors_use_the_station(client, login, make_staff, ready):
    login(make_staff(Role.RECEIVING))
    set_station(client, "Dispatch 1", StationKind.DISPATCH)
    for url in ["/depot/dispatch", "/depot/pickup"]:
        assert client.get(url).status_code == 403
        assert client.post(url, data={"code": ready.devices[0].tag_code}).status_code == 403
    assert client.get("/depot/parcels/1/packing-list.pdf").status_code == 403
    assert ready.devices[0].parcel_id is None
    login(make_staff(Role.SUPERVISOR))
    assert client.get("/depot/dispatch").status_code == 200
