"""Quotes: arithmetic in Decimal, two variants, revisions, and every refusal of a decision."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import parts, pricing, quotes, workflow
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Decision,
    DeclinedRecommendation,
    DeviceStatus,
    PriceItem,
    QuoteState,
    Role,
    TaxRate,
    Transition,
    company_approvers,
)

pytestmark = pytest.mark.both_databases
S = DeviceStatus


# -- arithmetic ---------------------------------------------------------------------------------

class Line:
    def __init__(self, quantity, unit_price, rate, name="VAT", note=""):
        self.quantity, self.unit_price, self.tax_rate = Decimal(quantity), Decimal(unit_price), Decimal(rate)
        self.tax_name, self.tax_note = name, note


def test_money_rounds_half_up_to_cents_and_refuses_floats():
    assert pricing.money("2.345") == Decimal("2.35")
    assert pricing.money("2.344") == Decimal("2.34")
    assert pricing.money(Decimal("-0.005")) == Decimal("-0.01")
    with pytest.raises(TypeError):
        pricing.money(0.1)


def test_tax_is_worked_out_per_rate_on_the_sum_of_its_lines():
    # Three lines of 0.05 at 23 %: per line 0.0115 -> 0.01 each (0.03); on the sum 0.15 * 23 % = 0.0345 -> 0.03.
    # Two lines of 10.10 at 8 %: 20.20 * 8 % = 1.616 -> 1.62.
    lines = [Line("1", "0.05", "23")] * 3 + [Line("2", "5.05", "8", "VAT 8%")] * 2
    totals = pricing.totals(lines)
    assert totals.net == Decimal("20.35")
    assert [(t.rate, t.base, t.amount) for t in totals.taxes] == [
        (Decimal("23"), Decimal("0.15"), Decimal("0.03")), (Decimal("8"), Decimal("20.20"), Decimal("1.62"))]
    assert totals.gross == Decimal("22.00") and totals.tax == Decimal("1.65")
    assert all(isinstance(value, Decimal) for value in (totals.net, totals.gross, totals.tax))


def test_a_line_amount_is_rounded_before_it_is_summed():
    # 3 x 0.335 = 1.005 -> 1.01 (half up), not 1.00 and not float's 1.0049999
    assert pricing.line_amount("3", "0.335") == Decimal("1.01")
    assert pricing.totals([Line("3", "0.335", "0")]).gross == Decimal("1.01")


# -- a device at the bench -------------------------------------------------------------------------

@pytest.fixture
def rates(app):
    vat = TaxRate(name="VAT 23%", rate=Decimal("23.00"))
    reverse = TaxRate(name="Reverse charge", rate=Decimal("0.00"), is_reverse_charge=True,
                      legal_note="Reverse charge: VAT to be accounted for by the recipient (Art. 196 VAT Directive)")
    db.session.add_all([vat, reverse])
    db.session.commit()
    return vat, reverse


@pytest.fixture
def items(rates):
    vat, _reverse = rates
    screen = PriceItem(code="P-SCR", description="Display assembly", kind="part", unit_price=Decimal("120.00"),
                       unit_cost=Decimal("70.00"), tax_rate=vat, stock=1)
    labour = PriceItem(code="L-30", description="Labour, 30 minutes", kind="labour", unit_price=Decimal("30.00"),
                       unit_cost=Decimal("12.50"), tax_rate=vat)
    battery = PriceItem(code="P-BAT", description="Battery", kind="part", unit_price=Decimal("45.50"),
                        unit_cost=Decimal("20.00"), tax_rate=vat, stock=5)
    db.session.add_all([screen, labour, battery])
    db.session.commit()
    return {"screen": screen, "labour": labour, "battery": battery}


@pytest.fixture
def people(make_company, make_staff, make_user):
    owner = make_company()
    return {"owner": owner, "technician": make_staff(Role.TECHNICIAN, name="Tom Tech"),
            "receiving": make_staff(Role.RECEIVING), "manager": make_staff(Role.ACCOUNT_MANAGER),
            "colleague": make_user(owner.company, rights=("can_see_colleagues_orders",)),
            "outsider": make_company()}


def at_diagnosis(device, people, take_photos):
    device.technician_id = people["technician"].id
    workflow.move(device, S.RECEIVED, actor=people["receiving"])
    take_photos(device, "intake")
    workflow.move(device, S.DIAGNOSIS, actor=people["technician"])
    db.session.commit()
    return device


@pytest.fixture
def device(make_order, people, take_photos):
    return at_diagnosis(make_order(people["owner"], devices=1).devices[0], people, take_photos)


def sent_quote(device, items, technician):
    quote = quotes.draft_for(device, actor=technician)
    quotes.add_line(quote, actor=technician, tier="required", quantity=1, item=items["screen"])
    quotes.add_line(quote, actor=technician, tier="required", quantity=2, item=items["labour"])
    quotes.add_line(quote, actor=technician, tier="recommended", quantity=1, item=items["battery"])
    quotes.send(quote, actor=technician)
    db.session.commit()
    return quote


def test_two_variants_with_their_totals(device, items, people):
    quote = sent_quote(device, items, people["technician"])
    required, recommended = quotes.variant_totals(quote, "required"), quotes.variant_totals(quote, "recommended")
    assert (required.net, required.tax, required.gross) == (Decimal("180.00"), Decimal("41.40"), Decimal("221.40"))
    assert (recommended.net, recommended.gross) == (Decimal("225.50"), Decimal("277.37"))  # 51.865 -> 51.87
    battery = next(line for line in quote.lines if line.code == "P-BAT")
    assert quotes.chosen_totals(quote, [battery.id]).gross == recommended.gross
    assert device.status == S.AWAITING_APPROVAL and quote.state == QuoteState.SENT


def test_contract_prices_and_discounts_apply(device, items, people):
    from portal.models import ContractPrice

    company = device.order.company
    company.contract_discount = Decimal("10")
    db.session.add(ContractPrice(company_id=company.id, price_item_id=items["labour"].id, unit_price=Decimal("25")))
    quote = quotes.draft_for(device, actor=people["technician"])
    screen = quotes.add_line(quote, actor=people["technician"], tier="required", quantity=1, item=items["screen"])
    labour = quotes.add_line(quote, actor=people["technician"], tier="required", quantity=1, item=items["labour"])
    assert (screen.unit_price, labour.unit_price) == (Decimal("108.00"), Decimal("25.00"))


def test_a_company_in_another_eu_country_with_a_vat_id_pays_by_reverse_charge(make_company, make_order, people,
                                                                              items, take_photos):
    german = make_company(country="DE")
    device = at_diagnosis(make_order(german, devices=1).devices[0], people, take_photos)
    quote = quotes.draft_for(device, actor=people["technician"])
    line = quotes.add_line(quote, actor=people["technician"], tier="required", quantity=1, item=items["screen"])
    totals = quotes.variant_totals(quote, "required")
    assert line.tax_rate == Decimal("0.00") and totals.gross == totals.net == Decimal("120.00")
    assert "Reverse charge" in totals.taxes[0].note


@pytest.mark.parametrize("bad, field", [({"quantity": "0"}, "quantity"), ({"quantity": "1.234"}, "quantity"),
                                        ({"quantity": "abc"}, "quantity"), ({"reason": ""}, "reason"),
                                        ({"unit_price": "ten"}, "unit_price"), ({"description": " "}, "description")])
def test_a_free_line_needs_a_description_a_price_and_a_reason(device, items, people, bad, field):
    quote = quotes.draft_for(device, actor=people["technician"])
    line = {"quantity": "1", "description": "Clean corrosion", "unit_price": "15.00", "reason": "Not on the list"}
    with pytest.raises(DomainError) as refused:
        quotes.add_line(quote, actor=people["technician"], tier="required", **{**line, **bad})
    assert refused.value.field == field and quote.lines == []


def test_only_the_assigned_technician_a_supervisor_or_an_admin_writes_the_quote(device, people, make_staff):
    with pytest.raises(DomainError, match="assigned technician"):
        quotes.draft_for(device, actor=make_staff(Role.TECHNICIAN))
    assert quotes.draft_for(device, actor=make_staff(Role.SUPERVISOR)).revision == 1


# -- deciding ---------------------------------------------------------------------------------------

def test_accepting_the_recommended_variant_reserves_the_parts_and_starts_the_repair(device, items, people):
    quote = sent_quote(device, items, people["technician"])
    quotes.decide(quote, actor=people["owner"], choice=Decision.RECOMMENDED, revision=1, po_number="PO-77")
    db.session.commit()
    assert device.status == S.REPAIR and quote.decision == Decision.RECOMMENDED and quote.po_number == "PO-77"
    assert all(line.accepted for line in quote.lines)
    db.session.refresh(items["screen"])
    assert items["screen"].stock == 0  # the last display is this device's now
    assert device.transitions[-1].actor == people["owner"]


def test_required_lines_and_picked_recommendations_the_rest_remembered_for_the_serial(device, items, people):
    technician = people["technician"]
    quote = quotes.draft_for(device, actor=technician)
    quotes.add_line(quote, actor=technician, tier="required", quantity=1, item=items["labour"])
    battery = quotes.add_line(quote, actor=technician, tier="recommended", quantity=1, item=items["battery"])
    quotes.add_line(quote, actor=technician, tier="recommended", quantity=1, description="Replace keypad",
                    unit_price="19.99", reason="Keys worn")
    quotes.send(quote, actor=technician)
    quotes.decide(quote, actor=people["owner"], choice=Decision.LINES, revision=1, line_ids=[battery.id])
    db.session.commit()
    assert [line.accepted for line in quote.lines] == [True, True, False]
    declined = db.session.scalars(select(DeclinedRecommendation)).all()
    assert [(d.serial_number, d.description) for d in declined] == [(device.serial_number, "Replace keypad")]


def test_declining_returns_the_device_unrepaired(device, items, people):
    quote = sent_quote(device, items, people["technician"])
    quotes.decide(quote, actor=people["owner"], choice=Decision.DECLINED, revision=1)
    db.session.commit()
    assert device.status == S.READY_TO_SHIP
    assert [t.to_status for t in device.transitions][-2:] == [S.DECLINED, S.READY_TO_SHIP]


def test_a_missing_part_makes_the_device_wait_and_a_receipt_releases_it(device, items, people, make_order,
                                                                        take_photos):
    first = sent_quote(device, items, people["technician"])
    other = at_diagnosis(make_order(people["owner"], devices=1).devices[0], people, take_photos)
    second = sent_quote(other, items, people["technician"])
    quotes.decide(first, actor=people["owner"], choice=Decision.REQUIRED, revision=1)
    quotes.decide(second, actor=people["owner"], choice=Decision.REQUIRED, revision=1)
    db.session.commit()
    assert (device.status, other.status) == (S.REPAIR, S.WAITING_FOR_PARTS)
    released = parts.receive_stock(items["screen"], 1, actor=people["technician"])
    db.session.commit()
    assert released == [other] and other.status == S.REPAIR and items["screen"].stock == 0


def decisions():
    return db.session.scalar(select(func.count()).select_from(Transition).where(
        Transition.from_status == S.AWAITING_APPROVAL))


@pytest.mark.parametrize("case, expected", [
    ("twice", "already decided"), ("outdated revision", "not the current revision"),
    ("moved on", "has moved on"), ("outsider", "may not decide"), ("colleague", "may not decide"),
    ("po required", "purchase-order number"), ("manager without consent", "written consent"),
])
def test_every_refused_decision_says_why_and_changes_nothing(device, items, people, case, expected):
    technician, owner = people["technician"], people["owner"]
    quote = sent_quote(device, items, technician)
    actor = owner
    if case == "twice":
        quotes.decide(quote, actor=owner, choice=Decision.REQUIRED, revision=1)
        db.session.commit()
    elif case == "outdated revision":  # the technician corrected the quote while the customer had it open
        correction = quotes.draft_for(device, actor=technician)
        quotes.send(correction, actor=technician)
    elif case == "moved on":
        workflow.move(device, S.DECLINED, actor=people["manager"], note="by phone")
    elif case in ("outsider", "colleague"):
        actor = people[case]
    elif case == "po required":
        device.order.company.approval_po_required, device.order.po_reference = True, ""
    elif case == "manager without consent":
        actor = people["manager"]
    db.session.commit()
    before = (decisions(), device.status, [line.accepted for line in quote.lines])
    with pytest.raises(DomainError, match=expected):
        quotes.decide(quote, actor=actor, choice=Decision.REQUIRED, revision=1)
    db.session.rollback()
    assert (decisions(), device.status, [line.accepted for line in quote.lines]) == before


def test_a_new_revision_supersedes_the_sent_one_and_the_old_cannot_be_decided(device, items, people):
    technician = people["technician"]
    first = sent_quote(device, items, technician)
    quotes.decide(first, actor=people["owner"], choice=Decision.REQUIRED, revision=1)
    db.session.commit()  # in repair now: more work found
    second = quotes.draft_for(device, actor=technician)
    assert second.revision == 2 and len(second.lines) == 3  # starts from what the customer saw
    quotes.add_line(second, actor=technician, tier="required", quantity=1, description="Replace charging port",
                    unit_price="35", reason="Found during repair")
    quotes.send(second, actor=technician)
    db.session.commit()
    assert device.status == S.AWAITING_APPROVAL and [q.revision for q in quotes.revisions(device)] == [2, 1]
    with pytest.raises(DomainError, match="already decided"):
        quotes.decide(first, actor=people["owner"], choice=Decision.REQUIRED, revision=1)
    with pytest.raises(DomainError, match="was sent and cannot change"):
        quotes.add_line(second, actor=technician, tier="required", quantity=1, item=items["labour"])


def test_named_approvers_only_when_the_policy_says_so(device, items, people, make_user):
    approver = make_user(device.order.company, rights=("can_see_colleagues_orders",))
    company = device.order.company
    company.approval_named_only = True
    db.session.execute(company_approvers.insert().values(company_id=company.id, user_id=approver.id))
    quote = sent_quote(device, items, people["technician"])
    assert quotes.approvers(device.order) == [approver]
    with pytest.raises(DomainError, match="may not decide"):
        quotes.decide(quote, actor=people["owner"], choice=Decision.REQUIRED, revision=1)
    quotes.decide(quote, actor=approver, choice=Decision.REQUIRED, revision=1)
    assert device.status == S.REPAIR


def test_the_account_manager_decides_for_the_customer_with_consent(device, items, people):
    quote = sent_quote(device, items, people["technician"])
    quotes.decide(quote, actor=people["manager"], choice=Decision.REQUIRED, revision=1, on_behalf_of=people["owner"],
                  consent_note="Approved by phone, 25 Nov, Olga")
    db.session.commit()
    last = device.transitions[-1]
    assert (last.actor, last.on_behalf_of) == (people["manager"], people["owner"])
    assert quote.decided_for == people["owner"] and "by phone" in quote.consent_note


def test_automatic_approval_under_the_company_limit(device, items, people):
    device.order.company.auto_approve_limit = Decimal("500")
    quote = sent_quote(device, items, people["technician"])
    assert device.status == S.REPAIR and quote.decision == Decision.AUTOMATIC
    assert [line.accepted for line in quote.lines] == [True, True, False]


def test_two_repairs_taking_the_last_part_at_once_one_waits(app, device, items, people, make_order, take_photos):
    """Two approvals at the same moment, one display in stock: one repair gets it, the other waits."""
    import threading

    from portal.models import Device, Quote, User

    other = at_diagnosis(make_order(people["owner"], devices=1).devices[0], people, take_photos)
    ids = [(sent_quote(d, items, people["technician"]).id, d.id) for d in (device, other)]
    owner_id, screen_id = people["owner"].id, items["screen"].id
    db.session.remove()
    barrier, errors = threading.Barrier(2), []

    def approve(quote_id):
        with app.app_context():
            try:
                quote, owner = db.session.get(Quote, quote_id), db.session.get(User, owner_id)
                barrier.wait()
                quotes.decide(quote, actor=owner, choice=Decision.REQUIRED, revision=1)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
                db.session.rollback()

    threads = [threading.Thread(target=approve, args=(quote_id,)) for quote_id, _ in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    statuses = sorted(db.session.get(Device, device_id).status for _, device_id in ids)
    assert statuses == sorted([S.REPAIR, S.WAITING_FOR_PARTS])
    assert db.session.get(PriceItem, screen_id).stock == 0
