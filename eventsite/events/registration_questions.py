"""What the event page and the roster need from the questions an organizer adds to an event.

`questions/` builds on events (its answers belong to registrations), so events may not import
it: events states here what it asks of registration questions, and `questions` installs the
answer at app start (`questions.answers.install`). The event page, the registration view and
the roster ask `provider()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app

from eventsite.events.models import Event, Registration

EXTENSION_KEY = "eventsite.registration_questions"


class AskedQuestions(Protocol):
    """An event's registration questions as one member's form shows them: the questions in form
    order, the values to show, a message beside each refused answer, the choices run out."""

    questions: Sequence[Any]
    values: Mapping[int, list[str]]
    problems: Mapping[int, str]
    full: frozenset[int]

    @property
    def ok(self) -> bool: ...

    def check_stock(self, event: Event) -> None:
        """Under the event's lock: raise RegistrationError (with the question's field) when a
        picked choice ran out meanwhile."""

    def save(self, registration: Registration) -> None:
        """Write the accepted answers for `registration`, replacing any it had."""


@dataclass(frozen=True)
class RosterColumn:
    """One question as a roster column."""

    question_id: int
    label: str


class QuestionsProvider(Protocol):
    def asked(self, event: Event, user, formdata=None) -> AskedQuestions:
        """The event's registration questions for `user`: read from `formdata` when given."""

    def roster_columns(self, event: Event) -> list[RosterColumn]: ...

    def roster_cells(
        self, event: Event, registration_ids: Sequence[int], *, in_full: bool
    ) -> dict[int, dict[int, str]]:
        """{registration id: {question id: answer as text}} in one query; sensitive answers
        masked unless `in_full` (exports only)."""

    def answer_filters(self, event: Event) -> list[tuple[str, str]]:
        """(value, label) of each filter the roster offers on answers."""

    def answer_condition(self, event_id: int, value: str) -> sa.ColumnElement[bool] | None:
        """A condition on `Registration` keeping the registrations the filter `value` names."""


def provider() -> QuestionsProvider:
    return current_app.extensions[EXTENSION_KEY]
