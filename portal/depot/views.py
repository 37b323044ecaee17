"""Depot stations. This issue gives staff their landing page; the stations follow."""

from flask import render_template
from flask_login import current_user

from portal.admin.forms import ROLE_TITLES
from portal.depot import bp


@bp.route("/")
def index():
    roles = [ROLE_TITLES[role] for role in ROLE_TITLES if current_user.has_role(role)]
    return render_template("depot/index.html", roles=roles)
