"""The customer's approval page: every waiting device decided on one page, and every refusal."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal import approval_policy, quotes
from portal.extensions import db
from portal.models import Decision, DeclinedRecommendation, DeviceStatus, LineTier, Quote, QuoteState
from tests.conftest import device_row
from tests.quotes_helpers import new_revision, send_quote, tax_rate

S = DeviceStatus


@pytest.fixture
def waiting(make_company, make_order):
    """An order of three devices, two of them waiting for approval of the default quote."""
    owner = make_company()
    order = make_order(owner, devices=3)
    first, second = (send_quote(d) for d in order.devices[:2])
    return owner, order, first, second


def url(order) -> str:
    return f"/orders/{order.id}/approval"


def choose(*pairs, po_number="PO-77", action="decide", **extra) -> dict:
    """Form data: (quote, choice[, line ids]) for each device."""
    data = {"po_number": po_number, "action": action, **extra}
    for pair in pairs:
        quote, choice, *lines = pair
        data[f"choice-{quote.device_id}"] = choice
        data[f"revision-{quote.device_id}"] = str(quote.revision)
        if lines:
            data[f"lines-{quote.device_id}"] = [str(i) for i in lines[0]]
    return data


def recommended_ids(quote) -> list[int]:
    return [line.id for line in quote.lines if line.tier == LineTier.RECOMMENDED]


def test_the_page_shows_each_waiting_device_with_both_variants_lines_taxes_and_totals(client, login, waiting):
    owner, order, first, second = waiting
    login(owner)
    page = client.get(url(order)).get_data(as_text=True)
    assert first.device.tag_code in page and second.device.tag_code in page
    assert order.devices[2].tag_code not in page  # not diagnosed: nothing to decide
    for text in ("SCR-TC52", "Screen assembly TC52", "Battery TC52", "Display cracked", "VAT 23%",
                 "210.33", "271.88", "171.00", "221.04", "39.33", "50.84", "25.50", "Required repair",
                 "Recommended repair"):
        assert text in page, text
    assert f'name="choice-{first.device_id}"' in page
    assert f'name="lines-{first.device_id}" value="{recommended_ids(first)[0]}"' in page
    assert 'value="PO-1"' in page  # the order's reference is filled in
    assert f"/quotes/{first.id}.pdf" in page


def test_accepting_the_required_repair_moves_the_device_to_repair(client, login, waiting):
    owner, order, first, second = waiting
    login(owner)
    response = client.post(url(order), data=choose((first, "required")))
    assert response.status_code == 302 and response.location.endswith(url(order))
    db.session.expire_all()
    assert first.device.status == S.REPAIR
    assert first.state == QuoteState.DECIDED and first.decision == Decision.REQUIRED
    assert first.decided_by_id == owner.id and first.po_number == "PO-77"
    assert [line.accepted for line in first.lines] == [True, True, False, False]
    assert second.device.status == S.AWAITING_APPROVAL  # left for later
    page = client.get(url(order)).get_data(as_text=True)
    assert "Decision saved for 1 device." in page
    assert "Required repair accepted" in page  # in the decided record


def test_picking_recommended_lines_accepts_them_and_remembers_the_declined_ones(client, login, waiting):
    owner, order, first, second = waiting
    battery, cleaning = recommended_ids(first)
    login(owner)
    response = client.post(url(order), data=choose((first, "lines", [battery]), (second, "recommended")))
    assert response.status_code == 302
    db.session.expire_all()
    assert first.decision == Decision.LINES
    assert {line.code for line in first.lines if line.accepted} == {"SCR-TC52", "LAB-30", "BAT-TC52"}
    assert second.decision == Decision.RECOMMENDED and all(line.accepted for line in second.lines)
    declined = db.session.scalars(select(DeclinedRecommendation)).all()
    assert [(d.serial_number, d.code) for d in declined] == [(first.device.serial_number, "CLN")]
    assert quotes.variant_totals(first, "accepted").gross == quotes.chosen_totals(first, [battery]).gross


def test_picking_no_line_is_the_required_repair(client, login, waiting):
    owner, order, first, _second = waiting
    login(owner)
    assert client.post(url(order), data=choose((first, "lines"))).status_code == 302
    db.session.expire_all()
    assert first.decision == Decision.REQUIRED


def test_declining_returns_the_device_unrepaired(client, login, waiting):
    owner, order, first, _second = waiting
    login(owner)
    assert client.post(url(order), data=choose((first, "declined"))).status_code == 302
    db.session.expire_all()
    assert first.decision == Decision.DECLINED and first.device.status == S.READY_TO_SHIP
    assert not any(line.accepted for line in first.lines)


def test_the_bulk_choice_without_the_script_marks_every_device_and_decides_nothing(client, login, waiting):
    owner, order, first, second = waiting
    login(owner)
    response = client.post(url(order), data={"action": "bulk", "bulk_choice": "recommended", "po_number": "PO-1",
                                             **{f"revision-{q.device_id}": "1" for q in (first, second)}})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for quote in (first, second):
        assert re.search(rf'name="choice-{quote.device_id}" value="recommended" checked', page)
    db.session.expire_all()
    assert first.state == second.state == QuoteState.SENT
    # ... and saving then decides them all
    assert client.post(url(order), data=choose((first, "recommended"), (second, "recommended"))).status_code == 302
    db.session.expire_all()
    assert first.device.status == second.device.status == S.REPAIR


def test_updating_the_totals_without_the_script_shows_the_picked_lines_total(client, login, waiting):
    owner, order, first, _second = waiting
    battery, _cleaning = recommended_ids(first)
    login(owner)
    response = client.post(url(order), data=choose((first, "lines", [battery]), action="update"))
    page = response.get_data(as_text=True)
    expected = quotes.chosen_totals(first, [battery]).gross
    assert expected == Decimal("259.52")
    assert f'id="chosen-{first.device_id}" aria-live="polite">259.52</output>' in page
    assert re.search(rf'name="lines-{first.device_id}" value="{battery}"[^>]*checked', page)
    db.session.expire_all()
    assert first.state == QuoteState.SENT


def test_the_totals_endpoint_counts_the_picked_lines_on_the_server(client, login, waiting):
    owner, _order, first, second = waiting
    battery, cleaning = recommended_ids(first)
    login(owner)
    data = client.get(f"/quotes/{first.id}/totals?line={battery}&line={cleaning}").get_json()
    assert data["gross"] == "271.88" and data["net"] == "221.04" and data["taxes"][0]["amount"] == "50.84"
    # a line of another quote changes nothing
    other = recommended_ids(second)[0]
    assert client.get(f"/quotes/{first.id}/totals?line={other}").get_json()["gross"] == "210.33"
    assert client.get(f"/quotes/{first.id}/totals?line=x").get_json()["gross"] == "210.33"


def test_a_refusal_for_one_device_names_it_saves_nothing_and_keeps_the_choices(client, login, waiting, make_user):
    owner, order, first, second = waiting
    colleague = make_user(owner.company, rights=("can_see_colleagues_orders", "can_edit_all_orders"))
    # a colleague decides the second device first
    quotes.decide(second, actor=colleague, choice=Decision.DECLINED, revision=1)
    db.session.commit()
    battery, _cleaning = recommended_ids(first)
    login(owner)
    response = client.post(url(order), data=choose((first, "lines", [battery]), (second, "required")))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert f"Revision 1 of the quote for {second.device.tag_code} was already decided." in page
    db.session.expire_all()
    assert first.state == QuoteState.SENT and first.device.status == S.AWAITING_APPROVAL
    assert all(line.accepted is None for line in first.lines)
    assert re.search(rf'name="choice-{first.device_id}" value="lines" checked', page)
    assert re.search(rf'name="lines-{first.device_id}" value="{battery}"[^>]*checked', page)


def test_deciding_twice_is_refused_and_changes_nothing(client, login, waiting):
    owner, order, first, _second = waiting
    login(owner)
    data = choose((first, "recommended"))
    assert client.post(url(order), data=data).status_code == 302
    db.session.expire_all()
    decided_at = first.decided_at
    response = client.post(url(order), data={**data, f"choice-{first.device_id}": "declined"})
    assert response.status_code == 200
    assert "already decided" in response.get_data(as_text=True)
    db.session.expire_all()
    assert first.decision == Decision.RECOMMENDED and first.decided_at == decided_at
    assert first.device.status == S.REPAIR


def test_an_outdated_revision_is_refused_and_the_new_one_shown(client, login, waiting):
    owner, order, first, _second = waiting
    login(owner)
    stale = choose((first, "recommended"))
    assert client.post(url(order), data=choose((first, "required"))).status_code == 302
    db.session.expire_all()
    second_revision = new_revision(first.device)  # more work found during repair
    assert first.device.status == S.AWAITING_APPROVAL
    response = client.post(url(order), data=stale)  # a page opened before revision 2 came
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"This is not the current revision of the quote for {first.device.tag_code}" in page
    assert "Keypad TC52" in page  # revision 2 is on the page now
    assert "Revision 1, sent" in page  # and the earlier one is listed
    db.session.expire_all()
    assert second_revision.state == QuoteState.SENT


def test_a_device_that_moved_on_is_refused(client, login, waiting, make_staff):
    owner, order, first, _second = waiting
    # the account manager decided it by phone meanwhile
    manager = make_staff(quotes.Role.ACCOUNT_MANAGER)
    quotes.decide(first, actor=manager, choice=Decision.REQUIRED, revision=1, on_behalf_of=owner,
                  consent_note="by phone")
    db.session.commit()
    login(owner)
    response = client.post(url(order), data=choose((first, "declined")))
    assert response.status_code == 200 and "already decided" in response.get_data(as_text=True)
    db.session.expire_all()
    assert first.decision == Decision.REQUIRED


def test_a_purchase_order_number_is_required_when_the_policy_says_so(client, login, waiting):
    owner, order, first, _second = waiting
    owner.company.approval_po_required = True
    order.po_reference = ""
    db.session.commit()
    login(owner)
    page = client.get(url(order)).get_data(as_text=True)
    assert "Required by your company" in page, page[page.find("po-field"):page.find("po-field")+800]
    response = client.post(url(order), data=choose((first, "required"), po_number=""))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your company asks for a purchase-order number with each approval." in page
    assert re.search(rf'name="choice-{first.device_id}" value="required" checked', page)
    db.session.expire_all()
    assert first.state == QuoteState.SENT
    assert client.post(url(order), data=choose((first, "required"), po_number="4500012345")).status_code == 302
    db.session.expire_all()
    assert first.po_number == "4500012345"


def test_choosing_nothing_says_so(client, login, waiting):
    owner, order, first, _second = waiting
    login(owner)
    response = client.post(url(order), data=choose((first, "")))
    assert "Choose what to do with at least one device." in response.get_data(as_text=True)


def test_a_colleague_who_may_see_but_not_approve_sees_the_quotes_read_only(client, login, waiting, make_user):
    owner, order, first, _second = waiting
    viewer = make_user(owner.company, rights=("can_see_colleagues_orders",))
    login(viewer)
    page = client.get(url(order)).get_data(as_text=True)
    assert "Screen assembly TC52" in page and "approvers decide them" in page
    assert "choice-" not in page and "Save the decisions" not in page
    assert client.post(url(order), data=choose((first, "required"))).status_code == 403
    db.session.expire_all()
    assert first.state == QuoteState.SENT


def test_named_approvers_decide_and_the_owner_only_sees(client, login, waiting, make_user):
    owner, order, first, _second = waiting
    approver = make_user(owner.company, rights=("can_see_colleagues_orders",))
    approval_policy.save_policy(owner.company, named_only=True, approver_ids=[approver.id], po_required=False,
                                auto_limit="", actor=owner)
    db.session.commit()
    login(owner)
    assert client.post(url(order), data=choose((first, "required"))).status_code == 403
    login(approver)
    assert client.post(url(order), data=choose((first, "required"))).status_code == 302
    db.session.expire_all()
    assert first.decided_by_id == approver.id


def test_a_user_of_another_company_gets_404_everywhere(client, login, waiting, make_company):
    _owner, order, first, _second = waiting
    login(make_company())
    assert client.get(url(order)).status_code == 404
    assert client.post(url(order), data=choose((first, "required"))).status_code == 404
    assert client.get(f"/quotes/{first.id}.pdf").status_code == 404
    assert client.get(f"/quotes/{first.id}/totals").status_code == 404
    db.session.expire_all()
    assert first.state == QuoteState.SENT


def test_a_user_who_may_not_see_the_order_gets_404(client, login, waiting, make_user):
    owner, order, first, _second = waiting
    login(make_user(owner.company))  # sees only their own orders
    assert client.get(url(order)).status_code == 404
    assert client.get(f"/quotes/{first.id}.pdf").status_code == 404


def test_the_quote_pdf_downloads_and_a_draft_never_does(client, login, waiting, make_staff):
    owner, order, first, _second = waiting
    login(owner)
    response = client.get(f"/quotes/{first.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f"{order.number}-{first.device.tag_code}-R1" in response.headers["Content-Disposition"]
    # a draft of the third device
    from tests.quotes_helpers import bring_to_diagnosis

    technician = bring_to_diagnosis(order.devices[2])
    draft = quotes.draft_for(order.devices[2], actor=technician)
    db.session.commit()
    assert client.get(f"/quotes/{draft.id}.pdf").status_code == 404
    assert client.get(f"/quotes/{draft.id}/totals").status_code == 404
    assert client.get("/quotes/999999.pdf").status_code == 404


def test_recommended_work_declined_on_an_earlier_visit_is_shown(client, login, make_company, make_order):
    owner = make_company()
    earlier = make_order(owner, devices=1, rows=[device_row(1, serial_number="SN-REPEAT")])
    quote = send_quote(earlier.devices[0])
    quotes.decide(quote, actor=owner, choice=Decision.REQUIRED, revision=1)
    db.session.commit()
    later = make_order(owner, devices=1, rows=[device_row(2, serial_number="SN-REPEAT")])
    send_quote(later.devices[0])
    login(owner)
    page = client.get(url(later)).get_data(as_text=True)
    assert "On earlier visits of this serial number you declined:" in page
    assert "Cleaning and new rubber seals" in page.split("On earlier visits")[1]
    assert "On earlier visits" not in client.get(url(earlier)).get_data(as_text=True)


def test_reverse_charge_shows_its_legal_note(client, login, make_company, make_order):
    owner = make_company(country="DE")
    tax_rate("Reverse charge", "0.00", reverse=True)
    order = make_order(owner, devices=1)
    quote = send_quote(order.devices[0])
    assert quote.lines[0].tax_rate == Decimal("0.00")
    login(owner)
    page = client.get(url(order)).get_data(as_text=True)
    assert "Reverse charge (0%)" in page
    assert "VAT to be accounted for by the recipient" in page
    assert "171.00" in page  # gross = net


def test_the_order_page_link_target_without_waiting_devices_says_so(client, login, make_company, make_order):
    owner = make_company()
    order = make_order(owner, devices=1)
    login(owner)
    page = client.get(url(order)).get_data(as_text=True)
    assert "No device of this order is waiting for a decision." in page


def test_many_devices_are_decided_in_one_post(client, login, make_company, make_order):
    owner = make_company()
    order = make_order(owner, devices=6)
    sent = [send_quote(d) for d in order.devices]
    login(owner)
    response = client.post(url(order), data=choose(*[(q, "recommended") for q in sent]))
    assert response.status_code == 302
    db.session.expire_all()
    # five of each part in stock: the sixth device waits for parts
    assert [q.device.status for q in sent] == [S.REPAIR] * 5 + [S.WAITING_FOR_PARTS]
    assert db.session.scalar(select(db.func.count()).select_from(Quote).where(
        Quote.state == QuoteState.DECIDED)) == 6
