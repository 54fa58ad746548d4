"""Notifications: an inbox row for the member and, when they gave an email, an outbox mail.

Both are written in the caller's transaction, so nothing is announced for work that rolls back.
Mail leaves by SMTP only after the commit, from `deliver_outbox` (a scheduler job).
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from eventsite.core.models import Notification, OutboundEmail
from eventsite.core.time import utcnow
from eventsite.extensions import db

log = logging.getLogger(__name__)


def notify(user, render, *, link: str | None = None) -> Notification:
    """Queue a message for `user`; `render()` returns (subject, body) in the active locale.

    `render` is called under the recipient's own language, so a member who chose English reads
    English even when an organizer working in Chinese triggered the message.
    """
    locale = getattr(user, "locale", None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject, body = render()
        subject, body = str(subject), str(body)
    note = Notification(user_id=user.id, subject=subject, body=body, link=link)
    db.session.add(note)
    if getattr(user, "email", None):
        if link:
            body = f"{body}\n\n{current_app.config['PUBLIC_URL'].rstrip('/')}{link}"
        db.session.add(OutboundEmail(to_address=user.email, subject=subject, body=body))
    return note


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )


def deliver_outbox(limit: int = 100) -> int:
    """Send queued mail by SMTP when MAIL_SERVER is set; returns how many were sent.

    Without MAIL_SERVER the mail stays in the outbox for admins to read. Each mail is marked
    sent in its own commit right after the server accepted it.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return 0
    pending = db.session.scalars(
        sa.select(OutboundEmail)
        .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < 5)
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    if not pending:
        return 0
    sent = 0
    try:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20)
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP connection failed: %s", exc.__class__.__name__)
        return 0
    with smtp:
        for mail in pending:
            message = EmailMessage()
            message["From"] = config["MAIL_FROM"]
            message["To"] = mail.to_address
            message["Subject"] = mail.subject
            message.set_content(mail.body)
            mail.attempts += 1
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                mail.last_error = exc.__class__.__name__
            else:
                mail.sent_at = utcnow()
                sent += 1
            db.session.commit()
    return sent
