"""E-mail about quotes: one per order to each approver, listing the devices waiting for them,
with each device's quote as a PDF; a reminder when they wait too long, then an alert to the
company's account manager.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_ngettext
from sqlalchemy import select

from portal import quotes
from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import DeferredMail, Device, DeviceStatus, Order, Quote, QuoteState
from portal.outbox import composer, external_url, queue_mail

#: At most this many quote PDFs ride on one e-mail; a larger order's quotes are on its page
MAX_ATTACHMENTS = 20


def waiting_quotes(order: Order) -> list[tuple[Device, Quote]]:
    """The order's devices awaiting approval, each with its current sent revision."""
    waiting = []
    for device in db.session.scalars(select(Device).where(Device.order_id == order.id,
                                                          Device.status == DeviceStatus.AWAITING_APPROVAL)
                                     .order_by(Device.id)):
        quote = quotes.latest(device, sent_only=True)
        if quote is not None and quote.state == QuoteState.SENT:
            waiting.append((device, quote))
    return waiting


def quote_attachments(pairs: list[tuple[Device, Quote]], language: str, cache: dict) -> list[tuple[str, str, bytes]]:
    """The quotes as PDFs in the reader's language (each written once per language per run)."""
    from portal.quote_documents import quote_number, quote_pdf

    attachments = []
    for _device, quote in pairs[:MAX_ATTACHMENTS]:
        key = (quote.id, language)
        if key not in cache:
            cache[key] = quote_pdf(quote, language=language)
        attachments.append((f"quote-{quote_number(quote)}.pdf", "application/pdf", cache[key]))
    return attachments


def _to_approvers(order: Order, pairs, subject, template: str, **context) -> int:
    link = external_url("customer.order_approval", order_id=order.id)
    cache: dict = {}
    sent = 0
    for user in quotes.approvers(order):
        language = user.language or current_app.config["BABEL_DEFAULT_LOCALE"]
        queue_mail(user.email, subject, template, language=language,
                   attachments=quote_attachments(pairs, language, cache), user=user, order=order,
                   devices=[d for d, _q in pairs], quotes={d.id: q for d, q in pairs}, link=link,
                   attached=min(len(pairs), MAX_ATTACHMENTS), **context)
        sent += 1
    return sent


@composer("quotes_waiting")
def mail_quotes_waiting(*, order_id: int) -> None:
    """Every device of the order now waiting for approval, in one e-mail to each approver.

    Several quotes sent before one run of the jobs make one e-mail: each sent quote leaves a note,
    and only the order's last note still waiting is written (it lists every waiting device).
    """
    if _later_note_waits(order_id):
        return
    order = db.session.get(Order, order_id)
    pairs = waiting_quotes(order) if order is not None else []
    if not pairs:
        return
    subject = lazy_ngettext("Order %(number)s: %(num)d device waits for your approval",
                            "Order %(number)s: %(num)d devices wait for your approval", len(pairs),
                            number=order.number)
    _to_approvers(order, pairs, subject, "quotes_waiting")


def _later_note_waits(order_id: int) -> bool:
    """Another unwritten "quotes_waiting" note of the order: it will write the e-mail.

    The outbox marks each note written after its composer returns, so while the last of several
    notes is composed, it is the only one left unwritten.
    """
    notes = db.session.scalars(select(DeferredMail.payload).where(
        DeferredMail.kind == "quotes_waiting", DeferredMail.composed_at.is_(None)))
    return sum(1 for payload in notes if payload.get("order_id") == order_id) > 1


def send_reminders(now: datetime | None = None) -> int:
    """Quotes sent QUOTE_REMINDER_DAYS ago and still undecided: one reminder per order to its
    approvers; QUOTE_ALERT_DAYS after the reminder, one alert per order to the company's account
    manager (customer care when it has none). Each quote is reminded and escalated once, so running
    the jobs again sends nothing new. Returns the e-mails queued; the caller commits."""
    now = now or utcnow()
    config = current_app.config
    reminder_due = now - timedelta(days=config["QUOTE_REMINDER_DAYS"])
    alert_due = now - timedelta(days=config["QUOTE_ALERT_DAYS"])
    base = (select(Quote).join(Device, Device.id == Quote.device_id)
            .where(Quote.state == QuoteState.SENT, Device.status == DeviceStatus.AWAITING_APPROVAL)
            .order_by(Quote.id).with_for_update(of=Quote, skip_locked=True))
    queued = 0

    to_remind = _by_order(db.session.scalars(base.where(Quote.sent_at <= reminder_due, Quote.reminded_at.is_(None))))
    for order, pairs in to_remind:
        days = config["QUOTE_REMINDER_DAYS"]
        subject = lazy_ngettext("Reminder: order %(number)s has %(num)d quote waiting for your decision",
                                "Reminder: order %(number)s has %(num)d quotes waiting for your decision",
                                len(pairs), number=order.number)
        queued += _to_approvers(order, pairs, subject, "quote_reminder", days=days)
        for _device, quote in pairs:
            quote.reminded_at = now

    to_alert = _by_order(db.session.scalars(base.where(Quote.reminded_at <= alert_due, Quote.escalated_at.is_(None))))
    for order, pairs in to_alert:
        manager = order.company.account_manager
        recipient = manager.email if manager is not None and manager.is_active_account else config[
            "CUSTOMER_CARE_EMAIL"]
        language = (manager.language if manager is not None else None) or config["BABEL_DEFAULT_LOCALE"]
        subject = lazy_ngettext("Order %(number)s of %(company)s: %(num)d quote undecided after a reminder",
                                "Order %(number)s of %(company)s: %(num)d quotes undecided after a reminder",
                                len(pairs), number=order.number, company=order.company.legal_name)
        queue_mail(recipient, subject, "quote_alert", language=language, manager=manager, order=order,
                   devices=[d for d, _q in pairs], quotes={d.id: q for d, q in pairs},
                   approvers=quotes.approvers(order),
                   link=external_url("admin.order_approval", order_id=order.id))
        queued += 1
        for _device, quote in pairs:
            quote.escalated_at = now
    db.session.flush()
    return queued


def _by_order(due) -> list[tuple[Order, list[tuple[Device, Quote]]]]:
    grouped: dict[int, list[tuple[Device, Quote]]] = defaultdict(list)
    orders: dict[int, Order] = {}
    for quote in due:
        device = quote.device
        grouped[device.order_id].append((device, quote))
        orders[device.order_id] = device.order
    return [(orders[order_id], pairs) for order_id, pairs in grouped.items()]
