"""What each technician repairs, for assigning received devices: a device category, a
manufacturer, or both (an empty manufacturer: any). Kept by the admins."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.errors import DomainError
from portal.extensions import db
from portal.models import DeviceCategory, Role, StaffRole, TechnicianSkill, User


def technicians() -> list[User]:
    """Active staff with the technician role, by name."""
    return list(db.session.scalars(
        select(User).join(StaffRole, StaffRole.user_id == User.id)
        .where(User.company_id.is_(None), StaffRole.role == Role.TECHNICIAN, User.is_active_account.is_(True))
        .order_by(User.name)))


def skills_by_technician(people: list[User]) -> dict[int, list[TechnicianSkill]]:
    """Each technician's skills, categories by name then manufacturers, in one query."""
    found: dict[int, list[TechnicianSkill]] = {person.id: [] for person in people}
    for skill in db.session.scalars(
            select(TechnicianSkill).outerjoin(DeviceCategory, TechnicianSkill.category_id == DeviceCategory.id)
            .where(TechnicianSkill.user_id.in_(found))
            .options(selectinload(TechnicianSkill.category))
            .order_by(DeviceCategory.name.is_(None), DeviceCategory.name, TechnicianSkill.manufacturer)):
        found[skill.user_id].append(skill)
    return found


def add_skill(user: User, category: DeviceCategory | None, manufacturer: str) -> TechnicianSkill:
    """A technician repairs this category (of any make), this manufacturer (any category), or both."""
    if not user.is_staff or not user.has_role(Role.TECHNICIAN):
        raise DomainError(_("%(name)s is not a technician.", name=user.name))
    manufacturer = " ".join((manufacturer or "").split())
    if len(manufacturer) > 100:
        raise DomainError(_("Use at most 100 characters."), field="manufacturer")
    if category is None and not manufacturer:
        raise DomainError(_("Choose a category, type a manufacturer, or both."), field="category_id")
    twin = db.session.scalar(select(TechnicianSkill.id).where(
        TechnicianSkill.user_id == user.id,
        TechnicianSkill.category_id.is_(None) if category is None else TechnicianSkill.category_id == category.id,
        func.lower(TechnicianSkill.manufacturer) == manufacturer.lower()))
    if twin is not None:
        raise DomainError(_("%(name)s has this skill already.", name=user.name), field="manufacturer")
    skill = TechnicianSkill(user=user, category=category, manufacturer=manufacturer)
    db.session.add(skill)
    db.session.flush()
    return skill


def remove_skill(skill: TechnicianSkill) -> None:
    """Devices already assigned stay with the technician; only new assignments change."""
    db.session.delete(skill)
    db.session.flush()
