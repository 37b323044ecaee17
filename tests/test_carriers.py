"""Tracking numbers: each carrier's published format, the S10 check digit, the tracking links."""

import pytest

from portal import carriers
from portal.errors import DomainError
from portal.models import Carrier

VALID = [
    (Carrier.UPS, "1Z999AA10123456784"),
    (Carrier.UPS, "1z 999 aa1 0123 4567 84"),
    (Carrier.DHL, "1234567890"),
    (Carrier.DHL, "003404341234567890"),
    (Carrier.DHL, "JJD0099999999123456"),
    (Carrier.DPD, "01234567890123"),
    (Carrier.GLS, "12345678901"),
    (Carrier.GLS, "123456789012"),
    (Carrier.GLS, "ZF8K2Q1X"),
    (Carrier.FEDEX, "123456789012"),
    (Carrier.FEDEX, "123456789012345"),
    (Carrier.FEDEX, "12345678901234567890"),
    (Carrier.FEDEX, "1234567890123456789012"),
    (Carrier.INPOST, "620123456789012345678901"),
    (Carrier.POCZTA_POLSKA, "RR123456785PL"),
    (Carrier.POCZTA_POLSKA, "00659007734567890123"),
    (Carrier.OTHER, "ABC-1234"),
]

INVALID = [
    (Carrier.UPS, "1Z999AA1012345678", "“1Z” and 16 letters or digits"),
    (Carrier.UPS, "123456789012345678", "has 18"),
    (Carrier.DHL, "12345", "has 5"),
    (Carrier.DHL, "JJD12", "“JJD” and digits"),
    (Carrier.DPD, "123", "A DPD tracking number has 14 digits; “123” has 3."),
    (Carrier.DPD, "0123456789012A", "is not one"),
    (Carrier.GLS, "1234567890", "has 10"),
    (Carrier.GLS, "ABC", "is not one"),
    (Carrier.FEDEX, "1234567890123", "has 13"),
    (Carrier.INPOST, "62012345678901234567890", "An InPost tracking number has 24 digits"),
    (Carrier.POCZTA_POLSKA, "RR12345678PL", "RR123456785PL"),
    (Carrier.POCZTA_POLSKA, "10659007734567890123", "has 20"),
    (Carrier.OTHER, "AB", "4 to 40"),
    (Carrier.OTHER, "ABC_1234", "4 to 40"),
    (Carrier.OTHER, "A" * 41, "4 to 40"),
]


@pytest.mark.parametrize("carrier, number", VALID)
def test_numbers_in_the_carriers_format_are_accepted_normalised(app, carrier, number):
    checked = carriers.check_tracking(carrier, number)
    assert checked == "".join(number.split()).upper()


@pytest.mark.parametrize("carrier, number, message", INVALID)
def test_numbers_out_of_format_are_refused_with_the_rule(app, carrier, number, message):
    with pytest.raises(DomainError) as refused:
        carriers.check_tracking(carrier, number)
    assert message in refused.value.message
    assert refused.value.field == "tracking_number"


def test_spaces_and_hyphens_typed_in_a_known_carriers_number_are_dropped(app):
    assert carriers.check_tracking("dpd", " 0123-4567 8901-23 ") == "01234567890123"
    assert carriers.check_tracking("other", "ab-12 34") == "AB-1234"


def test_an_empty_number_or_an_unknown_carrier_is_refused(app):
    with pytest.raises(DomainError, match="Enter the tracking number"):
        carriers.check_tracking(Carrier.DPD, "   ")
    with pytest.raises(DomainError, match="Choose a carrier") as refused:
        carriers.check_tracking("pigeon", "1234")
    assert refused.value.field == "carrier"


@pytest.mark.parametrize("serial, check", [("12345678", 5), ("47312482", 9), ("00000000", 5), ("00000008", 0),
                                           ("94706094", 2)])
def test_the_s10_check_digit(serial, check):
    assert carriers.s10_check_digit(serial) == check


def test_a_poczta_polska_number_with_a_wrong_check_digit_is_refused(app):
    with pytest.raises(DomainError, match="check digit"):
        carriers.check_tracking(Carrier.POCZTA_POLSKA, "RR123456784PL")
    assert carriers.check_tracking(Carrier.POCZTA_POLSKA, "aa 473124829 gb") == "AA473124829GB"  # the UPU's example


def test_tracking_links_point_to_the_carriers_pages_with_the_number_quoted():
    assert carriers.tracking_url(Carrier.DPD, "01234567890123") == (
        "https://tracking.dpd.de/status/en_US/parcel/01234567890123")
    assert carriers.tracking_url("ups", "1Z999AA10123456784").startswith("https://www.ups.com/track?")
    assert carriers.tracking_url(Carrier.INPOST, "A&B=1").endswith("number=A%26B%3D1")
    assert carriers.tracking_url(Carrier.OTHER, "ABC-1234") is None
    assert carriers.tracking_url(None, "1") is None and carriers.tracking_url(Carrier.DHL, "") is None
    assert all(carriers.tracking_url(c, "1").startswith("https://") for c in Carrier if c != Carrier.OTHER)


def test_titles(app):
    assert carriers.title(Carrier.POCZTA_POLSKA) == "Poczta Polska"
    assert carriers.title("other", " Kurier  Lokalny ") == "Kurier  Lokalny"
    assert carriers.title("other") == "Other carrier"
    assert carriers.title(None) == ""
