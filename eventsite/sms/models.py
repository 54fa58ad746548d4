"""The SMS queue: one row per text message to one mobile number."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.extensions import db


class SmsStatus(enum.StrEnum):
    #: Waiting for `send_after` (quiet hours, a retry's back-off) or for the next sending run.
    QUEUED = "queued"
    #: The provider accepted it.
    SENT = "sent"
    #: Refused for good (a blocked number, a bad template) or out of attempts; see last_error.
    FAILED = "failed"
    #: Not sent because it stopped being true while it waited (a held offer already answered,
    #: a registration cancelled, a change superseded, an account deleted): `sms.rules.still_current`.
    WITHDRAWN = "withdrawn"
    #: Never sent: held after a restore and discarded by an operator (`flask outbox release
    #: --discard`), as it may repeat a text the lost hours sent; last_error says so.
    DISCARDED = "discarded"


class SmsMessage(db.Model):
    """A text message to `mobile`, queued in the transaction that caused it.

    `body` is the text as the member reads it (in their language, signature included): what the
    admins' SMS outbox shows and what the segment count is taken of. Providers are sent the
    kind's template id and `params`, never the body: Chinese carriers deliver only pre-approved
    templates.
    """

    __tablename__ = "sms_message"
    __table_args__ = (sa.Index("ix_sms_message_due", "status", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The member it is for; empty for a code sent to a number no account has (yet).
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: The event it is about, if any: what decides at sending time whether it is still true.
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    mobile: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    body: Mapped[str] = mapped_column(sa.Text)
    segments: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(12), default=SmsStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: Not sent before this moment: the end of quiet hours, or a retry's back-off.
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: A sending run holds the row until this moment; another run skips it meanwhile.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The provider's id of the message (Tencent SerialNo, Aliyun BizId).
    provider_reference: Mapped[str | None] = mapped_column(sa.String(100))
    #: The provider's error code and message of the last refusal.
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
