"""What a check needs from the database: categories, serials in open orders, the limits."""

from __future__ import annotations

from datetime import date

import pytest

from portal import orders, workflow
from portal.extensions import db
from portal.imports import FileRefused, context_for, read_file
from portal.models import DeviceStatus
from tests.conftest import device_row
from tests.imports.conftest import xlsx_bytes

pytestmark = pytest.mark.both_databases


def test_categories_by_name_and_open_orders_serials(app, make_company, make_order, make_category):
    laptop = make_category("Laptop")
    retired = make_category("Fax machine")
    retired.is_active = False
    user = make_company()
    other = make_company()
    open_order = make_order(user, rows=[device_row(1, serial_number="ab-1 "), device_row(2, serial_number="AB-2")])
    cancelled = make_order(user, rows=[device_row(3, serial_number="AB-3")])
    orders.cancel_order(cancelled, actor=user)
    make_order(other, rows=[device_row(4, serial_number="AB-4")])
    workflow.move(open_order.devices[1], DeviceStatus.CANCELLED, actor=user)  # taken off the order
    db.session.commit()

    context = context_for(user.company, today=date(2026, 1, 2))

    assert context.categories == {"laptop": laptop.id}
    assert context.existing_serials == {"AB-1": open_order.number}
    assert context.today == date(2026, 1, 2)
    assert (context.max_rows, context.max_bytes) == (100_000, 20 * 1024 * 1024)
    assert context_for(None).existing_serials == {}


def test_the_limits_come_from_the_apps_config(app, make_company):
    app.config.update(IMPORT_MAX_ROWS=2, IMPORT_MAX_BYTES=50_000)
    context = context_for(make_company().company)
    rows = [["Make", "Model", "Serial", "Fault"], *[["HP", "M", f"S{n}", "Jam"] for n in range(3)]]

    with pytest.raises(FileRefused) as too_many:
        read_file(xlsx_bytes(rows), "three.xlsx", context=context)
    with pytest.raises(FileRefused) as too_large:
        read_file(b"Make;Model;Serial;Fault\n" + b"x;" * 30_000, "big.csv", context=context)

    assert (too_many.value.code, too_large.value.code) == ("too_many_rows", "too_large")


def test_a_known_category_is_read_by_name_in_any_case(app, make_company, make_category):
    laptop = make_category("Laptop")
    data = xlsx_bytes([["Make", "Model", "Serial", "Fault", "Category"], ["Dell", "5430", "D1", "Keys", "laptop "],
                       ["Dell", "5430", "D2", "Keys", "Toaster"]])

    result = read_file(data, "c.xlsx", context=context_for(make_company().company))

    assert [r.cleaned["category_id"] for r in result.rows] == [laptop.id, None]
    assert [(p.cell, p.level) for p in result.problems] == [("E3", "warning")]
