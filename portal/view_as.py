"""An account manager (or an admin) opens the portal as one of their customer users sees it.

The staff member stays the logged-in identity: the session keeps their own login and, next to
it, which customer user they view as. For requests to the customer blueprint only, a request
hook makes that customer user Flask-Login's `current_user` (so every customer page and loader
scopes to the customer's company exactly as for the customer), while `g.staff_user` keeps the
staff member. Staff pages, the login pages and the second-factor check keep the staff member.

Whatever is done while viewing records both people: a device's transition has the staff member
as actor and the customer user as on-behalf-of (`portal.workflow` asks `acting_staff`), a new
order is created by the staff member for the customer user (`portal.orders.start_draft`), and a
quote decision needs the customer's written consent. Every other change made through the customer
pages while viewing (a draft saved, a spreadsheet imported, a parcel confirmed delivered...) is
written to the audit log by an after-request hook, with the staff member as actor and the customer
user as the record (`record_action`). Pages that change a customer's users, security or company
details are refused while viewing (`READ_ONLY`). Starting and ending a view are written to the
audit log too.

Every request re-checks that the view may go on (the same staff member still logged in, still
holding the role and managing the company, with the second factor set up; the customer user still
active); otherwise the view ends silently and the staff member gets their own pages back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, Response, current_app, flash, g, has_request_context, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from portal import second_factor
from portal.dbbase import utcnow
from portal.errors import NotAllowed
from portal.extensions import db, login_manager
from portal.models import AuditEntry, Company, Role, User

SESSION_KEY = "view_as"

#: The audit log's action for a change made through the customer pages while viewing.
ACTION = "view_as_action"
#: How the audit page titles this module's entries.
AUDIT_ACTION_TITLES = {"view_as": _l("Customer view"), ACTION: _l("Acted as customer")}
#: The order form's script saves the draft every few seconds while the staff member types: one
#: entry per page within this window says as much as a hundred would.
REPEAT_WINDOW = timedelta(minutes=10)
#: Requests that only read, so never an action.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Customer pages that change users, security settings or company details: read-only while viewing
#: (their GET shows, anything else is refused).
READ_ONLY = frozenset({
    "customer.users", "customer.invite_user", "customer.edit_user", "customer.change_user",
    "customer.company", "customer.invoice_profile", "customer.archive_invoice_profile",
    "customer.return_address", "customer.change_return_address", "customer.approval_policy",
})


@dataclass(frozen=True)
class View:
    staff: User
    customer: User


# -- who may --------------------------------------------------------------------------------------

def may_view_company(staff: User, company: Company) -> bool:
    """Admins any company; account managers the companies they manage; nobody else."""
    if not (getattr(staff, "is_authenticated", False) and staff.is_staff):
        return False
    if staff.has_role(Role.ADMIN):
        return True
    return staff.has_role(Role.ACCOUNT_MANAGER) and company.account_manager_id == staff.id


def refusal(staff: User, customer: User) -> str | None:
    """Why the staff member may not view the portal as this user now, or None."""
    if customer.is_staff or customer.company is None:
        return str(_l("Only a customer user's view can be opened."))
    if not customer.is_active_account:
        return str(_l("%(name)s is deactivated: their view cannot be opened.", name=customer.name))
    if not may_view_company(staff, customer.company):
        return str(_l("You may open the views of your own companies' users only."))
    if second_factor.needs_second_factor(staff) and not second_factor.is_enrolled(staff):
        return str(_l("Set up your second factor first."))
    return None


# -- the audit log --------------------------------------------------------------------------------

def _audit(staff: User, customer: User, what: str) -> None:
    db.session.add(AuditEntry(actor_id=staff.id, at=utcnow(), action="view_as", entity="users",
                              entity_id=customer.id, field="view_as", old_value="",
                              new_value=f"{what}: {customer.name} <{customer.email}> ({customer.company.legal_name})"))


def record_action(staff: User, customer: User, endpoint: str, path: str) -> AuditEntry | None:
    """Log a change made through a customer page while viewing (the caller commits).

    The same page done again by the same people within REPEAT_WINDOW is not logged again, so the
    draft's autosave leaves one entry, not one per keystroke pause. The new entry, or None.
    """
    field = endpoint[:60]
    line = f"{endpoint} {path} as {customer.name} <{customer.email}> ({customer.company.legal_name})"
    now = utcnow()
    seen = db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.actor_id == staff.id, AuditEntry.action == ACTION, AuditEntry.entity == "users",
        AuditEntry.entity_id == customer.id, AuditEntry.field == field, AuditEntry.new_value == line,
        AuditEntry.at >= now - REPEAT_WINDOW).limit(1))
    if seen is not None:
        return None
    entry = AuditEntry(actor_id=staff.id, at=now, action=ACTION, entity="users", entity_id=customer.id,
                       field=field, old_value="", new_value=line)
    db.session.add(entry)
    return entry


# -- starting, ending, asking ---------------------------------------------------------------------

def start(staff: User, customer: User) -> None:
    """Open the customer user's view for this session (the caller commits)."""
    problem = refusal(staff, customer)
    if problem:
        raise NotAllowed(problem)
    previous = current_view()
    if previous is not None:
        _audit(previous.staff, previous.customer, "ended")
    _audit(staff, customer, "started")
    session[SESSION_KEY] = {"staff": staff.id, "customer": customer.id}
    g.view_as = View(staff, customer)


def end() -> View | None:
    """Close this session's view, if one is open (the caller commits); the view that was closed."""
    view = current_view()
    session.pop(SESSION_KEY, None)
    g.pop("view_as", None)
    if view is not None:
        _audit(view.staff, view.customer, "ended")
    return view


def current_view() -> View | None:
    return g.get("view_as") if has_request_context() else None


def acting_staff(customer: User | None = None) -> User | None:
    """The staff member viewing the portal as a customer user in this request, else None.

    With `customer`, only when that is the user being viewed as (so a record made for someone
    else, or by the system, is left as it is).
    """
    view = current_view()
    if view is None or (customer is not None and customer.id != view.customer.id):
        return None
    return view.staff


# -- the request hook -----------------------------------------------------------------------------

def _forget(message: str | None = None) -> None:
    session.pop(SESSION_KEY, None)
    if message:
        flash(message, "info")


def _load_view() -> None:
    """Before every request: find the open view, check it may go on, swap the customer in."""
    data = session.get(SESSION_KEY)
    if not data:
        return None
    if not current_user.is_authenticated or current_user.id != data.get("staff"):
        _forget()  # logged out, or someone else logged in since
        return None
    staff = current_user._get_current_object()
    customer = db.session.get(User, data.get("customer") or 0)
    if customer is None or refusal(staff, customer):
        _forget(_("The customer view has ended."))
        return None
    g.view_as = View(staff, customer)
    if request.blueprint != "customer":
        return None
    if request.endpoint in READ_ONLY and request.method not in ("GET", "HEAD"):
        return render_template(
            "errors/error.html", status=403, title=_("Not while viewing as a customer"),
            message=_("You are viewing the portal as %(name)s: their users, security settings and company "
                      "details cannot be changed from this view.", name=customer.name)), 403
    g.staff_user = staff
    # Flask-Login keeps the request's user in g._login_user (flask_login.utils._get_user); the
    # session's login stays the staff member's.
    login_manager._update_request_context_with_user(customer)
    return None


def _log_action(response: Response) -> Response:
    """After every request: a change made through a customer page while viewing is logged."""
    view = current_view()
    if (view is None or g.get("staff_user") is None or request.blueprint != "customer"
            or request.method in READING_METHODS or response.status_code >= 400):
        return response
    try:
        # Whatever the view left uncommitted (a refusal after a partial change) would be rolled
        # back at teardown: it must not ride along with the log entry's commit.
        db.session.rollback()
        record_action(view.staff, view.customer, request.endpoint or "", request.path)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the action is done and answered: a lost log line must not make it an error
        db.session.rollback()
        current_app.logger.exception("Could not log %s %s made while viewing as a customer",
                                     request.method, request.path)
    return response


def register(app: Flask) -> None:
    """Install the hooks; create_app calls this after the blueprints, so the second-factor check
    (an app-wide hook of the auth blueprint) runs first and always sees the staff member."""
    app.before_request(_load_view)
    app.after_request(_log_action)
    app.jinja_env.globals["may_view_company"] = may_view_company

    @app.context_processor
    def view_as_context():
        return {"view_as": current_view()}
