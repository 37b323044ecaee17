"""Announcements the depot shows on customers' welcome pages between two dates."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Announcement, User


def current_announcements(today: date) -> list[Announcement]:
    return list(db.session.scalars(
        select(Announcement)
        .where(Announcement.starts_on <= today, Announcement.ends_on >= today)
        .order_by(Announcement.starts_on.desc(), Announcement.id.desc())
    ))


def save_announcement(data: dict, *, actor: User, announcement: Announcement | None = None) -> Announcement:
    if data["ends_on"] < data["starts_on"]:
        raise DomainError(str(_l("The last day cannot come before the first.")), field="ends_on")
    if announcement is None:
        announcement = Announcement(created_by_id=actor.id)
        db.session.add(announcement)
    for name, value in data.items():
        setattr(announcement, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    return announcement
