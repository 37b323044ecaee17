"""The receiving station page: set the browser to a station, then scan codes and press Enter."""

from portal.extensions import db
from portal.models import DeviceStatus, Role, Station, StationKind


def set_station(client, name="Receiving 1", kind=StationKind.RECEIVING):
    station = Station(name=name, kind=kind)
    db.session.add(station)
    db.session.commit()
    response = client.post("/depot/station", data={"station": str(station.id)})
    assert response.status_code == 302
    return station


def test_the_page_asks_for_a_station_first_and_remembers_it(client, login, make_staff):
    login(make_staff(Role.RECEIVING))
    response = client.get("/depot/receiving")
    assert response.status_code == 302 and response.headers["Location"].endswith("/depot/station")
    set_station(client)
    page = client.get("/depot/receiving").get_data(as_text=True)
    assert "Receiving 1" in page and 'name="code"' in page and "autofocus" in page


def test_scan_the_document_then_each_tag(client, login, make_staff, make_company, make_order):
    order = make_order(make_company(), devices=2)
    login(make_staff(Role.RECEIVING))
    set_station(client)
    page = client.post("/depot/receiving", data={"code": order.number}).get_data(as_text=True)
    assert "0 of 2 received" in page and order.devices[1].tag_code in page
    response = client.post("/depot/receiving", data={"code": order.devices[1].tag_code})
    assert response.status_code == 200 and "1 of 2" in response.get_data(as_text=True)
    db.session.refresh(order.devices[1])
    assert order.devices[1].status == DeviceStatus.RECEIVED
    again = client.post("/depot/receiving", data={"code": order.devices[1].tag_code})
    assert again.status_code == 422 and "already received" in again.get_data(as_text=True)
    assert 'data-result="error"' in again.get_data(as_text=True)


def test_only_receiving_staff_use_the_station(client, login, make_staff):
    login(make_staff(Role.TECHNICIAN))
    assert client.get("/depot/receiving").status_code == 403


def test_admin_registers_stations(client, login, make_staff):
    login(make_staff(Role.ADMIN))
    client.post("/admin/stations", data={"name": "Receiving 2", "kind": "receiving", "label_printer": "a4"})
    assert "Receiving 2" in client.get("/admin/stations").get_data(as_text=True)
    login(make_staff(Role.ACCOUNT_MANAGER))
    assert client.get("/admin/stations").status_code == 403


def test_the_page_script_gets_the_scan_result_as_data(client, login, make_staff, make_company, make_order):
    order = make_order(make_company(), devices=2)
    login(make_staff(Role.RECEIVING))
    set_station(client)
    fetch = {"X-Requested-With": "fetch"}
    opened = client.post("/depot/receiving", data={"code": order.number}, headers=fetch).json
    assert opened["reload"] is True and (opened["received"], opened["expected"]) == (0, 2)
    tag = order.devices[0].tag_code
    received = client.post("/depot/receiving", data={"code": tag}, headers=fetch).json
    assert received == {"level": "success", "message": received["message"], "reload": False, "received": 1,
                        "expected": 2, "device": {"tag": tag, "status": "Received"}}
    wrong = client.post("/depot/receiving", data={"code": "nonsense"}, headers=fetch).json
    assert wrong["level"] == "error" and wrong["reload"] is False and wrong["received"] == 1


def test_a_device_not_on_the_order_is_added_at_the_station_and_its_tag_printed(client, login, make_staff,
                                                                                 make_company, make_order, tmp_path):
    from tests.barcodes import decode_barcodes

    order = make_order(make_company(), devices=1)
    login(make_staff(Role.RECEIVING))
    set_station(client)
    client.post("/depot/receiving", data={"code": order.number})
    refused = client.post("/depot/receiving/unlisted", data={"serial": "", "model": "TC21"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Fill in this field" in page and 'value="TC21"' in page
    response = client.post("/depot/receiving/unlisted", data={"serial": "FOUND-7", "model": "TC21"})
    assert response.status_code == 302, response.get_data(as_text=True)[:6000]
    db.session.refresh(order)
    device = next(d for d in order.devices if d.serial_number == "FOUND-7")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Added {device.tag_code}" in page and "Not on the order" in page
    assert f"/depot/receiving/devices/{device.id}/tag.pdf" in page
    label = client.get(f"/depot/receiving/devices/{device.id}/tag.pdf")
    assert label.mimetype == "application/pdf"
    assert device.tag_code in decode_barcodes(label.data, tmp_path / "label")


def test_closing_receiving_at_the_station(client, login, make_staff, make_company, make_order):
    order = make_order(make_company(), devices=2)
    login(make_staff(Role.RECEIVING))
    set_station(client)
    client.post("/depot/receiving", data={"code": order.number})
    page = client.get("/depot/receiving").get_data(as_text=True)
    assert "Not arrived yet: box 1" in page  # nothing received: only the account manager may close
    assert "Only the account manager" in client.post("/depot/receiving/close", follow_redirects=True).get_data(
        as_text=True)
    client.post("/depot/receiving", data={"code": order.devices[0].tag_code})
    page = client.post("/depot/receiving/close", follow_redirects=True).get_data(as_text=True)
    assert f"Receiving of order {order.number} is closed; 1 devices are missing" in page
    db.session.refresh(order.devices[1])
    assert order.devices[1].status == DeviceStatus.MISSING


def test_the_account_manager_closes_receiving_from_the_order_page(client, login, make_staff, make_company,
                                                                 make_order):
    order = make_order(make_company(), devices=2)
    manager = make_staff(Role.ACCOUNT_MANAGER)
    login(manager)
    assert "Close receiving" in client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    page = client.post(f"/admin/orders/{order.id}/close-receiving", follow_redirects=True).get_data(as_text=True)
    assert "2 devices are missing" in page and "Receiving closed" in page
    login(make_staff(Role.CUSTOMER_CARE))
    assert client.post(f"/admin/orders/{order.id}/close-receiving").status_code == 403
