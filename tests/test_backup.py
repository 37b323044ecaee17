"""`flask backup` and `flask restore`: a backup taken while the portal is in use comes back whole:
every order, photo (a real stored file) and invoice, on SQLite and, with TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from portal import backup
from portal.extensions import db
from portal.models import DeviceCategory, Invoice, InvoiceLine, Order, Photo, PhotoStage
from portal.storage import storage

pytestmark = pytest.mark.both_databases


def add_invoice(order, number: str) -> Invoice:
    invoice = Invoice(number=number, year=2026, sequence=int(number.rsplit("/", 1)[1]), company_id=order.company_id,
                      order_id=order.id, due_date=date(2026, 6, 1), currency="EUR", buyer={"name": "Buyer"},
                      seller={"name": "Depot"}, net=Decimal("100.00"), tax=Decimal("23.00"), gross=Decimal("123.00"))
    invoice.lines.append(InvoiceLine(description="Screen", kind="part", quantity=Decimal("1"),
                                     unit_price=Decimal("100.00"), amount=Decimal("100.00"), tax_rate=Decimal("23")))
    db.session.add(invoice)
    return invoice


def add_photo(device, n: int, data: bytes) -> Photo:
    key = f"photos/{device.id}/{n}.jpg"
    storage().put(key, data)
    photo = Photo(device_id=device.id, company_id=device.company_id, stage=PhotoStage.INTAKE, shot=f"shot {n}",
                  storage_key=key, thumbnail_key=key, content_type="image/jpeg", width=1, height=1,
                  size_bytes=len(data))
    db.session.add(photo)
    return photo


def snapshot() -> dict:
    db.session.expire_all()
    return {
        "orders": sorted((o.id, o.state.value, o.po_reference) for o in db.session.scalars(select(Order))),
        "invoices": sorted((i.number, str(i.gross), len(i.lines)) for i in db.session.scalars(select(Invoice))),
        "photos": sorted((p.storage_key, storage().get(p.storage_key) if storage().exists(p.storage_key) else None)
                         for p in db.session.scalars(select(Photo))),
    }


def needs_pg_tools(db_backend):
    if db_backend == "postgresql":
        for tool in ("pg_dump", "pg_restore"):
            if shutil.which(tool) is None:
                pytest.skip(f"{tool} is not on the PATH: install the PostgreSQL client tools")


def test_a_backup_taken_while_in_use_restores_every_order_photo_and_invoice(
        app, runner, db_backend, make_company, make_order, tmp_path):
    needs_pg_tools(db_backend)
    owner = make_company()
    orders = [make_order(owner, devices=2) for _ in range(3)]
    for n, device in enumerate(orders[0].devices):
        add_photo(device, n, f"jpeg bytes {n}".encode() * 100)
    add_invoice(orders[0], "INV/2026/1")
    add_invoice(orders[1], "INV/2026/2")
    db.session.commit()
    before = snapshot()

    # The portal is in use: another connection keeps writing while the backup runs.
    stop = threading.Event()
    written = []

    def keep_writing():
        with app.app_context():
            n = 0
            while not stop.is_set():
                db.session.add(DeviceCategory(name=f"Busy {n}"))
                db.session.commit()
                written.append(n)
                n += 1
            db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    assert f"{db_backend} database and 2 files" in result.output
    assert written, "the writer wrote while the backup ran"
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["database"]["kind"] == db_backend and manifest["files"]["count"] == 2
    assert len(manifest["files"]["sha256"]) == 2 and len(manifest["database"]["sha256"]) == 64

    # Things change after the backup: an order and an invoice go, a photo file is lost, one is overwritten.
    db.session.delete(db.session.scalar(select(Invoice).where(Invoice.number == "INV/2026/2")))
    db.session.execute(text("UPDATE orders SET po_reference = 'CHANGED'"))
    db.session.commit()
    photos = db.session.scalars(select(Photo)).all()
    storage().delete(photos[0].storage_key)
    storage().put(photos[1].storage_key, b"overwritten")
    assert snapshot() != before

    result = runner.invoke(args=["restore", str(tmp_path / "backup")], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Restore it now?" in result.output and "Restored" in result.output
    assert snapshot() == before
    # the restored database is whole and still writable
    if db_backend == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    db.session.add(DeviceCategory(name="After restore"))
    db.session.commit()


def test_restore_asks_first_and_changes_nothing_when_refused(app, runner, make_company, make_order, tmp_path):
    order = make_order(make_company(), devices=1)
    assert runner.invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    db.session.delete(order.devices[0])
    db.session.commit()
    result = runner.invoke(args=["restore", str(tmp_path / "b")], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert len(db.session.get(Order, order.id).devices) == 0
    assert runner.invoke(args=["restore", "--yes", str(tmp_path / "b")]).exit_code == 0
    db.session.expire_all()
    assert len(db.session.get(Order, order.id).devices) == 1


def test_a_damaged_or_incomplete_backup_is_refused_before_anything_changes(app, runner, make_company, tmp_path):
    make_company()
    folder = tmp_path / "b"
    storage().put("photos/1/a.jpg", b"photo")
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    (folder / "files" / "photos" / "1" / "a.jpg").write_bytes(b"tampered")
    storage().put("photos/1/a.jpg", b"current")
    result = runner.invoke(args=["restore", "--yes", str(folder)])
    assert result.exit_code == 1 and "does not match its checksum" in result.output
    assert "Traceback" not in result.output
    assert storage().get("photos/1/a.jpg") == b"current"
    os.remove(folder / "files" / "photos" / "1" / "a.jpg")
    result = runner.invoke(args=["restore", "--yes", str(folder)])
    assert result.exit_code == 1 and "missing" in result.output


def test_a_backup_needs_an_empty_folder_and_a_restore_a_backup(app, runner, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    result = runner.invoke(args=["backup", str(tmp_path / "full")])
    assert result.exit_code == 1 and "not empty" in result.output
    result = runner.invoke(args=["restore", "--yes", str(tmp_path / "full")])
    assert result.exit_code == 1 and "no manifest.json" in result.output


def test_a_manifest_cannot_point_outside_the_storage(app, runner, tmp_path):
    folder = tmp_path / "b"
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["sha256"]["../../escape"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(backup.BackupError, match="outside the storage"):
        backup.read_manifest(folder)


def test_postgresql_round_trip_runs_when_configured():
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL is not set: the backup round trip ran on SQLite only")
    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "PostgreSQL client tools are missing"
