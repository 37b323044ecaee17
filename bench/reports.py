"""Every report over the last 12 months of all the bench's devices, as the admin's browser asks
for it (the page, charts and tables; and the .xlsx download, reported beside it)."""

from __future__ import annotations

import gc
import statistics
import time

from flask import Flask
from sqlalchemy import select

from portal import reports, second_factor
from portal.extensions import db
from portal.models import Role, StaffRole, User

RUNS = 3
BENCH_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def admin_client(app: Flask):
    """A client signed in as the bench's admin (the session a login with the second factor leaves)."""
    with app.app_context():
        admin_id = db.session.scalar(select(StaffRole.user_id).where(StaffRole.role == Role.ADMIN).limit(1))
        admin = db.session.get(User, admin_id)
        if not second_factor.is_enrolled(admin):  # admins may do nothing before they have one
            second_factor.enrol_known_secret(admin, BENCH_TOTP_SECRET)
            db.session.commit()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin_id)
        session["_fresh"] = True
    return client


def measure_reports(app: Flask, facts: dict, *, runs: int = RUNS) -> dict:
    client = admin_client(app)
    detail = {}
    for name in reports.REPORTS:
        timings = {}
        for kind, url in (("page", f"/admin/reports?report={name}&preset=last_12_months"),
                          ("xlsx", f"/admin/reports/{name}.xlsx?preset=last_12_months")):
            times = []
            for _ in range(runs + 1):  # the first warms the caches up
                gc.collect()
                started = time.perf_counter()
                response = client.get(url)
                took = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url}: {response.status_code}")
                times.append(took)
            timings[kind] = times[1:]
        detail[name] = {"page_s": round(max(timings["page"]), 3),
                        "page_median_s": round(statistics.median(timings["page"]), 3),
                        "xlsx_s": round(max(timings["xlsx"]), 3)}
    slowest = max(detail, key=lambda n: detail[n]["page_s"])
    return {"value": detail[slowest]["page_s"], "slowest": slowest, "detail": detail}
