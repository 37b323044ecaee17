"""Report figures against a small depot computed by hand (tests/report_fixtures.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from portal import reports
from portal.errors import DomainError
from portal.extensions import db
from portal.models import ReportActivityDay, ReportSlaDay, ReportStageDay, ReportStatusDay, ReportWatermark
from tests import report_fixtures

MARCH = reports.Period(date(2025, 3, 1), date(2025, 3, 31))
APRIL = reports.Period(date(2025, 4, 1), date(2025, 4, 30))
FEB_MARCH = reports.Period(date(2025, 2, 1), date(2025, 3, 31))


@pytest.fixture
def depot(make_company, make_order, make_staff):
    built = report_fixtures.build(make_company, make_order, make_staff)
    reports.refresh()
    db.session.commit()
    return built


def table(data, n=0) -> dict:
    return {row[0]: row[1:] for row in data.tables[n].rows}


def near(value, hours) -> bool:
    return abs(float(value) - hours) <= 0.025 * hours


def summaries() -> dict:
    return {model.__tablename__: sorted(tuple(getattr(r, c.name) for c in model.__table__.columns)
                                        for r in db.session.scalars(select(model)))
            for model in (ReportStageDay, ReportStatusDay, ReportActivityDay, ReportSlaDay)}


def test_turnaround_median_and_90th_percentile_per_stage(depot):
    rows = table(reports.turnaround(MARCH))
    expected = {"Received": (2, 2, 2), "Diagnosis": (2, 2, 4), "Awaiting approval": (1, 18, 18),
                "Repair": (3, 6, 10), "Quality check": (3, 11, 14), "Receipt to ready to ship": (2, 24, 48)}
    for stage, (count, median, high) in expected.items():
        assert rows[stage][0] == count, stage
        assert near(rows[stage][1], median) and near(rows[stage][2], high), (stage, rows[stage])


def test_sla_counts_each_stage_on_the_day_it_ended(depot):
    march = table(reports.sla(MARCH))
    assert march["Diagnosis"] == [2, 0, Decimal("100.0")]
    assert march["Repair"] == [2, 0, Decimal("100.0")]
    assert march["Turnaround"] == [2, 0, Decimal("100.0")]
    both = table(reports.sla(FEB_MARCH))
    assert both["Diagnosis"] == [2, 1, Decimal("66.7")]
    assert both["Turnaround"] == [3, 0, Decimal("100.0")]


def test_technicians_count_the_check_for_the_repairer(depot):
    rows = table(reports.technicians(MARCH))
    assert rows["Tina Technician"] == [1, 2, 2, 1, Decimal("50.0")]
    assert rows["Tom Technician"] == [1, 1, 1, 0, Decimal("0.0")]
    assert "Tess Tester" not in rows


def test_a_period_ends_at_midnight_at_the_depot(depot):
    march, april = table(reports.statuses(MARCH)), table(reports.statuses(APRIL))
    # D was received at 23:30 on 31 March in Warsaw (21:30 UTC) and moved to diagnosis at 00:30 on 1 April
    # (still 31 March in UTC)
    assert march["Received"][1] == 3
    assert april["Diagnosis"][1] == 1
    assert "Received" not in april or april["Received"][1] == 0
    assert march["Ready to ship"][0] == 3  # now: A, B, C


def test_repeat_repairs(depot):
    data = reports.repeats(MARCH)
    assert data.tables[0].rows == [[3, 1, Decimal("33.3")]]
    assert table(data, 1) == {"Zebra TC52": [1]}
    assert table(data, 2) == {"Tina Technician": [1]}
    assert reports.repeats(APRIL).tables[0].rows == [[0, 0, None]]


def test_quote_acceptance_by_variant(depot):
    data = reports.quotes(MARCH)
    assert data.tables[0].rows == [[2, 2, Decimal("100.0")]]
    variants = table(reports.quotes(FEB_MARCH), 1)
    assert variants["Required lines"] == [1, Decimal("33.3")]
    assert variants["All lines (recommended)"] == [1, Decimal("33.3")]
    assert variants["Declined"] == [1, Decimal("33.3")]
    assert reports.quotes(FEB_MARCH).tables[0].rows == [[3, 2, Decimal("66.7")]]


def test_revenue_and_margin_per_customer_and_order(depot, app):
    app.config["TECHNICIAN_HOURLY_COST"] = "30.00"
    data = reports.revenue(MARCH)
    customer = table(data, 0)["Acme Logistics Sp. z o.o."]
    # 100 + 60 - 50 revenue; parts 2 x 20 - 1 x 20; A's 120 minutes at 30.00 an hour (B is not invoiced)
    assert customer == [Decimal("110.00"), Decimal("20.00"), 120, Decimal("60.00"), Decimal("30.00"),
                        Decimal("27.3")]
    (order_row,) = data.tables[1].rows
    assert order_row[1:] == customer
    assert all(isinstance(v, Decimal) for v in customer if not isinstance(v, int))
    assert reports.revenue(APRIL).tables[0].rows == []


def test_refresh_twice_changes_nothing_and_batches_add_up_to_a_rebuild(depot):
    before = summaries()
    assert reports.refresh() == 0
    assert summaries() == before
    # from scratch, three transitions a batch: the same figures
    for model in (ReportStageDay, ReportStatusDay, ReportActivityDay, ReportSlaDay, ReportWatermark):
        db.session.execute(delete(model))
    assert reports.refresh(batch=3) > 0
    assert summaries() == before


def test_a_claimed_batch_is_not_counted_twice(depot, monkeypatch):
    """A second worker that read the watermark before the first moved it finds its claim refused."""
    before = summaries()
    monkeypatch.setattr(reports, "_watermark", lambda: 0)  # the stale value it read
    assert reports.refresh() == 0
    assert summaries() == before


@pytest.mark.parametrize(("start", "end", "field"), [
    ("2025-02-30", "2025-03-01", "from"), ("2025-03-02", "2025-03-01", "to"), ("2020-01-01", "2025-01-01", "from"),
    ("2025-01-01", "", "to"),
])
def test_bad_periods_are_refused_naming_the_field(start, end, field, app):
    with pytest.raises(DomainError) as refused:
        reports.parse_period(start, end)
    assert refused.value.field == field


def test_presets(app):
    today = date(2025, 3, 31)
    assert reports.preset_period("this_month", today) == reports.Period(date(2025, 3, 1), today)
    assert reports.preset_period("last_3_months", today) == reports.Period(date(2025, 1, 1), today)
    assert reports.preset_period("last_12_months", today) == reports.Period(date(2024, 4, 1), today)


def test_buckets_are_within_two_per_cent():
    for seconds in (61, 3600, 7 * 3600, 86400 * 3.3, 86400 * 400):
        assert abs(reports.bucket_seconds(reports.bucket_of(seconds)) - seconds) <= 0.02 * seconds


def test_chart_labels_from_user_text_are_never_markup():
    from portal import report_charts
    from portal.reports import Chart

    svg = str(report_charts.draw(Chart("bars", "Revenue <b>", ['<script>alert("x")</script> GmbH'], [[1]],
                                       ["Net"])))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
