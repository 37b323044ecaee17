"""The life-cycle table, walked: every allowed move by every role that may make it, every refusal."""

from collections import deque

import pytest
from sqlalchemy import select

from portal import workflow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import DeviceStatus, Role, Transition

S = DeviceStatus
KINDS = [*Role, "owner", "editor", "colleague", "outsider", "system"]


def kinds_of(name) -> set:
    """What the table calls this kind of actor (by default the owner and editors also approve quotes)."""
    if name in ("owner", "editor"):
        return {workflow.CUSTOMER, workflow.APPROVER}
    if name == "system":
        return {workflow.SYSTEM}
    return {name} if name in set(Role) else set()


def path_to(target):
    """The shortest chain of allowed moves from registered to `target`."""
    queue, seen = deque([(S.REGISTERED, [])]), {S.REGISTERED}
    while queue:
        status, path = queue.popleft()
        if status == target:
            return path
        for (frm, to) in workflow.TRANSITIONS:
            if frm == status and to not in seen:
                seen.add(to)
                queue.append((to, [*path, to]))
    raise AssertionError(f"{target} cannot be reached")


@pytest.fixture
def world(make_company, make_user, make_order, make_staff, take_photos):
    """Someone of every kind, a technician who repairs, and an order of four photographed devices."""
    owner = make_company()
    people = {role: make_staff(role) for role in Role}
    people.update(owner=owner, editor=make_user(owner.company, rights=("can_edit_all_orders",)),
                  colleague=make_user(owner.company, rights=("can_see_colleagues_orders",)),
                  outsider=make_company(), system=None)
    repairer = make_staff(Role.TECHNICIAN, name="Repairer")
    order = make_order(owner, devices=4)
    for device in order.devices:
        take_photos(device, "intake")
        take_photos(device, "dispatch")
    db.session.commit()
    return people, repairer, order.devices


def walk(device, target, people, repairer):
    """Bring the device to `target` through allowed moves, each made by someone the table allows."""
    for to in path_to(target):
        rule = workflow.TRANSITIONS[(device.status, to)]
        if to == S.QUALITY_CHECK:
            actor = repairer
        else:
            name = next(k for k in KINDS if kinds_of(k) & rule.who)
            actor = people[name]
        workflow.move(device, to, actor=actor, note="reason")
    db.session.commit()


@pytest.mark.parametrize("frm, to", list(workflow.TRANSITIONS))
def test_each_move_is_allowed_exactly_to_the_kinds_in_the_table(world, frm, to):
    people, repairer, devices = world
    rule = workflow.TRANSITIONS[(frm, to)]
    allowed = [k for k in KINDS if kinds_of(k) & rule.who]
    refused = [k for k in KINDS if k not in allowed]
    assert allowed and len(allowed) <= len(devices)
    for device in devices:
        walk(device, frm, people, repairer)
    for kind in refused:
        assert not workflow.can_move(devices[0], to, people[kind]), kind
        with pytest.raises(DomainError):
            workflow.move(devices[0], to, actor=people[kind], note="reason")
        assert devices[0].status == frm
    for kind, device in zip(allowed, devices, strict=False):
        assert workflow.can_move(device, to, people[kind]), kind
        transition = workflow.move(device, to, actor=people[kind], station="Bench 3", note="reason")
        db.session.commit()
        assert device.status == to
        assert (transition.from_status, transition.to_status, transition.station) == (frm, to, "Bench 3")
        assert transition.actor == people[kind]


@pytest.mark.parametrize("frm", list(S))
def test_moves_missing_from_the_table_are_refused_for_everyone(world, frm):
    people, repairer, devices = world
    device = devices[0]
    walk(device, frm, people, repairer)
    count = db.session.scalar(select(db.func.count()).select_from(Transition))
    for to in S:
        if (frm, to) in workflow.TRANSITIONS:
            continue
        for kind in KINDS:
            assert not workflow.can_move(device, to, people[kind])
            with pytest.raises(workflow.IllegalMove):
                workflow.move(device, to, actor=people[kind], note="reason")
    assert db.session.scalar(select(db.func.count()).select_from(Transition)) == count


def test_a_reason_is_required_where_the_table_says_so(world):
    people, repairer, (device, *_) = world
    walk(device, S.DIAGNOSIS, people, repairer)
    with pytest.raises(DomainError, match="reason"):
        workflow.move(device, S.BEYOND_REPAIR, actor=people[Role.TECHNICIAN], note="  ")


@pytest.mark.parametrize("stage, frm, to, who", [
    ("intake", S.RECEIVED, S.DIAGNOSIS, Role.TECHNICIAN),
    ("dispatch", S.READY_TO_SHIP, S.SHIPPED, Role.DISPATCH),
])
def test_a_device_moves_on_only_with_its_photos_of_the_stage(make_company, make_order, make_staff, take_photos,
                                                             stage, frm, to, who):
    people = {role: make_staff(role) for role in Role}
    people.update(owner=make_company(), system=None)
    device = make_order(people["owner"], devices=1).devices[0]
    take_photos(device, "intake" if stage == "dispatch" else "dispatch")  # the other stage's photos don't count
    walk(device, frm, people, repairer=make_staff(Role.TECHNICIAN))
    take_photos(device, stage, count=2)
    with pytest.raises(DomainError, match=f"Take the {stage} photos first: 2 of 3"):
        workflow.move(device, to, actor=people[who])
    assert not workflow.can_move(device, to, people[who])
    take_photos(device, stage, count=1)
    workflow.move(device, to, actor=people[who])
    assert device.status == to


def test_the_repairer_cannot_pass_their_own_quality_check(world, make_staff):
    people, _repairer, (device, *_) = world
    both = make_staff(Role.TECHNICIAN, Role.TESTER, name="Does both")
    walk(device, S.REPAIR, people, both)
    workflow.move(device, S.QUALITY_CHECK, actor=both)
    with pytest.raises(DomainError, match="other than the repairer"):
        workflow.move(device, S.READY_TO_SHIP, actor=both)
    workflow.move(device, S.READY_TO_SHIP, actor=people[Role.TESTER])
    assert device.status == S.READY_TO_SHIP


def test_history_and_stage_times_come_from_the_transition_records(world):
    people, repairer, (device, *_) = world
    walk(device, S.DIAGNOSIS, people, repairer)
    history = [t.to_status for t in device.transitions]
    assert history == [S.REGISTERED, S.RECEIVED, S.DIAGNOSIS]
    times = workflow.stage_times(device)
    assert set(times) == {S.REGISTERED, S.RECEIVED, S.DIAGNOSIS}
    assert device.status_changed_at == times[S.DIAGNOSIS]


def test_only_the_workflow_writes_a_device_status():
    """No module but portal/workflow.py assigns `.status` of a device."""
    import pathlib
    import re

    offenders = []
    for path in pathlib.Path("portal").rglob("*.py"):
        if path.name == "workflow.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\b(device|d)\.status\s*=[^=]", line):
                offenders.append(f"{path}:{number}")
    assert offenders == []


def test_a_device_path_shows_where_it_went_then_what_is_ahead(world):
    people, repairer, (device, *_) = world
    assert workflow.path_of(device) == list(workflow.USUAL_PATH)
    walk(device, S.QUALITY_CHECK, people, repairer)
    workflow.move(device, S.REPAIR, actor=people[Role.TESTER], note="Still no charging")
    # warranty: straight from diagnosis to repair; then folded back, so the quality check is ahead again
    assert workflow.path_of(device) == [S.REGISTERED, S.RECEIVED, S.DIAGNOSIS, S.REPAIR, S.QUALITY_CHECK,
                                        S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED]

    other = world[2][1]
    walk(other, S.DIAGNOSIS, people, repairer)
    workflow.move(other, S.BEYOND_REPAIR, actor=people[Role.TECHNICIAN], note="Board burnt")
    assert workflow.path_of(other) == [S.REGISTERED, S.RECEIVED, S.DIAGNOSIS, S.BEYOND_REPAIR,
                                       S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED]
