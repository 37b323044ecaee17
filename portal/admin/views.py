"""The office: staff, companies and their account managers, rules, announcements, mail."""

import re
from functools import wraps

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal import announcements, assignment, staff
from portal.admin import bp
from portal.admin.forms import ROLE_TITLES, AnnouncementForm, ReassignForm, RuleForm, StaffForm
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import (
    Announcement,
    AssignmentRule,
    Company,
    MailStatus,
    OutboxMessage,
    Role,
    User,
)

PAGE_SIZE = 50
LINK_PATTERN = re.compile(r"https?://[^\s<>\"']+")
#: A mail's HTML part is shown as the recipient sees it, but sandboxed: no script, no form, no origin.
MAIL_HTML_POLICY = (
    "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
    "style-src 'unsafe-inline'; img-src data:"
)


def admin_only(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.has_role(Role.ADMIN):
            abort(403)
        return view(*args, **kwargs)
    return wrapper


@bp.route("/")
def index():
    counts = {
        "companies": db.session.scalar(select(func.count()).select_from(Company)),
        "unassigned": db.session.scalar(
            select(func.count()).select_from(Company).where(Company.account_manager_id.is_(None))),
        "staff": db.session.scalar(select(func.count()).select_from(User).where(User.company_id.is_(None))),
        "queued_mail": db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == MailStatus.QUEUED)),
    }
    return render_template("admin/index.html", counts=counts)


# -- staff ---------------------------------------------------------------------

@bp.route("/staff")
@admin_only
def staff_list():
    people = db.session.scalars(
        select(User).where(User.company_id.is_(None)).order_by(User.name)).all()
    return render_template("admin/staff.html", people=people, role_titles=ROLE_TITLES)


@bp.route("/staff/new", methods=["GET", "POST"])
@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@admin_only
def staff_member(user_id=None):
    person = db.get_or_404(User, user_id) if user_id else None
    if person is not None and not person.is_staff:
        abort(404)
    form = StaffForm(obj=person)
    if person is not None and not form.is_submitted():
        form.roles.data = [r.role.value for r in person.roles]
        form.is_active.data = person.is_active_account
    if person is not None:
        del form.email
    if form.validate_on_submit():
        roles = [Role(r) for r in form.roles.data]
        try:
            if person is None:
                person = staff.create_staff(email=form.email.data, name=form.name.data, roles=roles,
                                            actor=current_user)
                message = _("%(name)s is added and invited by e-mail.", name=person.name)
            else:
                staff.update_staff(person, name=form.name.data, roles=roles,
                                   is_active=form.is_active.data, actor=current_user)
                message = _("Saved %(name)s.", name=person.name)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("admin.staff_list"))
    return render_template("admin/staff_member.html", form=form, person=person)


# -- companies -----------------------------------------------------------------

@bp.route("/companies")
def companies():
    query = select(Company).order_by(Company.legal_name).options(selectinload(Company.account_manager))
    search = request.args.get("q", "").strip()
    mine = request.args.get("mine", "1" if current_user.has_role(Role.ACCOUNT_MANAGER) else "0") == "1"
    if search:
        like = f"%{search}%"
        query = query.where(or_(Company.legal_name.ilike(like), Company.tax_id.ilike(like)))
    if mine:
        query = query.where(Company.account_manager_id == current_user.id)
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/companies.html", page=page, search=search, mine=mine)


@bp.route("/companies/<int:company_id>", methods=["GET", "POST"])
def company(company_id):
    company = db.get_or_404(Company, company_id)
    if request.method == "POST" and not current_user.has_role(Role.ADMIN):
        abort(403)
    form = ReassignForm()
    form.manager.choices = options((m.id, m.name) for m in assignment.active_managers())
    if form.validate_on_submit():
        manager = db.get_or_404(User, form.manager.data)
        try:
            assignment.reassign_by_hand(company, manager, actor=current_user, note=form.note.data or "")
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s now manages this company.", name=manager.name), "success")
            return redirect(url_for("admin.company", company_id=company.id))
    return render_template("admin/company.html", company=company, form=form)


# -- assignment rules ----------------------------------------------------------

@bp.route("/rules")
@admin_only
def rules():
    all_rules = db.session.scalars(
        select(AssignmentRule).order_by(AssignmentRule.priority, AssignmentRule.id)).all()
    return render_template("admin/rules.html", rules=all_rules, action_form=ConfirmForm())


@bp.route("/rules/new", methods=["GET", "POST"])
@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@admin_only
def rule(rule_id=None):
    rule = db.get_or_404(AssignmentRule, rule_id) if rule_id else None
    form = RuleForm(obj=rule)
    managers = {m.id: m for m in assignment.active_managers()}
    form.managers.choices = options((m.id, m.name) for m in managers.values())
    if rule is not None and not form.is_submitted():
        form.managers.data = [m.id for m in rule.managers]
    if form.validate_on_submit():
        data = {name: form[name].data for name in
                ("name", "priority", "country", "region", "industry", "size_band", "is_active")}
        data["region"] = data["region"] or ""
        try:
            assignment.save_rule(data, [managers[i] for i in form.managers.data], rule=rule)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Rule saved."), "success")
            return redirect(url_for("admin.rules"))
    return render_template("admin/rule.html", form=form, rule=rule)


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
@admin_only
def delete_rule(rule_id):
    rule = db.get_or_404(AssignmentRule, rule_id)
    if ConfirmForm().validate_on_submit():
        db.session.delete(rule)
        db.session.commit()
        flash(_("Rule deleted. Companies it assigned keep their managers."), "success")
    return redirect(url_for("admin.rules"))


# -- announcements -------------------------------------------------------------

@bp.route("/announcements")
@admin_only
def announcement_list():
    items = db.session.scalars(select(Announcement).order_by(Announcement.starts_on.desc())).all()
    return render_template("admin/announcements.html", items=items, action_form=ConfirmForm())


@bp.route("/announcements/new", methods=["GET", "POST"])
@bp.route("/announcements/<int:announcement_id>", methods=["GET", "POST"])
@admin_only
def announcement(announcement_id=None):
    item = db.get_or_404(Announcement, announcement_id) if announcement_id else None
    form = AnnouncementForm(obj=item)
    if form.validate_on_submit():
        data = {name: form[name].data for name in ("title", "body", "starts_on", "ends_on")}
        try:
            announcements.save_announcement(data, actor=current_user, announcement=item)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Announcement saved."), "success")
            return redirect(url_for("admin.announcement_list"))
    return render_template("admin/announcement.html", form=form, item=item)


@bp.route("/announcements/<int:announcement_id>/delete", methods=["POST"])
@admin_only
def delete_announcement(announcement_id):
    item = db.get_or_404(Announcement, announcement_id)
    if ConfirmForm().validate_on_submit():
        db.session.delete(item)
        db.session.commit()
        flash(_("Announcement deleted."), "success")
    return redirect(url_for("admin.announcement_list"))


# -- mail ----------------------------------------------------------------------

@bp.route("/mail")
def mail():
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    search = request.args.get("q", "").strip()
    if search:
        query = query.where(OutboxMessage.recipient.ilike(f"%{search}%"))
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/mail.html", page=page, search=search)


@bp.route("/mail/<int:message_id>")
def mail_message(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("admin/mail_message.html", message=message,
                           links=LINK_PATTERN.findall(message.text_body))


@bp.route("/mail/<int:message_id>/html")
def mail_message_html(message_id):
    """The HTML part as the recipient sees it, sandboxed: no script, no form, no same origin."""
    message = db.get_or_404(OutboxMessage, message_id)
    response = make_response(message.html_body)
    response.headers["Content-Security-Policy"] = MAIL_HTML_POLICY
    return response
