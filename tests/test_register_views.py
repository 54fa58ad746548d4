"""The member's side of registration through the pages: register, eligibility messages beside
their fields, the waitlist, cancelling, My events with the personal check-in code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g, url_for

from eventsite.core.models import Notification
from eventsite.events import checkin, service
from eventsite.events.models import EventKind, EventStatus, Registration
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def become(auth, user) -> None:
    """Sign in as `user` (and drop Flask-Login's cached user, which outlives a test request)."""
    auth.become(user)
    g.pop("_login_user", None)


def errors_beside(html: str, field_id: str) -> str:
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


def text(response) -> str:
    return response.get_data(as_text=True)


def registrations() -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Registration).order_by(Registration.id)).all()


@pytest.fixture
def organizer(app, clock):
    return make_user(roles=["organizer"], name="组织者")


@pytest.fixture
def mixer(organizer):
    event = make_event(
        organizer=organizer,
        kind=EventKind.MIXER,
        capacity=60,
        min_age=25,
        max_age=35,
        title="皖工鹊桥",
    )
    db.session.commit()
    return event


# --- Mixers ------------------------------------------------------------------------------------


def test_mixer_registration_with_the_single_declaration(client, auth, mixer, clock):
    member = make_user(birth_year=1996, gender="female")
    db.session.commit()
    become(auth, member)
    page = text(client.get(f"/events/{mixer.id}"))
    box = re.search(r'<input[^>]*name="single_declared"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box and "checked" not in box
    assert "I declare that I am single" in page
    assert "show it to no other member" in page  # its own consent text
    response = client.post(f"/events/{mixer.id}/register", data={"single_declared": "y"})
    assert response.status_code == 303
    [reg] = registrations()
    assert (reg.user_id, reg.status, reg.single_declared_at) == (member.id, "confirmed", clock.now)
    page = text(client.get(response.headers["Location"]))
    assert "You are registered." in page
    assert 'class="status-confirmed">Confirmed' in page
    note = db.session.scalars(sa.select(Notification)).one()
    assert note.user_id == member.id and "皖工鹊桥" in note.subject


def test_not_ticking_the_declaration_is_refused_beside_it(client, auth, mixer):
    member = make_user(birth_year=1996)
    db.session.commit()
    become(auth, member)
    response = client.post(f"/events/{mixer.id}/register", data={})
    assert response.status_code == 400
    assert "Please confirm that you are single" in errors_beside(text(response), "single_declared")
    assert registrations() == []


@pytest.mark.parametrize(
    ("birth_year", "message"),
    [
        (2009, "Mixers are open to members aged 18 and over."),  # 17 in 2026
        (2003, "you are younger"),  # 23, the mixer starts at 25
        (1985, "you are older"),  # 41, the mixer ends at 35
    ],
)
def test_age_rules_are_shown_and_enforced(client, auth, mixer, birth_year, message):
    member = make_user(birth_year=birth_year)
    db.session.commit()
    become(auth, member)
    page = text(client.get(f"/events/{mixer.id}"))
    assert message in page
    assert 'name="single_declared"' not in page  # no form that can only fail
    response = client.post(f"/events/{mixer.id}/register", data={"single_declared": "y"})
    assert response.status_code == 400
    assert message in text(response)
    assert registrations() == []


def test_under_18_even_without_an_age_range(client, auth, organizer):
    event = make_event(organizer=organizer, kind=EventKind.MIXER)
    teen = make_user(birth_year=2010)
    db.session.commit()
    become(auth, teen)
    response = client.post(f"/events/{event.id}/register", data={"single_declared": "y"})
    assert response.status_code == 400
    assert "aged 18 and over" in text(response)
    assert registrations() == []


def test_gender_quota_sends_the_next_man_to_the_waitlist(client, auth, organizer):
    event = make_event(organizer=organizer, kind=EventKind.MIXER, capacity=10, quota_male=1)
    make_registration(event, make_user(gender="male"), single_declared_at=event.starts_at)
    man = make_user(gender="male")
    db.session.commit()
    become(auth, man)
    assert "men: 0 places left" in text(client.get(f"/events/{event.id}"))
    client.post(f"/events/{event.id}/register", data={"single_declared": "y"})
    assert registrations()[-1].status == "waitlisted"


def places_text(html: str) -> str:
    """The Places and By gender facts of the event page, whitespace squeezed."""
    match = re.search(r'<dd id="places">(.*?)</dd>', html, re.S)
    assert match, "no places on the page"
    by_gender = re.search(r'<dd id="places-by-gender">(.*?)</dd>', html, re.S)
    parts = [match.group(1), by_gender.group(1) if by_gender else ""]
    return " | ".join(" ".join(part.split()) for part in parts)


def edit_gender_on_the_account_page(client, user, gender: str) -> None:
    """The member changes their gender on the real /account form, everything else as it was."""
    page = client.get("/account")
    assert page.status_code == 200 and 'name="gender"' in text(page)
    response = client.post(
        "/account",
        data={
            "name": user.name,
            "email": user.email or "",
            "work_unit": user.work_unit,
            "gender": gender,
            "birth_year": str(user.birth_year),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(user), user.id).gender == gender


def test_a_profile_gender_change_moves_nobody_into_the_other_genders_places(
    client, auth, organizer, clock
):
    event = make_event(
        organizer=organizer, kind=EventKind.MIXER, capacity=10, quota_male=1, quota_female=1,
        title="鹊桥",
    )  # fmt: skip
    man, woman = make_user(gender="male", name="男甲"), make_user(gender="female", name="女甲")
    waiting_woman, second_woman = make_user(gender="female"), make_user(gender="female")
    waiting_man, late_man = make_user(gender="male"), make_user(gender="male")
    db.session.commit()
    event_id = event.id
    for member in (man, woman, waiting_woman, second_woman, waiting_man):
        become(auth, member)
        clock.advance(seconds=1)
        client.post(f"/events/{event_id}/register", data={"single_declared": "y"})
    expected = ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [r.status for r in registrations()] == expected
    before = places_text(text(client.get(f"/events/{event_id}")))
    assert before == "Full · 3 on the waitlist | "
    notes_before = db.session.scalar(sa.select(sa.func.count(Notification.id)))

    become(auth, man)
    edit_gender_on_the_account_page(client, man, "female")

    # Nothing moved: the same counts by gender, nobody confirmed, nobody told anything.
    assert [r.status for r in registrations()] == expected
    assert service.occupancy_of(event_id).by_gender == {"male": 1, "female": 1}
    assert places_text(text(client.get(f"/events/{event_id}"))) == before
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == notes_before
    # The male place is still taken: another man waits.
    become(auth, late_man)
    client.post(f"/events/{event_id}/register", data={"single_declared": "y"})
    assert [r.status for r in registrations()] == [*expected, "waitlisted"]

    # The woman leaves: the female place goes to the first waiting woman, not to a man.
    become(auth, woman)
    client.post(f"/events/{event_id}/cancel-registration")
    assert [r.status for r in registrations()] == [
        "confirmed", "cancelled", "confirmed", "waitlisted", "waitlisted", "waitlisted",
    ]  # fmt: skip
    # The man who now says "female" leaves: his male place goes to the waiting man, and the
    # second waiting woman, first in line though she is, stays on the waitlist.
    become(auth, man)
    client.post(f"/events/{event_id}/cancel-registration")
    assert [r.status for r in registrations()] == [
        "cancelled", "cancelled", "confirmed", "waitlisted", "confirmed", "waitlisted",
    ]  # fmt: skip
    assert service.occupancy_of(event_id).by_gender == {"male": 1, "female": 1}


@pytest.fixture
def half_full_mixer(organizer):
    """Capacity 80, 40 places per gender, the 40 men's places all confirmed."""
    event = make_event(
        organizer=organizer, kind=EventKind.MIXER, capacity=80, quota_male=40, quota_female=40
    )
    for _ in range(40):
        make_registration(event, make_user(gender="male"), single_declared_at=event.starts_at)
    return event


def test_a_man_is_told_the_mens_places_are_full_and_a_woman_sees_hers(
    client, auth, half_full_mixer
):
    event = half_full_mixer
    man, woman = make_user(gender="male"), make_user(gender="female")
    db.session.commit()

    become(auth, man)
    html = text(client.get(f"/events/{event.id}"))
    assert places_text(html) == (
        "No places left for men: if you register, you join the waitlist."
        " | men: 0 places left women: 40 places left"
    )
    assert "The event is full" not in html  # it is not: only the men's places are
    client.post(f"/events/{event.id}/register", data={"single_declared": "y"})
    assert registrations()[-1].status == "waitlisted"

    become(auth, woman)
    html = text(client.get(f"/events/{event.id}"))
    assert places_text(html) == ("40 of 80 places left | men: 0 places left women: 40 places left")
    client.post(f"/events/{event.id}/register", data={"single_declared": "y"})
    assert registrations()[-1].status == "confirmed"

    auth.logout()
    g.pop("_login_user", None)
    assert places_text(text(client.get(f"/events/{event.id}"))) == (
        "39 of 80 places left | men: 0 places left women: 39 places left"
    )


def test_quotas_alone_are_shown_as_places_left(client, auth, organizer):
    event = make_event(organizer=organizer, kind=EventKind.MIXER, quota_male=3, quota_female=2)
    make_registration(event, make_user(gender="female"))
    make_registration(event, make_user(gender="female"))
    man, woman = make_user(gender="male"), make_user(gender="female")
    db.session.commit()
    become(auth, woman)
    html = text(client.get(f"/events/{event.id}"))
    assert places_text(html) == (
        "No places left for women: if you register, you join the waitlist."
        " | men: 3 places left women: 0 places left"
    )
    become(auth, man)
    assert places_text(text(client.get(f"/events/{event.id}"))) == (
        "3 places left | men: 3 places left women: 0 places left"
    )


def test_a_full_event_says_so_to_everyone(client, auth, organizer):
    event = make_event(organizer=organizer, kind=EventKind.MIXER, capacity=2, quota_male=2)
    make_registration(event, make_user(gender="female"))
    make_registration(event, make_user(gender="male"))
    make_registration(event, make_user(gender="female"), status="waitlisted")
    woman = make_user(gender="female")
    db.session.commit()
    become(auth, woman)
    html = text(client.get(f"/events/{event.id}"))
    assert places_text(html) == "Full · 1 on the waitlist | "
    assert "The event is full: you will join the waitlist" in html


# --- Competitions and sports meets ---------------------------------------------------------


@pytest.fixture
def contest(organizer):
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=["山东队", "浙江队"],
        tracks=["商务英语", "俄语"],
    )
    db.session.commit()
    return event


def test_competition_registration_with_team_and_track(client, auth, contest):
    member = make_user()
    db.session.commit()
    become(auth, member)
    page = text(client.get(f"/events/{contest.id}"))
    assert "浙江队" in page and "俄语" in page
    zhejiang, russian = contest.teams[1], contest.tracks[1]
    response = client.post(
        f"/events/{contest.id}/register", data={"team_id": zhejiang.id, "track_id": russian.id}
    )
    assert response.status_code == 303
    [reg] = registrations()
    assert (reg.team_id, reg.track_id, reg.status, reg.single_declared_at) == (
        zhejiang.id,
        russian.id,
        "confirmed",
        None,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"track_id": "first"}, "team_id", "Please choose a team."),
        ({"team_id": "", "track_id": "first"}, "team_id", "Please choose a team."),
        ({"team_id": "abc", "track_id": "first"}, "team_id", "Please choose a team."),
        (
            {"team_id": "other", "track_id": "first"},
            "team_id",
            "That team does not belong to this event.",
        ),
        (
            {"team_id": "999999", "track_id": "first"},
            "team_id",
            "That team does not belong to this event.",
        ),
        ({"team_id": "first"}, "track_id", "Please choose a track."),
        (
            {"team_id": "first", "track_id": "other"},
            "track_id",
            "That track does not belong to this event.",
        ),
    ],
)
def test_competition_team_and_track_problems_beside_their_fields(
    client, auth, contest, organizer, data, field, message
):
    other = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["外队"], tracks=["外赛道"]
    )
    member = make_user()
    db.session.commit()
    values = {
        "first": {"team_id": contest.teams[0].id, "track_id": contest.tracks[0].id},
        "other": {"team_id": other.teams[0].id, "track_id": other.tracks[0].id},
    }
    data = {name: values.get(value, {}).get(name, value) for name, value in data.items()}
    become(auth, member)
    response = client.post(f"/events/{contest.id}/register", data=data)
    assert response.status_code == 400
    assert message in errors_beside(text(response), field)
    assert registrations() == []


def test_sportsmeet_needs_a_team_and_shows_full_teams(client, auth, organizer):
    meet = make_event(organizer=organizer, teams=["站前一队", "站前二队"], team_cap=1)
    make_registration(meet, make_user(), team_id=meet.teams[0].id)
    member = make_user()
    db.session.commit()
    become(auth, member)
    page = text(client.get(f"/events/{meet.id}"))
    assert "站前一队 (full: waitlist)" in page
    assert 'name="track_id"' not in page
    response = client.post(f"/events/{meet.id}/register", data={})
    assert response.status_code == 400
    assert "Please choose a team." in errors_beside(text(response), "team_id")
    client.post(f"/events/{meet.id}/register", data={"team_id": meet.teams[0].id})
    assert registrations()[-1].status == "waitlisted"


# --- When registration is open ---------------------------------------------------------------


def test_registration_opens_and_closes_by_the_clock(client, auth, organizer, clock):
    event = make_event(
        organizer=organizer,
        kind=EventKind.MIXER,
        registration_opens_at=clock.now + timedelta(hours=1),
        registration_closes_at=clock.now + timedelta(hours=5),
    )
    member = make_user()
    db.session.commit()
    become(auth, member)
    assert 'name="single_declared"' not in text(client.get(f"/events/{event.id}"))
    response = client.post(f"/events/{event.id}/register", data={"single_declared": "y"})
    assert response.status_code == 400
    assert "Registration opens at 2026-11-01 11:00." in text(response)
    assert registrations() == []
    clock.advance(hours=1)
    assert 'name="single_declared"' in text(client.get(f"/events/{event.id}"))
    clock.advance(hours=4)
    response = client.post(f"/events/{event.id}/register", data={"single_declared": "y"})
    assert response.status_code == 400
    assert "Registration for this event has closed." in text(response)
    assert registrations() == []


def test_draft_and_missing_events_are_404(client, auth, organizer):
    draft = make_event(organizer=organizer, status=EventStatus.DRAFT, kind=EventKind.MIXER)
    member = make_user()
    db.session.commit()
    become(auth, member)
    assert (
        client.post(f"/events/{draft.id}/register", data={"single_declared": "y"}).status_code
        == 404
    )
    assert client.post("/events/9999/register").status_code == 404
    assert client.post(f"/events/{draft.id}/cancel-registration").status_code == 404
    assert registrations() == []


def test_signing_in_is_needed_to_register(client, mixer):
    page = text(client.get(f"/events/{mixer.id}"))
    assert "Log in to register" in page
    response = client.post(f"/events/{mixer.id}/register", data={"single_declared": "y"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert registrations() == []


def test_registering_twice_is_refused(client, auth, mixer):
    member = make_user(birth_year=1995)
    db.session.commit()
    become(auth, member)
    client.post(f"/events/{mixer.id}/register", data={"single_declared": "y"})
    response = client.post(f"/events/{mixer.id}/register", data={"single_declared": "y"})
    assert response.status_code == 400
    assert "You are already registered for this event." in text(response)
    assert len(registrations()) == 1


# --- Waitlist and cancelling -----------------------------------------------------------------


def test_waitlist_leave_and_promotion_through_the_pages(client, auth, organizer):
    event = make_event(organizer=organizer, capacity=1, teams=["一队"], title="拔河赛")
    team = event.teams[0].id
    first, second, third = make_user(name="甲"), make_user(name="乙"), make_user(name="丙")
    db.session.commit()
    for member in (first, second, third):
        become(auth, member)
        client.post(f"/events/{event.id}/register", data={"team_id": team})
    assert [r.status for r in registrations()] == ["confirmed", "waitlisted", "waitlisted"]

    become(auth, third)
    page = text(client.get(f"/events/{event.id}"))
    assert "number 2 on the waitlist" in page
    assert 'data-confirm="Leave the waitlist for this event?"' in page

    become(auth, second)
    response = client.post(f"/events/{event.id}/cancel-registration")
    assert response.status_code == 303
    assert "You have left the waitlist." in text(client.get(response.headers["Location"]))
    assert [r.status for r in registrations()] == ["confirmed", "cancelled", "waitlisted"]
    become(auth, third)
    assert "number 1 on the waitlist" in text(client.get(f"/events/{event.id}"))

    become(auth, first)
    page = text(client.get(f"/events/{event.id}"))
    assert "Cancel your registration? Your place goes to the next member" in page
    db.session.query(Notification).delete()
    db.session.commit()
    assert client.post(f"/events/{event.id}/cancel-registration").status_code == 303
    assert [r.status for r in registrations()] == ["cancelled", "cancelled", "confirmed"]
    note = db.session.scalars(sa.select(Notification)).one()
    assert note.user_id == third.id and "拔河赛" in note.subject

    # Someone who left may come back, and arrives anew at the end of the line.
    become(auth, second)
    client.post(f"/events/{event.id}/register", data={"team_id": team})
    assert [r.status for r in registrations()] == ["cancelled", "waitlisted", "confirmed"]


def test_cancelling_without_a_registration_is_404(client, auth, mixer):
    member = make_user()
    db.session.commit()
    become(auth, member)
    assert client.post(f"/events/{mixer.id}/cancel-registration").status_code == 404


def test_cancelling_twice_or_after_the_start_is_refused(client, auth, organizer, clock):
    event = make_event(organizer=organizer, kind=EventKind.MIXER, starts_in=timedelta(hours=3))
    member = make_user()
    late = make_user()
    reg = make_registration(event, member, status="cancelled")
    make_registration(event, late)
    db.session.commit()
    become(auth, member)
    response = client.post(f"/events/{event.id}/cancel-registration")
    assert response.status_code == 400
    assert "no longer active" in text(response)
    clock.advance(hours=4)
    become(auth, late)
    response = client.post(f"/events/{event.id}/cancel-registration")
    assert response.status_code == 400
    assert "The event has started" in text(response)
    assert [r.status for r in registrations()] == ["cancelled", "confirmed"]
    assert reg.status_reason == ""


def test_the_cancel_buttons_show_exactly_while_the_member_may_cancel(
    client, auth, organizer, clock
):
    event = make_event(organizer=organizer, starts_in=timedelta(hours=3), capacity=1)
    other = make_event(organizer=organizer, starts_in=timedelta(hours=5), title="另一场")
    member, waiting = make_user(), make_user()
    make_registration(event, member)
    make_registration(event, waiting, status="waitlisted")
    make_registration(other, member, status="rejected")
    db.session.commit()
    action = f'action="/events/{event.id}/cancel-registration"'
    refused = f'action="/events/{other.id}/cancel-registration"'

    become(auth, member)
    assert action in text(client.get(f"/events/{event.id}"))
    mine = text(client.get("/my/events"))
    assert action in mine and refused not in mine
    assert refused not in text(client.get(f"/events/{other.id}"))
    become(auth, waiting)
    assert action in text(client.get(f"/events/{event.id}"))  # leaving the waitlist

    clock.now = event.starts_at  # the start itself: no more cancelling by the member
    for member_now in (member, waiting):
        become(auth, member_now)
        assert action not in text(client.get(f"/events/{event.id}"))
        assert action not in text(client.get("/my/events"))


# --- My events and the check-in code ---------------------------------------------------------


def checkin_url(app, registration) -> str:
    with app.test_request_context():
        return url_for(
            "roster.check_in_by_token", token=checkin.token_for(registration), _external=True
        )


def test_my_events_shows_the_code_only_for_confirmed_places(app, client, auth, organizer, clock):
    member = make_user()
    soon = make_event(
        organizer=organizer, title="明天的联谊", kind=EventKind.MIXER, starts_in=timedelta(days=1)
    )
    later = make_event(
        organizer=organizer, title="下周的比赛", starts_in=timedelta(days=7), capacity=1
    )
    pending = make_event(organizer=organizer, title="待审核的", starts_in=timedelta(days=3))
    past = make_event(organizer=organizer, title="上个月的", starts_in=timedelta(days=-30))
    confirmed = make_registration(soon, member)
    make_registration(later, make_user())
    waiting = make_registration(later, member, status="waitlisted")
    make_registration(pending, member, status="pending")
    old = make_registration(past, member, checked_in_at=past.starts_at)
    db.session.commit()
    become(auth, member)
    html = text(client.get("/my/events"))
    upcoming = html.split('id="upcoming"')[1].split("</ul>")[0]
    titles = re.findall(r'class="title" href="/events/\d+">([^<]+)<', upcoming)
    assert titles == ["明天的联谊", "待审核的", "下周的比赛"]
    assert html.count('class="segno"') == 1
    card = html.split(f'id="registration-{confirmed.id}"')[1].split("</li>")[0]
    assert checkin.qr_svg(checkin_url(app, confirmed)) in card
    assert f'href="/my/registrations/{confirmed.id}/qr.svg"' in card
    waiting_card = html.split(f'id="registration-{waiting.id}"')[1].split("</li>")[0]
    assert "number 1 on the waitlist" in waiting_card and 'class="segno"' not in waiting_card
    past_table = html.split('id="past"')[1]
    assert "上个月的" in past_table
    assert "Checked in at" in past_table
    assert f"/my/registrations/{old.id}/qr.svg" not in html


def test_a_checked_in_member_sees_when(client, auth, organizer, clock):
    member = make_user()
    event = make_event(organizer=organizer, starts_in=timedelta(hours=-1))
    make_registration(event, member, checked_in_at=clock.now - timedelta(minutes=30))
    db.session.commit()
    become(auth, member)
    html = text(client.get("/my/events"))
    assert "Checked in at 2026-11-01 09:30" in html
    assert (
        html.count('class="segno"') == 1
    )  # the code stays, so a second scan says "already checked in"
    clock.advance(hours=4)  # once the event has ended, the code goes
    assert 'class="segno"' not in text(client.get("/my/events"))


def test_the_qr_link_checks_the_member_in(app, client, auth, organizer):
    member = make_user()
    event = make_event(organizer=organizer, starts_in=timedelta(hours=1))  # check-in is open
    reg = make_registration(event, member)
    db.session.commit()
    become(auth, organizer)
    path = checkin_url(app, reg).removeprefix("http://localhost")
    assert client.post(path).status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).checked_in_at is not None


def test_qr_svg_is_the_members_own_only(app, client, auth, organizer):
    member, other = make_user(), make_user()
    event = make_event(organizer=organizer, capacity=1)
    mine = make_registration(event, member)
    waiting = make_registration(event, other, status="waitlisted")
    db.session.commit()
    become(auth, member)
    response = client.get(f"/my/registrations/{mine.id}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = text(response)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert response.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/my/registrations/{waiting.id}/qr.svg").status_code == 404
    assert client.get("/my/registrations/9999/qr.svg").status_code == 404
    become(auth, other)
    assert client.get(f"/my/registrations/{mine.id}/qr.svg").status_code == 404
    # Waitlisted: no code yet.
    assert client.get(f"/my/registrations/{waiting.id}/qr.svg").status_code == 404
    auth.logout()
    g.pop("_login_user", None)
    response = client.get(f"/my/registrations/{mine.id}/qr.svg")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_events_runs_a_fixed_number_of_queries(client, auth, organizer, count_queries):
    member = make_user()
    db.session.commit()

    def fill(n):
        for i in range(n):
            event = make_event(organizer=organizer, capacity=1, starts_in=timedelta(days=1 + i))
            make_registration(event, make_user())
            make_registration(event, member, status="waitlisted")
            past = make_event(organizer=organizer, starts_in=timedelta(days=-1 - i))
            make_registration(past, member)
        db.session.commit()

    def measure():
        db.session.rollback()
        db.session.expire_all()
        g.pop("_login_user", None)
        with count_queries() as counter:
            assert client.get("/my/events").status_code == 200
        return counter.count

    become(auth, member)
    fill(2)
    few = measure()
    fill(10)
    assert measure() == few
