"""The organizer's question designer: an event's registration questions and its feedback
survey's questions, on the same pages (`purpose` in the path: /events/<id>/questions and
/events/<id>/feedback-questions), with a preview of what members see."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import AnyConverter

from eventsite.core.forms import leaf_fields
from eventsite.events.forms import add_error
from eventsite.events.models import Event
from eventsite.events.permissions import event_permission
from eventsite.extensions import db
from eventsite.questions import service
from eventsite.questions.forms import (
    CopyQuestionsForm,
    MoveQuestionForm,
    QuestionActionForm,
    QuestionForm,
)
from eventsite.questions.models import QUESTION_KIND_TITLES, Question, QuestionPurpose

bp = Blueprint("questions", __name__)


class PurposeConverter(AnyConverter):
    """The path part naming whose questions a page designs: "questions" (registration) or
    "feedback-questions"; views get a `QuestionPurpose`, `url_for` takes one."""

    SEGMENTS = {
        "questions": QuestionPurpose.REGISTRATION,
        "feedback-questions": QuestionPurpose.FEEDBACK,
    }

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *self.SEGMENTS)

    def to_python(self, value: str) -> QuestionPurpose:
        return self.SEGMENTS[value]

    def to_url(self, value) -> str:
        for segment, purpose in self.SEGMENTS.items():
            if value == purpose:
                return segment
        raise ValueError(f"{value!r} is not a question purpose")


@bp.record_once
def _register_converter(state) -> None:
    # Recorded before the routes below, so the map knows the converter when they are added.
    state.app.url_map.converters["question_purpose"] = PurposeConverter


def _question(event: Event, purpose: str, question_id: int) -> Question:
    question = service.question_of(event, purpose, question_id)
    if question is None:
        abort(404)
    return question


def _render_design(
    event: Event,
    purpose: str,
    *,
    form: QuestionForm | None = None,
    copy_form: CopyQuestionsForm | None = None,
    card_errors: dict[int, list[str]] | None = None,
    status: int = 200,
):
    questions = service.questions_of(event.id, purpose)
    if form is None:
        form = QuestionForm(formdata=None, purpose=purpose, earlier=questions)
    if copy_form is None:
        copy_form = CopyQuestionsForm(
            formdata=None, sources=service.copy_sources(event, current_user, purpose)
        )
    by_choice = {choice.id: (q, choice) for q in questions for choice in q.choices}
    return render_template(
        "questions/design.html",
        event=event,
        purpose=purpose,
        questions=questions,
        counts=service.design_counts(event.id, purpose),
        conditions={
            q.id: by_choice[q.shown_if_choice_id]
            for q in questions
            if q.shown_if_choice_id in by_choice
        },
        kind_titles=QUESTION_KIND_TITLES,
        form=form,
        copy_form=copy_form,
        card_errors=card_errors or {},
    ), status


def _back(event: Event, purpose: str, question_id: int | None = None):
    anchor = f"question-{question_id}" if question_id else None
    return redirect(
        url_for("questions.design", event_id=event.id, purpose=purpose, _anchor=anchor), 303
    )


def _flash_notes(notes: list[str]) -> None:
    for note in notes:
        flash(note, "info")


@bp.route("/events/<int:event_id>/<question_purpose:purpose>", methods=["GET", "POST"])
@event_permission("manage")
def design(event: Event, purpose: QuestionPurpose):
    """The question set in form order with a preview; POST adds a question at the end."""
    if request.method == "GET":
        return _render_design(event, purpose)
    form = QuestionForm(purpose=purpose, earlier=service.questions_of(event.id, purpose))
    if not form.validate():
        return _render_design(event, purpose, form=form, status=400)
    try:
        question = service.add_question(event, current_user, purpose, form.draft())
    except service.QuestionDesignError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_design(db.session.get(Event, event.id), purpose, form=form, status=400)
    db.session.commit()
    flash(_("Question added."), "success")
    return _back(event, purpose, question.id)


@bp.route(
    "/events/<int:event_id>/<question_purpose:purpose>/<int:question_id>", methods=["GET", "POST"]
)
@event_permission("manage")
def edit(event: Event, purpose: QuestionPurpose, question_id: int):
    """Change one question: reword it always; retype it or drop a choice only while unanswered."""
    question = _question(event, purpose, question_id)
    questions = service.questions_of(event.id, purpose)
    earlier = questions[: [q.id for q in questions].index(question.id)]
    if request.method == "GET":
        form = QuestionForm.for_question(question, earlier=earlier)
        return _render_edit(event, question, form)
    form = QuestionForm(purpose=purpose, earlier=earlier, editing=True)
    if not form.validate():
        return _render_edit(event, question, form, status=400)
    try:
        notes = service.update_question(
            question, current_user, form.draft(), loaded_version=form.loaded_version.data
        )
    except service.QuestionDesignError as exc:
        db.session.rollback()
        _show_refusal(form, exc)
        event = db.session.get(Event, event.id)
        current = service.question_of(event, purpose, question_id)
        if current is None:
            flash(exc.message, "error")
            return _back(event, purpose)
        if isinstance(exc, service.StaleQuestionError):
            # The next save is made knowing the current question, so it carries its version.
            form.loaded_version.data = current.version
            return _render_edit(event, current, form, status=409)
        return _render_edit(event, current, form, status=400)
    db.session.commit()
    flash(_("Question saved."), "success")
    _flash_notes(notes)
    return _back(event, purpose, question.id)


def _render_edit(event: Event, question: Question, form: QuestionForm, status: int = 200):
    counts = service.design_counts(event.id, question.purpose)
    return render_template(
        "questions/edit.html",
        event=event,
        purpose=question.purpose,
        question=question,
        form=form,
        answers=counts.answers.get(question.id, 0),
        counts=counts,
    ), status


def _show_refusal(form: QuestionForm, exc: service.QuestionDesignError) -> None:
    """Beside the choice row, the field or above the form, as the refusal says."""
    if exc.choice_id is not None:
        row = form.row_for(exc.choice_id)
        if row is not None and exc.field in row:
            row[exc.field].errors = [*row[exc.field].errors, exc.message]
            return
    add_error(form, exc.message, exc.field)


@bp.post("/events/<int:event_id>/<question_purpose:purpose>/<int:question_id>/move")
@event_permission("manage")
def move(event: Event, purpose: QuestionPurpose, question_id: int):
    """Move a question one place up or down."""
    question = _question(event, purpose, question_id)
    form = MoveQuestionForm()
    if not form.validate():
        return _refused_on_card(event, purpose, question_id, form)
    try:
        service.move_question(
            question,
            current_user,
            -1 if form.direction.data == "up" else 1,
            loaded_version=form.loaded_version.data,
        )
    except service.QuestionDesignError as exc:
        return _refused_by_service(event, purpose, question_id, exc)
    db.session.commit()
    flash(_("Question moved."), "success")
    return _back(event, purpose, question_id)


@bp.post("/events/<int:event_id>/<question_purpose:purpose>/<int:question_id>/remove")
@event_permission("manage")
def remove(event: Event, purpose: QuestionPurpose, question_id: int):
    """Remove a question; its answers are kept in the event's audit log."""
    question = _question(event, purpose, question_id)
    form = QuestionActionForm()
    if not form.validate():
        return _refused_on_card(event, purpose, question_id, form)
    try:
        notes = service.remove_question(
            question, current_user, loaded_version=form.loaded_version.data
        )
    except service.QuestionDesignError as exc:
        return _refused_by_service(event, purpose, question_id, exc)
    db.session.commit()
    flash(_("Question removed."), "success")
    _flash_notes(notes)
    return _back(event, purpose)


def _refused_by_service(event, purpose, question_id, exc: service.QuestionDesignError):
    """Nothing changed: the refusal on the question's card; 409 when another organizer changed
    the question since the page was loaded, else 400."""
    db.session.rollback()
    return _render_design(
        db.session.get(Event, event.id),
        purpose,
        card_errors={question_id: [exc.message]},
        status=409 if isinstance(exc, service.StaleQuestionError) else 400,
    )


def _refused_on_card(event, purpose, question_id, form):
    messages = [str(error) for field in leaf_fields(form) for error in field.errors]
    return _render_design(event, purpose, card_errors={question_id: messages}, status=400)


@bp.post("/events/<int:event_id>/<question_purpose:purpose>/copy")
@event_permission("manage")
def copy(event: Event, purpose: QuestionPurpose):
    """Add the questions of an earlier event the organizer manages after this event's own."""
    sources = service.copy_sources(event, current_user, purpose)
    form = CopyQuestionsForm(sources=sources)
    if not form.validate():
        return _render_design(event, purpose, copy_form=form, status=400)
    try:
        copied = service.copy_questions(event, current_user, purpose, form.source_event_id.data)
    except service.QuestionDesignError as exc:
        db.session.rollback()
        add_error(form, exc.message, exc.field)
        return _render_design(db.session.get(Event, event.id), purpose, copy_form=form, status=400)
    db.session.commit()
    flash(_("%(n)s questions copied.", n=copied), "success")
    return _back(event, purpose)
