"""Registration and feedback questions, their choices, and members' registration answers."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.events.models import Event, Registration
from eventsite.extensions import db
from eventsite.questions.rules import QuestionKind


class QuestionPurpose(enum.StrEnum):
    """When a question is asked: with the registration, or in the feedback survey afterwards."""

    REGISTRATION = "registration"
    FEEDBACK = "feedback"


QUESTION_KIND_TITLES = {
    QuestionKind.SHORT_TEXT: _l("Short text"),
    QuestionKind.LONG_TEXT: _l("Long text"),
    QuestionKind.SINGLE_CHOICE: _l("Single choice"),
    QuestionKind.MULTIPLE_CHOICE: _l("Multiple choice"),
    QuestionKind.NUMBER: _l("Whole number"),
    QuestionKind.DATE: _l("Date"),
    QuestionKind.CONSENT: _l("Yes/no consent"),
}


class Question(db.Model):
    """One question of an event's registration form or feedback survey."""

    __tablename__ = "question"
    __table_args__ = (sa.Index("ix_question_event_purpose", "event_id", "purpose", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    #: `QuestionPurpose`.
    purpose: Mapped[str] = mapped_column(sa.String(20), default=QuestionPurpose.REGISTRATION)
    #: Order on the form; a condition may only look at a question placed before it.
    position: Mapped[int] = mapped_column(default=0)
    #: `rules.QuestionKind`; fixed once the question has answers (it may still be reworded).
    kind: Mapped[str] = mapped_column(sa.String(20))
    label: Mapped[str] = mapped_column(sa.String(200))
    help_text: Mapped[str] = mapped_column(sa.String(500), default="")
    required: Mapped[bool] = mapped_column(default=False)
    #: Answers are personal data of a higher grade (an ID number): masked on screens, never
    #: logged, in full only in exports, deleted `Event`'s retention days after the event.
    sensitive: Mapped[bool] = mapped_column(default=False)
    #: Number questions: the smallest and largest whole number accepted (None: no bound).
    min_value: Mapped[int | None]
    max_value: Mapped[int | None]
    #: Shown (and asked) only when this choice of an earlier question is chosen.
    shown_if_choice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_choice.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow()
    )

    event: Mapped[Event] = relationship()
    choices: Mapped[list[QuestionChoice]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        order_by="QuestionChoice.position, QuestionChoice.id",
        foreign_keys="QuestionChoice.question_id",
    )
    shown_if_choice: Mapped[QuestionChoice | None] = relationship(
        foreign_keys=[shown_if_choice_id], post_update=True
    )

    @property
    def kind_enum(self) -> QuestionKind:
        return QuestionKind(self.kind)

    @property
    def version(self) -> str:
        """The last design change's stamp (its choices' too): an edit form carries it, so a save
        over a newer one is refused."""
        return self.updated_at.isoformat()

    def __repr__(self) -> str:
        return f"<Question {self.id} event={self.event_id} {self.kind} {self.label!r}>"


class QuestionChoice(db.Model):
    """One choice of a single- or multiple-choice question, with its stock if it has one."""

    __tablename__ = "question_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(sa.String(100))
    #: How many registrations holding or waiting for a place may choose it (shirts in stock,
    #: seats on a bus); None: no limit.
    capacity: Mapped[int | None]

    question: Mapped[Question] = relationship(back_populates="choices", foreign_keys=[question_id])


class Answer(db.Model):
    """A member's answer to one registration question, kept with their registration."""

    __tablename__ = "answer"
    __table_args__ = (sa.UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    #: The answer as `rules.stored_text` writes it (choices as their ids: see AnswerChoice).
    value: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=lambda: utcnow(), onupdate=lambda: utcnow()
    )

    registration: Mapped[Registration] = relationship()
    question: Mapped[Question] = relationship()
    chosen: Mapped[list[AnswerChoice]] = relationship(
        back_populates="answer", cascade="all, delete-orphan"
    )


class AnswerChoice(db.Model):
    """A choice an answer picked: counted against the choice's stock, filtered on in the roster."""

    __tablename__ = "answer_choice"

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True
    )
    choice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question_choice.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    answer: Mapped[Answer] = relationship(back_populates="chosen")
    choice: Mapped[QuestionChoice] = relationship()
