"""The benchmark's data, written with bulk INSERTs through the app's own models, and the signed
session cookies its members and organizer log in with."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from bench.loadgen import HOST, USER_AGENT
from eventsite.accounts import devices
from eventsite.accounts.models import User, UserRole
from eventsite.accounts.notice import PRIVACY_NOTICE_VERSION
from eventsite.core.models import Notification
from eventsite.core.time import utcnow
from eventsite.events.models import (
    Event,
    EventKind,
    EventOrganizer,
    EventStatus,
    Registration,
    RegistrationStatus,
    Team,
)
from eventsite.extensions import db

S = RegistrationStatus

MEMBERS = 5000
RUSH_MEMBERS = 1000
RUSH_SEATS = 100
LIST_EVENTS = 60
BIG_ROSTER = 5000
SMALL_ROSTER = 100


@dataclass
class Dataset:
    organizer_id: int
    member_ids: list[int]
    #: The mixer the app's rush registers for, and the baseline's twin of it.
    rush_event: int
    rush_event_baseline: int
    #: A mixer with one seat, for counting the statements of a registration.
    census_event: int
    big_roster_event: int
    small_roster_event: int
    events_listed: int
    #: What each account's login puts in the session (Flask-Login's `get_id()`: the session id
    #: of the signed-in device the dataset opened for it).
    login_ids: dict[int, str] = field(default_factory=dict)


def _insert(model, rows: list[dict]) -> list[int]:
    return list(
        db.session.scalars(sa.insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    )


def _event(title: str, kind: EventKind, starts, now, organizer_id, **fields) -> dict:
    return {
        "kind": str(kind),
        "status": str(fields.pop("status", EventStatus.PUBLISHED)),
        "title": title,
        "description": "工会会员活动。",
        "venue": "工人文化宫",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=4),
        "registration_opens_at": now - timedelta(days=1),
        "registration_closes_at": starts - timedelta(hours=1),
        "capacity": fields.pop("capacity", None),
        "approval_required": False,
        "created_by_id": organizer_id,
        "created_at": now,
        "updated_at": now,
        "published_at": now,
        "cancel_reason": "",
        **fields,
    }


def _roster_rows(event_id: int, user_ids, team_ids, now) -> list[dict]:
    """A varied roster: 80 % confirmed (a third checked in), then waitlisted, pending, cancelled,
    rejected; two teams in turn; arrivals a few seconds apart."""
    pattern = [S.CONFIRMED] * 16 + [S.WAITLISTED] * 2 + [S.PENDING, S.CANCELLED]
    rows = []
    for i, uid in enumerate(user_ids):
        status = pattern[i % len(pattern)]
        arrived = now - timedelta(days=2) + timedelta(seconds=7 * i)
        checked = status == S.CONFIRMED and i % 3 == 0
        rows.append(
            {
                "event_id": event_id,
                "user_id": uid,
                "status": str(status),
                "team_id": team_ids[i % len(team_ids)],
                "registered_at": arrived,
                "status_changed_at": arrived,
                "waitlisted_at": arrived if status == S.WAITLISTED else None,
                "checked_in_at": now if checked else None,
                "status_reason": "",
            }
        )
    return rows


def _accepted_notice() -> dict:
    """Members who accepted the current privacy notice, as every member has after sign-up."""
    return {"privacy_version": PRIVACY_NOTICE_VERSION, "privacy_accepted_at": utcnow()}


ACCEPTED_NOTICE = _accepted_notice()


def seed() -> Dataset:
    """Members, an organizer, 60 listed events, two rush mixers and two rosters (call in an app
    context on a freshly migrated database)."""
    now = utcnow()
    hashed = generate_password_hash("bench-password-1")
    people = _insert(
        User,
        [
            {
                "name": f"会员{i:04d}",
                "mobile": f"139{i:08d}",
                "email": None,
                "password_hash": hashed,
                "work_unit": ["芜湖市总工会", "烟台市商务局", "站前街道"][i % 3],
                "gender": "male" if i % 2 else "female",
                "birth_year": 1988 + i % 12,
                "active": True,
                "created_at": now,
                **ACCEPTED_NOTICE,
            }
            for i in range(MEMBERS + 1)
        ],
    )
    organizer, members = people[0], people[1:]
    db.session.execute(sa.insert(UserRole), [{"user_id": organizer, "role": "organizer"}])

    def add_event(title, kind, days, **fields) -> int:
        (event_id,) = _insert(
            Event, [_event(title, kind, now + timedelta(days=days), now, organizer, **fields)]
        )
        db.session.execute(
            sa.insert(EventOrganizer),
            [{"event_id": event_id, "user_id": organizer, "added_at": now}],
        )
        return event_id

    rush = add_event("秋遇隅里 一叶知卿（压测）", EventKind.MIXER, 10, capacity=RUSH_SEATS)
    rush_twin = add_event("秋遇隅里 一叶知卿（基线）", EventKind.MIXER, 10, capacity=RUSH_SEATS)
    census = add_event("计数用联谊会", EventKind.MIXER, 11, capacity=1)
    rosters = {}
    for size, title in ((BIG_ROSTER, "站前街道趣味运动会"), (SMALL_ROSTER, "社区趣味运动会")):
        event_id = add_event(title, EventKind.SPORTSMEET, 12)
        teams = _insert(
            Team,
            [{"event_id": event_id, "name": f"第{n + 1}队", "position": n} for n in range(4)],
        )
        _insert(Registration, _roster_rows(event_id, members[:size], teams, now))
        rosters[size] = event_id

    # The rest of the public list: every kind, spread over two months, a few registrations each.
    kinds = list(EventKind)
    others = LIST_EVENTS - 5
    for n in range(others):
        event_id = add_event(
            f"工会活动 {n + 1}",
            kinds[n % 3],
            3 + n,
            capacity=30 + n,
            status=EventStatus.CANCELLED if n % 11 == 5 else EventStatus.PUBLISHED,
        )
        picked = members[n * 7 : n * 7 + n % 12]
        if picked:
            db.session.execute(
                sa.insert(Registration),
                [
                    {
                        "event_id": event_id,
                        "user_id": uid,
                        "status": str([S.CONFIRMED, S.CONFIRMED, S.WAITLISTED][j % 3]),
                        "registered_at": now,
                        "status_changed_at": now,
                        "waitlisted_at": now if j % 3 == 2 else None,
                        "status_reason": "",
                    }
                    for j, uid in enumerate(picked)
                ],
            )
    db.session.execute(
        sa.insert(Notification),
        [
            {"user_id": organizer, "subject": f"通知 {i}", "body": "", "created_at": now}
            for i in range(12)
        ],
    )
    db.session.commit()
    listed = db.session.scalar(
        sa.select(sa.func.count(Event.id)).where(
            Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]), Event.ends_at >= now
        )
    )
    login_ids = {}
    for user in db.session.scalars(sa.select(User)).all():
        devices.sign_in(user, user_agent=USER_AGENT)  # what each member's login opens
        login_ids[user.id] = user.get_id()
    db.session.commit()
    return Dataset(
        login_ids=login_ids,
        organizer_id=organizer,
        member_ids=members,
        rush_event=rush,
        rush_event_baseline=rush_twin,
        census_event=census,
        big_roster_event=rosters[BIG_ROSTER],
        small_roster_event=rosters[SMALL_ROSTER],
        events_listed=listed,
    )


@dataclass(frozen=True)
class Login:
    """A member's session cookie and the CSRF form token that goes with it."""

    cookie: str
    csrf_token: str


class Sessions:
    """Signed session cookies made with the app's own serializers, as a login would set them.

    The session holds what Flask-Login puts there (`_user_id`, `_fresh`, and `_id`, the hash of
    the client's address and user agent that its "basic" session protection checks) and the raw
    CSRF token; the form token is that raw token signed as Flask-WTF signs it
    (URLSafeTimedSerializer(secret, salt="wtf-csrf-token")).
    """

    def __init__(self, app: Flask, login_ids: dict[int, str]):
        from flask_login.utils import _create_identifier

        self.app = app
        self.login_ids = login_ids
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
        self.csrf = URLSafeTimedSerializer(secret, salt="wtf-csrf-token")
        with app.test_request_context(
            "/", environ_base={"REMOTE_ADDR": HOST}, headers={"User-Agent": USER_AGENT}
        ):
            self.identifier = _create_identifier()

    def login(self, user_id: int) -> Login:
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        session = {
            "_user_id": self.login_ids[user_id],
            "_fresh": True,
            "_id": self.identifier,
            "csrf_token": raw,
        }
        return Login(
            cookie=f"{self.cookie_name}={self.serializer.dumps(session)}",
            csrf_token=self.csrf.dumps(raw),
        )


# --- The sports meet: 8 teams x 30 items x 500 entrants, half-way through the day ---------------

MEET_TEAMS = 8
MEET_ITEMS = 30
MEET_ENTRANTS = 500
#: Items 0 and 1 are head-to-head (knockout, round robin); 2-9 individual; the rest team items.
MEET_INDIVIDUAL = range(2, 10)
#: Each team's people in an individual item, and its members in a team item.
MEET_PER_INDIVIDUAL_ITEM = 8
MEET_PER_TEAM_ENTRY = 10
#: Items with results so far (the first 20 in running order), and those declared final (12).
MEET_ITEMS_STARTED = 20
MEET_ITEMS_FINAL = 12


@dataclass
class MeetDataset:
    event_id: int
    items: int
    entries: int
    entry_members: int
    heats: int
    results: int
    matches: int


def _meet_value(kind: str, n: int) -> Decimal:
    """A plausible raw result with some ties: seconds, a count, metres or a judged place."""
    if kind == "time":
        return Decimal(40) + Decimal(n % 23) / 4
    if kind == "count":
        return Decimal(20 + n % 17)
    if kind == "distance":
        return Decimal(8) + Decimal(n % 29) / 10
    return Decimal(n % 8 + 1)


def seed_meet(organizer_id: int | None = None) -> MeetDataset:
    """A published sports meet of 8 teams, 30 items and 500 employees (their own accounts), every
    item entered and drawn, 20 with results (DNF, DQ and ties among them), 12 declared final;
    call in an app context on a migrated database."""
    from eventsite.sportsmeet import rules
    from eventsite.sportsmeet.models import (
        Entry,
        EntryMember,
        Heat,
        Item,
        Lane,
        Match,
        MeetSettings,
        Result,
    )

    now = utcnow()
    hashed = generate_password_hash("bench-password-1")
    if organizer_id is None:
        (organizer_id,) = _insert(
            User,
            [
                {
                    "name": "运动会组织者",
                    "mobile": "13700000000",
                    "email": None,
                    "password_hash": hashed,
                    "work_unit": "站前街道",
                    "gender": "female",
                    "birth_year": 1980,
                    "active": True,
                    "created_at": now,
                    **ACCEPTED_NOTICE,
                }
            ],
        )
        db.session.execute(sa.insert(UserRole), [{"user_id": organizer_id, "role": "organizer"}])
    people = _insert(
        User,
        [
            {
                "name": f"运动员{i:03d}",
                "mobile": f"136{i:08d}",
                "email": None,
                "password_hash": hashed,
                "work_unit": "齐齐哈尔市总工会",
                "gender": "female" if i % 2 else "male",
                "birth_year": 1975 + i % 25,
                "active": True,
                "created_at": now,
                **ACCEPTED_NOTICE,
            }
            for i in range(MEET_ENTRANTS)
        ],
    )
    starts = now - timedelta(hours=3)
    (event_id,) = _insert(
        Event,
        [
            _event(
                "齐齐哈尔职工趣味运动会（压测）",
                EventKind.SPORTSMEET,
                starts,
                now - timedelta(days=10),
                organizer_id,
                registration_opens_at=now - timedelta(days=20),
                registration_closes_at=now - timedelta(days=5),
                ends_at=starts + timedelta(hours=8),
            )
        ],
    )
    db.session.execute(
        sa.insert(EventOrganizer),
        [{"event_id": event_id, "user_id": organizer_id, "added_at": now}],
    )
    teams = _insert(
        Team,
        [
            {"event_id": event_id, "name": f"{n + 1}号社区队", "position": n}
            for n in range(MEET_TEAMS)
        ],
    )
    registrations = _insert(
        Registration,
        [
            {
                "event_id": event_id,
                "user_id": uid,
                "status": str(S.CONFIRMED),
                "team_id": teams[i % MEET_TEAMS],
                "gender": "female" if i % 2 else "male",
                "birth_year": 1975 + i % 25,
                "registered_at": now - timedelta(days=12),
                "status_changed_at": now - timedelta(days=12),
                "status_reason": "",
            }
            for i, uid in enumerate(people)
        ],
    )
    # Members by team, women and men alternating (registration i is in team i % 8).
    members = {team: registrations[t::MEET_TEAMS] for t, team in enumerate(teams)}
    db.session.execute(
        sa.insert(MeetSettings),
        [{"event_id": event_id, "points_table": "", "per_person_limit": None}],
    )
    kinds = ["time", "count", "distance", "placing"]
    item_rows = []
    for n in range(MEET_ITEMS):
        if n == 0:
            kind, fmt = "head_to_head", "knockout"
        elif n == 1:
            kind, fmt = "head_to_head", "round_robin"
        else:
            kind, fmt = kinds[n % 3 if n in MEET_INDIVIDUAL else n % 4], ""
        individual = n in MEET_INDIVIDUAL
        size = 1 if individual else MEET_PER_TEAM_ENTRY
        item_rows.append(
            {
                "event_id": event_id,
                "name": ["拔河", "跳大绳"][n] if n < 2 else f"趣味项目{n + 1:02d}",
                "result_type": kind,
                "match_format": fmt,
                "starts_at": starts + timedelta(minutes=15 * n),
                "place": f"{n % 4 + 1}号场地",
                "min_members": size,
                "max_members": size,
                "min_women": 0 if individual else 2,
                "multiplier": Decimal(2) if n % 10 == 5 else Decimal(1),
                "second_attempt": individual,
                "individual": individual,
                "position": n + 1,
                "finalized_at": now - timedelta(minutes=5) if n < MEET_ITEMS_FINAL else None,
            }
        )
    items = _insert(Item, item_rows)

    entries: dict[int, list[int]] = {}  # item id -> entry ids, in team order
    member_rows = []
    used = 0
    for n, item_id in enumerate(items):
        individual = n in MEET_INDIVIDUAL
        rows, people_of = [], []
        for team in teams:
            pool = members[team]
            if individual:
                for _ in range(MEET_PER_INDIVIDUAL_ITEM):
                    rows.append({"item_id": item_id, "team_id": team})
                    people_of.append([pool[used % len(pool)]])
                    used += 1
            else:
                rows.append({"item_id": item_id, "team_id": team})
                people_of.append([pool[(used + k) % len(pool)] for k in range(MEET_PER_TEAM_ENTRY)])
                used += MEET_PER_TEAM_ENTRY
        ids = _insert(Entry, rows)
        entries[item_id] = ids
        for entry_id, regs in zip(ids, people_of, strict=True):
            member_rows.extend({"entry_id": entry_id, "registration_id": r} for r in set(regs))
    db.session.execute(sa.insert(EntryMember), member_rows)

    heat_count = result_count = match_count = 0
    for n, item_id in enumerate(items):
        started = n < MEET_ITEMS_STARTED
        entered_at = starts + timedelta(minutes=15 * n + 10)
        seeds = entries[item_id]
        if n < 2:
            if n == 0:
                planned = rules.knockout_bracket(seeds)
                if started:
                    for _ in range(3):  # decide every playable match, round by round
                        planned = rules.advance_knockout(
                            [
                                replace(m, winner=m.home)
                                if m.winner is None and m.home and m.away
                                else m
                                for m in planned
                            ]
                        )
            else:
                planned = rules.round_robin_schedule(seeds)
                if started:  # half-way: the first half of the schedule played, some drawn
                    half = len(planned) // 2
                    planned = [
                        replace(m, winner=(rules.DRAW if i % 5 == 4 else m.home)) if i < half else m
                        for i, m in enumerate(planned)
                    ]
            db.session.execute(
                sa.insert(Match),
                [
                    {
                        "item_id": item_id,
                        "round": m.round,
                        "slot": m.slot,
                        "home_entry_id": m.home,
                        "away_entry_id": m.away,
                        "winner_entry_id": m.winner or None,
                        "drawn": m.winner == rules.DRAW,
                        "entered_at": entered_at if m.winner is not None else None,
                    }
                    for m in planned
                ],
            )
            match_count += len(planned)
            continue
        heats = [seeds[i : i + 8] for i in range(0, len(seeds), 8)]
        heat_ids = _insert(
            Heat,
            [
                {"item_id": item_id, "number": h + 1, "is_final": len(heats) == 1}
                for h in range(len(heats))
            ],
        )
        heat_count += len(heat_ids)
        db.session.execute(
            sa.insert(Lane),
            [
                {"heat_id": heat_id, "entry_id": entry_id, "lane": lane + 1}
                for heat_id, lanes in zip(heat_ids, heats, strict=True)
                for lane, entry_id in enumerate(lanes)
            ],
        )
        if not started:
            continue
        kind = item_rows[n]["result_type"]
        rows = []
        for heat_id, lanes in zip(heat_ids, heats, strict=True):
            for lane, entry_id in enumerate(lanes):
                k = entry_id * 7 + n
                outcome = "dq" if k % 37 == 0 else "dnf" if k % 41 == 0 else "ok"
                if kind == "placing":
                    value = Decimal(lane + 1 if lane != 5 else 5)  # a tie for fifth
                else:
                    value = _meet_value(kind, k)
                rows.append(
                    {
                        "heat_id": heat_id,
                        "entry_id": entry_id,
                        "value": value if outcome == "ok" else None,
                        "second_value": (
                            _meet_value(kind, k + 3)
                            if outcome == "ok" and item_rows[n]["second_attempt"]
                            else None
                        ),
                        "outcome": outcome,
                        "reason": "" if outcome == "ok" else "越线",
                        "entered_by_id": organizer_id,
                        "entered_at": entered_at + timedelta(seconds=lane),
                    }
                )
        db.session.execute(sa.insert(Result), rows)
        result_count += len(rows)
    db.session.commit()
    return MeetDataset(
        event_id=event_id,
        items=len(items),
        entries=sum(len(e) for e in entries.values()),
        entry_members=len(member_rows),
        heats=heat_count,
        results=result_count,
        matches=match_count,
    )
