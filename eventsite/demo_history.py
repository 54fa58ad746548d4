"""The Wuhu union's year of 鹊桥 mixers, for `flask demo load`.

The seed page: "今年以来，全市各级工会已开展单身职工交友活动81场，近5000人次参与". The demo's two
earlier Wuhu mixers (ended yesterday and four days ago) are two of those 81; this module adds the
other 79 over the twelve months before them, held by the city union, its 片区 service point and
its enterprise unions, so the union's statistics show a year close to the seed's figures.

Each mixer is left as the site would have left it by now: registrations confirmed (a few no-shows
never checked in), attendees checked in with numbers, nicknames and contact cards, marks made in
the 72-hour window (mutual pairs and one-sided marks), a few introductions accepted after the
close. Every window has closed and every introduction period has ended, so the scheduler has no
notice left to send for them; a mixer whose retention period has passed is purged by the purge
itself (`mixers.jobs.purge`, run at the moment it was due): its counts kept in a tally, its
mutual matches stored, its marks gone.

Thousands of rows, so they are written with bulk INSERTs (a statement per table, not an ORM round
trip per row); generation is pure Python from a seeded `random.Random`, so every load is alike.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from eventsite.accounts.models import Gender, User
from eventsite.core.time import from_local, to_local
from eventsite.events.models import (
    Event,
    EventKind,
    EventOrganizer,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from eventsite.extensions import db
from eventsite.organizations.models import Organization

#: History mixers (the demo's two earlier Wuhu mixers make the seed's 81).
HISTORY_MIXERS = 79
#: Attendances (checked in) over the history (with the two earlier mixers' 40: near 5,000).
HISTORY_ATTENDANCES = 4_910
#: Share of attendances by a member who came to an earlier history mixer too.
RETURNING_SHARE = 0.14
#: Confirmed registrations that never checked in, per attendance.
NO_SHOW_SHARE = 0.05
#: The newest history mixer ended this long before the load: its window closed and its 14 days
#: of introductions ended, so nothing of it is still due to be sent.
NEWEST_ENDED = timedelta(days=19)
#: The oldest ended this long before: within the last twelve months.
OLDEST_ENDED = timedelta(days=358)
#: History attendees' mobiles start here.
FIRST_MOBILE = 13900100000
#: Mixers per host, in `hosts` order: the city union holds the most.
HOST_SHARES = (0.36, 0.12, 0.09, 0.08, 0.13, 0.11, 0.11)
WINDOW_HOURS = 72

#: By month (January first): few around the Spring Festival, many in spring, at 七夕 and in autumn.
MONTH_WEIGHTS = (3, 2, 8, 9, 9, 6, 6, 10, 8, 10, 8, 4)
THEMES = {
    "冬季": ("冬日暖阳 邂逅温暖", "围炉夜话 遇见你", "暖冬有约", "雪落江城 情定鸠兹"),
    "春季": ("春风十里 不如遇见你", "踏青寻缘", "花开半夏 春日有约", "樱花树下的约定"),
    "夏季": ("仲夏之约", "七夕·鹊桥相会", "夏夜星空 与你相遇", "清凉一夏 缘来是你"),
    "秋季": ("秋遇隅里 金秋有约", "丹桂飘香 相约金秋", "秋日私语", "层林尽染 携手同行"),
}
VENUES = (
    "芜湖市职工文化宫",
    "芜湖古城",
    "镜湖公园",
    "滨江公园",
    "雕塑公园",
    "鸠兹广场",
    "芜湖市职工服务中心",
    "赭山公园",
)
DESCRIPTION = """\
{host}“皖工鹊桥·会聚良缘”单身职工联谊会：破冰游戏、分组交流、互动问答，为单身职工搭建相识的平台。

活动结束后 72 小时内，签到的参加者可在平台上标记“想交换联系方式”的人，双方都标记了才会互相看到名片；\
错过的人，还可以在之后 14 天内请平台帮忙牵线。"""
NICKNAMES = {
    Gender.MALE: [
        "江城小舟",
        "阿杰",
        "晨跑者",
        "书生",
        "老周",
        "木子",
        "大鹏",
        "小宇",
        "阿东",
        "远山",
        "石头",
        "青松",
        "星河",
        "大树",
        "远航",
        "小川",
        "明哲",
        "阿峰",
        "老杨",
        "子墨",
        "北辰",
        "一帆",
        "南风",
        "知行",
        "听雨",
        "归舟",
        "云起",
        "长风",
        "少年",
        "阿哲",
    ],
    Gender.FEMALE: [
        "静怡",
        "小林",
        "梦瑶",
        "阿雪",
        "茉莉",
        "晓雯",
        "橙子",
        "雨桐",
        "小满",
        "知秋",
        "若楠",
        "清欢",
        "书香",
        "小雨",
        "晴天",
        "阿敏",
        "木棉",
        "向日葵",
        "小鹿",
        "月半弯",
        "柚子",
        "微光",
        "桃桃",
        "半夏",
        "暖阳",
        "安然",
        "初见",
        "小暖",
        "栀子",
        "星星",
    ],
}


def hosts(wuhu) -> list:
    """The Wuhu union and every union below it (a `DemoOrganization` tree), parents first."""
    found = [wuhu]
    for child in wuhu.children:
        found += hosts(child)
    return found


@dataclass
class HistoryMixer:
    """One mixer of the history, as generated before anything is written."""

    host: str
    title: str
    venue: str
    starts_at: datetime
    capacity: int
    #: Confirmed registrations by user index: (index, registered at, checked in).
    registrations: list[tuple[int, datetime, bool]] = field(default_factory=list)
    #: (marker index, marked index, marked at)
    marks: list[tuple[int, int, datetime]] = field(default_factory=list)
    #: Accepted introductions: (requester index, recipient index, sent at, accepted at).
    introductions: list[tuple[int, int, datetime, datetime]] = field(default_factory=list)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(hours=5)

    @property
    def closes_at(self) -> datetime:
        return self.ends_at + timedelta(hours=WINDOW_HOURS)


@dataclass(frozen=True)
class Member:
    name: str
    gender: str
    birth_year: int
    work_unit: str


@dataclass
class History:
    members: list[Member]
    mixers: list[HistoryMixer]


def saturdays(now: datetime, rng: random.Random) -> list[datetime]:
    """HISTORY_MIXERS afternoons (14:00 local), weekends mostly, spread over the months by
    `MONTH_WEIGHTS`, between OLDEST_ENDED and NEWEST_ENDED before `now`, earliest first."""
    first = to_local(now - OLDEST_ENDED).date()
    last = to_local(now - NEWEST_ENDED - timedelta(hours=5)).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    weekends = [day for day in days if day.weekday() >= 5]
    weights = [MONTH_WEIGHTS[day.month - 1] for day in weekends]
    chosen = rng.choices(weekends, weights=weights, k=HISTORY_MIXERS)
    moments = [from_local(datetime.combine(day, time(14, 0))) for day in chosen]
    return sorted(moment for moment in moments if moment + timedelta(hours=5) <= now)


def sizes(rng: random.Random, count: int, total: int) -> list[int]:
    """`count` attendance figures (even, 20 to 120) adding up to `total` (even)."""
    raw = [rng.uniform(0.45, 1.8) for _ in range(count)]
    scale = total / sum(raw)
    figures = [max(20, min(120, 2 * round(r * scale / 2))) for r in raw]
    n = 0
    while sum(figures) != total:
        step = 2 if sum(figures) < total else -2
        if 20 <= figures[n % count] + step <= 120:
            figures[n % count] += step
        n += 1
    return figures


def person(rng: random.Random, gender: str) -> str:
    from eventsite.demo import GIVEN_NAMES, SURNAMES

    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES[gender])


def generate(now: datetime, host_names: list[str]) -> History:
    """The history, in Python: members, mixers, registrations, marks, introductions."""
    from eventsite.demo import MIXER_WORK_UNITS, SEASONS

    rng = random.Random(FIRST_MOBILE)
    starts = saturdays(now, rng)
    host_of = rng.choices(host_names, weights=HOST_SHARES, k=len(starts))
    members: list[Member] = []
    seen: dict[str, list[int]] = {Gender.MALE: [], Gender.FEMALE: []}
    mixers = []
    editions: dict[str, int] = {}
    for starts_at, host, attendance in zip(
        starts, host_of, sizes(rng, len(starts), HISTORY_ATTENDANCES), strict=True
    ):
        local = to_local(starts_at)
        season = SEASONS[local.month % 12 // 3]
        theme = rng.choice(THEMES[season])
        if local.month == 8 and "七夕·鹊桥相会" not in theme:
            theme = "七夕·鹊桥相会"
        editions[host] = editions.get(host, 0) + 1
        mixer = HistoryMixer(
            host=host,
            title=f"“皖工鹊桥·会聚良缘”{theme}——单身职工联谊会（第{editions[host]}场）",
            venue=rng.choice(VENUES),
            starts_at=starts_at,
            capacity=attendance + 2 * max(1, round(attendance * NO_SHOW_SHARE / 2)) + 10,
        )
        opens_at = starts_at - timedelta(days=21)
        closes_at = starts_at - timedelta(days=2)
        attendees: dict[str, list[int]] = {}
        for gender in (Gender.FEMALE, Gender.MALE):
            coming = attendance // 2
            no_shows = max(1, round(coming * NO_SHOW_SHARE))
            returning = min(len(seen[gender]), round((coming + no_shows) * RETURNING_SHARE))
            picked = rng.sample(seen[gender], returning)
            for _ in range(coming + no_shows - returning):
                members.append(
                    Member(
                        name=person(rng, gender),
                        gender=gender,
                        birth_year=local.year - rng.randint(23, 38),
                        work_unit=rng.choice(MIXER_WORK_UNITS),
                    )
                )
                picked.append(len(members) - 1)
            rng.shuffle(picked)
            attendees[gender] = picked[:coming]
            for n, index in enumerate(picked):
                registered_at = opens_at + (closes_at - opens_at) * rng.random()
                mixer.registrations.append(
                    (index, registered_at.replace(microsecond=0), n < coming)
                )
        seen[Gender.FEMALE] += [
            i for i, _, _ in mixer.registrations if members[i].gender == Gender.FEMALE
        ]
        seen[Gender.MALE] += [
            i for i, _, _ in mixer.registrations if members[i].gender == Gender.MALE
        ]
        seen = {gender: sorted(set(indexes)) for gender, indexes in seen.items()}
        exchange(rng, mixer, attendees[Gender.FEMALE], attendees[Gender.MALE])
        mixers.append(mixer)
    return History(members, mixers)


def exchange(rng: random.Random, mixer: HistoryMixer, women: list[int], men: list[int]) -> None:
    """The mixer's marks and introductions: one attendee in five or so in a mutual pair, some
    one-sided marks (never a mark back that would make another pair), and one to three accepted
    introductions between attendees who did not match."""
    ends = mixer.ends_at
    pairs = round(len(women) * rng.uniform(0.18, 0.3))
    paired_women, paired_men = rng.sample(women, pairs), rng.sample(men, pairs)
    marks: dict[tuple[int, int], datetime] = {}

    def mark(marker: int, marked: int) -> None:
        marks[(marker, marked)] = (ends + timedelta(minutes=rng.randint(20, 60 * 70))).replace(
            microsecond=0
        )

    for woman, man in zip(paired_women, paired_men, strict=True):
        mark(woman, man)
        mark(man, woman)
    for marker in rng.sample(women + men, len(women + men) // 3):
        others = men if marker in women else women
        for marked in rng.sample(others, min(len(others), rng.randint(1, 3))):
            if (marked, marker) not in marks and (marker, marked) not in marks:
                mark(marker, marked)
    mixer.marks = [(a, b, at) for (a, b), at in sorted(marks.items())]
    unpaired_women = [w for w in women if w not in paired_women]
    unpaired_men = [m for m in men if m not in paired_men]
    count = min(rng.randint(1, 3), len(unpaired_women), len(unpaired_men))
    for woman, man in zip(
        rng.sample(unpaired_women, count), rng.sample(unpaired_men, count), strict=True
    ):
        requester, recipient = (woman, man) if rng.random() < 0.5 else (man, woman)
        sent = mixer.closes_at + timedelta(hours=rng.randint(2, 24 * 10))
        mixer.introductions.append(
            (requester, recipient, sent, sent + timedelta(hours=rng.randint(1, 48)))
        )


def _chunks(rows: list[dict], size: int = 2000) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert(model, rows: list[dict]) -> None:
    """A bulk INSERT of `rows` (a few executemany statements, no ORM objects)."""
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(model), chunk)


@dataclass(frozen=True)
class Loaded:
    mixers: int
    members: int
    attendances: int


def load_history(
    now: datetime,
    organizer: User,
    organizations: Mapping[str, Organization],
    password_hash: str,
) -> Loaded:
    """Write the history (see the module's text) with `organizer` (of the Wuhu union) as every
    mixer's organizer and check-in desk; flush, don't commit."""
    from eventsite.mixers import jobs, service
    from eventsite.mixers.models import (
        ContactCard,
        IntroductionRequest,
        Mark,
        Match,
        MatchSource,
        MixerProfile,
        MixerSettings,
        Reveal,
        Visibility,
    )

    history = generate(now, list(organizations))
    first_seen: dict[int, datetime] = {}
    for mixer in history.mixers:
        for index, registered_at, _ in mixer.registrations:
            first_seen.setdefault(index, registered_at)
    insert(
        User,
        [
            {
                "name": m.name,
                "mobile": str(FIRST_MOBILE + i),
                "work_unit": m.work_unit,
                "gender": m.gender,
                "birth_year": m.birth_year,
                "password_hash": password_hash,
                "created_at": first_seen[i] - timedelta(minutes=10),
            }
            for i, m in enumerate(history.members)
        ],
    )
    user_ids = dict(
        db.session.execute(
            sa.select(User.mobile, User.id).where(
                User.mobile.between(str(FIRST_MOBILE), str(FIRST_MOBILE + len(history.members) - 1))
            )
        ).all()
    )
    uid = [user_ids[str(FIRST_MOBILE + i)] for i in range(len(history.members))]

    events = []
    for mixer in history.mixers:
        host = organizations[mixer.host]
        opens_at = mixer.starts_at - timedelta(days=21)
        published = opens_at - timedelta(days=3)
        event = Event(
            kind=EventKind.MIXER,
            status=EventStatus.PUBLISHED,
            title=mixer.title,
            description=DESCRIPTION.format(host=host.name),
            venue=mixer.venue,
            starts_at=mixer.starts_at,
            ends_at=mixer.ends_at,
            registration_opens_at=opens_at,
            registration_closes_at=mixer.starts_at - timedelta(days=2),
            capacity=mixer.capacity,
            quota_male=mixer.capacity // 2,
            quota_female=mixer.capacity // 2,
            min_age=22,
            max_age=40,
            organization_id=host.id,
            created_by_id=organizer.id,
            created_at=published,
            updated_at=published,
            published_at=published,
        )
        events.append(event)
    db.session.add_all(events)
    db.session.flush()
    insert(
        EventOrganizer,
        [{"event_id": e.id, "user_id": organizer.id, "added_at": e.created_at} for e in events],
    )
    insert(
        MixerSettings,
        [
            {
                "event_id": e.id,
                "window_hours": WINDOW_HOURS,
                "visibility": Visibility.OTHER_GENDER,
                "reveal": Reveal.AT_CLOSE,
            }
            for e in events
        ],
    )
    registration_rows = []
    for event, mixer in zip(events, history.mixers, strict=True):
        arrivals = iter(
            mixer.starts_at - timedelta(minutes=40) + timedelta(seconds=25 * n)
            for n in range(len(mixer.registrations))
        )
        for index, registered_at, came in mixer.registrations:
            member = history.members[index]
            registration_rows.append(
                {
                    "event_id": event.id,
                    "user_id": uid[index],
                    "status": RegistrationStatus.CONFIRMED,
                    "gender": member.gender,
                    "birth_year": member.birth_year,
                    "single_declared_at": registered_at,
                    "registered_at": registered_at,
                    "status_changed_at": registered_at,
                    "checked_in_at": next(arrivals) if came else None,
                    "checked_in_by_id": organizer.id if came else None,
                }
            )
    insert(Registration, registration_rows)
    event_ids = [e.id for e in events]
    checked_in = db.session.execute(
        sa.select(Registration.id, Registration.event_id, Registration.user_id)
        .where(Registration.event_id.in_(event_ids), Registration.checked_in_at.is_not(None))
        .order_by(Registration.event_id, Registration.checked_in_at)
    ).all()
    rng = random.Random(FIRST_MOBILE + 1)
    profile_rows = []
    numbers: dict[int, int] = {}
    used: dict[tuple[int, str], int] = {}
    gender_of = {uid[i]: m.gender for i, m in enumerate(history.members)}
    ends_of = {e.id: e.ends_at for e in events}
    for registration_id, event_id, user_id in checked_in:
        numbers[event_id] = numbers.get(event_id, 0) + 1
        gender = gender_of[user_id]
        n = used[(event_id, gender)] = used.get((event_id, gender), -1) + 1
        pool = NICKNAMES[gender]
        profile_rows.append(
            {
                "event_id": event_id,
                "user_id": user_id,
                "registration_id": registration_id,
                "number": numbers[event_id],
                "nickname": pool[n % len(pool)] + ("" if n < len(pool) else str(n // len(pool))),
                "introduction": "",
                "created_at": ends_of[event_id] - timedelta(hours=5, minutes=30),
            }
        )
    insert(MixerProfile, profile_rows)
    profiles = db.session.execute(
        sa.select(MixerProfile.id, MixerProfile.event_id, MixerProfile.user_id).where(
            MixerProfile.event_id.in_(event_ids)
        )
    ).all()
    mobile_of = {uid[i]: str(FIRST_MOBILE + i) for i in range(len(uid))}
    insert(
        ContactCard,
        [
            {
                "profile_id": profile_id,
                "phone": mobile_of[user_id] if rng.random() < 0.5 else "",
                "wechat": f"wx_{mobile_of[user_id][-6:]}",
                "email": "",
                "consented_at": ends_of[event_id] + timedelta(minutes=rng.randint(5, 600)),
            }
            for profile_id, event_id, user_id in profiles
        ],
    )
    insert(
        Mark,
        [
            {"event_id": e.id, "marker_id": uid[a], "marked_id": uid[b], "created_at": at}
            for e, mixer in zip(events, history.mixers, strict=True)
            for a, b, at in mixer.marks
        ],
    )
    insert(
        IntroductionRequest,
        [
            {
                "event_id": e.id,
                "requester_id": uid[a],
                "recipient_id": uid[b],
                "note": "那天聊得很投缘，散场时没来得及交换联系方式，想请平台帮忙牵个线。",
                "sent_at": sent,
                "expires_at": sent + timedelta(days=7),
                "accepted_at": accepted,
            }
            for e, mixer in zip(events, history.mixers, strict=True)
            for a, b, sent, accepted in mixer.introductions
        ],
    )
    insert(
        Match,
        [
            {
                "event_id": e.id,
                "user_low_id": min(uid[a], uid[b]),
                "user_high_id": max(uid[a], uid[b]),
                "source": MatchSource.INTRODUCTION,
                "matched_at": accepted,
            }
            for e, mixer in zip(events, history.mixers, strict=True)
            for a, b, _sent, accepted in mixer.introductions
        ],
    )
    db.session.flush()
    # The retention purge ran for every mixer whose retention period has passed, when it was due.
    days = service.retention_days()
    for event, mixer in zip(events, history.mixers, strict=True):
        due = mixer.closes_at + timedelta(days=days, minutes=5)
        if due <= now:
            jobs.purge(event, due)
    return Loaded(len(events), len(history.members), len(checked_in))
