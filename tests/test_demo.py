"""`flask demo load`: the seed page's events, the demo accounts, and a second run that changes
nothing."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import Role, User, UserRole
from eventsite.core.time import to_local
from eventsite.demo import (
    COMPETITION_TITLE,
    DEMO_PASSWORD,
    MIXER_TITLE,
    SPORTSMEET_TITLE,
)
from eventsite.events import service
from eventsite.events.models import (
    Event,
    EventKind,
    EventOrganizer,
    EventStatus,
    Registration,
    RegistrationStatus,
    Team,
    Track,
)
from eventsite.extensions import db
from tests.factories import make_user


def load(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def event_titled(title: str) -> Event:
    return db.session.scalars(sa.select(Event).where(Event.title == title)).one()


def registrations(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id))
    )


def row_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, UserRole, Event, EventOrganizer, Team, Track, Registration)
    }


@pytest.fixture
def demo(runner, clock):
    return load(runner)


def test_demo_accounts_have_one_role_each_and_the_demo_password(demo):
    accounts = {
        user.mobile: user
        for user in db.session.scalars(sa.select(User).where(User.mobile.like("1390000000_")))
    }
    assert {mobile: user.roles for mobile, user in accounts.items()} == {
        "13900000001": {Role.MEMBER, Role.ADMIN},
        "13900000002": {Role.MEMBER, Role.ORGANIZER},
        "13900000003": {Role.MEMBER, Role.JUDGE},
        "13900000004": {Role.MEMBER},
    }
    assert all(user.check_password(DEMO_PASSWORD) for user in accounts.values())
    for mobile in accounts:
        assert mobile in demo.output
    assert DEMO_PASSWORD in demo.output


def test_demo_organizer_organises_all_three_published_events(demo):
    organizer = db.session.scalars(sa.select(User).where(User.mobile == "13900000002")).one()
    events = db.session.scalars(sa.select(Event)).all()
    assert sorted(event.kind for event in events) == sorted(EventKind)
    for event in events:
        assert event.status == EventStatus.PUBLISHED
        assert event.organizer_ids == {organizer.id}
        assert event.created_by_id == organizer.id


def test_mixer_has_30_men_and_30_women_declared_single_and_room_for_more(demo, clock):
    mixer = event_titled(MIXER_TITLE)
    rows = registrations(mixer)
    assert len(rows) == 60
    assert Counter(row.user.gender for row in rows) == {"male": 30, "female": 30}
    assert {row.status for row in rows} == {RegistrationStatus.CONFIRMED}
    assert all(row.single_declared_at == row.registered_at for row in rows)
    assert all(row.registered_at < clock.now for row in rows)
    assert (mixer.capacity, mixer.quota_male, mixer.quota_female) == (80, 40, 40)
    assert (mixer.min_age, mixer.max_age, mixer.approval_required) == (22, 40, False)
    assert "芜湖市总工会市直单位" in mixer.description
    assert "篝火晚会" in mixer.description and "登山览胜" in mixer.description
    assert "芜湖" in mixer.venue
    assert mixer.registration_open(clock.now)
    assert (mixer.ends_at - mixer.starts_at).days >= 1
    ages = {to_local(mixer.starts_at).year - row.user.birth_year for row in rows}
    assert min(ages) >= 22 and max(ages) <= 40


def test_demo_member_can_register_for_the_mixer(demo, clock):
    mixer = event_titled(MIXER_TITLE)
    member = db.session.scalars(sa.select(User).where(User.mobile == "13900000004")).one()
    assert service.find_registration(mixer.id, member.id) is None

    registration = service.register(mixer, member, single_declared=True)

    assert registration.status == RegistrationStatus.CONFIRMED


def test_competition_has_12_teams_of_6_over_5_tracks_and_is_closed(demo, clock):
    contest = event_titled(COMPETITION_TITLE)
    rows = registrations(contest)
    assert len(rows) == 72 == contest.capacity
    assert {row.status for row in rows} == {RegistrationStatus.CONFIRMED}
    assert contest.approval_required
    assert [team.name for team in contest.teams][:3] == ["山东队", "浙江队", "广东队"]
    assert Counter(row.team_id for row in rows) == {team.id: 6 for team in contest.teams}
    per_track = Counter(row.track.name for row in rows)
    assert set(per_track) == {"商务英语", "商务俄语", "商务西班牙语", "商务法语", "商务日语"}
    assert per_track.most_common(1)[0][0] == "商务英语"
    assert sum(per_track.values()) == 72
    assert all(
        row.registered_at < row.status_changed_at <= contest.registration_closes_at for row in rows
    )
    assert "中国财贸轻纺烟草工会" in contest.description
    assert contest.venue == "山东烟台"
    assert not contest.registration_open(clock.now)
    assert contest.registration_closes_at < clock.now < contest.starts_at


def test_sportsmeet_is_full_with_50_per_team_and_a_newcomer_is_waitlisted(demo, clock):
    meet = event_titled(SPORTSMEET_TITLE)
    rows = registrations(meet)
    assert len(rows) == 200 == meet.capacity
    assert meet.team_cap == 50
    assert Counter(row.team.name for row in rows) == {
        "站前社区队": 50,
        "铁锋社区队": 50,
        "龙华社区队": 50,
        "光荣社区队": 50,
    }
    for item in (
        "骑毛毛虫",
        "双人背夹球跑",
        "同心协力运球",
        "拔河",
        "车轮滚滚",
        "集体跳长绳",
        "接力夹球",
    ):
        assert item in meet.description
    assert meet.registration_open(clock.now)

    newcomer = make_user()
    registration = service.register(meet, newcomer, team_id=meet.teams[0].id)

    assert registration.status == RegistrationStatus.WAITLISTED


def test_a_second_load_changes_nothing_and_prints_the_accounts_again(demo, runner):
    before = row_counts()
    assert before["user"] == 4 + 60 + 72 + 200
    assert before["registration"] == 60 + 72 + 200

    again = load(runner)

    assert row_counts() == before
    assert "already loaded" in again.output
    assert "13900000004" in again.output and DEMO_PASSWORD in again.output
