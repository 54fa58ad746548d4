"""Sessions (场次) through the pages: a general event held in three sessions, each with its own
places and waitlist; registering for a session, the waitlist within it, promotion within it,
moving between sessions (a member's and an organizer's), several sessions per member, and the
organizer's session pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from eventsite.core.models import AuditEntry, Notification
from eventsite.core.time import format_local, utcnow
from eventsite.events import service
from eventsite.events.models import EventKind, EventSession, Registration
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def become(auth, user) -> None:
    auth.become(user)
    g.pop("_login_user", None)


def text(response) -> str:
    return response.get_data(as_text=True)


def local(moment) -> str:
    return format_local(moment, "%Y-%m-%dT%H:%M")


@pytest.fixture
def organizer(app):
    return make_user(roles=["organizer"], name="组织者")


@pytest.fixture
def lecture(organizer):
    """职工讲堂 given three times, two places each; a freed place is the next member's at once."""
    event = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        title="职工讲堂",
        starts_in=timedelta(days=7),
        promotion_confirm_hours=0,
    )
    event.ends_at = event.starts_at + timedelta(days=2)
    for position, label in enumerate(["第一场", "第二场", "第三场"]):
        start = event.starts_at + timedelta(hours=3 * position)
        db.session.add(
            EventSession(
                event_id=event.id,
                label=label,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                capacity=2,
                position=position,
            )
        )
    db.session.commit()
    return event


def sessions_of(event) -> list[EventSession]:
    return service.sessions_of(event)


def registrations(event) -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).all()


def register(client, auth, user, event, session) -> object:
    become(auth, user)
    return client.post(f"/events/{event.id}/register", data={"session_id": session.id})


def test_the_registration_form_lists_sessions_with_times_and_places(client, auth, lecture):
    first, second, _third = sessions_of(lecture)
    for member in (make_user(), make_user()):
        make_registration(lecture, member, session_id=first.id)
    db.session.commit()
    become(auth, make_user())
    html = text(client.get(f"/events/{lecture.id}"))
    assert f'name="session_id" type="radio" value="{second.id}"' in html
    assert re.search(r"第一场 · [^<]* · full: you join its waitlist", html)
    assert "第二场 · " in html and "2 places left" in html
    assert format_local(second.starts_at) in html


def test_a_session_is_required_and_must_be_the_events(client, auth, lecture, organizer):
    other = make_event(organizer=organizer, kind=EventKind.GENERAL)
    stranger = EventSession(
        event_id=other.id,
        label="别的",
        starts_at=other.starts_at,
        ends_at=other.ends_at,
        position=0,
    )
    db.session.add(stranger)
    db.session.commit()
    become(auth, make_user())
    missing = client.post(f"/events/{lecture.id}/register", data={})
    assert missing.status_code == 400
    assert "Please choose a session." in text(missing)
    foreign = client.post(f"/events/{lecture.id}/register", data={"session_id": stranger.id})
    assert foreign.status_code == 400
    assert "That session does not belong to this event." in text(foreign)
    assert registrations(lecture) == []


def test_register_for_session_two_then_its_waitlist(client, auth, lecture):
    _first, second, _third = sessions_of(lecture)
    a, b, c = make_user(name="甲"), make_user(name="乙"), make_user(name="丙")
    for member in (a, b, c):
        assert register(client, auth, member, lecture, second).status_code == 303
    rows = registrations(lecture)
    assert [(r.user_id, r.session_id, r.status) for r in rows] == [
        (a.id, second.id, "confirmed"),
        (b.id, second.id, "confirmed"),
        (c.id, second.id, "waitlisted"),
    ]
    # The waitlist position is within the session.
    assert service.waitlist_position(rows[2]) == 1


def test_a_cancellation_promotes_its_own_sessions_first_waiter(client, auth, lecture):
    first, second, _third = sessions_of(lecture)
    people = [make_user(name=name) for name in "甲乙丙丁戊己"]
    # Session 1: 甲 乙 confirmed, 丙 waiting (since earlier); session 2: 丁 戊 confirmed, 己 waiting.
    for member in people[:3]:
        register(client, auth, member, lecture, first)
    for member in people[3:]:
        register(client, auth, member, lecture, second)
    become(auth, people[3])
    response = client.post(
        f"/events/{lecture.id}/cancel-registration", data={"session_id": second.id}
    )
    assert response.status_code == 303
    status = {r.user_id: r.status for r in registrations(lecture)}
    assert status[people[5].id] == "confirmed"  # 己, session 2's first waiter
    assert status[people[2].id] == "waitlisted"  # 丙 waits on in session 1, though earlier
    told = db.session.scalars(
        sa.select(Notification.subject).where(Notification.user_id == people[5].id)
    ).all()
    assert any("A place is yours" in subject for subject in told)


def test_move_to_a_session_with_room_frees_the_old_place_for_its_waitlist(client, auth, lecture):
    first, second, third = sessions_of(lecture)
    a, b, c = make_user(name="甲"), make_user(name="乙"), make_user(name="丙")
    for member in (a, b, c):
        register(client, auth, member, lecture, first)
    become(auth, a)
    html = text(client.get(f"/events/{lecture.id}"))
    assert 'id="move-session"' in html
    response = client.post(f"/events/{lecture.id}/move-session", data={"session_id": third.id})
    assert response.status_code == 303
    rows = {r.user_id: r for r in registrations(lecture)}
    assert (rows[a.id].session_id, rows[a.id].status) == (third.id, "confirmed")
    # 甲's place in session 1 went to its waiter in the same request.
    assert (rows[c.id].session_id, rows[c.id].status) == (first.id, "confirmed")
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "registration.session_move"
        )
    )


def test_move_to_a_full_session_is_refused_and_the_place_kept(client, auth, lecture):
    first, second, third = sessions_of(lecture)
    a = make_user(name="甲")
    register(client, auth, a, lecture, first)
    for member in (make_user(), make_user()):
        register(client, auth, member, lecture, second)
    become(auth, a)
    page = text(client.get(f"/events/{lecture.id}"))
    move_list = re.search(r'<form[^>]*id="move-session".*?</form>', page, re.S).group(0)
    # The full session is listed as full and cannot be picked; the one with room can.
    assert re.search(
        rf'<option disabled value="{second.id}">第二场 · [^<]* · Full</option>', move_list
    )
    assert re.search(
        rf'<option value="{third.id}">第三场 · [^<]* · 2 places left</option>', move_list
    )
    response = client.post(
        f"/events/{lecture.id}/move-session", data={"session_id": second.id}, follow_redirects=True
    )
    assert "「第二场」 is full; the registration stays where it is, with its place." in text(
        response
    )
    mine = service.find_registration(lecture.id, a.id)
    db.session.refresh(mine)
    assert (mine.session_id, mine.status) == (first.id, "confirmed")


def test_the_organizer_moves_a_registration_on_the_roster(client, auth, lecture, organizer):
    first, second, _third = sessions_of(lecture)
    member = make_user(name="甲")
    registration = make_registration(lecture, member, session_id=first.id)
    db.session.commit()
    become(auth, organizer)
    roster = text(client.get(f"/events/{lecture.id}/roster"))
    assert "第一场" in roster
    page = client.get(f"/events/{lecture.id}/registrations/{registration.id}/session")
    assert page.status_code == 200
    empty = client.post(f"/events/{lecture.id}/registrations/{registration.id}/session", data={})
    assert empty.status_code == 400
    moved = client.post(
        f"/events/{lecture.id}/registrations/{registration.id}/session",
        data={"session_id": second.id},
    )
    assert moved.status_code == 303
    assert registrations(lecture)[0].session_id == second.id
    told = db.session.scalars(
        sa.select(Notification.subject).where(Notification.user_id == member.id)
    ).all()
    assert any("Session changed" in subject for subject in told)


def test_several_sessions_allowed_gives_two_registrations(client, auth, lecture, organizer):
    first, second, _third = sessions_of(lecture)
    member = make_user()
    register(client, auth, member, lecture, first)
    again = register(client, auth, member, lecture, second)
    assert again.status_code == 400
    assert "You are already registered for this event" in text(again)

    become(auth, organizer)
    assert (
        client.post(
            f"/events/{lecture.id}/sessions/multiple", data={"multiple_sessions": "y"}
        ).status_code
        == 303
    )
    assert register(client, auth, member, lecture, second).status_code == 303
    same = register(client, auth, member, lecture, second)
    assert "You are already registered for this session." in text(same)
    rows = registrations(lecture)
    assert sorted((r.session_id, r.status) for r in rows) == [
        (first.id, "confirmed"),
        (second.id, "confirmed"),
    ]
    # Back to one session per member is refused while the member holds two.
    become(auth, organizer)
    refused = client.post(f"/events/{lecture.id}/sessions/multiple", data={})
    assert refused.status_code == 400
    assert "1 members hold more than one session" in text(refused)
    # The member cancels one of the two: the other stays.
    become(auth, member)
    client.post(f"/events/{lecture.id}/cancel-registration", data={"session_id": second.id})
    assert sorted((r.session_id, r.status) for r in registrations(lecture)) == [
        (first.id, "confirmed"),
        (second.id, "cancelled"),
    ]


def test_re_registering_in_one_session_mode_after_a_cancel_elsewhere(client, auth, lecture):
    first, second, _third = sessions_of(lecture)
    member = make_user()
    register(client, auth, member, lecture, first)
    become(auth, member)
    client.post(f"/events/{lecture.id}/cancel-registration", data={"session_id": first.id})
    assert register(client, auth, member, lecture, second).status_code == 303
    active = [r for r in registrations(lecture) if r.is_active]
    assert [(r.session_id, r.status) for r in active] == [(second.id, "confirmed")]
    # A move back into the session of the cancelled row is no collision.
    assert (
        client.post(f"/events/{lecture.id}/move-session", data={"session_id": first.id}).status_code
        == 303
    )
    assert [(r.session_id, r.status) for r in registrations(lecture) if r.is_active] == [
        (first.id, "confirmed")
    ]


def test_organizer_adds_edits_and_removes_sessions(client, auth, organizer):
    start = (utcnow() + timedelta(days=7)).replace(second=0, microsecond=0)
    event = make_event(organizer=organizer, kind=EventKind.GENERAL, title="疗休养", starts_at=start)
    event.ends_at = event.starts_at + timedelta(days=10)
    db.session.commit()
    become(auth, organizer)
    assert client.get(f"/events/{event.id}/sessions").status_code == 200
    start = event.starts_at
    bad = client.post(
        f"/events/{event.id}/sessions",
        data={
            "label": "第一批",
            "starts_at": local(start - timedelta(days=1)),
            "ends_at": local(start + timedelta(days=1)),
            "capacity": "1",
        },
    )
    assert bad.status_code == 400
    assert "A session lies within the event" in text(bad)
    for label, offset in (("第一批", 0), ("第二批", 3)):
        assert (
            client.post(
                f"/events/{event.id}/sessions",
                data={
                    "label": label,
                    "starts_at": local(start + timedelta(days=offset)),
                    "ends_at": local(start + timedelta(days=offset + 2)),
                    "capacity": "1",
                },
            ).status_code
            == 303
        )
    first, second = sessions_of(event)
    a, b = make_user(), make_user()
    make_registration(event, a, session_id=first.id)
    make_registration(event, b, status="waitlisted", session_id=first.id)
    db.session.commit()
    # Fewer places than its confirmed members: refused.
    fields = {
        "label": "第一批",
        "starts_at": local(first.starts_at),
        "ends_at": local(first.ends_at),
    }
    # More places: the session's waitlist is served at once.
    raised = client.post(f"/events/{event.id}/sessions/{first.id}", data=fields | {"capacity": "2"})
    assert raised.status_code == 303
    assert {r.user_id: r.status for r in registrations(event)}[b.id] == "confirmed"
    lowered = client.post(
        f"/events/{event.id}/sessions/{first.id}", data=fields | {"capacity": "1"}
    )
    assert lowered.status_code == 400
    assert "cannot be lower than 2" in text(lowered)
    # A session somebody holds stays; an empty one goes.
    held = client.post(f"/events/{event.id}/sessions/{first.id}/remove")
    assert held.status_code == 400
    assert "active registrations and cannot be removed" in text(held)
    assert client.post(f"/events/{event.id}/sessions/{second.id}/remove").status_code == 303
    assert [s.label for s in sessions_of(event)] == ["第一批"]


def test_other_kinds_have_no_sessions(client, auth, organizer):
    meet = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队"])
    db.session.commit()
    become(auth, organizer)
    assert client.get(f"/events/{meet.id}/sessions").status_code == 404


def test_the_unique_index_allows_one_registration_per_member_and_session(app, lecture):
    first, _second, _third = sessions_of(lecture)
    member = make_user()
    make_registration(lecture, member, session_id=first.id)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        make_registration(lecture, member, session_id=first.id)
    db.session.rollback()
    plain = make_event(kind=EventKind.GENERAL)
    make_registration(plain, member)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        make_registration(plain, member)  # no session: NULL still collides
    db.session.rollback()


def test_session_started_is_refused(clock, client, auth, lecture):
    first, second, _third = sessions_of(lecture)
    assert utcnow() < first.starts_at
    lecture.registration_closes_at = lecture.starts_at + timedelta(days=1)
    db.session.commit()
    clock.advance(days=7, minutes=30)  # the first session has begun, the second not yet
    become(auth, make_user())
    late = client.post(f"/events/{lecture.id}/register", data={"session_id": first.id})
    assert "This session has already started" in text(late)
    on_time = client.post(f"/events/{lecture.id}/register", data={"session_id": second.id})
    assert on_time.status_code == 303


# --- Per session everywhere: .ics, reminders, check-in, My events, exports --------------------


def test_ics_gives_the_members_session_times(client, auth, lecture):
    import icalendar

    _first, second, _third = sessions_of(lecture)
    member = make_user()
    register(client, auth, member, lecture, second)
    calendar = icalendar.Calendar.from_ical(client.get(f"/events/{lecture.id}.ics").data)
    [entry] = calendar.walk("VEVENT")
    assert entry.decoded("dtstart") == second.starts_at.replace(microsecond=0)
    assert entry.decoded("dtend") == second.ends_at.replace(microsecond=0)
    assert "第二场" in str(entry.get("summary"))
    auth.logout()
    g.pop("_login_user", None)
    anonymous = icalendar.Calendar.from_ical(client.get(f"/events/{lecture.id}.ics").data)
    assert [e.decoded("dtstart") for e in anonymous.walk("VEVENT")] == [
        lecture.starts_at.replace(microsecond=0)
    ]


def two_day_event(organizer, starts_at, labels):
    """A general event over two days: a session of two hours at `starts_at` and one a day later,
    named `labels`; 甲 holds a place in the first, 乙 in the second (their registrations)."""
    event = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=2),
    )
    first, second = (
        EventSession(
            event_id=event.id,
            label=label,
            starts_at=starts_at + timedelta(days=day),
            ends_at=starts_at + timedelta(days=day, hours=2),
            position=day,
        )
        for day, label in enumerate(labels)
    )
    db.session.add_all([first, second])
    db.session.flush()
    holders = (
        make_registration(event, make_user(name="甲"), session_id=first.id),
        make_registration(event, make_user(name="乙"), session_id=second.id),
    )
    db.session.commit()
    return event, (first, second), holders


def test_reminders_go_before_each_session_once(app, clock, organizer):
    from eventsite import scheduler

    event, (early, late), (a, b) = two_day_event(
        organizer, clock.now + timedelta(hours=12), ("上午场", "第二天")
    )
    a, b = a.user, b.user

    def reminded(user) -> list[str]:
        return db.session.scalars(
            sa.select(Notification.subject).where(
                Notification.user_id == user.id, Notification.subject.like("Reminder%")
            )
        ).all()

    with app.test_request_context():
        assert scheduler.run_notices().reminders == 1
        assert scheduler.run_notices().reminders == 0  # idempotent
    assert [s for s in reminded(a)] == [
        f"Reminder: 测试活动 · 上午场 starts at {format_local(early.starts_at)}"
    ]
    assert reminded(b) == []
    clock.advance(hours=14)  # the late session is now within 24 h
    with app.test_request_context():
        assert scheduler.run_notices().reminders == 1
        assert scheduler.run_notices().reminders == 0
    assert len(reminded(b)) == 1 and "第二天" in reminded(b)[0]
    assert len(reminded(a)) == 1


def test_check_in_shows_the_session_and_warns_at_the_wrong_one(clock, client, auth, organizer):
    event, (now_on, tomorrow), (right, wrong) = two_day_event(
        organizer, clock.now + timedelta(hours=1), ("第一场", "第二场")
    )
    clock.advance(minutes=70)
    become(auth, organizer)
    desk = text(client.get(f"/events/{event.id}/checkin", query_string={"q": "乙"}))
    assert "第二场" in desk
    ok = client.post(f"/events/{event.id}/checkin/{right.id}", follow_redirects=True)
    assert "holds a place in the session" not in text(ok)
    warned = client.post(f"/events/{event.id}/checkin/{wrong.id}", follow_redirects=True)
    assert "Note: 乙 holds a place in the session 「第二场」" in text(warned)
    assert db.session.get(Registration, wrong.id).checked_in_at is not None


def test_my_events_and_the_export_name_the_session(client, auth, lecture, organizer):
    import csv
    import io

    _first, _second, third = sessions_of(lecture)
    member = make_user(name="甲")
    register(client, auth, member, lecture, third)
    html = text(client.get("/my/events"))
    assert "第三场" in html and format_local(third.starts_at) in html
    become(auth, organizer)
    body = client.get(f"/events/{lecture.id}/roster.csv").data.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    # A union activity has no teams or tracks: no empty columns for them.
    assert "Team" not in header and "Track" not in header
    assert header[header.index("Birth year") + 1] == "Session"
    assert header[header.index("Session") + 1] == "Companions"
    assert row[header.index("Session")] == f"第三场 {format_local(third.starts_at)}"
    filtered = text(
        client.get(f"/events/{lecture.id}/roster", query_string={"session_id": third.id})
    )
    assert "甲" in filtered
    other = text(client.get(f"/events/{lecture.id}/roster", query_string={"session_id": _first.id}))
    assert "No registrations match." in other


def test_my_events_counts_the_waitlist_within_the_session(client, auth, lecture):
    first, second, _third = sessions_of(lecture)
    for member in (make_user(), make_user(), make_user()):  # session 1 full, one waiting
        register(client, auth, member, lecture, first)
    for member in (make_user(), make_user()):
        register(client, auth, member, lecture, second)
    late = make_user()
    register(client, auth, late, lecture, second)
    html = text(client.get("/my/events"))
    assert "number 1 on the waitlist" in html  # first in session 2's line, not second overall
    assert service.waitlist_position(service.find_registration(lecture.id, late.id)) == 1


def test_an_event_held_in_sessions_takes_no_roster_import(client, auth, lecture, organizer):
    become(auth, organizer)
    page = text(client.get(f"/events/{lecture.id}/roster/import"))
    assert "This event is held in sessions and a list names no session" in page


def test_an_ended_events_sessions_show_no_places(client, lecture, clock):
    def session_places() -> str:
        html = text(client.get(f"/events/{lecture.id}"))
        return re.search(r'<dd id="session-places">(.*?)</dd>', html, re.S).group(1)

    assert session_places().count("2 places left") == 3
    clock.advance(seconds=(lecture.ends_at - clock.now).total_seconds())
    shown = session_places()
    assert "第一场" in shown and "第三场" in shown
    assert "places left" not in shown and "Full" not in shown
