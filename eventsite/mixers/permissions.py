"""Who may open a mixer's exchange pages.

mixer_permission("manage")  the event's own manage rule (organizers and admins), mixers only
attendee_required           a member who checked in at this mixer: their own exchange pages.
                            Organizers and admins are not let in: the pages show one member's
                            own choices, which nobody else may see.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from eventsite.core.permissions import declare
from eventsite.events.models import Event, EventKind, RegistrationStatus
from eventsite.events.permissions import can_view, event_permission
from eventsite.extensions import db, login_manager
from eventsite.mixers import service

#: Declared permission name (tests/test_permissions.py knows what each role gets).
ATTENDEE = "mixer:attendee"


def mixer_permission(action: str):
    """`event_permission(action)` for mixers only (404 for other kinds)."""

    def decorator(view):
        @event_permission(action)
        @wraps(view)
        def wrapped(*args, event: Event, **kwargs):
            if event.kind != EventKind.MIXER:
                abort(404)
            return view(*args, event=event, **kwargs)

        return wrapped

    return decorator


def is_attendee(user, event: Event) -> bool:
    """Signed in, confirmed and checked in at this mixer."""
    if not getattr(user, "is_authenticated", False):
        return False
    registration = service.registration_of(event, user.id)
    return (
        registration is not None
        and registration.status == RegistrationStatus.CONFIRMED
        and registration.checked_in_at is not None
    )


def attendee_required(view):
    """The member's own exchange pages at one mixer: checked-in attendees only."""

    @wraps(view)
    def wrapped(*args, event_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = db.session.get(Event, event_id)
        if event is None or event.kind != EventKind.MIXER or not can_view(current_user, event):
            abort(404)
        if not is_attendee(current_user, event):
            abort(403)
        return view(*args, event=event, **kwargs)

    return declare(wrapped, ATTENDEE)
