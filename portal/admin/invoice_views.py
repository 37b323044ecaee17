"""The office's invoices: the list with filters, one invoice with its payments and credit notes,
the PDF, and the exports for accounting. Everyone in the office reads; admins record payments
and issue credit notes."""

from __future__ import annotations

import io
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from portal import invoicing
from portal.admin import bp
from portal.admin.invoice_forms import CreditNoteForm, PaymentForm
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import refuse
from portal.invoice_documents import invoice_filename, invoice_pdf, invoices_csv, invoices_workbook
from portal.models import Company, Invoice

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


def require_keeper() -> None:
    if not current_user.has_role(*invoicing.KEEPERS):
        abort(403)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> invoicing.InvoiceFilters:
    status = request.args.get("status", "")
    return invoicing.InvoiceFilters(
        status=status if status in set(invoicing.InvoiceStatus) else "",
        company_id=request.args.get("company", type=int), search=request.args.get("q", "").strip()[:100],
        date_from=_date_arg("from"), date_to=_date_arg("to"))


def _args() -> dict:
    return {k: v for k, v in request.args.items() if k != "page" and v}


@bp.route("/invoices")
def invoices():
    filters, today = _filters(), invoicing.depot_today()
    query = invoicing.filter_invoices(invoicing.office_invoices(), filters, today).options(
        selectinload(Invoice.company), selectinload(Invoice.order))
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    company = db.session.get(Company, filters.company_id) if filters.company_id else None
    args = _args()
    return render_template("admin/invoices.html", page=page, filters=filters, company=company, args=args,
                           every_company={k: v for k, v in args.items() if k != "company"},
                           statuses={i.id: invoicing.status(i, today) for i in page.items},
                           titles=invoicing.STATUS_TITLES, status_title=invoicing.status_title,
                           issue_date=invoicing.issue_date)


def _export_rows():
    query = invoicing.filter_invoices(invoicing.office_invoices(), _filters()).limit(EXPORT_LIMIT)
    return invoicing.export_headers(), invoicing.export_rows(db.session.scalars(query))


@bp.route("/invoices.xlsx")
def export_invoices():
    headers, rows = _export_rows()
    return send_file(invoices_workbook(headers, rows, _("Invoices")), as_attachment=True,
                     download_name=f"invoices-{date.today().isoformat()}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/invoices.csv")
def export_invoices_csv():
    headers, rows = _export_rows()
    return send_file(io.BytesIO(invoices_csv(headers, rows)), as_attachment=True,
                     download_name=f"invoices-{date.today().isoformat()}.csv", mimetype="text/csv")


def _page(invoice: Invoice, payment_form: PaymentForm, credit_form: CreditNoteForm, status: int = 200):
    return render_template(
        "admin/invoice.html", invoice=invoice, payment_form=payment_form, credit_form=credit_form,
        status=invoicing.status(invoice), outstanding=invoicing.outstanding(invoice),
        credited=invoicing.credited_total(invoice), credit_notes=invoicing.credit_notes_of(invoice),
        creditable=invoicing.creditable(invoice) if invoice.kind == "invoice" else {},
        status_title=invoicing.status_title, issue_date=invoicing.issue_date,
        may_change=current_user.has_role(*invoicing.KEEPERS)), status


@bp.route("/invoices/<int:invoice_id>")
def invoice(invoice_id):
    invoice = db.get_or_404(Invoice, invoice_id)
    return _page(invoice, PaymentForm(data={"paid_on": invoicing.depot_today()}), CreditNoteForm(formdata=None))


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
def record_payment(invoice_id):
    require_keeper()
    invoice = db.get_or_404(Invoice, invoice_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            invoicing.record_payment(invoice, form.amount.data, form.paid_on.data, form.reference.data or "",
                                     current_user)
        except DomainError as error:
            refuse(form, error)
        else:
            db.session.commit()
            flash(_("Payment recorded on %(number)s.", number=invoice.number), "success")
            return redirect(url_for("admin.invoice", invoice_id=invoice.id))
    return _page(invoice, form, CreditNoteForm(formdata=None), 422)


@bp.route("/invoices/<int:invoice_id>/credit-notes", methods=["POST"])
def issue_credit_note(invoice_id):
    require_keeper()
    invoice = db.get_or_404(Invoice, invoice_id)
    form = CreditNoteForm()
    if form.validate_on_submit():
        lines = None if form.everything.data else {
            line.id: request.form.get(f"line-{line.id}", "").strip() or "0" for line in invoice.lines}
        try:
            note = invoicing.credit_note(invoice, lines, form.reason.data, current_user)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("Credit note %(number)s issued and sent to %(email)s.", number=note.number,
                    email=note.buyer.get("email", "")), "success")
            return redirect(url_for("admin.invoice", invoice_id=note.id))
    return _page(invoice, PaymentForm(formdata=None, data={"paid_on": invoicing.depot_today()}), form, 422)


@bp.route("/invoices/<int:invoice_id>.pdf", endpoint="invoice_pdf")
def invoice_pdf_file(invoice_id):
    invoice = db.get_or_404(Invoice, invoice_id)
    return send_file(io.BytesIO(invoice_pdf(invoice)), mimetype="application/pdf",
                     download_name=invoice_filename(invoice))
