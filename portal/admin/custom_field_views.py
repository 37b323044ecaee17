"""Custom fields: the admins add their own fields to orders and devices."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal import custom_fields
from portal.admin import bp
from portal.admin.custom_field_forms import CustomFieldForm
from portal.admin.views import admin_only
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import refuse
from portal.models import CustomField, CustomFieldKind, CustomFieldTarget


@bp.route("/custom-fields")
@admin_only
def custom_fields_list():
    groups = [(title, custom_fields.fields_of(target, active_only=False))
              for target, title in custom_fields.TARGET_TITLES.items()]
    return render_template("admin/custom_fields.html", groups=groups, kinds=custom_fields.KIND_TITLES,
                           action_form=ConfirmForm())


@bp.route("/custom-fields/new", methods=["GET", "POST"])
@bp.route("/custom-fields/<int:field_id>", methods=["GET", "POST"])
@admin_only
def custom_field(field_id=None):
    item = db.get_or_404(CustomField, field_id) if field_id else None
    form = CustomFieldForm(obj=item)
    if item is not None:
        del form.target, form.kind  # fixed once created: the values given must still fit
    elif request.method == "GET" and request.args.get("target") in ("order", "device"):
        form.target.data = request.args["target"]
    if form.validate_on_submit():
        try:
            custom_fields.save_field(
                item, target=item.target if item else CustomFieldTarget(form.target.data), label=form.label.data,
                kind=item.kind if item else CustomFieldKind(form.kind.data), choices=form.choices.data or "",
                help_text=form.help_text.data or "", is_required=form.is_required.data,
                is_active=form.is_active.data)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Field saved."), "success")
            return redirect(url_for("admin.custom_fields_list"))
    return render_template("admin/custom_field.html", form=form, item=item, kinds=custom_fields.KIND_TITLES)


@bp.route("/custom-fields/<int:field_id>/move/<direction>", methods=["POST"])
@admin_only
def move_custom_field(field_id, direction):
    item = db.get_or_404(CustomField, field_id)
    if direction not in ("up", "down"):
        abort(404)
    if ConfirmForm().validate_on_submit():
        custom_fields.move(item, -1 if direction == "up" else 1)
        db.session.commit()
    return redirect(url_for("admin.custom_fields_list"))
