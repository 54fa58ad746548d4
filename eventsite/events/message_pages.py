"""The pages of a roster message: write, preview, send. Shared by the roster's routes (an
organizer's message to the roster as filtered) and the team routes of competitions and sports
meets (a team leader's or captain's message to their team), which declare their own permission
and hand these functions the audience and the addresses of its steps.

Write → Preview (POST: nothing changes) → Send (POST, the recipients read again under the
event's lock). "Change the text" on the preview posts back to the writing step with the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventsite.core.time import format_local
from eventsite.events import message_rules
from eventsite.events import roster_messages as messages
from eventsite.events.models import RegistrationStatus
from eventsite.events.roster_forms import RosterMessageForm
from eventsite.extensions import db


@dataclass(frozen=True)
class Steps:
    """Where each step of one audience's message lives, and where the author goes after."""

    write: str
    send: str
    done: str
    #: The page the author came from (the roster as filtered, the team's page) and its name.
    back: str
    back_label: str


def _page(audience, steps: Steps, form, shown, *, step: str, notice=None, status=200):
    return (
        render_template(
            "roster/message.html",
            event=audience.event,
            team=audience.team,
            steps=steps,
            form=form,
            shown=shown,
            step=step,
            notice=notice,
            text_max=message_rules.TEXT_MAX,
            status_titles={status.value: status.title for status in RegistrationStatus},
            sent=messages.sent_messages(audience.event, audience.team, limit=10)
            if audience.team is not None
            else (),
        ),
        status,
    )


def _refused(audience, steps, form, shown, message: str, status: int = 409):
    """The writing step again, `message` beside the text."""
    form.text.errors = [*form.text.errors, message]
    return _page(audience, steps, form, shown, step="write", status=status)


def write(audience: messages.Audience, steps: Steps):
    """GET: an empty message, with the number of recipients. POST: its preview, or the writing
    step again with what is wrong beside the text (with "Change the text": as it was)."""
    if request.method == "GET":
        form = RosterMessageForm(formdata=None)
        return _page(audience, steps, form, messages.preview(audience, "", False), step="write")
    form = RosterMessageForm()
    if "edit" in request.form:
        form.previewed.data = ""
        return _page(audience, steps, form, messages.preview(audience, "", False), step="write")
    if not form.validate():
        return _page(
            audience, steps, form, messages.preview(audience, "", False), step="write", status=400
        )
    shown = messages.preview(audience, form.text.data, form.by_sms.data)
    if shown.refusal is not None:
        return _refused(audience, steps, form, shown, shown.refusal_message)
    form.previewed.data = shown.fingerprint
    return _page(audience, steps, form, shown, step="preview")


def send(audience: messages.Audience, steps: Steps):
    """Send the previewed message; a changed set of recipients shows the new preview instead."""
    form = RosterMessageForm()
    if not form.validate():
        return _page(
            audience, steps, form, messages.preview(audience, "", False), step="write", status=400
        )
    try:
        sent = messages.send(
            audience,
            form.text.data,
            form.by_sms.data,
            actor=current_user,
            previewed=form.previewed.data or "",
        )
    except messages.RecipientsChanged as changed:
        db.session.rollback()
        shown = changed.preview
        if shown.refusal is not None:
            return _refused(audience, steps, form, shown, shown.refusal_message)
        form.previewed.data = shown.fingerprint
        return _page(
            audience, steps, form, shown, step="preview", notice=changed.message, status=409
        )
    except messages.RosterMessageError as error:
        db.session.rollback()
        shown = messages.preview(audience, "", False)
        return _refused(audience, steps, form, shown, error.message)
    held = messages.texts_leave_at(sent.sent_at) if sent.sms_count else None
    db.session.commit()
    for words in _sent_words(sent, held):
        flash(words, "success")
    return redirect(steps.done, 303)


def _sent_words(sent, held) -> list[str]:
    """What the author is told after the send: how many got it, by SMS, when texts leave."""
    words = [
        ngettext(
            "Message sent to %(num)s member.", "Message sent to %(num)s members.", sent.recipients
        )
    ]
    if sent.by_sms:
        words.append(
            ngettext(
                "%(num)s of them by SMS (%(segments)s segments in all).",
                "%(num)s of them by SMS (%(segments)s segments in all).",
                sent.sms_count,
                segments=sent.sms_segments,
            )
        )
    if held:
        words.append(_("Quiet hours: the texts leave at %(time)s.", time=format_local(held)))
    return words
