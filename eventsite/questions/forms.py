"""Questions on a form: reading what a member sent for each question, and the message beside a
refused answer. The registration form and the feedback survey both ask questions this way; the
fields themselves are drawn by `templates/questions/_fields.html`.

Below them, the organizer's designer: the question form (type, wording, choices one per line with
an optional stock, bounds, condition), the move and remove buttons, the copy form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, StopValidation
from wtforms.widgets import HiddenInput

from eventsite.core.forms import ErrorMark, Length, SiteForm
from eventsite.questions.models import QUESTION_KIND_TITLES, Question, QuestionPurpose
from eventsite.questions.rules import (
    CHOICE_KINDS,
    CHOICE_LABEL_MAX,
    HELP_TEXT_MAX,
    LABEL_MAX,
    LONG_TEXT_MAX,
    MAX_CHOICES,
    NUMBER_LIMIT,
    SHORT_TEXT_MAX,
    STOCK_LIMIT,
    AnswerProblem,
    ChoiceDraft,
    ChoiceLineProblem,
    ChoiceSpec,
    QuestionDraft,
    QuestionKind,
    QuestionSpec,
    read_choice_lines,
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


def question_control_id(question: Question) -> str:
    """The id of the control a link to `question` reaches (questions/_fields.html): its first
    choice's for a choice question, its own input's otherwise."""
    if question.kind in CHOICE_KINDS and question.choices:
        return f"{field_name(question.id)}-{question.choices[0].id}"
    return field_name(question.id)


def question_error_marks(
    questions: Sequence[Question], problems: Mapping[int, str]
) -> list[ErrorMark]:
    """The error summary's lines for the refused answers, in the questions' order."""
    return [
        ErrorMark(question_control_id(question), question.label, problems[question.id])
        for question in questions
        if question.id in problems
    ]


@dataclass(frozen=True)
class QuestionProblems:
    """A page's refused answers to questions, for its error summary (`core.forms.errors_among`)."""

    questions: Sequence[Question]
    problems: Mapping[int, str]

    def error_marks(self) -> list[ErrorMark]:
        return question_error_marks(self.questions, self.problems)


# --- The organizer's question designer ---------------------------------------------------------


def _optional_int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


#: Messages for a faulty line of the choices box; each names the line.
CHOICE_LINE_MESSAGES = {
    ChoiceLineProblem.NO_LABEL: _l("Line %(line)s: write the choice before the “|”."),
    ChoiceLineProblem.LABEL_TOO_LONG: _l("Line %(line)s: a choice has at most %(max)s characters."),
    ChoiceLineProblem.STOCK_NOT_A_NUMBER: _l(
        "Line %(line)s: after the “|” write the stock as a whole number, such as 「XL | 20」."
    ),
    ChoiceLineProblem.STOCK_NEGATIVE: _l("Line %(line)s: a stock cannot be below 0."),
    ChoiceLineProblem.STOCK_NOT_ASKED: _l(
        "Line %(line)s: feedback choices have no stock; remove the “|” and the number."
    ),
    ChoiceLineProblem.DUPLICATE: _l("Line %(line)s: this choice is already in the list."),
    ChoiceLineProblem.TOO_MANY: _l("A question offers at most %(max)s choices."),
}


class ChoiceRow(Form):
    """One existing choice of a question: a new wording, its stock, or removal."""

    id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    label = StringField(
        _l("Choice"), filters=[_stripped], validators=[Length(max=CHOICE_LABEL_MAX)]
    )
    capacity = IntegerField(
        _l("Stock"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=STOCK_LIMIT,
                message=_l("Enter a whole number of at least 0, or leave empty for no limit."),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    remove = BooleanField(_l("Remove"))


class QuestionForm(SiteForm):
    """Add or change one question: its type, wording, whether it must be answered, its choices
    (with a stock each where places are limited), number bounds, and the condition showing it."""

    kind = SelectField(
        _l("Type"),
        choices=[(str(kind), title) for kind, title in QUESTION_KIND_TITLES.items()],
        default=str(QuestionKind.SHORT_TEXT),
    )
    label = StringField(
        _l("Question"),
        filters=[_stripped],
        validators=[DataRequired(message=_l("Please write the question.")), Length(max=LABEL_MAX)],
    )
    help_text = TextAreaField(
        _l("Explanation"),
        filters=[_stripped],
        validators=[Length(max=HELP_TEXT_MAX)],
        description=_l("Shown below the question, such as why it is asked. May be left empty."),
    )
    required = BooleanField(_l("Required"))
    sensitive = BooleanField(
        _l("Sensitive information (such as an ID number)"),
        description=_l(
            "Masked on screens and in logs, shown in full only in exports, deleted after the "
            "event. Once answered, a sensitive question stays sensitive."
        ),
    )
    min_value = IntegerField(
        _l("Smallest number"),
        validators=[
            Optional(),
            NumberRange(
                min=-NUMBER_LIMIT,
                max=NUMBER_LIMIT,
                message=_l("Enter a whole number from %(min)s to %(max)s, or leave it empty."),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    max_value = IntegerField(
        _l("Largest number"),
        validators=[
            Optional(),
            NumberRange(
                min=-NUMBER_LIMIT,
                max=NUMBER_LIMIT,
                message=_l("Enter a whole number from %(min)s to %(max)s, or leave it empty."),
            ),
        ],
        render_kw={"inputmode": "numeric"},
    )
    choices = FieldList(FormField(ChoiceRow))
    new_choices = TextAreaField(_l("Choices"), filters=[_stripped], validators=[Length(max=10_000)])
    shown_if_choice_id = SelectField(
        _l("Show only when"), coerce=_optional_int, validate_choice=True
    )
    #: The question's version when the form was loaded, so a save over someone else's is refused.
    loaded_version = StringField(widget=HiddenInput())

    def __init__(
        self,
        *args,
        purpose: str,
        earlier: Sequence[Question] = (),
        editing: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.purpose = purpose
        self.stock_allowed = purpose == QuestionPurpose.REGISTRATION
        if not self.stock_allowed:
            del self.sensitive
        if not editing:
            del self.choices
            del self.loaded_version
        self.new_choices.label.text = _l("Add choices") if editing else _l("Choices")
        self.new_choices.description = (
            _l("One per line. A limited choice gets its stock after a bar, such as 「XL | 20」.")
            if self.stock_allowed
            else _l("One per line.")
        )
        self.shown_if_choice_id.choices = [("", _l("Always shown"))] + [
            (
                choice.id,
                _("「%(question)s」 is 「%(choice)s」", question=q.label, choice=choice.label),
            )
            for q in earlier
            if q.kind in CHOICE_KINDS
            for choice in q.choices
        ]

    @classmethod
    def for_question(cls, question: Question, **kwargs) -> QuestionForm:
        """The form filled with a question as it stands."""
        data = {
            name: getattr(question, name)
            for name in (
                "kind",
                "label",
                "help_text",
                "required",
                "sensitive",
                "min_value",
                "max_value",
                "shown_if_choice_id",
            )
        }
        data["choices"] = [
            {"id": choice.id, "label": choice.label, "capacity": choice.capacity}
            for choice in question.choices
        ]
        data["loaded_version"] = question.version
        return cls(purpose=question.purpose, editing=True, data=data, **kwargs)

    def check_across_fields(self) -> bool:
        valid = True
        kind = self.kind.data
        low, high = self.min_value.data, self.max_value.data
        if (
            kind == QuestionKind.NUMBER
            and isinstance(low, int)
            and isinstance(high, int)
            and low > high
            and not self.max_value.errors
        ):
            self.max_value.errors.append(_l("The largest number must not be below the smallest."))
            valid = False
        if kind not in CHOICE_KINDS:
            return valid
        kept = []
        if "choices" in self:
            for row in self.choices:
                form = row.form
                if form.remove.data or form.label.errors:
                    continue
                if not form.label.data:
                    form.label.errors.append(_l("Write the choice, or tick “Remove”."))
                    valid = False
                elif form.label.data in kept:
                    form.label.errors.append(_l("This choice is already in the list."))
                    valid = False
                else:
                    kept.append(form.label.data)
                if form.capacity.data is not None and not self.stock_allowed:
                    form.capacity.data = None
        if self.new_choices.errors:
            return False
        lines, problems = read_choice_lines(
            self.new_choices.data or "", stock_allowed=self.stock_allowed, taken_labels=kept
        )
        for line, problem in problems.items():
            self.new_choices.errors.append(
                str(CHOICE_LINE_MESSAGES[problem]) % {"line": line, "max": _choice_max(problem)}
            )
        if problems:
            return False
        if not lines and not kept:
            self.new_choices.errors.append(
                _l("A choice question needs at least one choice: add them one per line.")
            )
            return False
        self._new_lines = lines
        return valid

    def draft(self) -> QuestionDraft:
        """The question as the form left it, for the service."""
        kind = self.kind.data
        choices: list[ChoiceDraft] = []
        if "choices" in self:
            choices += [
                ChoiceDraft(
                    label=row.form.label.data or "",
                    capacity=row.form.capacity.data if self.stock_allowed else None,
                    id=row.form.id.data,
                    remove=bool(row.form.remove.data),
                )
                for row in self.choices
            ]
        if kind in CHOICE_KINDS:
            choices += [
                ChoiceDraft(label=line.label, capacity=line.capacity)
                for line in getattr(self, "_new_lines", [])
            ]
        return QuestionDraft(
            kind=kind,
            label=self.label.data or "",
            help_text=self.help_text.data or "",
            required=bool(self.required.data),
            sensitive=bool("sensitive" in self and self.sensitive.data),
            min_value=self.min_value.data,
            max_value=self.max_value.data,
            shown_if_choice_id=self.shown_if_choice_id.data,
            choices=choices,
        )

    def row_for(self, choice_id: int):
        """The row form of an existing choice, or None."""
        if "choices" not in self:
            return None
        return next((row.form for row in self.choices if row.form.id.data == choice_id), None)


def _choice_max(problem: ChoiceLineProblem) -> int:
    return MAX_CHOICES if problem == ChoiceLineProblem.TOO_MANY else CHOICE_LABEL_MAX


class QuestionActionForm(SiteForm):
    """Move or remove a question: the buttons carry the version the page showed."""

    loaded_version = StringField(
        widget=HiddenInput(),
        validators=[
            DataRequired(message=_l("This page is out of date. Please reload it and try again.")),
            Length(max=40),
        ],
    )


class MoveQuestionForm(QuestionActionForm):
    direction = SelectField(
        choices=[("up", _l("Move up")), ("down", _l("Move down"))],
        validators=[DataRequired()],
    )


class CopyQuestionsForm(SiteForm):
    """Copy the questions of another event the organizer manages."""

    source_event_id = SelectField(
        _l("Another event of yours"),
        coerce=_optional_int,
        validators=[InputRequired(message=_l("Please choose an event."))],
        description=_l(
            "Its questions, choices, stocks and conditions are added after this form's own "
            "questions; change them here afterwards as you like."
        ),
    )

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.source_event_id.choices = [("", _l("Choose an event"))] + list(sources)

    def validate_source_event_id(self, field):
        if field.data is None:
            raise StopValidation(_l("Please choose an event."))
