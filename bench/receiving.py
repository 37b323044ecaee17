"""The receiving scan: code in, device found, transition recorded, response out."""

from __future__ import annotations

import statistics
import time

from flask import Flask, Response
from sqlalchemy import select, update

from bench.measure import p95


def add_floor(app: Flask) -> None:
    """DESIGN's floor: a bare route that looks a device up by tag code, updates one column and commits."""
    from portal.extensions import db
    from portal.models import Device

    def floor(tag: str):
        device = db.session.scalar(select(Device).where(Device.tag_code == tag))
        db.session.execute(update(Device).where(Device.id == device.id).values(accessories=device.accessories))
        db.session.commit()
        return Response(device.tag_code, mimetype="text/plain")

    app.add_url_rule("/__bench/scan-floor/<tag>", "bench_scan_floor", floor)


def measure_receiving(app: Flask, facts: dict, *, scans: int = 200) -> dict:
    """POST tag codes of registered devices to the receiving station as its page sends a scan, one order open."""
    from portal.extensions import db
    from portal.models import Device, DeviceStatus, Order, Role, StaffRole, Station, StationKind, User

    with app.app_context():
        station = db.session.scalar(select(Station).where(Station.name == "Bench receiving"))
        if station is None:
            station = Station(name="Bench receiving", kind=StationKind.RECEIVING)
            db.session.add(station)
        receiver = db.session.scalar(select(User).join(StaffRole).where(StaffRole.role == Role.RECEIVING).limit(1))
        rows = db.session.execute(
            select(Device.tag_code, Order.number).join(Order, Device.order_id == Order.id)
            .where(Device.status == DeviceStatus.REGISTERED).order_by(Device.order_id.desc(), Device.id)
            .limit(scans + 20)).all()
        tags = [tag for tag, _number in rows]
        order_of = dict(rows)
        db.session.commit()
        station_id, email = station.id, receiver.email
    assert len(tags) >= scans + 20, "the bench data needs registered devices"
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": facts["password"]}).status_code == 302
    client.post("/depot/station", data={"station": str(station_id)})
    times, floors = [], []
    open_order = None
    for i, tag in enumerate(tags[: scans + 20]):
        if order_of[tag] != open_order:  # the logistics document first, as at the station (not timed)
            open_order = order_of[tag]
            assert client.post("/depot/receiving", data={"code": open_order}).status_code == 200
        started = time.perf_counter()
        response = client.post("/depot/receiving", data={"code": tag}, headers={"X-Requested-With": "fetch"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        started = time.perf_counter()
        client.get(f"/__bench/scan-floor/{tag}")
        floor = time.perf_counter() - started
        if i >= 20:  # warm-up
            times.append(elapsed * 1000)
            floors.append(floor * 1000)
    with app.app_context():  # put the devices back, so the next run finds them registered
        from portal.models import Transition

        ids = db.session.scalars(select(Device.id).where(Device.tag_code.in_(tags))).all()
        db.session.execute(Transition.__table__.delete().where(
            Transition.device_id.in_(ids), Transition.to_status == DeviceStatus.RECEIVED,
            Transition.station == "Bench receiving"))
        db.session.execute(update(Device).where(Device.id.in_(ids)).values(status=DeviceStatus.REGISTERED))
        from portal.models import DeferredMail  # the "box received" notes the scans left

        db.session.execute(DeferredMail.__table__.delete())
        db.session.commit()
    return {"value": p95(times), "floor": p95(floors),
            "detail": {"scans": len(times), "p50_ms": round(statistics.median(times), 2),
                       "floor_p50_ms": round(statistics.median(floors), 2)}}
