"""Competition set-up: rounds and criteria, the round's settings as rule values, and what
published results depend on (a change to it is refused until the publication is withdrawn).

Functions flush; the view, job or CLI command that called them commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from eventsite.accounts.models import User
from eventsite.competitions import rules
from eventsite.competitions.models import (
    Aggregation,
    Criterion,
    Round,
    Score,
    ScoreSheet,
)
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.events.models import Event
from eventsite.events.service import lock_event
from eventsite.extensions import db


class CompetitionError(Refused):
    """A competition action was refused."""


class SheetRefused(Exception):
    """Some scores on a sheet were refused: {form field name: message}; nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("score sheet refused")
        self.errors = errors


def plain(value: Decimal | None) -> str:
    """A Decimal as typed, without trailing zeros: 8.50 → 8.5, 10.00 → 10; "" for None."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def rounds_of(event: Event) -> list[Round]:
    return list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.event_id == event.id)
            .options(selectinload(Round.criteria), selectinload(Round.tiers))
            .order_by(Round.position, Round.id)
        )
    )


def round_of(event: Event, round_id: int) -> Round | None:
    """The event's round `round_id`, with its criteria (a join: nearly every page of a round, and
    every save of a sheet, reads them)."""
    found = db.session.get(Round, round_id, options=[joinedload(Round.criteria)])
    return found if found is not None and found.event_id == event.id else None


def previous_round(round_: Round) -> Round | None:
    return db.session.scalar(_rounds_before(round_.event_id, round_.position, round_.id).limit(1))


def _rounds_before(event_id, position, round_id) -> sa.Select:
    """SELECT the event's rounds before a round (at a lower position, or at the same position
    with a lower id), nearest first; the arguments are values or bound parameters."""
    return (
        sa.select(Round)
        .where(
            Round.event_id == event_id,
            sa.or_(
                Round.position < position,
                sa.and_(Round.position == position, Round.id < round_id),
            ),
        )
        .order_by(Round.position.desc(), Round.id.desc())
    )


PUBLISHED = _l(
    "These results are published: withdraw the publication (with a reason) before changing what they are computed from."
)


FEEDS_PUBLISHED = _l(
    "The published results of %(round)s are computed from this round (who went on to it): withdraw that publication (with a reason) before changing this round."
)


ANY_PUBLISHED = _l(
    "The results of %(round)s are published and a contestant's status counts in every round: withdraw that publication (with a reason) before changing it."
)


def _rounds_in_order(event_id: int) -> list[Round]:
    return list(
        db.session.scalars(
            sa.select(Round).where(Round.event_id == event_id).order_by(Round.position, Round.id)
        )
    )


def published_from(
    round_: Round, *, feeds_next: bool | None = None, rounds: list[Round] | None = None
) -> Round | None:
    """The published round whose results a change to `round_` would move: the round itself, or
    a later round whose contestants come from it through advancing (each round on the way sends
    its best on: `feeds_next` overrides whether `round_` itself does, for a change of that
    setting); None when no published result depends on it. `rounds`: the event's rounds in
    order, when the caller has just read them."""
    if round_.published_at is not None:
        return round_
    if rounds is None:
        rounds = _rounds_in_order(round_.event_id)
    index = next(i for i, r in enumerate(rounds) if r.id == round_.id)
    feeds = round_.advance_count is not None if feeds_next is None else feeds_next
    for later in rounds[index + 1 :]:
        if not feeds:
            return None
        if later.published_at is not None:
            return later
        feeds = later.advance_count is not None
    return None


def _rounds_under_lock(event_id: int, *, shared: bool = False) -> list[Round]:
    """The event's rounds read afresh under the event's lock, which `publish_results` takes too:
    a change cleared by a guard below is written before a publication reads the ranking, or sees
    the publication that came first. `shared`: a lock that writers of the same kind hold
    together (`_rounds_under_shared_lock`), for score sheets, which never wait for one
    another."""
    if shared:
        return _rounds_under_shared_lock(event_id)
    lock_event(event_id)
    return list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.event_id == event_id)
            .order_by(Round.position, Round.id)
            .execution_options(populate_existing=True)
        )
    )


def _rounds_under_shared_lock(event_id: int) -> list[Round]:
    """The event's rounds with their criteria, read afresh once the event's row is held in
    share mode until the transaction ends.

    PostgreSQL: SELECT … FOR SHARE. Any number of transactions hold it at once, and each of
    them blocks `lock_event` (FOR NO KEY UPDATE: publication, set-up, registrations) until it
    ends, and waits for one already held. Two judges saving sheets do not wait for each other:
    their sheets are separate rows, and a save of the same sheet is decided by its version
    (`sheets.save_sheet`). The rounds are read by a statement of their own, after the lock: a
    statement that waited for the lock would still see the other tables as they were before
    the wait (READ COMMITTED), a publication that held it included. SQLite: write transactions
    already began with BEGIN IMMEDIATE.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(Event.id).where(Event.id == event_id).with_for_update(read=True, of=Event)
        )
    return list(
        db.session.scalars(
            sa.select(Round)
            .where(Round.event_id == event_id)
            .options(joinedload(Round.criteria))
            .order_by(Round.position, Round.id)
            .execution_options(populate_existing=True)
        ).unique()
    )


def _refuse_once_published(
    round_: Round, *, feeds_next: bool | None = None, shared: bool = False
) -> None:
    """Published results stay as published: whatever they are computed from (settings,
    criteria, judges, sheets, awards, and the rounds that chose their contestants) changes only
    after the publication is withdrawn. `shared`: under the event's shared lock (a sheet's
    save), not its exclusive one."""
    rounds = _rounds_under_lock(round_.event_id, shared=shared)
    published = published_from(round_, feeds_next=feeds_next, rounds=rounds)
    if published is round_:
        raise CompetitionError(str(PUBLISHED))
    if published is not None:
        raise CompetitionError(str(FEEDS_PUBLISHED % {"round": published.name}))


def _refuse_if_counted_in_published(judge_id: int, registration_ids: Iterable[int]) -> None:
    """A recusal changes which sheets count: refused while a submitted sheet of the judge for one
    of the contestants is in a round whose published results depend on it."""
    ids = list(registration_ids)
    if not ids:
        return
    rounds = db.session.scalars(
        sa.select(Round)
        .join(ScoreSheet, ScoreSheet.round_id == Round.id)
        .where(
            ScoreSheet.judge_id == judge_id,
            ScoreSheet.registration_id.in_(ids),
            ScoreSheet.submitted_at.is_not(None),
        )
        .distinct()
    )
    for scored in rounds:
        _refuse_once_published(scored)


def _refuse_if_any_published(event: Event) -> None:
    """A contestant's status (withdrawn, disqualified) counts in every round of the event: refused
    while any round's results are published."""
    published = next((r for r in _rounds_under_lock(event.id) if r.published_at is not None), None)
    if published is not None:
        raise CompetitionError(str(ANY_PUBLISHED % {"round": published.name}))


ROUND_FIELDS = (
    "name",
    "advance_count",
    "aggregation",
    "trim_count",
    "trim_min_judges",
    "standardise",
    "min_judges",
    "double_entry",
    "objection_days",
)


def _check_round_fields(event: Event, fields: dict, round_: Round | None = None) -> dict:
    fields = {name: fields[name] for name in ROUND_FIELDS if name in fields}
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        raise CompetitionError(_("Please enter the round's name."), "name")
    clash = db.session.scalar(
        sa.select(Round.id).where(
            Round.event_id == event.id,
            Round.name == fields["name"],
            Round.id != (round_.id if round_ else -1),
        )
    )
    if clash:
        raise CompetitionError(_("This competition already has a round of that name."), "name")
    if fields.get("aggregation") not in {a.value for a in Aggregation}:
        raise CompetitionError(_("Choose how the judges' scores are combined."), "aggregation")
    try:
        rules.AggregationRule(
            method=rules.Aggregation(fields["aggregation"]),
            trim=fields.get("trim_count", 1),
            trim_minimum=fields.get("trim_min_judges", 5),
        )
    except ValueError:
        raise CompetitionError(
            _(
                "Dropping %(k)s scores at each end needs at least %(n)s judges.",
                k=fields.get("trim_count", 1),
                n=2 * fields.get("trim_count", 1) + 1,
            ),
            "trim_min_judges",
        ) from None
    return fields


def create_round(event: Event, actor: User, **fields) -> Round:
    """Add a round after the existing ones."""
    fields = _check_round_fields(event, fields)
    last = db.session.scalar(
        sa.select(sa.func.max(Round.position)).where(Round.event_id == event.id)
    )
    created = Round(event_id=event.id, position=(last or 0) + 1, **fields)
    db.session.add(created)
    db.session.flush()
    audit.record(
        "competition.round",
        actor=actor,
        event=event,
        detail=_l("round %(name)s added", name=created.name),
    )
    return created


def update_round(round_: Round, actor: User, **fields) -> Round:
    """Change a round's name, advancing places, aggregation, coverage and modes."""
    _refuse_once_published(round_)
    fields = _check_round_fields(round_.event, fields, round_)
    if fields.get("advance_count", round_.advance_count) is not None:
        # Sending contestants on (or changing how many) chooses the next round's contestants.
        _refuse_once_published(round_, feeds_next=True)
    for name, value in fields.items():
        setattr(round_, name, value)
    audit.record(
        "competition.round",
        actor=actor,
        event=round_.event,
        detail=_l("round %(name)s settings changed", name=round_.name),
    )
    db.session.flush()
    return round_


@dataclass
class CriterionInput:
    """One row of the criteria form: an existing criterion (id) or a new one (id None)."""

    id: int | None
    name: str
    max_score: Decimal | None
    weight: Decimal | None
    step: Decimal | None
    tolerance: Decimal | None = None
    remove: bool = False


def _places(value: Decimal) -> int:
    """Decimal places a number is written with (8.50 → 2, 8 → 0); the columns keep 2 (weights 4)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _scored_criteria(round_: Round) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(Score.criterion_id)
            .join(ScoreSheet, ScoreSheet.id == Score.sheet_id)
            .where(ScoreSheet.round_id == round_.id)
            .distinct()
        )
    )


def save_criteria(
    round_: Round, actor: User, rows: list[CriterionInput], tie_break: list[int]
) -> list[Criterion]:
    """Replace the round's criteria list (in the order given) and its tie-break chain.

    A criterion that already has scores keeps its maximum and step (scores were checked against
    them) and cannot be removed; its name and weight may change.
    """
    _refuse_once_published(round_)
    if not any(row.id is not None or row.name.strip() for row in rows):
        raise SheetRefused({"criteria-0-name": _("A round needs at least one criterion.")})
    errors: dict[str, str] = {}
    existing = {c.id: c for c in round_.criteria}
    scored = _scored_criteria(round_)
    names: set[str] = set()
    kept: list[Criterion] = []
    for index, row in enumerate(rows):
        blank = not row.name and row.max_score is None and row.id is None
        if blank:
            continue
        prefix = f"criteria-{index}-"
        current = existing.get(row.id) if row.id is not None else None
        if row.id is not None and current is None:
            errors[prefix + "name"] = _(
                "This criterion is no longer in the round; reload the page."
            )
            continue
        if row.remove:
            if current is not None and current.id in scored:
                errors[prefix + "remove"] = _(
                    "Judges have scored this criterion; it cannot be removed."
                )
                kept.append(current)
            continue
        name = row.name.strip()
        if not name:
            errors[prefix + "name"] = _("Please enter the criterion's name.")
        elif name in names:
            errors[prefix + "name"] = _("Two criteria have the same name.")
        names.add(name)
        if row.max_score is None or not (Decimal(0) < row.max_score <= Decimal(1000)):
            errors[prefix + "max_score"] = _("Enter a maximum between 0 and 1000.")
        if row.step is None or not (
            Decimal("0.01") <= row.step <= (row.max_score or Decimal(1000))
        ):
            errors[prefix + "step"] = _("Enter a step such as 1, 0.5 or 0.25.")
        elif row.max_score is not None and (row.max_score % row.step) != 0:
            errors[prefix + "step"] = _("The maximum must be a whole number of steps.")
        if row.weight is None or not (Decimal(0) <= row.weight <= Decimal(100)):
            errors[prefix + "weight"] = _("Enter a weight between 0 and 100.")
        if row.tolerance is not None and not (Decimal(0) <= row.tolerance <= Decimal(1000)):
            errors[prefix + "tolerance"] = _("Enter a tolerance between 0 and 1000.")
        for box, value, places in (
            ("max_score", row.max_score, 2),
            ("step", row.step, 2),
            ("tolerance", row.tolerance, 2),
            ("weight", row.weight, 4),
        ):
            if value is not None and prefix + box not in errors and _places(value) > places:
                errors[prefix + box] = _("Give at most %(n)s decimal places.", n=places)
        if current is not None and current.id in scored:
            if row.max_score != current.max_score:
                errors[prefix + "max_score"] = _(
                    "Judges have scored this criterion; its maximum cannot change."
                )
            if row.step != current.step:
                errors[prefix + "step"] = _(
                    "Judges have scored this criterion; its step cannot change."
                )
        if prefix + "name" in errors or any(k.startswith(prefix) for k in errors):
            continue
        criterion = current or Criterion(round_id=round_.id)
        criterion.name = name
        criterion.max_score = row.max_score
        criterion.weight = row.weight
        criterion.step = row.step
        criterion.tolerance = row.tolerance
        kept.append(criterion)
    if errors:
        raise SheetRefused(errors)
    # A criterion the form did not mention stays as it is: only its remove box removes it.
    mentioned = {row.id for row in rows if row.id is not None}
    kept.extend(c for c in round_.criteria if c.id not in mentioned)
    if not kept:
        raise SheetRefused({"criteria-0-name": _("A round needs at least one criterion.")})
    for position, criterion in enumerate(kept):
        criterion.position = position
    round_.criteria = kept
    db.session.flush()
    known = {c.id for c in kept}
    chain = [cid for cid in tie_break if cid in known]
    round_.tie_break = ",".join(str(cid) for cid in dict.fromkeys(chain))
    audit.record(
        "competition.criteria",
        actor=actor,
        event=round_.event,
        detail=_l(
            "round %(round)s criteria: %(list)s",
            round=round_.name,
            list="; ".join(
                f"{c.name} {plain(c.max_score)}×{plain(c.weight)}/{plain(c.step)}" for c in kept
            ),
        ),
    )
    db.session.flush()
    return kept


def rule_criteria(round_: Round) -> list[rules.Criterion]:
    return [
        rules.Criterion(
            id=c.id,
            maximum=c.max_score,
            weight=c.weight,
            step=c.step,
            tolerance=c.tolerance,
        )
        for c in round_.criteria
    ]


def aggregation_rule(round_: Round) -> rules.AggregationRule:
    return rules.AggregationRule(
        method=rules.Aggregation(round_.aggregation),
        trim=round_.trim_count,
        trim_minimum=round_.trim_min_judges,
        standardise=round_.standardise,
    )
