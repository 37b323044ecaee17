"""The `flask staff`, `flask jobs` and `flask demo` commands."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Company, OutboxMessage, Role, User
from tests.conftest import PASSWORD


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_create_makes_a_staff_member_who_can_log_in(runner, client):
    result = runner.invoke(args=["staff", "create", "Tess@Depot.example", "--name", "Tess Tester",
                                 "--role", "tester", "--role", "technician", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "tess@depot.example" in result.output
    person = db.session.scalar(select(User).where(User.email == "tess@depot.example"))
    assert person.is_staff and person.role_set == {Role.TESTER, Role.TECHNICIAN}
    response = client.post("/login", data={"email": "tess@depot.example", "password": PASSWORD})
    assert response.status_code == 302 and urlsplit(response.location).path == "/depot/"


def test_staff_create_without_a_password_mails_an_invitation(runner, send_mail):
    result = runner.invoke(args=["staff", "create", "ada@depot.example", "--name", "Ada", "--role", "admin"])
    assert result.exit_code == 0, result.output
    [message] = send_mail().to("ada@depot.example")
    assert "/invitation/" in send_mail().text(message)


def test_staff_create_with_a_taken_email_fails_clearly(runner, make_staff):
    existing = make_staff(Role.ADMIN)
    result = runner.invoke(args=["staff", "create", existing.email, "--name", "Again", "--role", "tester",
                                 "--password", PASSWORD])
    assert result.exit_code != 0
    assert "An account with this e-mail already exists." in result.output
    assert "Traceback" not in result.output
    assert count(User) == 1


def test_staff_create_with_a_weak_password_fails_clearly(runner):
    result = runner.invoke(args=["staff", "create", "weak@depot.example", "--name", "Weak", "--role", "tester",
                                 "--password", "short"])
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0


def test_staff_create_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["staff", "create", "x@depot.example", "--name", "X", "--role", "wizard"])
    assert result.exit_code != 0 and "wizard" in result.output
    assert count(User) == 0


def test_jobs_run_sends_the_queued_mail_once(runner, make_company, mailbox):
    user = make_company()
    assert count(OutboxMessage) == 2
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "mail: 2" in result.output
    assert len(mailbox.to(user.email)) == 1
    result = runner.invoke(args=["jobs", "run"])
    assert "mail: 0" in result.output
    assert len(mailbox.to(user.email)) == 1


def test_demo_load_twice_creates_the_data_once_and_prints_every_login(runner, client):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    users, companies = count(User), count(Company)
    assert users > 10 and companies == 2
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert (count(User), count(Company)) == (users, companies)
    assert second.output == first.output

    lines = [line for line in first.output.splitlines() if "@" in line]
    assert len(lines) == users
    emails = set()
    for line in lines:
        [email] = re.findall(r"[\w.+-]+@[\w.-]+\.example", line)
        assert line.rstrip().endswith(DEMO_PASSWORD)
        emails.add(email)
    assert emails == set(db.session.scalars(select(User.email)))

    for email in ["admin@depot.example", "olga@nordlog.example", "jan@nordlog.example"]:
        client.post("/logout")
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email


def test_the_demo_shows_every_station_of_the_depot(runner, client):
    from portal.models import Device, DeviceStatus, Order, Parcel, ParcelState, Photo

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    statuses = set(db.session.scalars(select(Device.status)))
    assert {DeviceStatus.REGISTERED, DeviceStatus.RECEIVED, DeviceStatus.MISSING, DeviceStatus.DIAGNOSIS,
            DeviceStatus.READY_TO_SHIP, DeviceStatus.SHIPPED, DeviceStatus.DELIVERED} <= statuses
    assert count(Photo) >= 15
    parcels = db.session.scalars(select(Parcel)).all()
    assert {p.state for p in parcels} == {ParcelState.PACKING, ParcelState.PICKED_UP, ParcelState.DELIVERED}
    assert all(p.tracking_number for p in parcels if p.state != ParcelState.PACKING)
    assert db.session.scalar(select(Device).where(Device.repeat_of_id.is_not(None))) is not None
    assert db.session.scalar(select(Device).where(Device.added_at_receiving.is_(True))) is not None
    assert db.session.scalar(select(Order).where(Order.receiving_closed_at.is_not(None))) is not None
    # the customer sees the photos of her shipped device
    shipped = db.session.scalar(select(Device).where(Device.status == DeviceStatus.SHIPPED))
    response = client.post("/login", data={"email": "olga@nordlog.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(f"/devices/{shipped.id}").get_data(as_text=True)
    assert "Intake photos" in page and "Dispatch photos" in page and "Track the parcel" in page


def test_the_demo_shows_the_bench_quotes_and_the_quality_check(runner, client):
    from portal.models import Device, DeviceStatus, PriceItem, Quote, QuoteState

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    statuses = set(db.session.scalars(select(Device.status)))
    assert {DeviceStatus.AWAITING_APPROVAL, DeviceStatus.REPAIR, DeviceStatus.WAITING_FOR_PARTS,
            DeviceStatus.QUALITY_CHECK} <= statuses
    assert {q.state for q in db.session.scalars(select(Quote))} == {QuoteState.SENT, QuoteState.DECIDED}
    assert count(PriceItem) >= 10
    waiting = db.session.scalar(select(Device).where(Device.status == DeviceStatus.AWAITING_APPROVAL))
    assert client.post("/login", data={"email": "olga@nordlog.example", "password": DEMO_PASSWORD}).status_code == 302
    page = client.get(f"/orders/{waiting.order_id}/approval").get_data(as_text=True)
    assert waiting.tag_code in page and "Accept the recommended repair" in page


def test_the_demo_shows_an_invoice_half_paid_and_a_desk_with_deadlines(runner):
    from portal import deadlines
    from portal.models import Invoice

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    [invoice] = db.session.scalars(select(Invoice)).all()
    assert invoice.paid_amount * 2 in (invoice.gross, invoice.gross + Decimal("0.01"))
    states = {due.state for _device, due in deadlines.open_devices_due()}
    assert "overdue" in states


def test_the_demo_shows_custom_fields_on_orders_devices_and_in_the_form(runner, client):
    from portal.models import CustomField, Order, OrderState

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert {f.label for f in db.session.scalars(select(CustomField))} == {"Cost centre", "Site", "Lease end"}
    assert client.post("/login", data={"email": "olga@nordlog.example", "password": DEMO_PASSWORD}).status_code == 302
    order = db.session.scalar(select(Order).where(Order.po_reference == "PO-2026-118"))
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Cost centre" in page and "CC-4700" in page and "Warehouse Gdańsk" in page
    draft = db.session.scalar(select(Order).where(Order.state == OrderState.DRAFT))
    assert "Head office Warsaw" in client.get(f"/orders/{draft.id}/edit").get_data(as_text=True)
