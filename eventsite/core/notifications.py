"""Notifications: an inbox row for the member and, when they gave an email, an outbox mail.

Both are written in the caller's transaction, so nothing is announced for work that rolls back.
Mail leaves by SMTP only after the commit, from `deliver_outbox` (a scheduler job).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from eventsite.core.models import Notification, OutboundEmail
from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.sms import rules as sms_rules
from eventsite.sms.models import SmsMessage
from eventsite.sms.rules import SmsKind
from eventsite.sms.service import sms_message

log = logging.getLogger(__name__)

#: A mail the server refused this many times stays in the outbox for an admin to read.
MAX_ATTEMPTS = 5


def notify(user, render, **options) -> Notification:
    """Queue a message for `user` in the caller's transaction: `compose` it (its options: the
    link, mail or not, the SMS kind and its parameters) and `post` it."""
    return post(compose(user, render, **options))


@dataclass(frozen=True)
class Notice:
    """A message rendered for one member and not yet written: its inbox row, and the mail and
    the text message it goes out as, when it does."""

    note: Notification
    mail: OutboundEmail | None = None
    text: SmsMessage | None = None


def compose(
    user,
    render,
    *,
    link: str | None = None,
    mail: bool = True,
    sms: SmsKind | None = None,
    sms_params: dict | None = None,
    sms_event=None,
) -> Notice:
    """The message `notify` writes, rendered now and written by `post`: a caller that holds a
    lock renders before taking it. `render()` returns (subject, body) in the active locale.

    `render` is called under the recipient's own language, so a member who chose English reads
    English even when an organizer working in Chinese triggered the message. `mail=False` keeps
    it to the inbox: for a notice whose mails, read side by side in the admins' outbox, would
    tell who is tied to whom.

    `sms`: the notice also goes by text message of that kind with the template's `sms_params`,
    when the member has a mobile number and wants that kind by SMS (`sms.rules.member_wants`);
    `sms_event` is the event it is about (a text that stopped being true is withdrawn)."""
    locale = getattr(user, "locale", None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject, body = render()
        subject, body = str(subject), str(body)
    note = Notification(user_id=user.id, subject=subject, body=body, link=link)
    outbound = None
    if mail and getattr(user, "email", None):
        if link:
            body = f"{body}\n\n{current_app.config['PUBLIC_URL'].rstrip('/')}{link}"
        outbound = OutboundEmail(to_address=user.email, subject=subject, body=body)
    text = None
    choices = getattr(user, "sms_choices", None)
    if sms is not None and getattr(user, "mobile", None) and sms_rules.member_wants(sms, choices):
        text = sms_message(
            user.mobile, sms, sms_params or {}, user=user, event=sms_event, locale=locale
        )
    return Notice(note, outbound, text)


def post(notice: Notice) -> Notification:
    """Write a composed message in the caller's transaction."""
    db.session.add_all([row for row in (notice.note, notice.mail, notice.text) if row is not None])
    return notice.note


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def deliver_outbox(limit: int = 100) -> int:
    """Send queued mail by SMTP when MAIL_SERVER is set; returns how many were sent.

    Without MAIL_SERVER the mail stays in the outbox for admins to read. Each mail is claimed
    (row lock, skipping rows another scheduler holds; on SQLite the write transaction) and marked
    sent in its own commit right after the server accepted it, so two schedulers never send the
    same mail. A mail the server refuses counts an attempt (at most 5); an unreachable server
    counts none, so an outage does not use up the attempts.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    unsent = sa.and_(
        OutboundEmail.sent_at.is_(None),
        OutboundEmail.discarded_at.is_(None),
        OutboundEmail.attempts < MAX_ATTEMPTS,
    )
    pending = db.session.scalars(
        sa.select(OutboundEmail.id).where(unsent).order_by(OutboundEmail.id).limit(limit)
    ).all()
    db.session.commit()
    if not pending:
        return 0
    try:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP connection failed: %s", exc.__class__.__name__)
        return 0
    sent = 0
    try:
        for mail_id in pending:
            mail = db.session.scalars(
                sa.select(OutboundEmail)
                .where(OutboundEmail.id == mail_id, unsent)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).one_or_none()
            if mail is None:  # sent or held by another scheduler meanwhile
                db.session.rollback()
                continue
            message = EmailMessage()
            message["From"] = config["MAIL_FROM"]
            message["To"] = mail.to_address
            message["Subject"] = mail.subject
            message.set_content(mail.body)
            mail.attempts += 1
            try:
                smtp.send_message(message)
            except (smtplib.SMTPException, ValueError) as exc:  # this mail refused
                mail.last_error = exc.__class__.__name__
                if isinstance(exc, smtplib.SMTPServerDisconnected):
                    db.session.commit()
                    log.warning("SMTP connection lost: %s", exc.__class__.__name__)
                    break
            except OSError as exc:  # the connection broke (SMTPException is an OSError too)
                mail.last_error = exc.__class__.__name__
                db.session.commit()
                log.warning("SMTP connection lost: %s", exc.__class__.__name__)
                break
            else:
                mail.sent_at = utcnow()
                mail.last_error = None
                sent += 1
            db.session.commit()
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return sent
