"""The registration engine through its service functions, on the real database.

Every test runs on a frozen clock (the `clock` fixture); where order matters the clock moves
between arrivals, as it does between real requests.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import User
from eventsite.core.models import AuditEntry, Notification, OutboundEmail
from eventsite.core.time import format_local
from eventsite.events import rules, service
from eventsite.events.models import EventKind, EventStatus, Registration
from eventsite.events.service import RegistrationError
from eventsite.extensions import db
from tests.factories import PASSWORD, make_event, make_registration, make_user

MY_EVENTS = "/my/events"


@pytest.fixture
def app_config():
    """English, the message ids: these tests check which message the engine chose, word for
    word; test_translations.py checks that every one of them has its Chinese translation."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture(autouse=True)
def one_password_hash(monkeypatch):
    """Hash the factories' password once: these members never log in with it, and each hash
    costs a noticeable fraction of a second."""
    hashed = generate_password_hash(PASSWORD)
    monkeypatch.setattr(
        User, "set_password", lambda user, _password: setattr(user, "password_hash", hashed)
    )


@pytest.fixture
def organizer(app):
    return make_user(roles=["organizer"], name="组织者")


def register(event, user, clock, **fields):
    """One member's arrival, a second after the previous one."""
    clock.advance(seconds=1)
    return service.register(event, user, **fields)


def statuses(*registrations) -> list[str]:
    for registration in registrations:
        db.session.refresh(registration)
    return [registration.status for registration in registrations]


def notes(user) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def subjects(user) -> list[str]:
    return [note.subject for note in notes(user)]


def audit_log(event) -> list[tuple[str, int | None, str]]:
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id)
    )
    return [(entry.action, entry.actor_id, entry.detail) for entry in entries]


def registration_count(event) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(Registration.event_id == event.id)
    )


def sportsmeet(organizer, **fields):
    fields.setdefault("teams", ["站前社区", "铁锋社区"])
    fields.setdefault("title", "趣味运动会")
    return make_event(organizer=organizer, kind=EventKind.SPORTSMEET, **fields)


def mixer(organizer, **fields):
    return make_event(organizer=organizer, kind=EventKind.MIXER, title="鹊桥联谊", **fields)


# --- capacity and the waitlist ---------------------------------------------------------------


def test_capacity_then_waitlist_in_arrival_order(app, clock, organizer):
    event = sportsmeet(organizer, capacity=2)
    team = event.teams[0].id
    members = [make_user() for _ in range(4)]
    regs = [register(event, member, clock, team_id=team) for member in members]
    assert statuses(*regs) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [service.waitlist_position(r) for r in regs] == [None, None, 1, 2]
    assert regs[0].waitlisted_at is None
    assert regs[2].waitlisted_at == regs[2].registered_at == clock.now - timedelta(seconds=1)
    assert service.occupancy_of(event.id).confirmed == 2


def test_a_cancelled_place_goes_to_the_head_of_the_waitlist(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    team = event.teams[0].id
    first, second, third = make_user(), make_user(), make_user()
    r1, r2, r3 = (register(event, m, clock, team_id=team) for m in (first, second, third))
    promoted = service.cancel_registration(r1, actor=first)
    assert [r.id for r in promoted] == [r2.id]
    assert statuses(r1, r2, r3) == ["cancelled", "confirmed", "waitlisted"]
    assert service.waitlist_position(r3) == 1
    assert r2.status_changed_at == clock.now


def test_no_limit_confirms_everyone(app, clock, organizer):
    event = sportsmeet(organizer, capacity=None)
    regs = [register(event, make_user(), clock, team_id=event.teams[0].id) for _ in range(5)]
    assert set(statuses(*regs)) == {"confirmed"}


def test_a_raised_capacity_is_filled_from_the_waitlist(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    team = event.teams[0].id
    r1, r2, r3, r4 = (register(event, make_user(), clock, team_id=team) for _ in range(4))
    locked = service.lock_event(event.id)
    locked.capacity = 3
    promoted = service.promote_waitlist(locked)
    assert [r.id for r in promoted] == [r2.id, r3.id]
    assert statuses(r1, r2, r3, r4) == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert subjects(r2.user)[-1] == "A place is offered to you: 趣味运动会"


def test_a_newcomer_never_takes_a_place_a_waitlisted_member_fits(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    team = event.teams[0].id
    r1, r2 = (register(event, make_user(), clock, team_id=team) for _ in range(2))
    # The capacity is raised without promoting (a path that forgot to): the waitlist still
    # comes first when the next member arrives.
    event.capacity = 2
    db.session.flush()
    newcomer = register(event, make_user(), clock, team_id=team)
    assert statuses(r1, r2, newcomer) == ["confirmed", "confirmed", "waitlisted"]


# --- gender quotas (mixers) ------------------------------------------------------------------


def test_mixer_quota_per_gender_and_a_freed_female_place_skips_men(app, clock, organizer):
    event = mixer(organizer, capacity=4, quota_male=2, quota_female=2)
    men = [make_user(gender="male") for _ in range(4)]
    women = [make_user(gender="female") for _ in range(3)]
    m1, m2, m3 = (register(event, m, clock, single_declared=True) for m in men[:3])
    f1 = register(event, women[0], clock, single_declared=True)
    m4 = register(event, men[3], clock, single_declared=True)
    f2, f3 = (register(event, w, clock, single_declared=True) for w in women[1:])
    assert statuses(m1, m2, m3, f1, m4, f2, f3) == [
        "confirmed", "confirmed", "waitlisted", "confirmed", "waitlisted", "confirmed", "waitlisted",
    ]  # fmt: skip
    occupancy = service.occupancy_of(event.id)
    assert (occupancy.confirmed, occupancy.by_gender) == (4, {"male": 2, "female": 2})

    promoted = service.cancel_registration(f1, actor=women[0])
    assert [r.id for r in promoted] == [f3.id]  # m3 and m4 waited longer but a man's seat is full
    assert statuses(m3, m4, f3) == ["waitlisted", "waitlisted", "confirmed"]
    assert [service.waitlist_position(r) for r in (m3, m4)] == [1, 2]

    promoted = service.cancel_registration(m1, actor=men[0])
    assert [r.id for r in promoted] == [m3.id]


def test_a_quota_binds_below_capacity(app, clock, organizer):
    event = mixer(organizer, capacity=10, quota_female=1)
    f1, f2 = (
        register(event, make_user(gender="female"), clock, single_declared=True) for _ in range(2)
    )
    man = register(event, make_user(gender="male"), clock, single_declared=True)
    assert statuses(f1, f2, man) == ["confirmed", "waitlisted", "confirmed"]


def change_profile(user, **fields) -> None:
    """The member edits their profile later (the account pages have their own tests)."""
    for name, value in fields.items():
        setattr(user, name, value)
    db.session.flush()


def test_a_registration_keeps_the_gender_and_birth_year_the_member_had(app, clock, organizer):
    event = mixer(organizer, capacity=10)
    woman = make_user(gender="female", birth_year=1994)
    registration = register(event, woman, clock, single_declared=True)
    change_profile(woman, gender="male", birth_year=1990)
    db.session.refresh(registration)
    assert (registration.gender, registration.birth_year) == ("female", 1994)
    assert service.occupancy_of(event.id).by_gender == {"female": 1}


def test_a_re_registration_takes_the_member_as_they_are_now(app, clock, organizer):
    event = mixer(organizer, capacity=10, quota_male=1)
    member = make_user(gender="female", birth_year=1994)
    first = register(event, member, clock, single_declared=True)
    service.cancel_registration(first, actor=member)
    change_profile(member, gender="male", birth_year=1993)
    again = register(event, member, clock, single_declared=True)
    assert again.id == first.id  # the same row, arriving anew
    assert (again.gender, again.birth_year, again.status) == ("male", 1993, "confirmed")
    assert service.occupancy_of(event.id).by_gender == {"male": 1}
    late = register(event, make_user(gender="male"), clock, single_declared=True)
    assert late.status == "waitlisted"  # the one male place is taken by the new snapshot


def test_quotas_count_the_snapshot_not_the_profile(app, clock, organizer):
    event = mixer(organizer, capacity=4, quota_male=1, quota_female=1)
    man = make_user(gender="male")
    confirmed_man = register(event, man, clock, single_declared=True)
    change_profile(man, gender="female")
    # The man's place stays a male place: a woman still gets the female place, a man waits.
    woman = register(event, make_user(gender="female"), clock, single_declared=True)
    second_man = register(event, make_user(gender="male"), clock, single_declared=True)
    assert statuses(confirmed_man, woman, second_man) == ["confirmed", "confirmed", "waitlisted"]
    occupancy = service.occupancy_of(event.id)
    assert (occupancy.confirmed, occupancy.by_gender) == (2, {"male": 1, "female": 1})


def test_the_waitlist_is_promoted_by_the_snapshot(app, clock, organizer):
    event = mixer(organizer, capacity=10, quota_male=1, quota_female=1)
    man, woman = make_user(gender="male"), make_user(gender="female")
    m1 = register(event, man, clock, single_declared=True)
    f1 = register(event, woman, clock, single_declared=True)
    waiting_woman = register(event, make_user(gender="female"), clock, single_declared=True)
    waiting_man = register(event, make_user(gender="male"), clock, single_declared=True)
    # Both waiting members now say the other gender: it must not open the other gender's place.
    change_profile(waiting_woman.user, gender="male")
    change_profile(waiting_man.user, gender="female")
    promoted = service.cancel_registration(m1, actor=man)
    assert [r.id for r in promoted] == [waiting_man.id]
    promoted = service.cancel_registration(f1, actor=woman)
    assert [r.id for r in promoted] == [waiting_woman.id]
    occupancy = service.occupancy_of(event.id)
    assert occupancy.by_gender == {"male": 1, "female": 1}


def test_approval_fits_the_snapshot_gender(app, clock, organizer):
    event = mixer(organizer, capacity=10, quota_male=1, quota_female=5, approval_required=True)
    man = make_user(gender="male")
    first = register(event, man, clock, single_declared=True)
    second = register(event, make_user(gender="male"), clock, single_declared=True)
    service.approve(first, actor=organizer)
    change_profile(second.user, gender="female")  # women's places are free; his are not
    service.approve(second, actor=organizer)
    assert statuses(first, second) == ["confirmed", "waitlisted"]


def test_a_quota_cannot_drop_below_the_snapshot_count(app, clock, organizer):
    event = mixer(organizer, capacity=10, quota_male=2)
    men = [make_user(gender="male") for _ in range(2)]
    for member in men:
        register(event, member, clock, single_declared=True)
    change_profile(men[0], gender="female")
    with pytest.raises(service.EventError) as refused:
        service.update_event(event, organizer, quota_male=1)
    assert refused.value.field == "quota_male"
    assert "2 members already hold a confirmed place here" in refused.value.message


def test_occupancies_and_status_counts_for_many_events_in_one_query_each(
    app, clock, organizer, count_queries
):
    meet = sportsmeet(organizer, capacity=10)
    team_a, team_b = (team.id for team in meet.teams)
    date = mixer(organizer, capacity=10)
    empty = mixer(organizer)
    make_registration(meet, make_user(gender="female"), team_id=team_a)
    make_registration(meet, make_user(), team_id=team_a)
    make_registration(meet, make_user(), team_id=team_b)
    make_registration(meet, make_user(), "waitlisted", team_id=team_b)
    make_registration(date, make_user(gender="female"))
    make_registration(date, make_user(), "cancelled")
    ids = [meet.id, date.id, empty.id]
    with count_queries() as counter:
        occupancies = service.occupancies_of(ids)
        counts = service.status_counts(ids)
    assert counter.count == 2
    assert occupancies[meet.id] == rules.Occupancy(
        confirmed=3,
        by_gender={"female": 1, "male": 2},
        by_team={team_a: 2, team_b: 1},
        waitlisted=1,
        waiting_groups=frozenset({("male", team_b, None)}),
    )
    assert occupancies[date.id] == rules.Occupancy(confirmed=1, by_gender={"female": 1})
    assert occupancies[empty.id] == rules.Occupancy()
    zero = {"pending": 0, "confirmed": 0, "waitlisted": 0, "cancelled": 0, "rejected": 0}
    assert counts == {
        meet.id: {**zero, "confirmed": 3, "waitlisted": 1},
        date.id: {**zero, "confirmed": 1, "cancelled": 1},
        empty.id: zero,
    }
    with count_queries() as counter:
        assert service.occupancies_of([]) == {} and service.status_counts([]) == {}
    assert counter.count == 0


def test_full_teams_come_from_the_team_cap_and_the_confirmed_places(app, clock, organizer):
    meet = sportsmeet(organizer, team_cap=1)
    team_a, team_b = (team.id for team in meet.teams)
    make_registration(meet, make_user(), team_id=team_a)
    make_registration(meet, make_user(), "waitlisted", team_id=team_b)
    assert service.full_teams_of(meet) == {team_a}
    assert service.full_teams_of(sportsmeet(organizer, title="不限")) == frozenset()


def test_a_mixer_registration_records_the_single_declaration(app, clock, organizer):
    event = mixer(organizer, capacity=10)
    registration = register(event, make_user(), clock, single_declared=True)
    assert registration.single_declared_at == clock.now
    other = sportsmeet(organizer)
    assert register(other, make_user(), clock, team_id=other.teams[0].id).single_declared_at is None


# --- team caps (sports meets) ----------------------------------------------------------------


def test_team_cap_and_promotion_within_the_team(app, clock, organizer):
    event = sportsmeet(organizer, capacity=10, team_cap=2)
    team_a, team_b = (team.id for team in event.teams)
    a1, a2, a3 = (register(event, make_user(), clock, team_id=team_a) for _ in range(3))
    b1 = register(event, make_user(), clock, team_id=team_b)
    assert statuses(a1, a2, a3, b1) == ["confirmed", "confirmed", "waitlisted", "confirmed"]
    assert service.occupancy_of(event.id).by_team == {team_a: 2, team_b: 1}

    promoted = service.cancel_registration(b1, actor=b1.user)
    assert promoted == []  # a3 waits for team A, and B's seat does not help
    promoted = service.cancel_registration(a1, actor=a1.user)
    assert [r.id for r in promoted] == [a3.id]


def test_move_into_a_full_team_is_refused(app, clock, organizer):
    event = sportsmeet(organizer, team_cap=1)
    team_a, team_b = (team.id for team in event.teams)
    a1 = register(event, make_user(), clock, team_id=team_a)
    b1 = register(event, make_user(), clock, team_id=team_b)
    with pytest.raises(RegistrationError) as refused:
        service.move(b1, actor=organizer, team_id=team_a)
    assert (refused.value.message, refused.value.field) == ("That team is full.", "team_id")
    assert (a1.team_id, b1.team_id) == (team_a, team_b)
    assert [a for a, *_ in audit_log(event)] == []


def test_moving_out_of_a_full_team_promotes_that_teams_waitlist(app, clock, organizer):
    event = sportsmeet(organizer, team_cap=1, teams=["站前社区", "铁锋社区", "龙沙社区"])
    team_a, team_b, _team_c = (team.id for team in event.teams)
    a1 = register(event, make_user(name="甲"), clock, team_id=team_a)
    a2 = register(event, make_user(name="乙"), clock, team_id=team_a)
    assert statuses(a1, a2) == ["confirmed", "waitlisted"]
    promoted = service.move(a1, actor=organizer, team_id=team_b)
    assert [r.id for r in promoted] == [a2.id]
    assert statuses(a1, a2) == ["confirmed", "confirmed"]
    assert (a1.team_id, a2.team_id) == (team_b, team_a)
    assert audit_log(event) == [
        ("registration.move", organizer.id, "甲: 站前社区 → 铁锋社区"),
        ("registration.offer", None, f"乙 ({format_local(a2.offer_expires_at)})"),
    ]


def test_a_waitlisted_member_moved_to_a_team_with_room_is_promoted(app, clock, organizer):
    event = sportsmeet(organizer, team_cap=1)
    team_a, team_b = (team.id for team in event.teams)
    register(event, make_user(), clock, team_id=team_a)
    waiting = register(event, make_user(), clock, team_id=team_a)
    promoted = service.move(waiting, actor=organizer, team_id=team_b)
    assert [r.id for r in promoted] == [waiting.id]
    assert waiting.status == "confirmed"


def test_move_refuses_a_team_or_track_of_another_event(app, clock, organizer):
    event = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["山东队", "浙江队"],
        tracks=["商务英语", "俄语"],
    )  # fmt: skip
    stranger = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["外队"], tracks=["外组"]
    )
    registration = register(
        event, make_user(name="丙"), clock, team_id=event.teams[0].id, track_id=event.tracks[0].id
    )
    with pytest.raises(RegistrationError) as refused:
        service.move(registration, actor=organizer, team_id=stranger.teams[0].id)
    assert refused.value.field == "team_id"
    with pytest.raises(RegistrationError) as refused:
        service.move(registration, actor=organizer, track_id=stranger.tracks[0].id)
    assert refused.value.field == "track_id"
    service.move(registration, actor=organizer, track_id=event.tracks[1].id)
    assert (registration.team_id, registration.track_id) == (event.teams[0].id, event.tracks[1].id)
    assert audit_log(event)[-1] == (
        "registration.move", organizer.id, "丙: 山东队 / 商务英语 → 山东队 / 俄语",
    )  # fmt: skip


def test_move_refuses_an_inactive_registration(app, clock, organizer):
    event = sportsmeet(organizer)
    registration = register(event, make_user(), clock, team_id=event.teams[0].id)
    service.cancel_registration(registration, actor=registration.user)
    with pytest.raises(RegistrationError):
        service.move(registration, actor=organizer, team_id=event.teams[1].id)
    assert registration.team_id == event.teams[0].id


# --- approval --------------------------------------------------------------------------------


def test_approval_flow(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1, approval_required=True)
    team = event.teams[0].id
    r1, r2, r3 = (register(event, make_user(), clock, team_id=team) for _ in range(3))
    assert statuses(r1, r2, r3) == ["pending", "pending", "pending"]
    assert service.occupancy_of(event.id).confirmed == 0  # pending holds no place
    assert subjects(r1.user) == ["Registration received: 趣味运动会"]

    clock.advance(minutes=5)
    service.approve(r2, actor=organizer)
    clock.advance(minutes=5)
    service.approve(r1, actor=organizer)
    assert statuses(r1, r2) == ["waitlisted", "confirmed"]
    assert r1.waitlisted_at == clock.now  # joins the waitlist when approved
    assert subjects(r2.user)[-1] == "Registration confirmed: 趣味运动会"
    assert subjects(r1.user)[-1] == "On the waitlist: 趣味运动会"

    service.reject(r3, actor=organizer, reason="名额已满，请关注下次活动")
    assert r3.status == "rejected" and r3.status_reason == "名额已满，请关注下次活动"
    assert "Reason: 名额已满，请关注下次活动" in notes(r3.user)[-1].body
    assert [(a, actor) for a, actor, _ in audit_log(event)] == [
        ("registration.approve", organizer.id),
        ("registration.approve", organizer.id),
        ("registration.reject", organizer.id),
    ]
    assert audit_log(event)[-1][2] == f"{r3.user.name} (名额已满，请关注下次活动)"

    # a cancellation of the approved one promotes the approved-but-waiting one
    promoted = service.cancel_registration(
        r2, actor=organizer, reason="单位有事", by_organizer=True
    )
    assert [r.id for r in promoted] == [r1.id]


def test_approve_only_pending_and_reject_not_confirmed(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    team = event.teams[0].id
    confirmed = register(event, make_user(), clock, team_id=team)
    waiting = register(event, make_user(), clock, team_id=team)
    with pytest.raises(RegistrationError):
        service.approve(confirmed, actor=organizer)
    with pytest.raises(RegistrationError):
        service.reject(confirmed, actor=organizer)
    assert confirmed.status == "confirmed"
    service.reject(waiting, actor=organizer)
    assert waiting.status == "rejected" and waiting.waitlisted_at is None
    assert (
        notes(waiting.user)[-1].body == "The organizer declined your registration for 趣味运动会."
    )


def test_approval_respects_the_team_cap(app, clock, organizer):
    event = sportsmeet(organizer, team_cap=1, approval_required=True)
    team_a, team_b = (team.id for team in event.teams)
    a1, a2, b1 = (register(event, make_user(), clock, team_id=t) for t in (team_a, team_a, team_b))
    for registration in (a1, a2, b1):
        service.approve(registration, actor=organizer)
    assert statuses(a1, a2, b1) == ["confirmed", "waitlisted", "confirmed"]


# --- cancelling ------------------------------------------------------------------------------


def test_member_cancels_before_start_without_notification_noise(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    team = event.teams[0].id
    leaving, waiting = make_user(), make_user()
    mine = register(event, leaving, clock, team_id=team)
    theirs = register(event, waiting, clock, team_id=team)
    before = len(notes(leaving))
    service.cancel_registration(mine, actor=leaving)
    assert mine.status == "cancelled" and mine.status_reason == ""
    assert len(notes(leaving)) == before  # the member knows: no message to themselves
    # The promoted one is offered the place, to confirm on the event's page.
    assert subjects(waiting)[-1] == "A place is offered to you: 趣味运动会"
    assert notes(waiting)[-1].link == f"/events/{event.id}"
    assert [a for a, *_ in audit_log(event)] == ["registration.offer"]
    assert theirs.status == "confirmed"


def test_member_cannot_cancel_after_the_start(app, clock, organizer):
    event = sportsmeet(organizer, starts_in=timedelta(days=1))
    member = make_user()
    registration = register(event, member, clock, team_id=event.teams[0].id)
    clock.now = event.starts_at
    with pytest.raises(RegistrationError) as refused:
        service.cancel_registration(registration, actor=member)
    assert refused.value.message == "The event has started; please contact the organizer."
    assert statuses(registration) == ["confirmed"]


def test_organizer_cancels_with_reason_notified_and_audited(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1, starts_in=timedelta(days=1))
    team = event.teams[0].id
    member, waiting = make_user(name="张三", email="zhangsan@example.com"), make_user()
    registration = register(event, member, clock, team_id=team)
    waitlisted = register(event, waiting, clock, team_id=team)
    clock.now = event.starts_at + timedelta(minutes=30)  # organizers may cancel after the start
    promoted = service.cancel_registration(
        registration, actor=organizer, reason="未按时报到", by_organizer=True
    )
    assert [r.id for r in promoted] == [waitlisted.id]
    assert (registration.status, registration.status_reason) == ("cancelled", "未按时报到")
    note = notes(member)[-1]
    assert note.subject == "Registration cancelled: 趣味运动会"
    assert note.body == ("Your registration for 趣味运动会 has been cancelled. Reason: 未按时报到")
    assert note.link == f"/events/{event.id}"
    mail = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == "zhangsan@example.com")
        .order_by(OutboundEmail.id.desc())
    ).first()  # fmt: skip
    assert mail.subject == note.subject and mail.body.endswith(f"/events/{event.id}")
    assert audit_log(event) == [
        ("registration.cancel", organizer.id, "张三 (未按时报到)"),
        ("registration.promote", None, waiting.name),
    ]


def test_cancelling_a_pending_or_waitlisted_registration_promotes_nobody(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    team = event.teams[0].id
    register(event, make_user(), clock, team_id=team)
    w1, w2 = (register(event, make_user(), clock, team_id=team) for _ in range(2))
    assert service.cancel_registration(w1, actor=w1.user) == []  # leaving the waitlist
    assert statuses(w1, w2) == ["cancelled", "waitlisted"]
    assert w1.waitlisted_at is None
    assert service.waitlist_position(w2) == 1
    assert service.occupancy_of(event.id).confirmed == 1


def test_cancel_twice_is_refused(app, clock, organizer):
    event = sportsmeet(organizer)
    registration = register(event, make_user(), clock, team_id=event.teams[0].id)
    service.cancel_registration(registration, actor=registration.user)
    with pytest.raises(RegistrationError) as refused:
        service.cancel_registration(registration, actor=organizer, by_organizer=True)
    assert refused.value.message == "This registration is no longer active."


def test_no_promotion_into_a_cancelled_or_finished_event(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1, starts_in=timedelta(days=1))
    team = event.teams[0].id
    held, waiting = (register(event, make_user(), clock, team_id=team) for _ in range(2))
    clock.now = event.ends_at
    assert service.cancel_registration(held, actor=organizer, by_organizer=True) == []
    assert statuses(waiting) == ["waitlisted"]
    assert "A place is yours: 趣味运动会" not in subjects(waiting.user)

    other = sportsmeet(organizer, capacity=1, title="另一场")
    clock.now = other.registration_opens_at + timedelta(hours=1)
    held, waiting = (register(other, make_user(), clock, team_id=other.teams[0].id) for _ in "ab")
    other.status = EventStatus.CANCELLED
    db.session.flush()
    assert service.cancel_registration(held, actor=organizer, by_organizer=True) == []
    assert statuses(waiting) == ["waitlisted"]


# --- one registration per member, re-registration --------------------------------------------


def test_one_active_registration_per_member(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    member = make_user()
    register(event, member, clock, team_id=event.teams[0].id)
    with pytest.raises(RegistrationError) as refused:
        register(event, member, clock, team_id=event.teams[1].id)
    assert refused.value.message == "You are already registered for this event."
    assert registration_count(event) == 1


def test_the_database_refuses_a_second_registration_row(app, clock, organizer):
    event = sportsmeet(organizer)
    member = make_user()
    make_registration(event, member)
    db.session.commit()
    with pytest.raises(IntegrityError):
        make_registration(event, member, status="cancelled")
    db.session.rollback()
    assert registration_count(event) == 1


def test_re_registration_after_cancelling_arrives_at_the_back(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    team = event.teams[0].id
    register(event, make_user(), clock, team_id=team)
    member = make_user()
    first = register(event, member, clock, team_id=team)
    behind = register(event, make_user(), clock, team_id=team)
    assert service.waitlist_position(first) == 1
    service.cancel_registration(first, actor=member)
    again = register(event, member, clock, team_id=event.teams[1].id)
    assert again.id == first.id  # the same row, one per member and event
    assert again.status == "waitlisted" and again.registered_at == clock.now
    assert again.team_id == event.teams[1].id
    assert [service.waitlist_position(r) for r in (behind, again)] == [1, 2]


def test_re_registration_takes_a_free_place(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1)
    member = make_user()
    registration = register(event, member, clock, team_id=event.teams[0].id)
    service.cancel_registration(registration, actor=member)
    assert register(event, member, clock, team_id=event.teams[0].id).status == "confirmed"


def test_re_registration_after_organizer_cancel_clears_the_reason(app, clock, organizer):
    event = sportsmeet(organizer)
    member = make_user()
    registration = register(event, member, clock, team_id=event.teams[0].id)
    service.cancel_registration(registration, actor=organizer, reason="误报", by_organizer=True)
    again = register(event, member, clock, team_id=event.teams[0].id)
    assert (again.status, again.status_reason) == ("confirmed", "")


def test_a_rejected_member_cannot_register_again(app, clock, organizer):
    event = sportsmeet(organizer, approval_required=True)
    member = make_user()
    registration = register(event, member, clock, team_id=event.teams[0].id)
    service.reject(registration, actor=organizer)
    with pytest.raises(RegistrationError) as refused:
        register(event, member, clock, team_id=event.teams[0].id)
    assert refused.value.message == "The organizer has declined your registration for this event."
    assert statuses(registration) == ["rejected"]


# --- the registration window and eligibility -------------------------------------------------


def test_registration_window_edges(app, clock, organizer):
    opens = clock.now + timedelta(days=1)
    event = sportsmeet(organizer, registration_opens_at=opens)
    team = event.teams[0].id
    early, punctual, late = make_user(), make_user(), make_user()
    clock.now = opens - timedelta(seconds=1)
    with pytest.raises(RegistrationError) as refused:
        service.register(event, early, team_id=team)
    assert refused.value.message.startswith("Registration opens at ")
    clock.now = opens
    assert service.register(event, punctual, team_id=team).status == "confirmed"
    clock.now = event.registration_closes_at
    with pytest.raises(RegistrationError) as refused:
        service.register(event, late, team_id=team)
    assert refused.value.message == "Registration for this event has closed."
    assert registration_count(event) == 1
    assert notes(early) == [] and notes(late) == []


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (EventStatus.DRAFT, "This event is not open for registration."),
        (EventStatus.CANCELLED, "This event has been cancelled."),
    ],
)
def test_no_registration_for_draft_or_cancelled_events(app, clock, organizer, status, message):
    event = sportsmeet(organizer, status=status)
    member = make_user()
    with pytest.raises(RegistrationError) as refused:
        register(event, member, clock, team_id=event.teams[0].id)
    assert refused.value.message == message
    assert registration_count(event) == 0 and notes(member) == []


def test_registration_opens_at_is_shown_in_local_time(app, clock, organizer):
    opens = clock.now + timedelta(days=1)  # 2026-11-02 02:00 UTC is 10:00 in Shanghai
    event = sportsmeet(organizer, registration_opens_at=opens)
    with pytest.raises(RegistrationError) as refused:
        service.register(event, make_user(), team_id=event.teams[0].id)
    assert refused.value.message == "Registration opens at 2026-11-02 10:00."


@pytest.mark.parametrize(
    ("birth_year", "single", "field", "message"),
    [
        (2009, True, None, "Mixers are open to members aged 18 and over."),
        (1995, False, "single_declared", "Please confirm that you are single to register for a mixer."),
        (1980, True, None, "This mixer is for members of the stated age range; you are older."),
        (2006, True, None, "This mixer is for members of the stated age range; you are younger."),
    ],
)  # fmt: skip
def test_mixer_eligibility_through_the_service(
    app, clock, organizer, birth_year, single, field, message
):
    event = mixer(organizer, min_age=22, max_age=40)  # the event is in 2026
    member = make_user(birth_year=birth_year)
    with pytest.raises(RegistrationError) as refused:
        register(event, member, clock, single_declared=single)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert registration_count(event) == 0


def test_mixer_admits_the_age_range_edges(app, clock, organizer):
    event = mixer(organizer, min_age=22, max_age=40)
    youngest, oldest = make_user(birth_year=2004), make_user(birth_year=1986)
    assert register(event, youngest, clock, single_declared=True).status == "confirmed"
    assert register(event, oldest, clock, single_declared=True).status == "confirmed"


def test_competition_eligibility_through_the_service(app, clock, organizer):
    event = make_event(
        organizer=organizer, kind=EventKind.COMPETITION, teams=["山东队"], tracks=["商务英语"]
    )
    stranger = make_event(organizer=organizer, kind=EventKind.COMPETITION, teams=["外队"])
    team, track = event.teams[0].id, event.tracks[0].id
    cases = [
        ({"track_id": track}, "team_id", "Please choose a team."),
        ({"team_id": stranger.teams[0].id, "track_id": track}, "team_id",
         "That team does not belong to this event."),
        ({"team_id": team}, "track_id", "Please choose a track."),
        ({"team_id": team, "track_id": track + 1000}, "track_id",
         "That track does not belong to this event."),
    ]  # fmt: skip
    for fields, field, message in cases:
        with pytest.raises(RegistrationError) as refused:
            register(event, make_user(), clock, **fields)
        assert (refused.value.field, refused.value.message) == (field, message)
    registration = register(event, make_user(), clock, team_id=team, track_id=track)
    assert (registration.team_id, registration.track_id) == (team, track)
    assert registration_count(event) == 1


def test_team_and_track_are_dropped_where_the_kind_has_none(app, clock, organizer):
    meet = sportsmeet(organizer)
    competition = make_event(organizer=organizer, kind=EventKind.COMPETITION, tracks=["俄语"])
    registration = register(
        meet, make_user(), clock, team_id=meet.teams[0].id, track_id=competition.tracks[0].id
    )
    assert registration.track_id is None
    singles = mixer(organizer)
    registration = register(
        singles, make_user(), clock, single_declared=True, team_id=meet.teams[0].id
    )
    assert registration.team_id is None


# --- notifications ---------------------------------------------------------------------------


def test_notification_content_per_status(app, clock, organizer):
    event = sportsmeet(organizer, capacity=1, venue="站前街道文体中心")
    team = event.teams[0].id
    first, second = make_user(email="first@example.com"), make_user()
    register(event, first, clock, team_id=team)
    register(event, second, clock, team_id=team)
    (confirmed,) = notes(first)
    assert confirmed.subject == "Registration confirmed: 趣味运动会"
    # starts 7 days after 2026-11-01 02:00 UTC: 10:00 on the 8th in Shanghai
    assert confirmed.body == (
        "Your place at 趣味运动会 is confirmed. It starts at 2026-11-08 10:00 at 站前街道文体中心. "
        "Your check-in code is under My events."
    )
    assert confirmed.link == MY_EVENTS
    (waitlisted,) = notes(second)
    assert waitlisted.subject == "On the waitlist: 趣味运动会"
    assert "you are on the waitlist" in waitlisted.body
    assert waitlisted.link == f"/events/{event.id}"
    mails = db.session.scalars(sa.select(OutboundEmail)).all()
    assert [m.to_address for m in mails] == ["first@example.com"]  # only members with an email
    assert mails[0].body.startswith(confirmed.body)
    assert mails[0].body.endswith(MY_EVENTS)


def test_rejection_without_reason_and_organizer_cancel_without_reason(app, clock, organizer):
    event = sportsmeet(organizer, approval_required=True)
    team = event.teams[0].id
    a, b = make_user(), make_user()
    ra = register(event, a, clock, team_id=team)
    rb = register(event, b, clock, team_id=team)
    service.reject(ra, actor=organizer)
    service.cancel_registration(rb, actor=organizer, by_organizer=True)
    assert notes(a)[-1].subject == "Registration declined: 趣味运动会"
    assert "Reason" not in notes(a)[-1].body
    assert notes(b)[-1].body == "Your registration for 趣味运动会 has been cancelled."
    assert audit_log(event)[-1] == ("registration.cancel", organizer.id, b.name)


def test_every_promoted_member_is_told_once(app, clock, organizer):
    event = sportsmeet(organizer, capacity=2)
    team = event.teams[0].id
    regs = [register(event, make_user(), clock, team_id=team) for _ in range(5)]
    locked = service.lock_event(event.id)
    locked.capacity = 4
    service.promote_waitlist(locked)
    offered = "A place is offered to you: 趣味运动会"
    promoted_subjects = [subjects(r.user).count(offered) for r in regs]
    assert promoted_subjects == [0, 0, 1, 1, 0]
    assert [a for a, *_ in audit_log(event)] == ["registration.offer"] * 2


# --- waitlist position -----------------------------------------------------------------------


def test_waitlist_position_ties_are_broken_by_arrival_id(app, clock, organizer):
    event = sportsmeet(organizer, capacity=0)
    team = event.teams[0].id
    same_moment = [service.register(event, make_user(), team_id=team) for _ in range(3)]
    assert len({r.waitlisted_at for r in same_moment}) == 1
    assert [service.waitlist_position(r) for r in same_moment] == [1, 2, 3]
    service.cancel_registration(same_moment[0], actor=same_moment[0].user)
    assert [service.waitlist_position(r) for r in same_moment] == [None, 1, 2]


def test_waitlist_positions_are_per_event(app, clock, organizer):
    one, two = sportsmeet(organizer, capacity=0), sportsmeet(organizer, capacity=0)
    register(one, make_user(), clock, team_id=one.teams[0].id)
    mine = register(two, make_user(), clock, team_id=two.teams[0].id)
    assert service.waitlist_position(mine) == 1


# --- through the app's routes, when the events pages exist ----------------------------------


def _has_route(app, path: str, method: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method=method)
    except Exception:
        return False
    return True


def _as(auth, user) -> None:
    """Switch the test client's member; the test's app context is shared with its requests, so
    Flask-Login's per-context cache of the current user must go too."""
    g.pop("_login_user", None)
    auth.become(user)


def test_register_cancel_and_leave_the_waitlist_through_the_routes(
    app, client, auth, clock, organizer
):
    event = sportsmeet(organizer, capacity=1)
    if not _has_route(app, f"/events/{event.id}/register", "POST"):
        pytest.skip("the events pages do not offer /events/<id>/register yet")
    team = str(event.teams[0].id)
    first, second, third = make_user(), make_user(), make_user()
    event_id, ids = event.id, (first.id, second.id, third.id)
    db.session.commit()

    def rows():
        db.session.expire_all()
        return [
            (r.user_id, r.status)
            for r in db.session.scalars(
                sa.select(Registration)
                .where(Registration.event_id == event_id)
                .order_by(Registration.id)
            )
        ]

    for user in (first, second, third):
        _as(auth, user)
        clock.advance(seconds=1)
        response = client.post(f"/events/{event_id}/register", data={"team_id": team})
        assert response.status_code == 303
    assert rows() == [(ids[0], "confirmed"), (ids[1], "waitlisted"), (ids[2], "waitlisted")]

    _as(auth, first)
    again = client.post(f"/events/{event_id}/register", data={"team_id": team})
    assert again.status_code == 400
    assert rows()[0] == (ids[0], "confirmed")

    _as(auth, third)  # leaves the waitlist
    assert client.post(f"/events/{event_id}/cancel-registration").status_code == 303
    _as(auth, first)  # frees the place: the second member, not the third, gets it
    assert client.post(f"/events/{event_id}/cancel-registration").status_code == 303
    assert rows() == [(ids[0], "cancelled"), (ids[1], "confirmed"), (ids[2], "cancelled")]
    assert subjects(second)[-1] == "A place is offered to you: 趣味运动会"

    clock.now = event.starts_at
    _as(auth, second)
    late = client.post(f"/events/{event_id}/cancel-registration")
    assert late.status_code == 400
    assert rows()[1] == (ids[1], "confirmed")


def test_registration_refused_through_the_route_changes_nothing(
    app, client, auth, clock, organizer
):
    event = mixer(organizer, capacity=5)
    if not _has_route(app, f"/events/{event.id}/register", "POST"):
        pytest.skip("the events pages do not offer /events/<id>/register yet")
    minor = make_user(birth_year=2010)
    event_id = event.id
    db.session.commit()
    _as(auth, minor)
    response = client.post(f"/events/{event_id}/register", data={"single_declared": "y"})
    assert response.status_code == 400
    assert "Mixers are open to members aged 18 and over." in response.get_data(as_text=True)
    assert registration_count(event) == 0


def test_an_organizer_cancelling_their_own_registration_acts_as_organizer(app, clock, organizer):
    event = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, teams=["站前社区队"])
    own = make_registration(event, organizer, team_id=event.teams[0].id)
    db.session.commit()

    clock.advance(days=30)  # after the start: a member could no longer cancel
    service.cancel_registration(own, actor=organizer, reason="改派他人", by_organizer=True)
    db.session.commit()

    assert own.status == "cancelled"
    assert own.status_reason == "改派他人"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.cancel")
    ).one()
    assert entry.actor_id == organizer.id


def test_a_member_cannot_cancel_someone_elses_registration(app, clock, organizer):
    event = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, teams=["站前社区队"])
    owner, other = make_user(), make_user()
    registration = make_registration(event, owner, team_id=event.teams[0].id)
    db.session.commit()

    with pytest.raises(RegistrationError):
        service.cancel_registration(registration, actor=other)
    db.session.rollback()
    assert db.session.get(Registration, registration.id).status == "confirmed"
