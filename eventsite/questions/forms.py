"""Questions on a form: reading what a member sent for each question, and the message beside a
refused answer. The registration form and the feedback survey both ask questions this way; the
fields themselves are drawn by `templates/questions/_fields.html`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from flask_babel import gettext as _

from eventsite.questions.models import Question
from eventsite.questions.rules import (
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    AnswerProblem,
    ChoiceSpec,
    QuestionKind,
    QuestionSpec,
)

#: A question's field on a form is named "q-<question id>" (several values for a multiple choice).
FIELD_PREFIX = "q-"


def field_name(question_id: int) -> str:
    return f"{FIELD_PREFIX}{question_id}"


def spec_of(
    question: Question, places_left: Mapping[int, int | None] | None = None
) -> QuestionSpec:
    """The rules' view of a question; `places_left` gives each limited choice's stock left for the
    member answering (see `rules.places_left`); a choice not in it is unlimited."""
    places_left = places_left or {}
    return QuestionSpec(
        id=question.id,
        kind=QuestionKind(question.kind),
        label=question.label,
        required=question.required,
        choices=tuple(
            ChoiceSpec(choice.id, choice.label, places_left.get(choice.id))
            for choice in question.choices
        ),
        min_value=question.min_value,
        max_value=question.max_value,
        shown_if_choice_id=question.shown_if_choice_id,
    )


def specs_of(
    questions: Iterable[Question], places_left: Mapping[int, int | None] | None = None
) -> list[QuestionSpec]:
    return [spec_of(question, places_left) for question in questions]


def raw_answers(formdata, questions: Iterable[Question]) -> dict[int, list[str]]:
    """What the form sent for each question (nothing sent: an empty list)."""
    return {question.id: formdata.getlist(field_name(question.id)) for question in questions}


def problem_message(question: Question | QuestionSpec, problem: AnswerProblem) -> str:
    """The message shown beside a refused answer, in the member's words."""
    if problem == AnswerProblem.REQUIRED:
        return _("Please answer this question.")
    if problem == AnswerProblem.CONSENT_REQUIRED:
        return _("Please tick this box: this form cannot be sent without your agreement.")
    if problem == AnswerProblem.TOO_LONG:
        limit = LONG_TEXT_MAX if question.kind == QuestionKind.LONG_TEXT else SHORT_TEXT_MAX
        return _("Please keep it to %(count)s characters.", count=limit)
    if problem == AnswerProblem.CONTROL_CHARACTER:
        if question.kind == QuestionKind.SHORT_TEXT:
            return _("Please write it on one line, without special characters.")
        return _("This contains a character that cannot be saved. Please retype it.")
    if problem == AnswerProblem.NOT_A_CHOICE:
        return _("Please pick one of the choices shown.")
    if problem == AnswerProblem.ONE_CHOICE_ONLY:
        return _("Please pick only one choice.")
    if problem == AnswerProblem.CHOICE_FULL:
        return _("That choice has run out. Please pick another.")
    if problem == AnswerProblem.NOT_A_NUMBER:
        return _("Please enter a whole number, such as 3.")
    if problem == AnswerProblem.BELOW_MINIMUM:
        return _("Please enter a number of at least %(min)s.", min=question.min_value)
    if problem == AnswerProblem.ABOVE_MAXIMUM:
        return _("Please enter a number of at most %(max)s.", max=question.max_value)
    return _("Please enter a date such as 2026-11-11.")


def problem_messages(
    questions: Sequence[Question], problems: Mapping[int, AnswerProblem]
) -> dict[int, str]:
    """{question id: message} for every refused answer."""
    by_id = {question.id: question for question in questions}
    return {qid: problem_message(by_id[qid], problem) for qid, problem in problems.items()}
