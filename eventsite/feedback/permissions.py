"""Who may open an event's feedback pages.

attendee_required        a member confirmed and checked in at the event: the survey is theirs.
                         Organizers and admins who did not attend are not let in.
event_permission(manage) the results: the event's managers (`events.permissions`).
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from eventsite.core.permissions import declare
from eventsite.events.models import Event
from eventsite.events.permissions import can_view
from eventsite.extensions import db, login_manager
from eventsite.feedback import service

#: Declared permission name (tests/test_permissions.py knows what each role gets).
ATTENDEE = "feedback:attendee"


def attendee_required(view):
    """The survey of one event: its checked-in attendees only (404 for anyone else)."""

    @wraps(view)
    def wrapped(*args, event_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = db.session.get(Event, event_id)
        if event is None or not can_view(current_user, event):
            abort(404)
        if not service.is_attendee(event, current_user.id):
            abort(404)
        return view(*args, event=event, **kwargs)

    return declare(wrapped, ATTENDEE)
