"""The admins' outbox hold page, its release buttons, and the banner on the outbox pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite.core.models import AuditEntry, OutboundEmail
from eventsite.extensions import db
from eventsite.outbox import rules
from eventsite.outbox import service as hold
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import queue_sms
from tests.factories import make_user


@pytest.fixture
def admin(auth):
    user = make_user(roles=["admin"], name="管理员", locale="en")
    db.session.commit()
    auth.become(user)
    return user


def held_scene(clock):
    """A mail and a reminder text queued, then the hold; a code asked for since."""
    member = make_user(name="安娜", email="anna@example.com", mobile="13912345678")
    db.session.add(OutboundEmail(to_address=member.email, subject="报名成功：秋季运动会", body="…"))
    queue_sms(
        member.mobile,
        SmsKind.EVENT_REMINDER,
        {"event": "秋季运动会", "time": "明天 9:00", "place": "体育馆"},
        user=member,
    )
    db.session.flush()
    clock.advance(minutes=1)
    hold.enter_hold(rules.RESTORED)
    clock.advance(minutes=1)
    queue_sms(member.mobile, SmsKind.CODE, {"code": "123456", "minutes": "10"})
    db.session.commit()
    return member


def test_nothing_held(client, admin):
    page = client.get("/admin/outbox/hold")
    assert page.status_code == 200
    assert "Nothing is held" in page.text
    assert 'id="outbox-held"' not in client.get("/admin/outbox").text
    assert 'id="outbox-held"' not in client.get("/admin/sms").text


def test_the_page_shows_what_is_held_without_mobile_numbers(client, admin, clock):
    held_scene(clock)
    page = client.get("/admin/outbox/hold")
    assert page.status_code == 200
    text = page.text
    assert "报名成功：秋季运动会" in text
    assert "Event reminder" in text
    assert "<td>Verification code</td>" not in text  # asked for since the hold: it is sent
    assert "<td>Event reminder</td>" in text
    assert "13912345678" not in text and "5678" not in text
    assert "restored from a backup" in text
    assert "1 mails" in text and "1 text messages" in text
    for outbox in ("/admin/outbox", "/admin/sms"):
        banner = client.get(outbox).text
        assert 'id="outbox-held"' in banner
        assert 'href="/admin/outbox/hold"' in banner


def test_discarding_from_the_page(client, admin, clock):
    held_scene(clock)
    response = client.post("/admin/outbox/hold/release", data={"action": "discard"})
    assert response.status_code == 302
    db.session.expire_all()
    mail = db.session.scalar(sa.select(OutboundEmail))
    assert mail.discarded_at is not None and mail.sent_at is None
    statuses = dict(db.session.execute(sa.select(SmsMessage.kind, SmsMessage.status)).all())
    assert statuses == {"event_reminder": SmsStatus.DISCARDED, "code": SmsStatus.QUEUED}
    current = hold.current_hold()
    assert not current.is_held and current.released_by == "管理员"
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "outbox.release"))
    assert entry.actor_id == admin.id
    assert "1" in entry.detail
    page = client.get("/admin/outbox").text
    assert "Discarded after a restore" in page
    assert 'id="outbox-held"' not in page


def test_sending_from_the_page(client, admin, clock):
    held_scene(clock)
    assert client.post("/admin/outbox/hold/release", data={"action": "send"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutboundEmail.discarded_at)) is None
    assert hold.held_since() is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "outbox.release")
        )
        == 1
    )


@pytest.mark.parametrize("data", [{}, {"action": ""}, {"action": "everything"}])
def test_a_release_without_a_valid_choice_changes_nothing(client, admin, clock, data):
    held_scene(clock)
    response = client.post("/admin/outbox/hold/release", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert hold.held_since() is not None
    assert db.session.scalars(sa.select(AuditEntry.action)).all() == ["outbox.hold"]


def test_releasing_when_nothing_is_held_changes_nothing(client, admin):
    response = client.post("/admin/outbox/hold/release", data={"action": "discard"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize("roles", [(), ("organizer",), ("judge",)])
def test_only_admins(client, auth, roles, clock):
    held_scene(clock)
    auth.become(make_user(roles=list(roles)))
    db.session.commit()
    assert client.get("/admin/outbox/hold").status_code == 403
    assert client.post("/admin/outbox/hold/release", data={"action": "send"}).status_code == 403
    assert hold.held_since() is not None


def test_status_on_the_command_line(app, clock):
    held_scene(clock)
    output = app.test_cli_runner().invoke(args=["outbox", "status"]).output
    assert "HELD since 2026-11-01T02:01:00+00:00: database restored or copied" in output
    assert (
        "mail: 1 held, queued from 2026-11-01T02:00:00+00:00 to 2026-11-01T02:00:00+00:00" in output
    )
    assert "sms: 1 held" in output
    assert "event_reminder" in output and "code" not in output.split("sms:")[1].split("Release")[
        0
    ].replace("event_reminder", "")
    assert "13912345678" not in output


def test_the_hold_is_entered_once_and_the_identity_recorded_again(app, clock):
    assert hold.check_identity() is False  # first run: recorded
    db.session.commit()
    current = hold.current_hold()
    current.database_identity = rules.copy_mark(clock.now)
    db.session.commit()
    clock.advance(minutes=1)
    assert hold.check_identity() is True
    assert hold.check_identity() is False  # recorded the live one: no second hold
    db.session.commit()
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "outbox.hold"))
    assert entry.actor_id is None
    assert entry.detail == "待发邮件和短信已暂扣：数据库系从备份恢复或复制而来"
    current = hold.current_hold()
    assert current.held_since == clock.now
    assert current.database_identity == hold.live_identity()
    # Another copy while still held: the hold keeps its beginning.
    current.database_identity = rules.copy_mark(clock.now)
    db.session.commit()
    clock.advance(minutes=5)
    assert hold.check_identity() is False
    assert hold.current_hold().held_since == clock.now - timedelta(minutes=5)


def test_the_page_tells_who_released_the_last_hold(app, client, admin, clock):
    held_scene(clock)
    clock.advance(minutes=3)
    assert "1 mails" in app.test_cli_runner().invoke(args=["outbox", "release"]).output
    page = client.get("/admin/outbox/hold").text
    assert "Nothing is held" in page
    assert "was released" in page and "by the command line" in page
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "outbox.release"))
    assert entry.actor_id is None
    assert entry.detail == "由命令行解除暂扣：1封邮件和1条短信放行发送"
