"""The sports meet's live standings, in-process: the meet of `bench/dataset.py` (`seed_meet`: 8
teams, 30 items, 500 entrants, half-way through the day).

    DATABASE_URL=postgresql://… .venv/bin/python -m bench.meet_standings   # an empty database
    make bench BENCH_ARGS="--only rankings"                                # with the rankings

It reports the median of several runs, each in a fresh session as a request starts, as
wall-clock and as this process's CPU time, of
- the board (`sportsmeet.service.load_board`: the SQL that loads the meet, every item placed,
  points, team standings and medals), next to issue 15's target (≤ 100 ms), and
- the refresh the standings page fetches (`standings.json?fragments=page`, anonymous) with the
  kept board switched off, so that every request builds and renders it,
and the SQL statements of building the board.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.competition_ranking import medians
from bench.loadgen import USER_AGENT
from eventsite import create_app
from eventsite.core.process import settle_after_loading
from eventsite.events.models import Event
from eventsite.extensions import db
from eventsite.sportsmeet import service

#: Issue 15's target for building the board, in milliseconds.
TARGET_MS = 100


def measure(app, event_id: int) -> dict:
    """The board's and the rebuilt refresh's figures for the meet `event_id`."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():

        def board():
            db.session.remove()
            return service.load_board(db.session.get(Event, event_id))

        built = board()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            db.session.remove()
            service.load_board(db.session.get(Event, event_id))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        board_wall, board_cpu = medians(board)
        items = len(built.items)
    app.config["MEET_BOARD_CACHE_SECONDS"] = 0
    client = app.test_client(use_cookies=False)
    path = f"/events/{event_id}/meet/standings.json?fragments=page"

    def refresh():
        response = client.get(path, headers={"User-Agent": USER_AGENT})
        assert response.status_code == 200, response.status_code

    refresh()
    refresh_wall, refresh_cpu = medians(refresh)
    return {
        "items": items,
        "board_ms": round(board_wall, 1),
        "board_cpu_ms": round(board_cpu, 1),
        "target_ms": TARGET_MS,
        "board_statements": len(statements) - 1,  # less the event's own load
        "refresh_rebuilt_ms": round(refresh_wall, 1),
        "refresh_rebuilt_cpu_ms": round(refresh_cpu, 1),
    }


def measure_meet(url: str) -> dict:
    """Seed the meet into the empty database at `url` and measure it."""
    from bench.dataset import seed_meet

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_IN_PROCESS": False})
    with app.app_context():
        upgrade()
        meet = seed_meet()
        db.session.commit()
        event_id = meet.event_id
        db.session.remove()
    # The garbage collector tuned as wsgi.py does once the app is built: what is there is
    # frozen, and young objects are collected every 50,000 allocations, not every 700.
    settle_after_loading()
    try:
        return measure(app, event_id)
    finally:
        with app.app_context():
            db.engine.dispose()


def line(figures: dict) -> str:
    """The figures as a line of the report."""
    met = "met" if figures["board_ms"] <= figures["target_ms"] else "NOT met"
    return (
        f"sports meet (8 teams x 30 items x 500 entrants): board {figures['board_ms']:.1f} ms "
        f"(CPU {figures['board_cpu_ms']:.1f}; target ≤ {figures['target_ms']} ms: {met}), "
        f"{figures['board_statements']} SQL statements; refresh rebuilt every request "
        f"{figures['refresh_rebuilt_ms']:.1f} ms (CPU {figures['refresh_rebuilt_cpu_ms']:.1f})"
    )


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Give DATABASE_URL: an empty PostgreSQL database to seed the meet into.")
    print(line(measure_meet(url)))


if __name__ == "__main__":
    main()
