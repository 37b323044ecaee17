"""Deadlines from the transition records: stages, pauses, at risk and overdue, the digest and escalation jobs."""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import event, select

from portal import deadlines, outbox
from portal.deadlines import open_devices_due, rule_for, send_escalations, send_overdue_digests
from portal.extensions import db
from portal.models import Role
from portal.models.order import ServiceLevel
from portal.models.sla import DeadlineAlert, DeadlineAlertKind, DeadlineRule, DeadlineStage, Holiday
from tests.deadline_helpers import S, live, warsaw

pytestmark = pytest.mark.both_databases

D, R, T = DeadlineStage.DIAGNOSIS, DeadlineStage.REPAIR, DeadlineStage.TURNAROUND
HOUR = 3600


@pytest.fixture
def customer(make_company):
    return make_company()


@pytest.fixture
def devices(make_order, customer):
    return make_order(customer, devices=3).devices


def stages(device, now):
    return {s.stage: s for s in deadlines.due(device, now=now)}


# Monday 3 March 2025, 10:00 in Warsaw: received. Defaults: diagnosis 2, repair 5, turnaround 10.
MONDAY = warsaw(2025, 3, 3, 10, 0)


def test_a_registered_device_has_no_stages_yet(devices):
    assert deadlines.due(devices[0], now=MONDAY) == []


def test_diagnosis_and_turnaround_start_at_the_receipt(devices):
    device = devices[0]
    live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, warsaw(2025, 3, 3, 11, 0)))
    due = stages(device, warsaw(2025, 3, 4, 9, 0))
    assert set(due) == {D, T}
    assert due[D].started_at == MONDAY and due[D].due_at == warsaw(2025, 3, 5, 10, 0)
    assert due[T].due_at == warsaw(2025, 3, 17, 10, 0)
    assert due[D].state == "on time" and due[D].done_at is None and due[D].pauses == []
    assert due[D].due_at.utcoffset() == timedelta(0)  # stored and compared in UTC


def test_the_customers_wait_pauses_the_clock_and_the_repair_starts_at_the_approval(devices):
    device = devices[0]
    live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, warsaw(2025, 3, 3, 11, 0)),
         (S.AWAITING_APPROVAL, warsaw(2025, 3, 4, 15, 0)),  # quote sent on Tuesday
         (S.REPAIR, warsaw(2025, 3, 6, 10, 0)))  # approved on Thursday
    due = stages(device, warsaw(2025, 3, 7, 12, 0))
    assert due[D].done_at == warsaw(2025, 3, 4, 15, 0) and due[D].state == "met"
    # The pause from Tuesday 15:00 to Thursday 10:00 is 43 working hours: the turnaround's due
    # time (Monday 17 March, 10:00) moves 43 working hours later.
    assert due[T].pauses == [(warsaw(2025, 3, 4, 15, 0), warsaw(2025, 3, 6, 10, 0))]
    assert due[T].paused_seconds == 43 * HOUR
    assert due[T].due_at == warsaw(2025, 3, 19, 5, 0)
    assert due[R].started_at == warsaw(2025, 3, 6, 10, 0) and due[R].due_at == warsaw(2025, 3, 13, 10, 0)
    assert due[R].pauses == [] and due[R].state == "on time"


def test_a_running_pause_keeps_moving_the_due_time(devices):
    device = devices[0]
    live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, warsaw(2025, 3, 3, 11, 0)),
         (S.AWAITING_APPROVAL, warsaw(2025, 3, 4, 15, 0)))
    thursday, friday = stages(device, warsaw(2025, 3, 6, 12, 0))[T], stages(device, warsaw(2025, 3, 7, 12, 0))[T]
    assert thursday.is_paused and thursday.pauses == [(warsaw(2025, 3, 4, 15, 0), None)]
    assert friday.due_at - thursday.due_at == timedelta(hours=24)
    assert friday.left_seconds == thursday.left_seconds  # while paused no time is lost
    assert friday.paused_seconds == (9 + 24 + 24 + 12) * HOUR


def test_waiting_for_parts_pauses_the_repair(devices):
    device = devices[0]
    live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, warsaw(2025, 3, 3, 11, 0)),
         (S.REPAIR, warsaw(2025, 3, 6, 10, 0)),  # warranty: no quote, the repair starts at the diagnosis
         (S.WAITING_FOR_PARTS, warsaw(2025, 3, 7, 10, 0)),  # Friday 10:00 ...
         (S.REPAIR, warsaw(2025, 3, 10, 10, 0)))  # ... to Monday 10:00: 14 + 10 working hours
    due = stages(device, warsaw(2025, 3, 10, 12, 0))
    assert due[D].done_at == warsaw(2025, 3, 6, 10, 0) and due[D].state == "missed"
    assert due[R].paused_seconds == 24 * HOUR
    assert due[R].due_at == warsaw(2025, 3, 14, 10, 0)


def test_a_second_quote_during_the_repair_pauses_it_too(devices):
    device = devices[0]
    live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY + timedelta(hours=1)),
         (S.AWAITING_APPROVAL, warsaw(2025, 3, 4, 10, 0)), (S.REPAIR, warsaw(2025, 3, 4, 12, 0)),
         (S.AWAITING_APPROVAL, warsaw(2025, 3, 5, 12, 0)), (S.REPAIR, warsaw(2025, 3, 5, 18, 0)))
    due = stages(device, warsaw(2025, 3, 6, 9, 0))
    assert due[R].started_at == warsaw(2025, 3, 4, 12, 0)
    assert due[R].pauses == [(warsaw(2025, 3, 5, 12, 0), warsaw(2025, 3, 5, 18, 0))]
    assert due[T].paused_seconds == 8 * HOUR


def test_at_risk_when_less_than_the_share_is_left_then_overdue(devices):
    device = devices[0]
    live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY + timedelta(hours=1)))
    # Diagnosis: 48 working hours, due Wednesday 10:00; at risk under 20 % (9.6 hours) left.
    assert stages(device, warsaw(2025, 3, 4, 23, 0))[D].state == "on time"  # 11 hours left
    at_risk = stages(device, warsaw(2025, 3, 5, 1, 0))[D]
    assert at_risk.state == "at risk" and at_risk.left_seconds == 9 * HOUR
    overdue = stages(device, warsaw(2025, 3, 5, 10, 1))[D]
    assert overdue.state == "overdue" and overdue.late_seconds == 60 and overdue.needs_attention


def test_the_share_is_a_setting(app, devices):
    device = devices[0]
    live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY + timedelta(hours=1)))
    app.config["DEADLINE_AT_RISK_SHARE"] = "0.5"
    assert stages(device, warsaw(2025, 3, 4, 12, 0))[D].state == "at risk"  # 22 of 48 hours left


def test_met_and_missed_when_done(devices):
    first, second = devices[0], devices[1]
    live(first, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY), (S.REPAIR, warsaw(2025, 3, 4, 10, 0)),
         (S.QUALITY_CHECK, warsaw(2025, 3, 5, 10, 0)), (S.READY_TO_SHIP, warsaw(2025, 3, 5, 12, 0)))
    live(second, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY), (S.BEYOND_REPAIR, warsaw(2025, 3, 6, 10, 0)),
         (S.READY_TO_SHIP, warsaw(2025, 3, 20, 10, 0)))
    now = warsaw(2025, 4, 1, 12, 0)
    done = stages(first, now)
    assert {s: done[s].state for s in done} == {D: "met", R: "met", T: "met"}
    late = stages(second, now)
    assert late[D].state == "missed" and late[D].late_seconds == 24 * HOUR
    assert late[T].state == "missed" and R not in late


def test_weekends_and_holidays_are_not_counted(devices):
    device = devices[0]
    db.session.add(Holiday(day=warsaw(2025, 3, 10, 0, 0).date(), name="Depot closed"))
    live(device, (S.RECEIVED, warsaw(2025, 3, 7, 18, 30)))  # Friday evening
    assert stages(device, warsaw(2025, 3, 8, 12, 0))[D].due_at == warsaw(2025, 3, 12, 18, 30)


def test_rules_company_beats_depot_beats_defaults(customer, make_company):
    company, other = customer.company, make_company().company
    assert rule_for(D, ServiceLevel.STANDARD, company) == 2
    assert rule_for(T, ServiceLevel.EXPRESS, company) == 4
    db.session.add_all([
        DeadlineRule(stage=D, service_level=ServiceLevel.STANDARD, company_id=None, working_days=3),
        DeadlineRule(stage=D, service_level=ServiceLevel.STANDARD, company_id=company.id, working_days=1),
    ])
    db.session.flush()
    assert rule_for(D, ServiceLevel.STANDARD, company) == 1
    assert rule_for(D, ServiceLevel.STANDARD, other) == 3
    assert rule_for(D, ServiceLevel.STANDARD, None) == 3
    assert rule_for(D, ServiceLevel.EXPRESS, company) == 1  # the default for express


def test_express_orders_and_company_rules_give_the_due_times(devices, customer):
    device = devices[0]
    device.order.service_level = ServiceLevel.EXPRESS
    db.session.add(DeadlineRule(stage=T, service_level=ServiceLevel.EXPRESS, company_id=customer.company_id,
                                working_days=3))
    live(device, (S.RECEIVED, MONDAY))
    due = stages(device, MONDAY)
    assert due[D].working_days == 1 and due[D].due_at == warsaw(2025, 3, 4, 10, 0)
    assert due[T].working_days == 3 and due[T].due_at == warsaw(2025, 3, 6, 10, 0)


def test_open_devices_due_lists_open_devices_most_urgent_first(devices, make_order, make_company):
    first, second, third = devices
    live(first, (S.RECEIVED, warsaw(2025, 3, 3, 10, 0)))
    live(second, (S.RECEIVED, warsaw(2025, 2, 24, 10, 0)))  # a week earlier: overdue
    live(third, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY), (S.REPAIR, MONDAY), (S.QUALITY_CHECK, MONDAY),
         (S.READY_TO_SHIP, MONDAY))  # done: not open
    elsewhere = make_order(make_company(), devices=1).devices[0]
    live(elsewhere, (S.RECEIVED, MONDAY))
    now = warsaw(2025, 3, 4, 9, 0)
    listed = open_devices_due(now=now)
    assert [d.id for d, _s in listed] == [second.id, first.id, elsewhere.id]
    assert [s.stage for _d, s in listed][:2] == [D, D] and listed[0][1].state == "overdue"
    mine = open_devices_due([first.company_id], now=now)
    assert {d.id for d, _s in mine} == {first.id, second.id}
    assert open_devices_due([], now=now) == []
    every = open_devices_due([first.company_id], now=now, all_stages=True)
    assert sorted((d.id, s.stage) for d, s in every) == sorted(
        [(first.id, D), (first.id, T), (second.id, D), (second.id, T)])


def test_open_devices_due_loads_in_a_handful_of_queries(app, make_order, customer):
    for device in make_order(customer, devices=12).devices:
        live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY))
    db.session.commit()
    db.session.expunge_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        listed = open_devices_due(now=warsaw(2025, 3, 4, 9, 0))
        _ = [d.order.company.legal_name for d, _s in listed]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(listed) == 12
    assert len(statements) <= 6, statements


# -- the jobs -------------------------------------------------------------------------------

@pytest.fixture
def managed(make_company, make_order, make_staff):
    """Two managers: Mia with two companies (three overdue devices), Max with one (one device)."""
    mia = make_staff(Role.ACCOUNT_MANAGER, name="Mia Manager")
    max_ = make_staff(Role.ACCOUNT_MANAGER, name="Max Manager")
    orders = []
    for manager, count in ((mia, 2), (mia, 1), (max_, 1)):
        owner = make_company()
        owner.company.account_manager_id = manager.id
        orders.append(make_order(owner, devices=count))
    for order in orders:
        for device in order.devices:
            live(device, (S.RECEIVED, MONDAY), (S.DIAGNOSIS, MONDAY + timedelta(hours=1)))
    db.session.commit()
    return {"mia": mia, "max": max_, "devices": [d for o in orders for d in o.devices], "orders": orders}


THURSDAY = warsaw(2025, 3, 6, 9, 0)  # diagnosis (due Wednesday 10:00) is overdue


@pytest.fixture
def deadline_mail(mailbox):
    """Send the queued mail (not the other jobs: they would run the deadline jobs at today's time)
    and keep only the deadline e-mails."""
    def send():
        outbox.send_queued()
        mailbox.messages[:] = [m for m in mailbox.messages
                               if "overdue" in m["Subject"] or "Escalation" in m["Subject"]]
        return mailbox
    return send


def test_one_digest_per_manager_listing_all_their_newly_overdue_devices(managed, deadline_mail):
    assert send_overdue_digests(now=warsaw(2025, 3, 5, 9, 0)) == 0  # not overdue yet
    assert send_overdue_digests(now=THURSDAY) == 2
    db.session.commit()
    mailbox = deadline_mail()
    to_mia, to_max = mailbox.to(managed["mia"].email), mailbox.to(managed["max"].email)
    assert len(to_mia) == 1 and len(to_max) == 1 and len(mailbox.messages) == 2
    body = mailbox.text(to_mia[0])
    for device in managed["devices"][:3]:
        assert device.tag_code in body
    assert managed["devices"][3].tag_code not in body
    assert "3 devices are now overdue" in to_mia[0]["Subject"]
    assert "/admin/desk" in body and managed["devices"][0].tag_code in mailbox.html(to_mia[0])
    alerts = db.session.scalars(select(DeadlineAlert).where(DeadlineAlert.kind == DeadlineAlertKind.OVERDUE)).all()
    assert {(a.device_id, a.stage) for a in alerts} == {(d.id, D) for d in managed["devices"]}


def test_running_the_digest_twice_sends_it_once(managed, deadline_mail):
    assert send_overdue_digests(now=THURSDAY) == 2
    db.session.commit()
    assert send_overdue_digests(now=THURSDAY + timedelta(hours=1)) == 0
    db.session.commit()
    assert len(deadline_mail().messages) == 2


def test_the_next_digest_lists_only_the_newly_overdue(managed, deadline_mail):
    send_overdue_digests(now=THURSDAY)
    db.session.commit()
    # The turnaround (10 working days from Monday 3 March) is overdue on Tuesday 18 March.
    assert send_overdue_digests(now=warsaw(2025, 3, 18, 9, 0)) == 2
    db.session.commit()
    mailbox = deadline_mail()
    latest = mailbox.to(managed["mia"].email)[-1]
    assert "Turnaround" in mailbox.text(latest) and "Diagnosis" not in mailbox.text(latest)


def test_companies_without_a_manager_wait_for_one(managed, deadline_mail):
    managed["orders"][2].company.account_manager_id = None
    db.session.commit()
    assert send_overdue_digests(now=THURSDAY) == 1
    assert db.session.scalar(select(db.func.count()).select_from(DeadlineAlert)) == 3


def test_escalation_after_a_second_period_to_the_admins_once(managed, make_staff, deadline_mail):
    ada = make_staff(Role.ADMIN, name="Ada Admin")
    bob = make_staff(Role.ADMIN, Role.SUPERVISOR, name="Bob Admin")
    # Diagnosis due Wednesday 10:00 (2 working days): escalated from Friday 10:00 on.
    assert send_escalations(now=warsaw(2025, 3, 7, 9, 59)) == 0
    assert send_escalations(now=warsaw(2025, 3, 7, 10, 0)) == 2  # one e-mail to each admin
    db.session.commit()
    assert send_escalations(now=warsaw(2025, 3, 7, 11, 0)) == 0
    db.session.commit()
    mailbox = deadline_mail()
    assert len(mailbox.to(ada.email)) == 1 and len(mailbox.to(bob.email)) == 1
    assert len(mailbox.messages) == 2
    body = mailbox.text(mailbox.to(ada.email)[0])
    assert all(d.tag_code in body for d in managed["devices"])
    assert "Mia Manager" in body  # who looks after the company


def test_a_device_that_moved_on_is_not_escalated(managed, make_staff):
    make_staff(Role.ADMIN)
    for device in managed["devices"]:
        live(device, (S.NO_FAULT_FOUND, warsaw(2025, 3, 6, 10, 0)))
    assert send_escalations(now=warsaw(2025, 3, 7, 10, 0)) == 0


def test_the_jobs_skip_devices_that_are_not_open(managed):
    for device in managed["devices"]:
        live(device, (S.REPAIR, warsaw(2025, 3, 4, 9, 0)), (S.QUALITY_CHECK, warsaw(2025, 3, 4, 10, 0)),
             (S.READY_TO_SHIP, warsaw(2025, 3, 4, 11, 0)))
    assert send_overdue_digests(now=THURSDAY) == 0


def test_times_are_utc_in_the_alerts(managed):
    send_overdue_digests(now=THURSDAY)
    alert = db.session.scalars(select(DeadlineAlert)).first()
    assert alert.sent_at == THURSDAY.astimezone(UTC)
