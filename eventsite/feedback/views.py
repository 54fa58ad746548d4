"""The feedback survey for attendees and its results for organizers."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.core.pagination import page_arg
from eventsite.core.time import utcnow
from eventsite.events.models import Event
from eventsite.events.permissions import event_permission
from eventsite.extensions import db
from eventsite.feedback import rules, service
from eventsite.feedback.forms import RATING_TITLES, FeedbackForm, input_message
from eventsite.feedback.permissions import attendee_required
from eventsite.questions.forms import QuestionProblems, problem_messages, raw_answers, specs_of

bp = Blueprint("feedback", __name__)


def _render_survey(event, form, questions, *, values=None, problems=None, status=200):
    now = utcnow()
    refused = service.standing(event, current_user.id, now)
    return render_template(
        "feedback/survey.html",
        event=event,
        form=form,
        questions=questions,
        values=values or {},
        problems=problems or {},
        question_problems=QuestionProblems(questions, problems or {}),
        refused=refused,
        refused_message=service.refusal_message(refused) if refused else None,
        closes=rules.window(event.ends_at)[1],
    ), status


@bp.route("/events/<int:event_id>/feedback", methods=["GET", "POST"])
@attendee_required
def survey(event: Event):
    """The event's feedback survey: a rating, a comment and the organizer's questions."""
    questions = service.feedback_questions(event.id)
    form = FeedbackForm()
    if request.method == "GET":
        return _render_survey(event, form, questions)
    values = raw_answers(request.form, questions)
    if not form.validate_on_submit():
        return _render_survey(event, form, questions, values=values, status=400)
    try:
        outcome = service.submit(
            event,
            current_user,
            rating_sent=request.form.getlist("rating"),
            comment_sent=request.form.getlist("comment"),
            questions=specs_of(questions),
            raw=values,
            now=utcnow(),
        )
    except service.FeedbackError:
        db.session.rollback()
        # The survey page says why (already answered, closed): no flash repeating it.
        return redirect(url_for("feedback.survey", event_id=event.id), 303)
    if not outcome.ok:
        db.session.rollback()
        if outcome.rating is not None:
            form.rating.errors = [input_message(outcome.rating)]
        if outcome.comment is not None:
            form.comment.errors = [input_message(outcome.comment)]
        problems = problem_messages(questions, outcome.answers)
        return _render_survey(event, form, questions, values=values, problems=problems, status=400)
    db.session.commit()
    flash(_("Thank you for your feedback. It reaches the organizers without your name."), "success")
    return redirect(url_for("feedback.survey", event_id=event.id), 303)


@bp.get("/events/<int:event_id>/feedback/results")
@event_permission("manage")
def results(event: Event):
    """The survey's results: counts, the average and distribution of the ratings, each
    question's totals and the comments, never a name; nothing but the count below 5. The
    comments and written answers come a page at a time (?page=)."""
    return render_template(
        "feedback/results.html",
        event=event,
        results=service.results(event, page_arg()),
        rating_titles=RATING_TITLES,
        shown_from=rules.RESULTS_SHOWN_FROM,
        window=rules.window(event.ends_at),
        now=utcnow(),
    )


@bp.app_context_processor
def feedback_in_pages() -> dict:
    """For the event page and My events: `feedback_standing(event)` (why the member may not
    answer, "open" when they may; one statement, only on an ended event they attended) and
    `feedback_open(registrations)` (the event ids whose survey awaits them; one statement)."""

    def feedback_standing(event: Event, mine) -> str | None:
        if mine is None or mine.checked_in_at is None or mine.status != "confirmed":
            return None
        now = utcnow()
        if not event.has_ended(now):
            return None
        refused = service.standing(event, mine.user_id, now)
        return "open" if refused is None else str(refused)

    def feedback_open(registrations) -> set[int]:
        if not current_user.is_authenticated:
            return set()
        return service.open_surveys(current_user.id, registrations, utcnow())

    return {"feedback_standing": feedback_standing, "feedback_open": feedback_open}
