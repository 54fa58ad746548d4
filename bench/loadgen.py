"""A small HTTP/1.1 load generator: asyncio, keep-alive connections, loopback only.

It sends prebuilt requests and reads responses by Content-Length, nothing more, so that it
costs the two cores as little as possible while the servers it measures share them. Every run
is bounded by a request count and a deadline.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

HOST = "127.0.0.1"
USER_AGENT = "eventsite-bench/1"

#: No run sends more than this many requests, whatever its duration.
MAX_REQUESTS = 200_000


def get(path: str, port: int, cookie: str | None = None) -> bytes:
    """A GET request, ready to send."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        f"User-Agent: {USER_AGENT}",
        "Accept: text/html,application/json",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_form(path: str, port: int, fields: dict, cookie: str | None = None) -> bytes:
    """A POST of an urlencoded form, ready to send."""
    body = urlencode(fields).encode()
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {HOST}:{port}",
        f"User-Agent: {USER_AGENT}",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {len(body)}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection; reopened when the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                self.writer.write(raw)
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                # The server closed an idle keep-alive connection: reopen once and resend.
                self.close()
                if attempt == 2:
                    raise
                continue
            status, length, close = _parse_head(head)
            body = await self.reader.readexactly(length) if length else b""
            if close:
                self.close()
            return status, body
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding":
            raise RuntimeError("chunked responses are not expected from these endpoints")
    return status, length, close


@dataclass
class Outcome:
    """What a run measured."""

    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    #: CPU seconds this process (the load generator) used during the run.
    client_cpu: float = 0.0
    sample: bytes = b""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency at percentile `p` (0–100), in milliseconds."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index] * 1000

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.rate, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.latencies else 0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "client_cpu_share": round(self.client_cpu / self.seconds / 2, 3) if self.seconds else 0,
        }


async def _for_duration(port, make_request, concurrency, seconds, outcome: Outcome | None):
    deadline = time.perf_counter() + seconds
    sent = 0

    async def client(n: int):
        nonlocal sent
        conn = Connection(port)
        try:
            while time.perf_counter() < deadline and sent < MAX_REQUESTS:
                sent += 1
                raw = make_request(sent)
                start = time.perf_counter()
                status, body = await conn.request(raw)
                if outcome is not None:
                    outcome.latencies.append(time.perf_counter() - start)
                    outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
                    if not outcome.sample:
                        outcome.sample = body
        finally:
            conn.close()

    await asyncio.gather(*(client(n) for n in range(concurrency)))


def throughput(
    port: int,
    make_request: Callable[[int], bytes],
    *,
    concurrency: int,
    seconds: float,
    warmup: float,
) -> Outcome:
    """Requests per second over `seconds`, after `warmup` seconds whose results are dropped."""
    asyncio.run(_for_duration(port, make_request, concurrency, warmup, None))
    outcome = Outcome()
    cpu, start = time.process_time(), time.perf_counter()
    asyncio.run(_for_duration(port, make_request, concurrency, seconds, outcome))
    outcome.seconds = time.perf_counter() - start
    outcome.client_cpu = time.process_time() - cpu
    outcome.requests = len(outcome.latencies)
    return outcome


def rush(port: int, requests: Sequence[bytes], *, concurrency: int, timeout: float) -> Outcome:
    """Send every request once, `concurrency` at a time, all starting together."""

    async def run(outcome: Outcome):
        queue = list(reversed(requests))
        gate = asyncio.Event()

        async def client():
            conn = Connection(port)
            # Connect before the gate opens, so the rush is not spread out by connecting.
            conn.reader, conn.writer = await asyncio.open_connection(HOST, port)
            await gate.wait()
            try:
                while queue:
                    raw = queue.pop()
                    start = time.perf_counter()
                    status, _body = await conn.request(raw)
                    outcome.latencies.append(time.perf_counter() - start)
                    outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            finally:
                conn.close()

        tasks = [asyncio.create_task(client()) for _ in range(concurrency)]
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        gate.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout)
        outcome.seconds = time.perf_counter() - started

    outcome = Outcome()
    cpu = time.process_time()
    asyncio.run(run(outcome))
    outcome.client_cpu = time.process_time() - cpu
    outcome.requests = len(outcome.latencies)
    return outcome


@dataclass
class Viewers:
    """What an audience of open pages, each refreshing on its own timer, got from the server."""

    outcome: Outcome
    viewers: int
    interval: float
    #: Refreshes that were due while the page's previous one was still waiting, and so were
    #: skipped (the page's script does the same: one refresh at a time).
    skipped: int = 0
    #: Refreshes due in the run (sent + skipped).
    due: int = 0

    def summary(self) -> dict:
        outcome = self.outcome
        return {
            **outcome.summary(),
            "viewers": self.viewers,
            "interval_s": self.interval,
            "offered_per_second": round(self.viewers / self.interval, 1),
            "due": self.due,
            "skipped": self.skipped,
            "p90_ms": round(outcome.percentile(90), 2),
            "p95_ms": round(outcome.percentile(95), 2),
            "max_ms": round(max(outcome.latencies) * 1000, 2) if outcome.latencies else 0,
        }


def viewers(
    port: int,
    make_request: Callable[[int], bytes],
    *,
    viewers: int,
    interval: float,
    seconds: float,
    seed: int = 5,
) -> Viewers:
    """`viewers` open pages, each sending one request every `interval` seconds at its own random
    phase for `seconds`; an open loop, so a slow server does not slow the offered load (a page
    whose previous refresh is still out skips its turn, as standings.js does). Each refresh opens
    a new connection: the gap between two is longer than gunicorn keeps an idle one open."""
    import random

    rng = random.Random(seed)
    phases = [rng.uniform(0, interval) for _ in range(viewers)]
    result = Viewers(Outcome(), viewers, interval)
    outcome = result.outcome

    async def page(phase: float, start: float):
        tick = 0
        while True:
            due = start + phase + tick * interval
            if due >= start + seconds or outcome.requests >= MAX_REQUESTS:
                return
            tick += 1
            result.due += 1
            now = time.perf_counter()
            if now > due:
                result.skipped += 1  # the previous refresh was still out when this one was due
                continue
            if now < due:
                await asyncio.sleep(due - now)
            conn = Connection(port)
            sent = time.perf_counter()
            try:
                status, body = await conn.request(make_request(outcome.requests))
            finally:
                conn.close()
            outcome.latencies.append(time.perf_counter() - sent)
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            outcome.requests += 1
            if not outcome.sample:
                outcome.sample = body

    async def run():
        start = time.perf_counter() + 0.05
        await asyncio.gather(*(page(phase, start) for phase in phases))

    cpu, start = time.process_time(), time.perf_counter()
    asyncio.run(run())
    outcome.seconds = time.perf_counter() - start
    outcome.client_cpu = time.process_time() - cpu
    return result
