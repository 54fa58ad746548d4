"""`flask demo load`: the seed page's three events as data.

The Workers' Daily page behind this project tells of a Wuhu singles mixer, a national final of
international-trade salespeople in Yantai and a Qiqihar street union's fun sports meet. The demo
builds all three, with their participants, one account per role, and times counted from now so
the demo is always live: the mixer takes registrations, the competition's registration closed
yesterday, and the sports meet is half-way through its day: five items final, the sixth in
progress, the demo judge refereeing every item, so the next result can be entered at once. The
meet's history (settings, captains, entries, draws, results) is replayed through the sports meet
services with the clock set to when each step happened. Two earlier Wuhu mixers show the
exchange after a mixer: one ended last night (its window open, a mark waiting for the demo
member), one four days ago (its window closed, an introduction request waiting for him). The
whole load is one transaction; a second run finds the demo admin and changes nothing.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from eventsite import demo_activities, demo_history, demo_posters
from eventsite.accounts.models import Gender, Role, User, UserRole
from eventsite.accounts.notice import PRIVACY_NOTICE_VERSION
from eventsite.core import time as core_time
from eventsite.core.time import from_local, to_local, utcnow
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
from eventsite.organizations import service as org_service
from eventsite.organizations.models import Organization, OrganizationLevel
from eventsite.sportsmeet import service
from eventsite.sportsmeet.models import Item, Outcome, ResultKind
from eventsite.sportsmeet.rules import parse_time

demo_cli = AppGroup("demo", help="Demo data from the seed stories.")

#: Every demo account, the participants' included, signs in with this. Demo only.
DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    mobile: str
    name: str
    work_unit: str
    gender: str
    age: int
    #: The organization the role is granted on (its name in `DEMO_ORGANIZATIONS`); the root
    #: (中华全国总工会) when empty, so the role holds everywhere.
    organization: str = ""


DEMO_ACCOUNTS = (
    DemoAccount(Role.ADMIN, "13900000001", "陈立新", "芜湖市总工会", Gender.MALE, 45),
    DemoAccount(Role.ORGANIZER, "13900000002", "周文静", "芜湖市总工会市直单位", Gender.FEMALE, 36),
    DemoAccount(Role.JUDGE, "13900000003", "孙建国", "山东省对外经济贸易工会", Gender.MALE, 50),
    # An ordinary member, registered for nothing upcoming, so a newcomer's path can be tried at
    # once; he attended the earlier mixer, whose contact exchange is open.
    DemoAccount(Role.MEMBER, "13900000004", "吴晓宇", "芜湖职业技术学院", Gender.MALE, 29),
    # An organizer per level of the federation: each holds the role on their union and on
    # everything below it, and nowhere else.
    DemoAccount(
        Role.ORGANIZER, "13900000005", "许晓梅", "安徽省总工会", Gender.FEMALE, 42, "安徽省总工会"
    ),
    DemoAccount(
        Role.ORGANIZER, "13900000006", "钱志刚", "芜湖市总工会", Gender.MALE, 38, "芜湖市总工会"
    ),
    DemoAccount(
        Role.ORGANIZER,
        "13900000007",
        "韩冬梅",
        "站前街道总工会",
        Gender.FEMALE,
        47,
        "站前街道总工会",
    ),
)

#: The demo admin's mobile marks the demo as loaded.
MARKER_MOBILE = DEMO_ACCOUNTS[0].mobile

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万钱严武戴"
)
MALE_GIVEN_NAMES = (
    "浩然 子轩 宇航 俊杰 志强 建华 明辉 文博 天宇 嘉豪 晨阳 思远 博文 泽宇 鹏飞 振宇 晓东 海涛 "
    "立新 国栋 伟 磊 涛 超 强 军 斌 凯 鑫 杰 一鸣 承志 子健 少华 永刚"
)
FEMALE_GIVEN_NAMES = (
    "欣怡 梓涵 诗琪 雨桐 佳琪 若曦 婉清 静怡 晓雯 思雨 丽娟 雅婷 梦瑶 慧敏 晓燕 秀英 玉兰 佳慧 "
    "婷 敏 静 丽 芳 娜 颖 琳 倩 雪 璐 蕾 书瑶 清妍 佩玲 嘉欣 若楠"
)
GIVEN_NAMES = {Gender.MALE: MALE_GIVEN_NAMES.split(), Gender.FEMALE: FEMALE_GIVEN_NAMES.split()}

#: The seasons as the titles name them, by month: December to February is winter.
SEASONS = ("冬季", "春季", "夏季", "秋季")


def dated(text: str, moment: datetime) -> str:
    """A title or description with its {year} (and {season}) taken from the event's own date, so
    they agree with the dates whenever the demo is loaded."""
    local = to_local(moment)
    return text.format(year=local.year, season=SEASONS[local.month % 12 // 3])


# (a) The Wuhu mixer.
MIXER_TITLE = "秋遇隅里 一叶知卿——{year}年“皖工鹊桥·会聚良缘”高层次人才联谊交友活动"
MIXER_DESCRIPTION = """\
芜湖市总工会市直单位举办“秋遇隅里 一叶知卿”{year}年“皖工鹊桥·会聚良缘”高层次人才联谊交友活动，\
为市直单位的单身青年人才搭建相识相知的平台。暂别案头忙碌，一起走进秋天。

活动安排（两天）：
第一天 下午集合报到、破冰游戏；晚上篝火晚会。
第二天 上午登山览胜，并肩前行；午餐后自由交流，下午返程。

报名条件：市直单位在职单身职工，年龄22至40周岁，报名时本人声明单身。名额80人，男女各40名，额满为止。

活动结束后，参加者可在平台上标记“想交换联系方式”，双方都同意才交换，不必再托工作人员转达。"""
MIXER_VENUE = "安徽芜湖（集合地点报名成功后通知）"
MIXER_WORK_UNITS = (
    "芜湖职业技术学院",
    "安徽师范大学",
    "安徽工程大学",
    "皖南医学院",
    "芜湖市第一人民医院",
    "芜湖市第二人民医院",
    "芜湖市中医医院",
    "芜湖市第一中学",
    "芜湖市财政局",
    "芜湖市人力资源和社会保障局",
    "芜湖市科学技术局",
    "芜湖市数据资源管理局",
    "芜湖市住房公积金管理中心",
)

# (b) The skills competition final in Yantai.
COMPETITION_TITLE = "第二届国际贸易业务员技能竞赛全国总决赛"
COMPETITION_DESCRIPTION = """\
本次竞赛由中国财贸轻纺烟草工会、中国商业联合会与山东省总工会联合主办，山东省对外经济贸易工会、\
烟台市总工会承办。来自全国各省、自治区、直辖市外经贸系统的12支参赛队、72名选手经过5个多月的选拔，\
在决赛舞台上同台竞技。

赛制：除商务英语之外，新增商务俄语、商务西班牙语、商务法语和商务日语，共5个语种赛道。
内容：新增跨境电商、市场采购与贸易摩擦相关知识的考查。
活动：竞赛期间安排外贸企业展示、交流沙龙、优秀业务员经验分享和劳模宣讲。
奖项：一等奖7名、二等奖13名、三等奖22名。

参赛名单由各参赛队报送、组委会审核确认，报名已截止。"""
COMPETITION_VENUE = "山东烟台"
COMPETITION_TEAMS = (
    "山东",
    "浙江",
    "广东",
    "江苏",
    "上海",
    "北京",
    "天津",
    "福建",
    "辽宁",
    "河南",
    "湖北",
    "四川",
)
#: Tracks with the number of contestants each team sends: English is the largest track.
COMPETITION_TRACKS = (
    ("商务英语", 2),
    ("商务俄语", 1),
    ("商务西班牙语", 1),
    ("商务法语", 1),
    ("商务日语", 1),
)
COMPETITION_EMPLOYERS = (
    "国际贸易有限公司",
    "进出口集团有限公司",
    "对外经济贸易有限公司",
    "跨境电商产业园有限公司",
    "外贸综合服务有限公司",
    "国际经济技术合作有限公司",
)

# (c) The Qiqihar fun sports meet.
SPORTSMEET_TITLE = "站前街道职工趣味运动会"
SPORTSMEET_DESCRIPTION = """\
齐齐哈尔市铁锋区站前街道工会与齐齐哈尔市职工大学联合主办职工趣味运动会，四支社区代表队、\
约200名职工参加。职工大学培训中心的老师把劳动精神、劳模精神、工匠精神融进趣味项目，寓教于乐。

比赛项目（8项）：
1. “骑毛毛虫”竞速
2. 双人背夹球跑
3. 同心协力运球
4. 拔河
5. 车轮滚滚
6. 集体跳长绳
7. 接力夹球（用镊子把乒乓球稳稳夹进队友碗里）
8. 定点投篮

每支代表队限报50人，全场200人。名额已满时报名进入候补名单，有人退出后按报名先后依次递补。"""
SPORTSMEET_VENUE = "齐齐哈尔市职工大学运动场"
SPORTSMEET_TEAMS = ("站前社区队", "铁锋社区队", "龙华社区队", "光荣社区队")
SPORTSMEET_WORK_UNITS = (
    "铁锋区站前街道办事处",
    "站前街道社区卫生服务中心",
    "齐齐哈尔市职工大学",
    "铁锋区市场监督管理所",
    "站前商贸有限公司",
    "铁锋区物业服务中心",
    "站前街道便民服务中心",
    "龙华路小学",
)


# (0) The federation the seed page's unions belong to. The root is the national federation (the
# migration names it 工会; the demo gives it its name); below it the Anhui provincial union with
# the Wuhu city union, its 片区 service point and a few enterprise unions; the provincial unions
# of the competition's twelve teams; and the Qiqihar branch down to the street union whose four
# community unions field the sports meet's teams.


@dataclass(frozen=True)
class DemoOrganization:
    name: str
    short_name: str
    level: OrganizationLevel
    children: tuple[DemoOrganization, ...] = ()
    contact: str = ""


ROOT_NAME = "中华全国总工会"
ROOT_SHORT_NAME = "全总"
HOTLINE = "职工服务热线 12351"
WUHU_UNION = "芜湖市总工会"
STREET_UNION = "站前街道总工会"
#: Where each seed event belongs: the Wuhu mixers to the city union, the national final to the
#: national federation, the sports meet to the street union.
EVENT_UNIONS = {
    EventKind.MIXER: WUHU_UNION,
    EventKind.COMPETITION: ROOT_NAME,
    EventKind.SPORTSMEET: STREET_UNION,
}
#: The provincial union behind each of the competition's teams, in `COMPETITION_TEAMS` order.
COMPETITION_TEAM_UNIONS = tuple(
    f"{province}{'市' if province in ('北京', '天津', '上海') else '省'}总工会"
    for province in COMPETITION_TEAMS
)
#: The community union behind each of the sports meet's teams, in `SPORTSMEET_TEAMS` order.
SPORTSMEET_TEAM_UNIONS = tuple(team.removesuffix("队") + "工会" for team in SPORTSMEET_TEAMS)

Level = OrganizationLevel
WUHU = DemoOrganization(
    WUHU_UNION,
    "芜湖市总",
    Level.CITY,
    (
        DemoOrganization(
            "镜湖区范罗山片区工会服务站",
            "范罗山片区",
            Level.SERVICE_POINT,
            (
                DemoOrganization(
                    "芜湖江城汽车零部件有限公司工会", "江城汽配工会", Level.ENTERPRISE
                ),
                DemoOrganization("芜湖长江港航物流有限公司工会", "港航物流工会", Level.ENTERPRISE),
            ),
            contact="镜湖区范罗山街道 片区服务站",
        ),
        DemoOrganization("芜湖职业技术学院工会", "芜职院工会", Level.ENTERPRISE),
        DemoOrganization("皖南医学院工会", "皖南医学院工会", Level.ENTERPRISE),
        DemoOrganization("芜湖市第一人民医院工会", "市一院工会", Level.ENTERPRISE),
    ),
    contact=HOTLINE,
)
DEMO_ORGANIZATIONS = (
    DemoOrganization("安徽省总工会", "安徽省总", Level.PROVINCE, (WUHU,), contact=HOTLINE),
    *(
        DemoOrganization(name, name.removesuffix("总工会") + "总", Level.PROVINCE)
        for name in COMPETITION_TEAM_UNIONS
    ),
    DemoOrganization(
        "黑龙江省总工会",
        "黑龙江省总",
        Level.PROVINCE,
        (
            DemoOrganization(
                "齐齐哈尔市总工会",
                "齐齐哈尔市总",
                Level.CITY,
                (
                    DemoOrganization(
                        "铁锋区总工会",
                        "铁锋区总",
                        Level.DISTRICT,
                        (
                            DemoOrganization(
                                STREET_UNION,
                                "站前街道总工会",
                                Level.STREET,
                                tuple(
                                    DemoOrganization(name, name, Level.COMMUNITY)
                                    for name in SPORTSMEET_TEAM_UNIONS
                                ),
                            ),
                        ),
                    ),
                    DemoOrganization("齐齐哈尔市职工大学", "市职工大学", Level.OTHER),
                ),
            ),
        ),
        contact=HOTLINE,
    ),
)


def build_organizations() -> dict[str, Organization]:
    """Name the root and create the tree below it; returns every organization by name."""
    root = org_service.root()
    root.name, root.short_name, root.contact = ROOT_NAME, ROOT_SHORT_NAME, HOTLINE
    made = {root.name: root}

    def add(parent: Organization, spec: DemoOrganization) -> None:
        organization = org_service.create(
            parent, spec.name, short_name=spec.short_name, level=spec.level, contact=spec.contact
        )
        made[spec.name] = organization
        for child in spec.children:
            add(organization, child)

    for spec in DEMO_ORGANIZATIONS:
        add(root, spec)
    return made


@dataclass
class Participant:
    """A demo member to create and register: their account fields and their arrival time."""

    name: str
    gender: str
    birth_year: int
    work_unit: str
    registered_at: datetime
    team: Team | None = None
    track: Track | None = None


def at_local(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """The UTC moment of hh:mm local time, `days` days from today's local date."""
    day = to_local(now).date() + timedelta(days=days)
    return from_local(datetime.combine(day, time(hour, minute)))


def spread(start: datetime, end: datetime, count: int) -> Iterator[datetime]:
    """`count` moments evenly spaced strictly between `start` and `end`, earliest first."""
    step = (end - start) / (count + 1)
    for i in range(1, count + 1):
        yield (start + step * i).replace(microsecond=0)


def person(rng: random.Random, gender: str) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES[gender])


def is_loaded() -> bool:
    """The demo admin exists, so the demo was loaded before."""
    return db.session.scalar(sa.select(User.id).where(User.mobile == MARKER_MOBILE)) is not None


def load(now: datetime) -> tuple[list[tuple[Event, int]], demo_history.Loaded]:
    """Create the organizations, the demo accounts, the three events and their registrations,
    the earlier Wuhu mixers and the Wuhu union's year of history; flush, don't commit."""
    # One hash (one salt) for all 336 demo accounts: hashing each would take tens of seconds,
    # and these accounts share a published password anyway.
    password_hash = generate_password_hash(DEMO_PASSWORD)
    year = to_local(now).year
    organizations = build_organizations()
    staff = {}
    level_organizers = {}
    for account in DEMO_ACCOUNTS:
        user = User(
            name=account.name,
            mobile=account.mobile,
            work_unit=account.work_unit,
            gender=account.gender,
            birth_year=year - account.age,
            password_hash=password_hash,
            created_at=now - timedelta(days=30),
        )
        if account.role != Role.MEMBER:
            held_on = organizations[account.organization or ROOT_NAME]
            user.role_grants = [
                UserRole(
                    role=account.role,
                    organization_id=held_on.id,
                    granted_at=now - timedelta(days=30),
                )
            ]
        if account.organization:
            level_organizers[account.organization] = user
        else:
            staff[account.role] = user
    db.session.add_all([*staff.values(), *level_organizers.values()])
    db.session.flush()
    organizer = staff[Role.ORGANIZER]

    loaded = []
    for build, first_mobile in (
        (mixer, 13900001000),
        (competition, 13900002000),
        (sportsmeet, 13900003000),
    ):
        event, participants, confirm_delay = build(now, organizer, random.Random(first_mobile))
        event.organization_id = organizations[EVENT_UNIONS[event.kind]].id
        register_all(event, participants, first_mobile, password_hash, confirm_delay)
        loaded.append((event, len(participants)))
        if event.kind == EventKind.SPORTSMEET:
            meet_day(event, organizer, staff[Role.JUDGE])
        if event.kind == EventKind.COMPETITION:
            competition_scoring(now, event, organizer, staff[Role.JUDGE], password_hash)
    for earlier in (mixer_exchange, mixer_introductions):
        event, attended = earlier(now, organizer, staff[Role.MEMBER], password_hash)
        event.organization_id = organizations[WUHU_UNION].id
        loaded.append((event, attended))
    activities = demo_activities.load(
        now, organizer, staff[Role.MEMBER], organizations, password_hash, person
    )
    for event in (activities.care_day, activities.lecture):
        loaded.append(
            (
                event,
                db.session.scalar(
                    sa.select(sa.func.count(Registration.id)).where(
                        Registration.event_id == event.id
                    )
                ),
            )
        )
    # Each event of the seed's stories gets its poster; the year of past mixers keeps the
    # kind's default cover.
    demo_posters.give_posters(event for event, _count in loaded)
    history = demo_history.load_history(
        now,
        level_organizers[WUHU_UNION],
        {spec.name: organizations[spec.name] for spec in demo_history.hosts(WUHU)},
        password_hash,
    )
    # Every demo account signed up through the site, so each accepted the notice as it joined.
    db.session.execute(
        sa.update(User)
        .where(User.privacy_version.is_(None))
        .values(privacy_version=PRIVACY_NOTICE_VERSION, privacy_accepted_at=User.created_at)
    )
    return loaded, history


def publish(organizer: User, event: Event, teams=(), tracks=()) -> Event:
    """Save `event` as published by `organizer` a few days before its registration opened."""
    event.status = EventStatus.PUBLISHED
    event.created_by_id = organizer.id
    event.created_at = event.updated_at = event.published_at = (
        event.registration_opens_at - timedelta(days=3)
    )
    event.organizers = [EventOrganizer(user_id=organizer.id, added_at=event.created_at)]
    event.teams = [Team(name=name, position=i) for i, name in enumerate(teams)]
    event.tracks = [Track(name=name, position=i) for i, name in enumerate(tracks)]
    db.session.add(event)
    db.session.flush()
    return event


def register_all(
    event: Event,
    participants: Sequence[Participant],
    first_mobile: int,
    password_hash: str,
    confirm_delay: timedelta,
) -> None:
    """Create each participant's account and confirmed registration, in bulk-friendly batches."""
    users = [
        User(
            name=p.name,
            mobile=str(first_mobile + i),
            work_unit=p.work_unit,
            gender=p.gender,
            birth_year=p.birth_year,
            password_hash=password_hash,
            created_at=p.registered_at - timedelta(minutes=10),
        )
        for i, p in enumerate(participants)
    ]
    db.session.add_all(users)
    db.session.flush()
    mixer_event = event.kind == EventKind.MIXER
    db.session.add_all(
        Registration(
            event_id=event.id,
            user_id=user.id,
            status=RegistrationStatus.CONFIRMED,
            team_id=p.team.id if p.team else None,
            track_id=p.track.id if p.track else None,
            single_declared_at=p.registered_at if mixer_event else None,
            registered_at=p.registered_at,
            status_changed_at=p.registered_at + confirm_delay,
        )
        for user, p in zip(users, participants, strict=True)
    )
    db.session.flush()


def mixer(
    now: datetime, organizer: User, rng: random.Random
) -> tuple[Event, list[Participant], timedelta]:
    """The Wuhu mixer: two days from ten days ahead, 40 + 40 places, 30 men and 30 women in."""
    starts_at = at_local(now, 10, 14, 0)
    event = Event(
        kind=EventKind.MIXER,
        title=dated(MIXER_TITLE, starts_at),
        description=dated(MIXER_DESCRIPTION, starts_at),
        venue=MIXER_VENUE,
        starts_at=starts_at,
        ends_at=at_local(now, 11, 17, 0),
        registration_opens_at=at_local(now, -7, 9, 0),
        registration_closes_at=starts_at - timedelta(days=1),
        capacity=80,
        quota_male=40,
        quota_female=40,
        min_age=22,
        max_age=40,
        approval_required=False,
    )
    publish(organizer, event)
    year = to_local(starts_at).year
    genders = [Gender.MALE] * 30 + [Gender.FEMALE] * 30
    rng.shuffle(genders)
    arrivals = spread(event.registration_opens_at, now - timedelta(hours=1), len(genders))
    participants = [
        Participant(
            name=person(rng, gender),
            gender=gender,
            birth_year=year - rng.randint(24, 38),
            work_unit=rng.choice(MIXER_WORK_UNITS),
            registered_at=arrived,
        )
        for gender, arrived in zip(genders, arrivals, strict=True)
    ]
    return event, participants, timedelta(0)


def competition(
    now: datetime, organizer: User, rng: random.Random
) -> tuple[Event, list[Participant], timedelta]:
    """The Yantai final: in a week, 12 teams of 6 over 5 language tracks, approved, closed."""
    starts_at = at_local(now, 7, 8, 30)
    event = Event(
        kind=EventKind.COMPETITION,
        title=COMPETITION_TITLE,
        description=COMPETITION_DESCRIPTION,
        venue=COMPETITION_VENUE,
        co_hosts="中国财贸轻纺烟草工会、中国商业联合会、山东省总工会",
        starts_at=starts_at,
        ends_at=at_local(now, 9, 17, 30),
        registration_opens_at=at_local(now, -150, 9, 0),
        registration_closes_at=at_local(now, -1, 0, 0),
        capacity=72,
        approval_required=True,
    )
    publish(
        organizer,
        event,
        teams=[f"{province}队" for province in COMPETITION_TEAMS],
        tracks=[name for name, _ in COMPETITION_TRACKS],
    )
    year = to_local(starts_at).year
    entries = [
        (team, track, province)
        for team, province in zip(event.teams, COMPETITION_TEAMS, strict=True)
        for track, (_, per_team) in zip(event.tracks, COMPETITION_TRACKS, strict=True)
        for _ in range(per_team)
    ]
    # Teams sent their lists over the months of selection; the approval came a day later.
    last_arrival = event.registration_closes_at - timedelta(days=2)
    arrivals = spread(event.registration_opens_at, last_arrival, len(entries))
    participants = []
    for (team, track, province), arrived in zip(entries, arrivals, strict=True):
        gender = rng.choice((Gender.MALE, Gender.FEMALE))
        participants.append(
            Participant(
                name=person(rng, gender),
                gender=gender,
                birth_year=year - rng.randint(24, 45),
                work_unit=province + rng.choice(COMPETITION_EMPLOYERS),
                registered_at=arrived,
                team=team,
                track=track,
            )
        )
    return event, participants, timedelta(days=1)


# (b′) The competition's written round: the contestants' case analyses, sent in before the
# final, are being scored online by five judges per track this week.
WRITTEN_ROUND = "书面评审（外贸案例分析）"
#: Criteria of the written round: name, maximum, weight, step, tolerance.
WRITTEN_CRITERIA = (
    ("外语表达", 20, "1", "0.5", 6),
    ("跨境电商实务", 20, "1", "0.5", 6),
    ("市场采购贸易", 15, "1", "0.5", 5),
    ("贸易摩擦应对", 15, "1", "0.5", 5),
    ("商务谈判策略", 20, "1", "0.5", 6),
    ("职业素养", 10, "1", "0.5", 4),
)
#: Judges' mobiles start here; five per track, none affiliated with a provincial team.
JUDGE_FIRST_MOBILE = 13900005000
JUDGE_UNITS = (
    "中国财贸轻纺烟草工会",
    "中国商业联合会",
    "对外经济贸易大学",
    "上海对外经贸大学",
    "广东外语外贸大学",
)
#: The demo judge's sheets in 商务英语: this many submitted, one draft, the rest to fill.
DEMO_JUDGE_SUBMITTED = 15


def competition_scoring(
    now: datetime, event: Event, organizer: User, demo_judge: User, password_hash: str
) -> None:
    """The written round of the Yantai final, mostly scored: 25 judges (five per track) plus the
    demo judge on 商务英语, who belongs to Shandong's union and so is recused from 山东队; every
    judge but two has submitted everything, the demo judge has a draft and six sheets not
    started, so the ranking is provisional. Sheets are saved through the competition service (audited), with
    the clock set to when each was entered; awards are 7/13/22 overall."""
    from eventsite.competitions import service as contests
    from eventsite.competitions.models import (
        JudgeAffiliation,
        JudgeAssignment,
        Score,
        SheetChange,
    )
    from eventsite.core.models import AuditEntry

    rng = random.Random(JUDGE_FIRST_MOBILE)
    began = at_local(now, -4, 9, 0)
    with replayed_at(began - timedelta(days=1)):
        written = contests.create_round(
            event,
            organizer,
            name=WRITTEN_ROUND,
            advance_count=None,
            aggregation="trimmed_mean",
            trim_count=1,
            trim_min_judges=5,
            standardise=False,
            min_judges=5,
            double_entry=False,
            objection_days=5,
        )
        contests.save_criteria(
            written,
            organizer,
            [
                contests.CriterionInput(
                    None, name, Decimal(top), Decimal(weight), Decimal(step), Decimal(tolerance)
                )
                for name, top, weight, step, tolerance in WRITTEN_CRITERIA
            ],
            [],
        )
        written.tie_break = ",".join(str(c.id) for c in (written.criteria[1], written.criteria[0]))
        contests.save_awards(
            written,
            organizer,
            basis="count",
            scope="overall",
            tiers=[
                contests.TierInput("一等奖", Decimal(7)),
                contests.TierInput("二等奖", Decimal(13)),
                contests.TierInput("三等奖", Decimal(22)),
            ],
            team_best=3,
            team_method="sum",
        )
    year = to_local(now).year
    judges: dict[int, list[User]] = {}
    for t, track in enumerate(event.tracks):
        panel = []
        for k in range(5):
            gender = rng.choice((Gender.MALE, Gender.FEMALE))
            panel.append(
                User(
                    name=person(rng, gender),
                    mobile=str(JUDGE_FIRST_MOBILE + 5 * t + k),
                    work_unit=JUDGE_UNITS[k],
                    gender=gender,
                    birth_year=year - rng.randint(35, 60),
                    password_hash=password_hash,
                    created_at=began - timedelta(days=20),
                    role_grants=[UserRole(role=Role.JUDGE, granted_at=began - timedelta(days=20))],
                )
            )
        db.session.add_all(panel)
        judges[track.id] = panel
    db.session.flush()
    english = event.tracks[0]
    judges[english.id].append(demo_judge)
    shandong = event.teams[0]
    db.session.add(JudgeAffiliation(user_id=demo_judge.id, team_id=shandong.id))
    for track_id, panel in judges.items():
        db.session.add_all(
            JudgeAssignment(round_id=written.id, track_id=track_id, user_id=judge.id)
            for judge in panel
        )
    db.session.flush()

    contestants = contests.round_registrations(written)
    ability = {r.id: Decimal(rng.randint(55, 92)) / 100 for r in contestants}
    criteria = written.criteria
    late_judge = judges[event.tracks[-1].id][2]  # still two sheets to go on 商务日语
    sheets = []
    for track_id, panel in judges.items():
        people = [r for r in contestants if r.track_id == track_id]
        for judge in panel:
            bias = Decimal(rng.randint(-4, 4)) / 100
            mine = [r for r in people if not (judge is demo_judge and r.team_id == shandong.id)]
            for n, registration in enumerate(mine):
                if judge is demo_judge and n > DEMO_JUDGE_SUBMITTED:
                    break
                if judge is late_judge and n >= len(mine) - 2:
                    break
                values = {}
                for c in criteria:
                    share = ability[registration.id] + bias + Decimal(rng.randint(-6, 6)) / 100
                    raw = max(Decimal(0), min(c.max_score, c.max_score * share))
                    values[c.id] = (raw / c.step).to_integral_value() * c.step
                entered = began + timedelta(minutes=7 * n + rng.randint(0, 5))
                if judge is demo_judge:
                    # The demo judge's own sheets go through the service, so their history
                    # and the audit log read as his work; the last is still a draft.
                    with replayed_at(entered):
                        contests.save_sheet(
                            written,
                            judge,
                            registration,
                            judge,
                            loaded_version=0,
                            values=values,
                            comment="",
                            submit=n < DEMO_JUDGE_SUBMITTED,
                        )
                else:
                    sheets.append((scored_sheet(written, judge, registration, entered), values))
    # The other judges' 340-odd sheets are written in bulk (as the registrations are), each
    # with its submission in the sheet's history, and one audit line per judge.
    db.session.add_all(sheet for sheet, _ in sheets)
    db.session.flush()
    db.session.execute(
        sa.insert(Score),
        [
            {"sheet_id": sheet.id, "criterion_id": cid, "value": value}
            for sheet, values in sheets
            for cid, value in values.items()
        ],
    )
    db.session.execute(
        sa.insert(SheetChange),
        [
            {
                "sheet_id": sheet.id,
                "actor_id": sheet.judge_id,
                "kind": "submit",
                "old_value": "",
                "new_value": "",
                "reason": "",
                "changed_at": sheet.submitted_at,
            }
            for sheet, _ in sheets
        ],
    )
    sheets = [sheet for sheet, _ in sheets]
    per_judge = Counter(sheet.judge_id for sheet in sheets)
    names = {judge.id: judge.name for panel in judges.values() for judge in panel}
    db.session.add_all(
        AuditEntry(
            event_id=event.id,
            actor_id=judge_id,
            action="sheet.submit",
            detail=f"{names[judge_id]}：{WRITTEN_ROUND} 提交评分表 {count} 份",
            created_at=max(s.submitted_at for s in sheets if s.judge_id == judge_id),
        )
        for judge_id, count in per_judge.items()
    )
    db.session.flush()


def scored_sheet(written, judge: User, registration: Registration, at: datetime):
    """A submitted sheet as the competition service would have left it (scores apart)."""
    from eventsite.competitions.models import ScoreSheet

    return ScoreSheet(
        round_id=written.id,
        judge_id=judge.id,
        registration_id=registration.id,
        version=1,
        comment="",
        submitted_at=at,
        updated_at=at,
        updated_by_id=judge.id,
    )


def meet_start(now: datetime) -> datetime:
    """The meet began four hours before now (on the quarter hour), so it is half-way through."""
    local = to_local(now)
    quarter = local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)
    return from_local(quarter.replace(tzinfo=None)) - timedelta(hours=4)


def days_before(moment: datetime, days: int, hour: int) -> datetime:
    """hh:00 local time, `days` days before the local date of `moment`."""
    return from_local(datetime.combine(to_local(moment).date() - timedelta(days=days), time(hour)))


def sportsmeet(
    now: datetime, organizer: User, rng: random.Random
) -> tuple[Event, list[Participant], timedelta]:
    """The Zhanqian street meet: under way since four hours ago, 4 community teams of 50, closed."""
    starts_at = meet_start(now)
    event = Event(
        kind=EventKind.SPORTSMEET,
        title=SPORTSMEET_TITLE,
        description=SPORTSMEET_DESCRIPTION,
        venue=SPORTSMEET_VENUE,
        co_hosts="齐齐哈尔市职工大学",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=6, minutes=30),
        registration_opens_at=days_before(starts_at, 14, 9),
        registration_closes_at=days_before(starts_at, 3, 18),
        capacity=200,
        team_cap=50,
        approval_required=False,
    )
    publish(organizer, event, teams=SPORTSMEET_TEAMS)
    year = to_local(starts_at).year
    teams = [team for team in event.teams for _ in range(50)]
    rng.shuffle(teams)
    last_arrival = event.registration_closes_at - timedelta(hours=1)
    arrivals = spread(event.registration_opens_at, last_arrival, len(teams))
    participants = []
    for team, arrived in zip(teams, arrivals, strict=True):
        gender = rng.choice((Gender.MALE, Gender.FEMALE))
        community = team.name.removesuffix("队")
        participants.append(
            Participant(
                name=person(rng, gender),
                gender=gender,
                birth_year=year - rng.randint(22, 58),
                work_unit=rng.choice((f"{community}居民委员会", *SPORTSMEET_WORK_UNITS)),
                registered_at=arrived,
                team=team,
            )
        )
    return event, participants, timedelta(0)


# (c, continued) The meet's day, replayed through the sports meet services. Items follow the
# seed's order, 45 minutes apart from the start; results are given by team (SPORTSMEET_TEAMS
# order) as a referee types them, "DQ:reason" for a disqualification.


@dataclass(frozen=True)
class MeetItem:
    """One of the meet's items: its rules, its draw and the results entered so far."""

    name: str
    result_type: str
    place: str
    #: Members per team entry; for an individual item, the most people a team may enter.
    members: int
    min_women: int = 0
    multiplier: str = "1"
    match_format: str = ""
    individual: bool = False
    second_attempt: bool = False
    #: Lanes per heat (timed and counted items).
    lanes: int = 4
    #: Team items: a heat is entered once every team in it has a result here.
    results: tuple[tuple[int, str], ...] = ()
    #: Head-to-head: (round, slot, winning team) in the order the matches were played.
    winners: tuple[tuple[int, int, int], ...] = ()
    #: The organizer declared the results final.
    final: bool = False


MEET_ITEMS = (
    MeetItem(
        "骑毛毛虫竞速",
        "time",
        "运动场东跑道",
        6,
        min_women=2,
        results=((0, "38.62"), (1, "41.05"), (2, "40.17"), (3, "44.80")),
        final=True,
    ),
    MeetItem(
        "双人背夹球跑",
        "time",
        "运动场东跑道",
        2,
        min_women=1,
        lanes=2,
        results=((0, "29.10"), (1, "27.35"), (2, "DQ:球落地后未回到落球处重新开始"), (3, "31.42")),
        final=True,
    ),
    MeetItem(
        "同心协力运球",
        "time",
        "运动场中心草坪",
        8,
        min_women=3,
        results=((0, "1:15.90"), (1, "1:19.06"), (2, "1:12.48"), (3, "1:21.33")),
        final=True,
    ),
    MeetItem(
        "拔河",
        "head_to_head",
        "运动场中心草坪",
        10,
        min_women=5,
        match_format="knockout",
        winners=((1, 0, 0), (1, 1, 1), (2, 1, 2), (2, 0, 1)),
        final=True,
    ),
    MeetItem(
        "车轮滚滚",
        "time",
        "运动场西跑道",
        8,
        min_women=3,
        results=((0, "58.21"), (1, "55.74"), (2, "1:02.37"), (3, "59.90")),
        final=True,
    ),
    MeetItem(
        "集体跳长绳", "count", "体育馆", 10, min_women=4, lanes=2, results=((0, "46"), (2, "52"))
    ),
    MeetItem("接力夹球", "count", "体育馆", 6, min_women=2, multiplier="2"),
    MeetItem("定点投篮", "count", "篮球场", 3, individual=True, second_attempt=True, lanes=6),
)
ITEM_INTERVAL = timedelta(minutes=45)


@contextmanager
def replayed_at(moment: datetime) -> Iterator[None]:
    """Run services as if it were `moment`; what they add is flushed before the clock returns."""
    saved = core_time._clock
    core_time._clock = lambda: moment
    try:
        yield
        db.session.flush()
    finally:
        core_time._clock = saved


def item_fields(spec: MeetItem, starts_at: datetime) -> dict:
    return {
        "name": spec.name,
        "result_type": spec.result_type,
        "match_format": spec.match_format,
        "starts_at": starts_at,
        "place": spec.place,
        "min_members": 1 if spec.individual else spec.members,
        "max_members": spec.members,
        "min_women": spec.min_women,
        "multiplier": Decimal(spec.multiplier),
        "second_attempt": spec.second_attempt,
        "individual": spec.individual,
    }


def choose(members: Sequence[Registration], spec: MeetItem, used: Counter) -> set[int]:
    """A captain's pick for one item: the women its gender rule asks for, then anyone, always
    those in the fewest items so far."""
    by_use = sorted(members, key=lambda r: (used[r.id], r.id))
    women = [r for r in by_use if r.gender == Gender.FEMALE][: spec.min_women]
    others = [r for r in by_use if r not in women][: spec.members - len(women)]
    chosen = {r.id for r in women + others}
    used.update(chosen)
    return chosen


def raw_result(item: Item, entry_id: int, typed: str) -> service.ResultInput:
    """A referee's sheet row from what they typed: a time, a count, or "DQ:reason"."""
    if typed.startswith("DQ:"):
        return service.ResultInput(entry_id, None, None, Outcome.DQ.value, typed[3:])
    value = parse_time(typed) if item.result_type == ResultKind.TIME else Decimal(typed)
    return service.ResultInput(entry_id, value, None, Outcome.OK.value, "")


def meet_day(event: Event, organizer: User, referee: User) -> list[Item]:
    """Set the meet up before the day, then play it until now: five items final, one half done."""
    start = event.starts_at
    lock_at = days_before(start, 1, 18)
    with replayed_at(event.published_at + timedelta(hours=2)):
        service.save_settings(
            event, organizer, points_table="5,3,2,1", per_person_limit=2, entries_lock_at=lock_at
        )
        items = [
            service.create_item(event, organizer, **item_fields(spec, start + ITEM_INTERVAL * n))
            for n, spec in enumerate(MEET_ITEMS)
        ]
        for item in items:
            service.add_referee(item, referee.mobile, organizer)

    teams = sorted(event.teams, key=lambda team: team.position)
    members = defaultdict(list)
    for registration in db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id)
        .options(joinedload(Registration.user))
        .order_by(Registration.id)
    ):
        members[registration.team_id].append(registration)
    captains = {team.id: members[team.id][0].user for team in teams}
    with replayed_at(event.registration_closes_at + timedelta(hours=1)):
        for team in teams:
            service.add_captain(event, team, captains[team.id].mobile, organizer)
    for n, team in enumerate(teams):
        used = Counter()
        selection = {
            item.id: choose(members[team.id], spec, used)
            for item, spec in zip(items, MEET_ITEMS, strict=True)
        }
        with replayed_at(event.registration_closes_at + timedelta(hours=20 + n)):
            service.save_team_entries(event, team, captains[team.id], selection)

    with replayed_at(lock_at + timedelta(hours=1)):
        for item, spec in zip(items, MEET_ITEMS, strict=True):
            if item.is_head_to_head:
                service.draw_matches(item, organizer)
            else:
                service.draw_heats(item, organizer, spec.lanes)

    team_index = {team.id: n for n, team in enumerate(teams)}
    for item, spec in zip(items, MEET_ITEMS, strict=True):
        play_item(event, item, spec, organizer, referee, team_index)
    return items


def play_item(event, item: Item, spec: MeetItem, organizer, referee, team_index) -> None:
    """The referee enters the item's results heat by heat (or match by match), as they came."""
    board = service.load_board(event, item_id=item.id)
    placed = board.items[0]
    by_team = dict(spec.results)
    began = item.starts_at
    for heat in placed.heats:
        lanes = placed.lanes[heat.id]
        teams = [team_index[board.team_of_entry[entry_id]] for entry_id in lanes]
        if not all(team in by_team for team in teams):
            continue
        rows = [raw_result(item, e, by_team[t]) for e, t in zip(lanes, teams, strict=True)]
        with replayed_at(began + timedelta(minutes=10 + 8 * (heat.number - 1))):
            service.save_heat_results(item, heat, referee, rows, board.labels)
    for n, (round_, slot, winner) in enumerate(spec.winners):
        match = next(m for m in placed.matches if (m.round, m.slot) == (round_, slot))
        side = "home" if team_index[board.team_of_entry[match.home_entry_id]] == winner else "away"
        with replayed_at(began + timedelta(minutes=8 * (n + 1))):
            service.save_match_result(item, match, referee, side, "", board.labels)
    if spec.final:
        with replayed_at(began + timedelta(minutes=35)):
            service.set_final(item, organizer, True)


# (d) The Wuhu mixer's previous edition, ended last night: its contact exchange is open.
EXCHANGE_TITLE = "皖工鹊桥·会聚良缘——{year}年{season}单身职工联谊会（第一场）"
EXCHANGE_FIRST_MOBILE = 13900004000
EXCHANGE_DESCRIPTION = """\
芜湖市总工会“皖工鹊桥·会聚良缘”系列联谊活动第一场：下午破冰游戏、分组交流，晚上自助晚餐。

活动结束后 72 小时内，签到的参加者可在平台上标记“想交换联系方式”的人，双方都标记了才会互相看到名片；\
错过的人，还可以在之后 14 天内请平台帮忙牵线。"""
EXCHANGE_NICKNAMES = {
    Gender.MALE: ["江城小舟", "阿杰", "晨跑者", "书生", "老周", "木子", "大鹏", "小宇"]
    + ["阿东", "远山", "石头", "青松"],
    Gender.FEMALE: ["静怡", "小林", "梦瑶", "阿雪", "茉莉", "晓雯", "橙子", "雨桐"]
    + ["小满", "知秋", "若楠", "清欢"],
}
EXCHANGE_INTRODUCTIONS = (
    "周末喜欢爬山和骑行，想找个一起运动的人。",
    "中学语文老师，爱看书，也爱做饭。",
    "工程师，话不多，但很靠谱。",
    "喜欢旅行和摄影，去过二十多个城市。",
    "",
)


def past_mixer(
    now: datetime,
    organizer: User,
    member: User,
    password_hash: str,
    *,
    title: str,
    description: str,
    venue: str,
    ends_at: datetime,
    reveal: str,
    first_mobile: int,
    women: int,
    men: int,
    nicknames: dict[str, list[str]],
    rng: random.Random,
) -> tuple[Event, list[Registration]]:
    """A Wuhu mixer that ended at `ends_at`: `women` and `men` attendees (mobiles from
    `first_mobile`, women first) and the demo member, checked in at the door in arrival order
    with numbers, nicknames and released cards. Returns the event and its registrations in the
    order of their numbers (the demo member's is 1)."""
    from eventsite.mixers import service as mixers
    from eventsite.mixers.models import MixerSettings, Visibility

    starts_at = ends_at - timedelta(hours=5)
    event = Event(
        kind=EventKind.MIXER,
        title=dated(title, starts_at),
        description=dated(description, starts_at),
        venue=venue,
        starts_at=starts_at,
        ends_at=ends_at,
        registration_opens_at=starts_at - timedelta(days=21),
        registration_closes_at=starts_at - timedelta(days=2),
        capacity=40,
        quota_male=20,
        quota_female=20,
        min_age=22,
        max_age=40,
    )
    publish(organizer, event)
    db.session.add(
        MixerSettings(
            event_id=event.id,
            window_hours=72,
            visibility=Visibility.OTHER_GENDER,
            reveal=reveal,
        )
    )
    year = to_local(starts_at).year
    # Women first, so the first participant mobiles belong to women.
    genders = [Gender.FEMALE] * women + [Gender.MALE] * men
    arrivals = spread(event.registration_opens_at, event.registration_closes_at, len(genders))
    participants = [
        Participant(
            name=person(rng, gender),
            gender=gender,
            birth_year=year - rng.randint(24, 36),
            work_unit=rng.choice(MIXER_WORK_UNITS),
            registered_at=arrived,
        )
        for gender, arrived in zip(genders, arrivals, strict=True)
    ]
    register_all(event, participants, first_mobile, password_hash, timedelta(0))
    db.session.add(
        Registration(
            event_id=event.id,
            user_id=member.id,
            status=RegistrationStatus.CONFIRMED,
            single_declared_at=event.registration_closes_at - timedelta(days=1),
            registered_at=event.registration_closes_at - timedelta(days=1),
            status_changed_at=event.registration_closes_at - timedelta(days=1),
        )
    )
    db.session.flush()
    registrations = db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.user))
        .where(Registration.event_id == event.id)
        .order_by(Registration.user_id)
    ).all()
    # Checked in at the door in arrival order; the numbers come from the exchange's service.
    for registration, arrived in zip(
        registrations,
        spread(starts_at - timedelta(minutes=30), starts_at, len(registrations)),
        strict=True,
    ):
        registration.checked_in_at = arrived
        registration.checked_in_by_id = organizer.id
        mixers.assign_number(registration)
    left = {gender: list(names) for gender, names in nicknames.items()}
    for i, registration in enumerate(registrations):
        user = registration.user
        mixers.save_profile(
            event,
            user,
            nickname=left[user.gender].pop(0),
            introduction=EXCHANGE_INTRODUCTIONS[i % len(EXCHANGE_INTRODUCTIONS)],
            phone=user.mobile if i % 2 == 0 else "",
            wechat=f"wx_{user.mobile[-4:]}" if i % 2 == 1 else "",
            email="",
            release_card=True,
            single_declared=True,
            now=ends_at + timedelta(hours=1),
        )
    return event, list(registrations)


def insert_marks(event: Event, marks: set[tuple[int, int]], marked_at: datetime) -> None:
    """Attendees' marks in one go (a service call per mark would slow the load down); the
    matches they make are derived from them, as the exchange's own taps leave them."""
    from eventsite.mixers.models import Mark

    db.session.execute(
        sa.insert(Mark),
        [
            {"event_id": event.id, "marker_id": a, "marked_id": b, "created_at": marked_at}
            for a, b in sorted(marks)
        ],
    )


def mixer_exchange(
    now: datetime, organizer: User, newcomer: User, password_hash: str
) -> tuple[Event, int]:
    """An earlier Wuhu mixer that ended at 21:00 yesterday, so its exchange window is open:
    24 attendees (and the demo member) checked in with numbers, nicknames and cards, some marks
    made. Matches show at once, and participant 13900004001 has marked the demo member, so
    marking her back shows a match straight away."""
    from eventsite.mixers import service as mixers
    from eventsite.mixers.models import Reveal

    ends_at = at_local(now, -1, 21, 0)
    rng = random.Random(EXCHANGE_FIRST_MOBILE)
    event, registrations = past_mixer(
        now,
        organizer,
        newcomer,
        password_hash,
        title=EXCHANGE_TITLE,
        description=EXCHANGE_DESCRIPTION,
        venue="芜湖市职工文化宫",
        ends_at=ends_at,
        reveal=Reveal.AT_ONCE,
        first_mobile=EXCHANGE_FIRST_MOBILE,
        women=12,
        men=11,
        nicknames=EXCHANGE_NICKNAMES,
        rng=rng,
    )
    women = [r.user for r in registrations if r.user.gender == Gender.FEMALE]
    men = [r.user for r in registrations if r.user.gender == Gender.MALE and r.user != newcomer]
    number = {r.user_id: mixers.profile_of(event, r.user_id).number for r in registrations}
    marked_at = ends_at + timedelta(hours=2)
    with replayed_at(marked_at):
        # 13900004001 has marked the demo member: marking her back is a match at once.
        admirer = next(u for u in women if u.mobile == str(EXCHANGE_FIRST_MOBILE + 1))
        mixers.set_mark(event, admirer.id, number[newcomer.id], True, utcnow())
    insert_marks(
        event,
        {
            (marker.id, marked.id)
            for marker in rng.sample(women + men, 14)
            for marked in rng.sample(men if marker.gender == Gender.FEMALE else women, 3)
        },
        marked_at,
    )
    db.session.flush()
    return event, len(registrations)


# (e) The teachers' mixer, four days ago: its exchange has closed, introductions are open, and
# the seed page's story waits for the demo member: someone who missed swapping contacts asks
# the platform, with a note, to introduce her; he decides.
INTRODUCTION_TITLE = "皖工鹊桥·会聚良缘——教育系统青年教师专场联谊会"
INTRODUCTION_FIRST_MOBILE = 13900006000
INTRODUCTION_DESCRIPTION = """\
芜湖市总工会与市教育工会联合举办的青年教师专场：读书分享、手工灯笼、合唱游戏。

活动结束后 72 小时内，签到的参加者可以标记“想交换联系方式”的人，双方都标记了才会看到对方的名片。\
错过了的，之后 14 天内还可以请平台牵线：附上一句话，对方同意了，双方才会看到名片；对方不同意，\
不会告诉你。"""
INTRODUCTION_NICKNAMES = {
    Gender.MALE: ["江城小舟", "老杨", "阿峰", "星河", "大树", "远航", "小川", "明哲"],
    Gender.FEMALE: ["书香", "小雨", "晴天", "阿敏", "木棉", "向日葵", "小鹿", "月半弯"],
}
#: The requester's note: the seed page's teacher, the other way round.
INTRODUCTION_NOTE = (
    "那天一起扎灯笼，聊起教书的事很投缘，散场时走得急，没来得及加微信。想请平台帮忙牵个线。"
)


def mixer_introductions(
    now: datetime, organizer: User, member: User, password_hash: str
) -> tuple[Event, int]:
    """A mixer that ended four days ago at 21:00: its 72-hour exchange has closed (matches
    shown), its 14 days of introduction requests are open, and attendee 13900006000 (No. 2 书香)
    has asked to be introduced to the demo member, who matched nobody there: his one mark went
    to someone who did not mark him back."""
    from eventsite.mixers import service as mixers
    from eventsite.mixers.models import Reveal

    ends_at = at_local(now, -4, 21, 0)
    rng = random.Random(INTRODUCTION_FIRST_MOBILE)
    event, registrations = past_mixer(
        now,
        organizer,
        member,
        password_hash,
        title=INTRODUCTION_TITLE,
        description=INTRODUCTION_DESCRIPTION,
        venue="芜湖市教育工会活动中心",
        ends_at=ends_at,
        reveal=Reveal.AT_CLOSE,
        first_mobile=INTRODUCTION_FIRST_MOBILE,
        women=8,
        men=7,
        nicknames=INTRODUCTION_NICKNAMES,
        rng=rng,
    )
    by_mobile = {r.user.mobile: r.user for r in registrations}
    requester = by_mobile[str(INTRODUCTION_FIRST_MOBILE)]
    his_choice = by_mobile[str(INTRODUCTION_FIRST_MOBILE + 3)]
    others = [r.user for r in registrations if r.user not in (member, requester, his_choice)]
    women = [u for u in others if u.gender == Gender.FEMALE]
    men = [u for u in others if u.gender == Gender.MALE]
    marks = {(member.id, his_choice.id)}  # one-sided: shown to nobody but him
    marks |= {
        (marker.id, marked.id)
        for marker in rng.sample(women + men, 10)
        for marked in rng.sample(men if marker.gender == Gender.FEMALE else women, 2)
    }
    insert_marks(event, marks, ends_at + timedelta(hours=3))
    closes_at = mixers.window_of(event).closes_at
    number = mixers.profile_of(event, member.id).number
    mixers.send_request(
        event, requester.id, number, INTRODUCTION_NOTE, closes_at + timedelta(hours=1)
    )
    db.session.flush()
    return event, len(registrations)


def echo_accounts() -> None:
    click.echo("")
    click.echo(f"Demo accounts (password {DEMO_PASSWORD} for each; demo only):")
    for account in DEMO_ACCOUNTS:
        held_on = f"  organizer of {account.organization} and below" if account.organization else ""
        click.echo(f"  {account.role.value:<10} {account.mobile}  {account.name}{held_on}")
    click.echo(
        "Participants (mobiles 13900001000-13900001059, 13900002000-13900002071, "
        "13900003000-13900003199) use the same password."
    )
    last = db.session.scalar(
        sa.select(sa.func.max(User.mobile)).where(
            User.mobile.like(str(demo_history.FIRST_MOBILE)[:6] + "%")
        )
    )
    if last is not None:
        click.echo(
            f"{WUHU_UNION}'s past year of mixers: attendees' mobiles "
            f"{demo_history.FIRST_MOBILE}-{last}."
        )
    exchange = db.session.scalar(sa.select(Event).where(Event.description == EXCHANGE_DESCRIPTION))
    if exchange is not None:
        click.echo(
            f"The earlier mixer #{exchange.id} has its contact exchange open: the member "
            f"13900000004 attended; sign in and open /events/{exchange.id}/mixer/mark. "
            f"Participant {EXCHANGE_FIRST_MOBILE + 1} has marked him: mark her back for a match "
            f"(shown at once at this mixer). Attendees' mobiles: {EXCHANGE_FIRST_MOBILE}-"
            f"{EXCHANGE_FIRST_MOBILE + 22}."
        )
    teachers = db.session.scalar(sa.select(Event).where(Event.title == INTRODUCTION_TITLE))
    if teachers is not None:
        click.echo(
            f"The teachers' mixer #{teachers.id} has its exchange closed and introductions open: "
            f"participant {INTRODUCTION_FIRST_MOBILE} asks to be introduced to the member "
            f"13900000004; sign in and open /events/{teachers.id}/mixer/results to accept. "
            f"Attendees' mobiles: {INTRODUCTION_FIRST_MOBILE}-{INTRODUCTION_FIRST_MOBILE + 14}."
        )
    contest = db.session.scalar(sa.select(Event).where(Event.title == COMPETITION_TITLE))
    if contest is not None:
        click.echo(
            f"The competition #{contest.id}'s written round is mostly scored (ranking provisional): "
            "the judge 13900000003 has sheets left in 商务英语; sign in and open "
            f"/competitions/my-sheets. The organizer sees /competitions/{contest.id}. Other judges: "
            f"{JUDGE_FIRST_MOBILE}-{JUDGE_FIRST_MOBILE + 24}."
        )
    meet = db.session.scalar(sa.select(Event).where(Event.title == SPORTSMEET_TITLE))
    if meet is not None:
        judge = next(a for a in DEMO_ACCOUNTS if a.role == Role.JUDGE)
        click.echo(
            f"The sports meet #{meet.id} is under way: the judge {judge.mobile} ({judge.name}) "
            "referees every item; sign in and open /my/meet-duties to enter the next heat. "
            f"Standings: /events/{meet.id}/meet"
        )
        captains = service.captains_by_team(meet)
        for team in meet.teams:
            for captain in captains.get(team.id, []):
                click.echo(f"  captain of {team.name}: {captain.user.mobile}  {captain.user.name}")


@demo_cli.command("load")
def load_command() -> None:
    """Create the seed page's events and one account per role; a second run changes nothing."""
    if is_loaded():
        click.echo("Demo data is already loaded; nothing changed.")
    else:
        try:
            loaded, history = load(utcnow())
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        click.echo("Demo data loaded:")
        for event, registered in loaded:
            click.echo(f"  #{event.id} {event.title}: {registered} registered")
        click.echo(
            f"  {WUHU_UNION}'s past year: {history.mixers} more mixers, {history.attendances} "
            f"attendances by {history.members} members"
        )
    echo_accounts()
