"""The feedback survey: who may answer it, saving an answer apart from who gave it, what
organizers see of the responses, and the notice that the survey is open.

Functions flush, never commit: the view or the scheduler job that calls them commits once.
Nothing here writes to the audit log: an entry "member X answered" would tell organizers who
answered, which the survey keeps from them, and an answer never goes into a log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventsite.accounts.models import User
from eventsite.core.errors import Refused
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, to_local
from eventsite.events.models import Event, EventStatus, Registration, RegistrationStatus
from eventsite.events.reminders import claim
from eventsite.events.roster import Page
from eventsite.extensions import db
from eventsite.feedback import rules
from eventsite.feedback.models import FeedbackAnswer, FeedbackReceipt, FeedbackResponse
from eventsite.questions import rules as question_rules
from eventsite.questions.models import Question, QuestionPurpose
from eventsite.questions.rules import AnswerProblem, QuestionKind, QuestionSpec

#: SentNotice kind: the member was told the survey is open.
FEEDBACK_OPEN = "feedback_open"


class FeedbackError(Refused):
    """The survey refused a member's answer as a whole (`refusal` says why)."""

    def __init__(self, refusal: rules.Refusal):
        super().__init__(refusal_message(refusal))
        self.refusal = refusal


def refusal_message(refusal: rules.Refusal) -> str:
    """Why the survey is not open to this member, in their words."""
    if refusal == rules.Refusal.ALREADY_ANSWERED:
        return _("You have already answered this survey. Thank you: each member answers once.")
    if refusal == rules.Refusal.NOT_YET:
        return _("The feedback survey opens when the event ends.")
    if refusal == rules.Refusal.CLOSED:
        return _(
            "The feedback survey closed %(days)s days after the event ended.",
            days=rules.FEEDBACK_DAYS,
        )
    if refusal == rules.Refusal.EVENT_NOT_HELD:
        return _("This event was not held, so it has no feedback survey.")
    return _("Only members who checked in at the event are asked for feedback.")


# --- Questions and standing -------------------------------------------------------------------


def feedback_questions(event_id: int) -> list[Question]:
    """The event's feedback questions in form order, with their choices (two statements)."""
    return list(
        db.session.scalars(
            sa.select(Question)
            .where(Question.event_id == event_id, Question.purpose == QuestionPurpose.FEEDBACK)
            .options(selectinload(Question.choices))
            .order_by(Question.position, Question.id)
        )
    )


def _answered(event_id: int, user_id: int):
    return sa.exists().where(
        FeedbackReceipt.event_id == event_id, FeedbackReceipt.user_id == user_id
    )


def standing(event: Event, user_id: int, now: datetime) -> rules.Refusal | None:
    """Why the member may not answer `event`'s survey now, or None (one statement)."""
    row = db.session.execute(
        sa.select(
            Registration.status, Registration.checked_in_at, _answered(event.id, user_id)
        ).where(Registration.event_id == event.id, Registration.user_id == user_id)
    ).one_or_none()
    if row is None:
        return rules.Refusal.NOT_ATTENDEE
    status, checked_in_at, answered = row
    return rules.refusal(
        published=event.status == EventStatus.PUBLISHED,
        confirmed=status == RegistrationStatus.CONFIRMED,
        checked_in=checked_in_at is not None,
        ends_at=event.ends_at,
        answered=bool(answered),
        now=now,
    )


def is_attendee(event: Event, user_id: int) -> bool:
    """Confirmed and checked in at the event: the members its survey is for."""
    return (
        db.session.scalar(
            sa.select(sa.literal(True)).where(
                Registration.event_id == event.id,
                Registration.user_id == user_id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.checked_in_at.is_not(None),
            )
        )
        is not None
    )


def open_surveys(user_id: int, registrations: Iterable[Registration], now: datetime) -> set[int]:
    """Of the member's registrations (their events loaded), the event ids whose survey is open
    to them and not yet answered (one statement, none when no window is open)."""
    candidates = {
        reg.event_id
        for reg in registrations
        if reg.status == RegistrationStatus.CONFIRMED
        and reg.checked_in_at is not None
        and reg.event.status == EventStatus.PUBLISHED
        and rules.is_open(reg.event.ends_at, now)
    }
    if not candidates:
        return set()
    answered = set(
        db.session.scalars(
            sa.select(FeedbackReceipt.event_id).where(
                FeedbackReceipt.user_id == user_id, FeedbackReceipt.event_id.in_(candidates)
            )
        )
    )
    return candidates - answered


# --- Answering ----------------------------------------------------------------------------------


@dataclass
class Submission:
    """What the survey made of a form: the problems beside the rating, the comment and each
    question; empty when the response was saved."""

    rating: rules.InputProblem | None = None
    comment: rules.InputProblem | None = None
    answers: Mapping[int, AnswerProblem] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rating is None and self.comment is None and not self.answers


def submit(
    event: Event,
    user: User,
    *,
    rating_sent: Sequence[str],
    comment_sent: Sequence[str],
    questions: Sequence[QuestionSpec],
    raw: Mapping[int, Sequence[str]],
    now: datetime,
) -> Submission:
    """Save the member's answer to `event`'s survey, if every field is acceptable: a receipt
    naming the member, and, apart from it, a response naming nobody. Raises FeedbackError when
    the survey is not open to them (a second answer included); returns the problems, having
    saved nothing, when a field is refused."""
    refused = standing(event, user.id, now)
    if refused is not None:
        raise FeedbackError(refused)
    rating = rules.read_rating(rating_sent)
    comment = rules.read_comment(comment_sent)
    reading = question_rules.read_answers(questions, raw)
    outcome = Submission(
        rating=rating if isinstance(rating, rules.InputProblem) else None,
        comment=comment if isinstance(comment, rules.InputProblem) else None,
        answers=reading.problems,
    )
    if not outcome.ok:
        return outcome
    try:
        # The receipt's key refuses a second answer, a concurrent one included.
        with db.session.begin_nested():
            db.session.add(FeedbackReceipt(event_id=event.id, user_id=user.id))
            db.session.flush()
    except IntegrityError:
        raise FeedbackError(rules.Refusal.ALREADY_ANSWERED) from None
    response = FeedbackResponse(
        event_id=event.id,
        rating=rating,
        comment=comment,
        submitted_on=to_local(now).date(),
    )
    response.answers = [
        FeedbackAnswer(question_id=qid, value=question_rules.stored_text(value))
        for qid, value in reading.values.items()
    ]
    db.session.add(response)
    db.session.flush()
    return outcome


# --- Results ------------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    #: Choice questions: (label, how many picked it) in the question's order.
    choices: list[tuple[str, int]] = field(default_factory=list)
    #: Number questions: their average.
    average: Decimal | None = None
    #: Text and date questions: this page of the answers, in no order that follows the members.
    texts: list[str] = field(default_factory=list)


@dataclass
class Results:
    summary: rules.RatingSummary
    shown: bool
    #: This page of the comments (in the responses' random order: nothing follows who answered).
    comments: list[str] = field(default_factory=list)
    comments_total: int = 0
    questions: list[QuestionResult] = field(default_factory=list)
    #: The page of the written answers (comments and text answers are paged together).
    page: Page = field(default_factory=lambda: Page([], 0, 1, rules.WRITTEN_PER_PAGE))


#: Questions answered in words, whose answers are listed (a page at a time), not counted.
WRITTEN_KINDS = (
    frozenset(QuestionKind)
    - question_rules.CHOICE_KINDS
    - {
        QuestionKind.NUMBER,
        QuestionKind.CONSENT,
    }
)

#: The "question id" of the comments among the written answers (question ids start at 1).
_COMMENTS = 0


def _written_totals(event_id: int):
    """One statement: (rating, responses, comments) for each rating given, and (question id,
    answers, written answers) for each question answered in words."""
    of_event = FeedbackResponse.event_id == event_id
    by_rating = (
        sa.select(
            sa.literal(True).label("rating"),
            FeedbackResponse.rating.label("key"),
            sa.func.count().label("n"),
            sa.func.count().filter(FeedbackResponse.comment != "").label("written"),
        )
        .where(of_event)
        .group_by(FeedbackResponse.rating)
    )
    by_question = (
        sa.select(
            sa.literal(False),
            FeedbackAnswer.question_id,
            sa.func.count(),
            sa.func.count().filter(FeedbackAnswer.value != ""),
        )
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(Question, Question.id == FeedbackAnswer.question_id)
        .where(of_event, Question.kind.in_(WRITTEN_KINDS))
        .group_by(FeedbackAnswer.question_id)
    )
    return db.session.execute(sa.union_all(by_rating, by_question)).all()


def _written_page(event_id: int, offset: int, per_page: int) -> dict[int, list[str]]:
    """One statement: this page of the comments (under `_COMMENTS`) and of each question's
    written answers, each in the responses' random order."""
    of_event = FeedbackResponse.event_id == event_id
    comments = sa.select(
        sa.literal(_COMMENTS).label("question_id"),
        FeedbackResponse.comment.label("value"),
        sa.func.row_number().over(order_by=FeedbackResponse.id).label("n"),
    ).where(of_event, FeedbackResponse.comment != "")
    answers = (
        sa.select(
            FeedbackAnswer.question_id,
            FeedbackAnswer.value,
            sa.func.row_number()
            .over(partition_by=FeedbackAnswer.question_id, order_by=FeedbackAnswer.response_id)
            .label("n"),
        )
        .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
        .join(Question, Question.id == FeedbackAnswer.question_id)
        .where(of_event, Question.kind.in_(WRITTEN_KINDS), FeedbackAnswer.value != "")
    )
    numbered = sa.union_all(comments, answers).subquery()
    page: dict[int, list[str]] = {}
    for question_id, value in db.session.execute(
        sa.select(numbered.c.question_id, numbered.c.value)
        .where(numbered.c.n > offset, numbered.c.n <= offset + per_page)
        .order_by(numbered.c.question_id, numbered.c.n)
    ):
        page.setdefault(question_id, []).append(value)
    return page


def results(event: Event, page: int = 1) -> Results:
    """What organizers see of `event`'s responses: below 5 responses only their number; from 5
    the rating's average and distribution, each question's aggregate and one page of the
    comments and written answers, never a member (a fixed number of statements whatever the
    number of responses)."""
    per_page = rules.WRITTEN_PER_PAGE
    totals = _written_totals(event.id)
    summary = rules.rating_summary({key: n for rating, key, n, _w in totals if rating})
    if not rules.results_shown(summary.responses):
        return Results(summary=summary, shown=False)
    comments_total = sum(written for rating, _key, _n, written in totals if rating)
    answered = {key: n for rating, key, n, _w in totals if not rating}
    longest = max([comments_total, *(written for rating, _k, _n, written in totals if not rating)])
    page = rules.written_page(page, longest, per_page)
    written = _written_page(event.id, (page - 1) * per_page, per_page)
    questions = feedback_questions(event.id)
    counted = [q.id for q in questions if q.kind not in WRITTEN_KINDS]
    stored: dict[int, list[str]] = {question_id: [] for question_id in counted}
    if counted:
        rows = db.session.execute(
            sa.select(FeedbackAnswer.question_id, FeedbackAnswer.value)
            .join(FeedbackResponse, FeedbackResponse.id == FeedbackAnswer.response_id)
            .where(FeedbackResponse.event_id == event.id, FeedbackAnswer.question_id.in_(counted))
            .order_by(FeedbackAnswer.question_id, FeedbackAnswer.response_id)
        ).all()
        for question_id, value in rows:
            stored[question_id].append(value)
    return Results(
        summary=summary,
        shown=True,
        comments=written.get(_COMMENTS, []),
        comments_total=comments_total,
        questions=[
            QuestionResult(question=q, answered=answered.get(q.id, 0), texts=written.get(q.id, []))
            if q.kind in WRITTEN_KINDS
            else _question_result(q, stored[q.id])
            for q in questions
        ],
        page=Page([], longest, page, per_page),
    )


def _question_result(question: Question, values: list[str]) -> QuestionResult:
    """A choice, number or consent question's aggregate from all its stored answers."""
    kind = QuestionKind(question.kind)
    result = QuestionResult(question=question, answered=len(values))
    if kind in question_rules.CHOICE_KINDS:
        counts = rules.choice_counts(values, [choice.id for choice in question.choices])
        result.choices = [(choice.label, counts[choice.id]) for choice in question.choices]
    elif kind == QuestionKind.NUMBER:
        result.answered, result.average = rules.number_average(values)
    else:
        yes = sum(1 for value in values if value == question_rules.CONSENT_YES)
        result.choices = [(_("Yes"), yes), (_("No"), len(values) - yes)]
    return result


# --- The notice that the survey is open ------------------------------------------------------------


def events_due_notice(now: datetime) -> list[Event]:
    """Published events whose survey is open now (ended within the last 7 days)."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.ends_at <= now,
                Event.ends_at > now - rules.WINDOW,
            )
            .order_by(Event.ends_at, Event.id)
        )
    )


def send_notice(event: Event, now: datetime) -> int:
    """Tell each checked-in attendee of `event` who has not answered, once, that its survey is
    open and until when; returns how many were told."""
    if not (event.is_published and rules.is_open(event.ends_at, now)):
        return 0
    from eventsite.core.models import SentNotice

    recipients = (
        sa.select(User.id.label("user_id"))
        .join(Registration, Registration.user_id == User.id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.checked_in_at.is_not(None),
            User.active.is_(True),
            ~_answered(event.id, User.id),
            ~sa.exists().where(
                SentNotice.kind == FEEDBACK_OPEN,
                SentNotice.event_id == event.id,
                SentNotice.user_id == User.id,
            ),
        )
    )
    ids = claim(FEEDBACK_OPEN, event, recipients, now)
    if not ids:
        return 0
    users = db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)).all()
    title = event.title
    closes = rules.window(event.ends_at)[1]

    def render():
        return (
            _("How was %(title)s? Tell us in a short survey", title=title),
            _(
                "Thank you for coming to %(title)s. Please rate it and tell the organizers what to keep and what to change, by %(closes)s. Your answer is anonymous: the organizers see only totals and comments without names.",
                title=title,
                closes=format_local(closes),
            ),
        )

    for user in users:
        notify(user, render, link=survey_path(event))
    db.session.flush()
    return len(users)


def survey_path(event: Event) -> str:
    return f"/events/{event.id}/feedback"


# --- Accounts: deletion and the member's data export -------------------------------------------


def delete_receipts(user_id: int) -> None:
    """The member's receipts go with their account; the responses, naming nobody, stay."""
    db.session.execute(sa.delete(FeedbackReceipt).where(FeedbackReceipt.user_id == user_id))


def answered_events(user_id: int) -> list[Event]:
    """The events whose survey the member answered (their answers name nobody, so cannot be
    found again, not even for them)."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .join(FeedbackReceipt, FeedbackReceipt.event_id == Event.id)
            .where(FeedbackReceipt.user_id == user_id)
            .order_by(Event.starts_at, Event.id)
        )
    )
