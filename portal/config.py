"""Settings from environment variables, with defaults that run a demo on one machine."""

import os
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str) -> dict:
    debug = _bool("PORTAL_DEBUG", False)
    sqlite_file = Path(instance_path) / "portal.sqlite3"
    config = {
        # PORTAL_DEBUG marks a developer's or demo machine: embedded secret, cookies over http.
        # It never turns on Flask's debugger, so no visitor ever sees a stack trace.
        "PORTAL_DEBUG": debug,
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", f"sqlite:///{sqlite_file}"),
        "SERVER_NAME": os.environ.get("SERVER_NAME"),
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Depot portal <portal@depot.example>"),
        "CUSTOMER_CARE_EMAIL": os.environ.get("CUSTOMER_CARE_EMAIL", "care@depot.example"),
        "DEPOT_TIMEZONE": os.environ.get("DEPOT_TIMEZONE", "Europe/Warsaw"),
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": {"en": "English", "pl": "Polski", "ru": "Русский"},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not debug,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not debug,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(25 * 1024 * 1024))),
        # Spreadsheet imports: larger files or more device rows are refused before they are parsed.
        "IMPORT_MAX_BYTES": int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024))),
        "IMPORT_MAX_ROWS": int(os.environ.get("IMPORT_MAX_ROWS", "100000")),
        "CONFIRMATION_MAX_AGE": 48 * 3600,
        "PASSWORD_RESET_MAX_AGE": 2 * 3600,
        "INVITATION_MAX_AGE": 7 * 24 * 3600,
        "LOGIN_FAILURE_LIMIT": 5,
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        "LOGIN_LOCK_MINUTES": 15,
        "MAIL_MAX_ATTEMPTS": 5,
        # Photos and other stored files: under instance/ (one storage interface; object storage later).
        "STORAGE_DIR": os.environ.get("STORAGE_DIR", str(Path(instance_path) / "files")),
        "PHOTO_MAX_BYTES": int(os.environ.get("PHOTO_MAX_BYTES", str(15 * 1024 * 1024))),
        # Larger images are refused before they are decoded (a small file can hold a huge picture).
        "PHOTO_MAX_PIXELS": int(os.environ.get("PHOTO_MAX_PIXELS", str(60_000_000))),
        # Photos a device needs at each stage before it may move on (intake -> diagnosis, dispatch -> shipped).
        "PHOTOS_MIN_PER_STAGE": int(os.environ.get("PHOTOS_MIN_PER_STAGE", "3")),
        # The depot's own repair warranty: the same serial back within it is a repeat repair.
        "REPAIR_WARRANTY_DAYS": int(os.environ.get("REPAIR_WARRANTY_DAYS", "90")),
        # A shipped device counts as delivered after this many days unless the customer confirmed earlier.
        "DELIVERY_CONFIRM_DAYS": int(os.environ.get("DELIVERY_CONFIRM_DAYS", "7")),
        # Money: the depot's currency and country (reverse charge applies to EU companies elsewhere)
        "CURRENCY": os.environ.get("CURRENCY", "EUR"),
        "DEPOT_COUNTRY": os.environ.get("DEPOT_COUNTRY", "PL"),
        # What a device returned unrepaired pays: declined or beyond repair, and no fault found
        "DIAGNOSIS_FEE": os.environ.get("DIAGNOSIS_FEE", "25.00"),
        "NO_FAULT_FOUND_FEE": os.environ.get("NO_FAULT_FOUND_FEE", "25.00"),
        # Quotes not decided: a reminder to the approvers after N days, an alert to the manager N days later
        "QUOTE_REMINDER_DAYS": int(os.environ.get("QUOTE_REMINDER_DAYS", "7")),
        "QUOTE_ALERT_DAYS": int(os.environ.get("QUOTE_ALERT_DAYS", "3")),
        # Reports: what an hour of a technician's time costs the depot (margin = revenue - parts - time)
        "TECHNICIAN_HOURLY_COST": os.environ.get("TECHNICIAN_HOURLY_COST", "30.00"),
        # Deadlines: a device is at risk with less than this share of its stage's time left
        "DEADLINE_AT_RISK_SHARE": os.environ.get("DEADLINE_AT_RISK_SHARE", "0.2"),
        # The seller on invoices, and the invoice numbers' prefixes (numbered per year without gaps)
        "DEPOT_NAME": os.environ.get("DEPOT_NAME", "Depot Repair Sp. z o.o."),
        "DEPOT_ADDRESS": os.environ.get("DEPOT_ADDRESS", "ul. Serwisowa 1, 02-001 Warszawa, PL"),
        "DEPOT_TAX_ID": os.environ.get("DEPOT_TAX_ID", "PL5250000000"),
        "DEPOT_BANK_ACCOUNT": os.environ.get("DEPOT_BANK_ACCOUNT", "PL61 1090 1014 0000 0712 1981 2874"),
        "INVOICE_PREFIX": os.environ.get("INVOICE_PREFIX", "INV"),
        "CREDIT_NOTE_PREFIX": os.environ.get("CREDIT_NOTE_PREFIX", "CN"),
        # Staff sign-in: admins and account managers always need the second factor; with this, all staff
        "SECOND_FACTOR_FOR_ALL_STAFF": _bool("SECOND_FACTOR_FOR_ALL_STAFF", False),
    }
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        config["SQLALCHEMY_DATABASE_URI"] = config["SQLALCHEMY_DATABASE_URI"].replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    return config
