"""Who may do what in a sports meet: the event's view/manage, plus referees and captains.

meet_permission("view" | "manage")  the event's own rule (events.permissions), for sports
                                    meets only; loads `item` from `item_id` when the URL has one
referee_required                    a judge assigned to the item, or a manager of the event
captain_required                    a captain of the team, or a manager of the event
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import lazyload

from eventsite.core.permissions import declare
from eventsite.events.models import Event, EventKind
from eventsite.events.permissions import can_manage, can_view, event_permission
from eventsite.extensions import db, login_manager
from eventsite.sportsmeet import service

#: Declared permission names (tests/test_permissions.py knows what each role gets).
REFEREE = "meet:referee"
CAPTAIN = "meet:captain"


def _item(event: Event, kwargs: dict) -> None:
    if "item_id" in kwargs:
        item = service.item_of(event, kwargs.pop("item_id"))
        if item is None:
            abort(404)
        kwargs["item"] = item


def meet_permission(action: str):
    """`event_permission(action)` for sports meets (404 for other kinds), with the item loaded."""

    def decorator(view):
        @event_permission(action)
        @wraps(view)
        def wrapped(*args, event: Event, **kwargs):
            if event.kind != EventKind.SPORTSMEET:
                abort(404)
            _item(event, kwargs)
            return view(*args, event=event, **kwargs)

        return wrapped

    return decorator


def _meet_for(event_id: int) -> Event:
    # Its organizers are read only if a permission asks (a manager's check that needs them).
    event = db.session.get(Event, event_id, options=[lazyload(Event.organizers)])
    if event is None or event.kind != EventKind.SPORTSMEET:
        abort(404)
    return event


def referee_required(view):
    """A judge assigned to the item in the URL, or a manager of the event."""

    @wraps(view)
    def wrapped(*args, event_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = _meet_for(event_id)
        _item(event, kwargs)
        item = kwargs["item"]
        if not (can_manage(current_user, event) or service.is_referee(current_user, item)):
            if not can_view(current_user, event):
                abort(404)
            abort(403)
        return view(*args, event=event, **kwargs)

    return declare(wrapped, REFEREE)


def captain_required(view):
    """A captain of the team in the URL, or a manager of the event."""

    @wraps(view)
    def wrapped(*args, event_id: int, team_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = _meet_for(event_id)
        team = service.team_of(event, team_id)
        if team is None:
            abort(404)
        if not (can_manage(current_user, event) or service.is_captain(current_user, team)):
            if not can_view(current_user, event):
                abort(404)
            abort(403)
        return view(*args, event=event, team=team, **kwargs)

    return declare(wrapped, CAPTAIN)
