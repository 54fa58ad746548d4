"""The public event list is kept between requests (core/cache.py), and every change that shows
on it shows at the very next request: an event created, edited, published or cancelled, a cover,
a registration taking or freeing a place, a session's places, an organization's name, the clock
reaching a start or a registration window, another language; what a visitor is told once (a
flash) and what a signed-in member sees are never kept. With Redis, two app processes agree."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from eventsite import create_app
from eventsite.core import cache
from eventsite.events.models import Event, EventKind, EventSession, EventStatus, Registration
from eventsite.extensions import db
from eventsite.organizations import service as organization_service
from tests.conftest import base_config
from tests.factories import make_event, make_registration, make_user


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en", "CACHE_STORAGE_URI": "memory://"}


@pytest.fixture
def organizer(app, clock):
    return make_user(roles=["organizer"], name="组织者")


@pytest.fixture
def event(organizer):
    made = make_event(organizer=organizer, kind=EventKind.GENERAL, title="篮球赛", capacity=3)
    db.session.commit()
    return made


def page(client, url="/events") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def kept_page(client, count_queries, url="/events") -> str:
    """The page, asserting it was served as kept (no SQL statement at all)."""
    db.session.expire_all()
    with count_queries() as counter:
        html = page(client, url)
    assert counter.count == 0, counter.statements
    return html


def places(html: str, title: str) -> str:
    card = html.split(f">{title}</strong>", 1)[1].split("</li>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


def test_the_list_is_kept_and_served_without_a_query(client, event, count_queries):
    first = page(client)
    assert "篮球赛" in first
    assert kept_page(client, count_queries) == first


def test_a_registration_shows_at_once_through_the_register_route(
    client, app, event, count_queries, auth
):
    assert "3 of 3 places left" in places(page(client), "篮球赛")
    member = make_user()
    db.session.commit()
    auth.become(member)
    g.pop("_login_user", None)
    assert client.post(f"/events/{event.id}/register", data={}).status_code == 303
    auth.logout()
    g.pop("_login_user", None)
    assert "2 of 3 places left" in places(page(client), "篮球赛")
    assert "2 of 3 places left" in places(kept_page(client, count_queries), "篮球赛")


@pytest.mark.parametrize(
    "change, shows",
    [
        (lambda event: setattr(event, "title", "排球赛"), "排球赛"),
        (lambda event: setattr(event, "venue", "体育中心"), "体育中心"),
        (lambda event: setattr(event, "status", EventStatus.CANCELLED), "Cancelled"),
        (lambda event: setattr(event, "cover_key", "abc123"), "/covers/abc123/card.jpg"),
        (lambda event: setattr(event, "capacity", 10), "10 of 10 places left"),
    ],
    ids=["title", "venue", "cancelled", "cover", "capacity"],
)
def test_an_edit_of_the_event_shows_at_once(client, event, change, shows, count_queries):
    assert shows not in page(client)
    change(db.session.get(Event, event.id))
    db.session.commit()
    assert shows in page(client)
    assert shows in kept_page(client, count_queries)


def test_a_new_published_event_shows_and_a_draft_published_later_too(
    client, organizer, event, count_queries
):
    page(client)
    make_event(organizer=organizer, title="拔河比赛")
    draft = make_event(organizer=organizer, title="跳绳比赛", status=EventStatus.DRAFT)
    db.session.commit()
    html = page(client)
    assert "拔河比赛" in html and "跳绳比赛" not in html
    draft.status = EventStatus.PUBLISHED
    db.session.commit()
    assert "跳绳比赛" in page(client)


def test_places_freed_by_a_bulk_update_or_a_textual_statement_show_at_once(client, event):
    members = [make_user(), make_user()]
    for member in members:
        make_registration(event, member)
    db.session.commit()
    assert "1 of 3 places left" in places(page(client), "篮球赛")
    db.session.execute(
        sa.update(Registration)
        .where(Registration.user_id == members[0].id)
        .values(status="cancelled")
    )
    db.session.commit()
    assert "2 of 3 places left" in places(page(client), "篮球赛")
    db.session.execute(
        sa.text("UPDATE registration SET status = 'cancelled' WHERE user_id = :id"),
        {"id": members[1].id},
    )
    db.session.commit()
    assert "3 of 3 places left" in places(page(client), "篮球赛")


def test_a_deleted_account_takes_its_place_with_it(client, event):
    member = make_user()
    make_registration(event, member)
    db.session.commit()
    assert "2 of 3 places left" in places(page(client), "篮球赛")
    db.session.delete(member)
    db.session.commit()
    db.session.expire_all()
    assert "3 of 3 places left" in places(page(client), "篮球赛")


def test_a_sessions_places_show_at_once(client, organizer):
    general = make_event(organizer=organizer, kind=EventKind.GENERAL, title="观影", capacity=None)
    starts = general.starts_at
    db.session.add(
        EventSession(
            event_id=general.id,
            label="上午场",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
        )
    )
    db.session.commit()
    before = places(page(client), "观影")
    held = db.session.scalars(sa.select(EventSession).where(EventSession.event_id == general.id))
    held.one().capacity = 7
    db.session.commit()
    after = places(page(client), "观影")
    assert after != before and "7" in after


def test_an_organizations_new_name_shows_at_once(client, organizer):
    union = organization_service.create(organization_service.root(), "芜湖市总工会")
    make_event(organizer=organizer, title="联谊会", organization_id=union.id)
    db.session.commit()
    assert "芜湖市总工会" in page(client)
    union.name = "安徽省芜湖市总工会"
    db.session.commit()
    assert "安徽省芜湖市总工会" in page(client)


def test_the_clock_moves_the_list_on_by_itself(client, organizer, clock, count_queries):
    """Registration opening, the start (in progress) and the end (upcoming → past) show when
    they come, though nothing was written."""
    now = clock.now
    make_event(
        organizer=organizer,
        title="晚会",
        starts_at=now + timedelta(hours=5),
        ends_at=now + timedelta(hours=7),
        registration_opens_at=now + timedelta(hours=1),
        registration_closes_at=now + timedelta(hours=4),
    )
    db.session.commit()
    assert "Registration opens" in places(page(client), "晚会")
    clock.advance(minutes=59)
    assert "Registration opens" in places(kept_page(client, count_queries), "晚会")
    clock.advance(minutes=1)
    assert "Registration open until" in places(page(client), "晚会")
    clock.advance(hours=4)
    assert "In progress" in page(client)
    clock.advance(hours=2)
    assert "晚会" in page(client)  # the very moment it ends
    clock.advance(seconds=1)
    assert "晚会" not in page(client)
    assert "晚会" in page(client, "/events?when=past")


def test_each_language_and_filter_is_kept_apart(client, event):
    english = page(client)
    assert "Events" in english
    with client.session_transaction() as session:
        session["locale"] = "zh_Hans_CN"
    chinese = page(client)
    assert chinese != english and "活动" in chinese
    assert "篮球赛" not in page(client, "/events?kind=mixer")
    assert "篮球赛" in page(client, "/events?kind=general")


def test_a_signed_in_member_never_gets_the_kept_page(client, auth, event):
    page(client)
    member = make_user(name="大字会员", large_text=True)
    db.session.commit()
    auth.become(member)
    g.pop("_login_user", None)
    html = page(client)
    assert 'class="large-text"' in html and "大字会员" in html


def test_a_message_waiting_for_the_visitor_is_shown_not_kept_away(client, event):
    page(client)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "您已退出登录")]
    assert "您已退出登录" in page(client)
    assert "您已退出登录" not in page(client)


def test_uncommitted_changes_of_the_request_itself_are_neither_served_nor_kept(client, event):
    page(client)
    db.session.get(Event, event.id).title = "草稿标题"
    db.session.flush()
    assert "草稿标题" in page(client)  # this session's own view, not the kept page
    db.session.rollback()
    assert "草稿标题" not in page(client)
    assert "篮球赛" in page(client)


def test_made_up_arguments_are_rendered_but_not_kept(client, event, count_queries):
    page(client, "/events?utm=x")
    db.session.expire_all()
    with count_queries() as counter:
        page(client, "/events?utm=x")
    assert counter.count > 0


def test_nothing_is_kept_with_none(app, database_uri, event):
    other = create_app({**base_config(database_uri), "CACHE_STORAGE_URI": "none"})
    assert cache.EXTENSION not in other.extensions


# --- Two processes on one Redis -----------------------------------------------------------------


def _redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_two_apps_on_one_redis_agree_at_once(app, database_uri, event):
    """A registration made through one app (one gunicorn worker or machine) shows at once on
    the list the other app has kept."""
    shared = {
        **base_config(database_uri),
        "BABEL_DEFAULT_LOCALE": "en",
        "CACHE_STORAGE_URI": "redis://127.0.0.1:6379/0",
    }
    event_id = event.id
    db.session.remove()
    first, second = create_app(shared), create_app(shared)
    with second.app_context():
        assert "3 of 3 places left" in places(page(second.test_client()), "篮球赛")
        db.session.remove()
    with first.app_context():
        make_registration(db.session.get(Event, event_id), make_user())
        db.session.commit()
        db.session.remove()
    with second.app_context():
        assert "2 of 3 places left" in places(page(second.test_client()), "篮球赛")
        db.session.remove()
        db.engine.dispose()
    with first.app_context():
        db.engine.dispose()


# --- The rule and the store -----------------------------------------------------------------------


def test_a_kept_page_is_served_only_under_its_version_and_before_its_moment():
    store = cache.MemoryStore()
    kept = cache.PageCache(store, "test", seconds=60)
    built = []

    def build(moment=None):
        built.append(1)
        return f"page {len(built)}", moment

    assert kept.kept("event_list", "k", build) == "page 1"  # a new counter: nothing kept yet
    assert kept.kept("event_list", "k", build) == "page 2"
    assert kept.kept("event_list", "k", build) == "page 2"
    kept.bump(["event_list"])
    assert kept.kept("event_list", "k", build) == "page 3"
    past = datetime(2000, 1, 1, tzinfo=UTC)
    kept.bump(["event_list"])
    assert kept.kept("event_list", "k", lambda: build(past)) == "page 4"
    assert kept.kept("event_list", "k", lambda: build(past)) == "page 5"  # its moment has come


def test_installs_apart_share_the_versions_but_not_the_pages():
    """Two hosts installed apart (each its own release digest) on one database and one Redis:
    a change made through either shows at once on the other; neither serves the other's page."""
    store = cache.MemoryStore()
    host_a = cache.PageCache(store, "db", seconds=60, release="a1")
    host_b = cache.PageCache(store, "db", seconds=60, release="b2")
    built = []

    def build():
        built.append(1)
        return f"page {len(built)}", None

    host_a.kept("event_list", "k", build)  # a new counter: nothing kept yet
    assert host_a.kept("event_list", "k", build) == "page 2"
    assert host_a.kept("event_list", "k", build) == "page 2"
    assert host_b.kept("event_list", "k", build) == "page 3"  # its own page, not A's
    assert host_b.kept("event_list", "k", build) == "page 3"
    host_b.bump(["event_list"])  # a registration through host B
    assert host_a.kept("event_list", "k", build) == "page 4"
    other_database = cache.PageCache(store, "other-db", seconds=60, release="a1")
    assert other_database.version_key("event_list") != host_a.version_key("event_list")


def test_a_savepoint_moves_no_version_before_its_transaction_ends(app, client, event):
    """What a savepoint changed shows when the whole transaction is committed, not when the
    savepoint is released (a page rendered in between from the old data would be kept under
    the new version)."""
    kept = app.extensions[cache.EXTENSION]

    def version():
        return kept.store.get_many([kept.version_key("event_list")])[0]

    page(client)
    before = version()
    assert before is not None
    with db.session.begin_nested():
        make_registration(db.session.get(Event, event.id), make_user())
    assert version() == before
    try:
        with db.session.begin_nested():
            make_registration(db.session.get(Event, event.id), make_user())
            raise LookupError
    except LookupError:
        pass
    assert version() == before
    db.session.commit()
    assert version() != before
    assert "2 of 3 places left" in places(page(client), "篮球赛")


def test_the_memory_store_forgets_the_oldest_and_the_expired():
    store = cache.MemoryStore(entries=2)
    store.set("a", b"1")
    store.set("b", b"2")
    store.set("c", b"3", seconds=-1)
    assert store.get_many(["a", "b", "c"]) == [None, b"2", None]
    store.incr("v")
    store.incr("v")
    store.add("v", b"9")
    assert store.get_many(["v"]) == [b"2"]
    for name in "defgh":  # making room for pages never forgets a counter
        store.set(name, b"page")
    assert store.get_many(["v", "a", "h"]) == [b"2", None, b"page"]


def test_which_writes_change_the_list():
    assert cache.changed_by(["registration"]) == {"event_list"}
    assert cache.changed_by(["user"]) == set()  # a renamed member shows on no public card
    assert cache.changed_by([], ["user"]) == {"event_list"}  # their registrations go with them
    assert cache.changed_by(["notification", "signed_in_device"]) == set()
