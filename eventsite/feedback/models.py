"""Feedback after an event, kept so that who answered and what they answered never meet.

- `FeedbackReceipt` (event, member): the member has answered this event's survey; it refuses a
  second answer and goes with the account. It holds no time and no link to the answer.
- `FeedbackResponse` (event, rating, comment, day): what was answered, with no member in it. Its
  id is random and its day is a date, not a time, so neither an id nor a timestamp ties a
  response to a receipt or to the order members answered in; on SQLite the tables are stored
  in key order (WITHOUT ROWID), so not even the file's row order does.
- `FeedbackAnswer` (response, question, value): the answers to the organizer's own feedback
  questions (`Question.purpose == "feedback"`), as `questions.rules.stored_text` writes them.

Organizers see aggregates of the responses only, and nothing but their number below
`rules.RESULTS_SHOWN_FROM` responses.
"""

from __future__ import annotations

import secrets
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsite.extensions import db


def random_id() -> str:
    """A response's id: 32 random hex digits, so ids say nothing about the order of answers."""
    return secrets.token_hex(16)


class FeedbackReceipt(db.Model):
    """A member answered an event's feedback survey (and may not answer it again)."""

    __tablename__ = "feedback_receipt"
    __table_args__ = {"sqlite_with_rowid": False}

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FeedbackResponse(db.Model):
    """One anonymous answer to an event's feedback survey: a rating, a comment, the answers."""

    __tablename__ = "feedback_response"
    __table_args__ = (
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_id)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: 1 (very dissatisfied) to 5 (very satisfied).
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: The day it was sent (Beijing time), never the time: a time could be matched to a receipt.
    submitted_on: Mapped[date] = mapped_column(sa.Date)

    answers: Mapped[list[FeedbackAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class FeedbackAnswer(db.Model):
    """A response's answer to one of the organizer's feedback questions."""

    __tablename__ = "feedback_answer"
    __table_args__ = {"sqlite_with_rowid": False}

    response_id: Mapped[str] = mapped_column(
        sa.ForeignKey("feedback_response.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: `questions.rules.stored_text`: choices as their ids, comma-separated.
    value: Mapped[str] = mapped_column(sa.Text, default="")

    response: Mapped[FeedbackResponse] = relationship(back_populates="answers")
