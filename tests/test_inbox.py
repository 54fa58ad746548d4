"""The inbox, the language switch and the health check."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import g, url_for
from flask_babel import force_locale, gettext
from markupsafe import escape

from eventsite.accounts.models import User
from eventsite.core.models import Notification
from eventsite.core.views import safe_next
from eventsite.extensions import db
from tests.factories import make_user


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """Start each request with no cached user or locale in `g`, as a real server does
    (the `app` fixture keeps one app context, and so one `g`, across requests)."""

    @app.before_request
    def forget():
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)


def tr(app, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(gettext(message, **variables)))


def url(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def notify(user, subject: str, clock=None, *, link: str | None = None, read: bool = False):
    note = Notification(
        user_id=user.id,
        subject=subject,
        body=f"{subject}的详细说明",
        link=link,
        read_at=clock.now if (read and clock) else None,
    )
    db.session.add(note)
    db.session.flush()  # stamps created_at with the current (frozen) time
    if clock:
        clock.advance(minutes=1)
    return note


def listed(html: str) -> list[tuple[int, str]]:
    """(notification id, css class) for each message on the page, in page order."""
    return [
        (int(note_id), css)
        for css, note_id in re.findall(r'<li class="(unread|read)" id="notification-(\d+)"', html)
    ]


@pytest.fixture
def member(auth):
    user = make_user()
    db.session.commit()
    auth.become(user)
    return user


# --- inbox --------------------------------------------------------------------------------


def test_inbox_needs_a_login(app, client):
    response = client.get("/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(url(app, "accounts.login"))


def test_inbox_lists_own_messages_newest_first_with_unread_marked(client, member, clock):
    other = make_user()
    old = notify(member, "报名成功", clock, read=True)
    middle = notify(member, "候补转正", clock)
    newest = notify(member, "活动提醒", clock, link="/events/1")
    notify(other, "别人的消息", clock)
    db.session.commit()

    page = client.get("/inbox")

    assert page.status_code == 200
    assert listed(page.text) == [(newest.id, "unread"), (middle.id, "unread"), (old.id, "read")]
    assert "别人的消息" not in page.text
    assert "活动提醒的详细说明" in page.text
    # The nav badge counts the two unread messages.
    assert re.search(r'<span class="badge"[^>]*>2</span>', page.text)


def test_opening_the_inbox_marks_nothing_read(client, member, clock):
    notify(member, "报名成功", clock)
    notify(member, "候补转正", clock)
    db.session.commit()

    client.get("/inbox")
    client.get("/inbox")

    unread = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.read_at.is_(None))
    )
    assert unread == 2


def test_reading_one_message_marks_it_and_follows_its_link(client, member, clock):
    target = notify(member, "活动提醒", clock, link="/events/7?tab=info")
    untouched = notify(member, "候补转正", clock)
    db.session.commit()

    response = client.post(f"/inbox/{target.id}/read")

    assert response.status_code == 302
    assert response.headers["Location"] == "/events/7?tab=info"
    db.session.refresh(target)
    db.session.refresh(untouched)
    assert target.read_at == clock.now
    assert untouched.read_at is None
    assert listed(client.get("/inbox").text)[1] == (target.id, "read")


def test_reading_a_message_without_link_returns_to_the_inbox(app, client, member, clock):
    note = notify(member, "系统通知", clock)
    db.session.commit()
    response = client.post(f"/inbox/{note.id}/read")
    assert response.headers["Location"] == url(app, "core.inbox")
    db.session.refresh(note)
    assert note.read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_an_offsite_link_is_never_followed(app, client, member, clock, link):
    note = notify(member, "可疑链接", clock, link=link)
    db.session.commit()
    response = client.post(f"/inbox/{note.id}/read")
    assert response.headers["Location"] == url(app, "core.inbox")


def test_another_members_message_cannot_be_read(client, member, clock):
    other = make_user()
    theirs = notify(other, "别人的消息", clock, link="/events/1")
    db.session.commit()

    response = client.post(f"/inbox/{theirs.id}/read")

    assert response.status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_reading_needs_post(client, member, clock):
    note = notify(member, "活动提醒", clock)
    db.session.commit()
    assert client.get(f"/inbox/{note.id}/read").status_code == 405
    db.session.refresh(note)
    assert note.read_at is None


def test_read_all_marks_only_the_members_messages(app, client, member, clock):
    mine = [notify(member, f"消息{i}", clock) for i in range(3)]
    other = make_user()
    theirs = notify(other, "别人的消息", clock)
    db.session.commit()

    response = client.post("/inbox/read-all")

    assert response.status_code == 302
    assert response.headers["Location"] == url(app, "core.inbox")
    for note in mine:
        db.session.refresh(note)
        assert note.read_at == clock.now
    db.session.refresh(theirs)
    assert theirs.read_at is None
    page = client.get("/inbox")
    assert tr(app, "All messages are marked as read.") in page.text
    assert {css for _, css in listed(page.text)} == {"read"}
    assert '<span class="badge"' not in page.text


def test_inbox_is_paginated(client, member, clock):
    notes = [notify(member, f"消息{i}", clock) for i in range(23)]
    db.session.commit()

    first = listed(client.get("/inbox").text)
    second = listed(client.get("/inbox?page=2").text)

    assert [i for i, _ in first] == [n.id for n in reversed(notes)][:20]
    assert [i for i, _ in second] == [n.id for n in notes[:3]][::-1]


def test_inbox_queries_do_not_grow_with_messages(client, member, clock, count_queries):
    def queries():
        with count_queries() as counter:
            assert client.get("/inbox").status_code == 200
        return counter.count

    notify(member, "一条", clock)
    db.session.commit()
    few = queries()
    for i in range(30):
        notify(member, f"消息{i}", clock)
    db.session.commit()
    assert queries() == few


# --- language switch ----------------------------------------------------------------------


def test_language_switch_for_a_visitor(app, client):
    before = client.get("/login")
    assert html_lang(before.text) == "zh-CN"

    response = client.get("/lang/en", query_string={"next": "/login?next=/inbox"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/inbox"
    after = client.get("/login")
    assert html_lang(after.text) == "en"
    assert "<h1>Log in</h1>" in after.text
    assert 'lang="zh-CN">中文</a>' in after.text  # the way back

    client.get("/lang/zh_Hans_CN")
    assert html_lang(client.get("/login").text) == "zh-CN"


def test_language_choice_is_saved_on_the_account(client, member):
    client.get("/lang/en")
    db.session.refresh(member)
    assert member.locale == "en"

    # A new browser session for the same member still gets English.
    with client.session_transaction() as session:
        session.pop("locale")
    assert html_lang(client.get("/inbox").text) == "en"


@pytest.mark.parametrize("page", ["/login", "/login?next=/inbox"])
def test_language_switch_from_the_nav_link_returns_to_the_page(client, page):
    shown = client.get(page)
    link = re.search(r'<a href="(/lang/en[^"]*)"', shown.text).group(1).replace("&amp;", "&")
    # The link names the page as it is: no stray "?" after a path without a query.
    assert parse_qs(urlsplit(link).query) == {"next": [page]}
    response = client.get(link)
    assert response.headers["Location"] == page


@pytest.mark.parametrize("code", ["fr", "zh", "EN", "zh_Hans_CN.evil"])
def test_unknown_languages_are_404_and_change_nothing(client, member, code):
    assert client.get(f"/lang/{code}").status_code == 404
    db.session.refresh(member)
    assert member.locale is None
    with client.session_transaction() as session:
        assert "locale" not in session


def test_language_switch_ignores_an_offsite_next(app, client):
    response = client.get("/lang/en", query_string={"next": "https://evil.example/"})
    assert response.headers["Location"] == url(app, "events.index")


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/events/3", "/events/3"),
        ("/events/?", "/events/"),
        ("/?", "/"),
        ("/login?next=/inbox", "/login?next=/inbox"),
        (None, None),
        ("", None),
        ("events", None),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("/\t/evil.example", None),
        ("/\n/evil.example", None),
        ("https://evil.example/", None),
        ("javascript:alert(1)", None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


# --- health check -------------------------------------------------------------------------


def test_healthz_answers_ok_after_asking_the_database(client, count_queries):
    with count_queries() as counter:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.mimetype == "application/json"
    assert any("SELECT 1" in statement for statement in counter.statements)


def test_healthz_reports_a_dead_database(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0  # session still usable


# --- the site's icon ------------------------------------------------------------------------


def test_the_icon_is_served_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/events").text
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page
    assert re.search(
        r'<link rel="icon" href="/static/favicon.svg\?v=[0-9a-f]{10}" type="image/svg\+xml">', page
    )
