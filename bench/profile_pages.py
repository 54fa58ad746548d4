"""Where a request's time goes: the benchmark's pages and registration, profiled in-process.

    .venv/bin/python bench/profile_pages.py [--repeat 200] [--top 25]

Seeds a fresh PostgreSQL database like bench/run.py does, then runs each request `repeat`
times through the app's test client (same production settings, CSRF on) and the baseline's,
and prints for both the wall and CPU time per request and the time spent waiting on PostgreSQL;
then profiles the app's requests with cProfile and prints the functions with the most
cumulative time (BENCH_PROFILE_SORT=tottime for own time). No HTTP, no gunicorn: the CPU times
hardly depend on what else the machine is doing. The database is dropped at the end.

For a request that locks the event row (the registration), it also prints how long the row stays
locked (wall and CPU, from the `FOR NO KEY UPDATE` to the commit) and how many statements run
meanwhile; `--profile-locked` profiles only those locked sections. The sports meet is seeded
only when one of its requests is profiled.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.loadgen import USER_AGENT  # noqa: E402
from bench.run import DEFAULT_SERVER, analyze, fresh_database  # noqa: E402

#: The requests that need the sports meet seeded (8 teams x 30 items x 500 entrants).
MEET_REQUESTS = ("meet standings.json, board built", "meet standings.json, board kept")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", default="", help="profile only requests whose name contains this")
    parser.add_argument(
        "--statements", action="store_true", help="print each request's SQL, app and baseline"
    )
    parser.add_argument(
        "--profile-locked",
        action="store_true",
        help="also profile only the sections that hold the event's row lock",
    )
    args = parser.parse_args(argv)

    with fresh_database(args.server, keep=False) as (_name, url):
        os.environ.update(
            {
                "EVENTSITE_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32),
                "DATABASE_URL": url,
                "CACHE_STORAGE_URI": os.environ.get(
                    "BENCH_CACHE_STORAGE_URI", "redis://127.0.0.1:6379/0"
                ),
            }
        )
        from flask_migrate import upgrade

        from bench import baseline
        from bench.dataset import Sessions, seed, seed_meet
        from eventsite import create_app
        from eventsite.extensions import db

        app = create_app()
        with app.app_context():
            upgrade()
            data = seed()
            wanted = any(args.only in name for name in MEET_REQUESTS)
            meet = seed_meet(data.organizer_id) if wanted else None
            db.session.remove()
            engine = db.engine
        analyze(url)
        sessions = Sessions(app, data.login_ids)
        from eventsite.core.process import settle_after_loading

        settle_after_loading()  # as wsgi.py does once the app is loaded
        client = app.test_client(use_cookies=False)
        bare_app = baseline.create_app(url)
        bare = bare_app.test_client()
        organizer = sessions.login(data.organizer_id)
        members = iter(data.member_ids)
        bare_members = iter(data.member_ids)

        def get(path, login=None):
            headers = {"User-Agent": USER_AGENT}
            if login:
                headers["Cookie"] = login.cookie
            return lambda: client.get(path, headers=headers)

        def register():
            login = sessions.login(next(members))
            return client.post(
                f"/events/{data.rush_event}/register",
                data={"csrf_token": login.csrf_token, "single_declared": "y"},
                headers={"Cookie": login.cookie, "User-Agent": USER_AGENT},
            )

        def built(call):
            """`call` with the live board's cache off: every request builds the board."""

            def without_cache():
                app.config["MEET_BOARD_CACHE_SECONDS"] = 0
                try:
                    return call()
                finally:
                    app.config.pop("MEET_BOARD_CACHE_SECONDS")

            return without_cache

        def bare_get(path):
            return lambda: bare.get(path)

        def bare_register():
            return bare.post(
                f"/events/{data.rush_event_baseline}/register",
                data={"user_id": next(bare_members)},
            )

        big, small, org = data.big_roster_event, data.small_roster_event, data.organizer_id
        requests = {
            "event list": (get("/events"), 200, bare_get("/events")),
            "roster of 5,000, page 1": (
                get(f"/events/{big}/roster", organizer),
                200,
                bare_get(f"/events/{big}/roster?user={org}"),
            ),
            "roster of 5,000, page 50": (
                get(f"/events/{big}/roster?page=50", organizer),
                200,
                bare_get(f"/events/{big}/roster?user={org}&page=50"),
            ),
            "roster of 100, page 1": (
                get(f"/events/{small}/roster", organizer),
                200,
                bare_get(f"/events/{small}/roster?user={org}"),
            ),
            "register (rush mixer)": (register, 303, bare_register),
        }
        if meet is not None:
            # The sports meet's live board (8 teams x 30 items x 500 entrants): built on every
            # request, and kept between requests while the meet has not changed.
            built_board, kept_board = MEET_REQUESTS
            requests[built_board] = (
                built(get(f"/events/{meet.event_id}/meet/standings.json")),
                200,
                bare_get(f"/events/{meet.event_id}/meet/standings.json"),
            )
            requests[kept_board] = (
                get(f"/events/{meet.event_id}/meet/standings.json"),
                200,
                bare_get(f"/events/{meet.event_id}/meet/standings.json"),
            )
        waits = []
        holds = []  # (wall, CPU, statements) from the row lock to the commit
        locked_at = {}  # connection: (wall, CPU, statements) when it took the lock
        locked_profiler = []  # the profiler of the locked sections, while one runs
        rendering = []
        import flask.templating

        original_render = flask.templating._render

        def timed_render(*render_args, **render_kwargs):
            started = time.process_time()
            try:
                return original_render(*render_args, **render_kwargs)
            finally:
                rendering.append(time.process_time() - started)

        flask.templating._render = timed_render

        def before(conn, cursor, statement, parameters, context, executemany):
            context._bench_started = time.perf_counter()
            key = id(conn.connection.dbapi_connection)
            if key in locked_at:
                locked_at[key][2] += 1
            elif "FOR NO KEY UPDATE" in statement or "FOR UPDATE" in statement:
                locked_at[key] = [context._bench_started, time.process_time(), 1]
                if locked_profiler:
                    locked_profiler[0].enable()

        def on_commit(conn):
            started = locked_at.pop(id(conn.connection.dbapi_connection), None)
            if started is not None:
                if locked_profiler:
                    locked_profiler[0].disable()
                wall, cpu, statements = started
                holds.append((time.perf_counter() - wall, time.process_time() - cpu, statements))

        def on_rollback(conn):
            if locked_at.pop(id(conn.connection.dbapi_connection), None) and locked_profiler:
                locked_profiler[0].disable()

        def after(conn, cursor, statement, parameters, context, executemany):
            waits.append(time.perf_counter() - context._bench_started)

        def timed(call, status, engine):
            for _ in range(5):  # warm caches (templates, compiled statements)
                assert call().status_code == status
            if args.statements:
                seen = []

                def note(conn, cursor, statement, *rest):
                    seen.append(statement)

                sa.event.listen(engine, "before_cursor_execute", note)
                call()
                sa.event.remove(engine, "before_cursor_execute", note)
                print(f"--- {len(seen)} statements")
                for statement in seen:
                    print("   ", " ".join(statement.split())[:240])
            waits.clear()
            holds.clear()
            rendering.clear()
            sa.event.listen(engine, "before_cursor_execute", before)
            sa.event.listen(engine, "after_cursor_execute", after)
            sa.event.listen(engine, "commit", on_commit)
            sa.event.listen(engine, "rollback", on_rollback)
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.repeat):
                response = call()
            elapsed = (time.perf_counter() - start) / args.repeat
            cpu = (time.process_time() - cpu) / args.repeat
            sa.event.remove(engine, "before_cursor_execute", before)
            sa.event.remove(engine, "after_cursor_execute", after)
            sa.event.remove(engine, "commit", on_commit)
            sa.event.remove(engine, "rollback", on_rollback)
            assert response.status_code == status
            held = ""
            if holds:
                locked, locked_cpu, statements = (
                    sum(column) / len(holds) for column in zip(*holds, strict=True)
                )
                held = (
                    f", event row locked {locked * 1000:.2f} ({locked_cpu * 1000:.2f} CPU, "
                    f"{statements:.0f} statements)"
                )
            if rendering:
                held += f", {sum(rendering) / args.repeat * 1000:.2f} CPU in templates"
            return (
                elapsed * 1000,
                cpu * 1000,
                sum(waits) / args.repeat * 1000,
                len(waits),
                held,
            )

        bare_engine = bare_app.extensions["baseline.engine"]
        for name, (call, status, bare_call) in requests.items():
            if args.only and args.only not in name:
                continue
            app_wall, app_cpu, app_sql, app_n, app_held = timed(call, status, engine)
            base_wall, base_cpu, base_sql, base_n, base_held = timed(bare_call, 200, bare_engine)
            print(
                f"\n=== {name} (ms per request, without the profiler)\n"
                f"    app:      {app_wall:6.2f} wall, {app_cpu:6.2f} CPU, {app_sql:6.2f} in "
                f"{app_n / args.repeat:.0f} SQL statements{app_held}\n"
                f"    baseline: {base_wall:6.2f} wall, {base_cpu:6.2f} CPU, {base_sql:6.2f} in "
                f"{base_n / args.repeat:.0f} SQL statements{base_held}\n"
                f"    app CPU beyond the baseline's: {app_cpu - base_cpu:.2f} ms"
            )
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                call()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(
                os.environ.get("BENCH_PROFILE_SORT", "cumulative")
            ).print_stats(args.top)
            print(out.getvalue())
            if args.profile_locked and app_held:
                print(f"--- {name}: only the sections holding the event's row lock")
                profiler = cProfile.Profile()
                locked_profiler.append(profiler)
                sa.event.listen(engine, "before_cursor_execute", before)
                sa.event.listen(engine, "commit", on_commit)
                sa.event.listen(engine, "rollback", on_rollback)
                for _ in range(args.repeat):
                    call()
                sa.event.remove(engine, "before_cursor_execute", before)
                sa.event.remove(engine, "commit", on_commit)
                sa.event.remove(engine, "rollback", on_rollback)
                locked_profiler.clear()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(
                    os.environ.get("BENCH_PROFILE_SORT", "cumulative")
                ).print_stats(args.top)
                print(out.getvalue())
        bare_engine.dispose()
        with app.app_context():
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
