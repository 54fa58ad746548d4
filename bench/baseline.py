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
    "SELECT registration.event_id, registration.status, registration.gender, "
    "registration.team_id, count(registration.id) FROM registration "
    "WHERE registration.event_id IN :ids AND registration.status IN ('confirmed', 'waitlisted') "
    "GROUP BY registration.event_id, registration.status, registration.gender, "
    "registration.team_id"
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
    "registered_at, waitlisted_at, status_changed_at, status_reason, companions) "
    "VALUES (:event_id, :user_id, :status, "
    '(SELECT "user".gender FROM "user" WHERE "user".id = :user_id), '
    '(SELECT "user".birth_year FROM "user" WHERE "user".id = :user_id), '
    ":now, :now, :waitlisted_at, :now, '', 0) RETURNING id"
)
INSERT_NOTIFICATION = sa.text(
    "INSERT INTO notification (user_id, subject, body, link, created_at) "
    "VALUES (:user_id, :subject, :body, :link, :now) RETURNING id"
)

#: A confirmed place is also texted (sms.rules.SENT_BY_DEFAULT): one queued row, as the app writes.
INSERT_SMS = sa.text(
    "INSERT INTO sms_message (user_id, mobile, kind, params, body, segments, status, created_at, "
    "send_after, attempts) "
    'VALUES (:user_id, (SELECT "user".mobile FROM "user" WHERE "user".id = :user_id), '
    "'registration_confirmed', :params, :body, 1, 'queued', :now, :now, 0) RETURNING id"
)


def _naive_utc_now() -> datetime:
    # The app stores naive UTC (core.models.UTCDateTime).
    return datetime.now(UTC).replace(tzinfo=None)


def _json(value, status: int = 200) -> Response:
    return Response(
        json.dumps(value, ensure_ascii=False, default=str), status, mimetype="application/json"
    )


def create_app(url: str | None = None) -> Flask:
    """A Flask app with four endpoints and one engine, configured like the app's."""
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
        """The public list's page: the page of events, the total, places taken, counts."""
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
            total = conn.execute(EVENT_COUNT, {"now": now}).scalar()
            counts: dict[int, dict[str, int]] = {i: {} for i in ids}
            confirmed: dict[int, int] = dict.fromkeys(ids, 0)
            if ids:
                for event_id, status, _gender, _team, count in conn.execute(
                    OCCUPANCIES, {"ids": ids}
                ):
                    if status == "confirmed":
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

    @app.get("/events/<int:event_id>/meet/standings.json")
    def meet_standings_json(event_id: int):
        """The sports meet's standings (the app's page, its JSON refresh and its big screen
        issue the same statements)."""
        response = _json(meet_standings(engine, event_id))
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post("/events/<int:event_id>/register")
    def register(event_id: int):
        """Lock the event row, count confirmed places, insert the registration, the inbox
        message and, for a confirmed place, the queued SMS; commit."""
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
            if has_place:
                conn.execute(
                    INSERT_SMS,
                    {
                        "user_id": user_id,
                        "params": json.dumps({"event": event["title"][:20], "time": ""}),
                        "body": f"【职工活动】您已报名「{event['title']}」。",
                        "now": now,
                    },
                )
        return _json({"status": status})

    return app


# --- The sports meet's standings: the 12 statements of `sportsmeet.service.load_board` ----------

MEET_SETTINGS = sa.text("SELECT * FROM meet_settings WHERE meet_settings.event_id = :id")
MEET_ITEMS = sa.text(
    "SELECT * FROM meet_item WHERE meet_item.event_id = :id "
    "ORDER BY meet_item.position, meet_item.id"
)
MEET_REFEREES = sa.text(
    'SELECT meet_item_referee.*, "user".* FROM meet_item_referee '
    'LEFT OUTER JOIN "user" ON "user".id = meet_item_referee.user_id '
    "WHERE meet_item_referee.item_id IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))
MEET_ENTRIES = sa.text(
    "SELECT meet_entry.id, meet_entry.item_id, meet_entry.team_id FROM meet_entry "
    "JOIN meet_item ON meet_item.id = meet_entry.item_id WHERE meet_item.event_id = :id "
    "ORDER BY meet_entry.id"
)
MEET_PEOPLE = sa.text(
    'SELECT meet_entry_member.entry_id, "user".name FROM meet_entry_member '
    "JOIN meet_entry ON meet_entry.id = meet_entry_member.entry_id "
    "JOIN meet_item ON meet_item.id = meet_entry.item_id "
    "JOIN registration ON registration.id = meet_entry_member.registration_id "
    'JOIN "user" ON "user".id = registration.user_id '
    "WHERE meet_item.event_id = :id AND meet_item.individual IS true"
)
MEET_HEATS = sa.text(
    "SELECT meet_heat.* FROM meet_heat JOIN meet_item ON meet_item.id = meet_heat.item_id "
    "WHERE meet_item.event_id = :id ORDER BY meet_heat.number"
)
MEET_LANES = sa.text(
    "SELECT meet_lane.heat_id, meet_lane.entry_id FROM meet_lane "
    "JOIN meet_heat ON meet_heat.id = meet_lane.heat_id "
    "JOIN meet_item ON meet_item.id = meet_heat.item_id "
    "WHERE meet_item.event_id = :id ORDER BY meet_lane.heat_id, meet_lane.lane"
)
MEET_RESULTS = sa.text(
    "SELECT meet_result.* FROM meet_result JOIN meet_heat ON meet_heat.id = meet_result.heat_id "
    "JOIN meet_item ON meet_item.id = meet_heat.item_id WHERE meet_item.event_id = :id"
)
MEET_MATCHES = sa.text(
    "SELECT meet_match.* FROM meet_match JOIN meet_item ON meet_item.id = meet_match.item_id "
    "WHERE meet_item.event_id = :id ORDER BY meet_match.round, meet_match.slot"
)


def meet_standings(engine, event_id: int) -> dict:
    """The standings page's statements, in the app's order, and a small summary of what they
    read (results and points entered per team); no placings, points tables or rendering."""
    with engine.connect() as conn:
        event = conn.execute(EVENT_BY_ID, {"id": event_id}).mappings().one_or_none()
        if event is None or event["kind"] != "sportsmeet":
            abort(404)
        conn.execute(EVENT_ORGANIZERS, {"ids": [event_id]}).all()
        conn.execute(MEET_SETTINGS, {"id": event_id}).all()
        teams = conn.execute(TEAMS, {"id": event_id}).mappings().all()
        items = conn.execute(MEET_ITEMS, {"id": event_id}).mappings().all()
        if items:
            conn.execute(MEET_REFEREES, {"ids": [item["id"] for item in items]}).all()
        team_of = {
            entry_id: team_id
            for entry_id, _item, team_id in conn.execute(MEET_ENTRIES, {"id": event_id})
        }
        conn.execute(MEET_PEOPLE, {"id": event_id}).all()
        conn.execute(MEET_HEATS, {"id": event_id}).all()
        conn.execute(MEET_LANES, {"id": event_id}).all()
        results = conn.execute(MEET_RESULTS, {"id": event_id}).mappings().all()
        matches = conn.execute(MEET_MATCHES, {"id": event_id}).mappings().all()
    entered: dict[int, int] = {team["id"]: 0 for team in teams}
    for result in results:
        entered[team_of[result["entry_id"]]] += 1
    return {
        "event": event["title"],
        "items": len(items),
        "results_by_team": [
            {"team": team["name"], "results": entered[team["id"]]} for team in teams
        ],
        "matches_decided": sum(1 for m in matches if m["winner_entry_id"] or m["drawn"]),
    }
