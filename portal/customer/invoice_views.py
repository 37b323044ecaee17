"""The customer's invoices: the list with what is paid and due, and each invoice's PDF."""

from __future__ import annotations

import io

from flask import abort, render_template, send_file
from flask_login import current_user

from portal import invoicing
from portal.customer import bp
from portal.extensions import db
from portal.invoice_documents import invoice_filename, invoice_pdf
from portal.models import Invoice

PAGE_SIZE = 25


def require_invoice_right() -> None:
    if not current_user.can_see_invoices:
        abort(403)


def invoice_for(invoice_id: int) -> Invoice:
    """An invoice of the user's company (404 otherwise), for a user with the right (403 otherwise)."""
    require_invoice_right()
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or not invoicing.may_see(current_user, invoice):
        abort(404)
    return invoice


@bp.route("/invoices")
def invoices():
    require_invoice_right()
    page = db.paginate(invoicing.company_invoices(current_user), per_page=PAGE_SIZE, error_out=False)
    today = invoicing.depot_today()
    return render_template("customer/invoices.html", page=page,
                           statuses={i.id: invoicing.status(i, today) for i in page.items},
                           outstanding={i.id: invoicing.outstanding(i) for i in page.items},
                           status_title=invoicing.status_title, issue_date=invoicing.issue_date)


@bp.route("/invoices/<int:invoice_id>.pdf", endpoint="invoice_pdf")
def invoice_pdf_file(invoice_id):
    invoice = invoice_for(invoice_id)
    return send_file(io.BytesIO(invoice_pdf(invoice)), mimetype="application/pdf",
                     download_name=invoice_filename(invoice))
