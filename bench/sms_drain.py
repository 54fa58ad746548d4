"""Drain a queue of 5,000 text messages through Tencent Cloud's SDK at the provider's rate limit,
with two senders at once, on PostgreSQL.

    make bench-sms                              # or: .venv/bin/python bench/sms_drain.py [--help]
    make bench-sms BENCH_ARGS="--rate 200 --messages 2000"

1. Creates a fresh database `eventsite_bench_<random>` on the PostgreSQL server (`--server` or
   BENCH_DATABASE_URL), migrates it, and queues `--messages` verification codes with `queue_sms`.
2. Serves a fake SMS provider on a loopback port that answers SendSms as Tencent Cloud does
   (a SerialNo per number, Code "Ok"), notes every request's SessionContext (the message id),
   and refuses with RequestLimitExceeded what goes beyond `--rate` (a token bucket holding a
   quarter of a second's worth).
3. Starts `--senders` processes, each running `eventsite.sms.sending.deliver_sms` in a loop with
   SMS_BACKEND=tencent and SMS_TENCENT_ENDPOINT pointing at the fake provider: the real SDK
   signs and posts each request over HTTP, so the CPU measured is what production spends.
4. Reports the wall time, the senders' CPU seconds per 1,000 messages (the PostgreSQL backends'
   alongside), the achieved rate against the limit, the provider's refusals and the duplicates
   (messages the provider received more than once: must be 0). Exits non-zero on a duplicate,
   a refusal or a message left unsent.

Not a test: numbers depend on the machine. docs/performance.md records what they were.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.run import DEFAULT_SERVER, backend_pids, fresh_database, process_cpu  # noqa: E402

#: One template per kind, as an operator would configure them (only the code is sent here).
TEMPLATES = {
    "code": {"template": "2200001", "params": ["code", "minutes"]},
    "mobile_changed": {"template": "2200002", "params": ["mobile"]},
    "registration_confirmed": {"template": "2200003", "params": ["event", "time"]},
    "waitlist_promoted": {"template": "2200004", "params": ["event", "deadline"]},
    "event_changed": {"template": "2200005", "params": ["event", "time", "place"]},
    "event_cancelled": {"template": "2200006", "params": ["event"]},
    "event_reminder": {"template": "2200007", "params": ["event", "time", "place"]},
    "mixer_results": {"template": "2200008", "params": ["event"]},
    "introduction_request": {"template": "2200009", "params": ["event"]},
    "roster_message": {"template": "2200010", "params": ["event", "text"]},
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server URL; a fresh database is created on it",
    )
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500, help="the provider's limit per second")
    parser.add_argument("--senders", type=int, default=2, help="sender processes at once")
    parser.add_argument("--batch", type=int, default=250, help="messages a sender claims at a time")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument("--sender", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class FakeTencent(ThreadingHTTPServer):
    """Answers SendSms like Tencent Cloud and keeps what it was sent."""

    daemon_threads = True

    def __init__(self, rate: float):
        super().__init__(("127.0.0.1", 0), FakeTencentHandler)
        self.rate = rate
        self.lock = threading.Lock()
        self.received: collections.Counter[str] = collections.Counter()
        self.tokens = 0.0
        self.checked: float | None = None
        self.refused = 0
        self.first = self.last = None

    def accept_one(self, context: str) -> bool:
        """Note a request; False when the rate limit refuses it.

        The limit is a token bucket, as API gateways keep one: `rate` tokens a second, at most
        a quarter of a second's worth saved up for a burst.
        """
        with self.lock:
            now = time.monotonic()
            capacity = max(1.0, self.rate / 4)
            if self.checked is None:
                self.tokens, self.checked = capacity, now
            self.tokens = min(capacity, self.tokens + (now - self.checked) * self.rate)
            self.checked = now
            if self.tokens < 1:
                self.refused += 1
                return False
            self.tokens -= 1
            self.received[context] += 1
            self.first = self.first or now
            self.last = now
            return True


class FakeTencentHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # Headers and body leave in two writes: without NODELAY, Nagle's algorithm and the
        # client's delayed ACK hold each answer back about 40 ms, which no real provider does.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.headers["X-TC-Action"] == "SendSms"
        assert self.headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=")
        context = body["SessionContext"]
        if self.server.accept_one(context):
            answer = {
                "SendStatusSet": [
                    {
                        "SerialNo": f"2028:{secrets.token_hex(8)}",
                        "PhoneNumber": body["PhoneNumberSet"][0],
                        "Fee": 1,
                        "SessionContext": context,
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": secrets.token_hex(16),
            }
        else:
            answer = {
                "Error": {"Code": "RequestLimitExceeded", "Message": "请求频率超过限制"},
                "RequestId": secrets.token_hex(16),
            }
        data = json.dumps({"Response": answer}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


class BackendWatch(threading.Thread):
    """Notes the CPU of the PostgreSQL backends serving the bench database, from when each is
    first seen to when it was last seen, every 0.2 s."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def run(self) -> None:
        while not self.stop.wait(0.2):
            for pid in backend_pids(self.url):
                cpu = process_cpu(pid)
                self.first.setdefault(pid, cpu)
                if cpu:
                    self.last[pid] = cpu

    def seconds(self) -> float:
        return sum(self.last.get(pid, start) - start for pid, start in self.first.items())


def sender(args) -> int:
    """One sender process: deliver_sms until nothing is queued; prints its tally as JSON."""
    from eventsite import create_app
    from eventsite.extensions import db
    from eventsite.sms.gateway import gateway_for
    from eventsite.sms.models import SmsMessage, SmsStatus
    from eventsite.sms.sending import deliver_sms

    app = create_app()
    tally = collections.Counter()
    sends: list[float] = []  # when this sender called the SDK, to see the pacing it kept
    gateway = gateway_for(app)
    send = gateway.send

    def noted_send(message):
        sends.append(time.time())
        return send(message)

    gateway.send = noted_send
    started = time.process_time()
    with app.app_context():
        while True:
            run = deliver_sms(batch=args.batch or None, gateway=gateway)
            tally.update(sent=run.sent, retried=run.retried, failed=run.failed)
            tally.update(skipped=run.skipped)
            if not (run.sent or run.retried or run.failed or run.skipped):
                left = db.session.scalar(
                    sa.select(sa.func.count()).where(SmsMessage.status == SmsStatus.QUEUED)
                )
                db.session.commit()
                if not left:
                    break
                time.sleep(0.05)  # another sender holds the rest
    print(json.dumps({**tally, "cpu": time.process_time() - started, "sends": sends}))
    return 0


def queue_messages(count: int) -> None:
    from flask_migrate import upgrade

    from eventsite import create_app
    from eventsite.extensions import db
    from eventsite.sms.rules import SmsKind
    from eventsite.sms.service import queue_sms

    app = create_app()
    with app.app_context():
        upgrade()
        for index in range(count):
            queue_sms(f"138{index:08d}", SmsKind.CODE, {"code": f"{index:06d}", "minutes": "10"})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def max_in_a_second(moments: list[float]) -> int:
    """The most of the sorted `moments` that fall within any one second."""
    most, first = 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= 1:
            first += 1
        most = max(most, last - first + 1)
    return most


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.sender:
        return sender(args)
    provider = FakeTencent(args.rate)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    env = {
        "EVENTSITE_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "SMS_BACKEND": "tencent",
        "SMS_TEMPLATES": json.dumps(TEMPLATES),
        "SMS_RATE_PER_SECOND": str(args.rate),
        "SMS_TENCENT_SECRET_ID": "AKIDbenchsecretid",
        "SMS_TENCENT_SECRET_KEY": "benchsecretkey",
        "SMS_TENCENT_SDK_APP_ID": "1400000001",
        "SMS_TENCENT_ENDPOINT": f"http://127.0.0.1:{provider.server_port}",
    }
    with fresh_database(args.server, args.keep_database) as (name, url):
        os.environ.update({**env, "DATABASE_URL": url})
        print(f"database {name}: queueing {args.messages} messages …", flush=True)
        queue_messages(args.messages)
        command = [sys.executable, __file__, "--sender", "--batch", str(args.batch)]
        started = time.monotonic()
        processes = [
            subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            for _ in range(args.senders)
        ]
        backends = BackendWatch(url)
        backends.start()
        outputs = [process.communicate()[0] for process in processes]
        wall = time.monotonic() - started
        backends.stop.set()
        backends.join()
        backend_seconds = backends.seconds()
        tallies = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            statuses = {
                status: count
                for status, count in conn.execute(
                    sa.text("SELECT status, count(*) FROM sms_message GROUP BY status")
                )
            }
        engine.dispose()
    provider.shutdown()
    received = sum(provider.received.values())
    duplicates = sum(count - 1 for count in provider.received.values() if count > 1)
    sending = (provider.last - provider.first) if provider.first else 0.0
    cpu = sum(tally["cpu"] for tally in tallies)
    sends = sorted(moment for tally in tallies for moment in tally["sends"])
    busiest = max_in_a_second(sends)
    report = {
        "messages": args.messages,
        "senders": args.senders,
        "rate_limit": args.rate,
        "wall_seconds": round(wall, 2),
        "sending_seconds": round(sending, 2),
        "achieved_rate": round((received - 1) / sending, 1) if sending else None,
        "sender_cpu_seconds": round(cpu, 2),
        "sender_cpu_per_1000": round(cpu / args.messages * 1000, 3),
        "postgres_cpu_per_1000": round(backend_seconds / args.messages * 1000, 3),
        "per_sender_sent": [tally.get("sent", 0) for tally in tallies],
        "most_sent_in_one_second": busiest,
        "received_by_provider": received,
        "refused_by_provider": provider.refused,
        "duplicates": duplicates,
        "rows_by_status": statuses,
    }
    print(json.dumps(report, indent=2))
    unsent = args.messages - statuses.get("sent", 0)
    return 1 if duplicates or provider.refused or unsent else 0


if __name__ == "__main__":
    raise SystemExit(main())
