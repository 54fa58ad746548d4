"""A union's statistics (the pure rules: test_statistics_rules.py): the figures of
a scenario built below (page and XLSX, checked number by number), who may read them, and the
mixers' rule that nothing counts while an exchange window is open.

The clock is 2026-11-01 02:00 UTC (10:00 in Asia/Shanghai). The tree: root → 安徽省总工会 (P) →
芜湖市总工会 (A) → 镜湖区总工会 (A1); P → 合肥市总工会 (B). Events of 2026 below P:

- a sports meet at A1 in March: 6 registrations, 5 confirmed (one of them served from the
  waitlist), 4 checked in; 2 teams, 3 entries;
- a competition at B in June: 3 contestants, all checked in (one of them was at the meet too);
  its last round published with percentage tiers 34 % and 50 %, rounded half up (1 and 2);
- a mixer at P itself in May, purged long ago: its tally says 40 participants, 8 matches, 14
  members with a match, 2 introductions accepted;
- a mixer at A that ended an hour ago (window of 72 h still open): 6 attendees, one mutual pair.
Not counted: a draft at A, a meet at A next week, an event at the root (outside P), a meet at A
in 2025 (another year).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from eventsite.accounts.models import UserRole
from eventsite.competitions.models import AwardBasis, AwardRounding, AwardTier, Round
from eventsite.events.models import EventKind, EventStatus
from eventsite.events.models import RegistrationStatus as S
from eventsite.extensions import db
from eventsite.mixers.models import MixerSettings, MixerTally
from eventsite.organizations import service as organizations
from eventsite.organizations.models import OrganizationLevel
from eventsite.sportsmeet.models import Entry, Item
from tests.factories import make_event, make_registration, make_user
from tests.mixer_factories import attend, make_mixer, mark

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- The scenario --------------------------------------------------------------------------------


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def held_event(organization, kind, start: datetime, **fields):
    return make_event(
        kind=kind,
        organization_id=organization.id,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        registration_opens_at=start - timedelta(days=30),
        registration_closes_at=start - timedelta(days=1),
        **fields,
    )


def grant(user, role, organization):
    db.session.add(UserRole(user_id=user.id, role=role, organization_id=organization.id))
    db.session.flush()
    return user


@pytest.fixture
def tree(app, clock):
    root = organizations.root()
    p = organizations.create(
        root, "安徽省总工会", short_name="省总", level=OrganizationLevel.PROVINCE
    )
    a = organizations.create(p, "芜湖市总工会", short_name="芜湖", level=OrganizationLevel.CITY)
    a1 = organizations.create(
        a, "镜湖区总工会", short_name="镜湖", level=OrganizationLevel.DISTRICT
    )
    b = organizations.create(p, "合肥市总工会", short_name="合肥", level=OrganizationLevel.CITY)
    db.session.commit()
    return {"root": root, "p": p, "a": a, "a1": a1, "b": b}


@pytest.fixture
def scenario(tree):
    p, a, a1, b = tree["p"], tree["a"], tree["a1"], tree["b"]
    u1, *others = [make_user(name=f"会员{i}") for i in range(1, 9)]
    u2, u3, u4, u5, u6, u7, u8 = others

    meet = held_event(a1, EventKind.SPORTSMEET, local(2026, 3, 10, 9), teams=["一队", "二队"])
    for user in (u1, u2, u3):
        make_registration(meet, user, status=S.CONFIRMED, checked_in_at=meet.starts_at)
    make_registration(meet, u4, status=S.CONFIRMED)
    make_registration(meet, u5, status=S.CANCELLED)
    served = make_registration(meet, u6, status=S.CONFIRMED, checked_in_at=meet.starts_at)
    served.waitlisted_at = meet.starts_at - timedelta(days=5)
    item = Item(event_id=meet.id, name="拔河", result_type="match")
    db.session.add(item)
    db.session.flush()
    db.session.add_all(
        [
            Entry(item_id=item.id, team_id=meet.teams[0].id),
            Entry(item_id=item.id, team_id=meet.teams[1].id),
            Entry(item_id=item.id, team_id=meet.teams[1].id),
        ]
    )

    contest = held_event(b, EventKind.COMPETITION, local(2026, 6, 20, 9))
    for user in (u1, u7, u8):
        make_registration(contest, user, status=S.CONFIRMED, checked_in_at=contest.starts_at)
    final = Round(
        event_id=contest.id,
        name="决赛",
        award_basis=AwardBasis.PERCENT,
        award_rounding=AwardRounding.HALF_UP,
        published_at=contest.ends_at,
    )
    db.session.add(final)
    db.session.flush()
    db.session.add_all(
        [
            AwardTier(round_id=final.id, name="一等奖", size=Decimal("34"), position=0),
            AwardTier(round_id=final.id, name="二等奖", size=Decimal("50"), position=1),
        ]
    )

    purged = held_event(p, EventKind.MIXER, local(2026, 5, 20, 14))
    db.session.add(MixerSettings(event_id=purged.id, window_hours=72))
    db.session.add(
        MixerTally(
            event_id=purged.id,
            attendees=40,
            markers=30,
            matches=8,
            matched_members=14,
            introductions_accepted=2,
        )
    )

    mixer = make_mixer(ended_ago=timedelta(hours=1))
    mixer.event.organization_id = a.id
    men = [attend(mixer, gender="male") for _ in range(3)]
    women = [attend(mixer, gender="female") for _ in range(3)]
    mark(mixer, men[0], women[0])
    mark(mixer, women[0], men[0])
    mark(mixer, men[1], women[2])  # one-sided

    held_event(a, EventKind.SPORTSMEET, local(2026, 4, 1, 9), status=EventStatus.DRAFT)
    upcoming = held_event(a, EventKind.SPORTSMEET, local(2026, 11, 8, 9))
    make_registration(upcoming, u2, status=S.CONFIRMED)
    outside = held_event(tree["root"], EventKind.SPORTSMEET, local(2026, 7, 1, 9))
    make_registration(outside, u3, status=S.CONFIRMED, checked_in_at=outside.starts_at)
    last_year = held_event(a, EventKind.SPORTSMEET, local(2025, 8, 1, 9))
    make_registration(last_year, u4, status=S.CONFIRMED, checked_in_at=last_year.starts_at)
    db.session.commit()
    return tree


def page(client, organization, **args):
    return client.get(f"/organizations/{organization.id}/statistics", query_string=args)


def workbook(client, organization, **args):
    response = client.get(f"/organizations/{organization.id}/statistics.xlsx", query_string=args)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def rows_of(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def by_first(rows: list[list]) -> dict:
    return {row[0]: row[1:] for row in rows if row and row[0] is not None}


def test_the_province_workbook_adds_up_the_scenario(client, auth, scenario, clock):
    admin = grant(make_user(name="省管理员"), "admin", scenario["p"])
    db.session.commit()
    auth.become(admin)
    clock.advance(hours=72)  # the Wuhu mixer's window has closed
    book = workbook(client, scenario["p"])
    assert book.sheetnames == [
        "合计",
        "按月统计",
        "按下级组织",
        "鹊桥联谊",
        "技能竞赛",
        "趣味运动会",
        "工会活动",
        "活动反馈",
    ]

    totals = {row[0]: row[1] for row in rows_of(book["合计"])[2:]}
    assert totals["举办活动数"] == 4
    assert totals["报名人次"] == 15
    assert totals["参与人数（去重）"] == 12
    assert totals["确认人数"] == 14
    assert totals["签到人数"] == 13
    assert totals["签到率"] == "92.9%"
    assert totals["缺席率"] == "7.1%"
    assert totals["候补递补人数"] == 1
    assert totals["联谊活动场次"] == 2
    assert totals["联谊活动参加人数"] == 46
    assert totals["配对成功对数"] == 9
    assert totals["配对成功人数"] == 16
    assert totals["配对率"] == "34.8%"
    # Masked in the totals too: with one mixer in a sub-organization, a total would give it away.
    assert totals["牵线成功数"] == "<5"
    assert totals["竞赛参赛人数"] == 3
    assert totals["获奖名额：一等奖"] == 1
    assert totals["获奖名额：二等奖"] == 2
    assert totals["运动会参赛队数"] == 2
    assert totals["运动会报项数"] == 3

    months = by_first(rows_of(book["按月统计"])[2:])
    assert [months[f"{m}月"][0] for m in range(1, 13)] == [0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0]
    assert months["3月"][:3] == [1, 6, 4]
    assert months["11月"][8:] == [1, 6, "<5", "<5", "<5", 0]

    units = by_first(rows_of(book["按下级组织"])[2:])
    assert list(units) == ["省总（本级活动）", "合肥", "芜湖"]
    assert units["省总（本级活动）"][:2] == [1, 0]
    assert units["省总（本级活动）"][8:] == [1, 40, 8, 14, "35.0%", "<5"]
    assert units["芜湖"][:3] == [2, 12, 10]
    assert units["芜湖"][8:] == [1, 6, "<5", "<5", "<5", 0]
    assert units["合肥"][:3] == [1, 3, 3]
    assert units["合肥"][8:] == [0, 0, 0, 0, "—", 0]

    meets = by_first(rows_of(book["趣味运动会"])[2:])
    assert meets["全年"][:5] == [1, 6, 4, 5, 4]
    assert meets["全年"][7] == 1


def test_nothing_of_an_open_window_counts(client, auth, scenario, clock):
    admin = grant(make_user(name="省管理员"), "admin", scenario["p"])
    db.session.commit()
    auth.become(admin)
    before = page(client, scenario["p"]).get_data(as_text=True)
    assert "1 场联谊活动已结束，但联系方式交换仍在进行" in before
    totals = {row[0]: row[1] for row in rows_of(workbook(client, scenario["p"])["合计"])[2:]}
    assert totals["联谊活动场次"] == 1  # the purged one only
    assert totals["配对成功对数"] == 8
    # The general figures count the mixer as held all the same (its attendance is final).
    assert totals["举办活动数"] == 4


def test_the_city_sees_its_subtree_only_and_a_year_before(client, auth, scenario, clock):
    organizer = grant(make_user(name="芜湖组织者"), "organizer", scenario["a"])
    db.session.commit()
    auth.become(organizer)
    clock.advance(hours=72)
    totals = {row[0]: row[1] for row in rows_of(workbook(client, scenario["a"])["合计"])[2:]}
    assert totals["举办活动数"] == 2
    assert totals["报名人次"] == 12
    units = by_first(rows_of(workbook(client, scenario["a"])["按下级组织"])[2:])
    assert list(units) == ["芜湖（本级活动）", "镜湖"]
    last = {
        row[0]: row[1] for row in rows_of(workbook(client, scenario["a"], year=2025)["合计"])[2:]
    }
    assert last["举办活动数"] == 1
    assert last["签到率"] == "100.0%"
    response = page(client, scenario["a"], year="2025")
    assert response.status_code == 200
    assert '<option value="2025" selected>' in response.get_data(as_text=True)
    # A year out of range, or no year at all, is this year.
    for asked in ("1999", "x"):
        body = page(client, scenario["a"], year=asked).get_data(as_text=True)
        assert '<option value="2026" selected>' in body


def test_the_page_has_its_charts_and_their_numbers_as_tables(client, auth, scenario, clock):
    admin = grant(make_user(name="省管理员"), "admin", scenario["p"])
    db.session.commit()
    auth.become(admin)
    clock.advance(hours=72)
    body = page(client, scenario["p"]).get_data(as_text=True)
    assert body.count('<svg class="bar-chart"') == 2
    assert "每月举办活动数（2026年）" in body
    assert "<script" not in body.split("<svg", 1)[1].split("</svg>")[0]
    assert "<table" in body and '<td data-label="配对率">&lt;5</td>' in body
    assert "安徽省总工会" in body and "芜湖" in body and "合肥" in body
    assert "显示为「&lt;5」" in body  # the mask is text, escaped like any value
    # The figures are counts: no member's name shows.
    assert "会员1" not in body


@pytest.mark.parametrize(
    ("who", "where", "status"),
    [
        ("admin", "p", 200),  # its own
        ("admin", "root", 200),  # above
        ("organizer", "a", 200),  # an organizer of the city itself
        ("organizer", "p", 403),  # the city's organizer does not see the province …
        ("organizer_b", "a", 403),  # … nor a sibling city
        ("member", "p", 403),
    ],
)
def test_who_reads_which_statistics(client, auth, scenario, who, where, status):
    granted_on = {"admin": "p", "organizer": "a", "organizer_b": "b"}
    user = make_user(name="某人")
    if who in granted_on:
        grant(
            user, "organizer" if who.startswith("organizer") else "admin", scenario[granted_on[who]]
        )
    db.session.commit()
    auth.become(user)
    target = scenario[where] if where != "root" else scenario["root"]
    if who == "admin" and where == "root":
        # The province's admin does not see the root; the root's admin sees the province.
        assert page(client, target).status_code == 403
        root_admin = grant(make_user(name="平台管理员"), "admin", scenario["root"])
        db.session.commit()
        auth.become(root_admin)
        target = scenario["p"]
    assert page(client, target).status_code == status
    xlsx = client.get(f"/organizations/{target.id}/statistics.xlsx")
    assert xlsx.status_code == status


def test_an_unknown_organization_is_not_found(client, auth, tree):
    auth.become(grant(make_user(), "admin", tree["root"]))
    assert page(client, type("O", (), {"id": 999999})).status_code == 404
    assert client.get("/organizations/99999999999999/statistics").status_code == 404
