"""The member's own registration answers: shown, and changed until registration closes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.core.db import retry_once
from eventsite.core.forms import SiteForm
from eventsite.core.permissions import login_required
from eventsite.core.time import utcnow
from eventsite.events import service as events
from eventsite.events.models import Event
from eventsite.events.permissions import can_view
from eventsite.extensions import db
from eventsite.questions import answers

bp = Blueprint("answers", __name__)


def _mine(event_id: int):
    event = db.session.get(Event, event_id)
    if event is None or not can_view(current_user, event):
        abort(404)
    registration = events.find_registration(event.id, current_user.id)
    if registration is None or not registration.is_active:
        abort(404)
    return event, registration


def _render(event, registration, asked, form, status: int = 200):
    now = utcnow()
    editable = answers.may_edit(event, registration, now)
    cells = (
        answers.answer_cells(asked.questions, [registration.id], in_full=False).get(
            registration.id, {}
        )
        if not editable
        else {}
    )
    return render_template(
        "questions/my_answers.html",
        event=event,
        asked=asked,
        form=form,
        editable=editable,
        cells=cells,
    ), status


@bp.get("/events/<int:event_id>/my-answers")
@login_required
def my_answers(event_id: int):
    """The member's answers to the event's registration questions: a form while registration
    is open, read-only after."""
    event, registration = _mine(event_id)
    asked = answers.on_form(event, current_user, registration=registration)
    if not asked.questions:
        abort(404)
    return _render(event, registration, asked, SiteForm())


@bp.post("/events/<int:event_id>/my-answers")
@login_required
def edit_my_answers(event_id: int):
    """Change the member's answers, validated as at registration; stock decided under the
    event's lock, tried once more when that lock is held too long."""
    return retry_once(lambda: _edit(event_id))


def _edit(event_id: int):
    event, registration = _mine(event_id)
    form = SiteForm()
    asked = answers.on_form(event, current_user, request.form, registration=registration)
    if not asked.questions:
        abort(404)
    if not form.validate() or not asked.ok:
        db.session.rollback()
        return _render(event, registration, asked, form, 400)
    try:
        answers.edit_answers(event, registration, asked)
    except events.RegistrationError as exc:
        db.session.rollback()
        if not asked.shows(exc):
            form.form_errors.append(exc.message)
        event, registration = _mine(event_id)
        return _render(event, registration, asked, form, 400)
    db.session.commit()
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("answers.my_answers", event_id=event_id), 303)


@bp.app_context_processor
def answers_in_pages() -> dict:
    """For My events: `events_asking(registrations)`, the event ids whose registration answers
    the member may open (one statement)."""
    return {"events_asking": answers.events_asking}
