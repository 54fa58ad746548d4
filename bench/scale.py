"""Scaling out: the same mixed load against 1, 2 and 4 gunicorn processes on one PostgreSQL.

    make bench-scale                  # or: .venv/bin/python bench/scale.py [--help]

1. Creates a fresh database `eventsite_bench_<random>` (as bench/run.py does), migrates and
   seeds it (bench/dataset.py: 5,000 members, 60 listed events, rosters) and adds, for each
   configuration, ten mixers of 100 seats its registrations spread over.
2. Starts the scheduler as its own process (`flask --app wsgi scheduler run`, as production
   runs `eventsite-scheduler.service`), with Redis as the rate limiter's storage under a key
   prefix of this run's own: every shared state where production keeps it.
3. For each configuration (1, 2, 4 worker processes; sync workers by default, so a process
   serves one request at a time and "processes" is the only concurrency the server has), starts
   `gunicorn wsgi:app`, warms every worker, then sends the same mix for `--seconds` from
   `--concurrency` keep-alive connections: the anonymous event list and an event's page, a
   member's "my events", an organizer's roster of 100, and registrations (each a different
   member, 303 expected), in a fixed rotation.
4. Reports per configuration: requests per second, p50/p99 latency, statuses, and the share of
   the machine's cores the app used (CPU seconds of the gunicorn processes plus the PostgreSQL
   backends serving the database, over wall time, over the cores), next to the scheduler's, the
   load generator's and the whole machine's. Checks that no registration event gave away more
   than its seats and every registration was answered 303. Writes JSON to bench/results/.

Throughput should grow from 1 to 2 processes and flatten once the cores are used up (on two
cores: at 2 to 4). Not a test: numbers depend on the machine; docs/performance.md records them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.run import (  # noqa: E402
    DEFAULT_SERVER,
    RESULTS,
    Gunicorn,
    analyze,
    backend_pids,
    children,
    fresh_database,
    load_average,
    machine_busy,
    machine_facts,
    process_cpu,
    server_facts,
)

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
#: Mixers per configuration its registrations spread over, and the seats of each.
REGISTRATION_EVENTS = 10
SEATS = 100
#: The rotation every connection draws its next request from: (kind, weight).
MIX = (
    ("event list", 3),
    ("event page", 3),
    ("my events", 1),
    ("roster of 100", 1),
    ("register", 2),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server URL; a fresh database is created on it",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
        help="Redis URL for the rate limiter's storage (RATELIMIT_STORAGE_URI)",
    )
    parser.add_argument(
        "--processes", default="1,2,4", help="gunicorn worker processes per configuration"
    )
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds each")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before each")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    args = parser.parse_args(argv)
    try:
        args.configurations = [int(n) for n in args.processes.split(",") if n.strip()]
    except ValueError:
        parser.error("--processes takes comma-separated whole numbers, e.g. 1,2,4")
    if not args.configurations or min(args.configurations) < 1:
        parser.error("--processes takes comma-separated whole numbers of at least 1")
    return args


# --- data --------------------------------------------------------------------------------------


def add_registration_events(data, configurations: int) -> list[list[int]]:
    """Ten open mixers of SEATS seats per configuration (call in an app context)."""
    from bench.dataset import _event, _insert
    from eventsite.core.time import utcnow
    from eventsite.events.models import Event, EventKind, EventOrganizer
    from eventsite.extensions import db

    now = utcnow()
    groups = []
    for c in range(configurations):
        rows = [
            _event(
                f"扩展压测联谊会 {c + 1}-{n + 1}",
                EventKind.MIXER,
                now + timedelta(days=20 + n),
                now,
                data.organizer_id,
                capacity=SEATS,
            )
            for n in range(REGISTRATION_EVENTS)
        ]
        ids = _insert(Event, rows)
        db.session.execute(
            sa.insert(EventOrganizer),
            [{"event_id": i, "user_id": data.organizer_id, "added_at": now} for i in ids],
        )
        groups.append(ids)
    db.session.commit()
    return groups


class Mix:
    """Hands out the next request of the rotation; registrations take members in turn, each
    member at most once per configuration, to the configuration's mixers in turn."""

    def __init__(self, data, sessions, port: int, events: list[int]):
        self.port = port
        self.events = events
        self.sessions = sessions
        member = data.member_ids[0]  # in both rosters: "my events" lists them
        self.pages = {
            "event list": loadgen.get("/events", port),
            "event page": loadgen.get(f"/events/{data.small_roster_event}", port),
            "my events": loadgen.get("/my/events", port, sessions.login(member).cookie),
            "roster of 100": loadgen.get(
                f"/events/{data.small_roster_event}/roster",
                port,
                sessions.login(data.organizer_id).cookie,
            ),
        }
        self.rotation = [kind for kind, weight in MIX for _ in range(weight)]
        self.members = iter(data.member_ids)
        self.counter = itertools.count()
        self.registrations = 0

    def __call__(self, _n: int) -> bytes:
        kind = self.rotation[next(self.counter) % len(self.rotation)]
        if kind != "register":
            return self.pages[kind]
        member = next(self.members, None)
        if member is None:  # every member registered: pages only from here on
            return self.pages["event list"]
        event = self.events[self.registrations % len(self.events)]
        self.registrations += 1
        login = self.sessions.login(member)
        return loadgen.post_form(
            f"/events/{event}/register",
            self.port,
            {"csrf_token": login.csrf_token, "single_declared": "y"},
            cookie=login.cookie,
        )


def registration_outcome(url: str, events: list[int]) -> dict:
    """Registrations of `events` by status, and the most confirmed on any one of them."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT event_id, status, count(*) FROM registration "
                "WHERE event_id = ANY(:ids) GROUP BY event_id, status"
            ),
            {"ids": events},
        ).all()
    engine.dispose()
    by_status: dict[str, int] = {}
    confirmed: dict[int, int] = {}
    for event_id, status, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        if status == "confirmed":
            confirmed[event_id] = count
    return {**dict(sorted(by_status.items())), "most_confirmed": max(confirmed.values(), default=0)}


def sms_outcome(url: str) -> dict:
    """The SMS rows by status, and how many were tried more than once."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, count(*) FROM sms_message GROUP BY 1")).all()
        twice = conn.execute(
            sa.text("SELECT count(*) FROM sms_message WHERE attempts > 1")
        ).scalar()
    engine.dispose()
    return {**{status: n for status, n in sorted(rows)}, "tried_more_than_once": twice}


# --- processes ---------------------------------------------------------------------------------


class Scheduler:
    """`flask --app wsgi scheduler run`, its own process, as production runs it."""

    def __init__(self, env: dict, log_dir: Path):
        self.log = log_dir / "scale-scheduler.log"
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class GunicornArgs:
    def __init__(self, workers: int, worker_class: str, threads: int):
        self.workers, self.worker_class, self.threads = workers, worker_class, threads


def cpu_of(pids) -> dict[int, float]:
    return {pid: process_cpu(pid) for pid in pids}


def measure(server: Gunicorn, mix: Mix, url: str, scheduler: Scheduler, args) -> dict:
    """Warm every worker, then send the mix for `args.seconds`: rate, latency, CPU shares."""
    loadgen.throughput(
        server.port,
        lambda n: mix.pages["event list"],
        concurrency=args.concurrency,
        seconds=args.warmup,
        warmup=0,
    )
    workers = [server.process.pid, *children(server.process.pid)]
    backends = backend_pids(url)
    before = cpu_of(workers) | cpu_of(backends)
    scheduler_before = process_cpu(scheduler.process.pid)
    busy_before, total_before = machine_busy()
    outcome = loadgen.throughput(
        server.port, mix, concurrency=args.concurrency, seconds=args.seconds, warmup=0
    )
    busy_after, total_after = machine_busy()
    # Backends the pools opened during the run count from zero.
    backends = sorted(set(backends) | set(backend_pids(url)))
    app_cpu = sum(process_cpu(pid) - before.get(pid, 0.0) for pid in workers)
    pg_cpu = sum(process_cpu(pid) - before.get(pid, 0.0) for pid in backends)
    scheduler_cpu = process_cpu(scheduler.process.pid) - scheduler_before
    seconds = outcome.seconds
    cores = os.cpu_count() or 1
    summary = outcome.summary()
    return {
        **{k: summary[k] for k in ("requests", "seconds", "per_second", "p50_ms", "p99_ms")},
        "statuses": summary["statuses"],
        "registrations_sent": mix.registrations,
        "cores_used": {
            "app_and_postgres": round((app_cpu + pg_cpu) / seconds / cores, 3),
            "app_workers": round(app_cpu / seconds / cores, 3),
            "postgres_backends": round(pg_cpu / seconds / cores, 3),
            "scheduler": round(scheduler_cpu / seconds / cores, 3),
            "load_generator": round(outcome.client_cpu / seconds / cores, 3),
            "machine": round((busy_after - busy_before) / (total_after - total_before), 3),
        },
        "cpu_ms_per_request": {
            "app": round(app_cpu / max(outcome.requests, 1) * 1000, 2),
            "postgres": round(pg_cpu / max(outcome.requests, 1) * 1000, 2),
        },
    }


# --- the run -----------------------------------------------------------------------------------


def run(args, name: str, url: str, stoppables: list) -> dict:
    key_prefix = f"bench-scale-{secrets.token_hex(6)}"
    env = {
        **os.environ,
        "EVENTSITE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "SCHEDULER_IN_PROCESS": "0",
        "RATELIMIT_STORAGE_URI": args.redis,
    }
    env.pop("EVENTSITE_ENV_FILE", None)
    os.environ.update({k: env[k] for k in ("EVENTSITE_ENV", "SECRET_KEY", "DATABASE_URL")})

    from flask_migrate import upgrade

    from bench.dataset import Sessions, seed
    from eventsite import create_app
    from eventsite.extensions import db

    machine = machine_facts()
    print(f"database {name}: migrating and seeding …", flush=True)
    app = create_app()
    with app.app_context():
        upgrade()
        data = seed()
        groups = add_registration_events(data, len(args.configurations))
        db.session.remove()
        db.engine.dispose()
    analyze(url)
    sessions = Sessions(app, data.login_ids)

    scheduler = Scheduler(env, RESULTS)
    stoppables.append(scheduler)
    target = f"eventsite:create_app({{'RATELIMIT_KEY_PREFIX': {key_prefix!r}}})"
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "database": server_facts(url),
        "settings": {
            "processes": args.configurations,
            "worker_class": args.worker_class,
            "threads": args.threads if args.worker_class == "gthread" else 1,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "mix": dict(MIX),
            "redis": args.redis,
            "scheduler": "flask --app wsgi scheduler run (own process)",
        },
        "configurations": {},
    }
    for workers, events in zip(args.configurations, groups, strict=True):
        print(f"{workers} process{'es' if workers > 1 else ''} …", flush=True)
        server = Gunicorn(
            f"scale-{workers}",
            target,
            GunicornArgs(workers, args.worker_class, args.threads),
            env,
            RESULTS,
        )
        stoppables.append(server)
        try:
            server.wait_ready()
            mix = Mix(data, sessions, server.port, events)
            row = measure(server, mix, url, scheduler, args)
        finally:
            server.stop()
        row["registrations"] = registration_outcome(url, events)
        row["correct"] = (
            row["registrations"]["most_confirmed"] <= SEATS
            and row["registrations"].get("confirmed", 0) + row["registrations"].get("waitlisted", 0)
            == row["registrations_sent"]
            and set(row["statuses"]) <= {"200", "303"}
            and int(row["statuses"].get("303", 0)) == row["registrations_sent"]
        )
        report["configurations"][str(workers)] = row
    # The scheduler sends what the registrations queued (an SMS per confirmed place): give its
    # `sms` job a run, then check nothing was sent twice.
    time.sleep(12)
    report["sms"] = sms_outcome(url)
    report["scheduler_alive"] = scheduler.process.poll() is None
    report["load_average_at_end"] = load_average()
    with suppress(Exception):
        import redis

        client = redis.Redis.from_url(args.redis)
        keys = list(client.scan_iter(match=f"*{key_prefix}*", count=500))
        if keys:
            client.delete(*keys)
    return report


def verdict(report: dict) -> str:
    rows = report["configurations"]
    rates = [(int(n), row["per_second"]) for n, row in rows.items()]
    steps = [f"{a}→{b} processes: x{rb / ra:.2f}" for (a, ra), (b, rb) in itertools.pairwise(rates)]
    return "; ".join(steps)


def print_table(report: dict) -> None:
    s = report["settings"]
    threads = f" x {s['threads']} threads" if s["worker_class"] == "gthread" else ""
    print()
    print(
        f"Scaling out: {s['concurrency']} connections, {s['seconds']} s each, "
        f"{s['worker_class']} workers{threads}, scheduler as its own process, Redis limits"
    )
    print(
        f"mix per {sum(s['mix'].values())} requests: "
        + ", ".join(f"{k} {v}" for k, v in s["mix"].items())
    )
    print(
        f"  {'processes':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cores used':>10} "
        f"{'(app':>6} {'pg)':>5} {'sched':>6} {'loadgen':>7} {'machine':>7} {'regs':>5}  correct"
    )
    cores = report["machine"]["nproc"]
    for n, row in report["configurations"].items():
        c = row["cores_used"]
        print(
            f"  {n:>9} {row['per_second']:>8} {row['p50_ms']:>8} {row['p99_ms']:>8} "
            f"{c['app_and_postgres'] * cores:>5.2f}/{cores:<4} {c['app_workers'] * cores:>6.2f} "
            f"{c['postgres_backends'] * cores:>5.2f} {c['scheduler'] * cores:>6.2f} "
            f"{c['load_generator'] * cores:>7.2f} {c['machine'] * cores:>7.2f} "
            f"{row['registrations_sent']:>5}  {'yes' if row['correct'] else 'NO'}"
        )
    print(f"  throughput: {verdict(report)}")
    elsewhere = max(
        row["cores_used"]["machine"]
        - row["cores_used"]["app_and_postgres"]
        - row["cores_used"]["scheduler"]
        - row["cores_used"]["load_generator"]
        for row in report["configurations"].values()
    )
    if elsewhere > 0.1:
        print(
            f"  warning: up to {elsewhere * cores:.2f} of the {cores} cores went to other work "
            "during a run; the throughput cannot show how the app scales"
        )
    print(f"  SMS after the scheduler's run: {report['sms']}")
    print(
        f"  load average: {report['machine']['load_average_at_start']} at the start, "
        f"{report['load_average_at_end']} at the end"
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    if load_average() > 1.0:
        print(
            f"warning: the machine is busy (load average {load_average()}); "
            "the figures will be low and uneven",
            flush=True,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    stoppables: list = []
    with fresh_database(args.server, args.keep_database) as (name, url):
        try:
            report = run(args, name, url, stoppables)
        finally:
            for process in reversed(stoppables):
                process.stop()
    report["total_seconds"] = round(time.monotonic() - started, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"scale-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    shutil.copyfile(path, RESULTS / "scale-latest.json")
    print_table(report)
    print(f"\nwritten to {path.relative_to(ROOT)} ({report['total_seconds']} s in all)")
    correct = all(row["correct"] for row in report["configurations"].values())
    correct = correct and report["sms"].get("tried_more_than_once", 0) == 0
    return 0 if correct and report["scheduler_alive"] else 1


if __name__ == "__main__":
    sys.exit(main())
