"""The bench's rules: assignment by skill and load, diagnosis, warranty, outcomes, repair, quality check."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import bench, orders, quotes, workflow
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.models import (
    ChecklistItem,
    CheckResult,
    Decision,
    DeviceStatus,
    PartReservation,
    PriceItem,
    ReservationState,
    Role,
    ServiceLevel,
    TaxRate,
    TechnicianSkill,
    Transition,
    WorkEntry,
)

pytestmark = pytest.mark.both_databases
S = DeviceStatus


def skill(user, category=None, manufacturer=""):
    db.session.add(TechnicianSkill(user_id=user.id, category_id=category.id if category else None,
                                   manufacturer=manufacturer))
    db.session.flush()


def counts(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


@pytest.fixture
def depot(make_company, make_order, make_staff, make_category, take_photos):
    """An order of three laptops (Zebra), received and photographed; a receiver, a technician, a
    second technician, a supervisor and a tester; checklists and a price list."""
    laptop = make_category("Laptop")
    owner = make_company()
    order = make_order(owner, devices=3)
    receiver = make_staff(Role.RECEIVING)
    tech = make_staff(Role.TECHNICIAN, name="Tina Tech")
    other = make_staff(Role.TECHNICIAN, name="Otto Other")
    supervisor = make_staff(Role.SUPERVISOR, name="Sue Supervisor")
    tester = make_staff(Role.TESTER, name="Ted Tester")
    vat = TaxRate(name="VAT 23%", rate=Decimal("23.00"))
    db.session.add(vat)
    db.session.flush()
    screen = PriceItem(code="P-SCR", description="Screen", kind="part", unit_price=Decimal("100.00"),
                       unit_cost=Decimal("60.00"), tax_rate_id=vat.id, stock=5)
    labour = PriceItem(code="L-1", description="Labour, 1 h", kind="labour", unit_price=Decimal("50.00"),
                       unit_cost=Decimal("0.00"), tax_rate_id=vat.id)
    db.session.add_all([screen, labour])
    for n, text in enumerate(["Powers on", "Screen"]):
        db.session.add(ChecklistItem(category_id=laptop.id, kind="diagnosis", position=n, text=text))
    db.session.add(ChecklistItem(category_id=laptop.id, kind="quality_check", position=0, text="Boots"))
    for device in order.devices:
        device.category_id = laptop.id
        workflow.move(device, S.RECEIVED, actor=receiver)
        take_photos(device, "intake")
        device.technician_id = tech.id
    db.session.commit()
    return dict(order=order, devices=order.devices, tech=tech, other=other, supervisor=supervisor,
                tester=tester, laptop=laptop, screen=screen, labour=labour, receiver=receiver, owner=owner)


def diagnosed(depot, device=None):
    device = device or depot["devices"][0]
    bench.start_diagnosis(device, actor=depot["tech"], station="Bench 1")
    bench.record_checks(device, "diagnosis", [("Powers on", "pass", ""), ("Screen", "fail", "cracked")],
                        actor=depot["tech"])
    return device


def in_repair(depot, device=None):
    """Diagnosed, quoted, accepted (recommended) by the customer: in repair."""
    device = diagnosed(depot, device)
    quote = quotes.draft_for(device, actor=depot["tech"])
    quotes.add_line(quote, actor=depot["tech"], tier="required", quantity="1", item=depot["screen"])
    quotes.add_line(quote, actor=depot["tech"], tier="recommended", quantity="1", item=depot["labour"])
    quotes.send(quote, actor=depot["tech"])
    quotes.decide(quote, actor=depot["owner"], choice=Decision.RECOMMENDED, revision=quote.revision)
    assert device.status == S.REPAIR
    return device


def repaired(depot, device=None):
    device = in_repair(depot, device)
    bench.record_work(device, actor=depot["tech"], minutes=45, note="Screen replaced",
                      line_ids_done=[line.id for line in bench.accepted_lines(device)])
    bench.finish_repair(device, actor=depot["tech"], station="Bench 1")
    return device


# -- assignment -------------------------------------------------------------------------------------

def test_assignment_prefers_the_most_specific_skill_then_the_lightest_load(
        make_company, make_order, make_staff, make_category):
    laptop, printer = make_category("Laptop"), make_category("Printer")
    anyone = make_staff(Role.TECHNICIAN, name="A no skills")
    by_category = make_staff(Role.TECHNICIAN, name="B laptops")
    by_both = make_staff(Role.TECHNICIAN, name="C Zebra laptops")
    by_both_too = make_staff(Role.TECHNICIAN, name="D Zebra laptops too")
    printers = make_staff(Role.TECHNICIAN, name="E printers")
    make_staff(Role.TESTER)  # not a technician: never chosen
    skill(by_category, laptop)
    skill(by_both, laptop, "Zebra")
    skill(by_both_too, laptop, "zebra ")
    skill(printers, printer)
    order = make_order(make_company(), devices=4)
    first, second, third, fourth = order.devices
    first.category_id = second.category_id = third.category_id = laptop.id
    fourth.category_id, fourth.manufacturer = printer.id, "HP"
    for device in order.devices:
        device.status = S.RECEIVED
    db.session.flush()

    assert bench.assign(first) == by_both  # both set beats one; equal load: the lower id
    assert first.technician_id == by_both.id
    assert bench.assign(second) == by_both_too  # now the lighter load
    assert bench.assign(third) == by_both
    assert bench.assign(fourth) == printers
    assert bench.assign(first) == by_both  # already assigned: kept
    assert anyone.id not in {d.technician_id for d in order.devices}


def test_technicians_without_a_matching_skill_only_when_nobody_matches(
        make_company, make_order, make_staff, make_category):
    phone = make_category("Phone")
    plain = make_staff(Role.TECHNICIAN, name="Plain")
    laptops = make_staff(Role.TECHNICIAN, name="Laptops")
    skill(laptops, make_category("Laptop"))
    order = make_order(make_company(), devices=2)
    for device in order.devices:
        device.category_id, device.status = phone.id, S.RECEIVED
    db.session.flush()
    assert bench.assign(order.devices[0]) == plain  # no skill fits anyone: the lowest id, lightest load
    assert bench.assign(order.devices[1]) == laptops  # plain has one open device now


def test_no_technicians_leaves_the_device_unassigned(make_company, make_order):
    device = make_order(make_company(), devices=1).devices[0]
    assert bench.assign(device) is None and device.technician_id is None


def test_the_job_assigns_received_devices_without_a_technician_once(make_company, make_order, make_staff):
    first, second = make_staff(Role.TECHNICIAN), make_staff(Role.TECHNICIAN)
    order = make_order(make_company(), devices=3)
    receiver = make_staff(Role.RECEIVING)
    for device in order.devices[:2]:
        workflow.move(device, S.RECEIVED, actor=receiver)
    db.session.commit()
    assert bench.assign_unassigned() == 2
    db.session.commit()
    assert {d.technician_id for d in order.devices[:2]} == {first.id, second.id}  # spread by load
    assert order.devices[2].technician_id is None  # not received
    assert bench.assign_unassigned() == 0


def test_a_supervisor_reassigns_and_nobody_else_may(depot):
    device = depot["devices"][0]
    with pytest.raises(NotAllowed, match="supervisor or an admin"):
        bench.reassign(device, depot["other"], actor=depot["tech"])
    with pytest.raises(DomainError, match="not an active technician"):
        bench.reassign(device, depot["tester"], actor=depot["supervisor"])
    assert device.technician_id == depot["tech"].id
    bench.reassign(device, depot["other"], actor=depot["supervisor"])
    assert device.technician_id == depot["other"].id
    with pytest.raises(NotAllowed, match="assigned to Otto Other"):
        bench.start_diagnosis(device, actor=depot["tech"])


def test_the_queue_is_express_first_then_the_longest_waiting(depot, make_order):
    tech = depot["tech"]
    first, second, third = depot["devices"]
    express = make_order(depot["owner"], devices=1)
    express.service_level = ServiceLevel.EXPRESS
    quick = express.devices[0]
    workflow.move(quick, S.RECEIVED, actor=depot["receiver"])
    quick.technician_id = tech.id
    db.session.flush()
    assert bench.queue(tech) == [quick, first, second, third]
    assert bench.queue(depot["other"]) == []
    repaired(depot, second)  # in the quality check: not the technician's now
    assert second not in bench.queue(tech)


# -- diagnosis --------------------------------------------------------------------------------------

def test_only_the_assigned_technician_or_a_supervisor_starts_the_diagnosis(depot):
    device = depot["devices"][0]
    with pytest.raises(NotAllowed):
        bench.start_diagnosis(device, actor=depot["other"])
    with pytest.raises(NotAllowed):
        bench.start_diagnosis(device, actor=depot["tester"])
    assert device.status == S.RECEIVED
    bench.start_diagnosis(device, actor=depot["supervisor"], station="Bench 1")
    assert device.status == S.DIAGNOSIS and device.transitions[-1].station == "Bench 1"
    with pytest.raises(DomainError, match="needs it to be “Received”"):
        bench.start_diagnosis(device, actor=depot["tech"])


def test_checks_are_recorded_in_rounds_and_each_item_needs_its_outcome(depot):
    device = diagnosed(depot)
    assert bench.rounds(device, "diagnosis") == 1
    with pytest.raises(DomainError, match="Choose pass, fail or n.a. for “Screen”") as missing:
        bench.record_checks(device, "diagnosis", [("Powers on", "pass", "")], actor=depot["tech"])
    assert missing.value.field == "check-1"
    with pytest.raises(DomainError, match="Say what failed in “Powers on”"):
        bench.record_checks(device, "diagnosis", [("Powers on", "fail", " "), ("Screen", "pass", "")],
                            actor=depot["tech"])
    with pytest.raises(DomainError, match="Choose pass"):
        bench.record_checks(device, "diagnosis", [("Powers on", "maybe", ""), ("Screen", "pass", "")],
                            actor=depot["tech"])
    with pytest.raises(DomainError, match="not on the checklist"):
        bench.record_checks(device, "diagnosis", [("Powers on", "pass", ""), ("Screen", "pass", ""),
                                                  ("Keyboard", "pass", "")], actor=depot["tech"])
    with pytest.raises(NotAllowed):
        bench.record_checks(device, "diagnosis", [("Powers on", "pass", ""), ("Screen", "na", "")],
                            actor=depot["other"])
    assert counts(CheckResult, device_id=device.id) == 2
    assert bench.record_checks(device, "diagnosis", [("Screen", "na", ""), ("Powers on", "pass", "")],
                               actor=depot["tech"]) == 2
    assert [(r.item_text, r.outcome) for r in bench.results(device, "diagnosis")] == [
        ("Powers on", "pass"), ("Screen", "na")]


def test_unlock_code_only_for_the_assigned_technician(depot):
    device = depot["devices"][0]
    device.unlock_code_encrypted = orders.encrypt_unlock_code("4711")
    assert bench.unlock_code_for(device, depot["tech"]) == "4711"
    for someone in (depot["supervisor"], depot["other"], depot["tester"], depot["owner"], None):
        assert bench.unlock_code_for(device, someone) is None
    depot["devices"][1].unlock_code_encrypted = None
    assert bench.unlock_code_for(depot["devices"][1], depot["tech"]) is None


def test_confirmed_warranty_goes_to_repair_without_a_quote(depot):
    device = diagnosed(depot)
    device.warranty_claimed = True
    with pytest.raises(DomainError, match="Confirm the warranty first"):
        bench.warranty_repair(device, actor=depot["tech"])
    with pytest.raises(DomainError, match="reason the customer will see") as missing:
        bench.confirm_warranty(device, actor=depot["tech"], confirmed=False, note="  ")
    assert missing.value.field == "warranty_note" and device.warranty_confirmed is None
    bench.confirm_warranty(device, actor=depot["tech"], confirmed=False, note="Water damage")
    assert device.warranty_confirmed is False and device.warranty_note == "Water damage"
    with pytest.raises(DomainError):
        bench.warranty_repair(device, actor=depot["tech"])
    bench.confirm_warranty(device, actor=depot["tech"], confirmed=True, note="")
    bench.warranty_repair(device, actor=depot["tech"], station="Bench 1")
    assert device.status == S.REPAIR and quotes.latest(device) is None
    assert device.transitions[-1].note == "Warranty repair: no charge"


def test_beyond_repair_is_returned_with_the_reason(depot):
    device = diagnosed(depot)
    with pytest.raises(DomainError, match="Write why") as missing:
        bench.beyond_repair(device, actor=depot["tech"], reason=" ")
    assert missing.value.field == "reason" and device.status == S.DIAGNOSIS
    with pytest.raises(NotAllowed):
        bench.beyond_repair(device, actor=depot["other"], reason="Board burnt")
    bench.beyond_repair(device, actor=depot["tech"], reason="Board burnt", station="Bench 1")
    assert device.status == S.READY_TO_SHIP
    assert [(t.to_status, t.note) for t in device.transitions[-2:]] == [
        (S.BEYOND_REPAIR, "Board burnt"), (S.READY_TO_SHIP, "Returned unrepaired")]
    assert device.transitions[-1].actor is None


def test_beyond_repair_during_the_repair(depot):
    device = in_repair(depot)
    bench.beyond_repair(device, actor=depot["tech"], reason="The new screen did not help: board fault")
    assert device.status == S.READY_TO_SHIP


def test_no_fault_found_is_returned(depot):
    device = diagnosed(depot)
    with pytest.raises(DomainError, match="Write what you tested"):
        bench.no_fault_found(device, actor=depot["tech"], note="")
    bench.no_fault_found(device, actor=depot["tech"], note="Ran a full test for 2 h: no fault")
    assert device.status == S.READY_TO_SHIP
    assert S.NO_FAULT_FOUND in {t.to_status for t in device.transitions}


def test_outcomes_are_refused_outside_diagnosis(depot):
    device = depot["devices"][0]  # received, not in diagnosis
    for attempt in (lambda: bench.no_fault_found(device, actor=depot["tech"], note="x"),
                    lambda: bench.beyond_repair(device, actor=depot["tech"], reason="x"),
                    lambda: bench.confirm_warranty(device, actor=depot["tech"], confirmed=True),
                    lambda: bench.warranty_repair(device, actor=depot["tech"]),
                    lambda: bench.record_work(device, actor=depot["tech"], minutes=5),
                    lambda: bench.finish_repair(device, actor=depot["tech"])):
        with pytest.raises(DomainError, match="“Received”"):
            attempt()
    assert device.status == S.RECEIVED and counts(Transition, device_id=device.id) == 2


# -- repair ----------------------------------------------------------------------------------------

def test_finishing_the_repair_needs_work_and_every_accepted_line_done(depot):
    device = in_repair(depot)
    lines = bench.accepted_lines(device)
    assert [line.code for line in lines] == ["P-SCR", "L-1"]
    with pytest.raises(DomainError, match="Record the repair work"):
        bench.finish_repair(device, actor=depot["tech"])
    with pytest.raises(DomainError, match="minutes") as bad:
        bench.record_work(device, actor=depot["tech"], minutes="ten")
    assert bad.value.field == "minutes"
    with pytest.raises(DomainError, match="between 1 and 1440"):
        bench.record_work(device, actor=depot["tech"], minutes=0)
    with pytest.raises(DomainError, match="accepted"):
        bench.record_work(device, actor=depot["tech"], minutes=10, line_ids_done=[999999])
    with pytest.raises(NotAllowed):
        bench.record_work(device, actor=depot["other"], minutes=10)
    bench.record_work(device, actor=depot["tech"], minutes=30, note="Screen", line_ids_done=[lines[0].id])
    with pytest.raises(DomainError, match="Not done yet: L-1"):
        bench.finish_repair(device, actor=depot["tech"])
    bench.record_work(device, actor=depot["tech"], minutes=15, line_ids_done=[lines[1].id])
    bench.finish_repair(device, actor=depot["tech"], station="Bench 1")
    assert device.status == S.QUALITY_CHECK
    assert [r.state for r in db.session.scalars(select(PartReservation).where(
        PartReservation.device_id == device.id))] == [ReservationState.USED]
    assert sum(e.minutes for e in bench.work_entries(device)) == 45


def test_the_wipe_is_recorded_only_when_allowed(depot):
    device = diagnosed(depot)
    with pytest.raises(DomainError, match="did not allow"):
        bench.record_wipe(device, actor=depot["tech"])
    device.data_wipe_allowed = True
    with pytest.raises(NotAllowed):
        bench.record_wipe(device, actor=depot["other"])
    bench.record_wipe(device, actor=depot["tech"])
    assert device.wiped_at is not None and device.wiped_by_id == depot["tech"].id
    with pytest.raises(DomainError, match="already recorded"):
        bench.record_wipe(device, actor=depot["tech"])


# -- quality check -----------------------------------------------------------------------------------

def test_a_tester_who_repaired_may_not_pass(depot, make_staff):
    both = make_staff(Role.TECHNICIAN, Role.TESTER, name="Both Hats")
    device = depot["devices"][0]
    device.technician_id = both.id
    depot["tech"] = both
    repaired(depot, device)
    with pytest.raises(NotAllowed, match="someone other than the repairer"):
        bench.record_checks(device, "quality_check", [("Boots", "pass", "")], actor=both)
    with pytest.raises(NotAllowed, match="someone other than the repairer"):
        bench.qc_pass(device, tester=both)
    with pytest.raises(NotAllowed, match="someone other than the repairer"):
        bench.qc_fail(device, tester=both, reason="Looks fine to me")
    with pytest.raises(NotAllowed):
        bench.qc_pass(device, tester=depot["other"])  # a technician is not a tester
    assert device.status == S.QUALITY_CHECK and counts(CheckResult, device_id=device.id, kind="quality_check") == 0


def test_the_checklist_comes_before_the_verdict(depot):
    device = repaired(depot)
    tester = depot["tester"]
    with pytest.raises(DomainError, match="Record the quality-check list first"):
        bench.qc_pass(device, tester=tester)
    bench.record_checks(device, "quality_check", [("Boots", "fail", "Does not boot")], actor=tester)
    with pytest.raises(DomainError, match="A check failed"):
        bench.qc_pass(device, tester=tester)
    with pytest.raises(DomainError, match="Write why") as missing:
        bench.qc_fail(device, tester=tester, reason=" ")
    assert missing.value.field == "reason" and device.status == S.QUALITY_CHECK


def test_a_failed_check_goes_back_to_the_same_technician_and_is_counted(depot):
    device = repaired(depot)
    tester = depot["tester"]
    bench.record_checks(device, "quality_check", [("Boots", "fail", "Flickers")], actor=tester)
    bench.qc_fail(device, tester=tester, reason="Screen flickers", station="QC 1")
    assert device.status == S.REPAIR and device.qc_fail_count == 1
    assert device.technician_id == depot["tech"].id and device in bench.queue(depot["tech"])
    assert device.transitions[-1].note == "Screen flickers"
    # the next round needs new work before it goes back
    with pytest.raises(DomainError, match="Record the repair work"):
        bench.finish_repair(device, actor=depot["tech"])
    bench.record_work(device, actor=depot["tech"], minutes=20, note="Reseated the cable")
    bench.finish_repair(device, actor=depot["tech"])
    with pytest.raises(DomainError, match="Record the quality-check list first"):
        bench.qc_pass(device, tester=tester)  # last round's list was for the earlier check
    assert bench.record_checks(device, "quality_check", [("Boots", "pass", "")], actor=tester) == 2
    bench.qc_pass(device, tester=tester, station="QC 1")
    assert device.status == S.READY_TO_SHIP and device.qc_fail_count == 1
    assert counts(WorkEntry, device_id=device.id) == 2
