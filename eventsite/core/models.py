"""Column types and mixins every feature's models share, and the cross-feature tables:
audit log, inbox notifications, mail outbox and sent-markers for scheduled notices."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from eventsite.core.time import utcnow
from eventsite.extensions import db


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back aware, on SQLite and PostgreSQL."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())


class AuditEntry(db.Model):
    """One organizer or system action on an event (or the platform, when event_id is empty)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: A short machine name such as "registration.approve"; titles live in core.audit.
    action: Mapped[str] = mapped_column(sa.String(60))
    #: Human-readable detail (who was affected, old → new); never a mixer choice.
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow(), index=True)

    actor = db.relationship("User", lazy="joined")


class Notification(db.Model):
    """An inbox message for one member."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: A site-relative link the message points to, e.g. the event page.
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboundEmail(db.Model):
    """A mail waiting to be sent by SMTP, or kept for admins to read when no SMTP is configured."""

    __tablename__ = "outbound_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The server's last refusal; for a discarded mail, why it was discarded.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    #: Set when an operator discarded it, never to be sent (`flask outbox release --discard`
    #: after a restore: it may repeat a mail the lost hours sent); kept for the record.
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SentNotice(db.Model):
    """Sent-marker: a scheduled notice of `kind` about `event_id` went to `user_id` once.

    The unique constraint is what makes scheduled jobs idempotent: a second scheduler, a restart
    or a retried tick that tries to send the same notice fails to insert the marker and rolls back.
    """

    __tablename__ = "sent_notice"
    __table_args__ = (sa.UniqueConstraint("kind", "event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
