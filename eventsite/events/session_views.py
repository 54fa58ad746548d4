"""Sessions (场次) pages: the organizer's session list (add, edit, remove, several per member),
the member's move to another session and the organizer's move of a registration."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.core.db import retry_once
from eventsite.core.inputs import storable_int
from eventsite.core.permissions import login_required
from eventsite.core.time import utcnow
from eventsite.events import service, sessions
from eventsite.events.forms import add_error
from eventsite.events.models import SESSION_KINDS, Event, EventSession, Registration
from eventsite.events.permissions import can_view, event_permission
from eventsite.events.session_forms import MoveSessionForm, MultipleSessionsForm, SessionForm
from eventsite.extensions import db

bp = Blueprint("sessions", __name__)


def _with_sessions(event: Event) -> Event:
    if event.kind not in SESSION_KINDS:
        abort(404)
    return event


def _render_list(event, form=None, multiple_form=None, remove_error=None, status=200):
    return render_template(
        "events/sessions.html",
        event=event,
        figures=sessions.session_figures(event),
        form=form or SessionForm(formdata=None),
        multiple_form=multiple_form
        or MultipleSessionsForm(formdata=None, data={"multiple_sessions": event.multiple_sessions}),
        remove_error=remove_error,
        session_time=sessions.session_time,
    ), status


def _promoted_flash(promoted) -> None:
    if promoted:
        flash(
            _(
                "%(n)d members moved from the waitlist into the new places and were told.",
                n=len(promoted),
            ),
            "info",
        )


@bp.route("/events/<int:event_id>/sessions", methods=["GET", "POST"])
@event_permission("manage")
def session_list(event: Event):
    """The event's sessions with places taken and left; add a session."""
    _with_sessions(event)
    if request.method == "GET":
        return _render_list(event)
    form = SessionForm()
    if not form.validate():
        return _render_list(event, form=form, status=400)
    try:
        sessions.save_session(event, current_user, **form.session_fields())
    except service.RegistrationError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_list(db.session.get(Event, event.id), form=form, status=400)
    db.session.commit()
    flash(_("Session added."), "success")
    return redirect(url_for("sessions.session_list", event_id=event.id), 303)


def _event_session(event: Event, session_id: int) -> EventSession:
    session = db.session.get(EventSession, session_id)
    if session is None or session.event_id != event.id:
        abort(404)
    return session


@bp.route("/events/<int:event_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@event_permission("manage")
def edit_session(event: Event, session_id: int):
    """Change a session's name, time or places; more places serve its waitlist at once."""
    _with_sessions(event)
    session = _event_session(event, session_id)
    form = SessionForm.for_session(session) if request.method == "GET" else SessionForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                _session, promoted = sessions.save_session(
                    event, current_user, session_id=session.id, **form.session_fields()
                )
            except service.RegistrationError as exc:
                db.session.rollback()
                add_error(form, exc.message, exc.field)
                event = db.session.get(Event, event.id)
                session = db.session.get(EventSession, session_id)
            else:
                db.session.commit()
                flash(_("Changes saved."), "success")
                _promoted_flash(promoted)
                return redirect(url_for("sessions.session_list", event_id=event.id), 303)
        status = 400
    return render_template(
        "events/session_form.html", event=event, session=session, form=form
    ), status


@bp.post("/events/<int:event_id>/sessions/<int:session_id>/remove")
@event_permission("manage")
def remove_session(event: Event, session_id: int):
    """Remove a session nobody holds or waits for."""
    _with_sessions(event)
    session = _event_session(event, session_id)
    try:
        sessions.remove_session(event, current_user, session.id)
    except service.RegistrationError as exc:
        db.session.rollback()
        return _render_list(db.session.get(Event, event.id), remove_error=exc.message, status=400)
    db.session.commit()
    flash(_("Session removed."), "success")
    return redirect(url_for("sessions.session_list", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/sessions/multiple")
@event_permission("manage")
def multiple_sessions(event: Event):
    """Let members register for several sessions, or for one."""
    _with_sessions(event)
    form = MultipleSessionsForm()
    if not form.validate():
        return _render_list(event, multiple_form=form, status=400)
    try:
        sessions.set_multiple_sessions(event, current_user, bool(form.multiple_sessions.data))
    except service.RegistrationError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_list(db.session.get(Event, event.id), multiple_form=form, status=400)
    db.session.commit()
    flash(_("Changes saved."), "success")
    return redirect(url_for("sessions.session_list", event_id=event.id), 303)


def _move(form: MoveSessionForm, registration: Registration, *, by_organizer: bool = False):
    """Move `registration` to the session the valid `form` names and commit; a refusal goes
    beside the form's field, nothing changed. Returns (moved, the members promoted)."""
    if not form.validate():
        db.session.rollback()
        return False, []
    try:
        promoted = sessions.move_to_session(
            registration, form.session_id.data, actor=current_user, by_organizer=by_organizer
        )
    except service.RegistrationError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return False, []
    db.session.commit()
    return True, promoted


@bp.post("/events/<int:event_id>/move-session")
@login_required
def move_mine(event_id: int):
    """The member moves their registration to another session, keeping their place until the
    new one is theirs; tried once more, like registering, when the event's lock is held long."""
    return retry_once(lambda: _move_mine(event_id))


def _move_mine(event_id: int):
    event = db.session.get(Event, event_id)
    if event is None or not can_view(current_user, event) or event.kind not in SESSION_KINDS:
        abort(404)
    # Where a member holds several sessions, the form names the one to move.
    registration = service.find_registration(
        event.id, current_user.id, request.form.get("from_session_id", type=storable_int)
    )
    if registration is None or not registration.is_active:
        abort(404)
    now = utcnow()
    form = MoveSessionForm(
        choices=sessions.move_choices(sessions.session_figures(event), registration, now)
    )
    moved, _promoted = _move(form, registration)
    if moved:
        flash(_("Your registration moved to the new session."), "success")
        return redirect(url_for("events.detail", event_id=event_id), 303)
    flash(" ".join(str(e) for e in [*form.session_id.errors, *form.form_errors]), "error")
    return redirect(url_for("events.detail", event_id=event_id, _anchor="my-registration"), 303)


@bp.route(
    "/events/<int:event_id>/registrations/<int:registration_id>/session", methods=["GET", "POST"]
)
@event_permission("manage")
def move_registration(event: Event, registration_id: int):
    """The organizer moves one registration to another session (with room, or refused)."""
    _with_sessions(event)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    figures = sessions.session_figures(event)
    form = MoveSessionForm(
        formdata=request.form if request.method == "POST" else None,
        choices=sessions.move_choices(figures, registration),
    )
    status = 200
    if request.method == "POST":
        moved, promoted = _move(form, registration, by_organizer=True)
        if moved:
            flash(_("Registration moved to the new session."), "success")
            _promoted_flash(promoted)
            return redirect(url_for("roster.roster", event_id=event.id), 303)
        event = db.session.get(Event, event.id)
        registration = db.session.get(Registration, registration_id)
        status = 400
    return render_template(
        "events/session_move.html",
        event=event,
        registration=registration,
        form=form,
        session_time=sessions.session_time,
    ), status
