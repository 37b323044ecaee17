from flask import Blueprint

from portal.access import require_staff

bp = Blueprint("depot", __name__)
bp.before_request(require_staff)

from portal.depot import bench_views, booth, dispatch_views, qc_views, stations, views  # noqa: E402,F401
