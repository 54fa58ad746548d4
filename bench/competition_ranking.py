"""Ranking recomputation for a skills competition, in-process: the seed's shape (72 contestants,
5 tracks, 7 judges, 6 criteria, every sheet in) and a contest ten times larger.

    .venv/bin/python -m bench.competition_ranking            # both sizes, SQLite in a temp dir
    DATABASE_URL=postgresql://… .venv/bin/python -m bench.competition_ranking
    make bench BENCH_ARGS="--only rankings"                  # PostgreSQL, with the sports meet

For each size it reports the median of several runs of
- the pure rules (`rules.rank_round`: overall and per track, on plain values), and
- the whole board (`service.load_board`: the SQL that loads the round, then the same rules),
  each run in a fresh session, as a request starts,
both as wall-clock and as this process's CPU time, next to issue 15's targets (≤ 15 ms for
72 contestants, ≤ 100 ms for 720), and the SQL statements the organizer's ranking page issues
(which must not grow with size).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from decimal import Decimal

import sqlalchemy as sa
from flask_migrate import upgrade

from eventsite import create_app
from eventsite.accounts import devices
from eventsite.accounts.models import User, UserRole
from eventsite.accounts.notice import PRIVACY_NOTICE_VERSION
from eventsite.competitions import rules, service
from eventsite.competitions.models import Criterion, JudgeAssignment, Round, Score, ScoreSheet
from eventsite.core.process import settle_after_loading
from eventsite.core.time import utcnow
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

TRACKS = ("商务英语", "商务俄语", "商务西班牙语", "商务法语", "商务日语")
JUDGES = 7
CRITERIA = 6
RUNS = 7
#: Issue 15's targets for the whole board, by contestants, in milliseconds.
TARGETS_MS = {72: 15, 720: 100}


def build(contestants: int, serial: int) -> Round:
    """A published competition with `contestants` over 5 tracks and 12 teams, 7 judges on every
    track, 6 criteria, and a submitted sheet from every judge for every contestant."""
    rng = random.Random(contestants)
    now = utcnow()
    organizer = User(
        name="组织者",
        mobile=f"1370{serial:07d}",
        gender="female",
        birth_year=1985,
        password_hash="x",
        work_unit="",
        role_grants=[UserRole(role="organizer")],
        # The organizer has accepted the privacy notice, as every member has after sign-up.
        privacy_version=PRIVACY_NOTICE_VERSION,
        privacy_accepted_at=now,
    )
    db.session.add(organizer)
    db.session.flush()
    event = Event(
        kind=EventKind.COMPETITION,
        status=EventStatus.PUBLISHED,
        title=f"基准竞赛 {contestants}",
        starts_at=now,
        ends_at=now,
        registration_opens_at=now,
        registration_closes_at=now,
        created_by_id=organizer.id,
    )
    event.organizers = [EventOrganizer(user_id=organizer.id)]
    event.teams = [Team(name=f"代表队{i + 1}", position=i) for i in range(12)]
    event.tracks = [Track(name=name, position=i) for i, name in enumerate(TRACKS)]
    db.session.add(event)
    db.session.flush()
    people = [
        User(
            name=f"选手{i}",
            mobile=f"1371{serial:03d}{i:04d}",
            gender="male",
            birth_year=1990,
            password_hash="x",
            work_unit="",
        )
        for i in range(contestants)
    ]
    judges = [
        User(
            name=f"评委{i}",
            mobile=f"1372{serial:03d}{i:04d}",
            gender="male",
            birth_year=1970,
            password_hash="x",
            work_unit="",
            role_grants=[UserRole(role="judge")],
        )
        for i in range(JUDGES)
    ]
    db.session.add_all(people + judges)
    db.session.flush()
    registrations = [
        Registration(
            event_id=event.id,
            user_id=user.id,
            status=RegistrationStatus.CONFIRMED,
            gender="male",
            birth_year=1990,
            team_id=event.teams[i % 12].id,
            track_id=event.tracks[i % len(TRACKS)].id,
        )
        for i, user in enumerate(people)
    ]
    db.session.add_all(registrations)
    contest = Round(event_id=event.id, name="决赛", position=1, aggregation="trimmed_mean")
    contest.criteria = [
        Criterion(name=f"评分项{c + 1}", max_score=Decimal(20), step=Decimal("0.5"), position=c)
        for c in range(CRITERIA)
    ]
    db.session.add(contest)
    db.session.flush()
    db.session.add_all(
        JudgeAssignment(round_id=contest.id, track_id=track.id, user_id=judge.id)
        for judge in judges
        for track in event.tracks
    )
    sheets = [
        ScoreSheet(
            round_id=contest.id,
            judge_id=judge.id,
            registration_id=registration.id,
            submitted_at=now,
        )
        for judge in judges
        for registration in registrations
    ]
    db.session.add_all(sheets)
    db.session.flush()
    db.session.execute(
        sa.insert(Score),
        [
            {
                "sheet_id": sheet.id,
                "criterion_id": criterion.id,
                "value": Decimal(rng.randint(16, 40)) / 2,
            }
            for sheet in sheets
            for criterion in contest.criteria
        ],
    )
    db.session.commit()
    return contest


def medians(function, runs: int = RUNS) -> tuple[float, float]:
    """The median wall-clock and CPU milliseconds of `runs` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def measure(app, round_id: int) -> dict:
    with app.app_context():
        contest = db.session.get(Round, round_id)
        board = service.load_board(contest)
        counted = [
            rules.Sheet(s.judge_id, s.registration_id, board.values[s.id])
            for s in board.sheet_by_pair.values()
            if s.submitted
        ]
        criteria = service.rule_criteria(contest)
        rule = service.aggregation_rule(contest)

        def pure():
            rules.rank_round(board.contestants.values(), counted, criteria, rule=rule)

        def whole():
            # A fresh session, as every request has: nothing of the round is loaded yet.
            db.session.remove()
            service.load_board(db.session.get(Round, round_id))

        rules_wall, rules_cpu = medians(pure)
        board_wall, board_cpu = medians(whole)
        contest = db.session.get(Round, round_id)
        result = {
            "contestants": len(board.registrations),
            "sheets": len(counted),
            "rules_ms": round(rules_wall, 1),
            "rules_cpu_ms": round(rules_cpu, 1),
            "board_ms": round(board_wall, 1),
            "board_cpu_ms": round(board_cpu, 1),
            "target_ms": TARGETS_MS.get(len(board.registrations)),
        }
        organizer = contest.event.organizers[0].user_id
        organizer_user = db.session.get(User, organizer)
        devices.sign_in(organizer_user, user_agent="")  # what the organizer's login opens
        session_id = organizer_user.get_id()
        db.session.commit()
        event_id = contest.event_id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get(f"/competitions/{event_id}/rounds/{round_id}/ranking")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.status_code
    result["ranking_page_statements"] = len(statements)
    if os.environ.get("BENCH_SHOW_SQL"):
        print("\n".join(line[:120] for line in statements))
    return result


def measure_all(url: str) -> list[dict]:
    """Both sizes on a migrated-here database at `url` (empty, or of an earlier run)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_IN_PROCESS": False})
    with app.app_context():
        upgrade()
        rounds = [build(72, 1).id, build(720, 2).id]
        if db.engine.dialect.name == "postgresql":
            # Statistics, as autovacuum keeps them on a live database (and as `bench/run.py`
            # takes them before its other parts): without them the planner takes the round's
            # 5,040 sheets for a handful, and the recusal facts' statement for 720 contestants
            # joins them in a loop (5-7 ms instead of about 1).
            db.session.commit()
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE"
                )
    # The garbage collector tuned as wsgi.py does once the app is built: what is there is
    # frozen, and young objects are collected every 50,000 allocations, not every 700.
    settle_after_loading()
    try:
        return [measure(app, round_id) for round_id in rounds]
    finally:
        with app.app_context():
            db.engine.dispose()


def line(figures: dict) -> str:
    """One size's figures as a line of the report."""
    target = figures.get("target_ms")
    verdict = ""
    if target is not None:
        verdict = (
            f" (target ≤ {target} ms: {'met' if figures['board_ms'] <= target else 'NOT met'})"
        )
    return (
        f"{figures['contestants']:>4} contestants, {figures['sheets']:>5} sheets: "
        f"rules {figures['rules_ms']:.1f} ms (CPU {figures['rules_cpu_ms']:.1f}), "
        f"whole board {figures['board_ms']:.1f} ms (CPU {figures['board_cpu_ms']:.1f}){verdict}, "
        f"ranking page {figures['ranking_page_statements']} SQL statements"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.db"
        for figures in measure_all(url):
            print(line(figures))


if __name__ == "__main__":
    main()
