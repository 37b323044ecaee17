"""A small depot with hand-computed figures for the reports (times at the depot, Europe/Warsaw).

Device A (paid): received Mon 3 March 2025 09:00, diagnosis 11:00, quote sent 15:00, approved Tue
09:00, repaired 19:00, fails the check 20:00, repaired again 22:00, passes Wed 09:00.
Device B (warranty): received 3 March 10:00, diagnosis 12:00, repair 14:00, check 20:00, passes Tue 10:00.
Device C: received Mon 3 February 09:00, diagnosis 10:00, beyond repair Mon 10 February (diagnosis
deadline missed), ready to ship 11 February.
Device D: received 31 March 23:30, diagnosis 1 April 00:30 (the period boundary at the depot).
Device E: a repeat of A, registered 20 March.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from portal.extensions import db
from portal.models import (
    Decision,
    Device,
    DeviceStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    Quote,
    QuoteState,
    Role,
    Transition,
    WorkEntry,
    WorkKind,
)

S = DeviceStatus
WARSAW = ZoneInfo("Europe/Warsaw")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def history(device: Device, *steps) -> None:
    """Transitions (status, at, actor) after the device's registration, which moves a day earlier."""
    for transition in device.transitions:
        transition.at = steps[0][1] - timedelta(days=1)
    for status, when, actor in steps:
        db.session.add(Transition(device_id=device.id, from_status=device.status, to_status=status, at=when,
                                  actor_id=actor.id if actor else None))
        device.status = status
        device.status_changed_at = when
    db.session.flush()
    db.session.expire(device, ["transitions"])


@dataclass
class Depot:
    a: Device
    b: Device
    c: Device
    d: Device
    e: Device
    technician: object
    technician2: object
    tester: object
    company: object


def build(make_company, make_order, make_staff, *, steps_of_a=None) -> Depot:
    owner = make_company(legal_name="Acme Logistics Sp. z o.o.")
    technician = make_staff(Role.TECHNICIAN, name="Tina Technician")
    technician2 = make_staff(Role.TECHNICIAN, name="Tom Technician")
    tester = make_staff(Role.TESTER, name="Tess Tester")
    order = make_order(owner, devices=4)
    a, b, c, d = order.devices
    history(a, (S.RECEIVED, at(2025, 3, 3, 9), None), (S.DIAGNOSIS, at(2025, 3, 3, 11), technician),
            (S.AWAITING_APPROVAL, at(2025, 3, 3, 15), technician), (S.REPAIR, at(2025, 3, 4, 9), owner),
            (S.QUALITY_CHECK, at(2025, 3, 4, 19), technician), (S.REPAIR, at(2025, 3, 4, 20), tester),
            (S.QUALITY_CHECK, at(2025, 3, 4, 22), technician), (S.READY_TO_SHIP, at(2025, 3, 5, 9), tester))
    history(b, (S.RECEIVED, at(2025, 3, 3, 10), None), (S.DIAGNOSIS, at(2025, 3, 3, 12), technician2),
            (S.REPAIR, at(2025, 3, 3, 14), technician2), (S.QUALITY_CHECK, at(2025, 3, 3, 20), technician2),
            (S.READY_TO_SHIP, at(2025, 3, 4, 10), tester))
    history(c, (S.RECEIVED, at(2025, 2, 3, 9), None), (S.DIAGNOSIS, at(2025, 2, 3, 10), technician),
            (S.BEYOND_REPAIR, at(2025, 2, 10, 10), technician), (S.READY_TO_SHIP, at(2025, 2, 11, 10), None))
    history(d, (S.RECEIVED, at(2025, 3, 31, 23, 30), None), (S.DIAGNOSIS, at(2025, 4, 1, 0, 30), technician))
    a.technician_id = technician.id
    repeat = make_order(owner, devices=1)
    e = repeat.devices[0]
    e.repeat_of_id = a.id
    e.created_at = at(2025, 3, 20, 12)

    def quote(device, decision, decided):
        db.session.add(Quote(device_id=device.id, revision=1, state=QuoteState.DECIDED, currency="EUR",
                             decision=decision, decided_at=decided))
    quote(a, Decision.REQUIRED, at(2025, 3, 4, 9))
    quote(c, Decision.DECLINED, at(2025, 2, 5, 9))
    quote(d, Decision.RECOMMENDED, at(2025, 3, 10, 9))
    for device, kind, minutes in ((a, WorkKind.DIAGNOSIS, 30), (a, WorkKind.REPAIR, 90), (b, WorkKind.REPAIR, 60)):
        db.session.add(WorkEntry(device_id=device.id, user_id=technician.id, kind=kind, minutes=minutes))

    company = owner.company
    invoice = Invoice(kind=InvoiceKind.INVOICE, number="INV/2025/1", year=2025, sequence=1, company_id=company.id,
                      order_id=order.id, issued_at=at(2025, 3, 6, 10), due_date=date(2025, 3, 20), currency="EUR",
                      buyer={"name": company.legal_name}, seller={}, net=Decimal("160.00"), tax=Decimal("0.00"),
                      gross=Decimal("160.00"),
                      # fixed at issue by portal.invoicing.issue: 2 x 20.00 at cost, device A's 30 + 90 minutes
                      parts_cost=Decimal("40.00"), technician_minutes=120)
    invoice.lines = [
        InvoiceLine(position=1, device_id=a.id, description="Display", kind="part", quantity=Decimal("2"),
                    unit_price=Decimal("50.00"), unit_cost=Decimal("20.00"), amount=Decimal("100.00"),
                    tax_rate=Decimal("0")),
        InvoiceLine(position=2, device_id=a.id, description="Labour", kind="labour", quantity=Decimal("1"),
                    unit_price=Decimal("60.00"), unit_cost=Decimal("0.00"), amount=Decimal("60.00"),
                    tax_rate=Decimal("0")),
    ]
    credit = Invoice(kind=InvoiceKind.CREDIT_NOTE, number="CN/2025/1", year=2025, sequence=1, company_id=company.id,
                     order_id=order.id, issued_at=at(2025, 3, 10, 10), due_date=date(2025, 3, 24), currency="EUR",
                     buyer={"name": company.legal_name}, seller={}, net=Decimal("-50.00"), tax=Decimal("0.00"),
                     gross=Decimal("-50.00"), credited_invoice=invoice, parts_cost=Decimal("-20.00"))
    credit.lines = [InvoiceLine(position=1, device_id=a.id, description="Display", kind="part",
                                quantity=Decimal("-1"), unit_price=Decimal("50.00"), unit_cost=Decimal("20.00"),
                                amount=Decimal("-50.00"), tax_rate=Decimal("0"))]
    db.session.add_all([invoice, credit])
    db.session.commit()
    return Depot(a, b, c, d, e, technician, technician2, tester, company)
