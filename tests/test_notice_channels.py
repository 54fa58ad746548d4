"""Which notices go by SMS, what members hear when an event moves or is cancelled, and places
offered from the waitlist until a deadline: through the routes, the services and the scheduler,
against the real database.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from eventsite import scheduler
from eventsite.accounts.models import User
from eventsite.core.models import AuditEntry, Notification
from eventsite.core.time import format_local, to_local
from eventsite.events import offers, service
from eventsite.events.models import Event, EventKind, Registration
from eventsite.events.notices import sms_name, sms_time
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from tests.factories import PASSWORD, make_event, make_user

HOUR = timedelta(hours=1)


@pytest.fixture
def app_config():
    """English, the message ids, so the tests read which notice was chosen word for word."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture(autouse=True)
def one_password_hash(monkeypatch):
    hashed = generate_password_hash(PASSWORD)
    monkeypatch.setattr(
        User, "set_password", lambda user, _password: setattr(user, "password_hash", hashed)
    )


@pytest.fixture
def organizer(app):
    return make_user(roles=["organizer"], name="组织者")


def texts(user) -> list[tuple[str, dict]]:
    """The SMS rows queued for `user`: (kind, params), oldest first."""
    return [
        (row.kind, row.params)
        for row in db.session.scalars(
            sa.select(SmsMessage).where(SmsMessage.user_id == user.id).order_by(SmsMessage.id)
        )
    ]


def ticked(html: str, name: str) -> bool:
    """The checkbox named `name` in `html` is ticked."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert tag is not None, name
    return " checked" in tag.group(0)


def inbox(user) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def subjects(user) -> list[str]:
    return [note.subject for note in inbox(user)]


def meet(organizer, **fields) -> Event:
    """A published sports meet with one team, starting in a week unless told otherwise."""
    fields.setdefault("title", "趣味运动会")
    return make_event(organizer=organizer, teams=["站前社区"], **fields)


def register(event, user, clock) -> Registration:
    clock.advance(seconds=1)
    return service.register(event, user, team_id=event.teams[0].id)


def refreshed(*registrations) -> list[Registration]:
    db.session.expire_all()
    return [db.session.get(Registration, r.id) for r in registrations]


# --- SMS sent with the notices ------------------------------------------------------------------


def test_a_confirmed_registration_is_texted_a_waitlisted_one_is_not(app, clock, organizer):
    event = meet(organizer, capacity=1)
    first, second = make_user(), make_user()
    register(event, first, clock)
    register(event, second, clock)
    assert texts(first) == [
        (
            "registration_confirmed",
            {"event": "趣味运动会", "time": sms_time(event.starts_at), "place": "工人文化宫"},
        )
    ]
    assert texts(second) == []


def test_sms_params_are_short(app):
    assert (
        sms_name("第二届国际贸易业务员职业技能大赛全国总决赛")
        == "第二届国际贸易业务员职业技能大赛全国总…"
    )
    assert len(sms_name("x" * 50)) == 20
    assert sms_name("  鹊桥\n联谊 ") == "鹊桥 联谊"
    from datetime import UTC, datetime

    assert sms_time(datetime(2026, 12, 8, 6, 0, tzinfo=UTC)) == "12月8日 14:00"


def test_a_member_who_turned_a_kind_off_is_not_texted_it(app, clock, organizer):
    event = meet(organizer)
    member = make_user(sms_choices={"registration_confirmed": False})
    register(event, member, clock)
    assert texts(member) == []
    assert subjects(member) == ["Registration confirmed: 趣味运动会"]  # the inbox still has it


def test_the_profile_lists_every_choosable_kind_ticked_by_default(app, client, auth):
    member = make_user()
    auth.become(member)
    html = client.get("/account").get_data(as_text=True)
    section = html[html.index('id="sms"') :]
    for kind in (
        "registration_confirmed",
        "waitlist_promoted",
        "event_changed",
        "event_cancelled",
        "event_reminder",
        "mixer_results",
        "introduction_request",
        "roster_message",
    ):
        assert ticked(section, kind), kind
    assert 'name="code"' not in section and 'name="mobile_changed"' not in section
    assert "22:00" in section and "08:00" in section


def test_a_member_saves_their_sms_choices(app, client, auth, clock, organizer):
    member = make_user()
    auth.become(member)
    kept = {
        "csrf_token": "",
        "event_changed": "y",
        "event_cancelled": "y",
        "waitlist_promoted": "y",
    }
    response = client.post("/account/sms", data=kept)
    assert response.status_code == 302
    db.session.expire_all()
    choices = db.session.get(User, member.id).sms_choices
    assert choices["registration_confirmed"] is False and choices["event_changed"] is True
    assert choices["roster_message"] is False
    html = client.get("/account").get_data(as_text=True)
    assert not ticked(html, "registration_confirmed")
    assert ticked(html, "event_changed")
    register(meet(organizer), db.session.get(User, member.id), clock)
    assert texts(member) == []


def test_the_reminder_is_texted_but_not_to_a_place_still_offered(app, clock, organizer):
    event = meet(organizer, capacity=1, starts_in=30 * HOUR)
    first, second = make_user(), make_user()
    held = register(event, first, clock)
    register(event, second, clock)
    service.cancel_registration(held, actor=first)
    db.session.commit()
    clock.now = event.starts_at - 23 * HOUR
    assert scheduler.run_notices(clock.now).reminders == 0  # the offered one waits to confirm
    assert texts(second)[-1][0] == "waitlist_promoted"
    offer = service.find_registration(event.id, second.id)
    offers.confirm_offer(offer, actor=second, now=clock.now)
    db.session.commit()
    assert scheduler.run_notices(clock.now).reminders == 1
    kind, params = texts(second)[-1]
    assert kind == "event_reminder" and params["place"] == "工人文化宫"


# --- an event moved or cancelled ---------------------------------------------------------------


@pytest.fixture
def crowd(app, clock, organizer):
    """A meet of two places with approval: two confirmed, one waitlisted, one pending, one who
    cancelled."""
    event = meet(organizer, capacity=2)
    people = {name: make_user(name=name) for name in ("甲", "乙", "丙", "丁", "戊")}
    for name in ("甲", "乙", "丙", "戊"):
        register(event, people[name], clock)
    service.cancel_registration(
        service.find_registration(event.id, people["戊"].id), actor=people["戊"]
    )
    event.approval_required = True
    register(event, people["丁"], clock)
    db.session.commit()
    return event, people


def test_moving_an_event_tells_every_registered_member_once(crowd, clock, organizer):
    event, people = crowd
    old_start = event.starts_at
    new_start, new_end = old_start + 24 * HOUR, event.ends_at + 24 * HOUR
    before = {name: len(inbox(user)) for name, user in people.items()}
    service.update_event(event, organizer, starts_at=new_start, ends_at=new_end, title="新标题")
    db.session.commit()
    for name in ("甲", "乙", "丙", "丁"):
        notes = inbox(people[name])[before[name] :]
        assert [note.subject for note in notes] == ["Event changed: 新标题"], name
        assert f"Starts: {format_local(old_start)} → {format_local(new_start)}" in notes[0].body
        assert notes[0].link == f"/events/{event.id}"
        assert texts(people[name])[-1] == (
            "event_changed",
            {"event": "新标题", "time": sms_time(new_start), "place": "工人文化宫"},
        )
    assert len(inbox(people["戊"])) == before["戊"]  # no longer registered
    updates = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.event_id == event.id)
    ).all()
    assert updates.count("event.update") == 1


def test_a_new_venue_is_told_and_other_edits_are_not(crowd, organizer):
    event, people = crowd
    before = len(inbox(people["甲"]))
    service.update_event(event, organizer, title="趣味运动会（春季）", description="带水杯")
    assert len(inbox(people["甲"])) == before
    service.update_event(event, organizer, venue="体育馆")
    note = inbox(people["甲"])[-1]
    assert "Venue: 工人文化宫 → 体育馆" in note.body
    assert texts(people["甲"])[-1][1]["place"] == "体育馆"


def test_cancelling_an_event_texts_every_registered_member(crowd, organizer):
    event, people = crowd
    service.cancel_event(event, organizer, "场地维修")
    db.session.commit()
    for name in ("甲", "乙", "丙", "丁"):
        assert texts(people[name])[-1] == ("event_cancelled", {"event": "趣味运动会"})
        assert subjects(people[name])[-1] == "Event cancelled: 趣味运动会"
    assert all(kind != "event_cancelled" for kind, _ in texts(people["戊"]))
    assert db.session.get(Event, event.id).is_cancelled
    # The registrations stay, as the record of who was registered.
    kept = db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id))
    assert sorted(r.status for r in kept) == ["cancelled"] * 5


def test_the_organizer_cancels_through_the_edit_page(crowd, client, auth, organizer):
    event, people = crowd
    auth.become(organizer)
    response = client.post(f"/events/{event.id}/cancel", data={"reason": "暴雨预警"})
    assert response.status_code == 303
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "This event has been cancelled" in page and "暴雨预警" in page
    assert texts(people["丙"])[-1] == ("event_cancelled", {"event": "趣味运动会"})


# --- places offered from the waitlist ----------------------------------------------------------


@pytest.fixture
def offered(app, clock, organizer):
    """A meet of one place, a week ahead: the holder cancels, the first waiting member is offered
    the place, a second waits behind them."""
    event = meet(organizer, capacity=1)
    holder, first, second = make_user(name="甲"), make_user(name="乙"), make_user(name="丙")
    held = register(event, holder, clock)
    register(event, first, clock)
    register(event, second, clock)
    service.cancel_registration(held, actor=holder)
    db.session.commit()
    return event, first, second


def test_a_freed_place_is_offered_until_a_day_later(offered, clock):
    event, first, second = offered
    offer = service.find_registration(event.id, first.id)
    assert offer.status == "confirmed" and offer.offer_expires_at == clock.now + 24 * HOUR
    assert offer.is_offer
    assert service.find_registration(event.id, second.id).status == "waitlisted"
    assert subjects(first)[-1] == "A place is offered to you: 趣味运动会"
    assert texts(first)[-1] == (
        "waitlist_promoted",
        {"event": "趣味运动会", "deadline": sms_time(clock.now + 24 * HOUR)},
    )
    # The held place counts: a newcomer waits.
    late = register(event, make_user(), clock)
    assert late.status == "waitlisted"


def test_the_member_sees_the_offer_and_confirms_it(offered, client, auth, clock):
    event, first, _second = offered
    auth.become(first)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    deadline = to_local(clock.now + 24 * HOUR).strftime("%Y-%m-%d %H:%M")
    assert "Place offered" in page and deadline in page
    assert "My check-in code" not in page
    response = client.post(f"/events/{event.id}/offer", data={"answer": "confirm"})
    assert response.status_code == 303
    offer = refreshed(service.find_registration(event.id, first.id))[0]
    assert offer.status == "confirmed" and offer.offer_expires_at is None
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Place offered" not in page and "My check-in code" in page
    again = client.post(f"/events/{event.id}/offer", data={"answer": "confirm"})
    assert again.status_code == 400


def test_declining_offers_the_place_to_the_next(offered, client, auth, clock):
    event, first, second = offered
    auth.become(first)
    response = client.post(f"/events/{event.id}/offer", data={"answer": "decline"})
    assert response.status_code == 303
    mine, theirs = refreshed(
        service.find_registration(event.id, first.id),
        service.find_registration(event.id, second.id),
    )
    assert mine.status == "cancelled" and mine.offer_expires_at is None
    assert theirs.is_offer and texts(second)[-1][0] == "waitlist_promoted"


def test_an_answer_other_than_confirm_or_decline_changes_nothing(offered, client, auth):
    event, first, _second = offered
    auth.become(first)
    response = client.post(f"/events/{event.id}/offer", data={"answer": "maybe"})
    assert response.status_code == 400
    assert service.find_registration(event.id, first.id).is_offer


def test_only_the_offered_member_answers(offered, client, auth):
    event, _first, second = offered
    auth.become(second)  # waitlisted, not offered
    response = client.post(f"/events/{event.id}/offer", data={"answer": "confirm"})
    assert response.status_code == 400
    assert service.find_registration(event.id, second.id).status == "waitlisted"


def test_an_unanswered_offer_lapses_to_the_next_and_both_are_told(offered, clock):
    event, first, second = offered
    deadline = clock.now + 24 * HOUR
    clock.now = deadline - timedelta(seconds=1)
    assert scheduler.run_notices(clock.now).lapsed_offers == 0
    clock.now = deadline
    assert scheduler.run_notices(clock.now).lapsed_offers == 1
    assert scheduler.run_notices(clock.now).lapsed_offers == 0  # done once
    db.session.expire_all()
    mine = service.find_registration(event.id, first.id)
    theirs = service.find_registration(event.id, second.id)
    assert mine.status == "cancelled" and f"{format_local(deadline)}" in mine.status_reason
    assert subjects(first)[-1] == "Offered place passed on: 趣味运动会"
    assert theirs.is_offer and theirs.offer_expires_at == deadline + 24 * HOUR
    assert subjects(second)[-1] == "A place is offered to you: 趣味运动会"
    assert texts(second)[-1][0] == "waitlist_promoted"
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id)
    ).all()
    assert actions[-2:] == ["registration.offer_lapse", "registration.offer"]


def test_a_late_confirmation_is_refused(offered, clock):
    event, first, _second = offered
    clock.advance(hours=24)
    offer = service.find_registration(event.id, first.id)
    with pytest.raises(service.RegistrationError, match="ran out"):
        offers.confirm_offer(offer, actor=first)


def test_the_deadline_stops_at_the_start_and_close_to_it_the_place_is_given(app, clock, organizer):
    event = meet(organizer, capacity=1, starts_in=5 * HOUR)
    event.registration_closes_at = event.starts_at
    holder, first, second = make_user(), make_user(), make_user()
    held = register(event, holder, clock)
    register(event, first, clock)
    register(event, second, clock)
    service.cancel_registration(held, actor=holder)
    offer = service.find_registration(event.id, first.id)
    assert offer.offer_expires_at == event.starts_at
    # An hour before the start there is too little time to ask: the place is given outright.
    clock.now = event.starts_at - HOUR
    offers.decline_offer(offer, actor=first)
    given = service.find_registration(event.id, second.id)
    assert given.status == "confirmed" and given.offer_expires_at is None
    assert subjects(second)[-1] == "A place is yours: 趣味运动会"
    assert texts(second)[-1][0] == "registration_confirmed"


def test_an_event_asking_no_confirmation_gives_the_place_at_once(app, clock, organizer):
    event = meet(organizer, capacity=1, promotion_confirm_hours=0)
    holder, first = make_user(), make_user()
    held = register(event, holder, clock)
    register(event, first, clock)
    service.cancel_registration(held, actor=holder)
    given = service.find_registration(event.id, first.id)
    assert given.status == "confirmed" and not given.is_offer


def test_the_roster_shows_the_offer_and_its_deadline(offered, client, auth, organizer, clock):
    event, first, _second = offered
    auth.become(organizer)
    page = client.get(f"/events/{event.id}/roster").get_data(as_text=True)
    deadline = to_local(clock.now + 24 * HOUR).strftime("%Y-%m-%d %H:%M")
    assert f"Offered; to confirm by {deadline}" in page


def test_the_organizer_sets_the_confirmation_time_in_the_edit_form(app, client, auth, organizer):
    event = make_event(organizer=organizer, kind=EventKind.MIXER, capacity=10)
    db.session.commit()
    auth.become(organizer)
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert 'name="promotion_confirm_hours"' in page and 'value="24"' in page
    from tests.test_event_forms import edit_data

    response = client.post(
        f"/events/{event.id}/edit", data=edit_data(event, promotion_confirm_hours="6")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).promotion_confirm_hours == 6
    bad = client.post(
        f"/events/{event.id}/edit", data=edit_data(event, promotion_confirm_hours="500")
    )
    assert bad.status_code == 400
    assert db.session.get(Event, event.id).promotion_confirm_hours == 6


# --- mixers: the results and introduction requests, never a match ------------------------------


def test_mixer_results_and_introduction_requests_are_texted_naming_nobody(app, clock):
    from eventsite.mixers import service as mixers
    from tests.mixer_factories import attend, make_mixer, mark, number_of

    mixer = make_mixer(title="鹊桥冬会", reveal="at_once")
    asker = attend(mixer, gender="male", nickname="暗恋者", name="孟求")
    liked = attend(mixer, gender="female", nickname="小鹿")
    other = attend(mixer, gender="female", nickname="白鹭")
    db.session.commit()
    scheduler.run_notices(clock.now)  # the window opened: inbox only
    mark(mixer, asker, liked)
    mark(mixer, liked, asker)
    db.session.commit()
    scheduler.run_notices(clock.now)  # a match shown at once: inbox only
    assert subjects(liked)[-1] == "A match at 鹊桥冬会"
    assert texts(asker) == texts(liked) == texts(other) == []
    clock.now = mixers.window_of(mixer.event).closes_at + HOUR
    scheduler.run_notices(clock.now)
    for member in (asker, liked, other):
        assert texts(member) == [("mixer_results", {"event": "鹊桥冬会"})]
    mixers.send_request(mixer.event, asker.id, number_of(mixer, other), "想认识您", clock.now)
    db.session.commit()
    scheduler.run_notices(clock.now)
    assert texts(other)[-1] == ("introduction_request", {"event": "鹊桥冬会"})
    assert len(texts(asker)) == 1
    bodies = db.session.scalars(sa.select(SmsMessage.body)).all()
    assert not any("暗恋者" in body or "孟求" in body or "想认识" in body for body in bodies)


def test_arriving_at_the_desk_takes_an_offered_place(offered, clock, organizer):
    from eventsite.events import roster

    event, first, _second = offered
    event.starts_at = clock.now + 2 * HOUR  # the desk is open
    offer = service.find_registration(event.id, first.id)
    deadline = offer.offer_expires_at
    roster.check_in(offer, actor=organizer)
    db.session.commit()
    clock.now = deadline
    assert scheduler.run_notices(clock.now).lapsed_offers == 0
    taken = refreshed(offer)[0]
    assert taken.status == "confirmed" and taken.checked_in_at is not None and not taken.is_offer


def test_an_event_moved_earlier_brings_an_offers_deadline_to_its_new_start(
    offered, clock, organizer
):
    event, first, _second = offered
    new_start = clock.now + 10 * HOUR
    service.update_event(event, organizer, starts_at=new_start, ends_at=new_start + 4 * HOUR)
    db.session.commit()
    offer = service.find_registration(event.id, first.id)
    assert offer.offer_expires_at == new_start
    assert subjects(first)[-1] == "Event changed: 趣味运动会"


def test_the_roster_export_says_a_place_is_offered_and_until_when(offered, clock):
    from eventsite.events import roster

    event, first, _second = offered
    rows = roster.export_rows(event, roster.RosterFilters())
    [row] = [row for row in rows if row[0] == first.name]
    deadline = format_local(clock.now + 24 * HOUR)
    reason = roster.export_keys(event, companions=False, with_sessions=False).index("reason")
    assert row[reason] == f"Offered; to confirm by {deadline}"
