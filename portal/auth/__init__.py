from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import second_factor_views, views  # noqa: E402,F401
