"""`flask demo load`: the seed's federation as organizations, an organizer per level, and the
Wuhu union's year of mixers, at the seed's scale and within the exchange's privacy rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from eventsite.accounts.models import Gender, Role, User, UserRole
from eventsite.core.models import SentNotice
from eventsite.demo import (
    COMPETITION_TEAM_UNIONS,
    COMPETITION_TEAMS,
    COMPETITION_TITLE,
    SPORTSMEET_TEAM_UNIONS,
    SPORTSMEET_TEAMS,
    SPORTSMEET_TITLE,
)
from eventsite.demo_history import FIRST_MOBILE, HISTORY_MIXERS
from eventsite.events.models import Event, EventKind, Registration, RegistrationStatus
from eventsite.extensions import db
from eventsite.mixers import jobs, rules, stats
from eventsite.mixers import service as mixers
from eventsite.mixers.models import (
    IntroductionRequest,
    Mark,
    Match,
    MatchSource,
    MixerProfile,
    MixerTally,
)
from eventsite.organizations import service as organizations
from eventsite.organizations.models import Organization, OrganizationLevel

YEAR = timedelta(days=365)


@pytest.fixture
def demo(runner, clock):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def org(name: str) -> Organization:
    return db.session.scalars(sa.select(Organization).where(Organization.name == name)).one()


def chain(organization: Organization) -> list[str]:
    """Names from the root down to `organization`."""
    names = []
    while organization is not None:
        names.append(organization.name)
        organization = organization.parent
    return names[::-1]


def user(mobile: str) -> User:
    return db.session.scalars(sa.select(User).where(User.mobile == mobile)).one()


def wuhu_mixers() -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.kind == EventKind.MIXER,
                Event.organization_id.in_(organizations.subtree_ids(org("芜湖市总工会").id)),
            )
            .order_by(Event.starts_at)
        )
    )


def history(now) -> list[Event]:
    """The Wuhu union's mixers of the past year but the demo's two earlier ones (the history's
    organizer, 13900000006, organizes only these)."""
    organizer = user("13900000006")
    return [m for m in wuhu_mixers() if m.organizer_ids == {organizer.id}]


def test_the_tree_is_the_seeds_federation(demo):
    root = organizations.root()
    assert (root.name, root.short_name, root.parent_id) == ("中华全国总工会", "全总", None)
    assert chain(org("芜湖市总工会")) == ["中华全国总工会", "安徽省总工会", "芜湖市总工会"]
    assert chain(org("站前街道总工会")) == [
        "中华全国总工会",
        "黑龙江省总工会",
        "齐齐哈尔市总工会",
        "铁锋区总工会",
        "站前街道总工会",
    ]
    wuhu = org("芜湖市总工会")
    below = db.session.scalars(
        sa.select(Organization).where(
            Organization.id.in_(organizations.subtree_ids(wuhu.id)), Organization.id != wuhu.id
        )
    ).all()
    levels = [o.level for o in below]
    assert levels.count(OrganizationLevel.SERVICE_POINT) == 1
    assert levels.count(OrganizationLevel.ENTERPRISE) >= 3
    service_point = next(o for o in below if o.level == OrganizationLevel.SERVICE_POINT)
    assert "片区" in service_point.name
    assert any(o.parent_id == service_point.id for o in below)
    # Each competition team's provincial union sits right below the federation.
    assert len(COMPETITION_TEAM_UNIONS) == len(COMPETITION_TEAMS) == 12
    for province, union in zip(COMPETITION_TEAMS, COMPETITION_TEAM_UNIONS, strict=True):
        assert union.startswith(province)
        assert org(union).parent_id == root.id and org(union).level == OrganizationLevel.PROVINCE
    # The street union's four community unions, one per sports meet team.
    street = org("站前街道总工会")
    communities = db.session.scalars(
        sa.select(Organization.name).where(Organization.parent_id == street.id)
    ).all()
    assert sorted(communities) == sorted(SPORTSMEET_TEAM_UNIONS)
    for team, union in zip(SPORTSMEET_TEAMS, SPORTSMEET_TEAM_UNIONS, strict=True):
        assert union.removesuffix("工会") == team.removesuffix("队")
    # The closure table agrees with the parent pointers (depth and ancestry).
    for organization in db.session.scalars(sa.select(Organization)):
        ancestry = set(db.session.scalars(organizations.ancestor_ids(organization.id)))
        assert {o for o in ancestry} == {org(name).id for name in chain(organization)}, (
            organization.name
        )
        assert organization.depth == len(ancestry) - 1


def test_each_seed_event_belongs_to_its_union(demo):
    def union_of(event: Event) -> str:
        return db.session.get(Organization, event.organization_id).name

    competition = db.session.scalars(sa.select(Event).where(Event.title == COMPETITION_TITLE)).one()
    meet = db.session.scalars(sa.select(Event).where(Event.title == SPORTSMEET_TITLE)).one()
    assert union_of(competition) == "中华全国总工会"
    assert union_of(meet) == "站前街道总工会"
    seed_mixers = [m for m in wuhu_mixers() if m.organizer_ids == {user("13900000002").id}]
    assert len(seed_mixers) == 3  # the upcoming mixer and the two earlier ones
    assert {union_of(m) for m in seed_mixers} == {"芜湖市总工会"}
    # No event is left on the root but the national final.
    on_root = db.session.scalars(
        sa.select(Event.title).where(Event.organization_id == organizations.ROOT_ID)
    ).all()
    assert on_root == [COMPETITION_TITLE]


@pytest.mark.parametrize(
    ("mobile", "union", "reaches", "does_not_reach"),
    [
        ("13900000005", "安徽省总工会", "芜湖职业技术学院工会", "站前街道总工会"),
        ("13900000006", "芜湖市总工会", "镜湖区范罗山片区工会服务站", "安徽省总工会"),
        ("13900000007", "站前街道总工会", "光荣社区工会", "铁锋区总工会"),
    ],
)
def test_each_levels_organizer_holds_the_role_on_their_union(
    demo, mobile, union, reaches, does_not_reach
):
    organizer = user(mobile)
    grants = db.session.scalars(sa.select(UserRole).where(UserRole.user_id == organizer.id)).all()
    assert [(g.role, g.organization_id) for g in grants] == [(Role.ORGANIZER, org(union).id)]
    assert organizer.role_organization_ids(Role.ORGANIZER) == {org(union).id}
    assert not organizer.is_admin
    assert organizations.is_within(org(reaches).id, org(union).id)
    assert not organizations.is_within(org(does_not_reach).id, org(union).id)
    assert mobile in demo.output and union in demo.output


def test_the_seed_events_staff_hold_their_roles_on_the_root(demo):
    for mobile, role in (
        ("13900000001", Role.ADMIN),
        ("13900000002", Role.ORGANIZER),
        ("13900000003", Role.JUDGE),
    ):
        assert user(mobile).role_organization_ids(role) == {organizations.ROOT_ID}
    assert user("13900000001").is_admin


def test_the_wuhu_unions_year_is_the_seeds_81_mixers_and_near_5000_attendances(demo, clock):
    """As the statistics count it: mixers of the union and everything below it that started in
    the last twelve months and have ended; attendances are confirmed registrations checked in."""
    now = clock.now
    held = [m for m in wuhu_mixers() if now - YEAR <= m.starts_at and m.ends_at <= now]
    assert len(held) == 81
    assert len(history(now)) == HISTORY_MIXERS
    hosts = {m.organization_id for m in held}
    assert len(hosts) >= 5  # the city union, its service point and enterprise unions
    attendances = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id.in_([m.id for m in held]),
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.checked_in_at.is_not(None),
        )
    )
    assert 4_800 <= attendances < 5_000
    registered = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id.in_([m.id for m in held])
        )
    )
    assert attendances < registered < attendances * 1.1  # a few no-shows
    people = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Registration.user_id))).where(
            Registration.event_id.in_([m.id for m in held]),
            Registration.checked_in_at.is_not(None),
        )
    )
    assert 0.8 * attendances < people < attendances  # some came more than once

    # The mixers' statistics (tallies for the purged, live counts for the others) agree.
    closed, in_window = stats.closed_mixers(now)
    counted = [c for starts_at, c in stats.mixer_counts([m.id for m in held if m.id in closed])]
    assert len(counted) == 80 and in_window == 1  # yesterday's mixer: its window is open
    assert 4_800 <= sum(c["attendees"] for c in counted) < 5_000
    matches = sum(c["matches"] for c in counted)
    accepted = sum(c["introductions_accepted"] for c in counted)
    assert 400 < matches < 900
    assert 79 <= accepted <= 3 * 79
    matched = sum(c["matched_members"] for c in counted)
    assert 0.1 < matched / sum(c["attendees"] for c in counted) < 0.5


def test_the_history_keeps_the_exchanges_privacy_rules(demo, clock):
    now = clock.now
    days = mixers.retention_days()
    past = history(now)
    ids = [m.id for m in past]
    for mixer in past:
        win = mixers.window_of(mixer)
        # Every window closed and every introduction period over: nothing left to mark, ask,
        # answer or be told.
        assert rules.window_state(win, now) == rules.WindowState.OVER
        purged = rules.purge_due(win.closes_at, days, now)
        marks = db.session.scalars(sa.select(Mark).where(Mark.event_id == mixer.id)).all()
        tally = db.session.get(MixerTally, mixer.id)
        if purged:
            # The retention purge ran: counts kept, marks gone, matches stored.
            assert not marks and tally is not None and tally.attendees > 0
        else:
            assert marks and tally is None
        # Marks were made in the window only.
        assert all(win.opens_at <= m.created_at < win.closes_at for m in marks)
        # Only accepted introductions remain, sent after the close and answered in time.
        for request in db.session.scalars(
            sa.select(IntroductionRequest).where(IntroductionRequest.event_id == mixer.id)
        ):
            assert request.accepted_at is not None and request.declined_at is None
            assert win.closes_at <= request.sent_at < request.accepted_at < request.expires_at
            assert request.accepted_at < win.introductions_until

    # Every match (stored, or two marks) joins two checked-in attendees of the other gender,
    # each with a number and a card, at a mixer whose matches are revealed by now.
    low, high = aliased(User), aliased(User)
    stored = db.session.execute(
        sa.select(Match, low.gender, high.gender)
        .join(low, low.id == Match.user_low_id)
        .join(high, high.id == Match.user_high_id)
        .where(Match.event_id.in_(ids))
    ).all()
    assert stored
    for match, low_gender, high_gender in stored:
        assert {low_gender, high_gender} == {Gender.MALE, Gender.FEMALE}
        assert match.hidden_at is None and match.matched_at <= now
        for user_id in (match.user_low_id, match.user_high_id):
            profile = mixers.profile_of(db.session.get(Event, match.event_id), user_id)
            assert profile is not None and profile.card is not None
    introductions = [m for m, _, _ in stored if m.source == MatchSource.INTRODUCTION]
    accepted = db.session.scalar(
        sa.select(sa.func.count(IntroductionRequest.id)).where(
            IntroductionRequest.event_id.in_(ids)
        )
    )
    assert len(introductions) == accepted > 0
    for mixer in past:
        for a, b, _at in mixers.mutual_marks(mixer.id):
            attendees = {
                p.user_id: p
                for p in db.session.scalars(
                    sa.select(MixerProfile).where(MixerProfile.event_id == mixer.id)
                )
            }
            assert a in attendees and b in attendees
            assert db.session.get(User, a).gender != db.session.get(User, b).gender
    # Every attendee checked in, declared single and got a number once; none was left out.
    profiles = db.session.scalar(
        sa.select(sa.func.count(MixerProfile.id)).where(MixerProfile.event_id.in_(ids))
    )
    checked_in = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id.in_(ids),
            Registration.checked_in_at.is_not(None),
            Registration.single_declared_at.is_not(None),
        )
    )
    assert profiles == checked_in


def test_the_scheduler_finds_nothing_to_send_or_purge_in_the_history(demo, clock):
    """The next tick after a load sends no notice about the history and purges none of it."""
    ids = [m.id for m in history(clock.now)]
    marks_before = db.session.scalar(
        sa.select(sa.func.count()).select_from(Mark).where(Mark.event_id.in_(ids))
    )
    jobs.run_mixer_jobs(clock.now)
    assert not db.session.scalar(
        sa.select(sa.func.count()).select_from(SentNotice).where(SentNotice.event_id.in_(ids))
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Mark).where(Mark.event_id.in_(ids))
        )
        == marks_before
    )


def test_history_attendees_sign_in_with_the_demo_password_and_the_range_is_printed(demo):
    first = user(str(FIRST_MOBILE))
    assert first.check_password("demo12345")
    last = db.session.scalar(
        sa.select(sa.func.max(User.mobile)).where(User.mobile >= str(FIRST_MOBILE))
    )
    assert f"{FIRST_MOBILE}-{last}" in demo.output
    assert "79 more mixers" in demo.output


def test_a_second_load_changes_no_organization_or_history(demo, runner, clock):
    def counts():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Organization, UserRole, Event, Registration, Mark, Match, MixerTally)
        }

    before = counts()
    root_name = organizations.root().name
    clock.advance(hours=1)
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert counts() == before
    assert organizations.root().name == root_name
    assert "13900000007" in again.output
