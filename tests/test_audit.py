"""The audit log: admin changes become entries with old and new values; secrets never appear."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import select

from portal import accounts, staff
from portal.extensions import db
from portal.models import AuditEntry, DeviceCategory, Holiday, Role, Station, StationKind, TaxRate


@contextmanager
def request_as(app, user):
    """A request of `user`, as a view would run it."""
    with app.test_request_context("/admin/"):
        if user is not None:
            login_user(user)
        try:
            yield
        finally:
            g.pop("_login_user", None)


def entries(**where) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(db.session.scalars(query))


def test_creating_changing_and_deleting_a_setting_is_logged_with_values(app, make_staff):
    admin = make_staff(Role.ADMIN)
    with request_as(app, admin):
        category = DeviceCategory(name="Laptop")
        db.session.add(category)
        db.session.commit()
        category.name = "Notebook"
        category.is_active = False
        db.session.commit()
        db.session.delete(category)
        db.session.commit()
    created, *changed, deleted = entries(entity="device_categories")
    assert (created.action, created.actor_id, created.entity_id) == ("created", admin.id, category.id)
    assert "name: Laptop" in created.new_value
    assert {(e.field, e.old_value, e.new_value) for e in changed} == {
        ("name", "Laptop", "Notebook"), ("is_active", "yes", "no")}
    assert deleted.action == "deleted" and "name: Notebook" in deleted.old_value
    assert all(e.at.tzinfo is not None for e in entries())


def test_staff_roles_are_logged_and_password_hashes_never(app, make_staff):
    admin = make_staff(Role.ADMIN)
    with request_as(app, admin):
        person = staff.create_staff(email="tina@depot.example", name="Tina", roles=[Role.TECHNICIAN],
                                    password="blue-tractor-77", actor=admin)
        db.session.commit()
        staff.update_staff(person, name="Tina Tech", roles=[Role.TECHNICIAN, Role.TESTER], is_active=True,
                           actor=admin)
        accounts.set_password(person, "green-tractor-88")
        db.session.commit()
    [created] = entries(entity="users", action="created")
    assert "roles: technician" in created.new_value and "password_hash: (changed)" in created.new_value
    changes = {e.field: (e.old_value, e.new_value) for e in entries(entity="users", action="changed")}
    assert changes["name"] == ("Tina", "Tina Tech")
    assert changes["roles"] == ("technician", "technician, tester")
    assert changes["password_hash"] == ("(changed)", "(changed)")
    text = " ".join(e.old_value + e.new_value for e in entries())
    assert person.password_hash not in text and "scrypt" not in text


def test_the_second_factor_secret_is_never_written(app, make_staff):
    from portal import second_factor
    from tests.conftest import TOTP_SECRET

    admin, manager = make_staff(Role.ADMIN), make_staff(Role.ACCOUNT_MANAGER)
    with request_as(app, admin):
        second_factor.disable(manager, actor=admin)
        db.session.commit()
    changes = {e.field: (e.old_value, e.new_value) for e in entries(entity="users")}
    assert changes["totp_secret_encrypted"] == ("(changed)", "")
    assert "totp_enabled_at" in changes
    assert TOTP_SECRET not in str(changes)


def test_contract_fields_of_companies_are_logged_but_not_their_addresses(app, make_staff, make_company):
    admin = make_staff(Role.ADMIN)
    company = make_company().company
    with request_as(app, admin):
        company.contract_discount = Decimal("7.50")
        company.approval_po_required = True
        company.city = "Kraków"
        db.session.commit()
    changes = {e.field: (e.old_value, e.new_value) for e in entries(entity="companies")}
    assert changes == {"contract_discount": ("0.00", "7.50"), "approval_po_required": ("no", "yes")}


def test_customers_jobs_and_scans_are_not_admin_changes(app, make_staff, make_company):
    customer = make_company()
    clerk = make_staff(Role.RECEIVING)
    station = Station(name="Receiving 1", kind=StationKind.RECEIVING)
    db.session.add(station)  # no request: a CLI command or a job
    db.session.commit()
    with request_as(app, customer):
        db.session.add(Holiday(day=date(2026, 12, 24), name="Christmas Eve"))
        db.session.commit()
    with request_as(app, clerk):
        station.current_stage = "intake"  # a scan moves the station's device: not a setting
        db.session.commit()
    assert entries() == []


@pytest.mark.parametrize("make_row, table", [
    (lambda: TaxRate(name="VAT 23", rate=Decimal("23")), "tax_rates"),
    (lambda: Holiday(day=date(2026, 11, 11), name="Independence Day"), "holidays"),
])
def test_each_kept_table_is_logged(app, make_staff, make_row, table):
    admin = make_staff(Role.ADMIN)
    with request_as(app, admin):
        db.session.add(make_row())
        db.session.commit()
    assert [e.action for e in entries(entity=table)] == ["created"]


def test_a_rolled_back_change_leaves_no_entry(app, make_staff):
    admin = make_staff(Role.ADMIN)
    with request_as(app, admin):
        db.session.add(DeviceCategory(name="Tablet"))
        db.session.flush()
        db.session.rollback()
    assert entries() == []
