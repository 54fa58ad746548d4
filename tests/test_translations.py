"""The catalogs: every message the code and templates use is translated into Chinese, with the
same placeholders, nothing fuzzy; the site speaks Chinese by default and English on request.

A new `_()` string without its translation fails here: run `make translations`, translate the
new entries in zh_Hans_CN/LC_MESSAGES/messages.po, and run this file again.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from eventsite import create_app
from eventsite.extensions import db
from tests.conftest import base_config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "eventsite" / "translations"
#: The same keywords as `make translations` (pybabel extract -k _l -k lazy_gettext).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
#: %(name)s, %(n)d, %s and {name} placeholders; %% is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([sdifr])|%([sdif])|\{(\w*)\}")


def read_catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def zh():
    return read_catalog("zh_Hans_CN")


@pytest.fixture(scope="module")
def en():
    return read_catalog("en")


@pytest.fixture(scope="module")
def used_messages() -> dict[str | tuple[str, str], str]:
    """Every message id the code and templates pass to a gettext function, as babel.cfg and
    `make translations` extract them: {msgid (or (singular, plural)): where it is used}."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str | tuple[str, str], str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        assert context is None, f"{filename}:{lineno}: message contexts are not used here"
        if isinstance(message, tuple):
            message = tuple(part for part in message if part is not None)
            message = message[0] if len(message) == 1 else message
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def entries(catalog):
    return [message for message in catalog if message.id]


def strings(message) -> list[str]:
    """A message's translations: one, or one per plural form."""
    return list(message.string) if message.pluralizable else [message.string]


def placeholders(text: str) -> Counter:
    found = Counter()
    for name, kind, bare, brace in PLACEHOLDER.findall(text.replace("%%", "")):
        found[f"%({name}){kind}" if name else f"%{bare}" if bare else f"{{{brace}}}"] += 1
    return found


def test_the_extraction_finds_the_code_and_the_templates(used_messages):
    """The check below means something only if it sees Python, templates and plurals."""
    where = set(used_messages.values())
    assert any(w.startswith("eventsite/") and ".py:" in w for w in where)
    assert any(w.startswith("templates/") for w in where)
    assert "Union Member Events" in used_messages
    assert any(isinstance(m, tuple) for m in used_messages)


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_every_message_the_code_uses_is_in_the_catalog(used_messages, locale):
    catalog = read_catalog(locale)
    ids = {message.id for message in entries(catalog)}
    singular_ids = {m[0] if isinstance(m, tuple) else m for m in ids}
    missing = {
        message: where
        for message, where in used_messages.items()
        if message not in ids and not (isinstance(message, tuple) and message[0] in singular_ids)
    }
    assert not missing, (
        f"{len(missing)} message(s) are used but not in the {locale} catalog; run "
        "`make translations` and translate them:\n"
        + "\n".join(f"  {where}: {message!r}" for message, where in missing.items())
    )


def test_the_chinese_catalog_translates_every_message_and_has_nothing_fuzzy(zh):
    untranslated = [m.id for m in entries(zh) if not all(s.strip() for s in strings(m))]
    fuzzy = [m.id for m in entries(zh) if m.fuzzy]
    assert not (untranslated or fuzzy), (
        f"{len(untranslated)} untranslated:\n"
        + "".join(f"  {i!r}\n" for i in untranslated)
        + f"{len(fuzzy)} fuzzy (check each, then remove the flag):\n"
        + "".join(f"  {i!r}\n" for i in fuzzy)
    )
    assert not zh.fuzzy, "the catalog header is marked fuzzy"


def test_the_chinese_catalog_has_one_plural_form(zh):
    assert zh.num_plurals == 1 and zh.plural_expr == "0"
    plurals = [m for m in entries(zh) if m.pluralizable]
    assert plurals, "the code uses ngettext; the catalog should hold those messages"
    assert all(len(m.string) == 1 for m in plurals), [m.id for m in plurals if len(m.string) != 1]


def test_translations_keep_the_placeholders_of_their_message(zh):
    problems = []
    for message in entries(zh):
        source = message.id[-1] if message.pluralizable else message.id
        wanted = placeholders(source)
        for text in strings(message):
            if text and placeholders(text) != wanted:
                problems.append(f"{source!r}\n    -> {text!r}")
                continue
            # Templates always %-format their messages (with a dict, perhaps empty), so a stray
            # % in a translation breaks the page even where the message id has no placeholder.
            sample = {key[2:-2]: 1 for key in wanted if key.startswith("%(")}
            try:
                source % sample
            except (TypeError, ValueError, KeyError):
                continue  # not a %-format message; compared above by its placeholders alone
            try:
                text % sample
            except (TypeError, ValueError, KeyError) as error:
                problems.append(f"{source!r}\n    -> {text!r} ({error})")
    assert not problems, "placeholders differ from the message id:\n" + "\n".join(problems)


def test_the_english_catalog_has_nothing_fuzzy(en):
    fuzzy = [m.id for m in entries(en) if m.fuzzy]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries in the en catalog: {fuzzy!r}"
    assert not en.fuzzy, "the en catalog header is marked fuzzy"


def test_the_compiled_chinese_catalog_matches_the_po_file(zh):
    """The app reads the .mo file; `make install` (and `make test`) compile it from the .po."""
    compiled = Translations.load(str(TRANSLATIONS), ["zh_Hans_CN"])
    assert isinstance(compiled, Translations), "no compiled zh_Hans_CN catalog: run make install"
    stale = []
    for message in entries(zh):
        if message.pluralizable:
            shown = compiled.ngettext(message.id[0], message.id[1], 2)
        else:
            shown = compiled.gettext(message.id)
        if shown != strings(message)[0]:
            stale.append(message.id)
    assert not stale, f"the .mo file is out of date (run `make install`): {stale[:5]!r}"


# --- the site in each language --------------------------------------------------------------


@pytest.fixture
def site(database_uri):
    """The app with its own default language (the test settings' choice of locale removed)."""
    settings = {k: v for k, v in base_config(database_uri).items() if k != "BABEL_DEFAULT_LOCALE"}
    app = create_app(settings)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_the_site_speaks_chinese_by_default_and_english_on_request(site):
    client = site.test_client()
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "手机号" in html and "登录" in html and "职工活动平台" in html
    assert "Mobile number" not in html and "Log in" not in html

    assert client.get("/lang/en?next=/login").status_code == 302
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Mobile number" in html and "Log in" in html and "Union Member Events" in html
    assert "手机号" not in html

    client.get("/lang/zh_Hans_CN?next=/login")
    html = client.get("/login").get_data(as_text=True)
    assert "手机号" in html and "Mobile number" not in html


def test_messages_rendered_by_python_code_are_chinese_too(site):
    """A form error (lazy_gettext at import time) and a flash-style message from a view."""
    client = site.test_client()
    html = client.post("/login", data={"mobile": "", "password": ""}).get_data(as_text=True)
    assert "请输入手机号。" in html and "请输入密码。" in html
    html = client.post("/signup", data={"mobile": "12345"}).get_data(as_text=True)
    assert "请输入 11 位中国大陆手机号，如 13812345678。" in html
