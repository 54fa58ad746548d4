"""The mail outbox: kept for admins without SMTP, sent once with it, kept on failure.

A small SMTP server runs on 127.0.0.1 in a thread for each test; `deliver_outbox` talks to it
with the real smtplib.
"""

from __future__ import annotations

import email
import email.policy
import socket
import socketserver
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite import scheduler
from eventsite.core.models import OutboundEmail
from eventsite.core.notifications import MAX_ATTEMPTS, deliver_outbox, notify
from eventsite.extensions import db
from tests.factories import make_user


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Members here never log in: skip the deliberately slow password hash (0.25 s each)."""
    from werkzeug.security import generate_password_hash

    import eventsite.accounts.models as account_models

    monkeypatch.setattr(
        account_models,
        "generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1"),
    )


class FakeSMTP(socketserver.ThreadingTCPServer):
    """Speaks enough SMTP for smtplib; records every message it accepted.

    `refuse_data` answers DATA's end with a permanent error; `drop_after` closes the connection
    after accepting that many messages.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SMTPSession)
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.connections = 0
        self.refuse_data = False
        self.drop_after: int | None = None
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]


class SMTPSession(socketserver.StreamRequestHandler):
    timeout = 10

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server: FakeSMTP = self.server  # type: ignore[assignment]
        with server.lock:
            server.connections += 1
        self.reply("220 fake.smtp ESMTP ready")
        sender, recipients = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.wfile.write(b"250-fake.smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].split()[0].strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                if server.refuse_data:
                    self.reply("554 Message rejected")
                    continue
                with server.lock:
                    server.messages.append(
                        email.message_from_bytes(bytes(data), policy=email.policy.default)
                    )
                    server.envelopes.append((sender, recipients))
                    accepted = len(server.messages)
                self.reply("250 OK queued")
                if server.drop_after is not None and accepted >= server.drop_after:
                    return  # hang up without a word
            elif verb == "RSET" or verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def smtp_server():
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def mail_on(app, smtp_server):
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_FROM="union@example.com"
    )
    return smtp_server


def queue(n: int = 1, *, email_address: str = "member@example.com") -> None:
    member = make_user(email=email_address, locale="en")
    for i in range(n):
        notify(
            member,
            lambda i=i: (f"工会通知 {i}", f"您好，第 {i} 条消息。"),
            link="/my/events",
        )
    db.session.commit()


def outbox() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboundEmail).order_by(OutboundEmail.id)))


def test_without_mail_server_mail_stays_in_the_outbox(app, smtp_server):
    app.config.update(MAIL_SERVER=None, MAIL_PORT=smtp_server.port)
    queue(2)
    assert deliver_outbox() == 0
    assert [(m.sent_at, m.attempts) for m in outbox()] == [(None, 0), (None, 0)]
    assert smtp_server.connections == 0


def test_with_a_server_each_mail_is_sent_once_and_marked(app, clock, mail_on):
    queue(3)
    assert deliver_outbox() == 3
    rows = outbox()
    assert [(m.sent_at, m.attempts, m.last_error) for m in rows] == [(clock.now, 1, None)] * 3
    assert [m["Subject"] for m in mail_on.messages] == ["工会通知 0", "工会通知 1", "工会通知 2"]
    first = mail_on.messages[0]
    assert first["From"] == "union@example.com" and first["To"] == "member@example.com"
    assert first.get_content().startswith("您好，第 0 条消息。")
    assert "http://127.0.0.1:5000/my/events" in first.get_content()
    assert mail_on.envelopes[0] == ("union@example.com", ["member@example.com"])

    clock.advance(minutes=1)
    assert deliver_outbox() == 0
    assert len(mail_on.messages) == 3


def test_nothing_queued_does_not_connect(app, mail_on):
    assert deliver_outbox() == 0
    assert mail_on.connections == 0


def test_a_refusing_server_leaves_mail_unsent_with_attempts_counted(app, mail_on):
    mail_on.refuse_data = True
    queue(2)
    assert deliver_outbox() == 0
    assert [(m.sent_at, m.attempts, m.last_error) for m in outbox()] == [
        (None, 1, "SMTPDataError")
    ] * 2
    for _ in range(MAX_ATTEMPTS + 2):
        deliver_outbox()
    assert [m.attempts for m in outbox()] == [MAX_ATTEMPTS] * 2  # then left for an admin
    mail_on.refuse_data = False
    assert deliver_outbox() == 0
    assert mail_on.messages == []


def test_a_refused_mail_is_sent_on_a_later_try(app, clock, mail_on):
    mail_on.refuse_data = True
    queue(1)
    deliver_outbox()
    mail_on.refuse_data = False
    clock.advance(minutes=1)
    assert deliver_outbox() == 1
    (mail,) = outbox()
    assert (mail.sent_at, mail.attempts, mail.last_error) == (clock.now, 2, None)


def test_an_unreachable_server_uses_up_no_attempts(app):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    queue(2)
    assert deliver_outbox() == 0
    assert [(m.sent_at, m.attempts) for m in outbox()] == [(None, 0), (None, 0)]


def test_a_dropped_connection_stops_the_batch_and_keeps_the_rest(app, mail_on):
    mail_on.drop_after = 1
    queue(3)
    assert deliver_outbox() == 1
    rows = outbox()
    assert [m.sent_at is not None for m in rows] == [True, False, False]
    assert rows[1].attempts == 1 and rows[1].last_error is not None
    assert rows[2].attempts == 0  # never tried: the batch stopped
    mail_on.drop_after = None
    assert deliver_outbox() == 2
    assert len(mail_on.messages) == 3


def test_two_senders_at_once_send_each_mail_once(app, mail_on, monkeypatch):
    queue(12)
    # Nothing open on the test's own session: on SQLite it would hold the write lock.
    db.session.commit()
    monkeypatch.setattr(scheduler, "_app", app)
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def run():
        try:
            barrier.wait(10)
            counts.append(scheduler.mail_job())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert sum(counts) == 12
    assert sorted(m["Subject"] for m in mail_on.messages) == sorted(
        f"工会通知 {i}" for i in range(12)
    )
    assert all(m.sent_at is not None and m.attempts == 1 for m in outbox())


def test_the_tick_command_sends_the_outbox(app, runner, mail_on):
    queue(1)
    result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0, result.output
    assert "mail: 1 sent" in result.output
    assert len(mail_on.messages) == 1


def test_the_tick_command_says_mail_is_kept_without_a_server(app, runner):
    queue(1)
    result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0, result.output
    assert "MAIL_SERVER not set" in result.output
    assert outbox()[0].sent_at is None


def test_a_reminder_reaches_the_member_by_mail(app, clock, mail_on):
    from eventsite.events.models import RegistrationStatus
    from tests.factories import make_event, make_registration

    member = make_user(email="li@example.com", locale="en")
    event = make_event(title="Tug-of-war final", starts_in=timedelta(hours=3))
    make_registration(event, member, RegistrationStatus.CONFIRMED)
    db.session.commit()
    scheduler.run_notices()
    assert scheduler.run_mail() == 1
    (message,) = mail_on.messages
    assert message["To"] == "li@example.com"
    assert message["Subject"].startswith("Reminder: Tug-of-war final starts at ")
