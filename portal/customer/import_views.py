"""Importing devices from a spreadsheet into an order: upload, preview, fix, confirm."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from portal import imports, order_imports
from portal.customer import bp
from portal.customer.forms import ConfirmForm, UploadForm
from portal.customer.order_views import order_for
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import refuse
from portal.imports.templates import build_template
from portal.models import ImportBatch, ImportState

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def batch_for(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    order_for(batch.order_id, edit=True)  # 404 for another company, 403 without the right to edit
    return batch


@bp.route("/orders/<int:order_id>/import", methods=["GET", "POST"])
def import_devices(order_id):
    order = order_for(order_id, edit=True)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
        # The page's script asks to read afterwards, showing the rows read; without it we read now.
        start = order_imports.upload_import if request.form.get("deferred") else order_imports.start_import
        try:
            batch = start(order, content, upload.filename or "devices", actor=current_user)
        except DomainError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, error.message]
        else:
            db.session.commit()
            return redirect(url_for("customer.import_preview", batch_id=batch.id))
    return render_template("customer/import_upload.html", order=order, form=form), 200 if not form.errors else 422


@bp.route("/imports/<int:batch_id>/read", methods=["POST"])
def read_import(batch_id):
    """Read a kept file, writing how far it has come; the preview page polls that meanwhile."""
    batch = batch_for(batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        pending = order_imports.pending_read(batch)
    except DomainError:
        return _back(batch)
    db.session.commit()  # hold no transaction while reading: the progress is written beside it
    try:
        result = imports.read_file(pending.content, pending.filename, mapping=pending.mapping,
                                   context=pending.context, progress=order_imports.progress_writer(batch_id))
    except imports.FileRefused as error:
        batch = db.session.get(ImportBatch, batch_id)
        order_id = batch.order_id
        db.session.delete(batch)
        db.session.commit()
        flash(error.message, "error")
        return redirect(url_for("customer.import_devices", order_id=order_id))
    batch = db.session.get(ImportBatch, batch_id)
    order_imports.finish_read(batch, result)
    db.session.commit()
    return _back(batch)


@bp.route("/imports/<int:batch_id>/progress")
def import_progress(batch_id):
    batch = batch_for(batch_id)
    return {"state": batch.state, "rows_read": batch.rows_read, "rows_total": batch.rows_total}


@bp.route("/import-template.xlsx")
def import_template():
    language = str(get_locale())
    return send_file(io.BytesIO(build_template(language)), mimetype=XLSX, as_attachment=True,
                     download_name=f"devices_{language}.xlsx")


@bp.route("/imports/<int:batch_id>")
def import_preview(batch_id):
    batch = batch_for(batch_id)
    if batch.state == ImportState.READING:
        return render_template("customer/import_reading.html", batch=batch, action_form=ConfirmForm())
    show = request.args.get("show", "problems")
    repeated = order_imports.duplicates(batch)
    rows = [_row_view(batch, row, repeated) for row in batch.rows]
    if show == "problems":
        # What needs attention first: errors, then warnings, then the rest, each in file order.
        rows.sort(key=lambda r: (not r["has_error"], not r["has_warning"], r["row"]))
    elif show == "errors":
        rows = [r for r in rows if r["has_error"] and not r["dropped"]]
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render_template(
        "customer/import_preview.html", batch=batch, rows=shown, page=page, pages=pages, show=show,
        summary=order_imports.summary(batch), fields=order_imports.fields(),
        by_field=order_imports.columns_by_field(batch), action_form=ConfirmForm(), upload_form=UploadForm())


def _row_view(batch: ImportBatch, row: dict, repeated: dict[int, int]) -> dict:
    problems = order_imports.row_problems(batch, row, repeated)
    return {**row, "problems": problems,
            "has_error": any(p["level"] == "error" for p in problems),
            "has_warning": any(p["level"] == "warning" for p in problems)}


def _changed_rows(batch: ImportBatch, row: int, repeated_before: dict[int, int]):
    """The fixed row and every row whose duplicate status the fix changed, rendered for the page's script."""
    repeated = order_imports.duplicates(batch)
    flipped = set(repeated.items()) ^ set(repeated_before.items())
    changed = {row} | {number for number, _first in flipped}
    context = {"batch": batch, "fields": order_imports.fields(), "by_field": order_imports.columns_by_field(batch),
               "action_form": ConfirmForm(), "show": request.args.get("show", "problems"),
               "page": request.args.get("page", 1, type=int)}
    summary = order_imports.summary(batch)
    return {
        "rows": {str(r["row"]): render_template("customer/_import_row.html", r=_row_view(batch, r, repeated),
                                                **context)
                 for r in batch.rows if r["row"] in changed},
        "summary": render_template("customer/_import_summary.html", summary=summary),
        "confirm_label": ngettext("Add %(num)d device to the order", "Add %(num)d devices to the order",
                                  summary["importable"]),
        "can_confirm": not summary["errors"] and summary["importable"] > 0,
    }


def _back(batch: ImportBatch, anchor: str | None = None):
    args = {k: v for k, v in request.args.items() if k in ("show", "page")}
    return redirect(url_for("customer.import_preview", batch_id=batch.id, **args, _anchor=anchor))


@bp.route("/imports/<int:batch_id>/columns", methods=["POST"])
def import_columns(batch_id):
    batch = batch_for(batch_id)
    if ConfirmForm().validate_on_submit():
        choices = {key.removeprefix("column-"): value for key, value in request.form.items()
                   if key.startswith("column-")}
        try:
            order_imports.remap_columns(batch, choices, actor=current_user)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("Columns mapped. This company's next import uses the same mapping."), "success")
    return _back(batch)


@bp.route("/imports/<int:batch_id>/rows/<int:row>", methods=["POST"])
def import_row(batch_id, row):
    batch = batch_for(batch_id)
    if ConfirmForm().validate_on_submit():
        action = request.form.get("action", "fix")
        repeated_before = order_imports.duplicates(batch)
        try:
            if action in ("drop", "restore"):
                order_imports.drop_row(batch, row, dropped=action == "drop")
            else:
                values = {key.removeprefix("value-"): value[:5000] for key, value in request.form.items()
                          if key.startswith("value-")}
                order_imports.fix_row(batch, row, values, actor=current_user)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            if request.headers.get("X-Requested-With") == "fetch":
                return _changed_rows(batch, row, repeated_before)
    return _back(batch, anchor=f"row-{row}")


@bp.route("/imports/<int:batch_id>/problems.xlsx")
def import_problems(batch_id):
    batch = batch_for(batch_id)
    result = imports.read_file(batch.content, batch.filename, mapping=order_imports.remembered_mapping(
        batch.company_id), context=imports.context_for(batch.order.company))
    content = imports.problems_workbook(batch.content, batch.filename, result)
    stem = batch.filename.rsplit(".", 1)[0]
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"{stem}-problems.xlsx")


@bp.route("/imports/<int:batch_id>/<any(confirm, discard):action>", methods=["POST"])
def finish_import(batch_id, action):
    batch = batch_for(batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            if action == "confirm":
                count = order_imports.confirm_import(batch, actor=current_user)
                message = _("%(count)d devices imported into the order.", count=count)
            else:
                order_imports.discard_import(batch, actor=current_user)
                message = _("Import discarded: nothing was added to the order.")
        except DomainError as error:
            refuse(None, error)
            return _back(batch)
        db.session.commit()
        flash(message, "success")
    if batch.state == ImportState.CONFIRMED and batch.order.state != "draft":
        return redirect(url_for("customer.order", order_id=batch.order_id))
    return redirect(url_for("customer.edit_order", order_id=batch.order_id))
