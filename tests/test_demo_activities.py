"""The demo's union activities: the courier care day (sessions, a question set with a condition,
a stock and a sensitive answer) and the 职工讲堂 lecture whose feedback has come in."""

from __future__ import annotations

from html.parser import HTMLParser

import sqlalchemy as sa

from eventsite.demo_activities import (
    CARE_DAY_SESSIONS,
    CARE_DAY_SPREAD,
    CARE_DAY_TITLE,
    GLOVE_SIZES,
    LECTURE_RESPONSES,
    LECTURE_TITLE,
)
from eventsite.events.models import Event, EventKind, EventSession, Registration
from eventsite.events.models import RegistrationStatus as S
from eventsite.extensions import db
from eventsite.feedback.models import FeedbackReceipt, FeedbackResponse
from eventsite.questions.models import AnswerChoice, Question, QuestionChoice
from tests.test_demo import load


def event_titled(title: str) -> Event:
    return db.session.scalars(sa.select(Event).where(Event.title == title)).one()


def test_the_care_day_runs_in_sessions_that_fill_unevenly(runner, clock):
    load(runner)
    event = event_titled(CARE_DAY_TITLE)
    assert event.kind == EventKind.GENERAL and event.organization.name == "辽宁省总工会"
    sessions = db.session.scalars(
        sa.select(EventSession)
        .where(EventSession.event_id == event.id)
        .order_by(EventSession.position)
    ).all()
    assert [s.capacity for s in sessions] == [spec[5] for spec in CARE_DAY_SESSIONS]
    rows = db.session.execute(
        sa.select(Registration.session_id, Registration.status, sa.func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.session_id, Registration.status)
    ).all()
    held = {(sid, status): n for sid, status, n in rows}
    first, second, third = sessions
    assert held[(first.id, S.CONFIRMED)] == first.capacity == 30
    assert held[(first.id, S.WAITLISTED)] == CARE_DAY_SPREAD[0] - first.capacity == 3
    assert held[(second.id, S.CONFIRMED)] == CARE_DAY_SPREAD[1]
    assert held[(third.id, S.CONFIRMED)] == CARE_DAY_SPREAD[2]


def test_the_care_day_asks_its_questions_within_their_rules(runner, clock, client, auth):
    load(runner)
    event = event_titled(CARE_DAY_TITLE)
    questions = {
        q.label: q
        for q in db.session.scalars(sa.select(Question).where(Question.event_id == event.id))
    }
    gloves, size = questions["是否领取冬季防寒手套"], questions["手套尺码"]
    assert size.shown_if_choice_id == gloves.choices[0].id
    assert [(c.label, c.capacity) for c in size.choices] == list(GLOVE_SIZES)
    assert questions["身份证号（用于购买活动意外险）"].sensitive
    # No glove size is handed out beyond its stock, and only to those who take gloves.
    picked = dict(
        db.session.execute(
            sa.select(AnswerChoice.choice_id, sa.func.count())
            .join(QuestionChoice, QuestionChoice.id == AnswerChoice.choice_id)
            .where(QuestionChoice.question_id == size.id)
            .group_by(AnswerChoice.choice_id)
        ).all()
    )
    assert all(picked.get(c.id, 0) <= c.capacity for c in size.choices)
    takers = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AnswerChoice)
        .where(AnswerChoice.choice_id == gloves.choices[0].id)
    )
    assert sum(picked.values()) == takers > 0
    # The organizer's roster shows ID numbers masked, the export in full.
    from eventsite.accounts.models import User

    auth.become(db.session.scalars(sa.select(User).where(User.mobile == "13900000002")).one())
    page = client.get(f"/events/{event.id}/roster").get_data(as_text=True)
    assert "**************" in page
    export = client.get(f"/events/{event.id}/roster.csv").get_data(as_text=True)
    assert "身份证号（用于购买活动意外险）" in export
    assert "**************" not in export


def test_the_lecture_has_its_feedback_and_the_demo_member_may_still_answer(
    runner, clock, client, auth
):
    load(runner)
    event = event_titled(LECTURE_TITLE)
    responses = db.session.scalars(
        sa.select(FeedbackResponse).where(FeedbackResponse.event_id == event.id)
    ).all()
    assert sorted(r.rating for r in responses) == sorted(LECTURE_RESPONSES)
    receipts = db.session.scalar(
        sa.select(sa.func.count()).where(FeedbackReceipt.event_id == event.id)
    )
    assert receipts == len(responses) == 18
    from eventsite.accounts.models import User

    member = db.session.scalars(sa.select(User).where(User.mobile == "13900000004")).one()
    auth.become(member)
    survey = client.get(f"/events/{event.id}/feedback")
    assert survey.status_code == 200
    organizer = db.session.scalars(sa.select(User).where(User.mobile == "13900000002")).one()
    auth.become(organizer)
    results = client.get(f"/events/{event.id}/feedback/results").get_data(as_text=True)
    figures = FiguresParser.of(results)
    assert figures.by_id["responses"] == "18"
    assert figures.by_id["average"] == "4.6"
    # 11 × 5, 6 × 4 and one 3: each rating's own cell.
    assert figures.by_rating == {"5": "11", "4": "6", "3": "1", "2": "0", "1": "0"}
    assert figures.by_rating == {str(r): str(LECTURE_RESPONSES.count(r)) for r in range(1, 6)}


class FiguresParser(HTMLParser):
    """The text of the results page's figures: the elements with an id, and the distribution's
    cells by their data-rating."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, str] = {}
        self.by_rating: dict[str, str] = {}
        self._open: list[tuple[str, str]] = []  # (kind, key) of the elements being read

    @classmethod
    def of(cls, html: str) -> FiguresParser:
        parser = cls()
        parser.feed(html)
        return parser

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-rating" in attrs:
            self._open.append(("rating", attrs["data-rating"]))
            self.by_rating[attrs["data-rating"]] = ""
        elif tag == "strong" and "id" in attrs:
            self._open.append(("id", attrs["id"]))
            self.by_id[attrs["id"]] = ""

    def handle_endtag(self, tag):
        if self._open and tag in ("strong", "td"):
            self._open.pop()

    def handle_data(self, data):
        if self._open:
            kind, key = self._open[-1]
            figures = self.by_id if kind == "id" else self.by_rating
            figures[key] = (figures[key] + data).strip()
