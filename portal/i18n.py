"""Language and time zone of the person looking at a page or reading an e-mail."""

from datetime import date, datetime
from zoneinfo import available_timezones

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime
from flask_login import current_user


def select_locale() -> str:
    if not has_request_context():  # jobs and commands: mail picks its language with force_locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = list(current_app.config["LANGUAGES"])
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if not has_request_context():
        return current_app.config["DEPOT_TIMEZONE"]
    if current_user and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return current_app.config["DEPOT_TIMEZONE"]


def timezone_choices() -> list[str]:
    return sorted(tz for tz in available_timezones() if "/" in tz and not tz.startswith("Etc/"))


def localtime(value: datetime | None, format: str = "medium") -> str:
    """A UTC time shown in the viewer's zone and locale."""
    if value is None:
        return ""
    return format_datetime(value, format)


def localdate(value: date | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format)
