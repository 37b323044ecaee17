"""Two receiving stations scanning the same device at the same moment: exactly one receives it."""

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import DeviceStatus, Role, Station, StationKind, Transition
from tests.conftest import PASSWORD


def station_client(app, staff, name):
    """A browser at its own station: its own cookies, logged in as its own receiving clerk."""
    station = Station(name=name, kind=StationKind.RECEIVING)
    db.session.add(station)
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": staff.email, "password": PASSWORD}).status_code == 302
    assert client.post("/depot/station", data={"station": str(station.id)}).status_code == 302
    return client


@pytest.mark.both_databases
def test_two_stations_scanning_one_device_make_one_transition(app, make_staff, make_company, make_order):
    order = make_order(make_company(), devices=8)
    stations = [station_client(app, make_staff(Role.RECEIVING, name=f"Clerk {n}"), f"Receiving {n}")
                for n in (1, 2)]
    tags = [d.tag_code for d in order.devices]
    db.session.remove()  # the threads read and write through their own connections
    answers: dict[str, list] = {tag: [] for tag in tags}

    def scan_all(client):
        for tag in tags:
            barrier.wait()
            response = client.post("/depot/receiving", data={"code": tag}, headers={"X-Requested-With": "fetch"})
            answers[tag].append((response.status_code, response.json))

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=scan_all, args=(client,)) for client in stations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for tag, pair in answers.items():
        levels = sorted(answer["level"] for _status, answer in pair)
        assert levels == ["error", "success"], (tag, pair)
        refused = next(answer for _status, answer in pair if answer["level"] == "error")
        # Whoever lost is told who won, at which station or when: never a stack trace or a retry prompt.
        assert "already received (by Clerk" in refused["message"] or "Already moved" in refused["message"], refused
    received = db.session.scalar(select(func.count()).select_from(Transition)
                                 .where(Transition.to_status == DeviceStatus.RECEIVED))
    assert received == len(tags)


def test_a_scan_that_finds_sqlite_busy_says_so_and_changes_nothing(tmp_path, smtp_server, make_staff, make_company,
                                                                  make_order, app):
    """Another writer holds SQLite's lock longer than the busy timeout: the station hears "try again".
    (SQLite only: PostgreSQL locks rows, and the test above covers it.)"""
    import sqlite3

    from portal import create_app
    from tests.conftest import RequestClient, settings_for_tests

    order = make_order(make_company(), devices=1)
    clerk = make_staff(Role.RECEIVING, name="Clerk")
    client = station_client(app, clerk, "Receiving 1")
    client.post("/depot/receiving", data={"code": order.number})
    tag = order.devices[0].tag_code
    impatient = create_app(settings_for_tests(app.config["SQLALCHEMY_DATABASE_URI"], smtp_server.port,
                                              SQLITE_BUSY_TIMEOUT_MS=100))
    impatient.test_client_class = RequestClient
    other = impatient.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    other.set_cookie("portal_station", client.get_cookie("portal_station").value)
    db.session.remove()

    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = other.post("/depot/receiving", data={"code": tag}, headers={"X-Requested-With": "fetch"})
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503
    assert response.json["level"] == "error" and "busy" in response.json["message"]
    assert db.session.scalar(select(func.count()).select_from(Transition)
                             .where(Transition.to_status == DeviceStatus.RECEIVED)) == 0
