"""Mail goes through the outbox: a request queues a row, `flask jobs run` sends it.

Queued mail survives a crash or an SMTP outage, and the sender retries with
back-off. On PostgreSQL several workers may run at once: each claims its rows
with SKIP LOCKED, so no message goes out twice.
"""

from collections.abc import Callable
from datetime import timedelta

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_mail import Connection, Message
from sqlalchemy import select

from portal.dbbase import utcnow
from portal.extensions import db, mail
from portal.models import DeferredMail, MailStatus, OutboxAttachment, OutboxMessage

#: kind -> the function that writes a deferred mail from its payload (registered by the domain modules)
COMPOSERS: dict[str, Callable[..., None]] = {}


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, also when no request is being served (jobs, CLI)."""
    from flask import has_request_context

    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def queue_mail(
    recipient: str,
    subject,
    template: str,
    *,
    language: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    **context,
) -> OutboxMessage:
    """Render `email/<template>.txt` and `.html` in the recipient's language and queue them.

    `subject` is a lazy string, so it is translated in the recipient's language too.
    """
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(language):
        message = OutboxMessage(
            recipient=recipient,
            subject=str(subject),
            text_body=render_template(f"email/{template}.txt", **context),
            html_body=render_template(f"email/{template}.html", **context),
            language=language,
        )
    for filename, content_type, content in attachments:
        message.attachments.append(
            OutboxAttachment(filename=filename, content_type=content_type, content=content)
        )
    db.session.add(message)
    db.session.flush()
    return message


def composer(kind: str):
    """Register the function that turns a deferred note of this kind into queued mail."""
    def register(function):
        COMPOSERS[kind] = function
        return function
    return register


def defer(kind: str, **payload) -> None:
    """Note mail to write later (ids and flags only, as JSON): one cheap insert, no rendering."""
    if kind not in COMPOSERS:
        raise KeyError(f"no composer for deferred mail {kind!r}")
    db.session.add(DeferredMail(kind=kind, payload=payload))


def compose_deferred(limit: int = 500) -> int:
    """Write the noted mail into the outbox; each note once, also with several workers."""
    notes = db.session.scalars(
        select(DeferredMail).where(DeferredMail.composed_at.is_(None)).order_by(DeferredMail.id)
        .limit(limit).with_for_update(skip_locked=True)
    ).all()
    for note in notes:
        COMPOSERS[note.kind](**note.payload)
        note.composed_at = utcnow()
    db.session.commit()
    return len(notes)


def send_queued(limit: int = 200) -> dict[str, int]:
    """Send what is due; commit after each message so a crash never sends one twice.

    With no SMTP host configured the mail stays queued and is read on the staff Mail page.
    """
    counts = {"sent": 0, "failed": 0, "retry": 0}
    if not current_app.config.get("MAIL_SERVER"):
        return counts
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    # Read the SMTP settings now rather than at start-up: a long-running job loop sees changes.
    smtp = mail.init_mail(current_app.config, current_app.debug, current_app.testing)
    while sum(counts.values()) < limit:
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= utcnow())
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if message is None:
            break
        try:
            with Connection(smtp) as connection:
                connection.send(_as_mail(message))
        except Exception as error:  # any SMTP or network failure: retry later
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= max_attempts:
                message.status = MailStatus.FAILED
                counts["failed"] += 1
            else:
                message.next_attempt_at = utcnow() + timedelta(minutes=2**message.attempts)
                counts["retry"] += 1
        else:
            message.attempts += 1
            message.status = MailStatus.SENT
            message.sent_at = utcnow()
            counts["sent"] += 1
        db.session.commit()
    return counts


def _as_mail(message: OutboxMessage) -> Message:
    mail_message = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.text_body,
        html=message.html_body,
    )
    for attachment in message.attachments:
        mail_message.attach(attachment.filename, attachment.content_type, attachment.content)
    return mail_message
