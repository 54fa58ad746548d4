"""Benchmark eventsite under gunicorn against PostgreSQL, next to a bare-Flask baseline.

    make bench                      # or: .venv/bin/python bench/run.py [--help]

1. Creates a fresh database `eventsite_bench_<random>` on the PostgreSQL server (`--server` or
   BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432), migrates it with the app's
   migrations, seeds it (bench/dataset.py) and drops it at the end.
2. Serves the real app (`wsgi:app`, EVENTSITE_ENV=production, CSRF on) and the baseline
   (`bench.baseline:create_app()`) with the same gunicorn settings on two free loopback ports.
3. Counts the SQL statements of every measured request in-process, then measures over HTTP:
   (a) a rush of 1,000 members registering for a mixer of 100 seats, and (b) requests per
   second for the public event list and an organizer's roster (page 1 and a middle page of
   5,000 registrations, and page 1 of a roster of 100), each next to its baseline.
   (c) The sports meet's standings (8 teams x 30 items x 500 entrants, half-way through the
   day): requests per second for the standings page, its JSON refresh and the big screen, each
   next to the baseline running the same statements; then an audience of 200 open leaderboards
   refreshing every 10 s (20 requests/s of the JSON), with latency percentiles and the CPU the
   app's workers and their PostgreSQL backends used.
4. Prints a table and writes it as JSON to bench/results/ (gitignored).

   (d) `rankings`, in-process (no server): a competition round ranked through the service
   (72 and 720 contestants x 7 judges x 6 criteria, `bench/competition_ranking.py`) and the
   sports meet's board built (`bench/meet_standings.py`), each on its own fresh database, as
   medians of several runs, wall-clock and CPU, next to issue 15's targets.

`--only standings` (or `rush`, `pages`, `rankings`, comma-separated) runs a part alone.

Not a test: numbers depend on the machine. docs/performance.md records what they were.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.loadgen import USER_AGENT  # noqa: E402

RESULTS = ROOT / "bench" / "results"
#: The parts of the benchmark, in the order they run.
PARTS = ("rush", "pages", "standings", "rankings")
#: The parts that serve the app and the baseline with gunicorn; "rankings" runs in-process.
SERVED = ("rush", "pages", "standings")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server URL; a fresh database is created on it",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--seconds", type=float, default=6.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.5, help="discarded seconds before each")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="app/baseline pairs per page, interleaved; the best round counts",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="connections for (b)")
    parser.add_argument("--rush-concurrency", type=int, default=50, help="connections for (a)")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, of: {', '.join(PARTS)} (default: all)",
    )
    parser.add_argument("--viewers", type=int, default=200, help="open leaderboards for (c)")
    parser.add_argument("--refresh", type=float, default=10.0, help="their refresh interval, s")
    parser.add_argument(
        "--viewer-seconds", type=float, default=60.0, help="how long the audience watches"
    )
    parser.add_argument(
        "--change-every",
        type=float,
        default=10.0,
        help="a referee corrects a result this often (s) while the audience watches; 0: never",
    )
    args = parser.parse_args(argv)
    args.parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown or not args.parts:
        parser.error(f"--only takes {', '.join(PARTS)}; not {', '.join(sorted(unknown))}")
    return args


# --- database --------------------------------------------------------------------------------


def _url(server: str, database: str) -> str:
    url = sa.make_url(server.replace("postgres://", "postgresql://", 1))
    return url.set(drivername="postgresql+psycopg", database=database).render_as_string(
        hide_password=False
    )


@contextmanager
def fresh_database(server: str, keep: bool):
    name = f"eventsite_bench_{secrets.token_hex(6)}"
    admin = sa.create_engine(_url(server, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield name, _url(server, name)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def server_facts(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SHOW server_version").scalar()
        settings = {
            name: conn.exec_driver_sql(f"SHOW {name}").scalar()
            for name in ("shared_buffers", "synchronous_commit", "max_connections")
        }
    engine.dispose()
    return {"postgresql": version, **settings}


def analyze(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """One gunicorn master with its workers, started and stopped by process id."""

    def __init__(self, name: str, target: str, args, env: dict, log_dir: Path):
        self.name = name
        self.port = free_port()
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(ROOT),
            "--pythonpath",
            str(ROOT),
            "--log-level",
            "warning",
            "--error-logfile",
            str(log_dir / f"{name}-gunicorn.log"),
            "--backlog",
            "2048",
        ]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.threads)]
        command.append(target)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited with {self.process.returncode}")
            with (
                suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r,
            ):
                if r.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: not ready after {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- statement census ------------------------------------------------------------------------


def count_statements(engine, call) -> tuple[int, object]:
    statements = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        result = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return len(statements), result


def census(app, baseline_app, data, sessions, pages, warn: bool = True) -> dict:
    """SQL statements each measured request issues, app and baseline (pool pings not counted);
    with `data`, also those of a registration."""
    from eventsite.extensions import db

    client = app.test_client(use_cookies=False)
    bare = baseline_app.test_client()
    bare_engine = baseline_app.extensions["baseline.engine"]
    result = {}
    with app.app_context():
        engine = db.engine
    for key, page in pages.items():
        headers = {"User-Agent": USER_AGENT}
        if page["as"] is not None:
            headers["Cookie"] = sessions.login(page["as"]).cookie
        app_count, response = count_statements(
            engine, lambda p=page["path"], h=headers: client.get(p, headers=h)
        )
        assert response.status_code == 200, (key, response.status_code)
        base_count, response = count_statements(bare_engine, lambda p=page["baseline"]: bare.get(p))
        assert response.status_code == 200, (key, response.status_code)
        result[key] = {"app": app_count, "baseline": base_count}
        if warn and app_count != base_count:
            print(
                f"warning: {key}: the app issues {app_count} SQL statements, the baseline "
                f"{base_count}; bring bench/baseline.py back in line with the app "
                "(bench/profile_pages.py --statements lists both)",
                flush=True,
            )
    if data is None:
        return result

    # A registration, while a place is free and once the event is full (mixer of one seat).
    for label, user_id in (
        ("register (a place free)", data.member_ids[-1]),
        ("register (full: waitlist)", data.member_ids[-2]),
    ):
        login = sessions.login(user_id)
        app_count, response = count_statements(
            engine,
            lambda login=login: client.post(
                f"/events/{data.census_event}/register",
                data={"csrf_token": login.csrf_token, "single_declared": "y"},
                headers={"Cookie": login.cookie, "User-Agent": USER_AGENT},
            ),
        )
        assert response.status_code == 303, (label, response.status_code, response.data[:300])
        result[label] = {"app": app_count}
    # The baseline's registration, on the same (now full) event.
    base_count, response = count_statements(
        bare_engine,
        lambda: bare.post(
            f"/events/{data.census_event}/register", data={"user_id": data.member_ids[-3]}
        ),
    )
    assert response.status_code == 200, response.data[:300]
    for label in ("register (a place free)", "register (full: waitlist)"):
        result[label]["baseline"] = base_count
    return result


# --- measurements ----------------------------------------------------------------------------


def rush(server: Gunicorn, requests, args) -> loadgen.Outcome:
    return loadgen.rush(server.port, requests, concurrency=args.rush_concurrency, timeout=120)


def message_counts(url: str) -> tuple[int, int]:
    """(inbox messages, SMS rows) in the database now."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        inbox = conn.execute(sa.text("SELECT count(*) FROM notification")).scalar()
        texts = conn.execute(sa.text("SELECT count(*) FROM sms_message")).scalar()
    engine.dispose()
    return inbox, texts


def rush_outcome(url: str, event_id: int, before: tuple[int, int]) -> dict:
    """Registrations of the rush's event by status, and the inbox messages and SMS rows the rush
    wrote (an SMS for each confirmed place; none for the waitlist)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT status, count(*) FROM registration WHERE event_id = :id GROUP BY status"
            ),
            {"id": event_id},
        ).all()
    engine.dispose()
    inbox, texts = message_counts(url)
    return {
        **{status: count for status, count in sorted(rows)},
        "inbox messages": inbox - before[0],
        "sms messages": texts - before[1],
    }


def measure_page(server: Gunicorn, make_request, args) -> loadgen.Outcome:
    return loadgen.throughput(
        server.port,
        make_request,
        concurrency=args.concurrency,
        seconds=args.seconds,
        warmup=args.warmup,
    )


def best_run(runs: list[loadgen.Outcome]) -> dict:
    """The round with the most requests per second: the one least disturbed by anything else
    on the machine (every round is kept in `per_second_runs`)."""
    chosen = max(runs, key=lambda o: o.rate)
    summary = chosen.summary()
    summary["per_second_runs"] = [round(o.rate, 1) for o in runs]
    return summary


# --- report ----------------------------------------------------------------------------------


def machine_facts() -> dict:
    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    cpu = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    from importlib.metadata import version

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "python": platform.python_version(),
        **{name: version(name) for name in ("flask", "gunicorn", "sqlalchemy", "psycopg")},
        "load_average_at_start": load_average(),
        "kernel": platform.release(),
    }


def print_table(report: dict) -> None:
    settings = report["settings"]
    if "rush" in report:
        rush_rows = report["rush"]
        print()
        print(
            "(a) rush: 1,000 members register for a mixer of 100 seats "
            f"({settings['rush_concurrency']} connections)"
        )
        print(f"  {'':10} {'reg/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'seconds':>8}  outcome")
        for side in ("app", "baseline"):
            r = rush_rows[side]
            outcome = ", ".join(f"{k} {v}" for k, v in r["outcome"].items())
            print(
                f"  {side:10} {r['per_second']:>8} {r['p50_ms']:>8} {r['p99_ms']:>8} "
                f"{r['seconds']:>8}  {outcome}"
            )
        print(f"  ratio app/baseline: {rush_rows['ratio']}")
    for part, title in (("pages", "(b) pages"), ("standings", "(c) sports meet standings")):
        if part not in report:
            continue
        print()
        print(
            f"{title} ({settings['concurrency']} connections, "
            f"{settings['seconds']} s x {settings['rounds']} rounds, best round)"
        )
        print(
            f"  {'page':34} {'app r/s':>8} {'base r/s':>9} {'ratio':>6} {'app p50':>8} "
            f"{'app p99':>8} {'SQL app/base':>13}"
        )
        rows = report[part]["throughput"] if part == "standings" else report[part]
        for key, row in rows.items():
            sql = report["statements"].get(key, {"app": "-"})
            base = row.get("baseline")
            print(
                f"  {key:34} {row['app']['per_second']:>8} "
                f"{(base or {}).get('per_second', '-'):>9} {row.get('ratio', '-'):>6} "
                f"{row['app']['p50_ms']:>8} {row['app']['p99_ms']:>8} "
                f"{str(sql['app']) + '/' + str(sql.get('baseline', '-')):>13}"
            )
    for key, sql in report["statements"].items():
        if key.startswith("register"):
            print(f"  SQL statements of one {key}: app {sql['app']}, baseline {sql['baseline']}")
    for label, audience in report.get("standings", {}).get("audience", {}).items():
        v = audience["requests"]
        print()
        print(
            f"(c) audience, {label}: {v['viewers']} open leaderboards refreshing every "
            f"{v['interval_s']:g} s ({v['offered_per_second']} requests/s offered) for "
            f"{audience['seconds']:g} s, {audience['results_changed']} results corrected meanwhile"
        )
        print(
            f"  answered {v['requests']} of {v['due']} due ({v['skipped']} skipped), "
            f"{v['per_second']} r/s, statuses {v['statuses']}"
        )
        print(
            f"  latency ms: p50 {v['p50_ms']}, p90 {v['p90_ms']}, p95 {v['p95_ms']}, "
            f"p99 {v['p99_ms']}, max {v['max_ms']}"
        )
        cpu = audience["cpu"]
        print(
            f"  CPU (share of the 2 cores): app workers {cpu['app_workers']}, their PostgreSQL "
            f"backends {cpu['postgres_backends']}, whole machine {cpu['machine']}"
        )
        print(f"  keeps up: {'yes' if audience['keeps_up'] else 'NO'} ({audience['verdict']})")
    low = [k for k, v in report.get("pages", {}).items() if v.get("ratio", 1) < 0.5]
    if "standings" in report:
        low += [k for k, v in report["standings"]["throughput"].items() if v.get("ratio", 1) < 0.5]
    if "rush" in report and report["rush"]["ratio"] < 0.5:
        low.insert(0, "rush")
    if "rankings" in report:
        print_rankings(report["rankings"])
    print()
    print("ratios below 0.5: " + (", ".join(low) if low else "none"))


def measure_rankings(args) -> dict:
    """(d) in-process: a competition round ranked (two sizes) and the sports meet's board
    built, each on a fresh database of its own."""
    from bench import competition_ranking, meet_standings

    print("(d) rankings: competition rounds and the sports meet's board, in-process …", flush=True)
    with fresh_database(args.server, args.keep_database) as (_name, url):
        rounds = competition_ranking.measure_all(url)
    with fresh_database(args.server, args.keep_database) as (_name, url):
        meet = meet_standings.measure_meet(url)
    return {"rounds": rounds, "meet": meet}


def print_rankings(rankings: dict) -> None:
    from bench import competition_ranking, meet_standings

    print()
    print("(d) rankings, in-process (median of several runs; wall-clock, CPU in brackets)")
    for figures in rankings["rounds"]:
        print("  " + competition_ranking.line(figures))
    print("  " + meet_standings.line(rankings["meet"]))


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


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
    # In-process first: the served parts set the production environment in this process.
    rankings = measure_rankings(args) if "rankings" in args.parts else None
    if any(part in SERVED for part in args.parts):
        servers: list[Gunicorn] = []
        with fresh_database(args.server, args.keep_database) as (name, url):
            try:
                report = run(args, name, url, servers)
            finally:
                for server in servers:
                    server.stop()
    else:
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_facts(),
            "settings": {"parts": args.parts},
            "statements": {},
            "load_average_at_end": load_average(),
        }
    if rankings is not None:
        report["rankings"] = rankings
    report["total_seconds"] = round(time.monotonic() - started, 1)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"bench-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    shutil.copyfile(path, RESULTS / "latest.json")
    print_table(report)
    print(f"\nwritten to {path.relative_to(ROOT)} ({report['total_seconds']} s in all)")
    correct = report["rush"]["correct"] if "rush" in report else True
    return 0 if correct else 1


# --- CPU accounting --------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    numbers = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = numbers[3] + numbers[4]
    return (sum(numbers) - idle) / _TICK, sum(numbers) / _TICK


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench database (the app's pooled connections
    and the baseline's), not counting this query's own."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalars()
        pids = list(pids)
    engine.dispose()
    return pids


class Referee(threading.Thread):
    """Corrects one result of the meet every `every` seconds, as a referee at the field would
    (a new value and entry time), so that the board changes while the audience watches."""

    def __init__(self, url: str, event_id: int, every: float):
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url)
        self.event_id, self.every = event_id, every
        self.stop = threading.Event()
        self.changes = 0

    def run(self) -> None:
        statement = sa.text(
            "UPDATE meet_result SET value = value + 0.01, entered_at = now() AT TIME ZONE 'UTC' "
            "WHERE id = (SELECT meet_result.id FROM meet_result "
            "JOIN meet_heat ON meet_heat.id = meet_result.heat_id "
            "JOIN meet_item ON meet_item.id = meet_heat.item_id "
            "WHERE meet_item.event_id = :event AND meet_result.value IS NOT NULL "
            "AND meet_item.result_type IN ('time', 'count', 'distance') "
            "AND meet_item.finalized_at IS NULL ORDER BY random() LIMIT 1)"
        )
        while not self.stop.wait(self.every):
            with self.engine.begin() as conn:
                conn.execute(statement, {"event": self.event_id})
            self.changes += 1
        self.engine.dispose()


def audience(server: Gunicorn, path: str, url: str, args, event_id: int) -> dict:
    """`args.viewers` open leaderboards refreshing `path` every `args.refresh` seconds, while a
    referee corrects a result every `args.change_every` seconds: latency, whether every refresh
    was answered in time, and the CPU it cost."""
    workers = [server.process.pid, *children(server.process.pid)]
    backends = backend_pids(url)
    before_workers = {pid: process_cpu(pid) for pid in workers}
    before_backends = {pid: process_cpu(pid) for pid in backends}
    busy_before, total_before = machine_busy()
    referee = Referee(url, event_id, args.change_every) if args.change_every > 0 else None
    if referee is not None:
        referee.start()
    try:
        outcome = loadgen.viewers(
            server.port,
            lambda n: loadgen.get(path, server.port),
            viewers=args.viewers,
            interval=args.refresh,
            seconds=args.viewer_seconds,
        )
    finally:
        if referee is not None:
            referee.stop.set()
            referee.join()
    busy_after, total_after = machine_busy()
    # Backends the pool opened during the run count from zero.
    backends = set(backends) | set(backend_pids(url))
    worker_cpu = sum(process_cpu(pid) - before_workers.get(pid, 0.0) for pid in workers)
    backend_cpu = sum(process_cpu(pid) - before_backends.get(pid, 0.0) for pid in backends)
    seconds = outcome.outcome.seconds
    cores = os.cpu_count() or 1
    summary = outcome.summary()
    cpu = {
        "app_workers": round(worker_cpu / seconds / cores, 3),
        "postgres_backends": round(backend_cpu / seconds / cores, 3),
        "machine": round((busy_after - busy_before) / (total_after - total_before), 3),
        "app_cpu_ms_per_request": round(worker_cpu / max(outcome.outcome.requests, 1) * 1000, 1),
        "postgres_cpu_ms_per_request": round(
            backend_cpu / max(outcome.outcome.requests, 1) * 1000, 1
        ),
    }
    ok = summary["statuses"] == {"200": outcome.outcome.requests}
    answered = outcome.outcome.requests == outcome.due and outcome.skipped == 0
    in_time = summary["p99_ms"] < args.refresh * 1000
    verdict = (
        f"every due refresh answered: {'yes' if answered else 'no'}; all 200: "
        f"{'yes' if ok else 'no'}; p99 under the {args.refresh:g} s interval: "
        f"{'yes' if in_time else 'no'}"
    )
    return {
        "path": path,
        "seconds": args.viewer_seconds,
        "results_changed": referee.changes if referee is not None else 0,
        "requests": summary,
        "cpu": cpu,
        "keeps_up": ok and answered and in_time,
        "verdict": verdict,
    }


def run(args, name: str, url: str, servers: list) -> dict:
    machine = machine_facts()
    env = {
        **os.environ,
        "EVENTSITE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "SCHEDULER_IN_PROCESS": "0",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Kept pages (the public event list) in Redis, as in production: every worker agrees.
        "CACHE_STORAGE_URI": os.environ.get("BENCH_CACHE_STORAGE_URI", "redis://127.0.0.1:6379/0"),
    }
    os.environ.update({k: env[k] for k in ("EVENTSITE_ENV", "SECRET_KEY", "DATABASE_URL")})

    from flask_migrate import upgrade

    from bench import baseline
    from bench.dataset import Sessions, seed, seed_meet
    from eventsite import create_app
    from eventsite.extensions import db

    parts = args.parts
    platform_parts = "rush" in parts or "pages" in parts
    print(f"database {name}: migrating and seeding …", flush=True)
    app = create_app()
    data = meet = None
    with app.app_context():
        upgrade()
        if platform_parts:
            data = seed()
        if "standings" in parts:
            meet = seed_meet(data.organizer_id if data else None)
        db.session.remove()
    analyze(url)
    sessions = Sessions(app, data.login_ids) if data else None
    pages = {}
    if "pages" in parts:
        organizer = data.organizer_id
        big, small = data.big_roster_event, data.small_roster_event
        middle = 50  # of 100 pages of 50
        pages = {
            "event list (60 events), anonymous": {
                "as": None,
                "path": "/events",
                "baseline": "/events",
            },
            "roster of 5,000, page 1": {
                "as": organizer,
                "path": f"/events/{big}/roster",
                "baseline": f"/events/{big}/roster?user={organizer}",
            },
            f"roster of 5,000, page {middle}": {
                "as": organizer,
                "path": f"/events/{big}/roster?page={middle}",
                "baseline": f"/events/{big}/roster?user={organizer}&page={middle}",
            },
            "roster of 100, page 1": {
                "as": organizer,
                "path": f"/events/{small}/roster",
                "baseline": f"/events/{small}/roster?user={organizer}",
            },
        }
    meet_pages = {}
    if meet is not None:
        board = f"/events/{meet.event_id}/meet"
        same = f"{board}/standings.json"  # the baseline's one endpoint runs the same statements
        meet_pages = {
            "meet standings page, anonymous": {"as": None, "path": board, "baseline": same},
            "meet refresh (?fragments=page)": {
                "as": None,
                "path": f"{same}?fragments=page",
                "baseline": same,
            },
            "meet standings.json (all data)": {"as": None, "path": same, "baseline": same},
            "meet big screen": {"as": None, "path": f"{board}/screen", "baseline": same},
        }
    baseline_app = baseline.create_app(url)
    statements = census(app, baseline_app, data if "rush" in parts else None, sessions, pages)
    if meet_pages:
        # Once with the live board's cache off (the statements of building the board), then
        # with it on, after a first request has built it (what a refresh costs while the meet
        # has not changed).
        app.config["MEET_BOARD_CACHE_SECONDS"] = 0
        rebuilt = census(app, baseline_app, None, sessions, meet_pages)
        statements.update({f"{key}, board rebuilt each time": n for key, n in rebuilt.items()})
        app.config["MEET_BOARD_CACHE_SECONDS"] = 60
        warm = app.test_client(use_cookies=False)
        for page in meet_pages.values():
            warm.get(page["path"], headers={"User-Agent": USER_AGENT})
        statements.update(census(app, baseline_app, None, sessions, meet_pages, warn=False))
    baseline_app.extensions["baseline.engine"].dispose()
    with app.app_context():
        db.engine.dispose()

    log_dir = RESULTS
    app_server = Gunicorn("app", "wsgi:app", args, env, log_dir)
    servers.append(app_server)
    base_server = Gunicorn("baseline", "bench.baseline:create_app()", args, env, log_dir)
    servers.append(base_server)
    uncached = None
    if meet is not None:
        # The same app with the live board's cache off: every request places and renders the
        # whole meet, as each refresh did before the cache (eventsite/sportsmeet/live.py).
        uncached = Gunicorn(
            "app-uncached", "wsgi:app", args, {**env, "MEET_BOARD_CACHE_SECONDS": "0"}, log_dir
        )
        servers.append(uncached)
    app_server.wait_ready()
    base_server.wait_ready()
    if uncached is not None:
        uncached.wait_ready()
    print(
        f"app on :{app_server.port}, baseline on :{base_server.port} "
        f"({args.workers} workers, {args.worker_class}"
        f"{f' x {args.threads} threads' if args.worker_class == 'gthread' else ''})",
        flush=True,
    )

    # Warm both servers (every worker, every pool connection) before anything is measured.
    warm = "/events" if platform_parts else meet_pages["meet refresh (?fragments=page)"]["path"]
    for server in (app_server, base_server, *([uncached] if uncached else [])):
        loadgen.throughput(
            server.port,
            lambda n, s=server, p=warm: loadgen.get(p, s.port),
            concurrency=args.rush_concurrency,
            seconds=1.5,
            warmup=0,
        )

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "database": server_facts(url),
        "settings": {
            "parts": parts,
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads if args.worker_class == "gthread" else 1,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "rush_concurrency": args.rush_concurrency,
            "viewers": args.viewers,
            "refresh": args.refresh,
            "viewer_seconds": args.viewer_seconds,
        },
        "statements": statements,
    }
    if data is not None:
        report["data"] = {"events_listed": data.events_listed, "members": len(data.member_ids)}
    if meet is not None:
        report["meet"] = {
            "teams": 8,
            "items": meet.items,
            "entrants": 500,
            "entries": meet.entries,
            "entry_members": meet.entry_members,
            "heats": meet.heats,
            "results": meet.results,
            "matches": meet.matches,
        }
    if "rush" in parts:
        report["rush"] = measure_rush(app_server, base_server, data, sessions, url, args)
    if "pages" in parts:
        report["pages"] = measure_pages(app_server, base_server, pages, sessions, args)
    if meet is not None:
        print("(c) sports meet standings …", flush=True)
        throughput = measure_pages(app_server, base_server, meet_pages, sessions, args)
        rebuilt = {
            f"{key}, board rebuilt each time": page
            for key, page in meet_pages.items()
            if "refresh" in key
        }
        throughput.update(measure_pages(uncached, base_server, rebuilt, sessions, args))
        path = meet_pages["meet refresh (?fragments=page)"]["path"]
        audiences = {}
        for label, server in (("board kept", app_server), ("board rebuilt", uncached)):
            print(
                f"(c) audience ({label}): {args.viewers} leaderboards every {args.refresh:g} s "
                f"for {args.viewer_seconds:g} s …",
                flush=True,
            )
            audiences[label] = audience(server, path, url, args, meet.event_id)
        report["standings"] = {"throughput": throughput, "audience": audiences}
    report["load_average_at_end"] = load_average()
    return report


def measure_rush(app_server, base_server, data, sessions, url, args) -> dict:
    """(a) the rush: each member logs in by a signed cookie and posts the real form."""
    from bench.dataset import RUSH_MEMBERS

    members = data.member_ids[:RUSH_MEMBERS]
    app_requests = []
    for user_id in members:
        login = sessions.login(user_id)
        app_requests.append(
            loadgen.post_form(
                f"/events/{data.rush_event}/register",
                app_server.port,
                {"csrf_token": login.csrf_token, "single_declared": "y"},
                cookie=login.cookie,
            )
        )
    base_requests = [
        loadgen.post_form(
            f"/events/{data.rush_event_baseline}/register", base_server.port, {"user_id": user_id}
        )
        for user_id in members
    ]
    print("(a) rush …", flush=True)
    before = message_counts(url)
    rush_app = rush(app_server, app_requests, args)
    outcome_app = rush_outcome(url, data.rush_event, before)
    before = message_counts(url)
    rush_base = rush(base_server, base_requests, args)
    outcome_base = rush_outcome(url, data.rush_event_baseline, before)
    correct = (
        outcome_app.get("confirmed") == 100
        and outcome_app.get("waitlisted") == 900
        and outcome_app.get("inbox messages") == 1000
        and outcome_app.get("sms messages") == 100
        and rush_app.statuses == {303: 1000}
    )
    return {
        "app": {**rush_app.summary(), "outcome": outcome_app},
        "baseline": {**rush_base.summary(), "outcome": outcome_base},
        "ratio": round(rush_app.rate / rush_base.rate, 2),
        "correct": correct,
    }


def measure_pages(app_server, base_server, pages, sessions, args) -> dict:
    """(b), (c): each page, app and baseline in turn, `rounds` times."""
    page_report = {}
    for key, page in pages.items():
        print(f"    {key} …", flush=True)
        cookie = sessions.login(page["as"]).cookie if page["as"] is not None else None
        runs = {"app": [], "baseline": []}
        for _ in range(args.rounds):
            runs["app"].append(
                measure_page(
                    app_server,
                    lambda n, p=page["path"], c=cookie: loadgen.get(p, app_server.port, c),
                    args,
                )
            )
            runs["baseline"].append(
                measure_page(
                    base_server,
                    lambda n, p=page["baseline"]: loadgen.get(p, base_server.port),
                    args,
                )
            )
        row = {side: best_run(r) for side, r in runs.items()}
        row["ratio"] = round(row["app"]["per_second"] / row["baseline"]["per_second"], 2)
        sample = runs["app"][0].sample.decode("utf-8", "replace")
        row["app_rows_on_page"] = sample.count('<tr id="registration-') if "roster" in key else None
        row["app_bytes"] = len(runs["app"][0].sample)
        page_report[key] = row
    return page_report


if __name__ == "__main__":
    sys.exit(main())
