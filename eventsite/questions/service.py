"""Designing an event's questions: add, change, move and remove them, copy a set from an earlier
event. Each operation takes the event's lock, checks the rules (`rules.design_problems` and the
rules about answers: a question with answers may be reworded but not retyped, an answered choice
stays, a stock never falls below what is taken), writes, audits, and flushes; the view commits.

A question's `version` (its `updated_at`) is bumped by every change to it or its choices, so an
edit form loaded before someone else's save is refused rather than written over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from eventsite.accounts.models import Role, User
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.core.time import format_local, utcnow

# Imported as a module, used at call time: the registration engine may ask this package about
# answers, so neither needs the other fully loaded first.
from eventsite.events import service as events_service
from eventsite.events.models import ACTIVE_STATUSES, Event, EventOrganizer, Registration
from eventsite.events.permissions import can_manage
from eventsite.extensions import db
from eventsite.organizations.permissions import managed_organization_ids
from eventsite.questions import rules
from eventsite.questions.models import (
    QUESTION_KIND_TITLES,
    Answer,
    AnswerChoice,
    Question,
    QuestionChoice,
    QuestionPurpose,
)
from eventsite.questions.rules import (
    CHOICE_KINDS,
    ChoiceDraft,
    ChoiceSpec,
    DesignProblem,
    QuestionDraft,
    QuestionKind,
    QuestionSpec,
)

#: The most earlier events the copy form offers (the latest first).
COPY_SOURCES_SHOWN = 100


class QuestionDesignError(Refused):
    """A design change was refused; `choice_id` names the choice row the message belongs beside
    (its `field` then names the row's field: "label", "capacity" or "remove")."""

    def __init__(self, message, field: str | None = None, choice_id: int | None = None):
        super().__init__(message, field)
        self.choice_id = choice_id


class StaleQuestionError(QuestionDesignError):
    """The question changed (or went) after the organizer opened the form."""


@dataclass(frozen=True)
class DesignCounts:
    """How much of a question set is already answered: answers per question, and per choice the
    answers that picked it (`chosen`) and those of registrations still holding or waiting for a
    place (`taken`, what its stock counts)."""

    answers: dict[int, int] = field(default_factory=dict)
    chosen: dict[int, int] = field(default_factory=dict)
    taken: dict[int, int] = field(default_factory=dict)


# --- Reading ----------------------------------------------------------------------------------


def questions_of(event_id: int, purpose: str, *, fresh: bool = False) -> list[Question]:
    """An event's questions of one purpose in form order, with their choices (two queries)."""
    stmt = (
        sa.select(Question)
        .where(Question.event_id == event_id, Question.purpose == purpose)
        .order_by(Question.position, Question.id)
        .options(selectinload(Question.choices))
    )
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return list(db.session.scalars(stmt).all())


def question_of(event: Event, purpose: str, question_id: int) -> Question | None:
    """The event's question of this purpose with that id, or None."""
    question = db.session.get(Question, question_id)
    if question is None or question.event_id != event.id or question.purpose != purpose:
        return None
    return question


def design_counts(event_id: int, purpose: str) -> DesignCounts:
    """Answers per question and choices picked, for one event's question set (two queries)."""
    answers = dict(
        db.session.execute(
            sa.select(Answer.question_id, sa.func.count(Answer.id))
            .join(Question, Question.id == Answer.question_id)
            .where(Question.event_id == event_id, Question.purpose == purpose)
            .group_by(Answer.question_id)
        ).all()
    )
    active = sa.case((Registration.status.in_(ACTIVE_STATUSES), 1), else_=0)
    chosen: dict[int, int] = {}
    taken: dict[int, int] = {}
    rows = db.session.execute(
        sa.select(AnswerChoice.choice_id, sa.func.count(), sa.func.sum(active))
        .join(Answer, Answer.id == AnswerChoice.answer_id)
        .join(Question, Question.id == Answer.question_id)
        .join(Registration, Registration.id == Answer.registration_id)
        .where(Question.event_id == event_id, Question.purpose == purpose)
        .group_by(AnswerChoice.choice_id)
    )
    for choice_id, count, holding in rows:
        chosen[choice_id] = count
        taken[choice_id] = int(holding or 0)
    return DesignCounts(answers=answers, chosen=chosen, taken=taken)


def copy_sources(event: Event, user: User, purpose: str) -> list[tuple[int, str]]:
    """(event id, "title (date, n questions)") of the other events `user` manages that have
    questions of this purpose to copy, the latest first (one query, and one for the
    organizations the user holds)."""
    count = sa.func.count(Question.id)
    stmt = (
        sa.select(Event.id, Event.title, Event.starts_at, count)
        .join(Question, Question.event_id == Event.id)
        .where(Question.purpose == purpose, Event.id != event.id)
        .group_by(Event.id, Event.title, Event.starts_at)
        .order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(COPY_SOURCES_SHOWN)
    )
    if not user.is_admin:
        stmt = stmt.where(
            sa.or_(
                Event.organization_id.in_(managed_organization_ids(user, Role.ORGANIZER)),
                Event.id.in_(
                    sa.select(EventOrganizer.event_id).where(EventOrganizer.user_id == user.id)
                ),
            )
        )
    return [
        (
            event_id,
            _(
                "%(title)s (%(date)s, %(n)s questions)",
                title=title,
                date=format_local(starts_at, "%Y-%m-%d"),
                n=n,
            ),
        )
        for event_id, title, starts_at, n in db.session.execute(stmt)
    ]


def specs_for_design(questions: Sequence[Question]) -> list[QuestionSpec]:
    """The rules' view of a question set as designed (choices without stock: not answering)."""
    return [
        QuestionSpec(
            id=question.id,
            kind=QuestionKind(question.kind),
            label=question.label,
            required=question.required,
            choices=tuple(ChoiceSpec(choice.id, choice.label) for choice in question.choices),
            min_value=question.min_value,
            max_value=question.max_value,
            shown_if_choice_id=question.shown_if_choice_id,
        )
        for question in questions
    ]


# --- Designing --------------------------------------------------------------------------------


def add_question(
    event: Event, actor: User, purpose: str, draft: QuestionDraft, *, now: datetime | None = None
) -> Question:
    """Add a question at the end of the event's registration form (or feedback survey)."""
    now = now or utcnow()
    events_service.lock_event(event.id)
    questions = questions_of(event.id, purpose, fresh=True)
    if len(questions) >= rules.MAX_QUESTIONS:
        raise QuestionDesignError(_("A form holds at most %(n)s questions.", n=rules.MAX_QUESTIONS))
    draft = _fitted(draft, purpose)
    new_choices = [choice for choice in draft.choices if not choice.remove]
    _check_design(questions, None, draft, new_choices)
    question = Question(
        event_id=event.id,
        purpose=purpose,
        position=(questions[-1].position + 1) if questions else 0,
        kind=draft.kind,
        label=draft.label,
        help_text=draft.help_text,
        required=draft.required,
        sensitive=draft.sensitive,
        min_value=draft.min_value,
        max_value=draft.max_value,
        shown_if_choice_id=draft.shown_if_choice_id,
        created_at=now,
        updated_at=now,
    )
    for index, choice in enumerate(new_choices):
        question.choices.append(
            QuestionChoice(position=index, label=choice.label, capacity=choice.capacity)
        )
    db.session.add(question)
    db.session.flush()
    audit.record(
        "question.add",
        actor=actor,
        event=event,
        detail=_purpose_prefixed(purpose, _question_summary(question, questions)),
    )
    return question


def update_question(
    question: Question,
    actor: User,
    draft: QuestionDraft,
    *,
    loaded_version: str | None,
    now: datetime | None = None,
) -> list[str]:
    """Change a question as the form left it; returns notes for the organizer (conditions that
    were cleared because the choice they looked at went)."""
    now = now or utcnow()
    event, purpose = question.event, question.purpose
    events_service.lock_event(event.id)
    questions = questions_of(event.id, purpose, fresh=True)
    question = _current(questions, question.id, loaded_version)
    counts = design_counts(event.id, purpose)
    answered = counts.answers.get(question.id, 0)
    draft = _fitted(draft, purpose)
    old_kind, new_kind = QuestionKind(question.kind), QuestionKind(draft.kind)
    if not rules.may_change_kind(old_kind, new_kind, answered > 0):
        raise QuestionDesignError(
            _(
                "%(n)s members have answered this question, so its type stays %(kind)s. You may "
                "still reword it; to ask something else, add a new question.",
                n=answered,
                kind=QUESTION_KIND_TITLES[old_kind],
            ),
            "kind",
        )
    if question.sensitive and not draft.sensitive and not rules.may_unmark_sensitive(answered > 0):
        raise QuestionDesignError(
            _(
                "Members answered this question as sensitive information, so it stays "
                "sensitive: their answers were given on that promise."
            ),
            "sensitive",
        )
    by_id = {choice.id: choice for choice in question.choices}
    drafts = {choice.id: choice for choice in draft.choices if choice.id is not None}
    if set(drafts) - set(by_id):
        raise StaleQuestionError(_stale_message(question))
    keeps_choices = new_kind in CHOICE_KINDS
    removed: list[QuestionChoice] = []
    kept: list[tuple[QuestionChoice, ChoiceDraft]] = []
    for choice in question.choices:
        choice_draft = drafts.get(choice.id) or ChoiceDraft(
            choice.label, choice.capacity, choice.id
        )
        if choice_draft.remove or not keeps_choices:
            if not rules.may_remove_choice(counts.chosen.get(choice.id, 0)):
                raise QuestionDesignError(
                    _(
                        "「%(choice)s」 was chosen in %(n)s answers, so it stays. You may reword it.",
                        choice=choice.label,
                        n=counts.chosen[choice.id],
                    ),
                    "remove",
                    choice_id=choice.id,
                )
            removed.append(choice)
            continue
        taken = counts.taken.get(choice.id, 0)
        if not rules.may_set_stock(choice_draft.capacity, taken):
            raise QuestionDesignError(
                _(
                    "%(n)s registrations already hold 「%(choice)s」, so its stock cannot be "
                    "less than %(n)s.",
                    n=taken,
                    choice=choice.label,
                ),
                "capacity",
                choice_id=choice.id,
            )
        kept.append((choice, choice_draft))
    added = [c for c in draft.choices if c.id is None and not c.remove] if keeps_choices else []
    final = [choice_draft for _choice, choice_draft in kept] + added
    _check_design(questions, question, draft, final)

    changes = _field_changes(question, draft)
    choice_changes: list[LazyString] = []
    for choice, choice_draft in kept:
        if choice.label != choice_draft.label:
            choice_changes.append(
                _l("choice 「%(old)s」 → 「%(new)s」", old=choice.label, new=choice_draft.label)
            )
            choice.label = choice_draft.label
        if choice.capacity != choice_draft.capacity:
            choice_changes.append(
                _l(
                    "stock of 「%(choice)s」: %(old)s → %(new)s",
                    choice=choice.label,
                    old=_stock_shown(choice.capacity),
                    new=_stock_shown(choice_draft.capacity),
                )
            )
            choice.capacity = choice_draft.capacity
    gone = frozenset(choice.id for choice in removed)
    notes = _clear_conditions_on(questions, gone, now)
    for choice in removed:
        choice_changes.append(_l("choice 「%(choice)s」 removed", choice=choice.label))
        question.choices.remove(choice)
    for position, (choice, _draft) in enumerate(kept):
        choice.position = position
    position = len(kept)
    for choice_draft in added:
        question.choices.append(
            QuestionChoice(
                position=position, label=choice_draft.label, capacity=choice_draft.capacity
            )
        )
        position += 1
        choice_changes.append(
            _l("choice 「%(choice)s」 added", choice=choice_draft.label)
            if choice_draft.capacity is None
            else _l(
                "choice 「%(choice)s」 added, stock %(n)s",
                choice=choice_draft.label,
                n=choice_draft.capacity,
            )
        )
    for name, _old, new in changes:
        setattr(question, name, new)
    if not changes and not choice_changes:
        return notes
    _touch(question, now)
    db.session.flush()
    audit.record(
        "question.update",
        actor=actor,
        event=event,
        detail=_purpose_prefixed(
            purpose, _change_summary(question, changes, choice_changes, questions)
        ),
    )
    return notes


def move_question(
    question: Question,
    actor: User,
    step: int,
    *,
    loaded_version: str | None,
    now: datetime | None = None,
) -> None:
    """Move a question one place up (-1) or down (+1); a move that would put a condition above
    the question it looks at is refused."""
    now = now or utcnow()
    event, purpose = question.event, question.purpose
    events_service.lock_event(event.id)
    questions = questions_of(event.id, purpose, fresh=True)
    question = _current(questions, question.id, loaded_version)
    order = rules.moved([q.id for q in questions], question.id, step)
    if order is None:
        raise QuestionDesignError(
            _("This question is already first.")
            if step < 0
            else _("This question is already last.")
        )
    by_id = {q.id: q for q in questions}
    reordered = [by_id[qid] for qid in order]
    broken = rules.conditions_out_of_order(specs_for_design(reordered))
    if broken:
        guarded = by_id[broken[0]]
        raise QuestionDesignError(
            _(
                "「%(question)s」 is shown only when 「%(earlier)s」 is answered 「%(choice)s」, so it "
                "must stay below it. Change or remove its condition first.",
                question=guarded.label,
                earlier=_condition_question(questions, guarded).label,
                choice=_condition_choice(questions, guarded).label,
            )
        )
    for position, moved in enumerate(reordered):
        if moved.position != position:
            moved.position = position
            _touch(moved, now)
    db.session.flush()
    detail = (
        _l(
            "「%(question)s」 moved up, to number %(n)s",
            question=question.label,
            n=order.index(question.id) + 1,
        )
        if step < 0
        else _l(
            "「%(question)s」 moved down, to number %(n)s",
            question=question.label,
            n=order.index(question.id) + 1,
        )
    )
    audit.record(
        "question.move", actor=actor, event=event, detail=_purpose_prefixed(purpose, detail)
    )


def remove_question(
    question: Question,
    actor: User,
    *,
    loaded_version: str | None,
    now: datetime | None = None,
) -> list[str]:
    """Remove a question; its answers go with it, kept in the audit log (masked when the question
    is sensitive). Returns notes about conditions that were cleared."""
    now = now or utcnow()
    event, purpose = question.event, question.purpose
    events_service.lock_event(event.id)
    questions = questions_of(event.id, purpose, fresh=True)
    question = _current(questions, question.id, loaded_version)
    answers = db.session.scalars(
        sa.select(Answer)
        .where(Answer.question_id == question.id)
        .options(
            selectinload(Answer.registration).selectinload(Registration.user),
            selectinload(Answer.chosen),
        )
        .order_by(Answer.registration_id)
    ).all()
    kept = [(answer.registration.user.name, answer_shown(question, answer)) for answer in answers]
    label, kind = question.label, QuestionKind(question.kind)
    gone = frozenset(choice.id for choice in question.choices)
    notes = _clear_conditions_on(questions, gone, now)
    answer_ids = [answer.id for answer in answers]
    if answer_ids:
        db.session.execute(sa.delete(AnswerChoice).where(AnswerChoice.answer_id.in_(answer_ids)))
        db.session.execute(sa.delete(Answer).where(Answer.id.in_(answer_ids)))
    db.session.delete(question)
    db.session.flush()
    for position, other in enumerate(q for q in questions if q.id != question.id):
        if other.position != position:
            other.position = position
            _touch(other, now)
    db.session.flush()

    def detail() -> str:
        text = _(
            "「%(question)s」 (%(kind)s) removed with its %(n)s answers",
            question=label,
            kind=QUESTION_KIND_TITLES[kind],
            n=len(kept),
        )
        for name, answer in kept:
            text += _("; %(name)s: %(answer)s", name=name, answer=answer)
        return text

    audit.record(
        "question.remove",
        actor=actor,
        event=event,
        detail=_purpose_prefixed(purpose, LazyString(detail)),
    )
    return notes


def copy_questions(
    event: Event, actor: User, purpose: str, source_id: int, *, now: datetime | None = None
) -> int:
    """Copy another managed event's questions of this purpose (choices, stocks and conditions,
    remapped to the new choices) after this event's own; returns how many were copied."""
    now = now or utcnow()
    events_service.lock_event(event.id)
    source = db.session.get(Event, source_id)
    if source is None or source.id == event.id or not can_manage(actor, source):
        raise QuestionDesignError(_("Please choose one of the events listed."), "source_event_id")
    originals = questions_of(source.id, purpose)
    if not originals:
        raise QuestionDesignError(_("That event has no questions to copy."), "source_event_id")
    questions = questions_of(event.id, purpose, fresh=True)
    if len(questions) + len(originals) > rules.MAX_QUESTIONS:
        raise QuestionDesignError(
            _(
                "A form holds at most %(n)s questions: this one has %(here)s, that event %(there)s.",
                n=rules.MAX_QUESTIONS,
                here=len(questions),
                there=len(originals),
            ),
            "source_event_id",
        )
    position = (questions[-1].position + 1) if questions else 0
    copies: dict[int, QuestionChoice] = {}
    made: list[Question] = []
    for original in originals:
        copy = Question(
            event_id=event.id,
            purpose=purpose,
            position=position,
            kind=original.kind,
            label=original.label,
            help_text=original.help_text,
            required=original.required,
            sensitive=original.sensitive and purpose == QuestionPurpose.REGISTRATION,
            min_value=original.min_value,
            max_value=original.max_value,
            created_at=now,
            updated_at=now,
        )
        for choice in original.choices:
            new_choice = QuestionChoice(
                position=choice.position,
                label=choice.label,
                capacity=choice.capacity if purpose == QuestionPurpose.REGISTRATION else None,
            )
            copy.choices.append(new_choice)
            copies[choice.id] = new_choice
        made.append(copy)
        position += 1
    db.session.add_all(made)
    db.session.flush()  # the new choices' ids, for the conditions
    for original, copy in zip(originals, made, strict=True):
        if original.shown_if_choice_id in copies:
            copy.shown_if_choice_id = copies[original.shown_if_choice_id].id
    db.session.flush()
    titles = [question.label for question in made]
    audit.record(
        "question.copy",
        actor=actor,
        event=event,
        detail=_purpose_prefixed(
            purpose,
            _l(
                "%(n)s questions copied from 「%(event)s」: %(questions)s",
                n=len(made),
                event=source.title,
                questions=LazyString(lambda: _listed(titles)),
            ),
        ),
    )
    return len(made)


# --- Helpers ----------------------------------------------------------------------------------


def answer_shown(question: Question, answer: Answer) -> str:
    """An answer as the audit log keeps it: choices by their labels, consent as yes or no, and a
    sensitive answer masked — sensitive answers stay out of logs (only exports show them whole)."""
    kind = QuestionKind(question.kind)
    if kind in CHOICE_KINDS:
        labels = {choice.id: choice.label for choice in question.choices}
        text = "、".join(labels.get(chosen.choice_id, "?") for chosen in answer.chosen)
    elif kind == QuestionKind.CONSENT:
        text = _("yes") if answer.value == rules.CONSENT_YES else _("no")
    else:
        text = answer.value
    return rules.masked(text) if question.sensitive else text


def _current(questions: list[Question], question_id: int, loaded_version: str | None) -> Question:
    """The question as it stands under the lock; refused when it went or changed since the form
    was loaded (a form always carries the version it was loaded with)."""
    question = next((q for q in questions if q.id == question_id), None)
    if question is None:
        raise StaleQuestionError(
            _("Someone else removed this question after you opened the page. Nothing was saved.")
        )
    if loaded_version != question.version:
        raise StaleQuestionError(_stale_message(question))
    return question


def _stale_message(question: Question) -> str:
    return _(
        "Someone else changed this question at %(time)s, after you opened this page. Nothing "
        "was saved; check it as it stands now and try again.",
        time=format_local(question.updated_at),
    )


def _touch(question: Question, now: datetime) -> None:
    """Give the question a new version: later than its last, even on a frozen or coarse clock."""
    question.updated_at = max(now, question.updated_at + timedelta(microseconds=1))


def _fitted(draft: QuestionDraft, purpose: str) -> QuestionDraft:
    """What the kind and purpose keep of a draft: bounds for numbers only, choices for choice
    questions only; no sensitive answers and no stock in a feedback survey."""
    kind = QuestionKind(draft.kind)
    feedback = purpose == QuestionPurpose.FEEDBACK
    return QuestionDraft(
        kind=draft.kind,
        label=draft.label.strip(),
        help_text=draft.help_text.strip(),
        required=draft.required,
        sensitive=draft.sensitive and not feedback,
        min_value=draft.min_value if kind == QuestionKind.NUMBER else None,
        max_value=draft.max_value if kind == QuestionKind.NUMBER else None,
        shown_if_choice_id=draft.shown_if_choice_id,
        choices=[
            ChoiceDraft(
                label=choice.label.strip(),
                capacity=None if feedback else choice.capacity,
                id=choice.id,
                remove=choice.remove,
            )
            for choice in draft.choices
        ]
        if kind in CHOICE_KINDS
        else [ChoiceDraft(c.label, None, c.id, True) for c in draft.choices if c.id is not None],
    )


#: The field each design fault is shown beside.
PROBLEM_FIELDS = {
    DesignProblem.NO_CHOICES: "new_choices",
    DesignProblem.BOUNDS_REVERSED: "max_value",
    DesignProblem.CONDITION_NOT_EARLIER: "shown_if_choice_id",
}


def design_problem_message(problem: DesignProblem) -> str:
    if problem == DesignProblem.NO_CHOICES:
        return _("A choice question needs at least one choice: add them one per line.")
    if problem == DesignProblem.BOUNDS_REVERSED:
        return _("The largest number must not be below the smallest.")
    if problem == DesignProblem.CONDITION_NOT_EARLIER:
        return _("A question can only depend on a choice of a question above it.")
    return _("A question with answers cannot change its type.")


def _check_design(
    questions: list[Question],
    question: Question | None,
    draft: QuestionDraft,
    choices: list[ChoiceDraft],
) -> None:
    """Refuse the draft if the question set it makes has a design fault at this question."""
    specs = specs_for_design(questions)
    own = QuestionSpec(
        id=question.id if question is not None else 0,
        kind=QuestionKind(draft.kind),
        label=draft.label,
        required=draft.required,
        # New choices have no id yet: stand-ins no real choice has.
        choices=tuple(
            ChoiceSpec(choice.id if choice.id is not None else -index - 1, choice.label)
            for index, choice in enumerate(choices)
        ),
        min_value=draft.min_value,
        max_value=draft.max_value,
        shown_if_choice_id=draft.shown_if_choice_id,
    )
    if question is None:
        specs.append(own)
    else:
        specs = [own if spec.id == question.id else spec for spec in specs]
    problem = rules.design_problems(specs).get(own.id)
    if problem is not None:
        raise QuestionDesignError(design_problem_message(problem), PROBLEM_FIELDS.get(problem))


def _clear_conditions_on(
    questions: list[Question], choice_ids: frozenset[int], now: datetime
) -> list[str]:
    """Clear the conditions that look at choices going away; a note for each question freed."""
    notes = []
    for question in questions:
        if question.shown_if_choice_id in choice_ids:
            question.shown_if_choice_id = None
            _touch(question, now)
            notes.append(
                _(
                    "「%(question)s」 is now always shown: the choice its condition looked at was "
                    "removed.",
                    question=question.label,
                )
            )
    return notes


def _condition_question(questions: Sequence[Question], question: Question) -> Question:
    return next(q for q in questions for c in q.choices if c.id == question.shown_if_choice_id)


def _condition_choice(questions: Sequence[Question], question: Question) -> QuestionChoice:
    return next(c for q in questions for c in q.choices if c.id == question.shown_if_choice_id)


#: The question fields a change is audited by, with their form labels.
FIELD_TITLES = {
    "kind": _l("Type"),
    "label": _l("Question"),
    "help_text": _l("Explanation"),
    "required": _l("Required"),
    "sensitive": _l("Sensitive information"),
    "min_value": _l("Smallest number"),
    "max_value": _l("Largest number"),
    "shown_if_choice_id": _l("Shown only when"),
}


def _field_changes(question: Question, draft: QuestionDraft) -> list[tuple[str, object, object]]:
    return [
        (name, getattr(question, name), getattr(draft, name))
        for name in FIELD_TITLES
        if getattr(question, name) != getattr(draft, name)
    ]


def _change_summary(
    question: Question,
    changes: list[tuple[str, object, object]],
    choice_changes: list[LazyString],
    questions: Sequence[Question],
) -> LazyString:
    labels = {c.id: f"{q.label}: {c.label}" for q in questions for c in q.choices}

    def shown(name: str, value) -> str:
        if value is None or value == "":
            return _("(none)")
        if name == "kind":
            return str(QUESTION_KIND_TITLES[QuestionKind(value)])
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if name == "shown_if_choice_id":
            return labels.get(value, "?")
        return str(value)

    fields = audit.field_changes(changes, FIELD_TITLES, shown)

    def text() -> str:
        parts = [str(fields)] if changes else []
        parts += [str(change) for change in choice_changes]
        listed = parts[0] if parts else ""
        for part in parts[1:]:
            listed = _("%(first)s; %(then)s", first=listed, then=part)
        return _("%(label)s: %(value)s", label=question.label, value=listed)

    return LazyString(text)


def _question_summary(question: Question, questions: Sequence[Question]) -> LazyString:
    """「label」 (type), its choices and condition: what an added question is, for the log."""
    kind = QuestionKind(question.kind)
    choices = [rules.stock_line(choice.label, choice.capacity) for choice in question.choices]
    condition = (
        next(
            (
                f"{q.label}: {c.label}"
                for q in questions
                for c in q.choices
                if c.id == question.shown_if_choice_id
            ),
            None,
        )
        if question.shown_if_choice_id
        else None
    )

    def text() -> str:
        summary = _(
            "「%(question)s」 (%(kind)s)", question=question.label, kind=QUESTION_KIND_TITLES[kind]
        )
        if choices:
            summary = _("%(label)s: %(value)s", label=summary, value="、".join(choices))
        if condition:
            summary = _(
                "%(first)s; %(then)s",
                first=summary,
                then=_("shown only when %(choice)s", choice=condition),
            )
        return summary

    return LazyString(text)


def _purpose_prefixed(purpose: str, detail: LazyString) -> LazyString:
    """Feedback questions' entries say so; registration questions are the default."""
    if purpose != QuestionPurpose.FEEDBACK:
        return detail
    return LazyString(
        lambda: _("%(label)s: %(value)s", label=_("Feedback survey"), value=str(detail))
    )


def _stock_shown(capacity: int | None) -> str:
    return _("no limit") if capacity is None else str(capacity)


def _listed(titles: Sequence[str]) -> str:
    return "、".join(f"「{title}」" for title in titles)
