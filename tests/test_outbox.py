"""The outbox: requests queue mail, the job sends it once, failures are retried then recorded."""

import pytest
from sqlalchemy import select

from portal import outbox
from portal.extensions import db
from portal.models import MailStatus, OutboxMessage

pytestmark = pytest.mark.both_databases


def queue(user, n=1):
    for _ in range(n):
        outbox.queue_mail(user.email, "Hello", "confirm", user=user, link="http://example/link")
    db.session.commit()


def test_queued_mail_is_sent_once_multipart(make_company, mailbox, runner):
    user = make_company()
    mailbox.messages.clear()
    queue(user, 2)
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    runner.invoke(args=["jobs", "run"])  # again: nothing new goes out
    received = [m for m in mailbox.to(user.email) if m["Subject"] == "Hello"]
    assert len(received) == 2
    assert "<a href=\"http://example/link\">" in mailbox.html(received[0])
    assert "http://example/link" in mailbox.text(received[0])
    assert all(m.status == MailStatus.SENT for m in db.session.scalars(select(OutboxMessage)))


def test_an_unreachable_server_is_retried_then_marked_failed(make_company, app):
    make_company()
    app.config["MAIL_PORT"] = 1  # nothing listens there
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    counts = outbox.send_queued()
    assert counts["retry"] >= 1, counts
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert all(m.status == MailStatus.QUEUED and m.attempts == 1 and m.last_error for m in messages)
    for message in messages:
        message.next_attempt_at = message.created_at  # due again
    db.session.commit()
    outbox.send_queued()
    assert all(m.status == MailStatus.FAILED for m in db.session.scalars(select(OutboxMessage)))


def test_without_an_smtp_host_mail_stays_queued_for_the_mail_page(make_company, app, mailbox):
    make_company()
    app.config["MAIL_SERVER"] = ""
    assert outbox.send_queued() == {"sent": 0, "failed": 0, "retry": 0}
    assert mailbox.messages == []
    assert db.session.scalars(select(OutboxMessage.status)).all() == [MailStatus.QUEUED] * 2


def test_deferred_mail_is_written_once_by_the_jobs(app, send_mail, make_company, make_order):
    """A busy moment notes mail; `flask jobs run` writes and sends it, once, however often it runs."""
    from portal import outbox
    from portal.models import DeferredMail

    order = make_order(make_company())
    send_mail().messages.clear()
    written = []

    @outbox.composer("test_note")
    def compose(*, to):
        written.append(to)
        outbox.queue_mail(to, "Noted", "order_returned", order=order, note="Noted later", link="http://x")

    try:
        outbox.defer("test_note", to="someone@example.com")
        db.session.commit()
        assert written == []  # nothing is rendered at the busy moment
        mailbox = send_mail()
        send_mail()
        assert written == ["someone@example.com"] and len(mailbox.to("someone@example.com")) == 1
        assert db.session.scalar(db.select(DeferredMail.composed_at)) is not None
        with pytest.raises(KeyError):
            outbox.defer("no_such_kind")
    finally:
        outbox.COMPOSERS.pop("test_note")
