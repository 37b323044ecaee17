"""Quote e-mail on the in-process SMTP server: one per order, its link, the PDFs, reminders and the alert."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from portal import approval_policy, quote_mail
from portal.dbbase import utcnow
from portal.extensions import db
from portal.models import Role
from tests.quotes_helpers import send_quote


def attachments(message) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


def test_one_email_per_order_lists_every_waiting_device_with_its_pdf(make_company, make_user, make_order, send_mail):
    owner = make_company()
    editor = make_user(owner.company, rights=("can_edit_all_orders",))
    bystander = make_user(owner.company, rights=("can_see_colleagues_orders",))
    order = make_order(owner, devices=3)
    sent = [send_quote(d) for d in order.devices]  # three quotes sent before the jobs run
    mailbox = send_mail()
    for user in (owner, editor):
        [message] = [m for m in mailbox.to(user.email) if "wait for your approval" in m["Subject"]]
        assert message["Subject"] == f"Order {order.number}: 3 devices wait for your approval"
        text = mailbox.text(message)
        for quote in sent:
            assert quote.device.tag_code in text
        assert "required 210.33, recommended 271.88 EUR" in text
        assert f"/orders/{order.id}/approval" in text
        assert f'href="http://127.0.0.1:5000/orders/{order.id}/approval"' in mailbox.html(message)
        files = attachments(message)
        assert sorted(name for name, _content in files) == sorted(
            f"quote-{order.number}-{q.device.tag_code}-R1.pdf" for q in sent)
        assert all(content.startswith(b"%PDF") for _name, content in files)
    assert not [m for m in mailbox.to(bystander.email) if "approval" in m["Subject"]]


def test_a_single_device_reads_in_the_singular(make_company, make_order, send_mail):
    owner = make_company()
    order = make_order(owner, devices=1)
    send_quote(order.devices[0])
    [message] = send_mail().to(owner.email)[-1:]
    assert message["Subject"] == f"Order {order.number}: 1 device waits for your approval"


def test_a_large_order_attaches_some_quotes_and_says_so(make_company, make_order, send_mail, monkeypatch):
    monkeypatch.setattr(quote_mail, "MAX_ATTACHMENTS", 1)
    owner = make_company()
    order = make_order(owner, devices=2)
    for device in order.devices:
        send_quote(device)
    mailbox = send_mail()
    [message] = [m for m in mailbox.to(owner.email) if "approval" in m["Subject"]]
    assert len(attachments(message)) == 1
    assert "The quotes of the first 1 devices are attached as PDF; all 2 are on the approval page." in \
        " ".join(mailbox.text(message).split())


def test_named_approvers_get_the_email_instead_of_the_creator(make_company, make_user, make_order, send_mail):
    owner = make_company()
    named = make_user(owner.company, rights=("can_see_colleagues_orders",))
    order = make_order(owner, devices=1)
    approval_policy.save_policy(owner.company, named_only=True, approver_ids=[named.id], po_required=False,
                                auto_limit="", actor=owner)
    send_quote(order.devices[0])
    mailbox = send_mail()
    assert [m for m in mailbox.to(named.email) if "approval" in m["Subject"]]
    assert not [m for m in mailbox.to(owner.email) if "approval" in m["Subject"]]


def test_the_link_opens_the_approval_page_after_login(client, make_company, make_order, send_mail):
    from tests.conftest import PASSWORD

    owner = make_company()
    order = make_order(owner, devices=2)
    send_quote(order.devices[0])
    mailbox = send_mail()
    [message] = [m for m in mailbox.to(owner.email) if "approval" in m["Subject"]]
    link = re.search(r"http://\S+/approval", mailbox.text(message)).group(0)
    path = urlsplit(link).path
    response = client.get(path)
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    login_url = response.location
    response = client.post(login_url, data={"email": owner.email, "password": PASSWORD})
    assert response.status_code == 302 and urlsplit(response.location).path == path
    page = client.get(path).get_data(as_text=True)
    assert order.devices[0].tag_code in page and "Save the decisions" in page


def test_reminders_then_one_alert_and_both_only_once(app, make_company, make_user, make_order, make_staff, send_mail):
    manager = make_staff(Role.ACCOUNT_MANAGER, name="Marta Manager")
    owner = make_company()
    owner.company.account_manager_id = manager.id
    editor = make_user(owner.company, rights=("can_edit_all_orders",))
    order = make_order(owner, devices=3)
    first, second = (send_quote(d) for d in order.devices[:2])
    other = make_order(owner, devices=1)
    fresh = send_quote(other.devices[0])
    db.session.commit()
    send_mail()  # the first e-mail
    now = utcnow()
    fresh.sent_at = now + timedelta(days=5)  # sent later than the others
    db.session.commit()

    assert quote_mail.send_reminders(now=now + timedelta(days=6)) == 0
    assert quote_mail.send_reminders(now=now + timedelta(days=7, minutes=1)) == 2  # owner and editor, one order
    db.session.commit()
    assert quote_mail.send_reminders(now=now + timedelta(days=7, minutes=2)) == 0  # run twice = once
    db.session.commit()
    mailbox = send_mail()
    for user in (owner, editor):
        [reminder] = [m for m in mailbox.to(user.email) if m["Subject"].startswith("Reminder")]
        assert reminder["Subject"] == f"Reminder: order {order.number} has 2 quotes waiting for your decision"
        text = mailbox.text(reminder)
        assert first.device.tag_code in text and second.device.tag_code in text
        assert fresh.device.tag_code not in text
        assert len(attachments(reminder)) == 2
    db.session.expire_all()
    assert first.reminded_at is not None and fresh.reminded_at is None

    # decided meanwhile: no alert for it
    from portal import quotes
    from portal.models import Decision

    quotes.decide(second, actor=owner, choice=Decision.DECLINED, revision=1)
    db.session.commit()
    assert quote_mail.send_reminders(now=now + timedelta(days=9, minutes=1)) == 0
    assert quote_mail.send_reminders(now=now + timedelta(days=10, minutes=2)) == 1
    db.session.commit()
    assert quote_mail.send_reminders(now=now + timedelta(days=10, minutes=3)) == 0
    db.session.commit()
    mailbox = send_mail()
    [alert] = mailbox.to(manager.email)
    assert order.number in alert["Subject"] and owner.company.legal_name in alert["Subject"]
    text = mailbox.text(alert)
    assert first.device.tag_code in text and second.device.tag_code not in text
    assert owner.email in text and editor.email in text
    assert f"/admin/orders/{order.id}/approval" in text
    db.session.expire_all()
    assert first.escalated_at is not None and second.escalated_at is None
    # the fresh quote gets its own reminder later, then its own alert
    assert quote_mail.send_reminders(now=now + timedelta(days=12, minutes=5)) == 2
    db.session.commit()
    assert quote_mail.send_reminders(now=now + timedelta(days=15, minutes=6)) == 1
    db.session.commit()


def test_without_an_account_manager_the_alert_goes_to_customer_care(app, make_company, make_order, send_mail):
    owner = make_company()
    owner.company.account_manager_id = None
    order = make_order(owner, devices=1)
    send_quote(order.devices[0])
    now = utcnow()
    assert quote_mail.send_reminders(now=now + timedelta(days=7, minutes=1)) == 1
    assert quote_mail.send_reminders(now=now + timedelta(days=10, minutes=2)) == 1
    db.session.commit()
    mailbox = send_mail()
    assert mailbox.to(app.config["CUSTOMER_CARE_EMAIL"])
