"""Couriers: their names, the shape of their tracking numbers and their public tracking pages.

Used for the depot's outbound parcels and, later, for the customer's inbound parcel, so it knows
nothing of parcels: a carrier code (a `Carrier` value) and a number in, a checked number out.

Tracking-number formats, from the carriers' own help pages on "what does my tracking number look
like" (checked 2024; where a carrier publishes several formats every one is accepted):
- UPS: "1Z", a 6-character shipper number and 10 more characters: "1Z" + 16 letters or digits
  (ups.com, "Tracking number formats").
- DHL: Express waybills have 10 digits; DHL Paket / eCommerce parcels 12 to 20 digits, or "JJD"
  followed by 10 to 21 digits for international Paket (dhl.com, "Tracking number formats").
- DPD: 14 digits (dpd.com, "Parcel number").
- GLS: 11 or 12 digits, or an 8-character track ID of letters and digits (gls-group.com).
- FedEx: 12, 15, 20 or 22 digits (fedex.com, "Tracking number formats").
- InPost: 24 digits (inpost.pl, "Numer przesyłki").
- Poczta Polska: a UPU S10 item identifier (two letters, eight digits, a check digit computed
  with the weights 8 6 4 2 3 5 9 7, two letters of the country, e.g. RR123456785PL: UPU standard
  S10) or its domestic 20-digit number starting with 00 (poczta-polska.pl, "Numer nadania").
- Other carriers: 4 to 40 letters, digits or hyphens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import lazy_gettext as _l

from portal.errors import DomainError
from portal.models import Carrier

TITLES = {
    Carrier.DHL: "DHL",
    Carrier.DPD: "DPD",
    Carrier.GLS: "GLS",
    Carrier.UPS: "UPS",
    Carrier.FEDEX: "FedEx",
    Carrier.INPOST: "InPost",
    Carrier.POCZTA_POLSKA: "Poczta Polska",
    Carrier.OTHER: _l("Other carrier"),
}


@dataclass(frozen=True)
class Format:
    patterns: tuple[re.Pattern, ...]
    rule: object  # a lazy string: "A DPD tracking number has 14 digits"
    digits_only: bool  # every accepted number is digits: a wrong one is described by its length


def _format(*patterns: str, rule, digits_only: bool = False) -> Format:
    return Format(tuple(re.compile(rf"^(?:{p})$") for p in patterns), rule, digits_only)


FORMATS = {
    Carrier.UPS: _format(r"1Z[0-9A-Z]{16}", rule=_l("A UPS tracking number is “1Z” and 16 letters or digits")),
    Carrier.DHL: _format(r"\d{10}", r"\d{12,20}", r"JJD\d{10,21}",
                         rule=_l("A DHL tracking number has 10 digits (Express), 12 to 20 digits (Paket), "
                                 "or is “JJD” and digits")),
    Carrier.DPD: _format(r"\d{14}", rule=_l("A DPD tracking number has 14 digits"), digits_only=True),
    Carrier.GLS: _format(r"\d{11,12}", r"[0-9A-Z]{8}",
                         rule=_l("A GLS tracking number has 11 or 12 digits, or 8 letters and digits")),
    Carrier.FEDEX: _format(r"\d{12}", r"\d{15}", r"\d{20}", r"\d{22}",
                           rule=_l("A FedEx tracking number has 12, 15, 20 or 22 digits"), digits_only=True),
    Carrier.INPOST: _format(r"\d{24}", rule=_l("An InPost tracking number has 24 digits"), digits_only=True),
    Carrier.POCZTA_POLSKA: _format(r"[A-Z]{2}\d{9}[A-Z]{2}", r"00\d{18}",
                                   rule=_l("A Poczta Polska number is like RR123456785PL (two letters, nine "
                                           "digits, two letters) or has 20 digits starting with 00")),
    Carrier.OTHER: _format(r"[0-9A-Z-]{4,40}", rule=_l("A tracking number has 4 to 40 letters, digits or hyphens")),
}

#: The carriers' public tracking pages; the number is appended URL-quoted.
TRACKING_PAGES = {
    Carrier.DHL: "https://www.dhl.com/global-en/home/tracking.html?submit=1&tracking-id={}",
    Carrier.DPD: "https://tracking.dpd.de/status/en_US/parcel/{}",
    Carrier.GLS: "https://gls-group.com/EU/en/parcel-tracking?match={}",
    Carrier.UPS: "https://www.ups.com/track?loc=en_US&tracknum={}",
    Carrier.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={}",
    Carrier.INPOST: "https://inpost.pl/sledzenie-przesylek?number={}",
    Carrier.POCZTA_POLSKA: "https://emonitoring.poczta-polska.pl/?numer={}",
}

S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def choices() -> list[tuple[str, str]]:
    """(value, title) of every carrier, for a select field."""
    return [(carrier.value, str(title)) for carrier, title in TITLES.items()]


def title(carrier: Carrier | str | None, name: str = "") -> str:
    """The carrier's name as people write it; for "other", the name typed for it."""
    if not carrier:
        return ""
    carrier = Carrier(carrier)
    if carrier == Carrier.OTHER and name.strip():
        return name.strip()
    return str(TITLES[carrier])


def normalise(number: str) -> str:
    """As printed on labels: no spaces, upper case. Known carriers use no hyphens either."""
    return "".join(number.split()).upper()


def s10_check_digit(digits: str) -> int:
    """The UPU S10 check digit of an item's eight serial digits."""
    check = 11 - sum(int(d) * w for d, w in zip(digits, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def check_tracking(carrier: Carrier | str, number: str) -> str:
    """The tracking number, normalised, if it has the carrier's published shape; else DomainError.

    The error's field is "tracking_number", so a form shows it beside the number typed.
    """
    try:
        carrier = Carrier(carrier)
    except ValueError:
        raise DomainError(str(_l("Choose a carrier.")), field="carrier") from None
    number = normalise(number)
    if carrier != Carrier.OTHER:
        number = number.replace("-", "")
    if not number:
        raise DomainError(str(_l("Enter the tracking number.")), field="tracking_number")
    shown = number[:45]
    spec = FORMATS[carrier]
    if not any(p.match(number) for p in spec.patterns):
        if number.isdigit():
            message = _l("%(rule)s; “%(number)s” has %(count)d.", rule=spec.rule, number=shown, count=len(number))
        else:
            message = _l("%(rule)s; “%(number)s” is not one.", rule=spec.rule, number=shown)
        raise DomainError(str(message), field="tracking_number")
    is_s10 = carrier == Carrier.POCZTA_POLSKA and not number.isdigit()
    if is_s10 and s10_check_digit(number[2:10]) != int(number[10]):
        raise DomainError(str(_l("“%(number)s” is not a valid Poczta Polska number: its check digit does not "
                                 "match. Check it for a typing error.", number=shown)), field="tracking_number")
    return number


def tracking_url(carrier: Carrier | str | None, number: str) -> str | None:
    """The carrier's public tracking page for the number, or None (other carriers, no number)."""
    if not carrier or not number:
        return None
    page = TRACKING_PAGES.get(Carrier(carrier))
    return page.format(quote(number, safe="")) if page else None
