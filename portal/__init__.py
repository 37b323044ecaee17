"""The depot repair portal: create_app builds the Flask application."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from portal.config import load_config
from portal.extensions import babel, csrf, db, login_manager, mail, migrate

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH", str(ROOT / "instance")),
    )
    app.config.update(load_config(app.instance_path))
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        if not (app.config["PORTAL_DEBUG"] or app.testing):
            raise RuntimeError("SECRET_KEY must be set when the portal does not run in debug mode.")
        app.config["SECRET_KEY"] = "dev-only-not-secret"
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_view_as(app)  # after the blueprints: the second-factor check runs first
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_audit(app)
    return app


def register_extensions(app: Flask) -> None:
    from portal import i18n

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)

    from portal.models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event

        busy_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))

        with app.app_context():
            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
                cursor.close()


def register_blueprints(app: Flask) -> None:
    from portal.admin import bp as admin_bp
    from portal.auth import bp as auth_bp
    from portal.customer import bp as customer_bp
    from portal.depot import bp as depot_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(customer_bp)
    app.register_blueprint(depot_bp, url_prefix="/depot")
    app.register_blueprint(admin_bp, url_prefix="/admin")


def register_errorhandlers(app: Flask) -> None:
    def render_error(status: int, title, message):
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(403)
    def forbidden(_error):
        return render_error(403, _l("Not allowed"), _l("You do not have the right to open this page."))

    @app.errorhandler(404)
    def not_found(_error):
        return render_error(404, _l("Not found"), _l("There is nothing at this address."))

    @app.errorhandler(413)
    def too_large(_error):
        return render_error(413, _l("File too large"), _l("The file you sent is larger than we accept."))

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return render_error(400, _l("Form expired"),
                            _l("The form had expired or was sent from elsewhere. Go back, reload and send it again."))

    @app.errorhandler(OperationalError)
    def database_busy(error):
        # SQLite lets one writer at a time; a writer that waited past the busy timeout is told to
        # try again (its transaction is rolled back, so nothing changed), never shown a trace.
        db.session.rollback()
        if "locked" not in str(error.orig).lower():
            raise error
        message = _l("The depot's database is busy. Nothing was changed: try again in a moment.")
        if request.headers.get("X-Requested-With") == "fetch":
            return {"level": "error", "message": str(message), "reload": False}, 503
        return render_error(503, _l("Busy"), message)

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return render_error(500, _l("Something went wrong"),
                            _l("We could not finish this. Nothing was changed; please try again."))


def register_commands(app: Flask) -> None:
    from portal.backup_cli import backup_command, restore_command
    from portal.booth_cli import booth_cli
    from portal.cli import demo_cli, jobs_cli, staff_cli
    from portal.imports.cli import import_cli

    app.cli.add_command(staff_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(booth_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def register_view_as(app: Flask) -> None:
    from portal import view_as

    view_as.register(app)


def register_audit(app: Flask) -> None:
    from portal import audit

    audit.register(app)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from portal import (  # noqa: F401 (quote_mail: its composers)
        carriers,
        custom_fields,
        i18n,
        photos,
        pricing,
        quote_mail,
        quotes,
    )

    app.jinja_env.filters["localtime"] = i18n.localtime
    app.jinja_env.filters["localdate"] = i18n.localdate
    from portal.forms import COUNTRIES, INDUSTRIES, SIZE_BANDS, title_of

    app.jinja_env.filters["country_name"] = lambda code: title_of(COUNTRIES, code)
    app.jinja_env.filters["industry_name"] = lambda code: title_of(INDUSTRIES, code)
    app.jinja_env.filters["size_band_name"] = lambda code: title_of(SIZE_BANDS, code)
    # Shots and stages are stored in English and shown translated (macros/photos.html);
    # carriers are titled and linked on parcels (macros/parcels.html), on depot and customer pages alike.
    app.jinja_env.filters["shot_title"] = photos.shot_title
    app.jinja_env.filters["stage_title"] = photos.stage_title
    app.jinja_env.globals["carrier_title"] = carriers.title
    app.jinja_env.globals["tracking_url"] = carriers.tracking_url
    # Quotes in pages, e-mails and PDFs: a variant's totals and a line's amount, from portal.pricing
    app.jinja_env.globals["quote_variant_totals"] = quotes.variant_totals
    app.jinja_env.globals["quote_line_amount"] = lambda line: pricing.line_amount(line.quantity, line.unit_price)
    # The admins' custom fields, shown wherever an order or a device is
    app.jinja_env.globals["order_custom_values"] = custom_fields.OrderValues
    app.jinja_env.globals["device_custom_values"] = custom_fields.device_values

    @app.context_processor
    def layout_context():
        return {
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
