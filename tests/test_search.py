"""Staff search: one box, any code a person at the depot has in hand."""

import pytest

from portal import search
from portal.extensions import db

pytestmark = pytest.mark.both_databases


@pytest.fixture
def orders(make_company, make_order):
    owner = make_company(legal_name="Nordic Scan Logistics AB")
    first, second = make_order(owner, devices=2), make_order(make_company(legal_name="Baumarkt GmbH"), devices=1)
    first.devices[0].serial_number, first.devices[0].asset_tag = "SN-ABC-1", "ASSET-77"
    first.inbound_tracking = "00340434161094042557"
    db.session.commit()
    return first, second


@pytest.mark.parametrize("query, kind", [
    ("SN-ABC-1", "device"), ("sn-abc-1", "device"), ("ASSET-77", "device"), ("tag", "device"),
    ("number", "order"), ("box", "order"), ("00340434161094042557", "order"),
    ("nordic scan", "company"), ("Baumarkt", "other company"),
])
def test_each_kind_of_code_finds_its_thing(orders, query, kind):
    first, second = orders
    query = {"tag": first.devices[0].tag_code.lower(), "number": first.number,
             "box": f"{first.number}-B1"}.get(query, query)
    found = search.find(query)
    expected = {"device": first.devices[0], "order": first, "company": first.company,
                "other company": second.company}[kind]
    assert found.only() == expected


def test_nothing_and_too_short_find_nothing(orders):
    assert search.find("no-such-thing-123").count == 0
    assert search.find("N").count == 0
    assert search.find("%").count == 0  # a wildcard typed is a character, not "everything"
