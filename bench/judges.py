"""What judges' and referees' writes cost: a score sheet's save and a heat's results, in-process,
and 40 judges autosaving their sheets at once under gunicorn.

    make bench-judges                                  # both parts, about 3 minutes
    make bench-judges BENCH_ARGS="--only cpu"          # in-process CPU per save (no HTTP)
    make bench-judges BENCH_ARGS="--only load"         # 40 judges autosaving, 2 workers
    .venv/bin/python bench/judges.py --only cpu --profile "autosave" --top 30

Each part creates a fresh PostgreSQL database (bench/run.py's `fresh_database`: `--server` or
BENCH_DATABASE_URL), migrates it with the app's migrations, seeds it and drops it at the end.

cpu    The seed's competition (72 contestants in 5 tracks from 12 teams, 7 judges on every
       track, 6 criteria; half of each judge's sheets saved as drafts, a quarter submitted) and
       the standings benchmark's sports meet (`bench.dataset.seed_meet`: 8 teams × 30 items × 500
       entrants) with a referee on every item. Each kind of save is sent `--repeat` times
       through the app's test client (production settings, CSRF on, signed session cookies as a
       login sets them) and timed with `time.process_time()` (CPU of this process: the app's
       Python and the driver's, not PostgreSQL's) and `time.perf_counter()` (wall); medians
       are printed with the SQL statements per request. `--profile NAME` prints cProfile's
       top functions for the kinds whose name contains NAME.
load   A competition of the same shape with 40 judges, each assigned to every track, served by
       `gunicorn wsgi:app` (2 workers, gthread × 4 threads, as `make bench`). Each judge is a
       separate session on its own connection. First `--bursts` bursts: all 40 judges send an
       autosave at the same instant, wait for every answer, and go again. Then `--seconds` of
       typing: each judge autosaves every 1.5–4 s (at random), as `static/js/score_sheet.js`
       does 1.5 s after the last keystroke, and submits a sheet after 3–6 saves and moves to
       the next contestant. Every request carries the version the last answer gave, as the
       page's script does; an answer other than 200 (stale, refused) counts as a failure.
       Latency (send to last byte) p50/p95/p99/max and requests per second are printed; the
       target is p99 < 300 ms. After the run the database is checked: each judge's sheets hold
       exactly the values the judge last sent, and every submitted sheet is locked.

Not a test: numbers depend on the machine (its load average is printed). docs/performance.md
records what they were.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.loadgen import HOST, USER_AGENT  # noqa: E402
from bench.run import DEFAULT_SERVER, Gunicorn, analyze, fresh_database, load_average  # noqa: E402

PARTS = ("cpu", "load")
TRACKS = ("商务英语", "商务俄语", "商务西班牙语", "商务法语", "商务日语")
TEAMS = 12
CONTESTANTS = 72
CRITERIA = 6
#: Each criterion's maximum, and its step.
MAXIMUM, STEP = Decimal(20), Decimal("0.5")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--only", default=",".join(PARTS), help="cpu, load or both")
    parser.add_argument(
        "--repeat", type=int, default=50, help="cpu: saves of each kind (at most 60)"
    )
    parser.add_argument("--profile", default="", help="cpu: profile the kinds containing this")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--judges", type=int, default=40, help="load: judges saving at once")
    parser.add_argument("--bursts", type=int, default=10, help="load: all judges at one instant")
    parser.add_argument("--seconds", type=float, default=60.0, help="load: seconds of typing")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    if not args.parts or set(args.parts) - set(PARTS):
        parser.error(f"--only takes {', '.join(PARTS)}")
    return args


# --- data --------------------------------------------------------------------------------------


@dataclass
class Contest:
    event_id: int
    round_id: int
    judge_ids: list[int]
    registration_ids: list[int]
    criterion_ids: list[int]
    login_ids: dict[int, str] = field(default_factory=dict)


def seed_contest(judges: int, *, serial: int, drafts: float = 0.0, submitted: float = 0.0):
    """A competition under way: 72 contestants in 5 tracks from 12 teams, one round with 6
    criteria (0–20 in steps of 0.5) and `judges` judges assigned to every track; each judge has
    the first `drafts` share of the contestants saved as drafts, the next `submitted` share
    submitted. Call in an app context on a migrated database."""
    from bench.dataset import ACCEPTED_NOTICE, _event, _insert
    from eventsite.accounts import devices
    from eventsite.accounts.models import User, UserRole
    from eventsite.competitions.models import (
        Criterion,
        JudgeAssignment,
        Round,
        Score,
        ScoreSheet,
    )
    from eventsite.core.time import utcnow
    from eventsite.events.models import (
        EventKind,
        EventOrganizer,
        Registration,
        RegistrationStatus,
        Team,
        Track,
    )
    from eventsite.extensions import db

    Event = __import__("eventsite.events.models", fromlist=["Event"]).Event
    rng = random.Random(serial)
    now = utcnow()
    hashed = "bench-not-a-password-hash"

    def person(name: str, mobile: str) -> dict:
        return {
            "name": name,
            "mobile": mobile,
            "email": None,
            "password_hash": hashed,
            "work_unit": "烟台市商务局",
            "gender": "male",
            "birth_year": 1985,
            "active": True,
            "created_at": now,
            **ACCEPTED_NOTICE,
        }

    (organizer,) = _insert(User, [person("总裁判长", f"1380{serial:03d}0000")])
    db.session.execute(sa.insert(UserRole), [{"user_id": organizer, "role": "organizer"}])
    (event_id,) = _insert(
        Event,
        [
            _event(
                f"国际贸易业务员技能竞赛（压测 {serial}）",
                EventKind.COMPETITION,
                now - timedelta(hours=2),
                now - timedelta(days=30),
                organizer,
                registration_opens_at=now - timedelta(days=30),
                registration_closes_at=now - timedelta(days=3),
            )
        ],
    )
    db.session.execute(
        sa.insert(EventOrganizer), [{"event_id": event_id, "user_id": organizer, "added_at": now}]
    )
    teams = _insert(
        Team,
        [{"event_id": event_id, "name": f"代表队{i + 1}", "position": i} for i in range(TEAMS)],
    )
    tracks = _insert(
        Track, [{"event_id": event_id, "name": n, "position": i} for i, n in enumerate(TRACKS)]
    )
    contestants = _insert(
        User, [person(f"选手{i:02d}", f"1381{serial:03d}{i:04d}") for i in range(CONTESTANTS)]
    )
    judge_ids = _insert(
        User, [person(f"评委{i:02d}", f"1382{serial:03d}{i:04d}") for i in range(judges)]
    )
    db.session.execute(sa.insert(UserRole), [{"user_id": j, "role": "judge"} for j in judge_ids])
    registrations = _insert(
        Registration,
        [
            {
                "event_id": event_id,
                "user_id": uid,
                "status": str(RegistrationStatus.CONFIRMED),
                "gender": "male",
                "birth_year": 1990,
                "team_id": teams[i % TEAMS],
                "track_id": tracks[i % len(TRACKS)],
                "registered_at": now - timedelta(days=20),
                "status_changed_at": now - timedelta(days=20),
                "status_reason": "",
            }
            for i, uid in enumerate(contestants)
        ],
    )
    contest = Round(event_id=event_id, name="决赛", position=1, aggregation="trimmed_mean")
    contest.criteria = [
        Criterion(name=f"评分项{c + 1}", max_score=MAXIMUM, step=STEP, position=c)
        for c in range(CRITERIA)
    ]
    db.session.add(contest)
    db.session.flush()
    criteria = [c.id for c in contest.criteria]
    db.session.execute(
        sa.insert(JudgeAssignment),
        [{"round_id": contest.id, "track_id": t, "user_id": j} for j in judge_ids for t in tracks],
    )
    drafted = round(CONTESTANTS * drafts)
    handed_in = round(CONTESTANTS * submitted)
    sheets = []
    for judge in judge_ids:
        for n, registration in enumerate(registrations[: drafted + handed_in]):
            sheets.append(
                {
                    "round_id": contest.id,
                    "judge_id": judge,
                    "registration_id": registration,
                    "version": 1,
                    "comment": "",
                    "updated_at": now,
                    "updated_by_id": judge,
                    "submitted_at": now if n >= drafted else None,
                    "from_paper": False,
                }
            )
    if sheets:
        sheet_ids = _insert(ScoreSheet, sheets)
        db.session.execute(
            sa.insert(Score),
            [
                {"sheet_id": s, "criterion_id": c, "value": Decimal(rng.randint(16, 40)) / 2}
                for s in sheet_ids
                for c in criteria
            ],
        )
    login_ids = {}
    for user in db.session.scalars(sa.select(User).where(User.id.in_(judge_ids))):
        devices.sign_in(user, user_agent=USER_AGENT)
        login_ids[user.id] = user.get_id()
    db.session.commit()
    return Contest(event_id, contest.id, judge_ids, registrations, criteria, login_ids)


@dataclass
class Meet:
    event_id: int
    referee_id: int
    #: Heats of items with results, not final: (item id, heat id, entry ids in lane order).
    started: list[tuple[int, int, list[int]]]
    #: Heats of items not started yet.
    fresh: list[tuple[int, int, list[int]]]
    login_ids: dict[int, str] = field(default_factory=dict)


def seed_referee_meet() -> Meet:
    """The standings benchmark's meet with a referee (a judge) on every item."""
    from bench.dataset import ACCEPTED_NOTICE, _insert, seed_meet
    from eventsite.accounts import devices
    from eventsite.accounts.models import User, UserRole
    from eventsite.core.time import utcnow
    from eventsite.extensions import db
    from eventsite.sportsmeet.models import Heat, Item, ItemReferee, Lane, Result, ResultKind

    meet = seed_meet()
    (referee,) = _insert(
        User,
        [
            {
                "name": "裁判员",
                "mobile": "13599990000",
                "email": None,
                "password_hash": "bench-not-a-password-hash",
                "work_unit": "站前街道",
                "gender": "female",
                "birth_year": 1980,
                "active": True,
                "created_at": utcnow(),
                **ACCEPTED_NOTICE,
            }
        ],
    )
    db.session.execute(sa.insert(UserRole), [{"user_id": referee, "role": "judge"}])
    items = list(db.session.scalars(sa.select(Item).where(Item.event_id == meet.event_id)))
    db.session.execute(
        sa.insert(ItemReferee), [{"item_id": item.id, "user_id": referee} for item in items]
    )
    started, fresh = [], []
    for item in sorted(items, key=lambda i: (i.position, i.id)):
        # Measured numbers (a count, metres): the same typed values suit both.
        if (
            item.finalized_at is not None
            or item.is_head_to_head
            or item.result_type
            not in {
                ResultKind.COUNT,
                ResultKind.DISTANCE,
            }
        ):
            continue
        for heat in db.session.scalars(sa.select(Heat).where(Heat.item_id == item.id)):
            lanes = list(
                db.session.scalars(
                    sa.select(Lane.entry_id).where(Lane.heat_id == heat.id).order_by(Lane.lane)
                )
            )
            has = db.session.scalar(sa.select(sa.func.count()).where(Result.heat_id == heat.id))
            (started if has else fresh).append((item.id, heat.id, lanes))
    user = db.session.get(User, referee)
    devices.sign_in(user, user_agent=USER_AGENT)
    login_ids = {referee: user.get_id()}
    db.session.commit()
    return Meet(meet.event_id, referee, started, fresh, login_ids)


# --- cpu: each save in-process -----------------------------------------------------------------


def _score_fields(criteria: list[int], values: list[Decimal | None]) -> dict:
    return {
        f"score_{c}": "" if v is None else format(v.normalize(), "f")
        for c, v in zip(criteria, values, strict=True)
    }


def _another_score(rng: random.Random, old: Decimal | None) -> Decimal:
    """A score a judge might type (8 to 20 in steps of 0.5), other than `old`."""
    while (value := Decimal(rng.randint(16, 40)) / 2) == old:
        pass
    return value


def cpu(args) -> dict:
    with fresh_database(args.server, keep=False) as (_name, url):
        os.environ.update(
            {
                "EVENTSITE_ENV": "production",
                "SECRET_KEY": secrets.token_hex(32),
                "DATABASE_URL": url,
            }
        )
        from flask_migrate import upgrade

        from bench.dataset import Sessions
        from eventsite import create_app
        from eventsite.extensions import db

        app = create_app({"RATELIMIT_STORAGE_URI": "memory://", "SCHEDULER_IN_PROCESS": False})
        with app.app_context():
            upgrade()
            contest = seed_contest(7, serial=1, drafts=0.5, submitted=0.25)
            meet = seed_referee_meet()
            db.session.remove()
            engine = db.engine
        analyze(url)
        sessions = Sessions(app, {**contest.login_ids, **meet.login_ids})
        client = app.test_client(use_cookies=False)
        rng = random.Random(7)
        base = f"/competitions/{contest.event_id}/rounds/{contest.round_id}/score"
        judges = {j: sessions.login(j) for j in contest.judge_ids}
        referee = sessions.login(meet.referee_id)
        drafted = round(CONTESTANTS * 0.5)
        #: (judge, registration) → the version the judge's page holds.
        versions = {
            (j, r): 1 for j in contest.judge_ids for r in contest.registration_ids[:drafted]
        }
        fresh_pairs = [
            (j, r)
            for r in contest.registration_ids[round(CONTESTANTS * 0.75) :]
            for j in contest.judge_ids
        ]
        rng.shuffle(fresh_pairs)
        draft_pairs = list(versions)
        #: (judge, registration) → the values the judge's page holds.
        typed: dict[tuple[int, int], dict[int, Decimal]] = {}
        with app.app_context():
            from eventsite.competitions.models import Score, ScoreSheet

            for judge, registration, criterion, value in db.session.execute(
                sa.select(
                    ScoreSheet.judge_id, ScoreSheet.registration_id, Score.criterion_id, Score.value
                )
                .join(Score, Score.sheet_id == ScoreSheet.id)
                .where(ScoreSheet.round_id == contest.round_id)
            ):
                typed.setdefault((judge, registration), {})[criterion] = Decimal(value)

        def post(path, login, fields, autosave=False):
            headers = {"Cookie": login.cookie, "User-Agent": USER_AGENT}
            if autosave:
                headers.update({"X-Autosave": "1", "Accept": "application/json"})
            return client.post(
                path, data={"csrf_token": login.csrf_token, **fields}, headers=headers
            )

        def sheet_save(pairs, *, action="save", autosave=False):
            """Each call: the next pair's sheet with one box typed or changed (as an autosave
            after a keystroke sends it); a submit sends every box."""
            turn = iter(pairs * (args.repeat // max(1, len(pairs)) + 2))

            def call():
                judge, registration = next(turn)
                values = typed.setdefault((judge, registration), {})
                boxes = (
                    contest.criterion_ids
                    if action == "submit"
                    else [rng.choice(contest.criterion_ids)]
                )
                for criterion in boxes:
                    values[criterion] = _another_score(rng, values.get(criterion))
                fields = {
                    "version": versions.get((judge, registration), 0),
                    "comment": "",
                    "action": action,
                    **_score_fields(
                        contest.criterion_ids, [values.get(c) for c in contest.criterion_ids]
                    ),
                }
                response = post(f"{base}/{registration}", judges[judge], fields, autosave)
                if autosave and response.status_code == 200:
                    versions[(judge, registration)] = response.get_json()["version"]
                elif response.status_code == 303:
                    versions[(judge, registration)] = versions.get((judge, registration), 0) + 1
                return response

            return call

        heat_values = {}

        def heat_fields(item_id, heat_id, lanes, *, correct: bool):
            fields = {}
            for n, entry in enumerate(lanes):
                if correct:
                    before = heat_values.get(entry, Decimal(20 + n))
                    value = before + 1 if n == 0 else before
                    reason = "复核更正" if n == 0 else ""
                else:
                    value, reason = Decimal(20 + n), ""
                heat_values[entry] = value
                prefix = f"h{heat_id}-rows-{n}-"
                fields.update(
                    {
                        prefix + "entry_id": entry,
                        prefix + "value": format(value, "f"),
                        prefix + "second_value": "",
                        prefix + "outcome": "ok",
                        prefix + "reason": reason,
                    }
                )
            return fields

        fresh_heats = iter(meet.fresh * (args.repeat // max(1, len(meet.fresh)) + 1))
        seen_fresh: set[int] = set()

        def heat_first():
            item_id, heat_id, lanes = next(fresh_heats)
            correct = heat_id in seen_fresh
            seen_fresh.add(heat_id)
            return post(
                f"/events/{meet.event_id}/meet/items/{item_id}/heats/{heat_id}",
                referee,
                heat_fields(item_id, heat_id, lanes, correct=correct),
            )

        corrected = meet.started[0]

        def heat_correct():
            item_id, heat_id, lanes = corrected
            return post(
                f"/events/{meet.event_id}/meet/items/{item_id}/heats/{heat_id}",
                referee,
                heat_fields(item_id, heat_id, lanes, correct=True),
            )

        calls = args.repeat + 2  # the warm-up and the counted call, then the timed ones
        kinds = {
            "sheet autosave (JSON), one box of a draft changed": (
                sheet_save(draft_pairs, autosave=True),
                200,
            ),
            "sheet save (form, redirect), one box changed": (sheet_save(draft_pairs), 303),
            "sheet first save (autosave, one box)": (
                sheet_save(fresh_pairs[:calls], autosave=True),
                200,
            ),
            "sheet submit (form, every box, new sheet)": (
                sheet_save(fresh_pairs[calls : 2 * calls], action="submit"),
                303,
            ),
            "heat results, a heat's first results (8 lanes)": (heat_first, 303),
            "heat results, one result corrected": (heat_correct, 303),
        }
        # The corrected heat: its saved values first, so each call changes exactly one result.
        item_id, heat_id, lanes = corrected
        with app.app_context():
            from eventsite.sportsmeet.models import Result

            for result in db.session.scalars(sa.select(Result).where(Result.heat_id == heat_id)):
                heat_values[result.entry_id] = Decimal(result.value or 0).normalize()
        report = {}
        for name, (call, expected) in kinds.items():
            warm = call()
            assert warm.status_code == expected, (name, warm.status_code, warm.get_data()[:300])
            statements, _ = _count(engine, call)
            cpu_ms, wall_ms = [], []
            for _ in range(args.repeat):
                started_cpu, started = time.process_time(), time.perf_counter()
                response = call()
                cpu_ms.append((time.process_time() - started_cpu) * 1000)
                wall_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == expected, (name, response.status_code)
            report[name] = {
                "cpu_ms_median": round(statistics.median(cpu_ms), 2),
                "cpu_ms_p90": round(sorted(cpu_ms)[int(len(cpu_ms) * 0.9)], 2),
                "wall_ms_median": round(statistics.median(wall_ms), 2),
                "statements": statements,
            }
            print(
                f"{name:<50} CPU {report[name]['cpu_ms_median']:6.2f} ms "
                f"(p90 {report[name]['cpu_ms_p90']:6.2f})  wall {report[name]['wall_ms_median']:6.2f} ms  "
                f"{statements} SQL",
                flush=True,
            )
            if args.profile and args.profile in name:
                profiler = cProfile.Profile(time.process_time)  # CPU, not waits
                profiler.enable()
                for _ in range(args.repeat):
                    call()
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(
                    os.environ.get("BENCH_PROFILE_SORT", "cumulative")
                ).print_stats(args.top)
                print(out.getvalue())
        with app.app_context():
            db.engine.dispose()
        return report


def _count(engine, call):
    statements = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)
        if os.environ.get("BENCH_SHOW_SQL"):
            print("   ", " ".join(statement.split())[:160])

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        result = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return len(statements), result


# --- load: 40 judges autosaving at once under gunicorn ------------------------------------------


def _save_request(port: int, path: str, login, fields: dict, *, autosave: bool) -> bytes:
    """A sheet's POST as the page sends it: the script's autosave (X-Autosave, JSON answer) or
    the form's own submit (a redirect)."""
    body = urlencode({"csrf_token": login.csrf_token, **fields}).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        f"User-Agent: {USER_AGENT}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
        f"Cookie: {login.cookie}",
    ]
    if autosave:
        lines += ["X-Autosave: 1", "Accept: application/json"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Judging:
    """What the judges sent and what they were answered."""

    autosaves: loadgen.Outcome = field(default_factory=loadgen.Outcome)
    submits: loadgen.Outcome = field(default_factory=loadgen.Outcome)
    #: (judge, registration) → (the values last accepted, submitted?).
    last: dict[tuple[int, int], tuple[dict[int, Decimal], bool]] = field(default_factory=dict)


class Judge:
    """One judge's phone: scores contestants in turn, a criterion more on each autosave, and
    submits a sheet once every criterion is scored and a few saves are in."""

    def __init__(self, judge_id: int, login, contest: Contest, port: int, seed: int):
        self.id, self.login, self.contest, self.port = judge_id, login, contest, port
        self.rng = random.Random(seed)
        self.queue = list(contest.registration_ids)
        self.rng.shuffle(self.queue)
        self.connection = loadgen.Connection(port)
        self._next_contestant()

    def _next_contestant(self) -> None:
        self.registration = self.queue.pop()
        self.version = 0
        self.values: dict[int, Decimal] = {}
        self.saves_left = self.rng.randint(3, 6)

    def _type(self) -> None:
        """One more criterion scored, or a scored one changed once all are."""
        empty = [c for c in self.contest.criterion_ids if c not in self.values]
        criterion = empty[0] if empty else self.rng.choice(self.contest.criterion_ids)
        self.values[criterion] = Decimal(self.rng.randint(16, 40)) / 2

    async def open_sheet(self) -> None:
        """The judge opens the first contestant's sheet (not measured: it warms the workers)."""
        path = (
            f"/competitions/{self.contest.event_id}/rounds/{self.contest.round_id}"
            f"/score/{self.registration}"
        )
        status, _body = await self.connection.request(
            loadgen.get(path, self.port, self.login.cookie)
        )
        assert status == 200, status

    async def save(self, judging: Judging) -> None:
        self._type()
        self.saves_left -= 1
        submit = self.saves_left <= 0 and len(self.values) == CRITERIA
        fields = {
            "version": self.version,
            "comment": "",
            "action": "submit" if submit else "save",
            **_score_fields(
                self.contest.criterion_ids,
                [self.values.get(c) for c in self.contest.criterion_ids],
            ),
        }
        path = (
            f"/competitions/{self.contest.event_id}/rounds/{self.contest.round_id}"
            f"/score/{self.registration}"
        )
        raw = _save_request(self.port, path, self.login, fields, autosave=not submit)
        outcome = judging.submits if submit else judging.autosaves
        started = time.perf_counter()
        status, body = await self.connection.request(raw)
        outcome.latencies.append(time.perf_counter() - started)
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        key = (self.id, self.registration)
        if submit and status == 303:
            judging.last[key] = (dict(self.values), True)
            self._next_contestant()
        elif not submit and status == 200:
            self.version = json.loads(body)["version"]
            judging.last[key] = (dict(self.values), False)


async def _judging(judges: list[Judge], bursts: int, seconds: float) -> tuple[Judging, Judging]:
    for judge in judges:
        await judge.open_sheet()
    at_once = Judging()
    for _ in range(bursts):
        await asyncio.gather(*(judge.save(at_once) for judge in judges))
    typing = Judging()
    deadline = time.perf_counter() + seconds

    async def type_away(judge: Judge):
        while True:
            await asyncio.sleep(judge.rng.uniform(1.5, 4.0))
            if time.perf_counter() >= deadline:
                return
            await judge.save(typing)

    started = time.perf_counter()
    await asyncio.gather(*(type_away(judge) for judge in judges))
    typing.autosaves.seconds = typing.submits.seconds = time.perf_counter() - started
    for judge in judges:
        judge.connection.close()
    return at_once, typing


def _summary(outcome: loadgen.Outcome, seconds: float | None = None) -> dict:
    outcome.requests = len(outcome.latencies)
    if seconds is not None:
        outcome.seconds = seconds
    found = outcome.summary()
    found.update(
        p95_ms=round(outcome.percentile(95), 2),
        max_ms=round(max(outcome.latencies) * 1000, 2) if outcome.latencies else 0,
    )
    found.pop("client_cpu_share", None)
    return found


def _check(url: str, contest: Contest, judged: list[Judging]) -> dict:
    """Every sheet holds exactly the values last accepted, and is submitted iff it was."""
    last = {}
    for part in judged:
        last.update(part.last)
    engine = sa.create_engine(url)
    wrong = []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.judge_id, s.registration_id, s.submitted_at IS NOT NULL, "
                "sc.criterion_id, sc.value FROM comp_sheet s "
                "LEFT JOIN comp_score sc ON sc.sheet_id = s.id WHERE s.round_id = :round"
            ),
            {"round": contest.round_id},
        ).all()
    engine.dispose()
    stored: dict[tuple[int, int], tuple[dict[int, Decimal], bool]] = {}
    for judge, registration, submitted, criterion, value in rows:
        values, _ = stored.setdefault((judge, registration), ({}, submitted))
        if criterion is not None:
            values[criterion] = Decimal(value).normalize()
    for key, (values, submitted) in last.items():
        want = ({c: v.normalize() for c, v in values.items()}, submitted)
        if stored.get(key) != want:
            wrong.append(key)
    return {"sheets_checked": len(last), "sheets_stored": len(stored), "wrong": len(wrong)}


def load(args) -> dict:
    from bench.run import children, process_cpu

    with fresh_database(args.server, keep=False) as (name, url):
        env = {
            **os.environ,
            "EVENTSITE_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": url,
            "SCHEDULER_IN_PROCESS": "0",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        os.environ.update({k: env[k] for k in ("EVENTSITE_ENV", "SECRET_KEY", "DATABASE_URL")})
        from flask_migrate import upgrade

        from bench.dataset import Sessions
        from eventsite import create_app
        from eventsite.extensions import db

        print(f"database {name}: migrating and seeding …", flush=True)
        app = create_app({"SCHEDULER_IN_PROCESS": False})
        with app.app_context():
            upgrade()
            contest = seed_contest(args.judges, serial=2)
            db.session.remove()
            db.engine.dispose()
        analyze(url)
        sessions = Sessions(app, contest.login_ids)
        with tempfile.TemporaryDirectory() as logs:
            server = Gunicorn("app", "wsgi:app", args, env, Path(logs))
            try:
                server.wait_ready()
                judges = [
                    Judge(j, sessions.login(j), contest, server.port, seed=n)
                    for n, j in enumerate(contest.judge_ids)
                ]
                pids = [server.process.pid, *children(server.process.pid)]
                cpu_before = sum(process_cpu(pid) for pid in pids)
                started = time.perf_counter()
                at_once, typing = asyncio.run(_judging(judges, args.bursts, args.seconds))
                elapsed = time.perf_counter() - started
                cpu_used = sum(process_cpu(pid) for pid in pids) - cpu_before
            finally:
                server.stop()
        requests = sum(
            len(o.latencies) for part in (at_once, typing) for o in (part.autosaves, part.submits)
        )
        report = {
            "judges": args.judges,
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads,
            "at_once": _summary(at_once.autosaves),
            "at_once_submits": _summary(at_once.submits),
            "typing_autosaves": _summary(typing.autosaves, typing.autosaves.seconds),
            "typing_submits": _summary(typing.submits, typing.submits.seconds),
            "app_cpu_ms_per_request": round(cpu_used / requests * 1000, 2) if requests else 0,
            "app_cpu_share_of_2_cores": round(cpu_used / elapsed / 2, 3),
            "check": _check(url, contest, [at_once, typing]),
        }
        report["at_once"].pop("per_second")
        for part in ("at_once", "typing_autosaves", "typing_submits"):
            got = report[part]
            print(
                f"{part:<18} {got['requests']:>5} requests  "
                f"p50 {got['p50_ms']:7.1f}  p95 {got['p95_ms']:7.1f}  p99 {got['p99_ms']:7.1f}  "
                f"max {got['max_ms']:7.1f} ms  "
                + (f"{got['per_second']:.1f}/s  " if "per_second" in got else "")
                + f"statuses {got['statuses']}",
                flush=True,
            )
        print(
            f"app CPU {report['app_cpu_ms_per_request']} ms per request, "
            f"{report['app_cpu_share_of_2_cores']:.0%} of the 2 cores; check {report['check']}",
            flush=True,
        )
        return report


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f"load average {load_average():.2f}", flush=True)
    results = {}
    if "cpu" in args.parts:
        results["cpu"] = cpu(args)
    if "load" in args.parts:
        results["load"] = load(args)
    print(f"load average {load_average():.2f}", flush=True)
    folder = ROOT / "bench" / "results"
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (folder / f"judges-{stamp}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
