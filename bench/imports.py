"""The spreadsheet import: upload to preview for 10,000 rows, and peak memory at 50,000 rows."""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import select

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
SAMPLE_10K = SAMPLES / "devices_10000.xlsx"


def openpyxl_floor(content: bytes) -> float:
    """openpyxl alone, read-only, just reading every cell of the file."""
    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    for sheet in workbook.worksheets:
        for _row in sheet.iter_rows(values_only=True):
            pass
    workbook.close()
    return time.perf_counter() - started


def measure_upload_to_preview(app: Flask, facts: dict, *, runs: int = 3) -> dict:
    """POST the file to a draft of the largest company and GET the preview, through the whole app."""
    from portal import orders
    from portal.extensions import db
    from portal.models import ImportBatch, User

    content = SAMPLE_10K.read_bytes()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == facts["admin_email"]))
        draft = orders.start_draft(user.company, owner=user, actor=user)
        db.session.commit()
        draft_id, email = draft.id, user.email
    client = app.test_client()
    client.post("/login", data={"email": email, "password": facts["password"]})
    times, floors = [], []
    for _ in range(runs):
        floors.append(openpyxl_floor(content))
        started = time.perf_counter()
        response = client.post(f"/orders/{draft_id}/import", content_type="multipart/form-data",
                               data={"file": (io.BytesIO(content), "devices_10000.xlsx")})
        assert response.status_code == 302, response.status_code
        preview = client.get(response.headers["Location"])
        assert preview.status_code == 200
        times.append(time.perf_counter() - started)
    with app.app_context():
        batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        rows = len(batch.rows)
        for old in db.session.scalars(select(ImportBatch).where(ImportBatch.order_id == draft_id)):
            db.session.delete(old)
        db.session.delete(db.session.get(orders.Order, draft_id))
        db.session.commit()
    return {"value": statistics.median(times), "floor": statistics.median(floors),
            "detail": {"rows": rows, "runs": runs, "times_s": [round(t, 3) for t in times],
                       "openpyxl_s": [round(t, 3) for t in floors]}}


def make_50k(path: Path) -> None:
    """50,000 rows: the 10,000-row sample five times over, serial numbers kept unique."""
    rows = CalamineWorkbook.from_path(str(SAMPLE_10K)).get_sheet_by_index(0).to_python()
    header, body = rows[0], rows[1:]
    serial = next(i for i, title in enumerate(header) if "serial" in str(title).lower())
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Devices")
    sheet.append(header)
    for copy in range(5):
        for row in body:
            row = list(row)
            row[serial] = f"{row[serial]}-{copy}"
            sheet.append(row)
    workbook.save(path)


PEAK_SCRIPT = """
import sys
from portal import create_app, imports
from portal.extensions import db
app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                  "IMPORT_MAX_ROWS": 100000})
with app.app_context():
    db.create_all()
    content = open(sys.argv[1], "rb").read()
    context = imports.context_for(None)
    result = imports.read_file(content, "devices_50000.xlsx", context=context)
    rows = len(result.rows)
# VmHWM is this process's own peak; ru_maxrss would carry the forking parent's peak over exec.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
import json
print(json.dumps({"rows": rows, "peak_rss_mb": peak_kb / 1024}))
"""


def measure_peak_rss() -> dict:
    """Peak RSS of a fresh process reading 50,000 rows, as the operating system reports it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "devices_50000.xlsx"
        make_50k(path)
        done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"the 50,000-row reader failed:\n{done.stderr}")
        output = done.stdout
    return json.loads(output.strip().splitlines()[-1])
