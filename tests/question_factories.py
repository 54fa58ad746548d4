"""Questions for tests: a question with its choices, straight into the database."""

from __future__ import annotations

from eventsite.events.models import Event
from eventsite.extensions import db
from eventsite.questions.models import Question, QuestionChoice, QuestionPurpose


def make_question(
    event: Event,
    kind: str,
    label: str = "问题",
    *,
    choices=(),
    purpose: str = QuestionPurpose.REGISTRATION,
    shown_if=None,
    **fields,
) -> Question:
    """`choices`: labels, or (label, capacity) pairs; `shown_if`: a QuestionChoice."""
    position = fields.pop("position", None)
    if position is None:
        position = len(
            db.session.scalars(
                db.select(Question.id).where(
                    Question.event_id == event.id, Question.purpose == purpose
                )
            ).all()
        )
    question = Question(
        event_id=event.id,
        purpose=purpose,
        position=position,
        kind=kind,
        label=label,
        shown_if_choice_id=shown_if.id if shown_if is not None else None,
        **fields,
    )
    for index, choice in enumerate(choices):
        label_, capacity = choice if isinstance(choice, tuple) else (choice, None)
        question.choices.append(QuestionChoice(position=index, label=label_, capacity=capacity))
    db.session.add(question)
    db.session.flush()
    return question
