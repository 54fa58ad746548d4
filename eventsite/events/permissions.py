"""Who may do what with one event, answered in one place."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from eventsite.accounts.models import Role
from eventsite.core.permissions import declare
from eventsite.events.models import Event, EventStatus
from eventsite.extensions import db, login_manager
from eventsite.organizations.permissions import holds

#: view: anyone may see a published or cancelled event; drafts only its managers.
#: manage: organizers and admins holding on the event's organization (a grant on it or above it),
#: the co-organizers on its list while they hold the organizer or admin role, platform admins.
ACTIONS = ("view", "manage")


def can_manage(user, event: Event) -> bool:
    """Platform admins manage every event; an organizer or admin of the event's organization
    (or of one above it) manages it; so does a co-organizer on its list who holds the organizer
    or admin role on some organization (a co-host from elsewhere)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    if not may_co_organize(user.roles):
        return False  # a member with neither role manages nothing (and costs no query)
    return holds(user, Role.ORGANIZER, event.organization_id) or user.id in event.organizer_ids


def may_co_organize(roles) -> bool:
    """A member on an event's organizer list manages it while holding one of these roles."""
    return Role.ORGANIZER in roles or Role.ADMIN in roles


def can_view(user, event: Event) -> bool:
    """Published and cancelled events are public; a draft only to those who manage it."""
    return event.status != EventStatus.DRAFT or can_manage(user, event)


def can(user, action: str, event: Event) -> bool:
    if action == "view":
        return can_view(user, event)
    if action == "manage":
        return can_manage(user, event)
    raise ValueError(f"unknown event action {action!r}")


def event_permission(action: str):
    """View decorator: loads the event from the `event_id` URL argument, checks `action`, and
    passes it to the view as `event` (404 when it does not exist or may not be seen)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown event action {action!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, event_id: int, **kwargs):
            event = db.session.get(Event, event_id)
            if event is None:
                abort(404)
            if action == "manage" and not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can_view(current_user, event):
                abort(404)
            if not can(current_user, action, event):
                abort(403)
            return view(*args, event=event, **kwargs)

        return declare(wrapped, f"event:{action}")

    return decorator


def manages_event_found_inside(view):
    """Declares a signed-in view that finds its event itself (from a check-in token) and lets
    only that event's managers through; the view checks `can_manage` once it has the event."""
    return declare(view, "event:manage")
