"""Two real app servers on one PostgreSQL database and one Redis: what one process changes,
the other knows at once.

Scaling out means several gunicorn processes, on one host or several, behind one address; a
member's requests land on any of them. So every state the app shares must live in PostgreSQL or
Redis, never in one worker's memory. Each test here starts nothing new: two gunicorn servers
(A and B, one worker each, as production runs them: EVENTSITE_ENV=production, CSRF on) serve the
module, and the checks go through the one and then the other:

- signed-in sessions: logged in through A, signed in on B; logged out through A, B refuses the
  old cookie;
- rate limits (Redis): failed logins counted through A pause the account on B;
- the live board: a heat saved through A shows on B's standings at once, although B kept the
  board it had built;
- the event list and the event page (kept answers, whatever a process keeps): an event changed
  through A shows on B at once;
- the scheduler's claims: two `flask scheduler tick` processes at once send each reminder and
  each text once.

Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL, default redis://127.0.0.1:6379/0); skipped
with the reason otherwise. Each run counts in Redis under its own key prefix and removes its keys.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from datetime import timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from eventsite import create_app
from eventsite.core.models import Notification, SentNotice
from eventsite.events.models import EventKind
from eventsite.extensions import db
from eventsite.organizations.service import insert_root
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from tests.conftest import ON_POSTGRES, base_config
from tests.factories import PASSWORD, make_event, make_registration, make_user
from tests.sportsmeet_factories import assign_referee, enter_all, make_item, make_meet, one_heat

pytestmark = [
    pytest.mark.servers,
    # One pair of servers for the module: under `pytest -n 2 --dist loadgroup` (make
    # test-postgres) its tests stay in one worker.
    pytest.mark.xdist_group("two_servers"),
    pytest.mark.skipif(not ON_POSTGRES, reason="two servers share one PostgreSQL (DATABASE_URL)"),
]

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
#: Failed logins per address and number before logging in pauses, in these servers.
LOGIN_LIMIT = 3
USER_AGENT = "eventsite-two-servers-test/1"


def _redis():
    """A Redis client, or a skip saying why there is none."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"needs Redis at {REDIS_URL}: {type(error).__name__}")
    return client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn master and its worker, started and stopped by process id."""

    def __init__(self, name: str, env: dict, key_prefix: str, log_dir: Path):
        self.name = name
        self.port = _free_port()
        self.log = log_dir / f"{name}.log"
        target = f"eventsite:create_app({{'RATELIMIT_KEY_PREFIX': {key_prefix!r}}})"
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers=1",
            "--worker-class=gthread",
            "--threads=2",
            f"--bind=127.0.0.1:{self.port}",
            f"--chdir={ROOT}",
            f"--error-logfile={self.log}",
            "--log-level=warning",
            target,
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server {self.name} not ready after {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Reply:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.text = body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser:
    """One member's browser: one cookie jar, whichever server answers (as behind one address).
    Cookies are sent over plain HTTP although production marks them Secure: the servers here
    stand where the proxy would hand them requests."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, server: Server, method: str, path: str, form: dict | None = None) -> Reply:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            conn.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                gone = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if gone or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reply

    def get(self, server: Server, path: str) -> Reply:
        return self.request(server, "GET", path)

    def post(self, server: Server, path: str, form: dict) -> Reply:
        return self.request(server, "POST", path, form)

    def csrf_token(self, server: Server, path: str) -> str:
        page = self.get(server, path)
        assert page.status == 200, (path, page.status)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def log_in(self, server: Server, mobile: str, password: str = PASSWORD) -> Reply:
        token = self.csrf_token(server, "/login")
        return self.post(
            server, "/login", {"csrf_token": token, "mobile": mobile, "password": password}
        )


class FormFields(HTMLParser):
    """The fields a browser would submit from the first form holding the field `marker`, or
    else the first form posting to `action`."""

    def __init__(self, marker: str | None = None, action: str | None = None):
        super().__init__()
        self.marker, self.action = marker, action
        self.forms: list[dict] = []
        self.current: dict | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self.current)
        if self.current is None:
            return
        fields = self.current["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[name] = a.get("value", "y")
            elif kind not in ("submit", "button", "file", "image"):
                fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self.select = name
            fields.setdefault(name, None)
        elif tag == "option" and self.select:
            if "selected" in a or fields.get(self.select) is None:
                fields[self.select] = a.get("value", "")
        elif tag == "textarea" and name:
            self.textarea = name
            fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.current = None

    def handle_data(self, data):
        if self.textarea and self.current is not None:
            self.current["fields"][self.textarea] += data

    def fields(self, html: str) -> dict:
        self.feed(html)
        for form in self.forms:
            if self.marker in form["fields"] or (self.action and form["action"] == self.action):
                return {k: v for k, v in form["fields"].items() if v is not None}
        raise AssertionError(f"no form with a {self.marker} field or posting to {self.action}")


# --- the servers and their data ----------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_client():
    """Asked before the database is made, so a missing Redis skips at once."""
    return _redis()


@pytest.fixture(scope="module")
def scene(redis_client, database_template):
    """The data the tests use, written in-process into the shared database."""
    redis = redis_client
    url = database_template
    app = create_app(base_config(url))
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="组织者甲")
        member = make_user(name="会员乙")
        guesser = make_user(name="会员丙")
        judge = make_user(roles=["judge"], name="裁判丁")
        event = make_event(organizer=organizer, kind=EventKind.MIXER, title="江城鹊桥联谊会")
        lecture = make_event(
            organizer=organizer, kind=EventKind.GENERAL, title="职工健康讲座", capacity=7
        )
        meet = make_meet(organizer=organizer)
        race = make_item(meet, name="毛毛虫竞速", result_type="time")
        entries = enter_all(meet, race)
        heat = one_heat(race, entries)
        assign_referee(race, judge)
        db.session.commit()
        ids = {
            "organizer": organizer.mobile,
            "member": member.mobile,
            "member_name": member.name,
            "guesser": guesser.mobile,
            "judge": judge.mobile,
            "event": event.id,
            "lecture": lecture.id,
            "meet": meet.event.id,
            "race": race.id,
            "heat": heat.id,
            "entries": [e.id for e in entries],
        }
        db.session.remove()
        db.engine.dispose()
    yield {"url": url, "app": app, "redis": redis, **ids}
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
        quoted = ", ".join(f'"{t}"' for t in tables)
        conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        insert_root(conn)
    engine.dispose()


@pytest.fixture(scope="module")
def environment(scene, tmp_path_factory):
    """What both servers and the scheduler processes run with: production, one secret, one
    database, one Redis (under this run's key prefix)."""
    folder = tmp_path_factory.mktemp("two-servers")
    env = {
        **os.environ,
        "EVENTSITE_ENV": "production",
        "EVENTSITE_INSTANCE_PATH": str(folder / "instance"),
        "POSTER_DIR": str(folder / "posters"),
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": scene["url"],
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute",
        "DEFAULT_LOCALE": "en",
        "SCHEDULER_IN_PROCESS": "0",
        "SMS_RATE_PER_SECOND": "200",
    }
    env.pop("EVENTSITE_ENV_FILE", None)
    key_prefix = f"two-servers-{secrets.token_hex(6)}"
    yield {"env": env, "folder": folder, "key_prefix": key_prefix}
    redis = scene["redis"]
    for key in redis.scan_iter(match=f"*{key_prefix}*", count=500):
        redis.delete(key)


@pytest.fixture(scope="module")
def servers(environment):
    started = [
        Server(name, environment["env"], environment["key_prefix"], environment["folder"])
        for name in ("A", "B")
    ]
    try:
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()


# --- the checks ----------------------------------------------------------------------------------


def test_signed_in_through_one_server_is_signed_in_on_the_other_until_logged_out(scene, servers):
    a, b = servers
    browser = Browser()
    assert browser.log_in(a, scene["member"]).status == 302
    me = browser.get(b, "/me")
    assert me.status == 200
    assert scene["member_name"] in me.text
    saved = dict(browser.cookies)  # a copy of the cookies, as a second tab or a thief keeps

    token = browser.csrf_token(b, "/me")
    assert browser.post(a, "/logout", {"csrf_token": token}).status == 302
    assert browser.get(b, "/me").status == 302

    replayed = Browser()
    replayed.cookies = saved
    refused = replayed.get(b, "/me")
    assert refused.status == 302
    assert "/login" in refused.location


def test_failed_logins_through_one_server_pause_the_account_on_the_other(
    scene, servers, environment
):
    a, b = servers
    browser = Browser()
    for _ in range(LOGIN_LIMIT):
        assert browser.log_in(a, scene["guesser"], password="wrong-password-1").status == 400
    paused = browser.log_in(b, scene["guesser"])  # the right password, on the other server
    assert paused.status == 429
    assert "Retry-After" in paused.headers
    assert browser.log_in(a, scene["guesser"]).status == 429
    # The counts are in Redis under this run's prefix, not in either process.
    assert list(scene["redis"].scan_iter(match=f"*{environment['key_prefix']}*"))
    # A member whose own logins never failed is not held back by another's.
    assert Browser().log_in(b, scene["member"]).status == 302


def _board(answer) -> dict:
    """A standings.json answer without the time it was answered at."""
    board = json.loads(answer.text)
    board.pop("updated")
    return board


def test_a_heat_saved_through_one_server_shows_at_once_on_the_others_board(scene, servers):
    a, b = servers
    standings = f"/events/{scene['meet']}/meet/standings.json"
    anonymous = Browser()
    before = anonymous.get(b, standings)
    assert before.status == 200
    # B keeps the board it built (the "updated" time is the answer's own, to the second).
    assert _board(anonymous.get(b, standings)) == _board(before)
    assert '"10/1"' not in before.text and '"5/1"' not in before.text

    referee = Browser()
    assert referee.log_in(a, scene["judge"]).status == 302
    sheet = f"/events/{scene['meet']}/meet/items/{scene['race']}/referee"
    token = referee.csrf_token(a, sheet)
    form = {"csrf_token": token}
    for i, entry_id in enumerate(scene["entries"]):
        prefix = f"h{scene['heat']}-rows-{i}-"
        form |= {
            prefix + "entry_id": entry_id,
            prefix + "value": f"{30 + i}.5",
            prefix + "second_value": "",
            prefix + "outcome": "ok",
            prefix + "reason": "",
        }
    path = f"/events/{scene['meet']}/meet/items/{scene['race']}/heats/{scene['heat']}"
    saved = referee.post(a, path, form)
    assert saved.status == 303, saved.text[:500]

    after = anonymous.get(b, standings)
    assert after.status == 200
    assert _board(after) != _board(before)
    board = json.loads(after.text)
    leader = board["standings"][0]
    assert leader["team"] == "站前一队"  # the fastest, lane 1
    assert leader["points"] not in ("0", "0.00", 0)
    page = anonymous.get(b, f"/events/{scene['meet']}/meet")
    assert page.status == 200
    assert "站前一队" in page.text


def test_an_event_changed_through_one_server_shows_at_once_on_the_other(scene, servers):
    a, b = servers
    event_page, new_title = f"/events/{scene['event']}", "江城鹊桥联谊会（改期后）"
    anonymous = Browser()
    for _ in range(2):  # whatever B keeps, it has kept it now
        assert "江城鹊桥联谊会" in anonymous.get(b, "/events").text
        assert "江城鹊桥联谊会" in anonymous.get(b, event_page).text
    assert new_title not in anonymous.get(b, "/events").text
    # B answers from its kept list: a title written straight into the database (past every
    # app, as psql would) does not show there until a change through an app moves the version.
    unseen = "江城鹊桥联谊会（库内改名）"
    raw = sa.create_engine(scene["url"], poolclass=sa.pool.NullPool)
    with raw.begin() as connection:
        connection.execute(
            sa.text("UPDATE event SET title = :title WHERE id = :id"),
            {"title": unseen, "id": scene["event"]},
        )
    raw.dispose()
    listed = anonymous.get(b, "/events").text
    assert unseen not in listed and "江城鹊桥联谊会" in listed

    organizer = Browser()
    assert organizer.log_in(a, scene["organizer"]).status == 302
    edit = organizer.get(a, f"{event_page}/edit")
    assert edit.status == 200
    fields = FormFields("title").fields(edit.text)
    fields["title"] = new_title
    saved = organizer.post(a, f"{event_page}/edit", fields)
    assert saved.status in (302, 303), saved.text[:1000]

    assert new_title in anonymous.get(b, "/events").text
    assert new_title in anonymous.get(b, event_page).text
    assert new_title in Browser().get(a, "/events").text


def test_a_registration_through_one_server_shows_at_once_in_the_others_places_left(scene, servers):
    a, b = servers
    event_page = f"/events/{scene['lecture']}"
    anonymous = Browser()
    for _ in range(2):
        assert "7 of 7 places left" in anonymous.get(b, "/events").text
        assert "7 of 7 places left" in anonymous.get(b, event_page).text

    member = Browser()
    assert member.log_in(a, scene["member"]).status == 302
    page = member.get(a, event_page)
    fields = FormFields(action=f"{event_page}/register").fields(page.text)
    registered = member.post(a, f"{event_page}/register", fields)
    assert registered.status == 303, registered.text[:1000]

    for server in (b, a):
        assert "6 of 7 places left" in anonymous.get(server, "/events").text
        assert "6 of 7 places left" in anonymous.get(server, event_page).text


def test_two_scheduler_processes_at_once_send_each_reminder_and_text_once(scene, environment):
    """Two `flask scheduler tick` processes started together: each claims in the database, so
    every member is reminded once and every queued text leaves once."""
    app = scene["app"]
    with app.app_context():
        organizer = make_user(roles=["organizer"])
        members = [make_user(email=f"two-servers-{i}@example.com") for i in range(30)]
        event = make_event(
            organizer=organizer, kind=EventKind.SPORTSMEET, starts_in=timedelta(hours=6)
        )
        for member in members:
            make_registration(event, member)
        for index in range(30):
            queue_sms(f"137{index:08d}", SmsKind.CODE, {"code": f"{index:06d}", "minutes": "10"})
        db.session.commit()
        member_ids = [m.id for m in members]
        event_id = event.id
        db.session.remove()

    command = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "scheduler", "tick"]
    runs = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment["env"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    told = sum(int(re.search(r"(\d+) event reminders", out).group(1)) for out in outputs)
    assert told == 30, outputs

    with app.app_context():
        markers = db.session.scalars(
            sa.select(SentNotice.user_id).where(
                SentNotice.event_id == event_id, SentNotice.user_id.in_(member_ids)
            )
        ).all()
        assert sorted(markers) == sorted(member_ids)
        inbox = db.session.execute(
            sa.select(Notification.user_id, sa.func.count(Notification.id))
            .where(Notification.user_id.in_(member_ids))
            .group_by(Notification.user_id)
        ).all()
        assert sorted(inbox) == sorted((member_id, 1) for member_id in member_ids)
        # Every text left once at most (a reminder's text may wait for the next tick), and every
        # code queued before the ticks left exactly once.
        texts = db.session.execute(
            sa.select(SmsMessage.kind, SmsMessage.status, SmsMessage.attempts)
        ).all()
        assert all(attempts <= 1 for _kind, _status, attempts in texts), texts
        codes = [(status, attempts) for kind, status, attempts in texts if kind == SmsKind.CODE]
        assert codes == [(SmsStatus.SENT, 1)] * 30
        db.session.remove()
        db.engine.dispose()
