"""Benchmark a province: the statistics pages and a member's event list at provincial scale.

    make bench-province             # or: .venv/bin/python bench/province.py [--help]

1. Creates a fresh database `eventsite_bench_<random>` on the PostgreSQL server (`--server` or
   BENCH_DATABASE_URL, as bench/run.py does), migrates it and fills it with COPY (no ORM row by
   row): 5,000 organizations (province → 16 cities → 240 districts → grassroots unions) with
   their closure links, 200,000 members, 2,000 events held this year in the grassroots unions
   (a quarter of them mixers), 400,000 registrations (200 an event: 90 % confirmed, most
   checked in, some served from the waitlist, the rest cancelled). Then VACUUM ANALYZE.
2. In-process (the app as production configures it, through Flask's test client with a signed
   session cookie, as bench/dataset.Sessions makes them) requests, several times each: the
   statistics page of the province, of a city and of a grassroots union, and the event list of a
   member; for each, the SQL statements of one request and the median time.
3. Prints a table and writes it as JSON to bench/results/province-latest.json (gitignored).

Not a test: numbers depend on the machine. docs/performance.md records what they were.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.run import DEFAULT_SERVER, analyze, count_statements, fresh_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CITIES = 16
DISTRICTS_PER_CITY = 15
ORGANIZATIONS = 5_000
MEMBERS = 200_000
EVENTS = 2_000
PER_EVENT = 200  # 400,000 registrations


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--repeat", type=int, default=7, help="requests per page (median)")
    parser.add_argument("--keep-database", action="store_true")
    return parser.parse_args(argv)


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def build_tree() -> list[tuple[int, int | None, str, str, int]]:
    """(id, parent, name, level, depth) for the province and everything below it; the root (1)
    already exists."""
    nodes = [(2, 1, "安徽省总工会", "province", 1)]
    next_id = 3
    cities, districts = [], []
    for c in range(CITIES):
        nodes.append((next_id, 2, f"第{c + 1}市总工会", "city", 2))
        cities.append(next_id)
        next_id += 1
    for city in cities:
        for d in range(DISTRICTS_PER_CITY):
            nodes.append((next_id, city, f"市{city}第{d + 1}区总工会", "district", 3))
            districts.append(next_id)
            next_id += 1
    grassroots = ORGANIZATIONS - len(nodes) - 1
    for g in range(grassroots):
        nodes.append((next_id, districts[g % len(districts)], f"基层工会{g + 1}", "enterprise", 4))
        next_id += 1
    return nodes


def links(nodes) -> list[tuple[int, int, int]]:
    parent = {1: None} | {n[0]: n[1] for n in nodes}
    rows = []
    for node, *_ in nodes:
        above, depth = node, 0
        while above is not None:
            rows.append((above, node, depth))
            above, depth = parent[above], depth + 1
    return rows


def seed(url: str, now: datetime) -> dict:
    import psycopg

    from eventsite.accounts.notice import PRIVACY_NOTICE_VERSION

    rng = random.Random(12)
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    nodes = build_tree()
    grassroots = [n[0] for n in nodes if n[3] == "enterprise"]
    year_start = datetime(now.year, 1, 1, tzinfo=UTC)
    with psycopg.connect(plain) as conn, conn.cursor() as cur:
        _copy(
            cur,
            "organization",
            ["id", "parent_id", "name", "short_name", "level", "contact", "depth", "created_at"],
            ((i, p, name, "", level, "", depth, now) for i, p, name, level, depth in nodes),
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('organization', 'id'), %s)", [5000])
        _copy(cur, "organization_link", ["ancestor_id", "descendant_id", "depth"], links(nodes))
        hashed = "pbkdf2:sha256:1$bench$" + "0" * 64
        _copy(
            cur,
            "user",
            [
                "id",
                "name",
                "mobile",
                "password_hash",
                "work_unit",
                "gender",
                "birth_year",
                "active",
                "created_at",
                "sms_choices",
                "privacy_version",
                "privacy_accepted_at",
            ],
            (
                (
                    i,
                    f"会员{i:06d}",
                    f"139{i:08d}",
                    hashed,
                    "",
                    "male" if i % 2 else "female",
                    1975 + i % 30,
                    True,
                    now,
                    "{}",
                    PRIVACY_NOTICE_VERSION,
                    now,
                )
                for i in range(1, MEMBERS + 1)
            ),
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('user', 'id'), %s)", [MEMBERS])
        kinds = ["sportsmeet"] * 9 + ["mixer"] * 4 + ["competition"] * 3  # a quarter mixers
        span = (now - timedelta(days=5) - year_start).total_seconds()
        events = []
        for e in range(1, EVENTS + 1):
            starts = year_start + timedelta(seconds=rng.random() * span)
            events.append((e, kinds[e % len(kinds)], starts, grassroots[e % len(grassroots)]))
        _copy(
            cur,
            "event",
            [
                "id",
                "kind",
                "status",
                "title",
                "description",
                "venue",
                "starts_at",
                "ends_at",
                "registration_opens_at",
                "registration_closes_at",
                "approval_required",
                "promotion_confirm_hours",
                "organization_id",
                "created_at",
                "updated_at",
                "published_at",
                "cancel_reason",
            ],
            (
                (
                    e,
                    kind,
                    "published",
                    f"活动{e}",
                    "",
                    "工人文化宫",
                    s,
                    s + timedelta(hours=4),
                    s - timedelta(days=20),
                    s - timedelta(days=1),
                    False,
                    24,
                    org,
                    s - timedelta(days=21),
                    s - timedelta(days=21),
                    s - timedelta(days=21),
                    "",
                )
                for e, kind, s, org in events
            ),
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('event', 'id'), %s)", [EVENTS])
        _copy(
            cur,
            "mixer_settings",
            ["event_id", "window_hours", "visibility", "reveal"],
            ((e, 72, "other_gender", "at_close") for e, kind, _s, _o in events if kind == "mixer"),
        )

        def registrations():
            rid = 0
            for e, _kind, s, _org in events:
                for uid in rng.sample(range(1, MEMBERS + 1), PER_EVENT):
                    rid += 1
                    roll = rng.random()
                    status = "cancelled" if roll < 0.1 else "confirmed"
                    waited = s - timedelta(days=3) if 0.1 <= roll < 0.15 else None
                    checked = s + timedelta(minutes=10) if 0.15 <= roll < 0.92 else None
                    registered = s - timedelta(days=10)
                    yield (
                        rid,
                        e,
                        uid,
                        status,
                        "male" if uid % 2 else "female",
                        1975 + uid % 30,
                        registered,
                        waited,
                        registered,
                        checked,
                        "",
                    )

        total = _copy(
            cur,
            "registration",
            [
                "id",
                "event_id",
                "user_id",
                "status",
                "gender",
                "birth_year",
                "registered_at",
                "waitlisted_at",
                "status_changed_at",
                "checked_in_at",
                "status_reason",
            ],
            registrations(),
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('registration', 'id'), %s)", [total])
        # The viewers: the province's admin, and one member of a grassroots union.
        cur.execute(
            "INSERT INTO user_role (user_id, role, organization_id, granted_at) "
            "VALUES (1, 'admin', 2, now())"
        )
        conn.commit()
    city = nodes[1][0]
    grassroot = grassroots[0]
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "registrations": total,
        "province": 2,
        "city": city,
        "grassroots": grassroot,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    with fresh_database(args.server, args.keep_database) as (name, url):
        os.environ.update(
            {
                "EVENTSITE_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32),
                "DATABASE_URL": url,
                "SCHEDULER_IN_PROCESS": "0",
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        from flask_migrate import upgrade

        from bench.dataset import Sessions
        from bench.loadgen import HOST, USER_AGENT
        from eventsite import create_app
        from eventsite.accounts import devices
        from eventsite.accounts.models import User
        from eventsite.core.time import utcnow
        from eventsite.extensions import db

        app = create_app()
        with app.app_context():
            upgrade()
        now = utcnow()
        print(f"database {name}: seeding a province with COPY …", flush=True)
        data = seed(url, now)
        analyze(url)
        print(f"seeded in {data['seconds']} s", flush=True)
        with app.app_context():
            logins = {}
            for uid in (1, 2):
                user = db.session.get(User, uid)
                devices.sign_in(user, user_agent=USER_AGENT)
                logins[uid] = user.get_id()
            db.session.commit()
            db.session.remove()
        sessions = Sessions(app, logins)
        pages = {
            "statistics, province (5,000 organizations)": (
                1,
                f"/organizations/{data['province']}/statistics",
            ),
            "statistics, city": (1, f"/organizations/{data['city']}/statistics"),
            "statistics, grassroots union": (1, f"/organizations/{data['grassroots']}/statistics"),
            "XLSX report, province": (1, f"/organizations/{data['province']}/statistics.xlsx"),
            "event list, a member": (2, "/events"),
        }
        engine = None
        with app.app_context():
            engine = db.engine
        results = {}
        for label, (uid, path) in pages.items():
            login = sessions.login(uid)
            client = app.test_client()
            cookie_name, _, cookie_value = login.cookie.partition("=")
            client.set_cookie(cookie_name, cookie_value)
            environ = {"REMOTE_ADDR": HOST}
            headers = {"User-Agent": USER_AGENT}

            def fetch(path=path, client=client, environ=environ, headers=headers):
                response = client.get(
                    path, base_url="https://localhost", environ_base=environ, headers=headers
                )
                assert response.status_code == 200, (path, response.status_code)
                return response

            fetch()  # warm up
            statements, _ = count_statements(engine, fetch)
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                fetch()
                times.append(time.perf_counter() - started)
            results[label] = {
                "statements": statements,
                "median_ms": round(statistics.median(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
            }
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "sizes": {
                "organizations": ORGANIZATIONS,
                "members": MEMBERS,
                "events": EVENTS,
                "registrations": data["registrations"],
            },
            "seed_seconds": data["seconds"],
            "repeat": args.repeat,
            "pages": results,
        }
    print(f"{'page':48} {'statements':>10} {'median ms':>10} {'max ms':>8}")
    for label, r in results.items():
        print(f"{label:48} {r['statements']:>10} {r['median_ms']:>10} {r['max_ms']:>8}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "province-latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
