"""鹊桥 exchange pages: the member's profile and card, marking, results and introductions,
safety and their own data; the organizer's settings, counts, participants and reports.

No view flashes, logs or notifies anything about a mark, a match or a declined request.
"""

from __future__ import annotations

import json

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
from flask_login import current_user

from eventsite.accounts.models import Role
from eventsite.core.exports import XLSX_MIMETYPE, attachment, xlsx_bytes
from eventsite.core.inputs import storable_int
from eventsite.core.permissions import login_required, role_required
from eventsite.core.time import utcnow
from eventsite.events.models import Event
from eventsite.extensions import db, limiter
from eventsite.mixers import rules, service
from eventsite.mixers.forms import (
    AnswerForm,
    DeleteDataForm,
    IntroductionForm,
    MarkForm,
    ProfileForm,
    RemovalForm,
    ReportForm,
    SettingsForm,
    add_error,
)
from eventsite.mixers.permissions import attendee_required, mixer_permission
from eventsite.mixers.stats import union_stats
from eventsite.organizations.permissions import managed_organization_ids

bp = Blueprint("mixers", __name__)


def _fresh(event: Event) -> Event:
    """The event again after a rollback (its attributes were expired)."""
    return db.session.get(Event, event.id)


def _refused(exc: service.MixerError, endpoint: str, event: Event, **values):
    """A refused member action: say why and go back (nothing was changed)."""
    db.session.rollback()
    flash(str(exc.message), "error")
    return redirect(url_for(endpoint, event_id=event.id, **values), 303)


@bp.get("/my/mixers")
@login_required
def my_mixers():
    """The mixers the member attended, with links to their exchange, and their blocks."""
    return render_template(
        "mixers/my_mixers.html",
        mixers=service.my_mixers(current_user.id, utcnow()),
        blocks=service.blocks_of(current_user.id),
    )


@bp.post("/my/mixers/unblock")
@login_required
def unblock():
    """Take back one of the member's blocks."""
    blocked_id = request.form.get("blocked_id", type=storable_int)
    if blocked_id is None:
        abort(400)
    try:
        service.unblock(current_user.id, blocked_id)
    except service.MixerError as exc:
        db.session.rollback()
        abort(exc.status)
    db.session.commit()
    flash(_("Block removed."), "success")
    return redirect(url_for("mixers.my_mixers"), 303)


# --- The member's exchange ------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/mixer")
@attendee_required
def home(event: Event):
    """The member's exchange at one mixer: number, window, next steps."""
    now = utcnow()
    registration = service.registration_of(event, current_user.id)
    profile = service.profile_of(event, current_user.id)
    settings = service.settings_of(event)
    win = service.window_of(event, settings)
    attendee = service.attendee_of(registration, profile, event)
    return render_template(
        "mixers/home.html",
        event=event,
        profile=profile,
        attendee=attendee,
        takes_part=rules.takes_part(attendee),
        settings=settings,
        window=win,
        state=rules.window_state(win, now),
        time_left=rules.time_left(win, now),
        retention_days=service.retention_days(),
        delete_form=DeleteDataForm(formdata=None),
    )


def _render_profile(event, form, status=200):
    return render_template("mixers/profile.html", event=event, form=form), status


@bp.route("/events/<int:event_id>/mixer/profile", methods=["GET", "POST"])
@attendee_required
def profile(event: Event):
    """Nickname, introduction, contact card and the two separate consents."""
    if request.method == "GET":
        existing = service.profile_of(event, current_user.id)
        registration = service.registration_of(event, current_user.id)
        if existing is None:
            form = ProfileForm(formdata=None, data={"single_declared": True})
        else:
            form = ProfileForm.for_profile(
                existing, registration.single_declared_at is not None, formdata=None
            )
        return _render_profile(event, form)
    form = ProfileForm()
    if not form.validate():
        return _render_profile(event, form, 400)
    try:
        service.save_profile(event, current_user, **form.values(), now=utcnow())
    except service.MixerError as exc:
        db.session.rollback()
        add_error(form, str(exc.message), exc.field)
        return _render_profile(_fresh(event), form, exc.status)
    db.session.commit()
    flash(_("Your exchange profile is saved."), "success")
    return redirect(url_for("mixers.home", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/mixer/withdraw")
@attendee_required
def withdraw(event: Event):
    """Withdraw the consent to release the contact card: the card is deleted."""
    service.withdraw_consent(event, current_user.id)
    db.session.commit()
    flash(_("Your contact card is deleted and shows to nobody."), "success")
    return redirect(url_for("mixers.home", event_id=event.id), 303)


def _set_up_first(event: Event):
    """An attendee checked in before they had a participant number: the card page gives one."""
    flash(str(service.NOT_READY), "warning")
    return redirect(url_for("mixers.profile", event_id=event.id), 303)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _tapper_key() -> str:
    """Marking taps are counted per member (a whole office may share one address)."""
    return f"member:{current_user.get_id()}"


@bp.errorhandler(429)
def too_many_taps(_error):
    """Too many marking taps: a fetch gets its refusal as JSON, like any other refused tap."""
    message = _("Too many taps in a short time. Please wait a moment and try again.")
    if _wants_json():
        return jsonify(error=message), 429
    page = render_template(
        "errors/error.html", code=429, title=_("Too many attempts"), message=message
    )
    return page, 429


@bp.route("/events/<int:event_id>/mixer/mark", methods=["GET", "POST"])
@attendee_required
@limiter.limit(
    lambda: current_app.config["MIXER_MARK_RATE_LIMIT"],
    methods=["POST"],
    key_func=_tapper_key,
)
def mark(event: Event):
    """The phone-first marking page; a tap saves at once (fetch), or as a form without JS."""
    now = utcnow()
    if request.method == "POST":
        form = MarkForm()
        if not form.validate():
            if _wants_json():
                return jsonify(error=_("The request could not be understood.")), 400
            abort(400)
        try:
            tap = service.set_mark(
                event, current_user.id, form.number.data, bool(form.marked.data), now
            )
        except service.MixerError as exc:
            db.session.rollback()
            if _wants_json():
                return jsonify(error=str(exc.message)), exc.status
            flash(str(exc.message), "error")
            return redirect(url_for("mixers.mark", event_id=event.id), 303)
        db.session.commit()
        matched = _("It's a match: you both marked each other. Their card is on your results page.")
        if _wants_json():
            answer = {"marked": bool(form.marked.data), "count": tap.count}
            if tap.match is not None:
                answer["match"] = tap.match
            if tap.match:
                answer["message"] = matched
            return jsonify(answer)
        if tap.match:
            flash(matched, "success")
        return redirect(
            url_for("mixers.mark", event_id=event.id, _anchor=f"p{form.number.data}"), 303
        )
    try:
        shown = service.board(event, current_user.id, now)
    except service.MixerError:
        return _set_up_first(event)
    return render_template("mixers/mark.html", event=event, board=shown, now=now)


@bp.get("/events/<int:event_id>/mixer/results")
@attendee_required
def results(event: Event):
    """Matches with their cards once revealed, introduction requests sent and received."""
    now = utcnow()
    try:
        shown = service.results(event, current_user.id, now)
    except service.MixerError:
        return _set_up_first(event)
    return render_template(
        "mixers/results.html",
        event=event,
        results=shown,
        now=now,
        answer_form=AnswerForm(formdata=None),
        RequestView=rules.RequestView,
    )


@bp.post("/events/<int:event_id>/mixer/matches/hide")
@attendee_required
def hide_match(event: Event):
    """Hide the match with the attendee `number` (form body): neither side sees the other's card
    any more."""
    try:
        service.hide_match(event, current_user.id, _number_arg(), utcnow())
    except service.MixerError as exc:
        db.session.rollback()
        abort(exc.status)
    db.session.commit()
    flash(_("The match is hidden."), "success")
    return redirect(url_for("mixers.results", event_id=event.id), 303)


def _person(event: Event, number: int, *, listed_only: bool) -> service.Participant:
    """Another attendee by `number` (404 when there is none, or, with `listed_only`, when they
    are not on the member's list). Blocking and reporting reach any other attendee: a number
    is on every badge at the venue, and a match who withdrew their card is no longer listed."""
    people = service.participants(event)
    me = people.get(current_user.id)
    settings = service.settings_of(event)
    blocks = service.blocks_touching([current_user.id])
    for person in people.values():
        if person.number != number or me is None or person.user_id == me.user_id:
            continue
        if rules.is_blocked(blocks, me.user_id, person.user_id):
            break
        if not listed_only or rules.is_listed(
            me.attendee, person.attendee, settings.visibility, blocks
        ):
            return person
    abort(404)


def _number_arg() -> int:
    """The other attendee's number from the query string (GET) or the form body (POST), never
    the URL path: paths reach the access log, and whom a member asks for or blocks is theirs."""
    number = request.values.get("number", type=storable_int)
    if number is None:
        abort(404)
    return number


@bp.route("/events/<int:event_id>/mixer/introduce", methods=["GET", "POST"])
@attendee_required
def introduce(event: Event):
    """Ask to be introduced to an attendee one did not match, with a short note."""
    number = _number_arg()
    person = _person(event, number, listed_only=True)
    form = IntroductionForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                service.send_request(event, current_user.id, number, form.note.data, utcnow())
            except service.MixerError as exc:
                db.session.rollback()
                add_error(form, str(exc.message), exc.field)
                status = exc.status
                event = _fresh(event)
            else:
                db.session.commit()
                flash(_("Your request is sent."), "success")
                return redirect(url_for("mixers.results", event_id=event.id), 303)
        else:
            status = 400
    return render_template("mixers/introduce.html", event=event, person=person, form=form), status


@bp.post("/events/<int:event_id>/mixer/requests/<int:request_id>/answer")
@attendee_required
def answer(event: Event, request_id: int):
    """The recipient accepts or declines an introduction request."""
    form = AnswerForm()
    if not form.validate():
        abort(400)
    try:
        service.answer_request(
            event, current_user.id, request_id, form.answer.data == "accept", utcnow()
        )
    except service.MixerError as exc:
        return _refused(exc, "mixers.results", event)
    db.session.commit()
    if form.answer.data == "accept":
        flash(_("Accepted: you can now see each other's contact cards."), "success")
    else:
        flash(_("Declined. They will not be told."), "success")
    return redirect(url_for("mixers.results", event_id=event.id), 303)


@bp.route("/events/<int:event_id>/mixer/safety", methods=["GET", "POST"])
@attendee_required
def safety(event: Event):
    """Block an attendee, or report them to the organizers."""
    number = _number_arg()
    person = _person(event, number, listed_only=False)
    form = ReportForm()
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        if action == "block":
            try:
                service.block(event, current_user.id, number, utcnow())
            except service.MixerError as exc:
                return _refused(exc, "mixers.home", event)
            db.session.commit()
            flash(_("Blocked. You will not see each other in any mixer."), "success")
            return redirect(url_for("mixers.home", event_id=event.id), 303)
        if action != "report":
            abort(400)
        if form.validate():
            try:
                service.report(event, current_user.id, number, form.reason.data, utcnow())
            except service.MixerError as exc:
                db.session.rollback()
                add_error(form, str(exc.message), exc.field)
                status = exc.status
                event = _fresh(event)
            else:
                db.session.commit()
                flash(_("Thank you. The organizers will look into it."), "success")
                return redirect(url_for("mixers.home", event_id=event.id), 303)
        else:
            status = 400
    return render_template("mixers/safety.html", event=event, person=person, form=form), status


@bp.get("/events/<int:event_id>/mixer/my-data.<any(json,xlsx):fmt>")
@attendee_required
def my_data(event: Event, fmt: str):
    """Download the member's own exchange data at this mixer, as JSON or XLSX."""
    try:
        data = service.member_data(event, current_user.id, utcnow())
    except service.MixerError as exc:
        abort(exc.status)
    filename = f"mixer-{event.id}-my-data.{fmt}"
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2)
        return attachment(body, filename=filename, mimetype="application/json")
    rows = service.member_data_rows(data)
    body = xlsx_bytes([_("Item"), _("Value")], rows, sheet_title=_("My exchange data"))
    return attachment(body, filename=filename, mimetype=XLSX_MIMETYPE)


@bp.post("/events/<int:event_id>/mixer/my-data/delete")
@attendee_required
def delete_my_data(event: Event):
    """Delete the member's exchange data at this mixer (after a confirming tick)."""
    form = DeleteDataForm()
    if not form.validate():
        flash(_("Please tick the box to confirm."), "error")
        return redirect(url_for("mixers.home", event_id=event.id), 303)
    service.delete_member_data(event, current_user.id, utcnow())
    db.session.commit()
    flash(_("Your exchange data at this mixer is deleted."), "success")
    return redirect(url_for("mixers.home", event_id=event.id), 303)


# --- Organizers ----------------------------------------------------------------------------------


def _render_manage(event, form=None, status=200):
    now = utcnow()
    settings = service.settings_of(event)
    win = service.window_of(event, settings)
    return render_template(
        "mixers/manage.html",
        event=event,
        form=form or SettingsForm.for_settings(settings, formdata=None),
        settings=settings,
        window=win,
        state=rules.window_state(win, now),
        counts=service.counts(event, now),
        people=service.participant_rows(event),
        open_reports=service.open_report_count(event),
    ), status


@bp.route("/events/<int:event_id>/mixer/manage", methods=["GET", "POST"])
@mixer_permission("manage")
def manage(event: Event):
    """Exchange settings, counts only, participants (remove from the exchange) and reports."""
    if request.method == "GET":
        return _render_manage(event)
    form = SettingsForm()
    if not form.validate():
        return _render_manage(event, form, 400)
    try:
        service.save_settings(event, current_user, **form.values(), now=utcnow())
    except service.MixerError as exc:
        db.session.rollback()
        add_error(form, str(exc.message), exc.field)
        return _render_manage(_fresh(event), form, exc.status)
    db.session.commit()
    flash(_("Exchange settings saved."), "success")
    return redirect(url_for("mixers.manage", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/mixer/participants/<int:number>/removal")
@mixer_permission("manage")
def removal(event: Event, number: int):
    """Take a participant out of the exchange, or let them back in."""
    form = RemovalForm()
    if not form.validate():
        abort(400)
    try:
        service.set_removed(event, current_user, number, bool(form.removed.data), utcnow())
    except service.MixerError as exc:
        db.session.rollback()
        abort(exc.status)
    db.session.commit()
    flash(
        _("Taken out of the exchange.") if form.removed.data else _("Back in the exchange."),
        "success",
    )
    return redirect(url_for("mixers.manage", event_id=event.id), 303)


@bp.get("/events/<int:event_id>/mixer/reports")
@mixer_permission("manage")
def reports(event: Event):
    """Members' reports about other attendees, for the organizers to review."""
    return render_template("mixers/reports.html", event=event, rows=service.reports_of(event))


@bp.post("/events/<int:event_id>/mixer/reports/<int:report_id>/review")
@mixer_permission("manage")
def review(event: Event, report_id: int):
    """Mark a report as reviewed."""
    try:
        service.review_report(event, current_user, report_id, utcnow())
    except service.MixerError as exc:
        db.session.rollback()
        abort(exc.status)
    db.session.commit()
    flash(_("Report marked as reviewed."), "success")
    return redirect(url_for("mixers.reports", event_id=event.id), 303)


# --- Union statistics (admins) -------------------------------------------------------------------


@bp.get("/admin/mixer-stats")
@role_required(Role.ADMIN)
def stats():
    """The mixers of the organizations the admin administers (a platform admin: every one) by
    year and month: counts only, nothing about any person."""
    scope = None if current_user.is_admin else managed_organization_ids(current_user, Role.ADMIN)
    return render_template("mixers/stats.html", stats=union_stats(utcnow(), scope))
