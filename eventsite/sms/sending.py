"""Sending the SMS queue: the scheduler's `sms` job, run after the commits that queued the texts.

A run claims the due rows a second's worth at a time and gives each a moment to leave (a slot),
sends them one by one through the gateway, each at its slot, records each outcome in its own
commit, and claims again until it has filled its interval (INTERVAL_SECONDS):

1. The claim (one transaction): rows queued, due (`send_after` ≤ now) and not held by another
   run (`claimed_until` empty or past) are locked (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite's
   write transaction), given slots spaced 1 / SMS_RATE_PER_SECOND apart after the last slot any
   run holds (PostgreSQL serialises this with an advisory lock), so all senders together keep
   to the provider's rate, and held until the last slot plus MESSAGE_HOLD. A run that falls
   more than LATE_SECONDS behind a slot (a slow provider, a busy machine) gives the rest back
   and claims afresh, rather than send them late into the slots of other runs.
2. Before each send (one commit): the row is taken only if this run still holds it, the attempt
   counted and the hold renewed; a run whose hold ran out leaves it to whoever took it over.
3. After the send (one commit): sent (the provider's reference; a verification code scrubbed
   once a provider has it), queued again after `rules.retry_delay` for a passing refusal, or
   failed for good (a refusal no retry cures, or MAX_ATTEMPTS used up).

So two schedulers never send one message twice, and a crash loses nothing: its rows go back to
the queue when their hold runs out. The one message that was with the provider at the moment of
a crash may go a second time, since the provider cannot be asked whether it took it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.sms import rules
from eventsite.sms.gateway import SmsGateway, SmsRefused, gateway_for
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import SmsKind

log = logging.getLogger(__name__)

#: The scheduler's `sms` job runs this often; a run sends for about this long, claim by claim.
INTERVAL_SECONDS = 10
#: A claim takes about this many seconds of sending at the rate.
CLAIM_SECONDS = 1
#: How long a claimed row stays held after its slot: longer than a provider call can take.
MESSAGE_HOLD = timedelta(minutes=2)
#: A run this many seconds behind its next slot gives its remaining claims back and takes fresh
#: slots: sending them late, back to back, would exceed the rate together with other runs.
LATE_SECONDS = 0.25
#: PostgreSQL advisory lock that serialises the claims, so two runs never hand out one slot.
CLAIM_LOCK_KEY = 0x5_3D5_5E4D


@dataclass
class SmsTally:
    sent: int = 0
    #: Stopped being true while it waited (`rules.still_current`): not sent.
    withdrawn: int = 0
    #: Refused for a passing reason: queued again after the back-off.
    retried: int = 0
    failed: int = 0
    #: Claimed but taken over by another run before this one got to them.
    skipped: int = 0


def _claimable(now: datetime, only=None):
    return sa.and_(
        SmsMessage.status == SmsStatus.QUEUED,
        SmsMessage.send_after <= now,
        sa.or_(SmsMessage.claimed_until.is_(None), SmsMessage.claimed_until <= now),
        sa.true() if only is None else only,
    )


def claim_due(
    now: datetime, batch: int, rate: float, only=None
) -> list[tuple[int, datetime, datetime]]:
    """Claim up to `batch` due messages (that also meet the SQL condition `only`, if given) and
    commit: (id, slot, hold) each, in sending order."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
    ids = db.session.scalars(
        sa.select(SmsMessage.id)
        .where(_claimable(now, only))
        .order_by(SmsMessage.send_after, SmsMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        db.session.commit()
        return []
    last_slot = db.session.scalar(
        sa.select(sa.func.max(SmsMessage.send_after)).where(
            SmsMessage.status == SmsStatus.QUEUED, SmsMessage.claimed_until > now
        )
    )
    start = now if last_slot is None else max(now, last_slot + timedelta(seconds=1 / rate))
    slots = rules.pacing_slots(start, len(ids), rate)
    hold = slots[-1] + MESSAGE_HOLD
    db.session.execute(
        sa.update(SmsMessage),
        [
            {"id": message_id, "send_after": slot, "claimed_until": hold}
            for message_id, slot in zip(ids, slots, strict=True)
        ],
    )
    db.session.commit()
    return [(message_id, slot, hold) for message_id, slot in zip(ids, slots, strict=True)]


def _take(message_id: int, hold: datetime, now: datetime) -> SmsMessage | None:
    """Count an attempt on a message this run still holds and renew the hold; commit.

    Returns a detached copy to send (no open transaction while the provider answers), or None
    when another run took the message over.
    """
    renewed = now + MESSAGE_HOLD
    taken = db.session.execute(
        sa.update(SmsMessage)
        .where(
            SmsMessage.id == message_id,
            SmsMessage.status == SmsStatus.QUEUED,
            SmsMessage.claimed_until == hold,
        )
        .values(attempts=SmsMessage.attempts + 1, claimed_until=renewed)
        .returning(
            SmsMessage.user_id,
            SmsMessage.event_id,
            SmsMessage.mobile,
            SmsMessage.kind,
            SmsMessage.params,
            SmsMessage.body,
            SmsMessage.attempts,
        )
    ).one_or_none()
    db.session.commit()
    if taken is None:
        return None
    outgoing = SmsMessage(
        id=message_id,
        user_id=taken.user_id,
        event_id=taken.event_id,
        mobile=taken.mobile,
        kind=taken.kind,
        params=dict(taken.params or {}),
        body=taken.body,
        attempts=taken.attempts,
        claimed_until=renewed,
    )
    return outgoing


def _record(outgoing: SmsMessage, values: dict) -> None:
    """Write a send's outcome to the row this run holds, and commit."""
    db.session.execute(
        sa.update(SmsMessage)
        .where(SmsMessage.id == outgoing.id, SmsMessage.claimed_until == outgoing.claimed_until)
        .values(claimed_until=None, **values)
    )
    db.session.commit()


def _sent_values(outgoing: SmsMessage, reference: str | None, now: datetime, delivers: bool):
    values = {
        "status": SmsStatus.SENT,
        "sent_at": now,
        "provider_reference": reference,
        "last_error": None,
    }
    if delivers and outgoing.kind == SmsKind.CODE:
        # Once the phone has it, nobody needs the code again: not admins, not a database dump.
        code = str(outgoing.params.get("code", ""))
        values["params"] = {**outgoing.params, "code": "*" * len(code)}
        values["body"] = rules.masked_code(outgoing.body, code)
    return values


def _refused_values(outgoing: SmsMessage, refusal: SmsRefused, now: datetime) -> dict:
    error = f"{refusal.code}: {refusal.message}"[:300]
    if refusal.retryable and outgoing.attempts < rules.MAX_ATTEMPTS:
        return {
            "status": SmsStatus.QUEUED,
            "send_after": now + rules.retry_delay(outgoing.attempts),
            "last_error": error,
        }
    return {"status": SmsStatus.FAILED, "last_error": error}


def _release(claimed: list[tuple[int, datetime, datetime]], now: datetime) -> None:
    """Give claimed messages back to the queue, unsent and due at once; commit."""
    for message_id, _slot, hold in claimed:
        db.session.execute(
            sa.update(SmsMessage)
            .where(SmsMessage.id == message_id, SmsMessage.claimed_until == hold)
            .values(claimed_until=None, send_after=now)
        )
    db.session.commit()


def _still_current(outgoing: SmsMessage) -> bool:
    """Is a text about an event still true now (`rules.still_current`)? One read; commits."""
    if outgoing.event_id is None:
        return True
    # Events sit above this package: imported here, where a text is about to leave.
    from eventsite.events.notices import text_facts

    facts = text_facts(outgoing.user_id, outgoing.event_id)
    db.session.commit()
    if facts is None:
        return False
    return rules.still_current(SmsKind(outgoing.kind), queued_params=outgoing.params, **facts)


def _send_one(message_id: int, hold: datetime, gateway, clock, tally: SmsTally) -> None:
    """Take one claimed message, send it through `gateway`, record the outcome in `tally`."""
    outgoing = _take(message_id, hold, clock())
    if outgoing is None:
        tally.skipped += 1
        return
    if not _still_current(outgoing):
        _record(outgoing, {"status": SmsStatus.WITHDRAWN, "last_error": None})
        tally.withdrawn += 1
        return
    try:
        reference = gateway.send(outgoing)
    except SmsRefused as refusal:
        values = _refused_values(outgoing, refusal, clock())
        log.warning("SMS %s refused by %s: %s", message_id, gateway.name, refusal)
    except Exception as error:  # an SDK fault is a passing one: retried, never lost
        log.exception("SMS %s: %s failed", message_id, gateway.name)
        refusal = SmsRefused(error.__class__.__name__, str(error), retryable=True)
        values = _refused_values(outgoing, refusal, clock())
    else:
        values = _sent_values(outgoing, reference, clock(), gateway.delivers)
    _record(outgoing, values)
    if values["status"] == SmsStatus.SENT:
        tally.sent += 1
    elif values["status"] == SmsStatus.QUEUED:
        tally.retried += 1
    else:
        tally.failed += 1


def deliver_sms(
    now: datetime | None = None,
    *,
    gateway: SmsGateway | None = None,
    batch: int | None = None,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
    only=None,
) -> SmsTally:
    """Send the due SMS queue through the configured gateway at SMS_RATE_PER_SECOND (needs app
    context; commits). `clock` and `sleep` pace the sends; tests pass their own. `only`: an SQL
    condition a message must also meet to leave in this run (the outbox hold's)."""
    now = now or clock()
    app = current_app._get_current_object()
    gateway = gateway or gateway_for(app)
    rate = app.config["SMS_RATE_PER_SECOND"]
    batch = batch or max(1, math.ceil(rate * CLAIM_SECONDS))
    tally = SmsTally()
    step = timedelta(seconds=1 / rate)
    started = clock()
    previous: datetime | None = None  # when this run last sent
    moment = now
    # Small claims, one after another until the run has filled its interval: a slow run then
    # leaves little unsent time in the slot order, and another run gets its share at once.
    while (clock() + step - started).total_seconds() <= INTERVAL_SECONDS:
        claimed = claim_due(moment, batch, rate, only)
        if not claimed:
            break
        for index, (message_id, slot, hold) in enumerate(claimed):
            # Behind the slot itself, not just the last send: a run a little slower than the
            # rate would otherwise drift into the slots other runs hold.
            if (clock() - slot).total_seconds() > LATE_SECONDS:
                _release(claimed[index:], clock())
                break
            wait = (max(slot, previous + step) if previous else slot) - clock()
            if wait.total_seconds() > 0:
                sleep(wait.total_seconds())
            previous = clock()
            _send_one(message_id, hold, gateway, clock, tally)
        moment = clock()
    return tally
