"""The admins' SMS outbox page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request

from eventsite.core.pagination import page_arg
from eventsite.core.permissions import platform_admin_required
from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.outbox.service import held_since
from eventsite.sms import outbox, rules
from eventsite.sms.models import SmsStatus

bp = Blueprint("sms", __name__)

#: Messages per outbox page.
OUTBOX_PAGE_SIZE = 50


@bp.get("/admin/sms")
@platform_admin_required
def admin_outbox():
    """Every text message, newest first, with its status; filtered by status, a page at a time."""
    status = request.args.get("status", "")
    if status not in {s.value for s in SmsStatus}:
        status = ""
    config = current_app.config
    now = utcnow()
    messages = db.paginate(
        outbox.outbox_statement(status or None),
        page=page_arg(),
        per_page=OUTBOX_PAGE_SIZE,
        error_out=False,
    )
    sent_messages, sent_segments = outbox.sent_today(now, ZoneInfo(config["TIMEZONE"]))
    return render_template(
        "sms/admin_outbox.html",
        messages=messages,
        status=status,
        now=now,
        backend=config["SMS_BACKEND"],
        provider=outbox.PROVIDER_TITLES.get(config["SMS_BACKEND"]),
        sent_messages=sent_messages,
        sent_segments=sent_segments,
        hide_codes=config.get("ENV_NAME") == "production",
        kind_titles=outbox.KIND_TITLES,
        status_titles=outbox.STATUS_TITLES,
        shown_text=outbox.shown_text,
        masked_mobile=rules.masked_mobile,
        outbox_held_since=held_since(),
    )
