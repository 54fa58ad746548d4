"""Sending the SMS queue: claims, pacing, retries with back-off, failures for good, scrubbed
codes, and two senders at once (PostgreSQL). Providers are their real SDKs with the HTTP layer
faked by `responses`."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
import requests
import responses
import sqlalchemy as sa

from eventsite.extensions import db
from eventsite.sms import rules
from eventsite.sms.gateway import gateway_for
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind
from eventsite.sms.sending import LATE_SECONDS, MESSAGE_HOLD, claim_due, deliver_sms
from eventsite.sms.service import queue_sms
from tests.conftest import ON_POSTGRES
from tests.test_sms_gateway import TENCENT, TENCENT_URL, tencent_answer


class PacedClock:
    """The sender's clock and sleep: sleeping moves the clock, and every sleep is noted."""

    def __init__(self, now):
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def queue_codes(count: int, start: int = 1) -> list[SmsMessage]:
    messages = [
        queue_sms(f"138{index:08d}", SmsKind.CODE, {"code": f"{index:06d}", "minutes": "10"})
        for index in range(start, start + count)
    ]
    db.session.commit()
    return messages


def rows() -> list[SmsMessage]:
    db.session.expire_all()
    return db.session.scalars(sa.select(SmsMessage).order_by(SmsMessage.id)).all()


def test_the_outbox_marks_due_messages_sent_once(app, clock):
    queue_codes(3)
    paced = PacedClock(clock.now)
    tally = deliver_sms(clock=paced, sleep=paced.sleep)
    assert (tally.sent, tally.retried, tally.failed) == (3, 0, 0)
    sent = rows()
    assert [(m.status, m.attempts, m.claimed_until) for m in sent] == [("sent", 1, None)] * 3
    assert all(m.sent_at is not None and m.provider_reference is None for m in sent)
    # The outbox delivers nothing: the code stays for the admins' page (masked in production).
    assert sent[0].params["code"] == "000001"
    assert deliver_sms(clock=paced, sleep=paced.sleep).sent == 0


def test_sends_are_paced_to_the_providers_rate(app, clock):
    app.config["SMS_RATE_PER_SECOND"] = 4
    queue_codes(5)
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep).sent == 5
    assert paced.sleeps == pytest.approx([0.25] * 4)
    assert paced.now - clock.now == timedelta(seconds=1)


def test_a_run_that_falls_behind_takes_fresh_slots_instead_of_sending_in_a_burst(app, clock):
    app.config["SMS_RATE_PER_SECOND"] = 4
    queue_codes(4)
    paced = PacedClock(clock.now)
    sent_at = []

    class SlowProvider:
        """Takes two seconds to answer the first message (a slow network)."""

        name = "slow"
        delivers = False

        def send(self, message):
            sent_at.append(paced.now)
            if len(sent_at) == 1:
                paced.now += timedelta(seconds=2)
            return None

    assert deliver_sms(clock=paced, sleep=paced.sleep, gateway=SlowProvider()).sent == 4
    gaps = [later - earlier for earlier, later in zip(sent_at, sent_at[1:], strict=False)]
    assert gaps[0] == timedelta(seconds=2)
    assert gaps[1:] == [timedelta(seconds=0.25)] * 2  # paced again, not three at once
    assert [m.status for m in rows()] == ["sent"] * 4


def test_a_run_a_little_slower_than_the_rate_does_not_drift_into_later_slots(app, clock):
    app.config["SMS_RATE_PER_SECOND"] = 10
    queue_codes(30)
    paced = PacedClock(clock.now)
    sent_at = []

    class SluggishProvider:
        """Answers in 0.15 s: the run can keep only two thirds of the rate."""

        name = "sluggish"
        delivers = False

        def send(self, message):
            sent_at.append(paced.now)
            paced.now += timedelta(seconds=0.15)
            return None

    assert deliver_sms(clock=paced, sleep=paced.sleep, gateway=SluggishProvider()).sent == 30
    # Each left at most a quarter of a second (and one answer) after the slot it was sent in:
    # each time the run fell that far behind, it took fresh slots instead of drifting on.
    late = max(m.sent_at - m.send_after for m in rows())
    assert late <= timedelta(seconds=LATE_SECONDS + 0.15)
    assert len(sent_at) == 30


def test_a_run_sends_for_about_one_interval(app, clock):
    app.config["SMS_RATE_PER_SECOND"] = 0.5  # one every two seconds: at 0, 2, … 10 s
    queue_codes(8)
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep).sent == 6
    assert [m.status for m in rows()] == ["sent"] * 6 + ["queued"] * 2


def test_a_second_claim_takes_the_slots_after_the_first(app, clock):
    app.config["SMS_RATE_PER_SECOND"] = 10
    queue_codes(4)
    first = claim_due(clock.now, 2, 10)
    second = claim_due(clock.now, 2, 10)
    assert {row[0] for row in first}.isdisjoint({row[0] for row in second})
    slots = [slot for _id, slot, _hold in first + second]
    assert slots == [clock.now + timedelta(seconds=0.1 * i) for i in range(4)]
    assert claim_due(clock.now, 2, 10) == []  # all four held
    assert all(row[2] == slots[1] + MESSAGE_HOLD for row in first)


def test_quiet_hours_and_claims_of_other_runs_are_left_alone(app, clock):
    held = queue_sms("13800000001", SmsKind.EVENT_CANCELLED, {"event": "趣味运动会"})
    held.send_after = clock.now + timedelta(hours=8)
    claimed, expired = queue_codes(2)
    claimed.claimed_until = clock.now + timedelta(seconds=30)
    expired.claimed_until = clock.now - timedelta(seconds=1)
    db.session.commit()
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep).sent == 1
    assert [m.status for m in rows()] == ["queued", "queued", "sent"]


@responses.activate
def test_a_provider_that_takes_a_code_scrubs_it(app, clock):
    app.config.update(TENCENT)
    responses.post(TENCENT_URL, json=tencent_answer())
    (message,) = queue_codes(1, start=493817)
    notice = queue_sms("13800000002", SmsKind.EVENT_CANCELLED, {"event": "趣味运动会"})
    db.session.commit()
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep).sent == 2
    code, cancelled = rows()
    assert json.loads(responses.calls[0].request.body)["TemplateParamSet"] == ["493817", "10"]
    assert code.params == {"code": "******", "minutes": "10"}
    assert "493817" not in code.body and "******" in code.body
    assert code.provider_reference == "2028:f825e6b16e23f73f4123"
    assert cancelled.params == {"event": "趣味运动会"}  # only codes are scrubbed
    assert message.id == code.id and notice.id == cancelled.id


@responses.activate
def test_a_rate_limit_is_retried_after_the_back_off(app, clock):
    app.config.update(TENCENT)
    responses.post(
        TENCENT_URL, json=tencent_answer("LimitExceeded.PhoneNumberThirtySecondLimit", "slow")
    )
    queue_codes(1)
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep).retried == 1
    (message,) = rows()
    assert (message.status, message.attempts, message.claimed_until) == ("queued", 1, None)
    assert message.send_after == paced.now + rules.retry_delay(1)
    assert message.last_error == "LimitExceeded.PhoneNumberThirtySecondLimit: slow"
    assert deliver_sms(clock=paced, sleep=paced.sleep).retried == 0  # not due yet
    responses.replace(responses.POST, TENCENT_URL, json=tencent_answer())
    paced.now += rules.retry_delay(1)
    assert deliver_sms(clock=paced, sleep=paced.sleep).sent == 1
    (message,) = rows()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)


@responses.activate
def test_a_blocked_number_fails_for_good(app, clock):
    app.config.update(TENCENT)
    responses.post(TENCENT_URL, json=tencent_answer("FailedOperation.PhoneNumberInBlacklist", "x"))
    queue_codes(1)
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep).failed == 1
    (message,) = rows()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error == "FailedOperation.PhoneNumberInBlacklist: x"
    paced.now += timedelta(days=1)
    assert deliver_sms(clock=paced, sleep=paced.sleep).failed == 0
    assert len(responses.calls) == 1


@responses.activate
def test_the_last_attempt_fails_for_good(app, clock):
    app.config.update(TENCENT)
    responses.post(TENCENT_URL, body=requests.ConnectionError("down"))
    (message,) = queue_codes(1)
    message.attempts = rules.MAX_ATTEMPTS - 1
    db.session.commit()
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep).failed == 1
    (message,) = rows()
    assert (message.status, message.attempts) == ("failed", rules.MAX_ATTEMPTS)


def test_a_fault_in_the_gateway_is_retried_not_lost(app, clock):
    class Broken:
        name = "broken"
        delivers = True

        def send(self, message):
            raise KeyError("template")

    queue_codes(1)
    paced = PacedClock(clock.now)
    assert deliver_sms(clock=paced, sleep=paced.sleep, gateway=Broken()).retried == 1
    (message,) = rows()
    assert message.status == "queued" and message.last_error == "KeyError: 'template'"


def test_a_run_whose_hold_ran_out_leaves_the_message_to_its_new_holder(app, clock):
    queue_codes(1)
    ((message_id, _slot, hold),) = claim_due(clock.now, 10, 20)
    later = hold + timedelta(seconds=1)
    # Another run takes the message over once the first one's hold ran out.
    assert [row[0] for row in claim_due(later, 10, 20)] == [message_id]
    paced = PacedClock(later)
    from eventsite.sms import sending

    assert sending._take(message_id, hold, later) is None
    assert deliver_sms(now=later, clock=paced, sleep=paced.sleep).sent == 0
    (message,) = rows()
    assert (message.status, message.attempts) == ("queued", 0)


# --- two senders at once ----------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="two senders at once need PostgreSQL (DATABASE_URL)")
@responses.activate
def test_two_senders_never_send_one_message_twice(app):
    app.config.update({**TENCENT, "SMS_RATE_PER_SECOND": 2000})
    responses.post(TENCENT_URL, json=tencent_answer())
    count = 400
    queue_codes(count)
    gateway = gateway_for(app)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sender():
        try:
            with app.app_context():
                barrier.wait()
                while deliver_sms(gateway=gateway, batch=50).sent:
                    pass
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    sent = [json.loads(call.request.body)["SessionContext"] for call in responses.calls]
    assert len(sent) == count and len(set(sent)) == count
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(SmsMessage.status == SmsStatus.SENT))
        == count
    )
