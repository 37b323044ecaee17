"""Account managers for new companies: first matching rule by priority, round robin, by hand."""

import pytest

from portal import assignment
from portal.errors import DomainError
from portal.extensions import db
from portal.models import AssignmentMethod, Role

pytestmark = pytest.mark.both_databases


@pytest.fixture
def managers(make_staff):
    return [make_staff(Role.ACCOUNT_MANAGER, name=f"Manager {n}") for n in range(3)]


def rule(name, managers, priority=10, **criteria):
    made = assignment.save_rule({"name": name, "priority": priority, **criteria}, managers)
    db.session.commit()
    return made


def test_first_matching_rule_by_priority_wins(make_company, managers):
    rule("Any Polish", [managers[0]], priority=20, country="PL")
    rule("Polish logistics", [managers[1]], priority=10, country="PL", industry="logistics")
    company = make_company(country="PL", industry="logistics").company
    assert company.account_manager == managers[1]
    record = company.assignments[0]
    assert record.method == AssignmentMethod.RULE and record.rule.name == "Polish logistics"


def test_rule_with_several_criteria_needs_all_of_them(make_company, managers):
    rule("Large retail in DE", [managers[0]], country="DE", industry="retail", size_band="250-999")
    company = make_company(country="DE", industry="retail", size_band="10-49").company
    assert company.assignments[0].method == AssignmentMethod.ROUND_ROBIN


def test_region_matches_regardless_of_case(make_company, managers):
    rule("Pomerania", [managers[2]], region="pomorskie")
    assert make_company(region="Pomorskie ").company.account_manager == managers[2]


def test_managers_of_a_rule_take_turns(make_company, managers):
    rule("Poland", managers[:2], country="PL")
    picked = [make_company().company.account_manager for _ in range(4)]
    assert picked == [managers[0], managers[1], managers[0], managers[1]]


def test_without_a_matching_rule_all_active_managers_take_turns(make_company, managers):
    managers[1].is_active_account = False
    db.session.commit()
    rule("Kazakhstan", [managers[0]], country="KZ")
    picked = [make_company(country="PL").company.account_manager for _ in range(3)]
    assert picked == [managers[0], managers[2], managers[0]]


def test_a_rule_whose_managers_left_falls_through(make_company, managers):
    rule("Poland", [managers[0]], priority=1, country="PL")
    rule("Everyone", [managers[2]], priority=5)
    managers[0].is_active_account = False
    db.session.commit()
    assert make_company().company.account_manager == managers[2]


def test_customer_care_hears_of_a_new_company_and_its_manager(make_company, managers, send_mail, app):
    rule("Poland", [managers[0]], country="PL")
    make_company(legal_name="Kowalski <b>Tools</b>")
    mailbox = send_mail()
    [message] = mailbox.to(app.config["CUSTOMER_CARE_EMAIL"])
    assert "Kowalski <b>Tools</b>" in message["Subject"]
    body = mailbox.text(message)
    assert "Manager 0" in body and "Poland" in body
    assert "Kowalski &lt;b&gt;Tools&lt;/b&gt;" in mailbox.html(message)


def test_no_manager_at_all_leaves_the_company_unassigned(make_company, send_mail, app):
    company = make_company().company
    assert company.account_manager is None and company.assignments == []
    [message] = send_mail().to(app.config["CUSTOMER_CARE_EMAIL"])
    assert "assign one by hand" in message.get_body(("plain",)).get_content()


def test_reassign_by_hand_is_recorded_with_who_did_it(make_company, managers, make_staff):
    admin = make_staff(Role.ADMIN)
    company = make_company().company
    first = company.account_manager
    other = next(m for m in managers if m != first)
    assignment.reassign_by_hand(company, other, actor=admin, note="Customer asked")
    db.session.commit()
    assert company.account_manager == other
    latest = company.assignments[0]
    assert (latest.method, latest.assigned_by, latest.note) == (AssignmentMethod.HAND, admin, "Customer asked")
    with pytest.raises(DomainError, match="already manages"):
        assignment.reassign_by_hand(company, other, actor=admin)


def test_only_active_account_managers_can_be_assigned(make_company, make_staff):
    technician = make_staff(Role.TECHNICIAN)
    company = make_company().company
    with pytest.raises(DomainError, match="not an active account manager"):
        assignment.assign_manager(company, technician, method=AssignmentMethod.HAND)
