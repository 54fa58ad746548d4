"""The benchmark's data, written with bulk INSERTs through the app's own models, and the signed
session cookies its members and organizer log in with."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from bench.loadgen import HOST, USER_AGENT
from eventsite.accounts.models import User, UserRole
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
    #: What each account's login puts in the session (Flask-Login's `get_id()`).
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
    login_ids = {user.id: user.get_id() for user in db.session.scalars(sa.select(User))}
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
