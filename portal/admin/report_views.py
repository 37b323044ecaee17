"""The managers' reports: one page per report for a period, and each as an .xlsx. Admins and
account managers read them."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, render_template, request, send_file
from flask_babel import format_decimal
from flask_login import current_user

from portal import report_charts, reports
from portal.admin import bp
from portal.errors import DomainError
from portal.models import Role

READERS = (Role.ADMIN, Role.ACCOUNT_MANAGER)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_reader() -> None:
    if not current_user.has_role(*READERS):
        abort(403)


def show(value) -> str:
    """A figure as the page shows it: money with cents, hours and shares with one decimal."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return format_decimal(value, format="#,##0.00" if value.as_tuple().exponent <= -2 else "#,##0.0")
    if isinstance(value, int):
        return format_decimal(value, format="#,##0")
    return str(value)


def _period() -> tuple[reports.Period, DomainError | None]:
    """The period asked for, or the last 12 months with the reason the request was refused."""
    try:
        return reports.parse_period(request.args.get("from"), request.args.get("to"),
                                    preset=request.args.get("preset") or None), None
    except DomainError as error:
        return reports.parse_period(None, None), error


@bp.route("/reports", endpoint="reports")
def reports_page():
    _require_reader()
    name = request.args.get("report", "turnaround")
    if name not in reports.REPORTS:
        abort(404)
    period, problem = _period()
    today = reports.depot_today()
    presets = {key: (title, reports.preset_period(key, today)) for key, title in reports.PRESETS.items()}
    return render_template("admin/reports.html", name=name, data=reports.build(name, period), period=period,
                           problem=problem, catalogue=reports.REPORTS, presets=presets, draw=report_charts.draw,
                           show=show)


@bp.route("/reports/<name>.xlsx")
def report_xlsx(name: str):
    _require_reader()
    if name not in reports.REPORTS:
        abort(404)
    period, problem = _period()
    if problem is not None:
        abort(400, problem.message)
    data = reports.build(name, period)
    return send_file(reports.workbook(data), as_attachment=True, mimetype=XLSX_MIMETYPE,
                     download_name=f"report-{name}-{period.start.isoformat()}-{period.end.isoformat()}.xlsx")
