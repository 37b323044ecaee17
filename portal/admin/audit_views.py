"""The audit log of admin changes, for admins: newest first, by table, person and period."""

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit, view_as
from portal.admin import bp
from portal.admin.audit_forms import AuditFilterForm
from portal.extensions import db
from portal.forms import options
from portal.i18n import select_timezone
from portal.models import Role

PAGE_SIZE = 50


@bp.route("/audit")
def audit_log():
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    people = audit.actors()
    form = AuditFilterForm(request.args, meta={"csrf": False})
    form.table.choices = options([("", _("All tables"))] + [(name, audit.table_title(name)) for name in audit.AUDITED])
    form.person.choices = options([("", _("Everyone"))] + [(str(p.id), p.name) for p in people])
    valid = form.validate()
    filters = form.filters() if valid else {}
    page = db.paginate(audit.entries_query(**filters, timezone=select_timezone()),
                       per_page=PAGE_SIZE, error_out=False)
    # A customer view and what was done in it are no admin changes: they get titles of their own
    return render_template("admin/audit_log.html", form=form, page=page, table_title=audit.table_title,
                           view_as_titles=view_as.AUDIT_ACTION_TITLES,
                           args={k: v for k, v in request.args.items() if k != "page" and v})
