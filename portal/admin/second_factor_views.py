"""An admin resets a staff member's second factor (a lost phone): they set it up again at their next login."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import second_factor
from portal.admin import bp
from portal.customer.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Role, User


@bp.route("/staff/<int:user_id>/second-factor/reset", methods=["POST"])
def reset_second_factor(user_id):
    if not current_user.has_role(Role.ADMIN):
        abort(403)
    person = db.get_or_404(User, user_id)
    if not person.is_staff:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            second_factor.disable(person, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The second factor of %(name)s is reset; they set it up again at their next login.",
                    name=person.name), "success")
    return redirect(url_for("admin.staff_member", user_id=person.id))
