"""The outbox hold: recording the database's identity, entering the hold, releasing it.

Functions flush, never commit: the job, command or view that called them commits once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from eventsite.core import audit
from eventsite.core.models import OutboundEmail
from eventsite.core.notifications import MAX_ATTEMPTS
from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.outbox import rules
from eventsite.outbox.models import HOLD_ROW_ID, OutboxHold
from eventsite.sms.models import SmsMessage, SmsStatus
from eventsite.sms.rules import ALWAYS_SENT

log = logging.getLogger(__name__)

#: The audit log's words for a hold, by its reason.
HOLD_DETAILS = {
    rules.RESTORED: _l(
        "Outgoing mail and text messages held: the database was restored from a backup or copied"
    ),
    rules.HELD_BY_HAND: _l("Outgoing mail and text messages held by an operator"),
}

#: The command line, as the hold's page and the audit log name it.
COMMAND_LINE_TITLE = _l("the command line")

#: Held messages the admins' page and `flask outbox status` list one by one, newest last.
LISTED = 200


def live_identity() -> str:
    """The identity of the database the session is connected to (one query)."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return rules.SQLITE_IDENTITY
    row = db.session.execute(
        sa.text(
            "SELECT (SELECT oid FROM pg_database WHERE datname = current_database()),"
            " 'outbox_hold'::regclass::oid,"
            " CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE')"
            " THEN (SELECT system_identifier FROM pg_control_system())::text END"
        )
    ).one()
    return rules.postgres_identity(row[2], int(row[0]), int(row[1]))


def current_hold() -> OutboxHold | None:
    """The hold's row, or None before the first job run recorded it."""
    return db.session.get(OutboxHold, HOLD_ROW_ID, populate_existing=True)


def held_since() -> datetime | None:
    """When the hold that lasts now began, or None when outgoing messages may leave (one query)."""
    row = db.session.execute(
        sa.select(OutboxHold.held_since, OutboxHold.released_at).where(OutboxHold.id == HOLD_ROW_ID)
    ).one_or_none()
    if row is None or not rules.is_held(row.held_since, row.released_at):
        return None
    return row.held_since


def _locked_hold() -> OutboxHold | None:
    return db.session.scalars(
        sa.select(OutboxHold)
        .where(OutboxHold.id == HOLD_ROW_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def _begin(hold: OutboxHold, reason: str, now: datetime) -> None:
    hold.held_since = now
    hold.hold_reason = reason
    hold.released_at = None
    hold.released_by = None
    audit.record("outbox.hold", detail=HOLD_DETAILS[reason])


def _record_first(identity: str, now: datetime) -> None:
    """Insert the row, unless another job inserted it a moment ago (same identity, then)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(OutboxHold)
        .values(id=HOLD_ROW_ID, database_identity=identity, recorded_at=now)
        .on_conflict_do_nothing()
    )


def check_identity(now: datetime | None = None) -> bool:
    """Record the live identity the first time; hold outgoing messages when it changed.

    Returns True when this call entered the hold. A hold already lasting is left as it began.
    """
    now = now or utcnow()
    live = live_identity()
    recorded = db.session.scalar(
        sa.select(OutboxHold.database_identity).where(OutboxHold.id == HOLD_ROW_ID)
    )
    if recorded == live:
        return False
    hold = _locked_hold()  # another job may be recording it at this moment
    if hold is None:
        _record_first(live, now)
        return False
    if not rules.identity_changed(hold.database_identity, live):
        return False
    previous = hold.database_identity
    hold.database_identity = live
    hold.recorded_at = now
    entered = not hold.is_held
    if entered:
        _begin(hold, rules.RESTORED, now)
    db.session.flush()
    log.warning(
        "This database is a restored or copied one (recorded as %s, now %s): outgoing mail "
        "and SMS are held until an operator runs `flask outbox release` or uses the admins' "
        "outbox hold page",
        previous,
        live,
    )
    return entered


def enter_hold(reason: str = rules.HELD_BY_HAND, now: datetime | None = None) -> bool:
    """Hold outgoing messages by hand (after a file-level restore); False if already held."""
    now = now or utcnow()
    hold = _locked_hold()
    if hold is None:
        _record_first(live_identity(), now)
        hold = _locked_hold()
    if hold.is_held:
        return False
    _begin(hold, reason, now)
    db.session.flush()
    return True


def _held_mail():
    return sa.and_(
        OutboundEmail.sent_at.is_(None),
        OutboundEmail.discarded_at.is_(None),
        OutboundEmail.attempts < MAX_ATTEMPTS,
    )


def sendable_sms(since: datetime | None):
    """SQL: a text `rules.sms_sendable` lets through the hold that began `since` (None: any)."""
    if since is None:
        return sa.true()
    return sa.and_(SmsMessage.kind.in_(sorted(ALWAYS_SENT)), SmsMessage.created_at >= since)


def _held_sms(since: datetime):
    return sa.and_(SmsMessage.status == SmsStatus.QUEUED, sa.not_(sendable_sms(since)))


@dataclass
class HeldMail:
    id: int
    subject: str
    queued_at: datetime


@dataclass
class HeldSms:
    id: int
    kind: str
    queued_at: datetime


@dataclass
class HeldMessages:
    """What a hold keeps back: counts, oldest and newest queued times, the newest LISTED rows."""

    mail_count: int = 0
    mail_oldest: datetime | None = None
    mail_newest: datetime | None = None
    sms_count: int = 0
    sms_oldest: datetime | None = None
    sms_newest: datetime | None = None
    mails: list[HeldMail] = field(default_factory=list)
    texts: list[HeldSms] = field(default_factory=list)


def held_messages(since: datetime) -> HeldMessages:
    """The mail and SMS the hold that began `since` keeps back (four queries)."""
    held = HeldMessages()
    held.mail_count, held.mail_oldest, held.mail_newest = db.session.execute(
        sa.select(
            sa.func.count(OutboundEmail.id),
            sa.func.min(OutboundEmail.created_at),
            sa.func.max(OutboundEmail.created_at),
        ).where(_held_mail())
    ).one()
    held.sms_count, held.sms_oldest, held.sms_newest = db.session.execute(
        sa.select(
            sa.func.count(SmsMessage.id),
            sa.func.min(SmsMessage.created_at),
            sa.func.max(SmsMessage.created_at),
        ).where(_held_sms(since))
    ).one()
    held.mails = [
        HeldMail(*row)
        for row in db.session.execute(
            sa.select(OutboundEmail.id, OutboundEmail.subject, OutboundEmail.created_at)
            .where(_held_mail())
            .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc())
            .limit(LISTED)
        )
    ][::-1]
    held.texts = [
        HeldSms(*row)
        for row in db.session.execute(
            sa.select(SmsMessage.id, SmsMessage.kind, SmsMessage.created_at)
            .where(_held_sms(since))
            .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
            .limit(LISTED)
        )
    ][::-1]
    return held


@dataclass(frozen=True)
class Release:
    """What releasing a hold did: messages let go, or discarded."""

    mails: int
    texts: int
    discarded: bool


def release(actor=None, *, discard: bool, now: datetime | None = None) -> Release | None:
    """End the hold for `actor` (an admin; None: the command line): let what it held go
    (`discard=False`) or mark every held mail and text discarded, never to be sent; audited.
    None when no hold lasts."""
    now = now or utcnow()
    hold = _locked_hold()
    if hold is None or not hold.is_held:
        return None
    since = hold.held_since
    if discard:
        mails = db.session.execute(
            sa.update(OutboundEmail)
            .where(_held_mail(), OutboundEmail.created_at <= now)
            .values(discarded_at=now, last_error=rules.DISCARDED)
            .execution_options(synchronize_session=False)
        ).rowcount
        texts = db.session.execute(
            sa.update(SmsMessage)
            .where(_held_sms(since), SmsMessage.created_at <= now)
            .values(status=SmsStatus.DISCARDED, claimed_until=None, last_error=rules.DISCARDED)
            .execution_options(synchronize_session=False)
        ).rowcount
    else:
        mails = db.session.scalar(sa.select(sa.func.count(OutboundEmail.id)).where(_held_mail()))
        texts = db.session.scalar(sa.select(sa.func.count(SmsMessage.id)).where(_held_sms(since)))
    hold.released_at = now
    hold.released_by = actor.name[:100] if actor is not None else rules.COMMAND_LINE
    outcome = Release(mails=mails, texts=texts, discarded=discard)
    audit.record(
        "outbox.release",
        actor=actor,
        detail=_release_detail(outcome, released_by_title(hold.released_by)),
    )
    db.session.flush()
    return outcome


def released_by_title(released_by: str | None) -> str | LazyString | None:
    """Who released a hold, as pages and the audit log name them."""
    return COMMAND_LINE_TITLE if released_by == rules.COMMAND_LINE else released_by


def _release_detail(outcome: Release, by: str | LazyString) -> LazyString:
    """The audit log's words for a release: what it let go or discarded, and who."""
    if outcome.discarded:
        return _l(
            "Hold released by %(by)s: %(mails)s mails and %(texts)s text messages discarded, "
            "never sent",
            by=by,
            mails=outcome.mails,
            texts=outcome.texts,
        )
    return _l(
        "Hold released by %(by)s: %(mails)s mails and %(texts)s text messages sent",
        by=by,
        mails=outcome.mails,
        texts=outcome.texts,
    )
