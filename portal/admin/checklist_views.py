"""Checklists per device category and technicians' skills, kept by the admins."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal import checklists, skills
from portal.admin import bp
from portal.admin.bench_forms import ChecklistItemForm, ChecklistTextForm, SkillForm, UploadForm
from portal.admin.views import admin_only
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import options, refuse
from portal.models import ChecklistItem, ChecklistKind, DeviceCategory, TechnicianSkill, User
from portal.sheet_tables import XLSX_MIMETYPE


def _list_url(category_id: int | None, kind: ChecklistKind) -> str:
    return url_for("admin.checklists", category=category_id or None, kind=kind.value)


def _chosen_list() -> tuple[DeviceCategory | None, ChecklistKind]:
    """The list named in the query string: a category (none: every category) and a kind."""
    try:
        kind = ChecklistKind(request.args.get("kind", ChecklistKind.DIAGNOSIS.value))
    except ValueError:
        abort(404)
    raw = request.args.get("category", "")
    if not raw:
        return None, kind
    if not raw.isdigit():
        abort(404)
    return db.get_or_404(DeviceCategory, int(raw)), kind


def _checklists_page(category, kind, add_form=None, edited: tuple[int, ChecklistTextForm] | None = None,
                     upload=None, summary=None, status=200):
    items = checklists.list_items(category, kind)
    text_forms = {}
    for item in items:
        if edited and edited[0] == item.id:
            text_forms[item.id] = edited[1]
        else:
            text_forms[item.id] = ChecklistTextForm(formdata=None, prefix=f"item{item.id}", text=item.text)
    categories = db.session.scalars(select(DeviceCategory).order_by(DeviceCategory.name)).all()
    shared = checklists.list_items(None, kind) if category is not None else []
    return render_template(
        "admin/checklists.html", category=category, kind=kind, kinds=checklists.KIND_TITLES,
        categories=categories, items=items, shared=[i for i in shared if i.is_active], text_forms=text_forms,
        add_form=add_form or ChecklistItemForm(formdata=None), upload=upload or UploadForm(formdata=None),
        summary=summary, action_form=ConfirmForm()), status


@bp.route("/checklists", methods=["GET", "POST"], endpoint="checklists")
@admin_only
def checklists_page():
    category, kind = _chosen_list()
    form = ChecklistItemForm()
    if form.validate_on_submit():
        try:
            checklists.add_item(category, kind, form.text.data)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Item added."), "success")
            return redirect(_list_url(category.id if category else None, kind))
    return _checklists_page(category, kind, add_form=form, status=400 if form.is_submitted() else 200)


@bp.route("/checklists/items/<int:item_id>/text", methods=["POST"])
@admin_only
def edit_checklist_item(item_id):
    item = db.get_or_404(ChecklistItem, item_id)
    form = ChecklistTextForm(prefix=f"item{item.id}")
    if form.validate_on_submit():
        try:
            checklists.edit_item(item, form.text.data)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Item saved."), "success")
            return redirect(_list_url(item.category_id, item.kind))
    return _checklists_page(item.category, item.kind, edited=(item.id, form), status=400)


@bp.route("/checklists/items/<int:item_id>/move/<any(up, down):direction>", methods=["POST"])
@admin_only
def move_checklist_item(item_id, direction):
    item = db.get_or_404(ChecklistItem, item_id)
    if ConfirmForm().validate_on_submit():
        try:
            checklists.move_item(item, -1 if direction == "up" else 1)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
    return redirect(_list_url(item.category_id, item.kind) + f"#item-{item.id}")


@bp.route("/checklists/items/<int:item_id>/active", methods=["POST"])
@admin_only
def toggle_checklist_item(item_id):
    item = db.get_or_404(ChecklistItem, item_id)
    if ConfirmForm().validate_on_submit():
        checklists.set_item_active(item, not item.is_active)
        db.session.commit()
        flash(_("Item activated.") if item.is_active else _("Item deactivated."), "success")
    return redirect(_list_url(item.category_id, item.kind))


@bp.route("/checklists.xlsx")
@admin_only
def export_checklists():
    return send_file(io.BytesIO(checklists.export_workbook()), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name="checklists.xlsx")


@bp.route("/checklists/import", methods=["POST"])
@admin_only
def import_checklists():
    category, kind = _chosen_list()
    form = UploadForm()
    if not form.validate_on_submit():
        return _checklists_page(category, kind, upload=form, status=400)
    try:
        summary = checklists.import_workbook(form.file.data.read())
    except DomainError as error:
        db.session.rollback()
        form.file.errors = [error.message]
        return _checklists_page(category, kind, upload=form, status=400)
    if not summary.ok:
        db.session.rollback()
        return _checklists_page(category, kind, upload=form, summary=summary, status=400)
    db.session.commit()
    flash(_("Checklists imported: %(lists)s lists, %(added)s items added, %(kept)s kept, %(gone)s deactivated.",
            lists=summary.lists, added=summary.added, kept=summary.kept, gone=summary.deactivated), "success")
    return redirect(_list_url(category.id if category else None, kind))


# -- technicians' skills ---------------------------------------------------------------------

def _skill_form(user: User, *, submitted: bool) -> SkillForm:
    form = SkillForm(prefix=f"t{user.id}") if submitted else SkillForm(formdata=None, prefix=f"t{user.id}")
    categories = db.session.scalars(select(DeviceCategory).where(DeviceCategory.is_active.is_(True))
                                    .order_by(DeviceCategory.name))
    form.category_id.choices = options([(0, _("Any category"))] + [(c.id, c.name) for c in categories])
    return form


def _skills_page(failed: tuple[int, SkillForm] | None = None, status=200):
    people = skills.technicians()
    forms = {p.id: failed[1] if failed and failed[0] == p.id else _skill_form(p, submitted=False) for p in people}
    return render_template("admin/skills.html", people=people, skills=skills.skills_by_technician(people),
                           forms=forms, action_form=ConfirmForm()), status


@bp.route("/skills", endpoint="skills")
@admin_only
def skills_page():
    return _skills_page()


@bp.route("/skills/<int:user_id>", methods=["POST"])
@admin_only
def add_skill(user_id):
    person = db.get_or_404(User, user_id)
    if not person.is_staff:
        abort(404)
    form = _skill_form(person, submitted=True)
    if form.validate_on_submit():
        category = db.session.get(DeviceCategory, form.category_id.data) if form.category_id.data else None
        try:
            skills.add_skill(person, category, form.manufacturer.data or "")
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Skill added for %(name)s.", name=person.name), "success")
            return redirect(url_for("admin.skills") + f"#tech-{person.id}")
    return _skills_page(failed=(person.id, form), status=400)


@bp.route("/skills/remove/<int:skill_id>", methods=["POST"])
@admin_only
def remove_skill(skill_id):
    skill = db.get_or_404(TechnicianSkill, skill_id)
    user_id = skill.user_id
    if ConfirmForm().validate_on_submit():
        skills.remove_skill(skill)
        db.session.commit()
        flash(_("Skill removed."), "success")
    return redirect(url_for("admin.skills") + f"#tech-{user_id}")
