"""Event pages: list, detail, .ics, create/edit/publish/cancel, register, My events."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from eventsite.accounts.models import Role
from eventsite.core import cache as page_cache
from eventsite.core.db import retry_once
from eventsite.core.inputs import storable_int
from eventsite.core.pagination import page_arg
from eventsite.core.permissions import login_required, public, role_required
from eventsite.core.time import to_local, utcnow
from eventsite.events import (
    checkin,
    notices,
    offers,
    registration_questions,
    rules,
    service,
    sessions,
)
from eventsite.events.forms import (
    AddOrganizerForm,
    CancelEventForm,
    ChoiceListForm,
    CompanionsForm,
    EventForm,
    OfferAnswerForm,
    RegistrationForm,
    TeamsFromOrganizationForm,
    add_error,
)
from eventsite.events.models import (
    SESSION_KINDS,
    Event,
    EventKind,
    EventOrganizer,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from eventsite.events.permissions import can_manage, can_view, event_permission
from eventsite.extensions import db
from eventsite.organizations import service as organization_service
from eventsite.organizations.forms import indented
from eventsite.organizations.models import Organization, OrganizationLink
from eventsite.organizations.permissions import granted_organizations, managed_organization_ids
from eventsite.organizations.service import subtree_ids

bp = Blueprint("events", __name__)

S = RegistrationStatus


def _page() -> int:
    return page_arg()


def _page_size(setting: str, default: int) -> int:
    return int(current_app.config.get(setting, default))


# --- Public list, detail and calendar file ---------------------------------------------------


@bp.get("/")
@bp.get("/events")
@public
def index():
    """Published and cancelled events, by kind and upcoming/past, a page at a time.

    What an anonymous visitor gets is the same for everyone asking in the same language: it is
    kept (core/cache.py) until an event, a registration, a session or an organization changes,
    or the clock reaches the next start, end or registration window of a listed event.
    """
    cache = page_cache.current() if _anyone_may_share() else None
    if cache is None:
        return _render_index(keeping=False)[0]
    from eventsite import select_locale

    key = f"{select_locale()}:{request.script_root}{request.full_path}"
    return cache.kept("event_list", key, lambda: _render_index(keeping=True))


def _anyone_may_share() -> bool:
    return rules.shares_public_list(
        current_user.is_authenticated,
        "_flashes" in browser_session,
        {name: request.args.getlist(name) for name in request.args},
    )


def _render_index(*, keeping: bool) -> tuple[str, datetime | None]:
    """The list's page, and (when `keeping`) when it next changes by the clock alone."""
    now = utcnow()
    kind = request.args.get("kind", "")
    if kind not in {k.value for k in EventKind}:
        kind = ""
    when = "past" if request.args.get("when") == "past" else "upcoming"
    listed = Event.status.in_([EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value])
    organizations = organization_choices(listed)
    organization_id = request.args.get("org", type=storable_int)
    if organization_id not in {organization.id for organization in organizations}:
        organization_id = None
    stmt = (
        sa.select(Event)
        .where(listed, service.open_to(current_user))
        # The list never shows who organizes; each event's organization is one of the choices
        # above, already in the session, so naming a members-only event's costs no query.
        .options(lazyload(Event.organizers))
    )
    if organization_id is not None:
        stmt = stmt.where(Event.organization_id.in_(subtree_ids(organization_id)))
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if when == "past":
        stmt = stmt.where(Event.ends_at < now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        stmt = stmt.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)
    page = db.paginate(
        stmt, page=_page(), per_page=_page_size("EVENTS_PAGE_SIZE", 20), error_out=False
    )
    ids = [event.id for event in page.items]
    occupancies = service.occupancies_of(ids)
    session_caps = service.session_caps_of(ids)
    changes_at = None
    if keeping:
        # The page's own events change state at their moments; any listed event's end moves
        # it from the upcoming list to the past one, shifting the pages of both.
        next_end = db.session.scalar(
            sa.select(sa.func.min(Event.ends_at)).where(
                listed, service.open_to(current_user), Event.ends_at >= now
            )
        )
        changes_at = rules.listing_changes_at(
            now,
            [next_end]
            + [
                moment
                for event in page.items
                for moment in (
                    event.starts_at,
                    event.ends_at,
                    event.registration_opens_at,
                    event.registration_closes_at,
                )
            ],
        )
    return render_template(
        "events/index.html",
        page=page,
        counts=service.status_counts(ids),
        places_left={
            event.id: rules.places_left(
                service.limits_of(event, session_caps), occupancies[event.id]
            )
            for event in page.items
        },
        kind=kind,
        when=when,
        kinds=list(EventKind),
        organizations=organizations,
        organization_id=organization_id,
        now=now,
    ), changes_at


def organization_choices(listed: sa.ColumnElement[bool]) -> list[Organization]:
    """The organizations the list filters by: those holding a listed event and every one above
    them, so a city's filter shows its districts' events too (one query, by depth and name)."""
    holding = sa.select(OrganizationLink.ancestor_id).join(
        Event, Event.organization_id == OrganizationLink.descendant_id
    )
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.id.in_(holding.where(listed)))
            .order_by(Organization.depth, Organization.name, Organization.id)
        )
    )


def _render_detail(
    event: Event,
    form: RegistrationForm | None = None,
    status: int = 200,
    asked=None,
    companions_form: CompanionsForm | None = None,
):
    now = utcnow()
    state = event.registration_state(now)
    mine = position = None
    figures = sessions.session_figures(event)
    my_sessions: list[Registration] = []
    if current_user.is_authenticated and figures:
        # Every session the member holds, in one query; `mine` is the one find_registration
        # would give (an active one first).
        my_sessions = service.registrations_of(event.id, current_user.id)
        mine = min(
            my_sessions,
            key=lambda reg: (not reg.is_active, -reg.status_changed_at.timestamp(), reg.id),
            default=None,
        )
    elif current_user.is_authenticated:
        mine = service.find_registration(event.id, current_user.id)
    if mine is not None:
        position = service.waitlist_position(mine)
    choices = sessions.choices_to_register(figures, my_sessions, event.multiple_sessions, now)
    may_register = current_user.is_authenticated and (
        rules.member_may_add_session(state, len(choices), [reg.status for reg in my_sessions])
        if figures and event.multiple_sessions
        else rules.member_may_register(state, mine.status if mine is not None else None)
    )
    counts, places, full_teams = service.page_figures(
        event, {event.id: {f.session.id: f.session.capacity for f in figures}}
    )
    problems = service.standing_problems(event, current_user) if may_register else []
    if may_register and form is None and not problems:
        form = RegistrationForm(
            event=event, user=current_user, full_teams=full_teams, sessions=choices
        )
    if companions_form is None and _may_change_companions(event, mine, state):
        companions_form = CompanionsForm(
            formdata=None, event=event, data={"companions": mine.companions}
        )
    if asked is None and (may_register or (mine is not None and mine.is_active)):
        asked = registration_questions.provider().asked(event, current_user)
    return render_template(
        "events/detail.html",
        event=event,
        counts=counts,
        places=places,
        # The places a new registration by this member could take: their gender's, on a mixer.
        my_places_left=places.for_gender(current_user.gender) if may_register else None,
        state=state,
        mine=mine,
        position=position,
        may_register=may_register,
        may_cancel=mine is not None and rules.member_may_cancel(mine.status, event.starts_at, now),
        problems=problems,
        form=form,
        companions_form=companions_form,
        manager=can_manage(current_user, event),
        figures=figures,
        my_sessions=[
            (reg, service.waitlist_position(reg) if reg.status == S.WAITLISTED else None)
            for reg in my_sessions
        ]
        if event.multiple_sessions
        else [],
        move_form=sessions.member_move_form(event, figures, mine, now),
        session_time=sessions.session_time,
        now=now,
        asked=asked,
    ), status


def _may_change_companions(event: Event, mine: Registration | None, state: str) -> bool:
    """The member's registration is one whose companions they may change now (the event admits
    companions, or the member still brings some)."""
    return (
        mine is not None
        and event.kind in rules.COMPANION_KINDS
        and bool(event.max_companions or mine.companions)
        and rules.member_may_change_companions(state, mine.status)
    )


@bp.get("/events/<int:event_id>")
@event_permission("view")
def detail(event: Event):
    """An event: what, when, where, places left, and the member's own registration."""
    return _render_detail(event)


@bp.get("/events/<int:event_id>.ics")
@event_permission("view")
def ics(event: Event):
    """The event as an iCalendar file for the member's phone calendar."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//eventsite//union member events//ZH")
    calendar.add("version", "2.0")
    # The UID names the site as configured, so it stays the same whichever address served it.
    site = urlsplit(current_app.config["PUBLIC_URL"]).hostname or request.host.split(":")[0]
    # A member holding sessions gets each session's own time; anyone else the event's.
    held = (
        [
            reg.session
            for reg in service.registrations_of(event.id, current_user.id)
            if reg.is_active and reg.session is not None
        ]
        if current_user.is_authenticated and event.kind in SESSION_KINDS
        else []
    )
    for session in held or [None]:
        entry = icalendar.Event()
        if session is None:
            entry.add("uid", f"event-{event.id}@{site}")
            entry.add("dtstart", event.starts_at)
            entry.add("dtend", event.ends_at)
            entry.add("summary", event.title)
        else:
            entry.add("uid", f"event-{event.id}-session-{session.id}@{site}")
            entry.add("dtstart", session.starts_at)
            entry.add("dtend", session.ends_at)
            entry.add("summary", f"{event.title} · {session.label}")
        entry.add("dtstamp", utcnow())
        entry.add("location", event.venue)
        entry.add("description", event.description)
        entry.add("url", url_for("events.detail", event_id=event.id, _external=True))
        if event.is_cancelled:
            entry.add("status", "CANCELLED")
        calendar.add_component(entry)
    return Response(
        calendar.to_ical(),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}.ics"'},
    )


# --- A member's registration -----------------------------------------------------------------


def _viewable_event(event_id: int) -> Event:
    # The organizers load when asked for (a draft's permission, the page's manager links): a
    # member registering for a published event never needs them.
    event = db.session.get(Event, event_id, options=[lazyload(Event.organizers)])
    if event is None or not can_view(current_user, event):
        abort(404)
    return event


@bp.post("/events/<int:event_id>/register")
@login_required
def register(event_id: int):
    """Register the signed-in member; a refusal is shown beside the field it concerns. A rush
    that keeps the event's lock too long is tried once more before the busy page."""
    return retry_once(lambda: _register(event_id))


def _register(event_id: int):
    event = _viewable_event(event_id)
    figures = sessions.session_figures(event)
    form = RegistrationForm(
        event=event,
        user=current_user,
        full_teams=service.full_teams_of(event),
        sessions=sessions.choices_to_register(
            figures,
            service.registrations_of(event.id, current_user.id) if figures else [],
            event.multiple_sessions,
            utcnow(),
        ),
    )
    asked = registration_questions.provider().asked(event, current_user, request.form)
    if not form.validate() or not asked.ok:
        db.session.rollback()
        return _render_detail(event, form, 400, asked)
    try:
        registration = service.register(
            event, current_user, **form.engine_arguments(), answers_check=asked.check_stock
        )
        asked.save(registration)
    except service.RegistrationError as exc:
        db.session.rollback()
        if not asked.shows(exc):
            form.add_error(exc.message, exc.field)
        return _render_detail(db.session.get(Event, event_id), form, 400, asked)
    # Worded before the commit, which would expire the registration and the member (a reload
    # of each, after the event's lock is released but on the same worker).
    message = _registered_message(
        registration.status, in_session=registration.session_id is not None
    )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("events.detail", event_id=event_id), 303)


def _registered_message(status: str, *, in_session: bool = False) -> str:
    if status == S.CONFIRMED:
        return _("You are registered. Your check-in code is under My events.")
    if status == S.WAITLISTED and in_session:
        return _(
            "This session is full, so you are on its waitlist. We will tell you if a place in it "
            "frees up; another session with places left takes you at once."
        )
    if status == S.WAITLISTED:
        return _(
            "The event is full, so you are on the waitlist. We will tell you if a place frees up."
        )
    if status == S.PENDING:
        return _("Your registration awaits the organizer's approval.")
    return _("Registration saved.")


@bp.post("/events/<int:event_id>/cancel-registration")
@login_required
def cancel_registration(event_id: int):
    """The member cancels their own registration, or leaves the waitlist; tried once more, like
    registering, when the event's lock is held too long."""
    return retry_once(lambda: _cancel_registration(event_id))


def _cancel_registration(event_id: int):
    event = _viewable_event(event_id)
    registration = service.find_registration(
        event.id, current_user.id, request.form.get("session_id", type=storable_int)
    )
    if registration is None:
        abort(404)
    was = registration.status
    try:
        service.cancel_registration(registration, actor=current_user)
    except service.RegistrationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_detail(db.session.get(Event, event_id), None, 400)
    db.session.commit()
    flash(
        _("You have left the waitlist.")
        if was == S.WAITLISTED
        else _("Your registration is cancelled."),
        "success",
    )
    return redirect(url_for("events.detail", event_id=event_id), 303)


@bp.post("/events/<int:event_id>/companions")
@login_required
def change_companions(event_id: int):
    """The member changes how many companions they bring; tried once more, like registering,
    when the event's lock is held too long."""
    return retry_once(lambda: _change_companions(event_id))


def _change_companions(event_id: int):
    event = _viewable_event(event_id)
    registration = service.find_registration(event.id, current_user.id)
    if registration is None:
        abort(404)
    form = CompanionsForm(event=event)
    if not form.validate():
        db.session.rollback()
        return _render_detail(event, None, 400, companions_form=form)
    try:
        service.change_companions(registration, form.companions.data, actor=current_user)
    except service.RegistrationError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_detail(db.session.get(Event, event_id), None, 400, companions_form=form)
    db.session.commit()
    flash(_("Your companions are updated."), "success")
    return redirect(url_for("events.detail", event_id=event_id), 303)


@bp.post("/events/<int:event_id>/offer")
@login_required
def answer_offer(event_id: int):
    """The member confirms or declines the place offered to them from the waitlist; tried once
    more, like registering, when the event's lock is held too long."""
    return retry_once(lambda: _answer_offer(event_id))


def _answer_offer(event_id: int):
    event = _viewable_event(event_id)
    registration = service.find_registration(
        event.id, current_user.id, request.form.get("session_id", type=storable_int)
    )
    if registration is None:
        abort(404)
    form = OfferAnswerForm()
    if not form.validate():
        db.session.rollback()
        flash(_("Please confirm or decline the place."), "error")
        return _render_detail(event, None, 400)
    confirming = form.answer.data == "confirm"
    try:
        if confirming:
            offers.confirm_offer(registration, actor=current_user)
        else:
            offers.decline_offer(registration, actor=current_user)
    except service.RegistrationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _render_detail(db.session.get(Event, event_id), None, 400)
    db.session.commit()
    flash(
        _("Your place is confirmed. Your check-in code is under My events.")
        if confirming
        else _("You declined the place; it goes to the next member on the waitlist."),
        "success",
    )
    return redirect(url_for("events.detail", event_id=event_id), 303)


def _waitlist_positions(user_id: int, event_ids: list[int]) -> dict[int, int]:
    """{registration_id: position} for the member's waitlisted registrations, in one query."""
    if not event_ids:
        return {}
    ranked = (
        sa.select(
            Registration.id,
            Registration.user_id,
            sa.func.row_number()
            .over(
                # Each session of an event has its own waitlist.
                partition_by=(Registration.event_id, Registration.session_id),
                order_by=(Registration.waitlisted_at, Registration.id),
            )
            .label("position"),
        )
        .where(Registration.status == S.WAITLISTED, Registration.event_id.in_(event_ids))
        .subquery()
    )
    return dict(
        db.session.execute(
            sa.select(ranked.c.id, ranked.c.position).where(ranked.c.user_id == user_id)
        ).all()
    )


def _checkin_url(registration: Registration) -> str:
    return url_for(
        "roster.check_in_by_token", token=checkin.token_for(registration), _external=True
    )


@bp.get("/my/events")
@login_required
def my_events():
    """The member's registrations, upcoming first, with check-in codes for confirmed places."""
    now = utcnow()
    upcoming_page = db.paginate(
        sa.select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == current_user.id, Event.ends_at >= now)
        .options(contains_eager(Registration.event), joinedload(Registration.session))
        .order_by(Event.starts_at, Event.id),
        page=page_arg(key="upcoming_page"),
        per_page=_page_size("MY_EVENTS_UPCOMING_PAGE_SIZE", 10),
        error_out=False,
    )
    upcoming = [(reg, reg.event) for reg in upcoming_page.items]
    past = db.paginate(
        sa.select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == current_user.id, Event.ends_at < now)
        .options(contains_eager(Registration.event), joinedload(Registration.session))
        .order_by(Event.starts_at.desc(), Event.id.desc()),
        page=_page(),
        per_page=_page_size("MY_EVENTS_PAGE_SIZE", 20),
        error_out=False,
    )
    waiting = [reg.event_id for reg, _event in upcoming if reg.status == S.WAITLISTED]
    positions = _waitlist_positions(current_user.id, waiting)
    links = {
        reg.id: _checkin_url(reg)
        for reg, event in upcoming
        if reg.status == S.CONFIRMED and not reg.is_offer and not event.has_ended(now)
    }
    codes = {reg_id: checkin.qr_svg(link) for reg_id, link in links.items()}
    cancellable = {
        reg.id
        for reg, event in upcoming
        if rules.member_may_cancel(reg.status, event.starts_at, now)
    }
    return render_template(
        "events/my_events.html",
        upcoming=upcoming,
        upcoming_page=upcoming_page,
        past=past,
        positions=positions,
        codes=codes,
        links=links,
        cancellable=cancellable,
        now=now,
    )


@bp.get("/my/registrations/<int:registration_id>/qr.svg")
@login_required
def qr_svg(registration_id: int):
    """The member's own check-in code as an SVG image (confirmed places only)."""
    registration = db.session.get(Registration, registration_id)
    if (
        registration is None
        or registration.user_id != current_user.id
        or registration.status != S.CONFIRMED
        or registration.is_offer
        or registration.event.has_ended(utcnow())
    ):
        abort(404)
    svg = checkin.qr_svg(_checkin_url(registration))
    if "xmlns=" not in svg.split(">", 1)[0]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


# --- Organizers: list, create, edit, publish, cancel, co-organizers, teams -------------------


@bp.get("/manage")
@role_required(Role.ORGANIZER)
def manage():
    """The events the organizer manages (those of the organizations they organize for or
    administer, and those they co-organize; platform admins: every event), with registrations
    by status."""
    stmt = sa.select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    if not current_user.is_admin:
        stmt = stmt.where(
            sa.or_(
                Event.organization_id.in_(managed_organization_ids(current_user, Role.ORGANIZER)),
                Event.id.in_(
                    sa.select(EventOrganizer.event_id).where(
                        EventOrganizer.user_id == current_user.id
                    )
                ),
            )
        )
    page = db.paginate(
        stmt, page=_page(), per_page=_page_size("EVENTS_PAGE_SIZE", 20), error_out=False
    )
    return render_template(
        "events/manage.html",
        page=page,
        my_organizations=granted_organizations(current_user),
        counts=service.status_counts(event.id for event in page.items),
        # Seats (members and companions) the union activities on the page hold, in one query.
        seats={
            event_id: occupancy.confirmed
            for event_id, occupancy in service.occupancies_of(
                event.id for event in page.items
            ).items()
        },
        companion_kinds=rules.COMPANION_KINDS,
        now=utcnow(),
    )


@bp.route("/events/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def create():
    """Choose a kind, then fill in the event; it is saved as a draft."""
    raw_kind = request.values.get("kind", "")
    if raw_kind not in {k.value for k in EventKind}:
        status = 400 if raw_kind or request.method == "POST" else 200
        return render_template("events/new.html", kinds=list(EventKind), bad=bool(raw_kind)), status
    now = utcnow()
    organizations = organization_service.in_tree_order(
        managed_organization_ids(current_user, Role.ORGANIZER)
    )
    form = EventForm(kind=raw_kind, starts_after=now, organizations=indented(organizations))
    if request.method == "GET" and not form.is_submitted():
        form.registration_opens_at.data = _local_hour(now + timedelta(hours=1))
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("events/form.html", form=form, event=None), status
    event = service.create_event(
        current_user,
        kind=raw_kind,
        organization_id=form.organization_id.data,
        **form.event_fields(),
    )
    db.session.commit()
    flash(_("Draft saved. It is not public until you publish it."), "success")
    if event.kind not in service.TEAM_KINDS:
        return redirect(url_for("events.edit", event_id=event.id), 303)
    flash(_("Now add the teams members choose from."), "info")
    return redirect(url_for("events.teams", event_id=event.id), 303)


def _local_hour(moment):
    return to_local(moment).replace(minute=0, second=0, microsecond=0, tzinfo=None)


def _render_edit(event, form=None, cancel_form=None, publish_error=None, current=None, status=200):
    return render_template(
        "events/form.html",
        event=event,
        form=form or EventForm.for_event(event),
        cancel_form=cancel_form or CancelEventForm(formdata=None),
        publish_error=publish_error,
        current=current,
    ), status


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@event_permission("manage")
def edit(event: Event):
    """Change an event's details; a raised capacity gives waiting members their places."""
    if request.method == "GET":
        return _render_edit(event)
    form = EventForm(kind=event.kind)
    if not form.validate():
        return _render_edit(event, form=form, status=400)
    fields = form.event_fields()
    noticed = rules.notice_changes(
        {name: getattr(event, name) for name in rules.NOTICED_FIELDS}, fields
    )
    try:
        promoted = service.update_event(
            event,
            current_user,
            loaded_version=form.loaded_version.data or None,
            **fields,
        )
    except service.RegistrationError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        event = db.session.get(Event, event.id)
        if isinstance(exc, service.StaleEventError):
            # The next save is made knowing the current values, so it carries their version.
            form.loaded_version.data = event.version
            return _render_edit(
                event, form=form, current=EventForm.for_event(event, formdata=None), status=409
            )
        return _render_edit(event, form=form, status=400)
    db.session.commit()
    flash(_("Changes saved."), "success")
    if noticed and event.is_published:
        told = len(notices.registered_members(event))
        if told:
            flash(
                _(
                    "The %(n)d registered members were told of the new time or venue in their "
                    "inbox, and by SMS where they chose it (texts wait for 08:00 at night).",
                    n=told,
                ),
                "info",
            )
    offered = sum(1 for registration in promoted if registration.offer_expires_at is not None)
    if promoted and offered:
        flash(
            _(
                "%(n)d members on the waitlist were offered the new places and told; each has "
                "until the time shown on the roster to confirm.",
                n=len(promoted),
            ),
            "info",
        )
    elif promoted:
        flash(
            _(
                "%(n)d members moved from the waitlist into the new places and were told.",
                n=len(promoted),
            ),
            "info",
        )
    return redirect(url_for("events.edit", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/publish")
@event_permission("manage")
def publish(event: Event):
    """Publish a draft."""
    try:
        service.publish_event(event, current_user)
    except service.RegistrationError as exc:
        db.session.rollback()
        return _render_edit(db.session.get(Event, event.id), publish_error=exc.message, status=400)
    db.session.commit()
    flash(
        _("Published. Members can see the event and register when registration opens."), "success"
    )
    return redirect(url_for("events.detail", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/cancel")
@event_permission("manage")
def cancel(event: Event):
    """Cancel the event; every registered member is told, with the reason."""
    form = CancelEventForm()
    if not form.validate():
        return _render_edit(event, cancel_form=form, status=400)
    try:
        cancelled = service.cancel_event(event, current_user, form.reason.data)
    except service.RegistrationError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_edit(db.session.get(Event, event.id), cancel_form=form, status=400)
    db.session.commit()
    flash(
        _("The event is cancelled; %(n)d registered members were told.", n=len(cancelled)),
        "success",
    )
    return redirect(url_for("events.detail", event_id=event.id), 303)


@bp.route("/events/<int:event_id>/organizers", methods=["GET", "POST"])
@event_permission("manage")
def organizers(event: Event):
    """Add a co-organizer by mobile number, or remove one."""
    form = (
        AddOrganizerForm(formdata=None) if "remove_user_id" in request.form else AddOrganizerForm()
    )
    status = 200
    if request.method == "POST":
        try:
            if "remove_user_id" in request.form:
                user_id = request.form.get("remove_user_id", type=storable_int)
                service.remove_organizer(event, user_id, current_user)
                message = _("Organizer removed.")
            elif form.validate():
                service.add_organizer(event, form.mobile.data, current_user)
                message = _("Organizer added.")
            else:
                message = None
        except service.RegistrationError as exc:
            db.session.rollback()
            add_error(form, exc.message, exc.field)
            event = db.session.get(Event, event.id)
            message = None
        if message:
            db.session.commit()
            flash(message, "success")
            if not can_manage(current_user, db.session.get(Event, event.id)):
                return redirect(url_for("events.manage"), 303)
            return redirect(url_for("events.organizers", event_id=event.id), 303)
        status = 400
    people = db.session.scalars(
        sa.select(EventOrganizer)
        .where(EventOrganizer.event_id == event.id)
        .options(joinedload(EventOrganizer.user))
        .order_by(EventOrganizer.added_at, EventOrganizer.user_id)
    ).all()
    return render_template("events/organizers.html", event=event, form=form, people=people), status


@bp.route("/events/<int:event_id>/teams", methods=["GET", "POST"])
@event_permission("manage")
def teams(event: Event):
    """Rename, remove and add the teams (and a competition's tracks) members choose from."""
    if event.kind not in service.TEAM_KINDS:
        abort(404)
    lists = ["teams", "tracks"] if event.kind == EventKind.COMPETITION else ["teams"]
    forms = {
        name: ChoiceListForm(prefix=name, formdata=None).fill(getattr(event, name))
        for name in lists
    }
    from_organization = TeamsFromOrganizationForm(
        formdata=None, choices=service.team_source_organizations(event)
    )
    status = 200
    if request.method == "POST":
        which = request.args.get("list", "teams")
        if which not in lists:
            abort(404)
        form = forms[which] = ChoiceListForm(prefix=which)
        if form.validate():
            setter = service.set_teams if which == "teams" else service.set_tracks
            try:
                setter(event, current_user, **form.changes())
            except service.RegistrationError as exc:
                db.session.rollback()
                event = db.session.get(Event, event.id)
                field = exc.field or ""
                row = (
                    form.row_for(int(field.split("-", 1)[1]))
                    if field.startswith("item-") and field.split("-", 1)[1].isdigit()
                    else None
                )
                if row is not None:
                    add_error(row, exc.message, "name")
                else:
                    add_error(form, exc.message, exc.field)
            else:
                db.session.commit()
                flash(_("Teams saved.") if which == "teams" else _("Tracks saved."), "success")
                return redirect(url_for("events.teams", event_id=event.id), 303)
        status = 400
    return render_template(
        "events/teams.html", event=event, forms=forms, from_organization=from_organization
    ), status


@bp.post("/events/<int:event_id>/teams/from-organization")
@event_permission("manage")
def teams_from_organization(event: Event):
    """Add a team for each organization directly below the chosen one, in one action."""
    if event.kind not in service.TEAM_KINDS:
        abort(404)
    lists = ["teams", "tracks"] if event.kind == EventKind.COMPETITION else ["teams"]
    form = TeamsFromOrganizationForm(choices=service.team_source_organizations(event))
    if form.validate():
        try:
            added = service.teams_from_organization(event, current_user, form.organization_id.data)
        except service.RegistrationError as exc:
            db.session.rollback()
            event = db.session.get(Event, event.id)
            add_error(form, exc.message, exc.field)
        else:
            db.session.commit()
            flash(_("%(n)s teams added.", n=added), "success")
            return redirect(url_for("events.teams", event_id=event.id), 303)
    forms = {
        name: ChoiceListForm(prefix=name, formdata=None).fill(getattr(event, name))
        for name in lists
    }
    return render_template(
        "events/teams.html", event=event, forms=forms, from_organization=form
    ), 400
