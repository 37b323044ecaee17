"""Translations: every string of the code and templates is translated into Polish and Russian,
placeholders survive translation, and pages and e-mails come out in the reader's language."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from portal import accounts
from portal.extensions import db

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = ("pl", "ru")
# As `make messages` runs pybabel: its default keywords plus the lazy ones the code uses.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}

# %(name)s, %(count)d, %% ... (Python's %-format, also what Jinja's newstyle gettext applies to every string)
_CONVERSION = r"[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
PERCENT = re.compile(rf"%(?:%|\([A-Za-z_]\w*\){_CONVERSION}|{_CONVERSION})")
# {name}, {count}, {0} (str.format, used by the PDF labels)
BRACE = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}(?!\})")


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=language)


@cache
def extracted_messages() -> dict[tuple[str, str | None], list[str]]:
    """msgid (and context) -> where it is used, extracted fresh from the code as `make messages` does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file, str(ROOT / "babel.cfg"))
    for pattern, method in method_map:
        if method == "jinja2":
            options = options_map.setdefault(pattern, {})
            # pybabel loads jinja2.ext.babel_extract, which always adds the i18n extension; say so anyway,
            # keeping any extensions babel.cfg names, and fail loudly on a template it cannot parse
            # (by default it skips such a template silently, and its strings would go unchecked).
            extensions = [e for e in options.get("extensions", "").split(",") if e.strip()]
            if "jinja2.ext.i18n" not in extensions:
                extensions.append("jinja2.ext.i18n")
            options["extensions"] = ",".join(extensions)
            options.setdefault("silent", "false")
    found: dict[tuple[str, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


def translation(language: str, msgid: str) -> str:
    message = catalogue(language).get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not translated into {language}"
    return message.string


def percent_placeholders(text: str) -> set[str]:
    return {token for token in PERCENT.findall(text) if token != "%%"}


def brace_placeholders(text: str) -> set[str]:
    return set(BRACE.findall(text))


# -- the catalogues ----------------------------------------------------------------------


def test_extraction_finds_the_portal_strings():
    messages = extracted_messages()
    sources = {location.split(":")[0] for locations in messages.values() for location in locations}
    assert ("Log in", None) in messages  # a template
    assert ("Confirm your e-mail address", None) in messages  # a lazy string in Python
    assert any(source.endswith(".txt") for source in sources), "the plain-text e-mail templates were not read"
    assert any(source.startswith("portal") and source.endswith(".py") for source in sources)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_in_the_code_is_translated(language):
    messages = catalogue(language)
    problems = []
    for (msgid, context), locations in sorted(extracted_messages().items(), key=lambda item: item[1][0]):
        message = messages.get(msgid, context=context)
        if message is None:
            problem = "missing from the catalogue"
        elif message.fuzzy:
            problem = "fuzzy"
        elif not (message.string[0] if isinstance(message.string, (tuple, list)) else message.string):
            problem = "not translated"
        else:
            continue
        problems.append(f"  {msgid!r} ({problem}; {', '.join(locations[:3])})")
    assert not problems, (
        f"{len(problems)} strings are not translated into {language} "
        f"(run `make messages`, translate portal/translations/{language}/LC_MESSAGES/messages.po):\n"
        + "\n".join(problems))


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    problems = []
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        for string in strings:
            if not string:
                continue
            if percent_placeholders(string) != percent_placeholders(ids[-1]) and \
                    percent_placeholders(string) != percent_placeholders(ids[0]):
                problems.append(f"  {ids[0]!r} -> {string!r}: "
                                f"{sorted(percent_placeholders(ids[0]))} vs {sorted(percent_placeholders(string))}")
            if brace_placeholders(string) != brace_placeholders(ids[0]):
                problems.append(f"  {ids[0]!r} -> {string!r}: "
                                f"{sorted(brace_placeholders(ids[0]))} vs {sorted(brace_placeholders(string))}")
            # Jinja's newstyle gettext %-formats every string: a lone % would break the page.
            if "%" in PERCENT.sub("", string) and "%" not in PERCENT.sub("", ids[0]):
                problems.append(f"  {ids[0]!r} -> {string!r}: a stray % (write %% for a percent sign)")
    assert not problems, f"placeholders differ in the {language} catalogue:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language):
    """The app reads the compiled .mo; it is build output, made by `make translations` (and `make test`)."""
    mo_path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run `make translations`"
    with open(mo_path, "rb") as file:
        compiled = read_mo(file)

    def same(one, other):  # a plural's forms are a tuple in the .po and a list in the .mo
        return (tuple(one) if isinstance(one, list | tuple) else one) == (
            tuple(other) if isinstance(other, list | tuple) else other)

    def key(message):  # a plural by its singular; Babel's read_mo leaves a message context as bytes
        context = message.context.decode() if isinstance(message.context, bytes) else message.context
        return (message.id[0] if isinstance(message.id, list | tuple) else message.id), context

    strings = {key(m): m.string for m in compiled if m.id}
    stale = [message.id for message in catalogue(language)
             if message.id and message.string and not message.fuzzy
             and (key(message) not in strings or not same(strings[key(message)], message.string))]
    assert not stale, f"{mo_path} is older than its .po file (run `make translations`): {stale[:10]}"


# -- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_page_follows_the_browser_language(client, language):
    html = client.get("/login", headers={"Accept-Language": f"{language},en;q=0.5"}).get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert f"<h1>{translation(language, 'Log in')}</h1>" in html
    assert translation(language, "Forgot your password?") in html
    assert "<h1>Log in</h1>" not in html and "Forgot your password?" not in html


def test_login_page_is_english_without_a_known_language(client):
    html = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html


def test_a_users_own_language_wins_over_the_browsers(client, make_company, login):
    user = make_company()
    user.language = "pl"
    db.session.commit()
    login(user)
    for header in ("ru", "en", "ru,en;q=0.8"):
        response = client.get("/home", headers={"Accept-Language": header})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert '<html lang="pl">' in html
        assert translation("pl", "Waiting for you") in html
        assert translation("pl", "Log out") in html
        assert translation("ru", "Log out") not in html and ">Log out<" not in html


# -- e-mail ---------------------------------------------------------------------------------


def test_a_customer_registering_in_russian_gets_the_confirmation_in_russian(client, send_mail):
    response = client.post("/register", headers={"Accept-Language": "ru"}, data=dict(
        legal_name="ООО «Ремонт»", tax_id="KZ123456789012", country="KZ", region="Алматы",
        industry="retail", size_band="10-49", street="ул. Абая 1", postcode="050000", city="Алматы",
        phone="", name="Ольга Петрова", email="olga@remont.example", password="blue-tractor-42"))
    assert response.status_code == 200
    assert translation("ru", "Check your e-mail") in response.get_data(as_text=True)

    [message] = send_mail().to("olga@remont.example")
    assert message["Subject"] == translation("ru", "Confirm your e-mail address")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert translation("ru", "Hello %(name)s,") % {"name": "Ольга Петрова"} in text
    assert translation("ru", "Please confirm your e-mail address by opening this link within 48 hours:") in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert translation("ru", "Confirm my e-mail address") in html


def test_the_confirmation_is_sent_in_the_users_language_not_the_senders(client, make_company, mailbox, send_mail):
    user = make_company(confirmed=False, email="ewa@firma.example")
    send_mail()
    mailbox.messages.clear()  # the English registration mail out of the way
    user.language = "pl"
    db.session.commit()
    with client.application.test_request_context(headers={"Accept-Language": "ru"}):
        accounts.send_confirmation(user)
        db.session.commit()
    [message] = send_mail().to("ewa@firma.example")
    assert message["Subject"] == translation("pl", "Confirm your e-mail address")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert translation("pl", "If you did not register, ignore this message.") in text
