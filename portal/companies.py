"""A company's own details: invoice profiles and return addresses, archived and never deleted."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Company, InvoiceProfile, ReturnAddress, User

COMPANY_DETAIL_FIELDS = ("legal_name", "region", "street", "postcode", "city", "phone")


def update_company(company: Company, data: dict, *, actor: User) -> None:
    for name in COMPANY_DETAIL_FIELDS:
        if name in data:
            setattr(company, name, (data[name] or "").strip())


def save_invoice_profile(company: Company, data: dict, *, profile: InvoiceProfile | None = None) -> InvoiceProfile:
    if profile is None:
        profile = InvoiceProfile(company=company)
        db.session.add(profile)
    for name, value in data.items():
        setattr(profile, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    return profile


def set_invoice_profile_archived(profile: InvoiceProfile, archived: bool) -> None:
    """Archive a profile; users invoiced to it move to another active profile of the company."""
    if archived:
        others = [p for p in profile.company.invoice_profiles if p.id != profile.id and not p.is_archived]
        if not others:
            raise DomainError(str(_l("A company needs at least one active invoice profile.")))
        for user in db.session.scalars(select(User).where(User.invoice_profile_id == profile.id)):
            user.invoice_profile = others[0]
    profile.is_archived = archived


def save_return_address(company: Company, data: dict, *, address: ReturnAddress | None = None) -> ReturnAddress:
    if address is None:
        address = ReturnAddress(company=company)
        db.session.add(address)
    for name, value in data.items():
        setattr(address, name, value.strip() if isinstance(value, str) else value)
    if not any(a.is_default and not a.is_archived for a in company.return_addresses if a is not address):
        address.is_default = True
    db.session.flush()
    return address


def make_default_address(address: ReturnAddress) -> None:
    if address.is_archived:
        raise DomainError(str(_l("An archived address cannot be the default; restore it first.")))
    for other in address.company.return_addresses:
        other.is_default = other is address


def set_address_archived(address: ReturnAddress, archived: bool) -> None:
    if archived:
        active = [a for a in address.company.return_addresses if not a.is_archived and a is not address]
        if not active:
            raise DomainError(str(_l("A company needs at least one return address.")))
        if address.is_default:
            make_default_address(active[0])
        address.is_default = False
    address.is_archived = archived
