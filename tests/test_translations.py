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


# --- Chinese typography -----------------------------------------------------------------------

#: A Han character, or the full-width punctuation and quotes that stand among them.
CJK = "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’]"
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
#: ASCII punctuation that Chinese text writes full-width: ： ； ， （ ）.
ASCII_MARKS = "[:;,()]"
HALF_WIDTH = [
    # right after a Han character or full-width mark: "第一名: …", "队伍(表演赛)", "”,"
    re.compile(f"{CJK}{ASCII_MARKS}"),
    # right before one: "(登录账号", ":队伍"
    re.compile(f"{ASCII_MARKS}{CJK}"),
    # a colon, semicolon or comma that ends a clause (a space follows), e.g. after a
    # placeholder: "%(item)s: %(n)s"; times (19:00), numbers (5,3,2,1) and URLs have none
    re.compile(r"[:;,] "),
]
#: zh messages that keep ASCII marks on purpose, and why.
HALF_WIDTH_ALLOWED = {
    "Enter the time as minutes:seconds (1:02.50) or as seconds (62.50).": (
        "分:秒 spells the input format itself, which is typed with an ASCII colon (1:02.50)"
    ),
    "Enter times as minutes:seconds, e.g. 1:02.50, or seconds, e.g. 45.30.": (
        "分:秒 spells the input format itself, which is typed with an ASCII colon (1:02.50)"
    ),
}
#: Quotation marks by kind: (opening, closing).
QUOTES = [("“", "”"), ("‘", "’"), ("「", "」"), ("『", "』"), ("《", "》")]
#: A value filled in inside “…”: event titles and names often carry “…” themselves.
PLACEHOLDER_IN_QUOTES = re.compile(r"“[^”]*(%\(\w+\)[sd]|%s|\{\w*\})[^”]*”")


def chinese_strings(zh):
    for message in entries(zh):
        source = message.id[-1] if message.pluralizable else message.id
        for text in strings(message):
            if HAN.search(text):
                yield source, text


def nested(text: str) -> bool:
    """A quotation inside another of the same kind: “…“…”…”."""
    for opening, closing in QUOTES:
        depth = 0
        for char in text:
            if char == opening:
                depth += 1
                if depth > 1:
                    return True
            elif char == closing:
                depth = max(depth - 1, 0)
    return False


def test_chinese_text_uses_full_width_colons_brackets_commas_and_semicolons(zh):
    problems = []
    for source, text in chinese_strings(zh):
        if source in HALF_WIDTH_ALLOWED:
            continue
        # Placeholders are code: %(name)s holds brackets of its own.
        plain = PLACEHOLDER.sub("\x01", text)
        marks = [m.group(0) for pattern in HALF_WIDTH for m in pattern.finditer(plain)]
        if marks:
            problems.append(f"{text!r}: {marks}")
    assert not problems, "ASCII : ; , ( ) in Chinese text:\n" + "\n".join(problems)


def test_the_allowed_half_width_marks_are_still_used(zh, used_messages):
    """An exception for a message that is gone would let the next one through unseen."""
    ids = {m.id for m in entries(zh)}
    assert all(source in ids and source in used_messages for source in HALF_WIDTH_ALLOWED)


def test_chinese_quotations_do_not_nest_in_their_own_kind(zh):
    """The convention: the site's own words are quoted “…”; a value filled in (an event's title,
    a name, what a member typed) is set in 「…」, since a title such as “皖工鹊桥·会聚良缘”联谊会
    carries “…” of its own and would nest in “…”."""
    nesting = [text for _source, text in chinese_strings(zh) if nested(text)]
    assert not nesting, "quotation marks nested in their own kind:\n" + "\n".join(nesting)
    quoted = [text for _source, text in chinese_strings(zh) if PLACEHOLDER_IN_QUOTES.search(text)]
    assert not quoted, "a filled-in value inside “…” (use 「…」):\n" + "\n".join(quoted)


def test_the_checks_catch_what_they_are_for():
    samples = {
        "第一名: 站前社区队": True,
        "龙华社区队: 拔河（表演赛）": True,
        "(登录账号，此处不能修改)": True,
        "%(item)s: %(n)s 组": True,
        "积分依次为 5,3,2,1，时间 19:00，网址 https://example.cn": False,
        "第一名：站前社区队（登录账号）；下一项": False,
    }
    for text, bad in samples.items():
        plain = PLACEHOLDER.sub("\x01", text)
        assert any(p.search(plain) for p in HALF_WIDTH) == bad, text
    assert nested("您已报名“秋遇——2026年“皖工鹊桥”联谊会”。")
    assert not nested("您已报名「秋遇——2026年“皖工鹊桥”联谊会」。")
    assert PLACEHOLDER_IN_QUOTES.search("您已报名“%(title)s”。")
    assert not PLACEHOLDER_IN_QUOTES.search("您已报名「%(title)s」，请在“我的活动”中查看。")


#: In a template, ASCII punctuation written against a translated message: `{{ _("Team") }}: …`,
#: `({{ _("you") }})`. In Chinese the message is Chinese and the mark must be full-width, so
#: the mark belongs inside the message ("%(label)s: %(value)s", "(%(aside)s)", "%(label)s:").
MARK_AGAINST_MESSAGE = re.compile(r"""_\((["'])(?:(?!\1).)*\1[^{}]*\}\}\s?[:;(]|\(\{\{-?\s*_\(""")
#: Templates left as they are, and why.
TEMPLATES_ALLOWED: dict[str, str] = {}


def test_templates_put_no_ascii_mark_against_a_translated_message():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT).as_posix()
        if name in TEMPLATES_ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = re.sub(r"\{#.*?#\}", "", line)
            for match in MARK_AGAINST_MESSAGE.finditer(code):
                problems.append(f"{name}:{number}: {match.group(0)}")
    assert not problems, "ASCII marks against a translated message:\n" + "\n".join(problems)


def test_the_template_check_catches_what_it_is_for():
    assert MARK_AGAINST_MESSAGE.search('<p>{{ _("Team") }}: {{ team.name }}</p>')
    assert MARK_AGAINST_MESSAGE.search('<span>({{ _("you") }})</span>')
    assert MARK_AGAINST_MESSAGE.search("{{ _('Disagreements') }} ({{ n }})")
    assert not MARK_AGAINST_MESSAGE.search('{{ _("%(label)s: %(value)s", label=_("Team")) }}')
    assert not MARK_AGAINST_MESSAGE.search('{{ _("Team") }} · {{ team.name }}')
    assert all((ROOT / name).exists() for name in TEMPLATES_ALLOWED)


#: Words a Chinese sentence never doubles: "申请请平台牵线" is a slip.
DOUBLED = re.compile("请请|的的|您您|在在|和和|了了(?!解)")


def test_chinese_text_doubles_no_word_by_slip(zh):
    slips = [text for _source, text in chinese_strings(zh) if DOUBLED.search(text)]
    assert not slips, "doubled words:\n" + "\n".join(slips)


def test_the_account_page_sets_its_asides_in_full_width_brackets(site):
    from tests.factories import PASSWORD, make_user

    with site.app_context():
        member = make_user(name="李娜")
        db.session.commit()
        mobile = member.mobile
    client = site.test_client()
    client.post("/login", data={"mobile": mobile, "password": PASSWORD})
    html = client.get("/account").get_data(as_text=True)
    assert f'{mobile} <span class="muted">（登录账号）</span>' in html
    client.get("/lang/en?next=/account")
    html = client.get("/account").get_data(as_text=True)
    assert "(your login)" in html
