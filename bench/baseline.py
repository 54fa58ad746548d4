"""The bare-Flask baseline: the same database work as the app's pages, with nothing else.

No login, CSRF, Babel, templates, forms or ORM: plain Flask routes running, through SQLAlchemy
Core, the very statements the app issues for the same page (see docs/performance.md for the
list), in the same order, on the same tables, with the same engine options, and answering with
a small JSON document. Who is asking comes from a query argument or a form field instead of a
signed session.

Served by gunicorn exactly like the app: `gunicorn 'bench.baseline:create_app()'`.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask, Response, abort, request

from eventsite.config import database_url

EVENTS_PAGE_SIZE = 20
ROSTER_PAGE_SIZE = 50
VISIBLE = ("published", "cancelled")

EVENT_PAGE = sa.text(
    "SELECT * FROM event WHERE event.status IN ('published', 'cancelled') AND event.ends_at >= :now "
    "ORDER BY event.starts_at, event.id LIMIT :limit OFFSET :offset"
)
EVENT_ORGANIZERS = sa.text(
    "SELECT * FROM event_organizer WHERE event_organizer.event_id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))
EVENT_COUNT = sa.text(
    "SELECT count(*) FROM (SELECT * FROM event WHERE event.status IN ('published', 'cancelled') "
    "AND event.ends_at >= :now) AS anon_1"
)
OCCUPANCIES = sa.text(
    "SELECT registration.event_id, registration.gender, registration.team_id, "
    "count(registration.id) FROM registration "
    "WHERE registration.event_id IN :ids AND registration.status = 'confirmed' "
    "GROUP BY registration.event_id, registration.gender, registration.team_id"
).bindparams(sa.bindparam("ids", expanding=True))
STATUS_COUNTS = sa.text(
    "SELECT registration.event_id, registration.status, count(registration.id) FROM registration "
    "WHERE registration.event_id IN :ids GROUP BY registration.event_id, registration.status"
).bindparams(sa.bindparam("ids", expanding=True))

EVENT_BY_ID = sa.text("SELECT * FROM event WHERE event.id = :id")
USER_BY_ID = sa.text('SELECT * FROM "user" WHERE "user".id = :id')
USER_ROLES = sa.text("SELECT * FROM user_role WHERE user_role.user_id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)
TEAMS = sa.text("SELECT * FROM team WHERE team.event_id = :id ORDER BY team.position, team.id")
TRACKS = sa.text("SELECT * FROM track WHERE track.event_id = :id ORDER BY track.position, track.id")
ROSTER_COUNT = sa.text(
    'SELECT count(registration.id) FROM registration JOIN "user" ON "user".id = registration.user_id '
    "WHERE registration.event_id = :id"
)
ROSTER_PAGE = sa.text(
    'SELECT registration.*, "user".*, team.*, track.* FROM registration '
    'JOIN "user" ON "user".id = registration.user_id '
    "LEFT OUTER JOIN team ON team.id = registration.team_id "
    "LEFT OUTER JOIN track ON track.id = registration.track_id "
    "WHERE registration.event_id = :id "
    "ORDER BY registration.registered_at, registration.id LIMIT :limit OFFSET :offset"
)
ROSTER_COUNTS = sa.text(
    "SELECT registration.status, registration.gender, registration.team_id, "
    "count(registration.id), count(registration.checked_in_at) FROM registration "
    "WHERE registration.event_id = :id "
    "GROUP BY registration.status, registration.gender, registration.team_id"
)
UNREAD = sa.text(
    "SELECT count(notification.id) FROM notification "
    "WHERE notification.user_id = :id AND notification.read_at IS NULL"
)

LOCK_EVENT = sa.text("SELECT * FROM event WHERE event.id = :id FOR NO KEY UPDATE")
CONFIRMED = sa.text(
    "SELECT count(registration.id) FROM registration "
    "WHERE registration.event_id = :id AND registration.status = 'confirmed'"
)
INSERT_REGISTRATION = sa.text(
    "INSERT INTO registration (event_id, user_id, status, gender, birth_year, single_declared_at, "
    "registered_at, waitlisted_at, status_changed_at, status_reason) "
    "VALUES (:event_id, :user_id, :status, "
    '(SELECT "user".gender FROM "user" WHERE "user".id = :user_id), '
    '(SELECT "user".birth_year FROM "user" WHERE "user".id = :user_id), '
    ":now, :now, :waitlisted_at, :now, '') RETURNING id"
)
INSERT_NOTIFICATION = sa.text(
    "INSERT INTO notification (user_id, subject, body, link, created_at) "
    "VALUES (:user_id, :subject, :body, :link, :now) RETURNING id"
)


def _naive_utc_now() -> datetime:
    # The app stores naive UTC (core.models.UTCDateTime).
    return datetime.now(UTC).replace(tzinfo=None)


def _json(value, status: int = 200) -> Response:
    return Response(
        json.dumps(value, ensure_ascii=False, default=str), status, mimetype="application/json"
    )


def create_app(url: str | None = None) -> Flask:
    """A Flask app with three endpoints and one engine, configured like the app's."""
    app = Flask(__name__)
    engine = sa.create_engine(database_url(url or os.environ["DATABASE_URL"]), pool_pre_ping=True)
    app.extensions["baseline.engine"] = engine

    @app.get("/healthz")
    def healthz():
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return "ok"

    @app.get("/events")
    def events():
        """The public list's page: the page of events, their organizers, the total, counts."""
        page = max(request.args.get("page", 1, type=int), 1)
        now = _naive_utc_now()
        with engine.connect() as conn:
            rows = (
                conn.execute(
                    EVENT_PAGE,
                    {
                        "now": now,
                        "limit": EVENTS_PAGE_SIZE,
                        "offset": (page - 1) * EVENTS_PAGE_SIZE,
                    },
                )
                .mappings()
                .all()
            )
            ids = [row["id"] for row in rows]
            if ids:
                conn.execute(EVENT_ORGANIZERS, {"ids": ids}).all()
            total = conn.execute(EVENT_COUNT, {"now": now}).scalar()
            counts: dict[int, dict[str, int]] = {i: {} for i in ids}
            confirmed: dict[int, int] = dict.fromkeys(ids, 0)
            if ids:
                for event_id, _gender, _team, count in conn.execute(OCCUPANCIES, {"ids": ids}):
                    confirmed[event_id] += count
                for event_id, status, count in conn.execute(STATUS_COUNTS, {"ids": ids}):
                    counts[event_id][status] = count
            capacity = {row["id"]: row["capacity"] for row in rows}
        return _json(
            {
                "total": total,
                "events": [
                    {
                        "id": row["id"],
                        "title": row["title"],
                        "kind": row["kind"],
                        "starts_at": row["starts_at"],
                        "venue": row["venue"],
                        "counts": counts[row["id"]],
                        "places_left": None
                        if capacity[row["id"]] is None
                        else max(capacity[row["id"]] - confirmed[row["id"]], 0),
                    }
                    for row in rows
                ],
            }
        )

    @app.get("/events/<int:event_id>/roster")
    def roster(event_id: int):
        """The organizer's roster page: who asks, the event, one page of rows and the counts."""
        user_id = request.args.get("user", type=int)
        page = max(request.args.get("page", 1, type=int), 1)
        with engine.connect() as conn:
            event = conn.execute(EVENT_BY_ID, {"id": event_id}).mappings().one_or_none()
            if event is None:
                abort(404)
            organizers = {
                row["user_id"]
                for row in conn.execute(EVENT_ORGANIZERS, {"ids": [event_id]}).mappings()
            }
            user = conn.execute(USER_BY_ID, {"id": user_id}).mappings().one_or_none()
            if user is None:
                abort(403)
            roles = {row["role"] for row in conn.execute(USER_ROLES, {"ids": [user_id]}).mappings()}
            if user_id not in organizers and "admin" not in roles:
                abort(403)
            teams = conn.execute(TEAMS, {"id": event_id}).mappings().all()
            conn.execute(TRACKS, {"id": event_id}).all()
            total = conn.execute(ROSTER_COUNT, {"id": event_id}).scalar()
            pages = max(1, -(-total // ROSTER_PAGE_SIZE))
            page = min(page, pages)
            result = conn.execute(
                ROSTER_PAGE,
                {
                    "id": event_id,
                    "limit": ROSTER_PAGE_SIZE,
                    "offset": (page - 1) * ROSTER_PAGE_SIZE,
                },
            )
            # registration.*, user.*, team.*, track.*: pick by position (the names repeat).
            keys = list(result.keys())
            at = {name: keys.index(name) for name in ("status", "registered_at", "checked_in_at")}
            name_at, mobile_at = keys.index("name"), keys.index("mobile")
            team_names = {team["id"]: team["name"] for team in teams}
            team_id_at = keys.index("team_id")
            items = [
                {
                    "name": row[name_at],
                    "mobile": row[mobile_at],
                    "status": row[at["status"]],
                    "team": team_names.get(row[team_id_at]),
                    "registered_at": row[at["registered_at"]],
                    "checked_in_at": row[at["checked_in_at"]],
                }
                for row in result
            ]
            counts: dict[str, int] = {}
            for status, _gender, _team, number, _checked in conn.execute(
                ROSTER_COUNTS, {"id": event_id}
            ):
                counts[status] = counts.get(status, 0) + number
            unread = conn.execute(UNREAD, {"id": user_id}).scalar()
        return _json(
            {
                "event": event["title"],
                "total": total,
                "page": page,
                "counts": counts,
                "unread": unread,
                "rows": items,
            }
        )

    @app.post("/events/<int:event_id>/register")
    def register(event_id: int):
        """Lock the event row, count confirmed places, insert the registration and the inbox
        message, commit."""
        user_id = request.form.get("user_id", type=int)
        now = _naive_utc_now()
        with engine.begin() as conn:
            event = conn.execute(LOCK_EVENT, {"id": event_id}).mappings().one_or_none()
            if event is None or event["status"] != "published":
                abort(404)
            if not event["registration_opens_at"] <= now < event["registration_closes_at"]:
                return _json({"error": "closed"}, 400)
            confirmed = conn.execute(CONFIRMED, {"id": event_id}).scalar()
            has_place = event["capacity"] is None or confirmed < event["capacity"]
            status = "confirmed" if has_place else "waitlisted"
            conn.execute(
                INSERT_REGISTRATION,
                {
                    "event_id": event_id,
                    "user_id": user_id,
                    "status": status,
                    "now": now,
                    "waitlisted_at": None if has_place else now,
                },
            )
            conn.execute(
                INSERT_NOTIFICATION,
                {
                    "user_id": user_id,
                    "subject": f"报名{'成功' if has_place else '候补'}：{event['title']}",
                    "body": event["title"],
                    "link": f"/events/{event_id}",
                    "now": now,
                },
            )
        return _json({"status": status})

    return app
