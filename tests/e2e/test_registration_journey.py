"""A company registers, confirms its e-mail, invites a colleague with no rights; the colleague
sets a password, logs in and may not open the users page. Real Chromium, real SMTP, CSRF on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-depot-password-42"
COLLEAGUE_PASSWORD = "another-long-password-17"


def link_in(mailbox, recipient: str, path: str) -> str:
    """The one link to `path` in the plain-text body of the one message sent to `recipient`."""
    messages = mailbox.to(recipient)
    assert len(messages) == 1, [m["Subject"] for m in messages]
    links = re.findall(rf"https?://\S+{re.escape(path)}\S+", mailbox.text(messages[0]))
    assert len(links) == 1, mailbox.text(messages[0])
    return links[0]


def test_register_confirm_invite_colleague_without_rights(page, live_server, mailbox):
    # A company registers.
    page.goto("/register")
    expect(page.get_by_role("heading", name="Register your company")).to_be_visible()
    page.get_by_label("Company legal name").fill("Kowalski Serwis Sp. z o.o.")
    page.get_by_label("Tax / VAT ID").fill("PL7771234567")
    page.get_by_label("Country").select_option("PL")
    page.get_by_label("Region / province").fill("Mazowieckie")
    page.get_by_label("Industry").select_option("logistics")
    page.get_by_label("Company size").select_option(index=1)
    page.get_by_label("Street and number").fill("ul. Prosta 1")
    page.get_by_label("Postcode").fill("00-850")
    page.get_by_label("City").fill("Warszawa")
    page.get_by_label("Your name").fill("Anna Kowalska")
    page.get_by_label("Your e-mail").fill("anna@kowalski.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    expect(page.get_by_text("anna@kowalski.example")).to_be_visible()

    # Cron sends the outbox; the confirmation link arrives on the SMTP server.
    live_server.run_jobs()
    page.goto(link_in(mailbox, "anna@kowalski.example", "/confirm/"))
    expect(page.get_by_role("status")).to_contain_text("your e-mail address is confirmed")

    # She logs in (the confirmation link filled in her e-mail).
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("anna@kowalski.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Anna Kowalska")).to_be_visible()

    # She invites a colleague and ticks no right.
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users of Kowalski Serwis Sp. z o.o.")).to_be_visible()
    page.get_by_role("link", name="Invite a colleague").click()
    page.get_by_label("Name", exact=True).fill("Piotr Nowak")
    page.get_by_label("E-mail", exact=True).fill("piotr@kowalski.example")
    rights = page.get_by_role("group", name="Rights").get_by_role("checkbox")
    expect(rights).to_have_count(5)
    for index in range(5):
        expect(rights.nth(index)).not_to_be_checked()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to piotr@kowalski.example")
    expect(page.get_by_role("row", name=re.compile("Piotr Nowak"))).to_contain_text("Invited")

    live_server.run_jobs()
    invitation = link_in(mailbox, "piotr@kowalski.example", "/invitation/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out")

    # The colleague chooses a password from the invitation and logs in.
    page.goto(invitation)
    page.get_by_label("New password").fill(COLLEAGUE_PASSWORD)
    page.get_by_label("Repeat the password").fill(COLLEAGUE_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("piotr@kowalski.example")
    page.get_by_label("Password", exact=True).fill(COLLEAGUE_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Piotr Nowak")).to_be_visible()

    # With no rights, the users page is not in the navigation and refuses him.
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Home")).to_be_visible()
    expect(navigation.get_by_role("link", name="Users")).to_have_count(0)
    response = page.goto("/users")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_on_a_phone_the_navigation_folds_behind_the_menu_button(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 812}, locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/login")
        menu = page.get_by_role("button", name="Menu")
        register = page.get_by_role("navigation", name="Main").get_by_role("link", name="Register your company")
        expect(menu).to_have_attribute("aria-expanded", "false")
        expect(register).to_be_hidden()

        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(register).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.keyboard.press("Escape")
        expect(register).to_be_hidden()
        expect(menu).to_be_focused()
    finally:
        context.close()
