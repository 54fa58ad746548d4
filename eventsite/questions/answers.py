"""Members' answers to an event's registration questions: read from a form by the rules, stock
of limited choices counted in SQL and decided again under the event's lock, written with the
registration, shown on the roster and in exports, purged after the event when sensitive.

A choice's stock is taken by every registration holding or waiting for a place (pending,
confirmed, waitlisted) whose answer picked it: a cancelled or rejected registration's picks no
longer count, without anything being deleted. Whether a pick still fits is decided only under
`events.service.lock_event`, which every registration and every edit of answers takes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from eventsite.core.forms import ErrorMark
from eventsite.core.time import utcnow
from eventsite.events import service as events
from eventsite.events.models import ACTIVE_STATUSES, Event, Registration
from eventsite.events.registration_questions import EXTENSION_KEY, RosterColumn
from eventsite.extensions import db
from eventsite.questions import forms, rules
from eventsite.questions.models import (
    Answer,
    AnswerChoice,
    Question,
    QuestionChoice,
    QuestionPurpose,
)
from eventsite.questions.rules import CHOICE_KINDS, AnswerProblem, QuestionKind

# --- loading -----------------------------------------------------------------------------------


def registration_questions(event_id: int) -> list[Question]:
    """The event's registration questions in form order with their choices (one query)."""
    return list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.event_id == event_id, Question.purpose == QuestionPurpose.REGISTRATION)
            .options(joinedload(Question.choices))
            .order_by(Question.position, Question.id)
        ).unique()
    )


def limited_choices(questions: Iterable[Question]) -> dict[int, QuestionChoice]:
    return {
        choice.id: choice
        for question in questions
        for choice in question.choices
        if choice.capacity is not None
    }


def stock_taken(choice_ids: Iterable[int]) -> dict[int, int]:
    """{choice id: registrations holding or waiting for a place that picked it}, in one
    aggregate query (none when no choice is given)."""
    ids = list(choice_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(AnswerChoice.choice_id, sa.func.count())
        .join(Answer, Answer.id == AnswerChoice.answer_id)
        .join(Registration, Registration.id == Answer.registration_id)
        .where(AnswerChoice.choice_id.in_(ids), Registration.status.in_(ACTIVE_STATUSES))
        .group_by(AnswerChoice.choice_id)
    ).all()
    taken = dict.fromkeys(ids, 0)
    taken.update({choice_id: count for choice_id, count in rows})
    return taken


def kept_answers(registration_id: int) -> dict[int, Answer]:
    """{question id: the registration's answer}, with the choices it picked (two queries)."""
    return {
        answer.question_id: answer
        for answer in db.session.scalars(
            sa.select(Answer)
            .where(Answer.registration_id == registration_id)
            .options(selectinload(Answer.chosen))
        )
    }


def _places_left(
    limited: Mapping[int, QuestionChoice], taken: Mapping[int, int], held: frozenset[int]
) -> dict[int, int | None]:
    return {
        choice_id: rules.places_left(choice.capacity, taken.get(choice_id, 0), choice_id in held)
        for choice_id, choice in limited.items()
    }


# --- one member's form -------------------------------------------------------------------------


@dataclass
class QuestionsOnForm:
    """An event's registration questions as one member's form shows and reads them.

    `registration` is the member's registration whose answers are being edited (None: a new
    registration). A sensitive answer is never written back into a form: the form shows it
    masked (`kept_masked`), and a blank field keeps it.
    """

    questions: list[Question]
    registration: Registration | None = None
    values: dict[int, list[str]] = field(default_factory=dict)
    problems: dict[int, str] = field(default_factory=dict)
    full: frozenset[int] = frozenset()
    kept_masked: dict[int, str] = field(default_factory=dict)
    reading: rules.Reading | None = None
    #: The member's own current picks (given back to them when their stock is counted).
    held: frozenset[int] = frozenset()
    #: A pick found run out under the lock: {question id: choice id}.
    ran_out: dict[int, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def error_marks(self) -> list[ErrorMark]:
        """The refused answers, for the page's error summary."""
        return forms.question_error_marks(self.questions, self.problems)

    def check_stock(self, event: Event) -> None:
        """Under the event's lock: count the stock again and refuse a pick that ran out."""
        if self.reading is None:
            return
        limited = limited_choices(self.questions)
        picked = {
            question_id: value
            for question_id, value in self.reading.values.items()
            if isinstance(value, tuple) and any(choice_id in limited for choice_id in value)
        }
        if not picked:
            return
        wanted = {choice_id for value in picked.values() for choice_id in value}
        left = _places_left(
            {choice_id: limited[choice_id] for choice_id in wanted if choice_id in limited},
            stock_taken(choice_id for choice_id in wanted if choice_id in limited),
            self.held,
        )
        for question_id, value in picked.items():
            for choice_id in value:
                if left.get(choice_id) is not None and left[choice_id] <= 0:
                    self.ran_out[question_id] = choice_id
                    question = self._question(question_id)
                    raise events.RegistrationError(
                        forms.problem_message(question, AnswerProblem.CHOICE_FULL),
                        forms.field_name(question_id),
                    )

    def shows(self, refusal: events.RegistrationError) -> bool:
        """Whether a refusal belongs beside one of these questions; if so it is put there."""
        for question in self.questions:
            if refusal.field == forms.field_name(question.id):
                self.problems[question.id] = str(refusal.message)
                if question.id in self.ran_out:
                    self.full = self.full | {self.ran_out[question.id]}
                    self.values.pop(question.id, None)
                return True
        return False

    def save(self, registration: Registration) -> None:
        """Write the accepted answers for `registration`, replacing every answer it had."""
        if self.reading is None:
            return
        save_answers(registration, self.questions, self.reading)

    def _question(self, question_id: int) -> Question:
        return next(q for q in self.questions if q.id == question_id)


def on_form(
    event: Event,
    user,
    formdata=None,
    *,
    registration: Registration | None = None,
) -> QuestionsOnForm:
    """The event's registration questions for `user`, read from `formdata` when it is given: a
    fixed number of queries (the questions, their choices, the stock taken, the kept answers)."""
    questions = registration_questions(event.id)
    asked = QuestionsOnForm(questions=questions, registration=registration)
    if not questions:
        return asked
    kept = kept_answers(registration.id) if registration is not None else {}
    if registration is not None and registration.is_active:
        asked.held = frozenset(
            chosen.choice_id for answer in kept.values() for chosen in answer.chosen
        )
    limited = limited_choices(questions)
    left = _places_left(limited, stock_taken(limited), asked.held)
    asked.full = frozenset(choice_id for choice_id, n in left.items() if n is not None and n <= 0)
    sensitive = {question.id for question in questions if question.sensitive}
    asked.kept_masked = {
        question_id: rules.masked(answer.value)
        for question_id, answer in kept.items()
        if question_id in sensitive and answer.value
    }
    if formdata is None:
        asked.values = {
            question_id: rules.form_values(QuestionKind(answer.question.kind), answer.value)
            for question_id, answer in kept.items()
            if question_id not in sensitive
        }
        return asked
    raw = forms.raw_answers(formdata, questions)
    for question_id in sensitive:
        # A sensitive field is blank unless re-entered: blank keeps what was given before.
        if not any(text.strip() for text in raw[question_id]) and question_id in kept:
            raw[question_id] = [kept[question_id].value]
    reading = rules.read_answers(forms.specs_of(questions, left), raw)
    asked.reading = reading
    asked.problems = forms.problem_messages(questions, reading.problems)
    asked.values = {
        question_id: sent for question_id, sent in raw.items() if question_id not in sensitive
    }
    return asked


def save_answers(
    registration: Registration, questions: Sequence[Question], reading: rules.Reading
) -> None:
    """Replace the registration's answers with the accepted values (flushes)."""
    db.session.execute(
        sa.delete(AnswerChoice).where(
            AnswerChoice.answer_id.in_(
                sa.select(Answer.id).where(Answer.registration_id == registration.id)
            )
        )
    )
    db.session.execute(sa.delete(Answer).where(Answer.registration_id == registration.id))
    now = utcnow()
    for question in questions:
        if question.id not in reading.values:
            continue
        value = reading.values[question.id]
        answer = Answer(
            registration_id=registration.id,
            question_id=question.id,
            value=rules.stored_text(value),
            answered_at=now,
        )
        if isinstance(value, tuple):
            answer.chosen = [AnswerChoice(choice_id=choice_id) for choice_id in value]
        db.session.add(answer)
    db.session.flush()


# --- the member edits their answers ------------------------------------------------------------


def edit_answers(event: Event, registration: Registration, asked: QuestionsOnForm) -> None:
    """Replace the member's answers while registration is open: stock decided under the event's
    lock, as at registration."""
    event = events.lock_event(event.id)
    now = utcnow()
    db.session.refresh(registration)
    if not registration.is_active:
        raise events.RegistrationError(_("This registration is no longer active."))
    if not event.registration_open(now):
        raise events.RegistrationError(
            _("Registration has closed: your answers can no longer be changed.")
        )
    asked.check_stock(event)
    asked.save(registration)


def may_edit(event: Event, registration: Registration | None, now: datetime) -> bool:
    """A member may change their answers while their registration is active and open."""
    return registration is not None and registration.is_active and event.registration_open(now)


# --- answers as text: the roster, exports, the member's own data ------------------------------


def answer_text(question: Question, stored: str, *, in_full: bool) -> str:
    """A kept answer in words: choices by their labels, consent 是/否, a sensitive answer masked
    unless `in_full`."""
    kind = QuestionKind(question.kind)
    if kind in CHOICE_KINDS:
        labels = {str(choice.id): choice.label for choice in question.choices}
        text = "、".join(labels[part] for part in stored.split(",") if part in labels)
    elif kind == QuestionKind.CONSENT:
        text = _("Yes") if stored == rules.CONSENT_YES else _("No")
    else:
        text = stored
    return rules.masked(text) if question.sensitive and not in_full else text


def answer_cells(
    questions: Sequence[Question], registration_ids: Sequence[int], *, in_full: bool
) -> dict[int, dict[int, str]]:
    """{registration id: {question id: answer in words}} in one query."""
    ids = list(registration_ids)
    if not ids or not questions:
        return {}
    by_id = {question.id: question for question in questions}
    cells: dict[int, dict[int, str]] = {}
    rows = db.session.execute(
        sa.select(Answer.registration_id, Answer.question_id, Answer.value).where(
            Answer.registration_id.in_(ids), Answer.question_id.in_(by_id)
        )
    )
    for registration_id, question_id, value in rows:
        cells.setdefault(registration_id, {})[question_id] = answer_text(
            by_id[question_id], value, in_full=in_full
        )
    return cells


def member_answers(registration_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """{registration id: [(question, answer in full)]}: a member's own answers for their data
    export (two queries)."""
    ids = list(registration_ids)
    if not ids:
        return {}
    answers = db.session.scalars(
        sa.select(Answer)
        .where(Answer.registration_id.in_(ids))
        .join(Question, Question.id == Answer.question_id)
        .options(selectinload(Answer.question).selectinload(Question.choices))
        .order_by(Answer.registration_id, Question.position, Question.id)
    ).all()
    out: dict[int, list[tuple[str, str]]] = {}
    for answer in answers:
        out.setdefault(answer.registration_id, []).append(
            (answer.question.label, answer_text(answer.question, answer.value, in_full=True))
        )
    return out


# --- retention ---------------------------------------------------------------------------------


def retention_days() -> int:
    return current_app.config["SENSITIVE_ANSWER_RETENTION_DAYS"]


def purge_sensitive_answers(now: datetime | None = None) -> int:
    """Delete the answers to sensitive questions of every event that ended at least
    SENSITIVE_ANSWER_RETENTION_DAYS ago; returns how many went. Derived from the events' end
    and the clock, so a second run, or a second scheduler, deletes nothing more."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days())
    doomed = (
        sa.select(Answer.id)
        .join(Question, Question.id == Answer.question_id)
        .join(Event, Event.id == Question.event_id)
        .where(Question.sensitive.is_(True), Event.ends_at <= cutoff)
    )
    return db.session.execute(sa.delete(Answer).where(Answer.id.in_(doomed))).rowcount or 0


# --- what events asks of questions (events.registration_questions) ----------------------------


class RegistrationQuestions:
    """The questions package's answer to `events.registration_questions.QuestionsProvider`."""

    def asked(self, event: Event, user, formdata=None) -> QuestionsOnForm:
        return on_form(event, user, formdata)

    def roster_columns(self, event: Event) -> list[RosterColumn]:
        return [RosterColumn(q.id, q.label) for q in _questions_of(event)]

    def roster_cells(
        self, event: Event, registration_ids: Sequence[int], *, in_full: bool
    ) -> dict[int, dict[int, str]]:
        return answer_cells(_questions_of(event), registration_ids, in_full=in_full)

    def answer_filters(self, event: Event) -> list[tuple[str, str]]:
        filters = []
        for question in _questions_of(event):
            # A sensitive question's choices are no filter: the filter would show who chose what.
            if question.kind in CHOICE_KINDS and not question.sensitive:
                filters += [
                    (f"c{choice.id}", f"{question.label}: {choice.label}")
                    for choice in question.choices
                ]
            else:
                filters += [
                    (f"a{question.id}", _("%(question)s: answered", question=question.label)),
                    (f"n{question.id}", _("%(question)s: not answered", question=question.label)),
                ]
        return filters

    def answer_condition(self, event_id: int, value: str) -> sa.ColumnElement[bool] | None:
        if len(value) < 2 or not value[1:].isdigit() or value[0] not in "can":
            return None
        number = int(value[1:])
        if value[0] == "c":
            picked = (
                sa.select(Answer.registration_id)
                .join(AnswerChoice, AnswerChoice.answer_id == Answer.id)
                .where(AnswerChoice.choice_id == number)
            )
            return Registration.id.in_(picked)
        answered = sa.select(Answer.registration_id).where(Answer.question_id == number)
        if value[0] == "a":
            return Registration.id.in_(answered)
        return Registration.id.not_in(answered)


def _questions_of(event: Event) -> list[Question]:
    """The event's registration questions, loaded once per request for the roster's several
    uses (columns, cells, filters)."""
    from flask import g

    cache = g.setdefault("registration_questions", {})
    if event.id not in cache:
        cache[event.id] = registration_questions(event.id)
    return cache[event.id]


def install(app) -> None:
    """Answer events' questions about registration questions in this app."""
    app.extensions[EXTENSION_KEY] = RegistrationQuestions()


def events_asking(registrations: Iterable[Registration]) -> set[int]:
    """The events among the active `registrations` that ask registration questions, whose
    answers the member may look at (one statement; none for no registrations)."""
    event_ids = {reg.event_id for reg in registrations if reg.is_active}
    if not event_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Question.event_id)
            .where(
                Question.event_id.in_(event_ids),
                Question.purpose == QuestionPurpose.REGISTRATION,
            )
            .distinct()
        )
    )
