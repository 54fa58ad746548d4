"""Event pages and event management: the public list and detail, publishing, cancelling,
capacity changes, co-organizers, teams and tracks, the organizer's list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from eventsite.core.models import AuditEntry, Notification
from eventsite.events import service
from eventsite.events.models import (
    Event,
    EventKind,
    EventOrganizer,
    EventStatus,
    Registration,
    Team,
    Track,
)
from eventsite.extensions import db
from tests.factories import make_event, make_outside_organizer, make_registration, make_user


def become(auth, user) -> None:
    """Sign in as `user` for the next requests.

    The test's app context outlives each request, so Flask-Login's per-request cache in `g`
    would otherwise keep the previous user.
    """
    auth.become(user)
    g.pop("_login_user", None)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def errors_beside(html: str, field_id: str) -> str:
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


def measured(client, url, count_queries):
    """Queries one GET issues, starting from an empty session like a real request."""
    db.session.rollback()
    db.session.expire_all()
    g.pop("_login_user", None)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def text(response) -> str:
    return response.get_data(as_text=True)


def listed_titles(html: str) -> list[str]:
    """Titles of the event cards: a whole-card link (the list) or a title link (organizers)."""
    return re.findall(r'class="title"(?: href="/events/\d+")?>([^<]+)</', html)


@pytest.fixture
def organizer(app, clock):
    return make_user(roles=["organizer"], name="组织者")


# --- Public list -------------------------------------------------------------------------------


def test_list_shows_published_and_cancelled_not_drafts(client, organizer):
    make_event(organizer=organizer, title="公开的", starts_in=timedelta(days=2))
    make_event(organizer=organizer, title="草稿", status=EventStatus.DRAFT)
    make_event(
        organizer=organizer,
        title="取消的",
        status=EventStatus.CANCELLED,
        starts_in=timedelta(days=3),
    )
    db.session.commit()
    for url in ("/", "/events"):
        html = text(client.get(url))
        assert listed_titles(html) == ["公开的", "取消的"]


def test_list_filters_by_kind_and_when(client, organizer, clock):
    make_event(organizer=organizer, kind=EventKind.MIXER, title="联谊", starts_in=timedelta(days=1))
    make_event(
        organizer=organizer, kind=EventKind.COMPETITION, title="竞赛", starts_in=timedelta(days=2)
    )
    make_event(
        organizer=organizer, kind=EventKind.MIXER, title="去年联谊", starts_in=timedelta(days=-30)
    )
    make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        title="往届运动会",
        starts_in=timedelta(days=-60),
    )
    # Started two hours ago and still running: upcoming, not past.
    make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        title="进行中",
        starts_in=timedelta(hours=-2),
    )
    db.session.commit()
    assert listed_titles(text(client.get("/events"))) == ["进行中", "联谊", "竞赛"]
    assert listed_titles(text(client.get("/events?kind=mixer"))) == ["联谊"]
    assert listed_titles(text(client.get("/events?when=past"))) == ["去年联谊", "往届运动会"]
    assert listed_titles(text(client.get("/events?when=past&kind=sportsmeet"))) == ["往届运动会"]
    # Unknown filter values fall back to everything upcoming rather than failing.
    response = client.get("/events?kind=party&when=soon")
    assert response.status_code == 200
    assert listed_titles(text(response)) == ["进行中", "联谊", "竞赛"]


class TestPagination:
    @pytest.fixture
    def app_config(self):
        return {"BABEL_DEFAULT_LOCALE": "en", "EVENTS_PAGE_SIZE": 2}

    def test_list_is_paginated(self, client, organizer):
        for day in range(1, 6):
            make_event(organizer=organizer, title=f"活动{day}", starts_in=timedelta(days=day))
        db.session.commit()
        assert listed_titles(text(client.get("/events"))) == ["活动1", "活动2"]
        page3 = text(client.get("/events?page=3"))
        assert listed_titles(page3) == ["活动5"]
        assert "Page 3 of 3" in page3
        assert 'rel="prev" href="/events?page=2"' in page3
        # Out-of-range and malformed page numbers never fail.
        assert client.get("/events?page=99").status_code == 200
        assert listed_titles(text(client.get("/events?page=abc"))) == ["活动1", "活动2"]

    def test_filters_survive_paging(self, client, organizer):
        for day in range(1, 4):
            make_event(
                organizer=organizer,
                kind=EventKind.MIXER,
                title=f"联谊{day}",
                starts_in=timedelta(days=day),
            )
        db.session.commit()
        html = text(client.get("/events?kind=mixer"))
        assert 'href="/events?page=2&amp;kind=mixer"' in html


def test_list_shows_places_left_and_waitlist(client, organizer):
    roomy = make_event(organizer=organizer, title="有位", capacity=3, starts_in=timedelta(days=1))
    full = make_event(organizer=organizer, title="满员", capacity=1, starts_in=timedelta(days=2))
    make_registration(roomy, make_user())
    make_registration(full, make_user())
    make_registration(full, make_user(), status="waitlisted")
    make_registration(full, make_user(), status="waitlisted")
    db.session.commit()
    html = text(client.get("/events"))
    assert "2 of 3 places left" in html
    assert "Full · 2 on the waitlist" in html


def listed_places(html: str) -> dict[str, str]:
    """{title: the places line of its card}, whitespace squeezed."""
    cards = re.findall(
        r'class="title"[^>]*>([^<]+)</.*?<p class="meta">.*?</p>\s*<p class="meta">(.*?)</p>',
        html,
        re.S,
    )
    return {title: " ".join(re.sub(r"<[^>]+>", " ", line).split()) for title, line in cards}


def test_list_counts_mixer_places_by_the_quotas(client, organizer, clock):
    def mixer(title, days, **limits):
        return make_event(
            organizer=organizer,
            kind=EventKind.MIXER,
            title=title,
            starts_in=timedelta(days=days),
            registration_opens_at=clock.now + timedelta(days=1),
            **limits,
        )

    narrow = mixer("名额少于容量", 1, capacity=80, quota_male=30, quota_female=30)
    quotas_only = mixer("只有名额", 2, quota_male=5, quota_female=5)
    men_full = mixer("男士已满", 3, capacity=4, quota_male=2, quota_female=2)
    for _ in range(10):
        make_registration(narrow, make_user(gender="male"))
    make_registration(quotas_only, make_user(gender="female"))
    for _ in range(2):
        make_registration(men_full, make_user(gender="male"))
    db.session.commit()
    assert listed_places(text(client.get("/events"))) == {
        "名额少于容量": "50 of 80 places left men: 20 places left women: 30 places left"
        " Registration opens 2026-11-02 10:00",
        "只有名额": "9 places left men: 5 places left women: 4 places left"
        " Registration opens 2026-11-02 10:00",
        "男士已满": "2 of 4 places left men: 0 places left women: 2 places left"
        " Registration opens 2026-11-02 10:00",
    }


def test_list_runs_a_fixed_number_of_queries(client, organizer, count_queries):
    def fill(n):
        for i in range(n):
            event = make_event(organizer=organizer, capacity=5, starts_in=timedelta(days=1 + i))
            make_registration(event, make_user())
        db.session.commit()

    fill(2)
    few = measured(client, "/events", count_queries)
    fill(15)
    assert measured(client, "/events", count_queries) == few


# --- Detail ------------------------------------------------------------------------------------


def test_detail_shows_places_and_registration_window(client, organizer, clock):
    event = make_event(
        organizer=organizer,
        kind=EventKind.MIXER,
        capacity=10,
        quota_male=5,
        quota_female=5,
        title="鹊桥",
        description="第一行\n第二行",
        venue="文化宫",
        registration_opens_at=clock.now + timedelta(hours=2),
    )
    for _ in range(3):
        make_registration(event, make_user(gender="female"))
    make_registration(event, make_user(gender="male"))
    make_registration(event, make_user(), status="cancelled")
    db.session.commit()
    html = text(client.get(f"/events/{event.id}"))
    assert "6 of 10 places left" in html
    assert "men: 4 places left" in html and "women: 2 places left" in html
    # 02:00 UTC + 2 h is 12:00 in Shanghai.
    assert "Registration opens 2026-11-01 12:00" in html
    assert "第一行\n第二行" in html
    clock.advance(hours=3)
    assert "Registration open until" in text(client.get(f"/events/{event.id}"))
    clock.advance(days=7)
    assert "Registration closed" in text(client.get(f"/events/{event.id}"))
    assert "6 of 10 places left" in text(client.get(f"/events/{event.id}"))  # not yet held
    # Once it is over, the page says so instead of offering places.
    clock.advance(seconds=(event.ends_at - clock.now).total_seconds())
    html = text(client.get(f"/events/{event.id}"))
    places = re.search(r'<dd id="places">(.*?)</dd>', html, re.S).group(1)
    assert places.strip() == "This event has ended."
    assert "places left" not in html and 'id="places-by-gender"' not in html


def test_draft_is_404_to_the_public_and_other_members(client, auth, organizer):
    draft = make_event(organizer=organizer, status=EventStatus.DRAFT, title="草稿")
    member = make_user()
    db.session.commit()
    for url in (f"/events/{draft.id}", f"/events/{draft.id}.ics"):
        assert client.get(url).status_code == 404
    become(auth, member)
    assert client.get(f"/events/{draft.id}").status_code == 404
    become(auth, organizer)
    response = client.get(f"/events/{draft.id}")
    assert response.status_code == 200
    assert "Draft: not public" in text(response)


def test_managers_see_counts_and_links(client, auth, organizer):
    event = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["山东"], tracks=["英语"]
    )
    make_registration(event, make_user(), status="waitlisted")
    db.session.commit()
    html = text(client.get(f"/events/{event.id}"))
    assert 'id="manage"' not in html
    become(auth, organizer)
    html = text(client.get(f"/events/{event.id}"))
    assert 'id="manage"' in html
    assert f'href="/events/{event.id}/edit"' in html
    assert f'href="/events/{event.id}/teams"' in html
    assert f'href="/events/{event.id}/roster"' in html
    assert f'href="/events/{event.id}/checkin"' in html


def test_detail_runs_a_fixed_number_of_queries(client, auth, organizer, count_queries):
    event = make_event(organizer=organizer, capacity=500, teams=["一队"])
    member = make_user()
    make_registration(event, member, team_id=event.teams[0].id)
    db.session.commit()
    become(auth, member)
    few = measured(client, f"/events/{event.id}", count_queries)
    for _ in range(40):
        make_registration(event, make_user(), team_id=event.teams[0].id)
    db.session.commit()
    assert measured(client, f"/events/{event.id}", count_queries) == few


# --- Publish -------------------------------------------------------------------------------------


def test_publish_a_draft(client, auth, organizer, clock):
    draft = make_event(organizer=organizer, kind=EventKind.MIXER, status=EventStatus.DRAFT)
    db.session.commit()
    become(auth, organizer)
    response = client.post(f"/events/{draft.id}/publish")
    assert response.status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, draft.id)
    assert (event.status, event.published_at) == ("published", clock.now)
    assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["event.publish"]
    # Publishing twice is refused.
    response = client.post(f"/events/{draft.id}/publish")
    assert response.status_code == 400
    assert "Only a draft can be published." in text(response)


@pytest.mark.parametrize(
    ("kind", "teams", "tracks", "message"),
    [
        (EventKind.COMPETITION, [], ["英语"], "Add at least one team before publishing."),
        (EventKind.COMPETITION, ["山东"], [], "Add at least one track before publishing."),
        (EventKind.SPORTSMEET, [], [], "Add at least one team before publishing."),
    ],
)
def test_publish_needs_teams_and_tracks(client, auth, organizer, kind, teams, tracks, message):
    draft = make_event(
        organizer=organizer, kind=kind, status=EventStatus.DRAFT, teams=teams, tracks=tracks
    )
    db.session.commit()
    become(auth, organizer)
    response = client.post(f"/events/{draft.id}/publish")
    assert response.status_code == 400
    assert message in text(response)
    db.session.expire_all()
    assert db.session.get(Event, draft.id).status == "draft"


# --- Capacity changes and cancellation ---------------------------------------------------------


def test_capacity_increase_promotes_the_waitlist_in_order_and_notifies(client, auth, organizer):
    event = make_event(organizer=organizer, capacity=1, title="拔河")
    make_registration(event, make_user())
    first = make_user(name="先到")
    second = make_user(name="后到")
    third = make_user(name="最后")
    regs = [make_registration(event, user, status="waitlisted") for user in (first, second, third)]
    # Arrival order on the waitlist decides, not the row order.
    regs[0].waitlisted_at = regs[0].waitlisted_at - timedelta(minutes=3)
    regs[1].waitlisted_at = regs[1].waitlisted_at - timedelta(minutes=2)
    db.session.commit()
    become(auth, organizer)
    from tests.test_event_forms import edit_data

    response = client.post(f"/events/{event.id}/edit", data=edit_data(event, capacity="3"))
    assert response.status_code == 303
    db.session.expire_all()
    statuses = {r.user_id: r.status for r in db.session.scalars(sa.select(Registration))}
    assert (statuses[first.id], statuses[second.id], statuses[third.id]) == (
        "confirmed",
        "confirmed",
        "waitlisted",
    )
    notified = db.session.scalars(sa.select(Notification.user_id)).all()
    assert sorted(notified) == sorted([first.id, second.id])
    # Each is offered the place, to confirm within the event's confirmation time.
    assert "2 members on the waitlist were offered the new places" in text(
        client.get(f"/events/{event.id}/edit")
    )


def test_removing_the_capacity_promotes_everyone(app, organizer):
    event = make_event(organizer=organizer, capacity=1)
    make_registration(event, make_user())
    waiting = [make_registration(event, make_user(), status="waitlisted") for _ in range(3)]
    db.session.commit()
    promoted = service.update_event(event, organizer, capacity=None)
    db.session.commit()
    assert sorted(r.id for r in promoted) == sorted(r.id for r in waiting)


def test_raising_a_gender_quota_promotes_that_gender(app, organizer):
    event = make_event(
        organizer=organizer, kind=EventKind.MIXER, capacity=10, quota_male=1, quota_female=1
    )
    make_registration(event, make_user(gender="male"))
    man = make_registration(event, make_user(gender="male"), status="waitlisted")
    db.session.commit()
    assert service.update_event(event, organizer, quota_female=2) == []
    promoted = service.update_event(event, organizer, quota_male=2)
    db.session.commit()
    assert [r.id for r in promoted] == [man.id]


def test_cancel_event_cancels_everyone_and_tells_them_why(client, auth, organizer, clock):
    event = make_event(organizer=organizer, capacity=2, title="秋季联谊")
    members = [make_user() for _ in range(4)]
    make_registration(event, members[0])
    make_registration(event, members[1])
    make_registration(event, members[2], status="waitlisted")
    make_registration(event, members[3], status="cancelled")
    db.session.commit()
    become(auth, organizer)
    response = client.post(f"/events/{event.id}/cancel", data={"reason": "场馆临时维修"})
    assert response.status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.status, event.cancel_reason, event.cancelled_at) == (
        "cancelled",
        "场馆临时维修",
        clock.now,
    )
    regs = db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()
    assert [r.status for r in regs] == ["cancelled"] * 4
    assert [r.status_reason for r in regs[:3]] == ["场馆临时维修"] * 3
    notes = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
    assert [n.user_id for n in notes] == [m.id for m in members[:3]]
    assert all("秋季联谊" in n.subject and "场馆临时维修" in n.body for n in notes)
    assert all(n.link == f"/events/{event.id}" for n in notes)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "event.cancel")
    ).one()
    assert entry.actor_id == organizer.id and "3 registrations" in entry.detail
    # The event stays listed as cancelled and registration is closed.
    assert "This event has been cancelled" in text(client.get(f"/events/{event.id}"))
    late = make_user()
    db.session.commit()
    become(auth, late)
    response = client.post(f"/events/{event.id}/register")
    assert response.status_code == 400
    assert "This event has been cancelled." in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 4


@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
def test_cancel_event_needs_a_reason(client, auth, organizer, reason):
    event = make_event(organizer=organizer)
    make_registration(event, make_user())
    db.session.commit()
    become(auth, organizer)
    response = client.post(f"/events/{event.id}/cancel", data={"reason": reason})
    assert response.status_code == 400
    assert errors_beside(text(response), "reason")
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"
    assert db.session.scalar(sa.select(Registration.status)) == "confirmed"
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_cancelling_twice_is_refused(client, auth, organizer):
    event = make_event(organizer=organizer, status=EventStatus.CANCELLED)
    db.session.commit()
    become(auth, organizer)
    assert client.post(f"/events/{event.id}/cancel", data={"reason": "再取消"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_other_organizer_cannot_publish_or_cancel(client, auth, organizer):
    event = make_event(organizer=organizer, status=EventStatus.DRAFT, kind=EventKind.MIXER)
    other = make_outside_organizer()
    db.session.commit()
    become(auth, other)
    assert (
        client.post(f"/events/{event.id}/publish").status_code == 404
    )  # a draft is not theirs to see
    event.status = EventStatus.PUBLISHED
    db.session.commit()
    assert client.post(f"/events/{event.id}/cancel", data={"reason": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"


# --- Co-organizers ------------------------------------------------------------------------------


def test_add_and_remove_a_co_organizer(client, auth, organizer):
    event = make_event(organizer=organizer)
    co = make_user(roles=["organizer"], name="合办人", mobile="13912345678")
    db.session.commit()
    become(auth, organizer)
    assert (
        client.post(f"/events/{event.id}/organizers", data={"mobile": " 13912345678 "}).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Event, event.id).organizer_ids == {organizer.id, co.id}
    assert "合办人" in text(client.get(f"/events/{event.id}/organizers"))
    # The co-organizer can now manage it.
    become(auth, co)
    assert client.get(f"/events/{event.id}/edit").status_code == 200
    response = client.post(
        f"/events/{event.id}/organizers", data={"remove_user_id": str(organizer.id)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).organizer_ids == {co.id}
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["event.organizer_add", "event.organizer_remove"]


NO_SUCH_ORGANIZER = (
    "No member with the organizer role has this mobile number. An administrator grants the role."
)


@pytest.mark.parametrize(
    ("mobile", "message"),
    [
        ("", "Please enter a mobile number."),
        ("13700000000", NO_SUCH_ORGANIZER),
        ("plain", NO_SUCH_ORGANIZER),
        ("judge", NO_SUCH_ORGANIZER),
        ("deactivated", NO_SUCH_ORGANIZER),
        ("self", "This member already organizes this event."),
    ],
)
def test_adding_an_organizer_refuses_bad_input(client, auth, organizer, mobile, message):
    event = make_event(organizer=organizer)
    people = {
        "plain": make_user(mobile="13611112222", name="普通会员甲"),
        "judge": make_user(mobile="13611113333", name="裁判乙", roles=["judge"]),
        "deactivated": make_user(
            mobile="13611114444", name="停用丙", roles=["organizer"], active=False
        ),
        "self": organizer,
    }
    db.session.commit()
    looked_up = people.get(mobile)
    become(auth, organizer)
    response = client.post(
        f"/events/{event.id}/organizers",
        data={"mobile": looked_up.mobile if looked_up else mobile},
    )
    assert response.status_code == 400
    assert errors_beside(text(response), "mobile").strip() == f"<li>{message}</li>"
    # Whose number it is stays unsaid: none of the looked-up members is named on the page.
    for person in people.values():
        if person is not organizer:
            assert person.name not in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventOrganizer)) == 1


def test_an_organizer_list_place_without_the_role_manages_nothing(client, auth, organizer):
    """A member still on an event's list whose organizer role is gone cannot manage it."""
    event = make_event(organizer=organizer, status=EventStatus.DRAFT)
    published = make_event(organizer=organizer, title="已发布")
    former = make_user(name="前组织者")
    db.session.add_all(
        [
            EventOrganizer(event_id=event.id, user_id=former.id),
            EventOrganizer(event_id=published.id, user_id=former.id),
        ]
    )
    db.session.commit()
    become(auth, former)
    assert client.get(f"/events/{event.id}").status_code == 404  # a draft: not theirs to see
    assert client.get(f"/events/{published.id}/edit").status_code == 403
    assert client.get(f"/events/{published.id}/roster").status_code == 403
    response = client.post(f"/events/{published.id}/cancel", data={"reason": "x"})
    assert response.status_code == 403
    assert client.get("/manage").status_code == 403
    db.session.expire_all()
    assert db.session.get(Event, published.id).status == EventStatus.PUBLISHED


def test_the_last_organizer_cannot_be_removed(client, auth, organizer):
    event = make_event(organizer=organizer)
    db.session.commit()
    become(auth, organizer)
    response = client.post(
        f"/events/{event.id}/organizers", data={"remove_user_id": str(organizer.id)}
    )
    assert response.status_code == 400
    assert "at least one organizer" in text(response)
    db.session.expire_all()
    assert db.session.get(Event, event.id).organizer_ids == {organizer.id}


def test_the_last_organizer_who_may_run_it_cannot_leave(client, auth, organizer):
    """A second place held by someone without the role (or deactivated) does not count."""
    event = make_event(organizer=organizer)
    former = make_user(name="前组织者")
    gone = make_user(roles=["organizer"], active=False)
    db.session.add_all(
        [
            EventOrganizer(event_id=event.id, user_id=former.id),
            EventOrganizer(event_id=event.id, user_id=gone.id),
        ]
    )
    db.session.commit()
    become(auth, organizer)
    response = client.post(
        f"/events/{event.id}/organizers", data={"remove_user_id": str(organizer.id)}
    )
    assert response.status_code == 400
    assert "at least one organizer" in text(response)
    # Removing the place that cannot run the event is fine.
    response = client.post(
        f"/events/{event.id}/organizers", data={"remove_user_id": str(former.id)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).organizer_ids == {organizer.id, gone.id}


def test_removing_someone_who_is_not_an_organizer_is_refused(client, auth, organizer):
    event = make_event(organizer=organizer)
    stranger = make_user()
    db.session.commit()
    become(auth, organizer)
    response = client.post(
        f"/events/{event.id}/organizers", data={"remove_user_id": str(stranger.id)}
    )
    assert response.status_code == 400
    response = client.post(f"/events/{event.id}/organizers", data={"remove_user_id": "abc"})
    assert response.status_code == 400


# --- Teams and tracks ----------------------------------------------------------------------------


def team_names(event_id) -> list[str]:
    return db.session.scalars(
        sa.select(Team.name).where(Team.event_id == event_id).order_by(Team.position, Team.id)
    ).all()


def rows(prefix: str, items, **changes) -> dict:
    data = {}
    for i, item in enumerate(items):
        data[f"{prefix}-rows-{i}-id"] = str(item.id)
        data[f"{prefix}-rows-{i}-name"] = changes.get(item.name, item.name)
        if changes.get(item.name) is None and item.name in changes:
            data[f"{prefix}-rows-{i}-remove"] = "y"
            data[f"{prefix}-rows-{i}-name"] = item.name
    return data


def test_teams_are_added_renamed_and_removed(client, auth, organizer):
    meet = make_event(organizer=organizer, teams=["站前一队", "站前二队", "站前三队"])
    db.session.commit()
    become(auth, organizer)
    page = text(client.get(f"/events/{meet.id}/teams"))
    assert 'value="站前二队"' in page
    a, b, c = meet.teams
    data = rows(
        "teams", [a, b, c], **{"站前一队": "站前二队", "站前二队": "站前一队", "站前三队": None}
    )
    data["teams-new_names"] = "龙华社区\n\n  铁锋社区  \n"
    response = client.post(f"/events/{meet.id}/teams?list=teams", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert team_names(meet.id) == ["站前二队", "站前一队", "龙华社区", "铁锋社区"]
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "event.teams")
    ).one()
    assert "− 站前三队" in entry.detail and "+ 铁锋社区" in entry.detail
    assert "站前一队 → 站前二队" in entry.detail


def test_a_team_with_registrations_cannot_be_removed(client, auth, organizer):
    meet = make_event(organizer=organizer, teams=["一队", "二队"])
    one, two = meet.teams
    make_registration(meet, make_user(), team_id=two.id, status="waitlisted")
    db.session.commit()
    become(auth, organizer)
    data = rows("teams", [one, two], **{"二队": None})
    data["teams-new_names"] = "三队"
    response = client.post(f"/events/{meet.id}/teams?list=teams", data=data)
    assert response.status_code == 400
    assert "二队 has 1 active registrations and cannot be removed" in errors_beside(
        text(response), "teams-rows-1-name"
    )
    assert team_names(meet.id) == ["一队", "二队"]
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_a_team_whose_registrations_are_cancelled_can_go(client, auth, organizer):
    meet = make_event(organizer=organizer, teams=["一队", "二队"])
    one, two = meet.teams
    reg = make_registration(meet, make_user(), team_id=two.id, status="cancelled")
    db.session.commit()
    become(auth, organizer)
    response = client.post(
        f"/events/{meet.id}/teams?list=teams", data=rows("teams", [one, two], **{"二队": None})
    )
    assert response.status_code == 303
    assert team_names(meet.id) == ["一队"]
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).team_id is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"teams-rows-0-name": ""}, "teams-rows-0-name", "Please enter a name."),
        ({"teams-rows-1-name": "一队"}, "teams-rows-1-name", "一队 appears twice."),
        ({"teams-new_names": "二队"}, "new_names", "二队 appears twice."),
        ({"teams-new_names": "新队\n新队"}, "new_names", "新队 appears twice."),
        ({"teams-new_names": "长" * 101}, "new_names", "At most 100 characters."),
    ],
)
def test_bad_team_names_are_refused(client, auth, organizer, change, field, message):
    meet = make_event(organizer=organizer, teams=["一队", "二队"])
    db.session.commit()
    become(auth, organizer)
    data = {**rows("teams", meet.teams), **change}
    response = client.post(f"/events/{meet.id}/teams?list=teams", data=data)
    assert response.status_code == 400
    html = text(response)
    beside = errors_beside(html, field) if field != "new_names" else html
    assert message in beside
    assert team_names(meet.id) == ["一队", "二队"]


def test_a_published_meet_keeps_at_least_one_team(client, auth, organizer):
    meet = make_event(organizer=organizer, teams=["一队"])
    db.session.commit()
    become(auth, organizer)
    response = client.post(
        f"/events/{meet.id}/teams?list=teams", data=rows("teams", meet.teams, **{"一队": None})
    )
    assert response.status_code == 400
    assert "needs at least one team" in text(response)
    assert team_names(meet.id) == ["一队"]


def test_another_events_team_id_is_refused(client, auth, organizer):
    meet = make_event(organizer=organizer, teams=["一队"])
    other = make_event(organizer=organizer, teams=["外队"])
    db.session.commit()
    become(auth, organizer)
    data = {"teams-rows-0-id": str(other.teams[0].id), "teams-rows-0-name": "偷改"}
    response = client.post(f"/events/{meet.id}/teams?list=teams", data=data)
    assert response.status_code == 400
    assert team_names(other.id) == ["外队"]


def test_competition_tracks_are_edited_on_the_same_page(client, auth, organizer):
    contest = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["山东"], tracks=["英语", "俄语"]
    )
    russian = contest.tracks[1]
    make_registration(contest, make_user(), team_id=contest.teams[0].id, track_id=russian.id)
    db.session.commit()
    become(auth, organizer)
    page = text(client.get(f"/events/{contest.id}/teams"))
    assert 'id="tracks"' in page and 'value="俄语"' in page
    response = client.post(
        f"/events/{contest.id}/teams?list=tracks",
        data={**rows("tracks", contest.tracks, **{"俄语": None})},
    )
    assert response.status_code == 400
    assert "俄语 has 1 active registrations" in text(response)
    data = {**rows("tracks", contest.tracks), "tracks-new_names": "西班牙语\n法语\n日语"}
    assert client.post(f"/events/{contest.id}/teams?list=tracks", data=data).status_code == 303
    names = db.session.scalars(
        sa.select(Track.name).where(Track.event_id == contest.id).order_by(Track.position)
    ).all()
    assert names == ["英语", "俄语", "西班牙语", "法语", "日语"]


def test_mixers_have_no_teams_page(client, auth, organizer):
    mixer = make_event(organizer=organizer, kind=EventKind.MIXER)
    meet = make_event(organizer=organizer, teams=["一队"])
    db.session.commit()
    become(auth, organizer)
    assert client.get(f"/events/{mixer.id}/teams").status_code == 404
    assert (
        client.post(f"/events/{mixer.id}/teams", data={"teams-new_names": "x"}).status_code == 404
    )
    # A sports meet has no tracks list.
    assert (
        client.post(
            f"/events/{meet.id}/teams?list=tracks", data={"tracks-new_names": "x"}
        ).status_code
        == 404
    )


# --- The organizer's list ---------------------------------------------------------------------------


def test_manage_lists_only_my_events_with_counts(client, auth):
    """An organizer of a city lists the city's events, not those of the rest of the union."""
    organizer = make_outside_organizer()
    city = organizer.role_grants[0].organization_id
    mine = make_event(organizer=organizer, title="我的活动", capacity=5, organization_id=city)
    make_event(
        organizer=organizer, title="我的草稿", status=EventStatus.DRAFT, organization_id=city
    )
    make_event(organizer=make_user(roles=["organizer"]), title="别人的活动")
    for status in ("confirmed", "confirmed", "waitlisted", "pending", "cancelled"):
        make_registration(mine, make_user(), status=status)
    admin = make_user(roles=["admin"])
    db.session.commit()
    become(auth, organizer)
    html = text(client.get("/manage"))
    assert sorted(listed_titles(html)) == ["我的活动", "我的草稿"]
    assert "<strong>2</strong><span>Confirmed / 5</span>" in html
    assert 'href="/events/new"' in html
    become(auth, admin)
    assert len(listed_titles(text(client.get("/manage")))) == 3


def test_manage_leads_to_each_events_own_set_up_under_one_name(client, auth, organizer):
    """From 活动管理 an organizer reaches a sports meet's set-up, a competition's set-up and a
    mixer's exchange settings, named as the page they open names itself (and as the event page
    names them)."""
    meet = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, title="运动会")
    contest = make_event(organizer=organizer, kind=EventKind.COMPETITION, title="竞赛")
    mixer = make_event(organizer=organizer, kind=EventKind.MIXER, title="联谊")
    db.session.commit()
    become(auth, organizer)
    html = text(client.get("/manage"))
    links = {
        meet: (f"/events/{meet.id}/meet/setup", "Meet set-up"),
        contest: (f"/competitions/{contest.id}", "Competition set-up"),
        mixer: (f"/events/{mixer.id}/mixer/manage", "Contact exchange settings and counts"),
    }
    cards = html.split('<li class="card">')[1:]
    assert len(cards) == 3
    for event, (href, label) in links.items():
        [card] = [c for c in cards if f'href="/events/{event.id}"' in c]
        assert f'href="{href}">{label}</a>' in card, (event.title, card)
        others = {h for e, (h, _label) in links.items() if e is not event}
        assert not any(h in card for h in others)
        opened = text(client.get(href))
        assert f"<h1>{label}</h1>" in opened or f"<title>{label}" in opened, href
        assert f'href="{href}">{label}</a>' in text(client.get(f"/events/{event.id}"))


def test_manage_runs_a_fixed_number_of_queries(client, auth, organizer, count_queries):
    def fill(n):
        for _ in range(n):
            event = make_event(organizer=organizer, capacity=5)
            make_registration(event, make_user())
        db.session.commit()

    become(auth, organizer)
    fill(2)
    few = measured(client, "/manage", count_queries)
    fill(12)
    assert measured(client, "/manage", count_queries) == few


def test_manage_needs_the_organizer_role(client, auth, app):
    member = make_user()
    db.session.commit()
    assert client.get("/manage").status_code == 302
    become(auth, member)
    assert client.get("/manage").status_code == 403


def test_pages_render_in_chinese(client, auth, organizer, app):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans_CN"
    event = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["山东"], tracks=["英语"]
    )
    db.session.commit()
    become(auth, organizer)
    for url in (
        "/events",
        f"/events/{event.id}",
        f"/events/{event.id}/edit",
        "/manage",
        f"/events/{event.id}/teams",
        f"/events/{event.id}/organizers",
        "/events/new",
        "/events/new?kind=mixer",
        "/my/events",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-CN"' in text(response)
