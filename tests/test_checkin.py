"""Check-in: the member's QR link, the organizer's confirm, the desk with search, undo and counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import User
from eventsite.core.models import AuditEntry
from eventsite.events import roster
from eventsite.events.checkin import token_for
from eventsite.events.models import EventKind, EventStatus, Registration, RegistrationStatus
from eventsite.extensions import db
from tests.factories import make_event, make_outside_organizer, make_registration, make_user

S = RegistrationStatus


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    monkeypatch.setattr(
        User,
        "set_password",
        lambda self, password: setattr(
            self, "password_hash", generate_password_hash(password, method="pbkdf2:sha256:1")
        ),
    )


@pytest.fixture
def scene(app, clock):
    organizer = make_user(roles=["organizer"], name="组织者")
    # Starting within the hour: check-in is open.
    event = make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        teams=["站前社区队"],
        title="趣味运动会",
        starts_in=timedelta(hours=1),
    )
    team = event.teams[0].id
    regs = {
        "confirmed": make_registration(
            event, make_user(name="张伟", mobile="15977770001"), team_id=team
        ),
        "other": make_registration(
            event, make_user(name="张丽", mobile="15977770002"), team_id=team
        ),
        "third": make_registration(
            event, make_user(name="王强", mobile="15977770003"), team_id=team
        ),
        "waitlisted": make_registration(
            event, make_user(name="张等", mobile="15977770004"), status=S.WAITLISTED, team_id=team
        ),
        "pending": make_registration(
            event, make_user(name="李审", mobile="15977770005"), status=S.PENDING, team_id=team
        ),
    }
    db.session.commit()
    return organizer, event, regs


def switch_to(auth, user):
    """Become `user` mid-test: the test's app context keeps Flask-Login's cached user in g."""
    auth.become(user)
    g.pop("_login_user", None)


def checked_in_at(registration):
    return db.session.scalar(
        sa.select(Registration.checked_in_at).where(Registration.id == registration.id)
    )


def audit_actions(event):
    return db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id)
    ).all()


def english(client):
    with client.session_transaction() as session:
        session["locale"] = "en"


# --- the QR link ------------------------------------------------------------------------------


def test_token_link_asks_once_then_checks_in(app, client, auth, clock, scene):
    organizer, event, regs = scene
    reg = regs["confirmed"]
    auth.become(organizer)
    url = f"/checkin/{token_for(reg)}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "张伟" in html
        and "趣味运动会" in html
        and "站前社区队" in html
        and f'action="{url}"' in html
    )
    assert checked_in_at(reg) is None  # opening the link changes nothing
    clock.advance(minutes=7)
    response = client.post(url)
    assert response.status_code == 302 and response.location.endswith(f"/events/{event.id}/checkin")
    assert checked_in_at(reg) == clock.now
    stored = db.session.get(Registration, reg.id)
    assert stored.checked_in_by_id == organizer.id
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "checkin.check_in")
    ).one()
    assert (entry.actor_id, entry.event_id, entry.detail) == (organizer.id, event.id, "张伟")


def test_a_double_scan_says_when_and_changes_nothing(app, client, auth, clock, scene):
    organizer, event, regs = scene
    reg = regs["confirmed"]
    auth.become(organizer)
    english(client)
    url = f"/checkin/{token_for(reg)}"
    client.post(url)
    first = clock.now
    clock.advance(minutes=30)
    again = client.post(url)
    assert again.status_code == 409
    message = again.get_data(as_text=True).split('id="checkin-message"')[1].split("</p>")[0]
    assert "already checked in" in message and "2026-11-01 10:00" in message
    assert checked_in_at(reg) == first
    assert audit_actions(event) == ["checkin.check_in"]
    # Opening the link again shows the same, without a confirm button.
    html = client.get(url).get_data(as_text=True)
    assert "already checked in" in html and f'action="{url}"' not in html


def test_a_concurrent_check_in_is_not_recorded_twice(app, clock, scene):
    organizer, event, regs = scene
    reg = db.session.get(Registration, regs["confirmed"].id)
    # Another desk checks the member in after this one loaded the registration.
    db.session.execute(
        sa.text("UPDATE registration SET checked_in_at = :t WHERE id = :i"),
        {"t": clock.now.replace(tzinfo=None), "i": reg.id},
    )
    stale_moment = clock.advance(minutes=1)
    with pytest.raises(roster.CheckInError) as error:
        roster.check_in(reg, actor=organizer)
    assert error.value.refusal == roster.CheckInRefusal.ALREADY
    assert checked_in_at(reg) != stale_moment
    assert audit_actions(event) == []


@pytest.mark.parametrize("which", ["waitlisted", "pending"])
def test_only_confirmed_registrations_check_in(app, client, auth, scene, which):
    organizer, _event, regs = scene
    reg = regs[which]
    auth.become(organizer)
    english(client)
    url = f"/checkin/{token_for(reg)}"
    html = client.get(url).get_data(as_text=True)
    assert "only confirmed members check in" in html and f'action="{url}"' not in html
    response = client.post(url)
    assert response.status_code == 409
    assert checked_in_at(reg) is None


def test_a_cancelled_registration_or_event_cannot_check_in(app, client, auth, clock, scene):
    organizer, event, regs = scene
    reg = regs["confirmed"]
    reg.status = S.CANCELLED
    db.session.commit()
    auth.become(organizer)
    assert client.post(f"/checkin/{token_for(reg)}").status_code == 409
    other = regs["other"]
    db.session.get(type(event), event.id).status = EventStatus.CANCELLED
    db.session.commit()
    english(client)
    response = client.post(f"/checkin/{token_for(other)}")
    assert response.status_code == 409 and "cancelled" in response.get_data(as_text=True)
    assert checked_in_at(reg) is None and checked_in_at(other) is None


def test_forged_or_stale_tokens_are_404(app, client, auth, scene):
    organizer, event, regs = scene
    auth.become(organizer)
    token = token_for(regs["confirmed"])
    assert client.get(f"/checkin/{token[:-2]}xx").status_code == 404
    assert client.post(f"/checkin/{token[:-2]}xx").status_code == 404
    assert client.get("/checkin/not-a-token").status_code == 404
    # Genuinely signed, but naming a registration that does not exist.
    fake = type("R", (), {"id": 999999, "event_id": event.id})()
    assert client.get(f"/checkin/{token_for(fake)}").status_code == 404


def test_organizer_of_another_event_another_member_and_anonymous_are_kept_out(
    app, client, auth, scene
):
    _organizer, event, regs = scene
    reg = regs["confirmed"]
    url = f"/checkin/{token_for(reg)}"
    other_organizer = make_outside_organizer()
    make_event(
        organizer=other_organizer, organization_id=other_organizer.role_grants[0].organization_id
    )
    db.session.commit()
    for user in (other_organizer, db.session.get(User, regs["other"].user_id)):
        switch_to(auth, user)
        assert client.get(url).status_code == 403
        assert client.post(url).status_code == 403
    auth.logout()
    g.pop("_login_user", None)
    response = client.post(url)
    assert response.status_code == 302 and "/login" in response.location
    assert checked_in_at(reg) is None


def test_a_member_opening_their_own_link_sees_their_code_and_what_it_is_for(
    app, client, auth, scene
):
    _organizer, event, regs = scene
    reg = regs["confirmed"]
    url = f"/checkin/{token_for(reg)}"
    switch_to(auth, db.session.get(User, reg.user_id))
    english(client)
    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Your check-in code" in html and "趣味运动会" in html
    assert "Opening the link yourself does not check you in." in html
    assert f'data-checkin-url="http://localhost{url}"' in html and 'class="segno"' in html
    assert f'action="{url}"' not in html  # no confirm button for the member
    # The member still cannot check themselves in.
    assert client.post(url).status_code == 403
    assert checked_in_at(reg) is None


def test_a_member_whose_place_is_not_confirmed_sees_why_instead_of_a_code(app, client, auth, scene):
    _organizer, _event, regs = scene
    reg = regs["waitlisted"]
    switch_to(auth, db.session.get(User, reg.user_id))
    english(client)
    page = client.get(f"/checkin/{token_for(reg)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Only confirmed members check in" in html and 'class="segno"' not in html


def test_an_admin_and_a_co_organizer_may_check_in(app, client, auth, scene):
    _organizer, event, regs = scene
    from eventsite.events.models import EventOrganizer

    co = make_user(roles=["organizer"])
    db.session.add(EventOrganizer(event_id=event.id, user_id=co.id))
    admin = make_user(roles=["admin"])
    db.session.commit()
    switch_to(auth, co)
    assert client.post(f"/checkin/{token_for(regs['confirmed'])}").status_code == 302
    switch_to(auth, admin)
    assert client.post(f"/checkin/{token_for(regs['other'])}").status_code == 302
    by = dict(db.session.execute(sa.select(Registration.id, Registration.checked_in_by_id)).all())
    assert by[regs["confirmed"].id] == co.id and by[regs["other"].id] == admin.id


# --- the desk ---------------------------------------------------------------------------------


def test_desk_search_finds_confirmed_members_by_name_or_mobile(app, client, auth, scene):
    organizer, event, regs = scene
    auth.become(organizer)
    html = client.get(f"/events/{event.id}/checkin?q=张").get_data(as_text=True)
    results = html.split('id="search-results"')[1].split("</section>")[0]
    assert "张伟" in results and "张丽" in results
    assert "张等" not in results and "王强" not in results  # waitlisted, or not matching
    results = (
        client.get(f"/events/{event.id}/checkin?q=70003")
        .get_data(as_text=True)
        .split('id="search-results"')[1]
    )
    assert "王强" in results.split("</section>")[0] and "张伟" not in results.split("</section>")[0]


def test_manual_check_in_and_undo(app, client, auth, clock, scene):
    organizer, event, regs = scene
    reg = regs["other"]
    auth.become(organizer)
    response = client.post(f"/events/{event.id}/checkin/{reg.id}?q=张")
    assert response.status_code == 302 and response.location.endswith(
        f"/events/{event.id}/checkin?q=%E5%BC%A0"
    )
    assert checked_in_at(reg) == clock.now
    desk = client.get(f"/events/{event.id}/checkin").get_data(as_text=True)
    assert "张丽" in desk.split('id="recent"')[1]
    assert client.post(f"/events/{event.id}/checkin/{reg.id}").status_code == 409  # twice
    clock.advance(minutes=2)
    assert client.post(f"/events/{event.id}/checkin/{reg.id}/undo").status_code == 302
    assert checked_in_at(reg) is None
    assert db.session.get(Registration, reg.id).checked_in_by_id is None
    assert (
        client.post(f"/events/{event.id}/checkin/{reg.id}/undo").status_code == 409
    )  # nothing to undo
    assert audit_actions(event) == ["checkin.check_in", "checkin.undo"]
    assert client.post(f"/events/{event.id}/checkin/{regs['pending'].id}").status_code == 409
    assert checked_in_at(regs["pending"]) is None


def test_desk_actions_stay_inside_the_event(app, client, auth, scene):
    organizer, event, regs = scene
    other = make_event(organizer=organizer)
    db.session.commit()
    auth.become(organizer)
    assert client.post(f"/events/{other.id}/checkin/{regs['confirmed'].id}").status_code == 404
    assert client.post(f"/events/{other.id}/checkin/{regs['confirmed'].id}/undo").status_code == 404
    assert checked_in_at(regs["confirmed"]) is None


def test_counts_json_and_the_desk_counts(app, client, auth, scene):
    organizer, event, regs = scene
    auth.become(organizer)
    assert client.get(f"/events/{event.id}/checkin/counts.json").get_json() == {
        "confirmed": 3,
        "checked_in": 0,
        "not_checked_in": 3,
    }
    client.post(f"/events/{event.id}/checkin/{regs['confirmed'].id}")
    client.post(f"/events/{event.id}/checkin/{regs['third'].id}")
    response = client.get(f"/events/{event.id}/checkin/counts.json")
    assert response.get_json() == {"confirmed": 3, "checked_in": 2, "not_checked_in": 1}
    assert response.headers["Cache-Control"] == "no-store"
    html = client.get(f"/events/{event.id}/checkin").get_data(as_text=True)
    assert '<strong data-count="checked_in">2</strong>' in html
    assert f'data-url="/events/{event.id}/checkin/counts.json"' in html
    assert re.search(r'<script src="/static/js/checkin.js\?v=[0-9a-f]{10}" defer></script>', html)
    assert "setInterval(refresh, 10000)" in client.get("/static/js/checkin.js").get_data(
        as_text=True
    )


def test_counts_json_is_for_managers_only(app, client, auth, scene):
    _organizer, event, regs = scene
    auth.become(db.session.get(User, regs["confirmed"].user_id))
    assert client.get(f"/events/{event.id}/checkin/counts.json").status_code == 403
    auth.logout()
    g.pop("_login_user", None)
    assert client.get(f"/events/{event.id}/checkin/counts.json").status_code == 302


def test_scan_box_opens_the_confirm_page(app, client, auth, scene):
    organizer, event, regs = scene
    auth.become(organizer)
    token = token_for(regs["confirmed"])
    for pasted in (
        f"http://127.0.0.1:5000/checkin/{token}",
        f"  https://x.example/checkin/{token}?utm=1 ",
        token,
    ):
        response = client.get(f"/events/{event.id}/checkin/scan", query_string={"code": pasted})
        assert response.status_code == 302 and response.location.endswith(f"/checkin/{token}")


def test_scan_box_refuses_bad_or_foreign_codes(app, client, auth, scene):
    organizer, event, regs = scene
    other = make_event(organizer=organizer)
    foreign = make_registration(other, make_user())
    db.session.commit()
    auth.become(organizer)
    english(client)
    for code, words in (
        ("hello", "not a valid"),
        (token_for(regs["confirmed"])[:-3] + "abc", "not a valid"),
        (token_for(foreign), "another event"),
        ("", "Paste"),
    ):
        response = client.get(f"/events/{event.id}/checkin/scan", query_string={"code": code})
        assert response.status_code == 400
        errors = response.get_data(as_text=True).split('id="code-errors"')[1].split("</ul>")[0]
        assert words in errors


# --- the pure rules ---------------------------------------------------------------------------


OPENS = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cancelled", "status", "checked", "now", "expected"),
    [
        (False, "confirmed", False, OPENS, None),
        (False, "confirmed", False, OPENS + timedelta(days=3), None),
        (False, "confirmed", False, OPENS - timedelta(seconds=1), roster.CheckInRefusal.TOO_EARLY),
        (False, "confirmed", False, OPENS - timedelta(days=5), roster.CheckInRefusal.TOO_EARLY),
        (False, "confirmed", True, OPENS, roster.CheckInRefusal.ALREADY),
        (False, "waitlisted", False, OPENS, roster.CheckInRefusal.NOT_CONFIRMED),
        (
            False,
            "waitlisted",
            False,
            OPENS - timedelta(days=5),
            roster.CheckInRefusal.NOT_CONFIRMED,
        ),
        (False, "pending", False, OPENS, roster.CheckInRefusal.NOT_CONFIRMED),
        (False, "cancelled", False, OPENS, roster.CheckInRefusal.NOT_CONFIRMED),
        (False, "rejected", False, OPENS, roster.CheckInRefusal.NOT_CONFIRMED),
        # Checked in, then cancelled: the arrival stays a fact; a scan reports it.
        (False, "cancelled", True, OPENS, roster.CheckInRefusal.ALREADY),
        (True, "confirmed", False, OPENS, roster.CheckInRefusal.EVENT_CANCELLED),
        (
            True,
            "confirmed",
            False,
            OPENS - timedelta(days=5),
            roster.CheckInRefusal.EVENT_CANCELLED,
        ),
    ],
)
def test_check_in_refusal(cancelled, status, checked, now, expected):
    moment = datetime(2026, 11, 1, tzinfo=UTC) if checked else None
    assert (
        roster.check_in_refusal(
            event_cancelled=cancelled, status=status, checked_in_at=moment, now=now, opens_at=OPENS
        )
        == expected
    )


@pytest.mark.parametrize(
    ("cancelled", "now", "expected"),
    [
        (False, OPENS, None),
        (False, OPENS + timedelta(days=3), None),
        (False, OPENS - timedelta(seconds=1), roster.CheckInRefusal.TOO_EARLY),
        (True, OPENS, roster.CheckInRefusal.EVENT_CANCELLED),
        (True, OPENS - timedelta(days=5), roster.CheckInRefusal.EVENT_CANCELLED),
    ],
)
def test_desk_refusal(cancelled, now, expected):
    assert roster.desk_refusal(event_cancelled=cancelled, now=now, opens_at=OPENS) == expected


def test_check_in_opens_the_set_hours_before_the_start():
    starts = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert roster.check_in_opens_at(starts, 3) == OPENS
    assert roster.check_in_opens_at(starts, 0.5) == starts - timedelta(minutes=30)


# --- before check-in opens --------------------------------------------------------------------


@pytest.fixture
def early(app, clock):
    """A mixer starting in two days, with a confirmed member who declared themself single."""
    organizer = make_user(roles=["organizer"], name="组织者")
    event = make_event(
        organizer=organizer, kind=EventKind.MIXER, title="皖工鹊桥", starts_in=timedelta(days=2)
    )
    member = make_user(name="李明", gender="male")
    registration = make_registration(event, member, single_declared_at=clock.now)
    db.session.commit()
    return organizer, event, registration


def mixer_numbers() -> int:
    from eventsite.mixers.models import MixerProfile

    return db.session.scalar(sa.select(sa.func.count(MixerProfile.id)))


def test_a_check_in_days_before_the_event_is_refused_and_hands_out_no_number(
    app, client, auth, clock, early
):
    organizer, event, registration = early
    auth.become(organizer)
    english(client)
    url = f"/checkin/{token_for(registration)}"
    page = client.get(url).get_data(as_text=True)
    opens = "2026-11-03 07:00"  # 3 hours before the start, Beijing time
    assert f"Check-in opens at {opens}, 3 hours before the start" in page
    assert f'action="{url}"' not in page  # no confirm button yet
    response = client.post(url)
    assert response.status_code == 409
    assert "李明 cannot be checked in yet" in response.get_data(as_text=True)
    desk = client.post(f"/events/{event.id}/checkin/{registration.id}")
    assert desk.status_code == 409
    assert f"Check-in opens at {opens}" in client.get(f"/events/{event.id}/checkin").text
    assert checked_in_at(registration) is None
    assert mixer_numbers() == 0
    assert "checkin.check_in" not in audit_actions(event)

    clock.now = event.starts_at - timedelta(hours=3)  # the window opens
    assert client.post(url).status_code == 302
    assert checked_in_at(registration) == clock.now
    assert mixer_numbers() == 1
    assert "Check-in opens at" not in client.get(f"/events/{event.id}/checkin").text


def desk_search(client, event, query: str) -> str:
    return client.get(f"/events/{event.id}/checkin", query_string={"q": query}).get_data(
        as_text=True
    )


def test_before_check_in_opens_the_desk_says_so_once_and_offers_no_button(
    app, client, auth, clock, early
):
    organizer, event, registration = early
    auth.become(organizer)
    english(client)
    button = f'action="/events/{event.id}/checkin/{registration.id}'
    page = desk_search(client, event, "李明")
    assert "李明" in page.split('id="search-results"')[1]
    assert button not in page  # no 签到 button to tap in vain
    assert page.count("Check-in opens at") == 1
    # A tap from a page loaded earlier is refused, and the desk says why once, not twice.
    response = client.post(
        f"/events/{event.id}/checkin/{registration.id}", query_string={"q": "李明"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert page.count("Check-in opens at") == 1
    assert 'id="desk-message"' not in page
    assert re.search(r'<p[^>]*id="checkin-not-open"[^>]*role="alert"', page)
    assert button not in page
    assert checked_in_at(registration) is None

    clock.now = event.starts_at - timedelta(hours=3)  # the window opens
    page = desk_search(client, event, "李明")
    assert button in page and "Check-in opens at" not in page


def test_a_cancelled_events_desk_offers_no_check_in_button(app, client, auth, scene):
    organizer, event, regs = scene
    db.session.get(type(event), event.id).status = EventStatus.CANCELLED
    db.session.commit()
    auth.become(organizer)
    english(client)
    page = desk_search(client, event, "张伟")
    assert "张伟" in page.split('id="search-results"')[1]
    assert f'action="/events/{event.id}/checkin/{regs["confirmed"].id}' not in page
    assert page.count("This event has been cancelled; nobody can check in.") == 1


@pytest.mark.parametrize("app_config", [{"CHECKIN_OPENS_HOURS": 72}])
def test_the_window_follows_the_setting(app, client, auth, early):
    organizer, _event, registration = early
    auth.become(organizer)
    assert client.post(f"/checkin/{token_for(registration)}").status_code == 302
    assert mixer_numbers() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://h/checkin/abcDEF123.xyz_-Q", "abcDEF123.xyz_-Q"),
        ("https://h/checkin/abcDEF123.xyz/extra", "abcDEF123.xyz"),
        ("https://h/checkin/abcDEF123#frag", "abcDEF123"),
        ("abcDEF123.xyz", "abcDEF123.xyz"),
        ("short", None),
        ("has spaces in it", None),
        ("https://h/checkin/", None),
        ("<script>alert(1)</script>", None),
    ],
)
def test_token_from_scan(text, expected):
    assert roster.token_from_scan(text) == expected
