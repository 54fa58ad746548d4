"""`flask demo load`: the seed page's events, the demo accounts, and a second run that changes
nothing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from markupsafe import escape

from eventsite.accounts.models import Role, User, UserRole
from eventsite.core.models import AuditEntry
from eventsite.core.time import to_local
from eventsite.demo import (
    COMPETITION_TITLE,
    DEMO_PASSWORD,
    MEET_ITEMS,
    SPORTSMEET_TITLE,
)
from eventsite.demo_activities import CARE_DAY_SPREAD
from eventsite.demo_history import FIRST_MOBILE as HISTORY_FIRST_MOBILE
from eventsite.demo_history import HISTORY_MIXERS
from eventsite.events import roster, service
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
from eventsite.mixers.models import IntroductionRequest, Mark, MixerProfile, MixerTally
from eventsite.mixers.models import Match as MixerMatch
from eventsite.organizations.models import Organization, OrganizationLink
from eventsite.sportsmeet import service as meet_service
from eventsite.sportsmeet.models import (
    Captain,
    Entry,
    EntryMember,
    Heat,
    Item,
    ItemReferee,
    Lane,
    Match,
    MeetSettings,
    Result,
)


def load(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result


def event_titled(title: str) -> Event:
    return db.session.scalars(sa.select(Event).where(Event.title == title)).one()


def upcoming_mixer() -> Event:
    """The Wuhu mixer of the seed page (its title carries the year of its date)."""
    return db.session.scalars(
        sa.select(Event).where(Event.kind == EventKind.MIXER, Event.description.like("%篝火晚会%"))
    ).one()


def registrations(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id))
    )


MEET_MODELS = (MeetSettings, Captain, Item, ItemReferee, Entry, EntryMember, Heat, Lane)


def row_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (
            User,
            UserRole,
            Event,
            EventOrganizer,
            Team,
            Track,
            Registration,
            *MEET_MODELS,
            Result,
            Match,
            Organization,
            OrganizationLink,
            MixerProfile,
            MixerTally,
            Mark,
            MixerMatch,
            IntroductionRequest,
        )
    }


def in_locale(function, *args) -> str:
    """What `function` says in the app's default language, as a page would show it."""
    with (
        current_app.test_request_context(),
        force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]),
    ):
        return str(escape(function(*args)))


def meet_items(meet: Event) -> list[Item]:
    return meet_service.items_of(meet)


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
        "13900000005": {Role.MEMBER, Role.ORGANIZER},
        "13900000006": {Role.MEMBER, Role.ORGANIZER},
        "13900000007": {Role.MEMBER, Role.ORGANIZER},
    }
    assert all(user.check_password(DEMO_PASSWORD) for user in accounts.values())
    for mobile in accounts:
        assert mobile in demo.output
    assert DEMO_PASSWORD in demo.output


def test_demo_organizer_organises_every_published_event_but_the_history(demo):
    """The seed's three events, the two earlier Wuhu mixers, the courier care day and the lecture
    are hers; the Wuhu union's year of history is its own organizer's
    (tests/test_demo_organizations.py)."""
    organizer = db.session.scalars(sa.select(User).where(User.mobile == "13900000002")).one()
    wuhu = db.session.scalars(sa.select(User).where(User.mobile == "13900000006")).one()
    events = db.session.scalars(sa.select(Event)).all()
    history = [event for event in events if event.organizer_ids == {wuhu.id}]
    events = [event for event in events if event not in history]
    assert len(events) == 7 and len(history) == HISTORY_MIXERS
    assert {event.kind for event in events} == set(EventKind)
    for event in events:
        assert event.status == EventStatus.PUBLISHED
        assert event.organizer_ids == {organizer.id}
        assert event.created_by_id == organizer.id


def test_mixer_has_30_men_and_30_women_declared_single_and_room_for_more(demo, clock):
    mixer = upcoming_mixer()
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
    mixer = upcoming_mixer()
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


def test_sportsmeet_is_full_closed_and_under_way_today(demo, clock):
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
    # Under way since a few hours ago, on for a few more; registration closed days before.
    assert timedelta(hours=3) < clock.now - meet.starts_at <= timedelta(hours=4)
    assert timedelta(hours=2) < meet.ends_at - clock.now <= timedelta(hours=3)
    assert to_local(meet.starts_at).date() == to_local(clock.now).date()
    assert all(row.registered_at < meet.registration_closes_at for row in rows)
    assert meet.registration_closes_at < meet.starts_at
    assert not meet.registration_open(clock.now)


def test_a_newcomer_cannot_register_any_more_but_watches_the_live_standings(
    demo, clock, client, auth
):
    meet = event_titled(SPORTSMEET_TITLE)
    newcomer = db.session.scalars(sa.select(User).where(User.mobile == "13900000004")).one()

    with pytest.raises(service.RegistrationError):
        service.register(meet, newcomer, team_id=meet.teams[0].id)
    db.session.rollback()

    assert auth.login(newcomer, DEMO_PASSWORD).status_code == 302
    page = client.get(f"/events/{meet.id}/meet").get_data(as_text=True)
    table = page[page.index('class="standings-table"') : page.index("</table>")]
    assert table.index("站前社区队") < table.index("铁锋社区队") < table.index("龙华社区队")
    assert table.index("龙华社区队") < table.index("光荣社区队")
    assert "item-in_progress" in page and page.count("item-final") == 5
    # A newcomer has no duties: no referee or captain buttons.
    assert "/referee" not in page and "/entries" not in page


def test_the_meet_has_the_seeds_eight_items_all_refereed_by_the_demo_judge(demo):
    meet = event_titled(SPORTSMEET_TITLE)
    items = meet_items(meet)
    judge = db.session.scalars(sa.select(User).where(User.mobile == "13900000003")).one()
    assert [(i.name, i.result_type) for i in items] == [
        ("骑毛毛虫竞速", "time"),
        ("双人背夹球跑", "time"),
        ("同心协力运球", "time"),
        ("拔河", "head_to_head"),
        ("车轮滚滚", "time"),
        ("集体跳长绳", "count"),
        ("接力夹球", "count"),
        ("定点投篮", "count"),
    ]
    assert [i.name for i in items] == [spec.name for spec in MEET_ITEMS]
    assert all({link.user_id for link in i.referees} == {judge.id} for i in items)
    assert [i.id for i in meet_service.refereed_items(judge)] == [i.id for i in items]
    by_name = {i.name: i for i in items}
    assert by_name["拔河"].match_format == "knockout"
    assert by_name["接力夹球"].multiplier == Decimal(2)
    assert {i.name for i in items if i.multiplier != 1} == {"接力夹球"}
    assert [i.name for i in items if i.individual] == ["定点投篮"]
    starts = [i.starts_at for i in items]
    assert starts == sorted(starts) and starts[0] == meet.starts_at
    assert meet.starts_at < starts[5] < starts[6] < meet.ends_at


def test_every_team_entered_every_item_within_its_rules_before_the_lock(demo, clock):
    meet = event_titled(SPORTSMEET_TITLE)
    items = meet_items(meet)
    settings = meet_service.settings_of(meet)
    assert settings.entries_lock_at < meet.starts_at
    assert settings.per_person_limit == 2
    assert settings.points_table == "5,3,2,1"
    for team in meet.teams:
        sheet = meet_service.team_sheet(meet, team)
        assert sheet.locked and sheet.problems == []
        assert len(meet_service.captains_by_team(meet)[team.id]) == 1
        for item in items:
            entries = db.session.scalars(
                sa.select(Entry).where(Entry.item_id == item.id, Entry.team_id == team.id)
            ).all()
            if item.individual:
                assert [len(e.members) for e in entries] == [1, 1, 1], item.name
            else:
                assert [len(e.members) for e in entries] == [item.max_members], item.name
                women = sum(m.registration.user.gender == "female" for m in entries[0].members)
                assert women >= item.min_women, item.name
            people = {m.registration.team_id for e in entries for m in e.members}
            assert people == {team.id}
    entered = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "meet.entries"))
    assert len(entered.all()) == 4
    assert all(
        entry.created_at < settings.entries_lock_at
        for entry in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "meet.entries")
        )
    )


def test_five_items_are_final_the_sixth_in_progress_and_standings_live(demo, clock):
    meet = event_titled(SPORTSMEET_TITLE)
    board = meet_service.load_board(meet)
    status = {placed.item.name: placed.status for placed in board.items}
    assert status == {
        "骑毛毛虫竞速": "final",
        "双人背夹球跑": "final",
        "同心协力运球": "final",
        "拔河": "final",
        "车轮滚滚": "final",
        "集体跳长绳": "in_progress",
        "接力夹球": "not_started",
        "定点投篮": "not_started",
    }
    # Every item is drawn, so the referee can go on at once.
    assert all(placed.heats or placed.matches for placed in board.items)
    (rope,) = [p for p in board.items if p.item.name == "集体跳长绳"]
    assert len(rope.heats) == 2 and len(rope.results) == 2
    assert {heat_id for heat_id, _entry in rope.results} == {rope.heats[0].id}
    # One pair was disqualified, with the reason given.
    (carry,) = [p for p in board.items if p.item.name == "双人背夹球跑"]
    (dq,) = [line for line in carry.lines if line.outcome == "dq"]
    assert board.team_name(dq.team_id) == "龙华社区队" and dq.points == 0
    standings = [(row.rank, board.team_name(row.team), str(row.points)) for row in board.standings]
    assert standings == [
        (1, "站前社区队", "20"),
        (2, "铁锋社区队", "19"),
        (3, "龙华社区队", "16"),
        (4, "光荣社区队", "7"),
    ]
    # The history was replayed at the times it happened: results came in during the meet.
    entered = db.session.scalars(sa.select(Result.entered_at)).all()
    assert len(entered) == 4 * 4 + 2
    assert all(meet.starts_at < at < clock.now for at in entered)
    assert board.latest[0]["item"] == "集体跳长绳"


def test_the_demo_judge_enters_the_next_heat_and_the_lead_changes(demo, clock, client, auth):
    meet = event_titled(SPORTSMEET_TITLE)
    judge = db.session.scalars(sa.select(User).where(User.mobile == "13900000003")).one()
    (rope,) = [i for i in meet_items(meet) if i.name == "集体跳长绳"]
    board = meet_service.load_board(meet, item_id=rope.id)
    heat = board.items[0].heats[1]
    lanes = board.items[0].lanes[heat.id]
    assert auth.login(judge, DEMO_PASSWORD).status_code == 302
    page = client.get(f"/events/{meet.id}/meet/items/{rope.id}/referee")
    assert page.status_code == 200
    assert f'name="h{heat.id}-rows-0-value"' in page.get_data(as_text=True)

    form = {}
    for n, (entry_id, count) in enumerate(zip(lanes, ("61", "38"), strict=True)):
        form[f"h{heat.id}-rows-{n}-entry_id"] = str(entry_id)
        form[f"h{heat.id}-rows-{n}-value"] = count
        form[f"h{heat.id}-rows-{n}-outcome"] = "ok"
    response = client.post(f"/events/{meet.id}/meet/items/{rope.id}/heats/{heat.id}", data=form)

    assert response.status_code == 303
    data = client.get(f"/events/{meet.id}/meet/standings.json").get_json()
    assert [(row["team"], row["points"]) for row in data["standings"]] == [
        ("铁锋社区队", "24"),
        ("站前社区队", "19"),
        ("龙华社区队", "14"),
        ("光荣社区队", "8"),
    ]


def test_the_meets_audit_log_reads_as_titles_not_codes(demo, client, auth):
    meet = event_titled(SPORTSMEET_TITLE)
    organizer = db.session.scalars(sa.select(User).where(User.mobile == "13900000002")).one()
    written = set(
        db.session.scalars(
            sa.select(AuditEntry.action).where(
                AuditEntry.event_id == meet.id, AuditEntry.action.like("meet.%")
            )
        )
    )
    assert {"meet.settings", "meet.entries", "meet.result_dq", "meet.final"} <= written
    assert auth.login(organizer, DEMO_PASSWORD).status_code == 302

    page = client.get(f"/events/{meet.id}/audit?page=1").get_data(as_text=True)

    assert '<td class="audit-action">meet.' not in page
    assert f'<td class="audit-action">{in_locale(roster.action_title, "meet.final")}</td>' in page


def test_every_meet_action_the_service_writes_has_a_title():
    source = Path(meet_service.__file__).read_text(encoding="utf-8")
    written = set(re.findall(r'"(meet\.[a-z_]+)"', source))
    assert len(written) == 20
    assert written <= set(roster.ACTION_TITLES)
    assert {code for code in roster.ACTION_TITLES if code.startswith("meet.")} == written


def test_the_printout_names_the_meets_referee_and_captains(demo):
    meet = event_titled(SPORTSMEET_TITLE)
    assert "13900000003" in demo.output
    line = next(line for line in demo.output.splitlines() if "referees every item" in line)
    assert "13900000003" in line and f"/events/{meet.id}/meet" in line
    captains = meet_service.captains_by_team(meet)
    for team in meet.teams:
        (captain,) = captains[team.id]
        assert f"captain of {team.name}: {captain.user.mobile}  {captain.user.name}" in demo.output


def test_a_second_load_changes_nothing_and_prints_the_accounts_again(demo, runner, clock):
    before = row_counts()
    # The earlier mixer's exchange adds 23 attendees and the teachers' mixer 15; the demo member
    # attended both. The competition's written round adds 25 judges (five per track).
    # The organizers per level add three accounts; the Wuhu union's year of mixers its members
    # (mobiles from 13900100000) and their registrations.
    history_members = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.mobile >= str(HISTORY_FIRST_MOBILE))
    )
    history_registrations = db.session.scalar(
        sa.select(sa.func.count(Registration.id))
        .join(User, User.id == Registration.user_id)
        .where(User.mobile >= str(HISTORY_FIRST_MOBILE))
    )
    activities = sum(CARE_DAY_SPREAD) + 39  # the care day's couriers, the lecture's others
    assert before["user"] == 4 + 3 + 60 + 72 + 200 + 23 + 15 + 25 + activities + history_members
    assert before["registration"] == 60 + 72 + 200 + 24 + 16 + sum(CARE_DAY_SPREAD) + 40 + (
        history_registrations
    )
    assert before["organization"] == 1 + 29
    assert before["meet_item"] == 8
    assert before["meet_captain"] == 4
    assert before["meet_entry"] == 4 * 7 + 4 * 3
    assert before["meet_heat"] == 1 + 2 + 1 + 1 + 2 + 1 + 2
    assert before["meet_match"] == 4
    assert before["meet_result"] == 18
    audit_before = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))

    clock.advance(hours=1)
    again = load(runner)

    assert row_counts() == before
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == audit_before
    assert "already loaded" in again.output
    assert "13900000004" in again.output and DEMO_PASSWORD in again.output
    assert "13900000003" in again.output and "referees every item" in again.output


@pytest.mark.parametrize(
    ("today", "season"),
    [
        (datetime(2026, 11, 1, 2, 0, tzinfo=UTC), "秋季"),
        (datetime(2026, 12, 28, 2, 0, tzinfo=UTC), "冬季"),
    ],
)
def test_a_year_in_a_demo_title_or_description_is_its_events_own(runner, clock, today, season):
    """Loaded at the end of December, the mixer ten days ahead is next year's and the one that
    ended yesterday this year's: each title says the year (and season) of its own date."""
    clock.now = today
    load(runner)
    dated = []
    for event in db.session.scalars(sa.select(Event)):
        year = str(to_local(event.starts_at).year)
        for text in (event.title, event.description):
            assert set(re.findall(r"(\d{4})年", text)) <= {year}, (event.title, year)
        if re.search(r"\d{4}年", event.title):
            dated.append(event)
    assert len(dated) == 2  # the two Wuhu mixers
    exchange = next(event for event in dated if event.has_ended(clock.now))
    assert f"{to_local(exchange.starts_at).year}年{season}" in exchange.title
