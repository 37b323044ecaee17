"""The measurements: each figure with its floor, measured in the same process on the same data."""

from __future__ import annotations

import calendar
import gc
import io
import math
import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Flask, Response
from sqlalchemy import event, select

from portal import create_app
from portal.extensions import db
from portal.models import Device, Order


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# -- the app -------------------------------------------------------------------------------

FLOOR_URL = "/__bench/floor/{company_id}"


def bench_app(url: str) -> Flask:
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "bench-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "MAIL_SUPPRESS_SEND": True,
    })

    def floor(company_id: int):
        """The floor of the order list: a bare route, no login, no template."""
        orders = db.session.scalars(
            select(Order).where(Order.company_id == company_id).order_by(Order.created_at.desc()).limit(25)
        ).all()
        return Response("\n".join(o.number or "" for o in orders), mimetype="text/plain")

    app.add_url_rule("/__bench/floor/<int:company_id>", "bench_floor", floor)
    from bench.receiving import add_floor

    add_floor(app)  # routes are added before the app serves its first request
    return app


class SqlClock:
    """Counts the statements of a request and their time, and remembers the slowest."""

    def __init__(self, engine):
        self.reset()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self):
        self.count, self.seconds, self.slowest = 0, 0.0, (0.0, "", None)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        self.count += 1
        self.seconds += took
        if took > self.slowest[0]:
            self.slowest = (took, statement, parameters)


# -- the customer order list ------------------------------------------------------------------

@dataclass
class Variant:
    name: str
    urls: list[str]
    expect: list[str | None] = field(default_factory=list)  # text the page must contain (a found order)
    times: list[float] = field(default_factory=list)
    sql_times: list[float] = field(default_factory=list)
    queries: int = 0
    slowest: tuple = (0.0, "", None)

    def summary(self) -> dict:
        return {"n": len(self.times), "p50_ms": round(statistics.median(self.times) * 1000, 2),
                "p95_ms": round(p95(self.times) * 1000, 2), "max_ms": round(max(self.times) * 1000, 2),
                "sql_p50_ms": round(statistics.median(self.sql_times) * 1000, 2), "queries": self.queries}

    def over_budget(self, seconds: float) -> bool:
        """A very slow filter stops early (at least 10 requests): its p95 is plain, the run stays short."""
        return len(self.times) >= 10 and sum(self.times) > seconds


def _months_ago(anchor: date, months: int) -> tuple[date, date]:
    year, month = anchor.year, anchor.month - months
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def order_list_variants(user_id: int, company_id: int, own_only: bool, anchor: date, rounds: int) -> list[Variant]:
    """The bounded mix of filters, with real search terms of the orders this user sees."""
    rng = random.Random(user_id)
    visible = select(Order.id).where(Order.company_id == company_id)
    if own_only:
        visible = visible.where(Order.owner_id == user_id)
    rows = db.session.execute(
        select(Device.id, Device.serial_number, Device.asset_tag, Order.number)
        .join(Order, Order.id == Device.order_id)
        .where(Device.company_id == company_id, Device.order_id.in_(visible))
    ).all()
    picks = rng.sample(rows, k=min(len(rows), rounds))
    tagged = [r for r in rows if r.asset_tag]
    tag_picks = rng.sample(tagged, k=min(len(tagged), rounds))
    months = [_months_ago(anchor, 2 + (i % 12)) for i in range(rounds)]
    states = ["cancelled", "accepted", "returned", "submitted"]
    return [
        Variant("no filter", ["/orders"]),
        Variant("page 5", ["/orders?page=5"]),
        Variant("search serial", [f"/orders?q={r.serial_number}" for r in picks], [r.number for r in picks]),
        Variant("search asset tag", [f"/orders?q={r.asset_tag}" for r in tag_picks], [r.number for r in tag_picks]),
        Variant("status=received", ["/orders?status=received"]),
        Variant("state filter", [f"/orders?state={s}" for s in states]),
        Variant("one month", [f"/orders?from={a.isoformat()}&to={b.isoformat()}" for a, b in months]),
        Variant("sort oldest", ["/orders?sort=oldest"]),
    ]


def measure_order_lists(app: Flask, facts: dict, *, rounds: int = 40, warmup: int = 5, budget_s: float = 4.0,
                        log=print) -> dict:
    """p95 of GET /orders over the mix, for the largest company's admin and its own-orders user."""
    from portal.models import User

    anchor = datetime.fromisoformat(facts["seeded_at"]).date()
    company_id = facts["largest_company_id"]
    people = {}
    with app.app_context():
        clock = SqlClock(db.engine)
        for who, email in (("largest company", facts["admin_email"]), ("own-orders user", facts["own_email"])):
            user = db.session.scalar(select(User).where(User.email == email))
            people[who] = {"variants": order_list_variants(user.id, company_id, not user.can_see_colleagues_orders,
                                                           anchor, rounds),
                           "email": email}
        db.session.remove()

    for person in people.values():
        client = app.test_client()
        response = client.post("/login", data={"email": person["email"], "password": facts["password"]})
        if response.status_code != 302:
            raise RuntimeError(f"bench login as {person['email']} failed: {response.status_code}")
        person["client"] = client

    floor = Variant("floor", [FLOOR_URL.format(company_id=company_id)])
    floor_client = app.test_client()

    def get(client, variant: Variant, i: int, timed: bool) -> None:
        url = variant.urls[i % len(variant.urls)]
        gc.collect(0)
        clock.reset()
        started = time.perf_counter()
        response = client.get(url)
        took = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        if variant.expect and variant.expect[i % len(variant.expect)] not in response.get_data(as_text=True):
            raise RuntimeError(f"GET {url}: the order it should find is not in the page")
        if timed:
            variant.times.append(took)
            variant.sql_times.append(clock.seconds)
            variant.queries = clock.count
            if clock.slowest[0] > variant.slowest[0]:
                variant.slowest = clock.slowest

    started = time.perf_counter()
    for i in range(warmup + rounds):
        timed = i >= warmup
        for person in people.values():
            for variant in person["variants"]:
                if variant.over_budget(budget_s):
                    continue
                get(person["client"], variant, i, timed)
                get(floor_client, floor, i, timed)
    count = sum(len(v.times) for p in people.values() for v in p["variants"])
    log(f"  order list: {count} timed requests (and {len(floor.times)} of the floor) "
        f"in {time.perf_counter() - started:.1f} s")
    return {"people": people, "floor": floor}


def explain(app: Flask, statement: str, parameters) -> list[str]:
    """The database's plan for a statement, as it ran (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL)."""
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement,
                                        parameters).all()
    if sqlite:  # (id, parent, notused, detail): indent by depth
        depth = {0: -1}
        lines = []
        for node, parent, _unused, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return lines
    return [row[0] for row in rows]


# -- the logistics PDF --------------------------------------------------------------------------

def reportlab_floor(codes: list[str]) -> bytes:
    """reportlab alone: the same 1,000 Code 128 barcodes (1 pt modules) on A4 pages, saved."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    per_page = 16
    for i, code in enumerate(codes):
        if i and i % per_page == 0:
            canvas.showPage()
        Code128(code, barWidth=1.0, barHeight=8 * mm, humanReadable=False).drawOn(
            canvas, 15 * mm, A4[1] - 25 * mm - (i % per_page) * 16 * mm)
    canvas.save()
    return buffer.getvalue()


def measure_logistics_pdf(app: Flask, facts: dict, *, runs: int = 5) -> dict:
    from flask_babel import force_locale

    from portal import documents

    with app.app_context(), force_locale("en"):
        order = db.session.get(Order, facts["big_order_id"])
        doc = documents.logistics_document(order)
        db.session.remove()
    codes = [d.tag_code for d in doc.devices]
    if len(codes) != facts["scale"]["big_order_devices"]:
        raise RuntimeError(f"the big order has {len(codes)} devices to print")

    def timed(fn, *args) -> tuple[float, bytes]:
        gc.collect()
        started = time.perf_counter()
        result = fn(*args)
        return time.perf_counter() - started, result

    timed(documents.build_logistics_pdf, doc)  # warm-up: font subsets, imports
    timed(reportlab_floor, codes)
    pdf_times, floor_times = [], []
    for _ in range(runs):
        took, pdf = timed(documents.build_logistics_pdf, doc)
        pdf_times.append(took)
        took, _floor = timed(reportlab_floor, codes)
        floor_times.append(took)
    return {
        "value": statistics.median(pdf_times), "floor": statistics.median(floor_times),
        "detail": {"devices": len(codes), "boxes": len(doc.boxes), "bytes": len(pdf),
                   "runs_s": [round(t, 3) for t in pdf_times], "floor_runs_s": [round(t, 3) for t in floor_times]},
    }
