"""The organizer's roster, check-in desk and audit log for one event."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from eventsite.accounts import service as accounts
from eventsite.accounts.models import Gender, MembershipStatus
from eventsite.core.db import write_intent
from eventsite.core.exports import CSV_MIMETYPE, XLSX_MIMETYPE, attachment, csv_bytes, xlsx_bytes
from eventsite.core.pagination import page_arg
from eventsite.core.permissions import login_required
from eventsite.core.time import format_local, utcnow
from eventsite.events import checkin as checkin_code
from eventsite.events import message_pages, registration_questions, roster, roster_messages
from eventsite.events.models import RegistrationStatus
from eventsite.events.permissions import event_permission, manages_event_found_inside
from eventsite.events.roster_forms import (
    BulkActionForm,
    DeskSearchForm,
    ImportForm,
    RosterFilterForm,
    RowActionForm,
    ScanForm,
)
from eventsite.extensions import db

bp = Blueprint("roster", __name__)

#: GET endpoints that write an audit entry: on SQLite they must start a write transaction.
_WRITING_GETS = {"roster.export_csv", "roster.export_xlsx"}


@bp.before_request
def _writing_gets_take_the_write_lock():
    if request.endpoint in _WRITING_GETS:
        write_intent.set(True)


@bp.teardown_request
def _writing_gets_release_the_write_lock(_exc):
    # A refused export (login redirect, 403) returns without committing; end its write
    # transaction here rather than whenever the session happens to be removed.
    if request.endpoint in _WRITING_GETS:
        db.session.rollback()


#: The query-string keys the roster and the check-in desk carry through a POST and its redirect.
#: Only these: any other key (event_id, registration_id, _method…) would reach url_for as a
#: keyword argument and break the link, or the redirect after a committed action.
CARRIED_ARGS = (
    "q",
    "status",
    "gender",
    "team_id",
    "track_id",
    "checked_in",
    "session_id",
    "answer",
)


def _args() -> dict:
    """The current filters and page number, to carry through a POST and its redirect."""
    args = {key: request.args[key] for key in CARRIED_ARGS if request.args.get(key)}
    if request.args.get("page"):
        args["page"] = page_arg()
    return args


# --- roster -----------------------------------------------------------------------------------


def _filter_form(
    event, teams, tracks, sessions=()
) -> tuple[RosterFilterForm, roster.RosterFilters, bool]:
    answer_filters = registration_questions.provider().answer_filters(event)
    form = RosterFilterForm(
        request.args,
        teams=teams,
        tracks=tracks,
        sessions=sessions,
        answer_filters=answer_filters,
    )
    valid = form.validate()
    return form, (form.filters() if valid else roster.RosterFilters()), valid


#: A registration id no row has: `_url_for_each` builds its URL once with it, then puts each
#: row's id in its place.
_ID_MARKER = 987654321987654321


def _url_for_each(endpoint: str, **values) -> Callable[[int], str]:
    """`url_for(endpoint, registration_id=id, **values)` for every row of a page, the URL
    built once (the id is a path segment, so it comes before any query string)."""
    head, tail = url_for(endpoint, registration_id=_ID_MARKER, **values).split(str(_ID_MARKER), 1)
    return lambda registration_id: f"{head}{registration_id}{tail}"


def _render_roster(event, *, bulk_form=None, refusals=(), status=200):
    teams, tracks = roster.event_teams(event), roster.event_tracks(event)
    sessions = roster.event_sessions(event)
    filter_form, filters, valid = _filter_form(event, teams, tracks, sessions)
    bulk_form = bulk_form or BulkActionForm(formdata=None, teams=teams, tracks=tracks)
    counts = roster.roster_counts(event)
    page = roster.roster_page(
        event,
        filters,
        page_arg(),
        current_app.config["ROSTER_PAGE_SIZE"],
        # Unfiltered, the page's total is the counts' own: no second pass over the roster.
        total=None if filters.active else counts.total,
    )
    questions = registration_questions.provider()
    question_columns = questions.roster_columns(event)
    args = _args()
    return (
        render_template(
            "roster/roster.html",
            event=event,
            counts=counts,
            teams=teams,
            tracks=tracks,
            companions=roster.exports_companions(event),
            sessions=sessions,
            filter_form=filter_form,
            filters=filters,
            page=page,
            question_columns=question_columns,
            answers=questions.roster_cells(event, [r.id for r in page.items], in_full=False)
            if question_columns
            else {},
            bulk_form=bulk_form,
            ticked=set(bulk_form.ids.data or ()),
            refusals=refusals,
            args=args,
            export_args={k: v for k, v in args.items() if k != "page"},
            statuses=list(RegistrationStatus),
            genders=list(Gender),
            # Titles in words and row links built once per page rather than once per row.
            status_titles={status.value: str(status.title) for status in RegistrationStatus},
            gender_titles={gender.value: str(gender.title) for gender in Gender},
            membership_titles={m.value: str(m.title) for m in MembershipStatus},
            row_url=_url_for_each("roster.update", event_id=event.id, **args),
            move_url=_url_for_each("sessions.move_registration", event_id=event.id),
            claim_code_url=_url_for_each("roster.claim_code", event_id=event.id),
        ),
        status if valid else 400,
    )


@bp.get("/events/<int:event_id>/roster", endpoint="roster")
@event_permission("manage")
def show_roster(event):
    """The roster: counts, filters, one page of registrations, bulk actions."""
    return _render_roster(event)


def _run_action(event, ids, action, form, *, team_id=None, track_id=None):
    """Apply an action; commit it whole, or roll everything back and show each refusal."""
    refusals = roster.apply_action(
        event,
        ids,
        action,
        actor=current_user,
        reason=(form.reason.data or "").strip(),
        team_id=team_id,
        track_id=track_id,
    )
    if refusals:
        db.session.rollback()
        bulk_form = form if isinstance(form, BulkActionForm) else None
        return _render_roster(event, bulk_form=bulk_form, refusals=refusals, status=409)
    db.session.commit()
    flash(_done_message(action, len(ids)), "success")
    return redirect(url_for("roster.roster", event_id=event.id, **_args()))


def _done_message(action: str, n: int) -> str:
    if action == "approve":
        return ngettext(
            "%(num)s registration approved (confirmed, or waitlisted when no place was left).",
            "%(num)s registrations approved (confirmed, or waitlisted when no place was left).",
            n,
        )
    if action == "reject":
        return ngettext("%(num)s registration rejected.", "%(num)s registrations rejected.", n)
    if action == "cancel":
        return ngettext("%(num)s registration cancelled.", "%(num)s registrations cancelled.", n)
    return ngettext("%(num)s registration moved.", "%(num)s registrations moved.", n)


@bp.post("/events/<int:event_id>/roster/bulk")
@event_permission("manage")
def bulk(event):
    """Approve, reject, cancel or move every ticked registration, all or nothing."""
    form = BulkActionForm(teams=roster.event_teams(event), tracks=roster.event_tracks(event))
    if not form.validate():
        return _render_roster(event, bulk_form=form, status=400)
    return _run_action(
        event,
        form.ids.data,
        form.action.data,
        form,
        team_id=form.team_id.data,
        track_id=form.track_id.data,
    )


@bp.post("/events/<int:event_id>/roster/<int:registration_id>")
@event_permission("manage")
def update(event, registration_id):
    """Approve, reject or cancel one registration (its row's button)."""
    if roster.event_registration(event, registration_id) is None:
        abort(404)
    form = RowActionForm()
    if not form.validate():
        problems = [
            roster.Refusal(registration_id, "", str(e))
            for errs in form.errors.values()
            for e in errs
        ]
        return _render_roster(event, refusals=problems, status=400)
    return _run_action(event, [registration_id], form.do.data, form)


# --- messages to the roster as filtered ----------------------------------------------------------


def _message_steps(event) -> message_pages.Steps:
    """The message's steps for the roster as this request filters it."""
    filters = _args()
    filters.pop("page", None)
    return message_pages.Steps(
        write=url_for("roster.message", event_id=event.id, **filters),
        send=url_for("roster.send_message", event_id=event.id, **filters),
        done=url_for("roster.messages", event_id=event.id),
        back=url_for("roster.roster", event_id=event.id, **filters),
        back_label=_("Back to the roster"),
    )


def _message_audience(event) -> roster_messages.Audience | None:
    _form, filters, valid = _filter_form(
        event, roster.event_teams(event), roster.event_tracks(event), roster.event_sessions(event)
    )
    return roster_messages.Audience(event, filters) if valid else None


@bp.route("/events/<int:event_id>/roster/message", methods=["GET", "POST"])
@event_permission("manage")
def message(event):
    """Write a message to the members the roster's filters list (every page), and preview it."""
    audience = _message_audience(event)
    if audience is None:
        return _render_roster(event)
    return message_pages.write(audience, _message_steps(event))


@bp.post("/events/<int:event_id>/roster/message/send")
@event_permission("manage")
def send_message(event):
    """Send the previewed message to the roster as filtered, by inbox and where chosen by SMS."""
    audience = _message_audience(event)
    if audience is None:
        return _render_roster(event)
    return message_pages.send(audience, _message_steps(event))


@bp.get("/events/<int:event_id>/roster/messages")
@event_permission("manage")
def messages(event):
    """The messages sent to this event's members (the roster's and its teams'), newest first."""
    now = utcnow()
    everyone = roster_messages.Audience(event)
    return render_template(
        "roster/messages.html",
        event=event,
        sent=roster_messages.sent_messages(event),
        sent_today=roster_messages.sent_today(everyone, now),
        per_day=roster_messages.per_day(),
    )


# --- export -----------------------------------------------------------------------------------


def _export(event, file_format: str):
    teams, tracks = roster.event_teams(event), roster.event_tracks(event)
    sessions = roster.event_sessions(event)
    _form, filters, valid = _filter_form(event, teams, tracks, sessions)
    if not valid:
        return _render_roster(event)
    with_sessions = bool(sessions)
    header = roster.export_header(
        event, companions=roster.exports_companions(event), with_sessions=with_sessions
    )
    rows = roster.export_rows(event, filters, with_sessions)
    roster.record_export(
        event, actor=current_user, file_format=file_format, rows=len(rows), filters=filters
    )
    filename = f"roster-event{event.id}-{format_local(utcnow(), '%Y%m%d')}.{file_format}"
    db.session.commit()
    if file_format == "csv":
        return attachment(csv_bytes(header, rows), filename=filename, mimetype=CSV_MIMETYPE)
    body = xlsx_bytes(header, rows, sheet_title=_("Roster"))
    return attachment(body, filename=filename, mimetype=XLSX_MIMETYPE)


@bp.get("/events/<int:event_id>/roster.csv")
@event_permission("manage")
def export_csv(event):
    """The filtered roster as CSV (UTF-8 with BOM, for Excel)."""
    return _export(event, "csv")


@bp.get("/events/<int:event_id>/roster.xlsx")
@event_permission("manage")
def export_xlsx(event):
    """The filtered roster as an Excel workbook."""
    return _export(event, "xlsx")


# --- import -----------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/roster/import", methods=["GET", "POST"])
@event_permission("manage")
def import_roster(event):
    """Upload a CSV/XLSX list of members: all rows are registered, or none and every problem shown."""
    form = ImportForm()
    context = {
        "event": event,
        "form": form,
        "refusal": roster.import_refusal(event, utcnow()),
        "max_rows": roster.IMPORT_MAX_ROWS,
        "columns": roster.COLUMN_LABELS,
    }
    if form.validate_on_submit():
        outcome = roster.import_roster(event, form.file.data.read(), actor=current_user)
        if outcome.ok:
            db.session.commit()
            flash(
                _(
                    "Imported %(rows)s members: %(confirmed)s confirmed, %(waitlisted)s waitlisted; %(created)s new accounts created.",
                    rows=outcome.rows,
                    confirmed=outcome.confirmed,
                    waitlisted=outcome.waitlisted,
                    created=outcome.accounts_created,
                ),
                "success",
            )
            if outcome.already_registered:
                flash(
                    _(
                        "%(n)s rows were already on the roster as listed and were left as they are.",
                        n=outcome.already_registered,
                    ),
                    "info",
                )
            if outcome.claim_codes:
                # The codes exist nowhere else: show them on this response, never in a redirect
                # or the session cookie, and keep every cache from storing the page.
                return _no_store(
                    render_template(
                        "roster/claim_codes.html", event=event, codes=outcome.claim_codes
                    )
                )
            return redirect(url_for("roster.roster", event_id=event.id))
        db.session.rollback()
        return render_template("roster/import.html", outcome=outcome, **context), 400
    status = 400 if form.is_submitted() else 200
    return render_template("roster/import.html", outcome=None, **context), status


def _no_store(body, status: int = 200):
    return body, status, {"Cache-Control": "no-store"}


@bp.post("/events/<int:event_id>/roster/<int:registration_id>/claim-code")
@event_permission("manage")
def claim_code(event, registration_id):
    """Issue a new claim code for an imported member who has not taken over their account."""
    registration = roster.event_registration(event, registration_id)
    if registration is None:
        abort(404)
    # CSRFProtect has checked the form's token before this view runs.
    user = registration.user
    try:
        code = accounts.issue_claim_code(user, actor=current_user, event=event)
    except accounts.AccountError as error:
        db.session.rollback()
        refusal = roster.Refusal(registration.id, user.name, str(error.message))
        return _render_roster(event, refusals=[refusal], status=409)
    db.session.commit()
    issued = roster.IssuedCode(user.name, user.mobile, code)
    return _no_store(render_template("roster/claim_codes.html", event=event, codes=[issued]))


@bp.get("/events/<int:event_id>/roster/import-template.xlsx")
@event_permission("manage")
def import_template(event):
    """An empty import workbook with this event's columns and instructions."""
    header, notes = roster.import_template_rows(event)
    body = xlsx_bytes(header, [], sheet_title=_("Members"), notes=notes)
    return attachment(
        body, filename=f"roster-import-template-event{event.id}.xlsx", mimetype=XLSX_MIMETYPE
    )


# --- audit ------------------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/audit")
@event_permission("manage")
def audit(event):
    """The event's audit log, newest first."""
    page = roster.audit_page(event, page_arg(), current_app.config["ROSTER_PAGE_SIZE"])
    return render_template(
        "roster/audit.html", event=event, page=page, action_title=roster.action_title
    )


# --- check-in ---------------------------------------------------------------------------------


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@manages_event_found_inside
@login_required
def check_in_by_token(token):
    """A member's QR link: the organizer confirms, and the member is checked in."""
    registration = roster.registration_by_token(token)
    if registration is None:
        abort(404)
    if not roster.may_check_in(current_user, registration):
        if request.method == "GET" and registration.user_id == current_user.id:
            return _own_code(registration, token)
        abort(403)
    if request.method == "POST":
        try:
            roster.check_in(registration, actor=current_user)
        except roster.CheckInError as error:
            return render_template(
                "roster/checkin_token.html",
                registration=registration,
                event=registration.event,
                message=error.message,
                token=token,
            ), 409
        warning = roster.wrong_session_warning(registration)
        db.session.commit()
        flash(_("%(name)s is checked in.", name=registration.user.name), "success")
        if warning:
            flash(warning, "warning")
        return redirect(url_for("roster.checkin", event_id=registration.event_id))
    refusal = roster.check_in_state(registration)
    message = roster.refusal_message(refusal, registration) if refusal else None
    return render_template(
        "roster/checkin_token.html",
        registration=registration,
        event=registration.event,
        message=message,
        token=token,
        session_warning=roster.wrong_session_warning(registration),
    )


def _render_desk(event, *, scan_form=None, message=None, refusal=None, status=200):
    search = DeskSearchForm(request.args)
    query = (search.q.data or "").strip() if search.validate() else ""
    now = utcnow()
    closed = roster.desk_state(event, now)
    # A tap refused because the whole desk is closed is answered by the desk's own notice
    # (made an alert), not by a second message saying the same.
    answered = refusal is not None and refusal == closed
    return (
        render_template(
            "roster/checkin.html",
            event=event,
            counts=roster.checkin_counts(event),
            search=search,
            query=query,
            results=roster.desk_search(event, query),
            recent=roster.recent_check_ins(event),
            scan_form=scan_form or ScanForm(formdata=None),
            message=None if answered else message,
            answered=answered,
            closed=closed,
            args=_args(),
            opens_at=roster.opens_at(event),
            opens_hours=f"{roster.checkin_hours():g}",
        ),
        status,
    )


def _own_code(registration, token: str):
    """The member opened their own check-in link: their code again, and what it is for."""
    event = registration.event
    now = utcnow()
    usable = (
        registration.status == RegistrationStatus.CONFIRMED
        and registration.checked_in_at is None
        and not event.is_cancelled
        and not event.has_ended(now)
    )
    link = url_for("roster.check_in_by_token", token=token, _external=True)
    return _no_store(
        render_template(
            "roster/own_code.html",
            registration=registration,
            event=event,
            code=checkin_code.qr_svg(link) if usable else None,
            link=link,
            opens_at=roster.opens_at(event),
        )
    )


@bp.get("/events/<int:event_id>/checkin")
@event_permission("manage")
def checkin(event):
    """The check-in desk: live counts, search by name or mobile, a box for scanned links."""
    return _render_desk(event)


@bp.get("/events/<int:event_id>/checkin/counts.json")
@event_permission("manage")
def checkin_counts(event):
    """Confirmed, checked-in and not-yet counts, for the desk's self-refreshing numbers."""
    response = jsonify(roster.checkin_counts(event).as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<int:event_id>/checkin/scan")
@event_permission("manage")
def checkin_scan(event):
    """Open the confirm page for a pasted check-in link of this event."""
    form = ScanForm(request.args)
    if form.validate():
        try:
            token = roster.scanned_token(event, form.code.data)
        except roster.CheckInError as error:
            form.code.errors = [error.message]
        else:
            return redirect(url_for("roster.check_in_by_token", token=token))
    return _render_desk(event, scan_form=form, status=400)


@bp.post("/events/<int:event_id>/checkin/<int:registration_id>")
@event_permission("manage")
def check_in_registration(event, registration_id):
    """Check in a member found by search at the desk."""
    registration = roster.event_registration(event, registration_id)
    if registration is None:
        abort(404)
    try:
        roster.check_in(registration, actor=current_user)
    except roster.CheckInError as error:
        return _render_desk(event, message=error.message, refusal=error.refusal, status=409)
    warning = roster.wrong_session_warning(registration)
    db.session.commit()
    flash(_("%(name)s is checked in.", name=registration.user.name), "success")
    if warning:
        flash(warning, "warning")
    return redirect(url_for("roster.checkin", event_id=event.id, **_args()))


@bp.post("/events/<int:event_id>/checkin/<int:registration_id>/undo")
@event_permission("manage")
def undo_check_in(event, registration_id):
    """Take back a check-in made by mistake."""
    registration = roster.event_registration(event, registration_id)
    if registration is None:
        abort(404)
    try:
        roster.undo_check_in(registration, actor=current_user)
    except roster.CheckInError as error:
        return _render_desk(event, message=error.message, status=409)
    db.session.commit()
    flash(_("Check-in of %(name)s undone.", name=registration.user.name), "success")
    return redirect(url_for("roster.checkin", event_id=event.id, **_args()))
