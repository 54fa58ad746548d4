"""Skills competition pages: set-up, judges and recusal, score sheets, rankings, explanations,
awards, publication, objections, paper double entry, exports; public results."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.competitions import exports, rules, service
from eventsite.competitions.forms import (
    AffiliationForm,
    AwardsForm,
    ConflictForm,
    CriteriaForm,
    DecisionForm,
    JudgeForm,
    LeaderForm,
    ObjectionForm,
    PaperForm,
    PublishForm,
    ReopenForm,
    RoundForm,
    SheetForm,
    StateForm,
    UnpublishForm,
    add_error,
)
from eventsite.competitions.models import AwardScope, Objection, Round
from eventsite.competitions.permissions import (
    competition_permission,
    judge_required,
    objector_required,
    sheet_permission,
    team_leader_required,
)
from eventsite.core.exports import XLSX_MIMETYPE, attachment
from eventsite.core.inputs import storable_int
from eventsite.core.permissions import login_required
from eventsite.core.time import format_local, utcnow
from eventsite.events import message_pages, roster_messages
from eventsite.events.models import Event
from eventsite.events.permissions import can_manage
from eventsite.extensions import db

bp = Blueprint("competitions", __name__, url_prefix="/competitions")


@bp.app_template_filter("score")
def score_filter(value) -> str:
    """A score or total for display: two decimals, rounded half up; empty when not scored."""
    return rules.format_score(None if value is None else Decimal(value))


@bp.app_template_filter("score4")
def score4_filter(value) -> str:
    """A total to 4 decimals, for the explanation page only (ranking keeps the exact value)."""
    return rules.format_score(None if value is None else Decimal(value), places=4)


@bp.app_template_filter("plain_score")
def plain_score(value) -> str:
    """A typed score as typed: 8.50 → 8.5."""
    return service.plain(None if value is None else Decimal(value))


def _fresh(event: Event) -> Event:
    return db.session.get(Event, event.id)


def _wants_json() -> bool:
    return request.headers.get("X-Autosave") == "1"


# --- Organizers: set-up ---------------------------------------------------------------------------


@bp.get("/<int:event_id>")
@competition_permission("manage")
def setup(event: Event):
    """The competition's rounds, team leaders, judges' affiliations and declared conflicts."""
    return _render_setup(event)


def _render_setup(event, *, leader_form=None, conflict_form=None, status=200):
    rounds = service.rounds_of(event)
    judges = service.judges_of_event(event)
    contestants = service.round_registrations(rounds[0]) if rounds else []
    leader_form = leader_form or LeaderForm()
    leader_form.offer(event.teams)
    conflict_form = conflict_form or ConflictForm()
    conflict_form.offer(judges, contestants)
    return render_template(
        "competitions/setup.html",
        event=event,
        rounds=rounds,
        judges=judges,
        affiliations=service.affiliations_of(event),
        conflicts=service.conflicts_of(event),
        leaders=service.team_leaders_of(event),
        leader_form=leader_form,
        conflict_form=conflict_form,
        round_form=RoundForm(formdata=None),
    ), status


@bp.route("/<int:event_id>/rounds/new", methods=["GET", "POST"])
@competition_permission("manage")
def new_round(event: Event):
    """Add a round (preliminary, final …)."""
    form = RoundForm()
    if request.method == "POST":
        if form.validate():
            try:
                created = service.create_round(event, current_user, **form.values())
            except service.CompetitionError as exc:
                db.session.rollback()
                add_error(form, exc.message, exc.field)
            else:
                db.session.commit()
                flash(_("Round added. Now list its criteria."), "success")
                return redirect(
                    url_for("competitions.edit_round", event_id=event.id, round_id=created.id), 303
                )
        return render_template("competitions/round_new.html", event=_fresh(event), form=form), 400
    return render_template("competitions/round_new.html", event=event, form=form)


def _render_round(event, round_, *, form=None, criteria_form=None, status=200):
    form = form or RoundForm.for_round(round_)
    if criteria_form is None:
        criteria_form = CriteriaForm.for_round(round_)
    else:
        criteria_form.offer(round_)
    return render_template(
        "competitions/round_edit.html",
        event=event,
        round=round_,
        form=form,
        criteria_form=criteria_form,
    ), status


@bp.route("/<int:event_id>/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@competition_permission("manage")
def edit_round(event: Event, round: Round):
    """A round's settings: name, advancing places, aggregation, coverage, paper mode."""
    if request.method == "GET":
        return _render_round(event, round)
    form = RoundForm()
    if not form.validate():
        return _render_round(event, round, form=form, status=400)
    try:
        service.update_round(round, current_user, **form.values())
    except service.CompetitionError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_round(_fresh(event), db.session.get(Round, round.id), form=form, status=400)
    db.session.commit()
    flash(_("Round settings saved."), "success")
    return redirect(url_for("competitions.edit_round", event_id=event.id, round_id=round.id), 303)


@bp.post("/<int:event_id>/rounds/<int:round_id>/criteria")
@competition_permission("manage")
def save_criteria(event: Event, round: Round):
    """The round's criteria (name, maximum, weight, step, tolerance) and tie-break chain."""
    form = CriteriaForm()
    form.offer(round)
    if not form.validate():
        return _render_round(event, round, criteria_form=form, status=400)
    try:
        service.save_criteria(round, current_user, form.rows(), form.chain())
    except service.SheetRefused as exc:
        db.session.rollback()
        form.show_errors(exc.errors)
        return _render_round(
            _fresh(event), db.session.get(Round, round.id), criteria_form=form, status=400
        )
    except service.CompetitionError as exc:
        db.session.rollback()
        form.form_errors.append(exc.message)
        return _render_round(
            _fresh(event), db.session.get(Round, round.id), criteria_form=form, status=409
        )
    db.session.commit()
    flash(_("Criteria saved."), "success")
    return redirect(url_for("competitions.edit_round", event_id=event.id, round_id=round.id), 303)


@bp.post("/<int:event_id>/leaders")
@competition_permission("manage")
def add_leader(event: Event):
    """Name a team's leader (领队)."""
    form = LeaderForm()
    form.offer(event.teams)
    if not form.validate():
        return _render_setup(event, leader_form=form, status=400)
    try:
        service.add_team_leader(event, current_user, form.team_id.data, form.mobile.data)
    except service.CompetitionError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_setup(_fresh(event), leader_form=form, status=400)
    db.session.commit()
    flash(_("Team leader added."), "success")
    return redirect(url_for("competitions.setup", event_id=event.id), 303)


@bp.app_context_processor
def teams_led_in_pages() -> dict:
    """`teams_led(event)` for the event page: the competition's teams the member leads, whom
    they may message (one indexed query, only where the page asks)."""

    def teams_led(event: Event) -> list:
        return service.teams_led(current_user, event)

    return {"teams_led": teams_led}


def _team_message_steps(event: Event, team) -> message_pages.Steps:
    write = url_for("competitions.team_message", event_id=event.id, team_id=team.id)
    return message_pages.Steps(
        write=write,
        send=url_for("competitions.send_team_message", event_id=event.id, team_id=team.id),
        done=write,
        back=url_for("events.detail", event_id=event.id),
        back_label=_("Back to the event"),
    )


@bp.route("/<int:event_id>/teams/<int:team_id>/message", methods=["GET", "POST"])
@team_leader_required
def team_message(event: Event, team):
    """A team leader writes to the team's confirmed contestants, and previews the message."""
    audience = roster_messages.Audience(event, team=team)
    return message_pages.write(audience, _team_message_steps(event, team))


@bp.post("/<int:event_id>/teams/<int:team_id>/message/send")
@team_leader_required
def send_team_message(event: Event, team):
    """Send the previewed message to the team's confirmed contestants."""
    audience = roster_messages.Audience(event, team=team)
    return message_pages.send(audience, _team_message_steps(event, team))


@bp.post("/<int:event_id>/conflicts")
@competition_permission("manage")
def declare_conflict(event: Event):
    """Record a judge's declared conflict with a contestant: recused from scoring them."""
    form = ConflictForm()
    if not form.validate() or not form.judge_id.data or not form.registration_id.data:
        form.form_errors.append(_("Choose a judge and a contestant."))
        return _render_setup(event, conflict_form=form, status=400)
    judge = next((j for j in service.judges_of_event(event) if j.id == form.judge_id.data), None)
    registration = service.contestant_of(event, form.registration_id.data)
    if judge is None or registration is None:
        form.form_errors.append(_("Choose a judge and a contestant."))
        return _render_setup(event, conflict_form=form, status=400)
    try:
        service.declare_conflict(event, current_user, judge, registration, form.reason.data)
    except service.CompetitionError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_setup(_fresh(event), conflict_form=form, status=400)
    db.session.commit()
    flash(_("Conflict recorded: the judge will not score this contestant."), "success")
    return redirect(url_for("competitions.setup", event_id=event.id), 303)


@bp.post("/<int:event_id>/conflicts/<int:judge_id>/<int:registration_id>/remove")
@competition_permission("manage")
def remove_conflict(event: Event, judge_id: int, registration_id: int):
    """Withdraw a declared conflict."""
    try:
        service.remove_conflict(event, current_user, judge_id, registration_id)
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("competitions.setup", event_id=event.id), 303)
    db.session.commit()
    flash(_("Conflict withdrawn."), "success")
    return redirect(url_for("competitions.setup", event_id=event.id), 303)


# --- Organizers: judges and coverage -------------------------------------------------------------


def _render_judges(event, round_, *, form=None, status=200):
    board = service.load_board(round_)
    form = form or JudgeForm(formdata=None)
    form.offer(board.tracks)
    return render_template(
        "competitions/judges.html",
        event=event,
        round=round_,
        board=board,
        form=form,
        assignments=service.assignments_of(round_),
    ), status


@bp.route("/<int:event_id>/rounds/<int:round_id>/judges", methods=["GET", "POST"])
@competition_permission("manage")
def judges(event: Event, round: Round):
    """Assign judges to the round's tracks; coverage: each contestant's eligible judges."""
    if request.method == "GET":
        return _render_judges(event, round)
    form = JudgeForm()
    form.offer(event.tracks)
    if not form.validate():
        return _render_judges(event, round, form=form, status=400)
    try:
        service.assign_judge(round, current_user, form.mobile.data, form.tracks.data or [])
    except service.CompetitionError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_judges(_fresh(event), db.session.get(Round, round.id), form=form, status=400)
    db.session.commit()
    flash(_("Judge assigned."), "success")
    return redirect(url_for("competitions.judges", event_id=event.id, round_id=round.id), 303)


@bp.post("/<int:event_id>/rounds/<int:round_id>/judges/<int:assignment_id>/remove")
@competition_permission("manage")
def unassign_judge(event: Event, round: Round, assignment_id: int):
    """Take a judge off a track of the round."""
    try:
        service.unassign_judge(round, current_user, assignment_id)
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Judge taken off the track."), "success")
    return redirect(url_for("competitions.judges", event_id=event.id, round_id=round.id), 303)


@bp.post("/<int:event_id>/judges/<int:judge_id>/teams")
@competition_permission("manage")
def judge_teams(event: Event, judge_id: int):
    """The teams a judge belongs to: recused from their contestants everywhere."""
    form = AffiliationForm()
    judge = next((j for j in service.judges_of_event(event) if j.id == judge_id), None)
    if judge is None:
        abort(404)
    if not form.validate() or form.judge_id.data != judge_id:
        flash(_("The form was incomplete; nothing changed."), "error")
        return redirect(url_for("competitions.setup", event_id=event.id), 303)
    try:
        service.set_affiliations(event, current_user, judge, form.teams.data or [])
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("competitions.setup", event_id=event.id), 303)
    db.session.commit()
    flash(_("Affiliations of %(name)s saved.", name=judge.name), "success")
    return redirect(url_for("competitions.setup", event_id=event.id), 303)


# --- Organizers: progress, ranking, explanation, contestants' status -----------------------------


@bp.get("/<int:event_id>/rounds/<int:round_id>/progress")
@competition_permission("manage")
def progress(event: Event, round: Round):
    """Every judge's progress and every missing sheet of the round."""
    board = service.load_board(round)
    return render_template(
        "competitions/progress.html",
        event=event,
        round=round,
        board=board,
        progress=board.judge_progress(),
    )


def _track_arg(board) -> int | None:
    wanted = request.args.get("track", type=storable_int)
    return wanted if any(t.id == wanted for t in board.tracks) else None


@bp.get("/<int:event_id>/rounds/<int:round_id>/ranking")
@competition_permission("manage")
def ranking(event: Event, round: Round):
    """The round's ranking per track (or overall), provisional while sheets are missing."""
    return _ranking_page(event, round, PublishForm(formdata=None))


def _ranking_page(event: Event, round: Round, publish_form: PublishForm, status: int = 200):
    board = service.load_board(round)
    track_id = _track_arg(board)
    shown = board.ranking(track_id) if track_id else board.overall
    page = render_template(
        "competitions/ranking.html",
        event=event,
        round=round,
        board=board,
        track_id=track_id,
        shown=shown,
        awards=service.awards_of(board),
        teams_table=service.team_ranking(board),
        state=service.results_state(round, utcnow()),
        unpublish_form=UnpublishForm(formdata=None),
        state_form=StateForm(formdata=None),
        publish_form=publish_form,
    )
    return page, status


@bp.get("/<int:event_id>/rounds/<int:round_id>/contestants/<int:registration_id>")
@competition_permission("manage")
def explanation(event: Event, round: Round, registration_id: int):
    """One contestant's score explanation: every judge's sheet, what was dropped, the total."""
    board = service.load_board(round)
    if registration_id not in board.registrations:
        abort(404)
    track_ranking = board.ranking(board.registrations[registration_id].track_id)
    return render_template(
        "competitions/explanation.html",
        event=event,
        round=round,
        board=board,
        registration=board.registrations[registration_id],
        placing=track_ranking.placing(registration_id),
        overall=board.overall.placing(registration_id),
        missing_judges=[
            board.judges[judge_id] for judge_id, who in board.missing if who == registration_id
        ],
        sheets=[s for s in board.sheets if s.registration_id == registration_id],
        histories=service.histories_of(
            s for s in board.sheets if s.registration_id == registration_id
        ),
        state_form=StateForm(formdata=None),
        reopen_form=ReopenForm(formdata=None),
        applied=service.rules_applied(round),
    )


@bp.post("/<int:event_id>/rounds/<int:round_id>/contestants/<int:registration_id>/state")
@competition_permission("manage")
def contestant_state(event: Event, round: Round, registration_id: int):
    """Withdraw or disqualify a contestant (or put them back)."""
    registration = service.contestant_of(event, registration_id)
    if registration is None:
        abort(404)
    form = StateForm()
    back = url_for(
        "competitions.explanation",
        event_id=event.id,
        round_id=round.id,
        registration_id=registration_id,
    )
    if not form.validate():
        flash(_("Choose a status."), "error")
        return redirect(back, 303)
    try:
        service.set_contestant_state(
            event, current_user, registration, form.state.data, form.reason.data
        )
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back, 303)
    db.session.commit()
    flash(_("Contestant's status saved."), "success")
    return redirect(back, 303)


@bp.get("/<int:event_id>/sheets/<int:sheet_id>")
@sheet_permission
def sheet(event: Event, sheet):
    """One sheet with its history: for its judge and the event's managers."""
    return render_template(
        "competitions/sheet.html",
        event=event,
        round=sheet.round,
        sheet=sheet,
        history=service.sheet_history(sheet),
        reopen_form=ReopenForm(formdata=None),
        manager=can_manage(current_user, event),
    )


@bp.post("/<int:event_id>/sheets/<int:sheet_id>/reopen")
@competition_permission("manage")
def reopen(event: Event, sheet_id: int):
    """The chief judge reopens a submitted sheet, with a reason."""
    found = service.sheet_of(event, sheet_id)
    if found is None:
        abort(404)
    form = ReopenForm()
    if not form.validate():
        flash(_("Give the reason for reopening the sheet."), "error")
        return redirect(url_for("competitions.sheet", event_id=event.id, sheet_id=sheet_id), 303)
    try:
        service.reopen_sheet(found, current_user, form.reason.data)
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("competitions.sheet", event_id=event.id, sheet_id=sheet_id), 303)
    db.session.commit()
    flash(_("Sheet reopened; the judge has been told."), "success")
    return redirect(url_for("competitions.sheet", event_id=event.id, sheet_id=sheet_id), 303)


# --- Organizers: awards, publication, objections ------------------------------------------------


def _render_awards(event, round_, form=None, status=200):
    board = service.load_board(round_)
    return render_template(
        "competitions/awards.html",
        event=event,
        round=round_,
        board=board,
        form=form or AwardsForm.for_round(round_),
        awards=service.awards_of(board),
        teams_table=service.team_ranking(board),
    ), status


@bp.route("/<int:event_id>/rounds/<int:round_id>/awards", methods=["GET", "POST"])
@competition_permission("manage")
def awards(event: Event, round: Round):
    """Award tiers by count or percentage, per track or overall, and the team ranking."""
    if request.method == "GET":
        return _render_awards(event, round)
    form = AwardsForm()
    if not form.validate():
        return _render_awards(event, round, form, 400)
    try:
        service.save_awards(round, current_user, **form.values())
    except service.SheetRefused as exc:
        db.session.rollback()
        form.show_errors(exc.errors)
        return _render_awards(_fresh(event), db.session.get(Round, round.id), form, 400)
    except service.CompetitionError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_awards(_fresh(event), db.session.get(Round, round.id), form, 400)
    db.session.commit()
    flash(_("Awards saved."), "success")
    return redirect(url_for("competitions.awards", event_id=event.id, round_id=round.id), 303)


@bp.post("/<int:event_id>/rounds/<int:round_id>/publish")
@competition_permission("manage")
def publish(event: Event, round: Round):
    """Publish the round's results: provisional through the objection period, then final."""
    form = PublishForm()
    if not form.validate():
        return _ranking_page(event, round, form, 400)
    try:
        service.publish_results(round, current_user, flags_checked=form.flags_checked.data)
    except service.CompetitionError as exc:
        db.session.rollback()
        if exc.field:
            add_error(form, exc.message, exc.field)
            return _ranking_page(event, round, form, 400)
        flash(exc.message, "error")
        return redirect(url_for("competitions.ranking", event_id=event.id, round_id=round.id), 303)
    db.session.commit()
    flash(
        _(
            "Results published; objections are open until %(end)s.",
            end=format_local(round.objection_ends_at),
        ),
        "success",
    )
    return redirect(url_for("competitions.ranking", event_id=event.id, round_id=round.id), 303)


@bp.post("/<int:event_id>/rounds/<int:round_id>/unpublish")
@competition_permission("manage")
def unpublish(event: Event, round: Round):
    """Withdraw published results, with a reason (e.g. after an upheld objection)."""
    form = UnpublishForm()
    if not form.validate():
        flash(_("Give the reason for withdrawing the results."), "error")
        return redirect(url_for("competitions.ranking", event_id=event.id, round_id=round.id), 303)
    try:
        service.withdraw_publication(round, current_user, form.reason.data)
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("competitions.ranking", event_id=event.id, round_id=round.id), 303)
    db.session.commit()
    flash(_("Results withdrawn from the public page."), "success")
    return redirect(url_for("competitions.ranking", event_id=event.id, round_id=round.id), 303)


@bp.get("/<int:event_id>/rounds/<int:round_id>/objections")
@competition_permission("manage")
def objections(event: Event, round: Round):
    """The round's objections, with the decision form for the open ones."""
    return render_template(
        "competitions/objections.html",
        event=event,
        round=round,
        objections=service.objections_of(round),
        form=DecisionForm(formdata=None),
        blank=DecisionForm(formdata=None),
        failed=None,
        state=service.results_state(round, utcnow()),
    )


@bp.post("/<int:event_id>/rounds/<int:round_id>/objections/<int:objection_id>/decide")
@competition_permission("manage")
def decide(event: Event, round: Round, objection_id: int):
    """Decide an objection in writing; the decision is logged and the objector told."""
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.round_id != round.id:
        abort(404)
    form = DecisionForm()
    if form.validate():
        try:
            service.decide_objection(objection, current_user, form.decision.data, form.text.data)
        except service.CompetitionError as exc:
            db.session.rollback()
            add_error(form, exc.message, exc.field)
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
            return redirect(
                url_for("competitions.objections", event_id=event.id, round_id=round.id), 303
            )
    return render_template(
        "competitions/objections.html",
        event=event,
        round=round,
        objections=service.objections_of(round),
        form=form,
        blank=DecisionForm(formdata=None),
        failed=objection_id,
        state=service.results_state(round, utcnow()),
    ), 400


# --- Organizers: paper double entry -------------------------------------------------------------


def _render_paper(event, round_, *, form=None, errors=None, typed=None, status=200):
    board = service.load_board(round_)
    form = form or PaperForm(formdata=None)
    form.offer(sorted(board.judges.values(), key=lambda u: u.name), board.registrations.values())
    return render_template(
        "competitions/paper.html",
        event=event,
        round=round_,
        board=board,
        form=form,
        pairs=service.paper_pairs(round_),
        errors=errors or {},
        typed=typed or {},
    ), status


@bp.route("/<int:event_id>/rounds/<int:round_id>/paper", methods=["GET", "POST"])
@competition_permission("manage")
def paper(event: Event, round: Round):
    """Double entry of paper sheets: each sheet typed by two clerks; disagreements listed."""
    if not round.double_entry:
        abort(404)
    if request.method == "GET":
        return _render_paper(event, round)
    form = PaperForm()
    board = service.load_board(round)
    form.offer(board.judges.values(), board.registrations.values())
    typed = {key: value for key, value in request.form.items() if key.startswith("score_")}
    judge = board.judges.get(form.judge_id.data)
    registration = board.registration(form.registration_id.data)
    if not form.validate() or judge is None or registration is None:
        form.form_errors.append(_("Choose the judge and the contestant on the paper sheet."))
        return _render_paper(event, round, form=form, typed=typed, status=400)
    try:
        values = service.parse_scores(round, request.form)
        pair = service.enter_paper_sheet(round, current_user, judge, registration, values)
    except service.SheetRefused as exc:
        db.session.rollback()
        return _render_paper(
            _fresh(event),
            db.session.get(Round, round.id),
            form=form,
            errors=exc.errors,
            typed=typed,
            status=400,
        )
    except service.CompetitionError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_paper(
            _fresh(event), db.session.get(Round, round.id), form=form, typed=typed, status=400
        )
    db.session.commit()
    if pair.comparison is None:
        flash(_("First entry saved; a second clerk now types the same sheet."), "success")
    elif pair.comparison.agree:
        flash(_("Both entries agree: the sheet counts."), "success")
    else:
        flash(_("The two entries disagree; the chief judge resolves it below."), "warning")
    return redirect(url_for("competitions.paper", event_id=event.id, round_id=round.id), 303)


@bp.post("/<int:event_id>/rounds/<int:round_id>/paper/<int:judge_id>/<int:registration_id>/resolve")
@competition_permission("manage")
def resolve_paper(event: Event, round: Round, judge_id: int, registration_id: int):
    """The chief judge reads the paper and settles two disagreeing entries."""
    board = service.load_board(round)
    judge = board.judges.get(judge_id)
    registration = board.registration(registration_id)
    if judge is None or registration is None or not round.double_entry:
        abort(404)
    try:
        values = service.parse_scores(round, request.form)
        service.resolve_paper_sheet(round, current_user, judge, registration, values)
    except service.SheetRefused as exc:
        db.session.rollback()
        flash("；".join(exc.errors.values()), "error")
        return redirect(url_for("competitions.paper", event_id=event.id, round_id=round.id), 303)
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("competitions.paper", event_id=event.id, round_id=round.id), 303)
    db.session.commit()
    flash(_("Resolved: the sheet counts with the values read from the paper."), "success")
    return redirect(url_for("competitions.paper", event_id=event.id, round_id=round.id), 303)


# --- Organizers: exports and print ---------------------------------------------------------------


@bp.get("/<int:event_id>/rounds/<int:round_id>/results.xlsx")
@competition_permission("manage")
def export_xlsx(event: Event, round: Round):
    """XLSX: the ranking and every judge's sheet."""
    board = service.load_board(round)
    return attachment(
        exports.results_workbook(board),
        filename=f"competition-{event.id}-round-{round.id}.xlsx",
        mimetype=XLSX_MIMETYPE,
    )


@bp.get("/<int:event_id>/rounds/<int:round_id>/awards.xlsx")
@competition_permission("manage")
def export_awards(event: Event, round: Round):
    """XLSX: the awards list for printing certificates."""
    board = service.load_board(round)
    return attachment(
        exports.awards_workbook(board, service.awards_of(board)),
        filename=f"competition-{event.id}-round-{round.id}-awards.xlsx",
        mimetype=XLSX_MIMETYPE,
    )


@bp.get("/<int:event_id>/rounds/<int:round_id>/print")
@competition_permission("manage")
def print_sheets(event: Event, round: Round):
    """Printable blank scoring sheets, one page per judge and contestant (A4)."""
    board = service.load_board(round)
    judge_id = request.args.get("judge", type=storable_int)
    return render_template(
        "competitions/print.html",
        event=event,
        round=round,
        board=board,
        pages=exports.blank_pages(board, judge_id),
        judge_id=judge_id,
    )


# --- Judges ---------------------------------------------------------------------------------------


@bp.get("/my-sheets")
@login_required
def my_sheets():
    """The judge's rounds across competitions, with their progress in each."""
    return render_template("competitions/my_sheets.html", duties=service.duties_of(current_user))


@bp.get("/<int:event_id>/rounds/<int:round_id>/score")
@judge_required
def judge_round(event: Event, round: Round):
    """The judge's contestants in a round, with each sheet's state."""
    board = service.load_board(round, judge=current_user)
    mine = [contestant for judge_id, contestant in board.expected if judge_id == current_user.id]
    submitted = {
        c for c in mine if (s := board.sheet_by_pair.get((current_user.id, c))) and s.submitted
    }
    return render_template(
        "competitions/judge_round.html",
        event=event,
        round=round,
        board=board,
        contestants=rules.still_to_score_first(mine, submitted),
        done=len(submitted),
    )


def _render_score(
    event, round_, registration, *, sheet, form, errors=None, typed=None, stale=None, status=200
):
    values = {cid: service.plain(v) for cid, v in (sheet.values if sheet else {}).items()}
    if typed is not None:
        values = {c.id: typed.get(service.score_field(c.id), "") for c in round_.criteria}
    return render_template(
        "competitions/score.html",
        event=event,
        round=round_,
        registration=registration,
        sheet=sheet,
        form=form,
        values=values,
        errors=errors or {},
        stale=stale,
        field_name=service.score_field,
        recuse_form=ReopenForm(formdata=None),
    ), status


def _sheet_json(sheet) -> dict:
    return {
        "version": sheet.version,
        "submitted": sheet.submitted_at is not None,
        "scores": {service.score_field(cid): service.plain(v) for cid, v in sheet.values.items()},
        "comment": sheet.comment,
        "saved_at": format_local(sheet.updated_at, "%Y-%m-%d %H:%M:%S"),
    }


@bp.route(
    "/<int:event_id>/rounds/<int:round_id>/score/<int:registration_id>", methods=["GET", "POST"]
)
@judge_required
def score(event: Event, round: Round, registration):
    """The judge's sheet for one contestant: save a draft (also autosaved) or submit (locks)."""
    if request.method == "GET":
        current = service.sheet_for(round, current_user.id, registration.id)
        form = SheetForm(
            formdata=None,
            data={
                "version": current.version if current else 0,
                "comment": current.comment if current else "",
            },
        )
        return _render_score(event, round, registration, sheet=current, form=form)
    form = SheetForm()
    typed = {key: value for key, value in request.form.items() if key.startswith("score_")}
    if not form.validate():
        if _wants_json():
            return jsonify({"ok": False, "errors": {k: v[0] for k, v in form.errors.items()}}), 400
        current = service.sheet_for(round, current_user.id, registration.id)
        return _render_score(
            event, round, registration, sheet=current, form=form, typed=typed, status=400
        )
    try:
        values = service.parse_scores(round, request.form)
        saved = service.save_sheet(
            round,
            current_user,
            registration,
            current_user,
            loaded_version=form.version.data,
            values=values,
            comment=form.comment.data or "",
            submit=form.action.data == "submit",
        )
    except service.SheetRefused as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify({"ok": False, "errors": exc.errors}), 400
        current = service.sheet_for(round, current_user.id, registration.id)
        return _render_score(
            event,
            round,
            registration,
            sheet=current,
            form=form,
            errors=exc.errors,
            typed=typed,
            status=400,
        )
    except (service.StaleSheet, service.SheetLocked) as exc:
        db.session.rollback()
        stale = isinstance(exc, service.StaleSheet)
        message = (
            _(
                "This sheet was changed elsewhere (another tab or device) after you opened it. Nothing was saved: the current values are shown; check them and save again."
            )
            if stale
            else _("This sheet is submitted and locked; only the chief judge can reopen it.")
        )
        if _wants_json():
            return jsonify(
                {"ok": False, "stale": True, "message": message, "current": _sheet_json(exc.sheet)}
            ), 409
        latest = service.sheet_for(round, current_user.id, registration.id)
        fresh_form = SheetForm(
            formdata=None, data={"version": latest.version, "comment": latest.comment}
        )
        return _render_score(
            event,
            round,
            registration,
            sheet=latest,
            form=fresh_form,
            stale={"message": message, "typed": typed, "comment": form.comment.data},
            status=409,
        )
    except service.CompetitionError as exc:
        db.session.rollback()
        if _wants_json():
            return jsonify({"ok": False, "message": exc.message}), 409
        flash(exc.message, "error")
        return redirect(request.path, 303)
    # What the answer shows, read before the commit expires the saved sheet.
    if _wants_json():
        answer = _sheet_json(saved)
        db.session.commit()
        return jsonify({"ok": True, **answer})
    if saved.submitted_at is None:
        db.session.commit()
        flash(_("Draft saved."), "success")
        return redirect(request.path, 303)
    name, back = registration.user.name, {"event_id": event.id, "round_id": round.id}
    db.session.commit()
    flash(_("Sheet for %(name)s submitted.", name=name), "success")
    return redirect(url_for("competitions.judge_round", **back), 303)


@bp.post("/<int:event_id>/rounds/<int:round_id>/score/<int:registration_id>/recuse")
@judge_required
def recuse(event: Event, round: Round, registration):
    """A judge declares a conflict with a contestant (knows them, same unit …): recused."""
    form = ReopenForm()  # one required reason, as for a reopening
    if not form.validate():
        flash(_("Give the reason for the conflict."), "error")
        return redirect(
            url_for(
                "competitions.score",
                event_id=event.id,
                round_id=round.id,
                registration_id=registration.id,
            ),
            303,
        )
    try:
        service.declare_conflict(event, current_user, current_user, registration, form.reason.data)
    except service.CompetitionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(
            url_for("competitions.judge_round", event_id=event.id, round_id=round.id), 303
        )
    db.session.commit()
    flash(
        _("Conflict declared: you will not score %(name)s.", name=registration.user.name), "success"
    )
    return redirect(url_for("competitions.judge_round", event_id=event.id, round_id=round.id), 303)


# --- Public results and objections ---------------------------------------------------------------


@bp.get("/<int:event_id>/results")
@competition_permission("view")
def results(event: Event):
    """Published results per track: ranks, totals and awards; provisional during 公示."""
    now = utcnow()
    published = service.published_rounds(event, now)
    round_id = request.args.get("round", type=storable_int)
    chosen = next((r for r in published if r.id == round_id), published[-1] if published else None)
    board = service.load_board(chosen) if chosen else None
    track_id = _track_arg(board) if board else None
    # Awards decided across all tracks only make sense beside the overall ranking: it is then
    # the first tab; per-track awards open on the first track.
    overall_awards = bool(chosen and chosen.award_scope == AwardScope.OVERALL)
    if board and track_id is None and board.tracks and not overall_awards:
        track_id = board.tracks[0].id
    return render_template(
        "competitions/results.html",
        event=event,
        rounds=published,
        round=chosen,
        board=board,
        track_id=track_id,
        overall_awards=overall_awards,
        shown=(board.ranking(track_id) if track_id else board.overall) if board else None,
        awards=service.awards_of(board) if board else None,
        teams_table=service.team_ranking(board) if board else (),
        state=service.results_state(chosen, now) if chosen else None,
        manager=can_manage(current_user, event),
        objectable=bool(chosen and service.objectable_contestants(chosen, current_user)),
    )


@bp.route("/<int:event_id>/rounds/<int:round_id>/object", methods=["GET", "POST"])
@objector_required
def lodge_objection(event: Event, round: Round, contestants):
    """An objection in writing, by the contestant or their team leader, within 公示."""
    form = ObjectionForm()
    form.offer(contestants)
    state = service.results_state(round, utcnow())
    mine = [o for o in service.objections_of(round) if o.submitted_by_id == current_user.id]
    if request.method == "POST":
        registration = next((r for r in contestants if r.id == form.registration_id.data), None)
        if form.validate() and registration is not None:
            try:
                service.lodge_objection(round, current_user, registration, form.text.data)
            except service.CompetitionError as exc:
                db.session.rollback()
                add_error(form, exc.message, exc.field)
            else:
                db.session.commit()
                flash(_("Objection received; the organizer will decide and tell you."), "success")
                return redirect(
                    url_for("competitions.results", event_id=event.id, round=round.id), 303
                )
        elif registration is None:
            add_error(form, _("Choose the contestant the objection is about."), "registration_id")
        return render_template(
            "competitions/objection_form.html",
            event=event,
            round=round,
            form=form,
            state=state,
            mine=mine,
        ), 400
    return render_template(
        "competitions/objection_form.html",
        event=event,
        round=round,
        form=form,
        state=state,
        mine=mine,
    )
