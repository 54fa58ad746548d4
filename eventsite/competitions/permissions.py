"""Who may do what in a skills competition: the event's view/manage, plus judges and objectors.

competition_permission("view" | "manage")  the event's own rule (events.permissions), for
                                           competitions only; loads `round` from `round_id`
judge_required                             a holder of the judge role assigned to the round
                                           (and, with a registration in the URL, allowed to
                                           score that contestant: assigned to their track,
                                           not recused)
sheet_permission                           the sheet's own judge, or a manager of the event
objector_required                          a contestant of the round or a leader of a team
team_leader_required                       a leader of the team in the URL, or a manager of
                                           the event
"""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import lazyload

from eventsite.accounts.models import Role
from eventsite.competitions import service
from eventsite.competitions.models import JudgeAssignment, ScoreSheet
from eventsite.core.permissions import declare
from eventsite.events.models import Event, EventKind, Team
from eventsite.events.permissions import can_manage, can_view, event_permission
from eventsite.extensions import db, login_manager

#: Declared permission names (tests/test_permissions.py knows what each role gets).
JUDGE = "competition:judge"
SHEET = "competition:sheet"
OBJECTOR = "competition:objector"
LEADER = "competition:leader"


def _round(event: Event, kwargs: dict) -> None:
    if "round_id" in kwargs:
        found = service.round_of(event, kwargs.pop("round_id"))
        if found is None:
            abort(404)
        kwargs["round"] = found


def competition_permission(action: str):
    """`event_permission(action)` for competitions (404 for other kinds), with the round loaded."""

    def decorator(view):
        @event_permission(action)
        @wraps(view)
        def wrapped(*args, event: Event, **kwargs):
            if event.kind != EventKind.COMPETITION:
                abort(404)
            _round(event, kwargs)
            return view(*args, event=event, **kwargs)

        return wrapped

    return decorator


def _competition_for(event_id: int) -> Event:
    # Its organizers are read only if a permission asks (a draft's, a manager's check).
    event = db.session.get(Event, event_id, options=[lazyload(Event.organizers)])
    if event is None or event.kind != EventKind.COMPETITION or not can_view(current_user, event):
        abort(404)
    return event


def _assigned(round_, user) -> bool:
    return (
        db.session.scalar(
            sa.select(JudgeAssignment.id)
            .where(JudgeAssignment.round_id == round_.id, JudgeAssignment.user_id == user.id)
            .limit(1)
        )
        is not None
    )


def judge_required(view):
    """A holder of the judge role assigned to the round in the URL; with `registration_id`, one
    who may score that contestant (their track, not recused: `service.recused`): 403 otherwise."""

    @wraps(view)
    def wrapped(*args, event_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = _competition_for(event_id)
        _round(event, kwargs)
        round_ = kwargs["round"]
        if not current_user.has_role(Role.JUDGE):
            abort(403)
        if "registration_id" in kwargs:
            registration = service.contestant_of(event, kwargs.pop("registration_id"))
            if registration is None:
                abort(404 if _assigned(round_, current_user) else 403)
            # Assigned to the contestant's track in the round, so to the round.
            if not service.may_score(round_, current_user, registration):
                abort(403)
            kwargs["registration"] = registration
        elif not _assigned(round_, current_user):
            abort(403)
        return view(*args, event=event, **kwargs)

    return declare(wrapped, JUDGE)


def sheet_permission(view):
    """The sheet's own judge (still assigned and not recused), or a manager of the event."""

    @wraps(view)
    def wrapped(*args, event_id: int, sheet_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = _competition_for(event_id)
        sheet = db.session.get(ScoreSheet, sheet_id)
        if sheet is None or sheet.round.event_id != event.id:
            abort(404)
        if not can_manage(current_user, event):
            own = sheet.judge_id == current_user.id
            if not (own and service.may_score(sheet.round, current_user, sheet.registration)):
                abort(403)
        return view(*args, event=event, sheet=sheet, **kwargs)

    return declare(wrapped, SHEET)


def objector_required(view):
    """A contestant of the round, or a leader of a team with contestants in it."""

    @wraps(view)
    def wrapped(*args, event_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = _competition_for(event_id)
        _round(event, kwargs)
        contestants = service.objectable_contestants(kwargs["round"], current_user)
        if not contestants:
            abort(403)
        return view(*args, event=event, contestants=contestants, **kwargs)

    return declare(wrapped, OBJECTOR)


def team_leader_required(view):
    """A leader (领队) of the team in the URL, or a manager of the event: 403 otherwise."""

    @wraps(view)
    def wrapped(*args, event_id: int, team_id: int, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        event = _competition_for(event_id)
        team = db.session.get(Team, team_id)
        if team is None or team.event_id != event.id:
            abort(404)
        if not (can_manage(current_user, event) or service.leads_team(current_user, team)):
            abort(403)
        return view(*args, event=event, team=team, **kwargs)

    return declare(wrapped, LEADER)
