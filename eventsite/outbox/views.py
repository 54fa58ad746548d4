"""The admins' outbox hold page: what a restore held back, and the two ways to release it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventsite.core.permissions import platform_admin_required
from eventsite.extensions import db
from eventsite.outbox import rules, service
from eventsite.sms.outbox import KIND_TITLES

bp = Blueprint("outbox", __name__)

#: The hold's reasons as the page words them.
REASON_TITLES = {
    rules.RESTORED: _l("The database was restored from a backup or copied."),
    rules.HELD_BY_HAND: _l("An operator held them by hand."),
}

#: The release form's choices: let the held messages go, or discard them.
RELEASE_ACTIONS = {"send": False, "discard": True}


@bp.get("/admin/outbox/hold")
@platform_admin_required
def hold_page():
    """Whether outgoing mail and SMS are held, since when and why, and what is held."""
    current = service.current_hold()
    held = current is not None and current.is_held
    return render_template(
        "outbox/hold.html",
        hold=current,
        held=held,
        messages=service.held_messages(current.held_since) if held else None,
        kind_titles=KIND_TITLES,
        reason_titles=REASON_TITLES,
        released_by=service.released_by_title(current.released_by) if current else None,
    )


@bp.post("/admin/outbox/hold/release")
@platform_admin_required
def release():
    """End the hold: send what it held, or discard it, never to be sent."""
    action = request.form.get("action", "")
    if action not in RELEASE_ACTIONS:
        flash(_("Choose whether to send or to discard the held messages."), "error")
        return redirect(url_for("outbox.hold_page"))
    outcome = service.release(current_user, discard=RELEASE_ACTIONS[action])
    if outcome is None:
        db.session.rollback()
        flash(_("Nothing is held: mail and text messages are being sent."), "info")
        return redirect(url_for("outbox.hold_page"))
    db.session.commit()
    if outcome.discarded:
        flash(
            _(
                "The hold is released: %(mails)s mails and %(texts)s text messages were discarded and will never be sent.",
                mails=outcome.mails,
                texts=outcome.texts,
            ),
            "success",
        )
    else:
        flash(
            _(
                "The hold is released: %(mails)s mails and %(texts)s text messages will be sent within a minute.",
                mails=outcome.mails,
                texts=outcome.texts,
            ),
            "success",
        )
    return redirect(url_for("outbox.hold_page"))
