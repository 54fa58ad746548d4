"""What an answer must be: the pure rules behind every question an organizer designs.

A question set is a sequence of `QuestionSpec`s in form order; the raw answers are what a form
sent, a list of strings per question id (several for a multiple choice). `read_answers` decides,
question by question, whether each is shown, and whether what was sent for it is acceptable;
an answer is accepted iff it satisfies its question's rules, and a hidden question's answer is
dropped, never kept.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

#: The longest answers accepted, in characters.
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 2000
#: Whole numbers beyond this are refused whatever the question's bounds (a 32-bit column's range).
NUMBER_LIMIT = 2_000_000_000
#: Dates accepted at all (a birth date, a trip date): four-digit years only.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)

CONSENT_YES = "yes"

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Characters no answer may hold: control characters (a long text keeps its line breaks and tabs).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QuestionKind(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    DATE = "date"
    CONSENT = "consent"


CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})


class AnswerProblem(enum.StrEnum):
    """Why an answer is refused (the form turns each into a message beside the question)."""

    REQUIRED = "required"
    CONSENT_REQUIRED = "consent_required"
    TOO_LONG = "too_long"
    CONTROL_CHARACTER = "control_character"
    NOT_A_CHOICE = "not_a_choice"
    ONE_CHOICE_ONLY = "one_choice_only"
    CHOICE_FULL = "choice_full"
    NOT_A_NUMBER = "not_a_number"
    BELOW_MINIMUM = "below_minimum"
    ABOVE_MAXIMUM = "above_maximum"
    NOT_A_DATE = "not_a_date"


@dataclass(frozen=True)
class ChoiceSpec:
    id: int
    label: str
    #: Places left in the choice's stock for this member (their own current pick already given
    #: back); None: no limit.
    places_left: int | None = None


@dataclass(frozen=True)
class QuestionSpec:
    id: int
    kind: QuestionKind
    label: str = ""
    required: bool = False
    choices: tuple[ChoiceSpec, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    #: Asked only when this choice (of an earlier question) is among that question's answer.
    shown_if_choice_id: int | None = None


#: An accepted answer: text, the chosen choice ids in form order, a whole number, a date, or
#: whether consent was given.
Value = str | tuple[int, ...] | int | date | bool


@dataclass(frozen=True)
class Reading:
    """What `read_answers` made of a form: accepted values of the shown questions that were
    answered, and a problem for each refused one. `shown` lists the questions asked."""

    values: Mapping[int, Value] = field(default_factory=dict)
    problems: Mapping[int, AnswerProblem] = field(default_factory=dict)
    shown: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def is_shown(question: QuestionSpec, chosen: frozenset[int]) -> bool:
    """A question is asked when it has no condition, or its condition's choice was chosen."""
    return question.shown_if_choice_id is None or question.shown_if_choice_id in chosen


def read_answers(questions: Sequence[QuestionSpec], raw: Mapping[int, Sequence[str]]) -> Reading:
    """Accept or refuse each shown question's answer; hidden questions are neither asked nor kept.

    Conditions are read in form order: a question is shown when the choice it depends on was
    chosen in an accepted answer before it, so a refused or hidden answer shows nothing below it.
    """
    values: dict[int, Value] = {}
    problems: dict[int, AnswerProblem] = {}
    shown: list[int] = []
    chosen: set[int] = set()
    for question in questions:
        if not is_shown(question, frozenset(chosen)):
            continue
        shown.append(question.id)
        sent = [text for text in raw.get(question.id, ()) if text.strip()]
        outcome = read_one(question, sent)
        if isinstance(outcome, AnswerProblem):
            problems[question.id] = outcome
            continue
        if outcome is None:
            continue
        values[question.id] = outcome
        if isinstance(outcome, tuple):
            chosen.update(outcome)
    return Reading(values=values, problems=problems, shown=tuple(shown))


def read_one(question: QuestionSpec, sent: Sequence[str]) -> Value | AnswerProblem | None:
    """One question's answer from the non-blank strings sent for it: its value, why it is
    refused, or None for an optional question left blank."""
    kind = question.kind
    if kind == QuestionKind.CONSENT:
        given = any(text.strip() == CONSENT_YES for text in sent)
        if question.required and not given:
            return AnswerProblem.CONSENT_REQUIRED
        return given
    if not sent:
        return AnswerProblem.REQUIRED if question.required else None
    if kind in CHOICE_KINDS:
        return _read_choices(question, sent)
    if len(sent) > 1:
        return AnswerProblem.TOO_LONG  # one field sent twice: never from our form
    text = sent[0].strip()
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        return _read_text(kind, text)
    if kind == QuestionKind.NUMBER:
        return _read_number(question, text)
    return _read_date(text)


def _read_text(kind: QuestionKind, text: str) -> str | AnswerProblem:
    limit = SHORT_TEXT_MAX if kind == QuestionKind.SHORT_TEXT else LONG_TEXT_MAX
    if len(text) > limit:
        return AnswerProblem.TOO_LONG
    if _CONTROL.search(text) or (kind == QuestionKind.SHORT_TEXT and re.search(r"[\t\r\n]", text)):
        return AnswerProblem.CONTROL_CHARACTER
    return text


def _read_choices(question: QuestionSpec, sent: Sequence[str]) -> tuple[int, ...] | AnswerProblem:
    by_id = {str(choice.id): choice for choice in question.choices}
    picked = []
    for text in sent:
        choice = by_id.get(text.strip())
        if choice is None:
            return AnswerProblem.NOT_A_CHOICE
        if choice not in picked:
            picked.append(choice)
    if question.kind == QuestionKind.SINGLE_CHOICE and len(picked) > 1:
        return AnswerProblem.ONE_CHOICE_ONLY
    if any(choice.places_left is not None and choice.places_left <= 0 for choice in picked):
        return AnswerProblem.CHOICE_FULL
    order = {choice.id: index for index, choice in enumerate(question.choices)}
    return tuple(sorted((choice.id for choice in picked), key=order.__getitem__))


def _read_number(question: QuestionSpec, text: str) -> int | AnswerProblem:
    if not _WHOLE_NUMBER.fullmatch(text):
        return AnswerProblem.NOT_A_NUMBER
    number = int(text)
    if abs(number) > NUMBER_LIMIT:
        return AnswerProblem.NOT_A_NUMBER
    if question.min_value is not None and number < question.min_value:
        return AnswerProblem.BELOW_MINIMUM
    if question.max_value is not None and number > question.max_value:
        return AnswerProblem.ABOVE_MAXIMUM
    return number


def _read_date(text: str) -> date | AnswerProblem:
    if not _ISO_DATE.fullmatch(text):
        return AnswerProblem.NOT_A_DATE
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return AnswerProblem.NOT_A_DATE
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        return AnswerProblem.NOT_A_DATE
    return day


def stored_text(value: Value) -> str:
    """How an accepted value is kept in `Answer.value` (choices: their ids, comma-separated)."""
    if isinstance(value, bool):
        return CONSENT_YES if value else "no"
    if isinstance(value, tuple):
        return ",".join(str(choice_id) for choice_id in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def form_values(kind: QuestionKind, stored: str) -> list[str]:
    """The strings a form shows for a kept answer: the inverse of `stored_text` for a form."""
    if kind in CHOICE_KINDS:
        return [part for part in stored.split(",") if part]
    if kind == QuestionKind.CONSENT:
        return [CONSENT_YES] if stored == CONSENT_YES else []
    return [stored] if stored else []


def masked(text: str) -> str:
    """A sensitive answer as screens show it: its first and last two characters, the rest hidden
    (an ID number 340202199001011234 shows as 34**************34); short answers fully hidden."""
    if len(text) <= 6:
        return "*" * len(text)
    return text[:2] + "*" * (len(text) - 4) + text[-2:]


class DesignProblem(enum.StrEnum):
    """Why a question set as an organizer designed it cannot be saved."""

    CONDITION_NOT_EARLIER = "condition_not_earlier"
    NO_CHOICES = "no_choices"
    BOUNDS_REVERSED = "bounds_reversed"
    RETYPED_WITH_ANSWERS = "retyped_with_answers"


def condition_problem(questions: Sequence[QuestionSpec], index: int) -> DesignProblem | None:
    """A condition may only look at a choice of a question placed before the one it guards."""
    condition = questions[index].shown_if_choice_id
    if condition is None:
        return None
    earlier = {choice.id for question in questions[:index] for choice in question.choices}
    return None if condition in earlier else DesignProblem.CONDITION_NOT_EARLIER


def design_problems(questions: Sequence[QuestionSpec]) -> dict[int, DesignProblem]:
    """Each question's design fault, if any: choice questions need a choice, bounds must be in
    order, conditions must point to an earlier question's choice."""
    problems: dict[int, DesignProblem] = {}
    for index, question in enumerate(questions):
        if question.kind in CHOICE_KINDS and not question.choices:
            problems[question.id] = DesignProblem.NO_CHOICES
        elif (
            question.min_value is not None
            and question.max_value is not None
            and question.min_value > question.max_value
        ):
            problems[question.id] = DesignProblem.BOUNDS_REVERSED
        else:
            problem = condition_problem(questions, index)
            if problem is not None:
                problems[question.id] = problem
    return problems


def may_change_kind(old: QuestionKind, new: QuestionKind, answered: bool) -> bool:
    """A question with answers may be reworded, never retyped: its answers would no longer fit."""
    return old == new or not answered


def places_left(capacity: int | None, taken: int, held_by_member: bool) -> int | None:
    """A choice's stock left for one member: their own current pick is theirs to keep."""
    if capacity is None:
        return None
    return capacity - taken + (1 if held_by_member else 0)


# --- Designing a question set -----------------------------------------------------------------

#: The most questions an event's form (or survey) holds, and choices a question offers: enough
#: for any union form, and a page that stays readable on a phone.
MAX_QUESTIONS = 50
MAX_CHOICES = 50
#: Longest texts an organizer writes (the columns' lengths).
LABEL_MAX = 200
HELP_TEXT_MAX = 500
CHOICE_LABEL_MAX = 100
#: The largest stock a choice may have (a 32-bit column's range, as for answers).
STOCK_LIMIT = NUMBER_LIMIT


@dataclass
class ChoiceDraft:
    """A choice as the organizer left it on the form: `id` None for a new one."""

    label: str
    capacity: int | None = None
    id: int | None = None
    remove: bool = False


@dataclass
class QuestionDraft:
    """A question as the organizer filled in the form."""

    kind: str
    label: str
    help_text: str = ""
    required: bool = False
    sensitive: bool = False
    min_value: int | None = None
    max_value: int | None = None
    shown_if_choice_id: int | None = None
    choices: list[ChoiceDraft] = field(default_factory=list)


class ChoiceLineProblem(enum.StrEnum):
    """Why a line of the choices box cannot be a choice."""

    NO_LABEL = "no_label"
    LABEL_TOO_LONG = "label_too_long"
    STOCK_NOT_A_NUMBER = "stock_not_a_number"
    STOCK_NEGATIVE = "stock_negative"
    STOCK_NOT_ASKED = "stock_not_asked"
    DUPLICATE = "duplicate"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class ChoiceLine:
    label: str
    #: The stock written after the bar; None: no limit.
    capacity: int | None = None


def read_choice_lines(
    text: str, *, stock_allowed: bool = True, taken_labels: Sequence[str] = ()
) -> tuple[list[ChoiceLine], dict[int, ChoiceLineProblem]]:
    """The choices typed one per line, each "label" or "label | stock" (blank lines skipped), and
    each faulty line's problem by its 1-based number: a label is needed, at most
    CHOICE_LABEL_MAX characters, not repeated (nor one of `taken_labels`, the question's other
    choices); a stock is a whole number from 0, and only where stocks are asked for."""
    lines: list[ChoiceLine] = []
    problems: dict[int, ChoiceLineProblem] = {}
    seen = {label.strip() for label in taken_labels}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        # "XL | 20": the last bar separates the stock; a Chinese input method types "｜".
        label, bar, stock = line.rpartition("|") if "|" in line else line.rpartition("｜")
        if not bar:
            label, stock = line, ""
        label, stock = label.strip(), stock.strip()
        problem = _choice_line_problem(label, stock, stock_allowed, seen)
        if problem is not None:
            problems[number] = problem
            continue
        seen.add(label)
        lines.append(ChoiceLine(label, int(stock) if stock else None))
        if len(lines) + len(taken_labels) > MAX_CHOICES:
            problems[number] = ChoiceLineProblem.TOO_MANY
            break
    return lines, problems


def _choice_line_problem(
    label: str, stock: str, stock_allowed: bool, seen: set[str]
) -> ChoiceLineProblem | None:
    if not label:
        return ChoiceLineProblem.NO_LABEL
    if len(label) > CHOICE_LABEL_MAX:
        return ChoiceLineProblem.LABEL_TOO_LONG
    if stock and not stock_allowed:
        return ChoiceLineProblem.STOCK_NOT_ASKED
    if stock:
        if not _WHOLE_NUMBER.fullmatch(stock):
            return ChoiceLineProblem.STOCK_NOT_A_NUMBER
        if int(stock) < 0:
            return ChoiceLineProblem.STOCK_NEGATIVE
        if int(stock) > STOCK_LIMIT:
            return ChoiceLineProblem.STOCK_NOT_A_NUMBER
    if label in seen:
        return ChoiceLineProblem.DUPLICATE
    return None


def stock_line(label: str, capacity: int | None) -> str:
    """A choice as the choices box writes it: the inverse of `read_choice_lines` for one line."""
    return label if capacity is None else f"{label} | {capacity}"


def moved(order: Sequence[int], question_id: int, step: int) -> list[int] | None:
    """The form order after moving one question `step` places (-1: up, +1: down); None when it
    cannot go that way (already first or last, or not in the set)."""
    if question_id not in order:
        return None
    index = order.index(question_id)
    target = index + step
    if not 0 <= target < len(order):
        return None
    result = list(order)
    result[index], result[target] = result[target], result[index]
    return result


def conditions_out_of_order(questions: Sequence[QuestionSpec]) -> list[int]:
    """The questions (ids, in form order) whose condition does not look at an earlier question's
    choice: a move that makes any is refused."""
    return [
        question.id
        for index, question in enumerate(questions)
        if condition_problem(questions, index) is not None
    ]


def conditions_on(questions: Sequence[QuestionSpec], choice_ids: frozenset[int]) -> list[int]:
    """The questions whose condition looks at one of these choices (which are going away): their
    conditions are cleared, so they are always shown."""
    return [question.id for question in questions if question.shown_if_choice_id in choice_ids]


def may_remove_choice(chosen: int) -> bool:
    """A choice that answers picked stays (it may be reworded): the answers would lose it."""
    return chosen == 0


def may_set_stock(capacity: int | None, taken: int) -> bool:
    """A stock may not fall below the places already taken of it (no limit is always fine)."""
    return capacity is None or capacity >= taken


def may_unmark_sensitive(answered: bool) -> bool:
    """A question may be marked sensitive at any time, but once answered as sensitive it stays
    so: those answers were given on the promise of masking and deletion."""
    return not answered
