"""Skills competition operations: rounds, criteria, judges and recusal, score sheets with
optimistic locking, paper double entry, the ranking board (derived from the sheets on every
read through `competitions.rules`), awards, publication and objections.

Functions flush; the view, job or CLI command that called them commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from eventsite.accounts.models import Role, User
from eventsite.accounts.service import role_revoking, user_by_mobile
from eventsite.competitions import rules
from eventsite.competitions.models import (
    Aggregation,
    AwardBasis,
    AwardRounding,
    AwardScope,
    AwardTier,
    ContestantState,
    Criterion,
    Exclusion,
    JudgeAffiliation,
    JudgeAssignment,
    JudgeConflict,
    Objection,
    ObjectionDecision,
    PaperEntry,
    Round,
    Score,
    ScoreSheet,
    SheetChange,
    TeamLeader,
    TeamMethod,
)
from eventsite.core import audit
from eventsite.core.notifications import notify
from eventsite.core.time import format_local, utcnow
from eventsite.events.models import (
    ACTIVE_STATUSES,
    Event,
    Registration,
    RegistrationStatus,
    Team,
    Track,
)
from eventsite.extensions import db


class CompetitionError(Exception):
    """A competition action was refused; `message` is for the person, `field` for the form."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class SheetRefused(Exception):
    """Some scores on a sheet were refused: {form field name: message}; nothing was saved."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("score sheet refused")
        self.errors = errors


class StaleSheet(Exception):
    """The sheet changed since the form was loaded (another tab, another device): refused, with
    the sheet as it now stands so the judge sees the current values."""

    def __init__(self, sheet: ScoreSheet):
        super().__init__("stale score sheet")
        self.sheet = sheet


class SheetLocked(Exception):
    """The sheet is submitted; only the chief judge's reopening unlocks it."""

    def __init__(self, sheet: ScoreSheet):
        super().__init__("submitted score sheet")
        self.sheet = sheet


_PROBLEM_MESSAGES = {
    rules.ScoreProblem.FORMAT: _l("Enter a number such as 8 or 8.5, or leave it empty."),
    rules.ScoreProblem.NEGATIVE: _l("A score cannot be below 0."),
    rules.ScoreProblem.ABOVE_MAXIMUM: _l("At most %(max)s."),
    rules.ScoreProblem.OFF_STEP: _l("Scores go in steps of %(step)s."),
}


def plain(value: Decimal | None) -> str:
    """A Decimal as typed, without trailing zeros: 8.50 → 8.5, 10.00 → 10; "" for None."""
    if value is None:
        return ""
    return format(value.normalize(), "f")


def problem_message(problem: rules.ScoreProblem, criterion: Criterion) -> str:
    return str(_PROBLEM_MESSAGES[problem]) % {
        "max": plain(criterion.max_score),
        "step": plain(criterion.step),
    }


def score_field(criterion_id: int) -> str:
    """The form field that carries one criterion's score."""
    return f"score_{criterion_id}"


# =============================================================================================
# Rounds and criteria
# =============================================================================================


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
    found = db.session.get(Round, round_id)
    return found if found is not None and found.event_id == event.id else None


def previous_round(round_: Round) -> Round | None:
    return db.session.scalar(
        sa.select(Round)
        .where(
            Round.event_id == round_.event_id,
            sa.or_(
                Round.position < round_.position,
                sa.and_(Round.position == round_.position, Round.id < round_.id),
            ),
        )
        .order_by(Round.position.desc(), Round.id.desc())
        .limit(1)
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


def published_from(round_: Round, *, feeds_next: bool | None = None) -> Round | None:
    """The published round whose results a change to `round_` would move: the round itself, or
    a later round whose contestants come from it through advancing (each round on the way sends
    its best on: `feeds_next` overrides whether `round_` itself does, for a change of that
    setting); None when no published result depends on it."""
    if round_.published_at is not None:
        return round_
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


def _refuse_once_published(round_: Round, *, feeds_next: bool | None = None) -> None:
    """Published results stay as published: whatever they are computed from (settings,
    criteria, judges, sheets, awards, and the rounds that chose their contestants) changes only
    after the publication is withdrawn."""
    published = published_from(round_, feeds_next=feeds_next)
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
    published = next((r for r in _rounds_in_order(event.id) if r.published_at is not None), None)
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


# =============================================================================================
# Judges, recusal, conflicts, team leaders, exclusions
# =============================================================================================


def _judge_by_mobile(mobile: str) -> User:
    user = user_by_mobile((mobile or "").strip())
    if user is None:
        raise CompetitionError(_("No member has this mobile number."), "mobile")
    if not user.has_role(Role.JUDGE):
        raise CompetitionError(
            _("%(name)s is not a judge; an admin grants the judge role first.", name=user.name),
            "mobile",
        )
    return user


def assign_judge(round_: Round, actor: User, mobile: str, track_ids: Iterable[int]) -> User:
    """Assign a judge (by mobile) to score some tracks of a round."""
    _refuse_once_published(round_)
    judge = _judge_by_mobile(mobile)
    tracks = {t.id: t for t in round_.event.tracks}
    chosen = [tid for tid in dict.fromkeys(track_ids) if tid in tracks]
    if not chosen:
        raise CompetitionError(_("Choose at least one track."), "tracks")
    have = set(
        db.session.scalars(
            sa.select(JudgeAssignment.track_id).where(
                JudgeAssignment.round_id == round_.id, JudgeAssignment.user_id == judge.id
            )
        )
    )
    added = [tid for tid in chosen if tid not in have]
    for tid in added:
        db.session.add(JudgeAssignment(round_id=round_.id, track_id=tid, user_id=judge.id))
    if added:
        audit.record(
            "competition.judge",
            actor=actor,
            event=round_.event,
            detail=_l(
                "%(judge)s judges %(tracks)s in %(round)s",
                judge=judge.name,
                tracks="、".join(tracks[tid].name for tid in added),
                round=round_.name,
            ),
        )
    db.session.flush()
    return judge


def unassign_judge(round_: Round, actor: User, assignment_id: int) -> None:
    """Take a judge off one track of a round; their sheets stay on record but no longer count."""
    _refuse_once_published(round_)
    assignment = db.session.get(JudgeAssignment, assignment_id)
    if assignment is None or assignment.round_id != round_.id:
        raise CompetitionError(_("This judge is no longer assigned; reload the page."))
    audit.record(
        "competition.judge",
        actor=actor,
        event=round_.event,
        detail=_l(
            "%(judge)s no longer judges %(track)s in %(round)s",
            judge=assignment.user.name,
            track=assignment.track.name,
            round=round_.name,
        ),
    )
    db.session.delete(assignment)
    db.session.flush()


def release_judge(user: User, actor: User | None) -> int:
    """Take a member off every judge assignment, one audit line per round; a round whose
    published results depend on it (`published_from`) keeps the assignment, as the record of who
    scored what was published (without the judge role they can do nothing there). Returns how
    many assignments were removed."""
    assignments = list(
        db.session.scalars(
            sa.select(JudgeAssignment)
            .join(Round, Round.id == JudgeAssignment.round_id)
            .join(Track, Track.id == JudgeAssignment.track_id)
            .where(JudgeAssignment.user_id == user.id)
            .options(joinedload(JudgeAssignment.round), joinedload(JudgeAssignment.track))
            .order_by(Round.event_id, Round.position, Round.id, Track.position, Track.id)
        )
    )
    by_round: dict[int, list[JudgeAssignment]] = defaultdict(list)
    for assignment in assignments:
        by_round[assignment.round_id].append(assignment)
    removed = 0
    for links in by_round.values():
        round_ = links[0].round
        if published_from(round_) is not None:
            continue
        audit.record(
            "competition.judge",
            actor=actor,
            event=round_.event,
            detail=_l(
                "%(judge)s no longer judges %(tracks)s in %(round)s: the judge role was revoked",
                judge=user.name,
                tracks="、".join(link.track.name for link in links),
                round=round_.name,
            ),
        )
        for link in links:
            db.session.delete(link)
        removed += len(links)
    db.session.flush()
    return removed


@role_revoking.connect
def _on_role_revoking(user: User, *, role: Role, actor: User | None, **_extra) -> None:
    """A member who loses the judge role no longer judges any round."""
    if role is Role.JUDGE:
        release_judge(user, actor)


def assignments_of(round_: Round) -> list[JudgeAssignment]:
    """The round's judge assignments, by judge name then track."""
    return list(
        db.session.scalars(
            sa.select(JudgeAssignment)
            .join(User, User.id == JudgeAssignment.user_id)
            .join(Track, Track.id == JudgeAssignment.track_id)
            .where(JudgeAssignment.round_id == round_.id)
            .options(joinedload(JudgeAssignment.user), joinedload(JudgeAssignment.track))
            .order_by(User.name, User.id, Track.position, Track.id)
        )
    )


def judges_of_event(event: Event) -> list[User]:
    """Every judge assigned in any round of the event, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(JudgeAssignment, JudgeAssignment.user_id == User.id)
            .join(Round, Round.id == JudgeAssignment.round_id)
            .where(Round.event_id == event.id)
            .distinct()
            .order_by(User.name, User.id)
        )
    )


def affiliations_of(event: Event) -> dict[int, set[int]]:
    """Judge user id → the event's team ids they are affiliated with."""
    rows = db.session.execute(
        sa.select(JudgeAffiliation.user_id, JudgeAffiliation.team_id)
        .join(Team, Team.id == JudgeAffiliation.team_id)
        .where(Team.event_id == event.id)
    )
    found: dict[int, set[int]] = defaultdict(set)
    for user_id, team_id in rows:
        found[user_id].add(team_id)
    return found


def conflicts_of(event: Event) -> list[JudgeConflict]:
    return list(
        db.session.scalars(
            sa.select(JudgeConflict)
            .join(Registration, Registration.id == JudgeConflict.registration_id)
            .where(Registration.event_id == event.id)
            .options(joinedload(JudgeConflict.user), joinedload(JudgeConflict.registration))
            .order_by(JudgeConflict.declared_at)
        )
    )


def set_affiliations(event: Event, actor: User, judge: User, team_ids: Iterable[int]) -> None:
    """The teams (provinces, units) a judge belongs to: they are recused from their contestants."""
    teams = {t.id: t for t in event.teams}
    wanted = {tid for tid in team_ids if tid in teams}
    current = {
        a.team_id: a
        for a in db.session.scalars(
            sa.select(JudgeAffiliation).where(
                JudgeAffiliation.user_id == judge.id, JudgeAffiliation.team_id.in_(teams)
            )
        )
    }
    changed = wanted ^ set(current)
    if changed:
        # The affiliation would change which of the judge's sheets count.
        _refuse_if_counted_in_published(
            judge.id,
            db.session.scalars(
                sa.select(Registration.id).where(
                    Registration.event_id == event.id, Registration.team_id.in_(changed)
                )
            ),
        )
    for tid in set(current) - wanted:
        db.session.delete(current[tid])
    for tid in wanted - set(current):
        db.session.add(JudgeAffiliation(user_id=judge.id, team_id=tid))
    if wanted != set(current):
        audit.record(
            "competition.affiliation",
            actor=actor,
            event=event,
            detail=_l(
                "%(judge)s affiliated with %(teams)s",
                judge=judge.name,
                teams="、".join(teams[tid].name for tid in sorted(wanted)) or "—",
            ),
        )
    db.session.flush()


def recusal_panel(event: Event, user_ids: Iterable[int]) -> dict[int, rules.Judge]:
    """Judges as the recusal rule (`rules.recused`) sees them: the teams they are affiliated
    with, and, for a judge registered in the competition (awaiting approval, confirmed or
    waitlisted), their own registration and their team. Every route and the ranking ask this."""
    ids = set(user_ids)
    if not ids:
        return {}
    teams: dict[int, set[int]] = defaultdict(set)
    for user_id, team_id in db.session.execute(
        sa.select(JudgeAffiliation.user_id, JudgeAffiliation.team_id)
        .join(Team, Team.id == JudgeAffiliation.team_id)
        .where(Team.event_id == event.id, JudgeAffiliation.user_id.in_(ids))
    ):
        teams[user_id].add(team_id)
    entries: dict[int, set[int]] = defaultdict(set)
    competes_for: dict[int, set[int]] = defaultdict(set)
    for registration_id, user_id, team_id in db.session.execute(
        sa.select(Registration.id, Registration.user_id, Registration.team_id).where(
            Registration.event_id == event.id,
            Registration.user_id.in_(ids),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    ):
        entries[user_id].add(registration_id)
        if team_id is not None:
            competes_for[user_id].add(team_id)
    return {
        uid: rules.Judge(
            id=uid,
            teams=frozenset(teams[uid]),
            entries=frozenset(entries[uid]),
            competes_for=frozenset(competes_for[uid]),
        )
        for uid in ids
    }


def contestant_of(event: Event, registration_id: int) -> Registration | None:
    found = db.session.get(Registration, registration_id)
    if found is None or found.event_id != event.id or found.track_id is None:
        return None
    return found


def declare_conflict(
    event: Event, actor: User, judge: User, registration: Registration, reason: str
) -> JudgeConflict:
    """A judge's declared conflict with one contestant: recused from scoring them."""
    _refuse_if_counted_in_published(judge.id, [registration.id])
    if db.session.get(JudgeConflict, (registration.id, judge.id)) is not None:
        raise CompetitionError(_("This conflict is already declared."), "registration_id")
    conflict = JudgeConflict(
        registration_id=registration.id, user_id=judge.id, reason=(reason or "").strip()[:300]
    )
    db.session.add(conflict)
    audit.record(
        "competition.conflict",
        actor=actor,
        event=event,
        detail=_l(
            "%(judge)s declared a conflict with %(contestant)s: %(reason)s",
            judge=judge.name,
            contestant=registration.user.name,
            reason=conflict.reason or "—",
        ),
    )
    db.session.flush()
    return conflict


def remove_conflict(event: Event, actor: User, judge_id: int, registration_id: int) -> None:
    _refuse_if_counted_in_published(judge_id, [registration_id])
    conflict = db.session.get(JudgeConflict, (registration_id, judge_id))
    if conflict is None or conflict.registration.event_id != event.id:
        raise CompetitionError(_("This conflict is no longer declared; reload the page."))
    audit.record(
        "competition.conflict",
        actor=actor,
        event=event,
        detail=_l(
            "%(judge)s's conflict with %(contestant)s withdrawn",
            judge=conflict.user.name,
            contestant=conflict.registration.user.name,
        ),
    )
    db.session.delete(conflict)
    db.session.flush()


def team_leaders_of(event: Event) -> dict[int, list[TeamLeader]]:
    found: dict[int, list[TeamLeader]] = defaultdict(list)
    for leader in db.session.scalars(
        sa.select(TeamLeader)
        .join(Team, Team.id == TeamLeader.team_id)
        .where(Team.event_id == event.id)
        .options(joinedload(TeamLeader.user))
    ):
        found[leader.team_id].append(leader)
    return found


def add_team_leader(event: Event, actor: User, team_id: int, mobile: str) -> TeamLeader:
    """A team's leader (领队) may lodge objections for the team's contestants."""
    team = next((t for t in event.teams if t.id == team_id), None)
    if team is None:
        raise CompetitionError(_("Choose a team."), "team_id")
    user = user_by_mobile((mobile or "").strip())
    if user is None:
        raise CompetitionError(_("No member has this mobile number."), "mobile")
    if db.session.get(TeamLeader, (team.id, user.id)) is not None:
        raise CompetitionError(_("%(name)s already leads this team.", name=user.name), "mobile")
    leader = TeamLeader(team_id=team.id, user_id=user.id)
    db.session.add(leader)
    audit.record(
        "competition.leader",
        actor=actor,
        event=event,
        detail=_l("%(name)s leads %(team)s", name=user.name, team=team.name),
    )
    db.session.flush()
    return leader


def exclusions_of(event: Event) -> dict[int, Exclusion]:
    return {
        e.registration_id: e
        for e in db.session.scalars(
            sa.select(Exclusion)
            .join(Registration, Registration.id == Exclusion.registration_id)
            .where(Registration.event_id == event.id)
        )
    }


def set_contestant_state(
    event: Event, actor: User, registration: Registration, state: str, reason: str
) -> None:
    """Withdraw or disqualify a contestant (they leave the ranking, nobody else's scores move),
    or put them back ("competing"); refused while any round's results are published."""
    _refuse_if_any_published(event)
    current = db.session.get(Exclusion, registration.id)
    reason = (reason or "").strip()[:300]
    if state == "competing":
        if current is None:
            raise CompetitionError(_("This contestant is already competing."), "state")
        db.session.delete(current)
        detail = _l("%(name)s is competing again", name=registration.user.name)
    else:
        if state not in {s.value for s in ContestantState}:
            raise CompetitionError(_("Choose withdrawn or disqualified."), "state")
        if state == ContestantState.DISQUALIFIED and not reason:
            raise CompetitionError(_("A disqualification needs a reason."), "reason")
        if current is None:
            current = Exclusion(registration_id=registration.id)
            db.session.add(current)
        current.state = state
        current.reason = reason
        current.changed_at = utcnow()
        current.changed_by_id = actor.id
        detail = _l(
            "%(name)s: %(state)s (%(reason)s)",
            name=registration.user.name,
            state=ContestantState(state).title,
            reason=reason or "—",
        )
    audit.record("competition.contestant", actor=actor, event=event, detail=detail)
    db.session.flush()


# =============================================================================================
# The board: contestants, judges, sheets and the ranking of one round
# =============================================================================================


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


@dataclass
class Board:
    """Everything the pages of one round show, loaded in a fixed number of queries."""

    round: Round
    criteria: list[Criterion]
    registrations: dict[int, Registration]
    contestants: dict[int, rules.Contestant]
    tracks: list[Track]
    teams: dict[int, Team]
    judges: dict[int, User]
    #: track id → judge ids assigned to it.
    track_judges: dict[int, list[int]]
    affiliations: dict[int, set[int]]
    #: Judge id → the judge as the recusal rule sees them (teams declared, competed for).
    panel: dict[int, rules.Judge]
    conflicts: set[tuple[int, int]]
    exclusions: dict[int, Exclusion]
    sheets: list[ScoreSheet]
    #: (judge, contestant) pairs that should have a sheet.
    expected: tuple[tuple[int, int], ...]
    rankings: dict[int | None, rules.Ranking]
    overall: rules.Ranking
    coverage: dict[int, rules.Coverage]
    sheet_by_pair: dict[tuple[int, int], ScoreSheet] = field(default_factory=dict)
    #: Sheet id → criterion id → score (an unscored criterion is absent).
    values: dict[int, dict[int, Decimal]] = field(default_factory=dict)

    @property
    def provisional(self) -> bool:
        return bool(self.overall.missing)

    @property
    def missing(self) -> tuple[tuple[int, int], ...]:
        return self.overall.missing

    def ranking(self, track_id: int | None) -> rules.Ranking:
        return self.rankings.get(track_id) or rules.Ranking(placings=())

    def label(self, registration_id: int) -> str:
        registration = self.registrations[registration_id]
        team = self.teams.get(registration.team_id)
        return f"{registration.user.name}（{team.name}）" if team else registration.user.name

    def competing_teams(self, judge_id: int) -> list[str] | None:
        """The names of the teams an assigned judge competes for as a contestant ([] for a
        contestant without a team); None for a judge who is not a contestant."""
        judge = self.panel.get(judge_id)
        if judge is None or not judge.entries:
            return None
        return [self.teams[tid].name for tid in sorted(judge.competes_for) if tid in self.teams]

    def criterion_name(self, criterion_id: int | None) -> str:
        return next((c.name for c in self.criteria if c.id == criterion_id), "")

    def judge_progress(self) -> list[JudgeProgress]:
        """Every assigned judge: sheets expected, submitted, drafts, and the missing ones."""
        by_judge: dict[int, JudgeProgress] = {
            jid: JudgeProgress(judge=self.judges[jid]) for jid in self.judges
        }
        for judge_id, contestant_id in self.expected:
            progress = by_judge[judge_id]
            progress.expected += 1
            sheet = self.sheet_by_pair.get((judge_id, contestant_id))
            if sheet is not None and sheet.submitted_at is not None:
                progress.submitted += 1
            else:
                if sheet is not None:
                    progress.drafts += 1
                progress.missing.append(contestant_id)
        return sorted(by_judge.values(), key=lambda p: (p.judge.name, p.judge.id))


@dataclass
class JudgeProgress:
    judge: User
    expected: int = 0
    submitted: int = 0
    drafts: int = 0
    missing: list[int] = field(default_factory=list)


def round_registrations(round_: Round) -> list[Registration]:
    """The contestants of a round: the confirmed registrations with a track for the first round;
    for a later round, those the previous round advanced (the best N of each track, ties in)."""
    query = (
        sa.select(Registration)
        .where(
            Registration.event_id == round_.event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.track_id.is_not(None),
        )
        # Contestants' roles are never shown: skip the eager roles query (batched by 500).
        .options(joinedload(Registration.user).lazyload(User.role_grants))
        .order_by(Registration.id)
    )
    everyone = list(db.session.scalars(query))
    before = previous_round(round_)
    if before is None or before.advance_count is None:
        return everyone
    board = load_board(before)
    going = set()
    for track_id, ranking in board.rankings.items():
        if track_id is not None:
            going.update(rules.advancing(ranking.ranks, before.advance_count))
    return [r for r in everyone if r.id in going]


def load_board(round_: Round, *, judge: User | None = None) -> Board:
    """The round's contestants, judges, recusals, sheets and rankings (per track and overall)."""
    event = round_.event
    criteria = list(round_.criteria)
    registrations = {r.id: r for r in round_registrations(round_)}
    exclusions = exclusions_of(event)
    contestants = {
        rid: rules.Contestant(
            id=rid,
            team=r.team_id,
            track=r.track_id,
            status=rules.ContestantStatus(exclusions[rid].state)
            if rid in exclusions
            else rules.ContestantStatus.COMPETING,
        )
        for rid, r in registrations.items()
    }
    assignments = list(
        db.session.scalars(
            sa.select(JudgeAssignment)
            .where(JudgeAssignment.round_id == round_.id)
            .options(joinedload(JudgeAssignment.user))
        )
    )
    judges = {a.user_id: a.user for a in assignments}
    track_judges: dict[int, list[int]] = defaultdict(list)
    for a in assignments:
        track_judges[a.track_id].append(a.user_id)
    affiliations = affiliations_of(event)
    conflicts = {(c.user_id, c.registration_id) for c in conflicts_of(event)}
    sheet_query = sa.select(ScoreSheet).where(ScoreSheet.round_id == round_.id)
    score_query = (
        sa.select(Score.sheet_id, Score.criterion_id, Score.value)
        .join(ScoreSheet, ScoreSheet.id == Score.sheet_id)
        .where(ScoreSheet.round_id == round_.id)
    )
    if judge is not None:
        sheet_query = sheet_query.where(ScoreSheet.judge_id == judge.id)
        score_query = score_query.where(ScoreSheet.judge_id == judge.id)
    sheets = [s for s in db.session.scalars(sheet_query) if s.registration_id in registrations]
    # Every score of the round in one query, as plain rows: a contest of 5,000 sheets has
    # 30,000 scores, too many to build ORM objects for on every ranking.
    values: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for sheet_id, criterion_id, value in db.session.execute(score_query):
        values[sheet_id][criterion_id] = value
    sheet_by_pair = {(s.judge_id, s.registration_id): s for s in sheets}

    tracks = list(event.tracks)
    rule_judges = recusal_panel(event, judges)
    expected: list[tuple[int, int]] = []
    coverage = {}
    for track in tracks:
        people = [c for c in contestants.values() if c.track == track.id]
        panel = [rule_judges[jid] for jid in track_judges.get(track.id, [])]
        expected.extend(rules.expected_sheets(panel, people, conflicts))
        coverage[track.id] = rules.coverage(panel, people, conflicts, round_.min_judges)
    eligible = set(expected)
    if judge is not None:
        expected = [pair for pair in expected if pair[0] == judge.id]
    # Only an eligible judge's submitted sheet counts: a judge taken off the track, or recused
    # after scoring (a team affiliation or conflict declared late, or a judge who is a
    # contestant of the team), no longer counts.
    counted = [
        rules.Sheet(judge=s.judge_id, contestant=s.registration_id, scores=values[s.id])
        for s in sheets
        if s.submitted_at is not None and (s.judge_id, s.registration_id) in eligible
    ]
    rule_list = rule_criteria(round_)
    tie_break = [cid for cid in round_.tie_break_ids if any(c.id == cid for c in criteria)]
    # One computation scores every sheet once and ranks overall and within each track.
    ranked = rules.rank_round(
        contestants.values(),
        counted,
        rule_list,
        rule=aggregation_rule(round_),
        tie_break=tie_break,
        expected=expected,
    )
    rankings, overall = dict(ranked.tracks), ranked.overall
    return Board(
        round=round_,
        criteria=criteria,
        registrations=registrations,
        contestants=contestants,
        tracks=tracks,
        teams={t.id: t for t in event.teams},
        judges=judges,
        track_judges=track_judges,
        affiliations=affiliations,
        panel=rule_judges,
        conflicts=conflicts,
        exclusions=exclusions,
        sheets=sheets,
        expected=tuple(sorted(expected)),
        rankings=rankings,
        overall=overall,
        coverage=coverage,
        sheet_by_pair=sheet_by_pair,
        values=values,
    )


# =============================================================================================
# Who may score whom
# =============================================================================================


def in_round(round_: Round, registration: Registration) -> bool:
    """A confirmed contestant of the event with a track who, after the first round, advanced."""
    if (
        registration.event_id != round_.event_id
        or registration.track_id is None
        or registration.status != RegistrationStatus.CONFIRMED
    ):
        return False
    before = previous_round(round_)
    if before is None or before.advance_count is None:
        return True
    return any(r.id == registration.id for r in round_registrations(round_))


def may_score(round_: Round, judge: User, registration: Registration) -> bool:
    """The contestant is in this round and the judge may judge them there (`may_judge`)."""
    return in_round(round_, registration) and may_judge(round_, judge, registration)


def may_judge(round_: Round, judge: User, registration: Registration) -> bool:
    """The judge holds the judge role, is assigned to the contestant's track in the round and
    is not recused from them (`recused`)."""
    if not judge.has_role(Role.JUDGE):
        return False
    assigned = db.session.scalar(
        sa.select(JudgeAssignment.id).where(
            JudgeAssignment.round_id == round_.id,
            JudgeAssignment.track_id == registration.track_id,
            JudgeAssignment.user_id == judge.id,
        )
    )
    return assigned is not None and not recused(round_.event, judge, registration)


def recused(event: Event, judge: User, registration: Registration) -> bool:
    """`rules.recused` on what the database knows: the judge's declared teams, their own
    registration and team in the competition, and their declared conflicts."""
    conflicts = {
        (user_id, registration_id)
        for user_id, registration_id in db.session.execute(
            sa.select(JudgeConflict.user_id, JudgeConflict.registration_id).where(
                JudgeConflict.user_id == judge.id,
                JudgeConflict.registration_id == registration.id,
            )
        )
    }
    return rules.recused(
        recusal_panel(event, [judge.id])[judge.id],
        rules.Contestant(id=registration.id, team=registration.team_id),
        conflicts,
    )


def is_judge_of(event: Event, user: User) -> bool:
    """The user holds the judge role and is assigned to judge some round of the event."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.JUDGE):
        return False
    return (
        db.session.scalar(
            sa.select(JudgeAssignment.id)
            .join(Round, Round.id == JudgeAssignment.round_id)
            .where(Round.event_id == event.id, JudgeAssignment.user_id == user.id)
            .limit(1)
        )
        is not None
    )


@dataclass
class Duty:
    """One round a judge scores, with their progress in it."""

    round: Round
    expected: int
    submitted: int
    drafts: int


def duties_of(judge: User) -> list[Duty]:
    """Every round the judge is assigned to, with their own progress (expected, submitted);
    none without the judge role."""
    if not judge.has_role(Role.JUDGE):
        return []
    rounds = list(
        db.session.scalars(
            sa.select(Round)
            .join(JudgeAssignment, JudgeAssignment.round_id == Round.id)
            .where(JudgeAssignment.user_id == judge.id)
            .options(joinedload(Round.event), selectinload(Round.criteria))
            .distinct()
            .order_by(Round.event_id, Round.position, Round.id)
        )
    )
    found = []
    for round_ in rounds:
        board = load_board(round_, judge=judge)
        progress = next(
            (p for p in board.judge_progress() if p.judge.id == judge.id), JudgeProgress(judge)
        )
        found.append(Duty(round_, progress.expected, progress.submitted, progress.drafts))
    return found


# =============================================================================================
# Score sheets
# =============================================================================================


NOT_THEIR_CONTESTANT = _l("This judge does not score this contestant (not assigned, or recused).")


def sheet_of(event: Event, sheet_id: int) -> ScoreSheet | None:
    found = db.session.get(ScoreSheet, sheet_id)
    return found if found is not None and found.round.event_id == event.id else None


def sheet_for(round_: Round, judge_id: int, registration_id: int) -> ScoreSheet | None:
    return db.session.scalar(
        sa.select(ScoreSheet)
        .where(
            ScoreSheet.round_id == round_.id,
            ScoreSheet.judge_id == judge_id,
            ScoreSheet.registration_id == registration_id,
        )
        .options(selectinload(ScoreSheet.scores))
        .execution_options(populate_existing=True)
    )


def parse_scores(round_: Round, typed: Mapping[str, str]) -> dict[int, Decimal | None]:
    """The typed boxes of a sheet (`score_<criterion id>`) as Decimals (None: not scored);
    SheetRefused with a message beside each refused box."""
    errors: dict[str, str] = {}
    values: dict[int, Decimal | None] = {}
    criteria = rule_criteria(round_)
    by_id = {c.id: c for c in round_.criteria}
    for criterion in round_.criteria:
        name = score_field(criterion.id)
        try:
            values[criterion.id] = rules.parse_score(typed.get(name, ""))
        except rules.ScoreFormatError as exc:
            errors[name] = problem_message(exc.problem, criterion)
    for cid, problem in rules.sheet_problems(
        {cid: v for cid, v in values.items() if v is not None}, criteria
    ).items():
        errors[score_field(cid)] = problem_message(problem, by_id[cid])
    if errors:
        raise SheetRefused(errors)
    return values


def _describe(round_: Round, changes: list[SheetChange]) -> str:
    names = {c.id: c.name for c in round_.criteria}
    parts = []
    for change in changes:
        if change.kind == "score":
            parts.append(
                f"{names.get(change.criterion_id, '?')} "
                f"{change.old_value or '—'} → {change.new_value or '—'}"
            )
        elif change.kind == "comment":
            parts.append(str(_l("comment changed")))
    return "; ".join(parts)


def save_sheet(
    round_: Round,
    judge: User,
    registration: Registration,
    actor: User,
    *,
    loaded_version: int,
    values: Mapping[int, Decimal | None],
    comment: str,
    submit: bool = False,
    from_paper: bool = False,
) -> ScoreSheet:
    """Save a judge's sheet for a contestant, as a draft or submitted (locked).

    The save carries the version the form was loaded with: the sheet row is updated only
    `WHERE version = :loaded` (an INSERT for a new sheet, guarded by the unique constraint), so
    of two saves from the same version exactly one wins, the database deciding, and the other
    raises StaleSheet with the current sheet. A submitted sheet raises SheetLocked. Every
    changed value is written to the sheet's history and the event's audit log. Only a judge
    who may judge the contestant (`may_judge`) has a sheet saved.
    """
    _refuse_once_published(round_)
    if not may_judge(round_, judge, registration):
        raise CompetitionError(str(NOT_THEIR_CONTESTANT), "judge")
    criteria = rule_criteria(round_)
    values = {c.id: values.get(c.id) for c in round_.criteria}
    problems = rules.sheet_problems({k: v for k, v in values.items() if v is not None}, criteria)
    if problems:
        by_id = {c.id: c for c in round_.criteria}
        raise SheetRefused(
            {score_field(cid): problem_message(p, by_id[cid]) for cid, p in problems.items()}
        )
    if submit:
        empty = rules.unscored_criteria(values, criteria)
        if empty:
            raise SheetRefused(
                {score_field(cid): _("Score this criterion before submitting.") for cid in empty}
            )
    comment = (comment or "").strip()[:2000]
    now = utcnow()

    sheet = sheet_for(round_, judge.id, registration.id)
    if sheet is None:
        if loaded_version != 0:
            raise CompetitionError(_("This sheet no longer exists; reload the page."))
        sheet = ScoreSheet(
            round_id=round_.id,
            judge_id=judge.id,
            registration_id=registration.id,
            version=1,
            comment="",
            updated_at=now,
            updated_by_id=actor.id,
            from_paper=from_paper,
        )
        try:
            # A savepoint: a second first save of the same sheet hits the unique constraint.
            with db.session.begin_nested():
                db.session.add(sheet)
                db.session.flush()
        except IntegrityError:
            raise StaleSheet(sheet_for(round_, judge.id, registration.id)) from None
        old_values: dict[int, Decimal] = {}
        old_comment = ""
    else:
        old_values = sheet.values
        old_comment = sheet.comment
        result = db.session.execute(
            sa.update(ScoreSheet)
            .where(
                ScoreSheet.id == sheet.id,
                ScoreSheet.version == loaded_version,
                ScoreSheet.submitted_at.is_(None),
            )
            .values(
                version=ScoreSheet.version + 1,
                updated_at=now,
                updated_by_id=actor.id,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            current = sheet_for(round_, judge.id, registration.id)
            if current.version != loaded_version:
                raise StaleSheet(current)
            raise SheetLocked(current)
        db.session.refresh(sheet)

    changes: list[SheetChange] = []
    by_criterion = {s.criterion_id: s for s in sheet.scores}
    for criterion in round_.criteria:
        old, new = old_values.get(criterion.id), values.get(criterion.id)
        if old == new:
            continue
        if new is None:
            sheet.scores.remove(by_criterion[criterion.id])
        elif criterion.id in by_criterion:
            by_criterion[criterion.id].value = new
        else:
            sheet.scores.append(Score(criterion_id=criterion.id, value=new))
        changes.append(
            SheetChange(
                sheet_id=sheet.id,
                actor_id=actor.id,
                kind="score",
                criterion_id=criterion.id,
                old_value=plain(old),
                new_value=plain(new),
                changed_at=now,
            )
        )
    if comment != old_comment:
        sheet.comment = comment
        changes.append(
            SheetChange(
                sheet_id=sheet.id,
                actor_id=actor.id,
                kind="comment",
                old_value=old_comment,
                new_value=comment,
                changed_at=now,
            )
        )
    if submit:
        sheet.submitted_at = now
        changes.append(
            SheetChange(sheet_id=sheet.id, actor_id=actor.id, kind="submit", changed_at=now)
        )
    if from_paper:
        sheet.from_paper = True
    db.session.add_all(changes)
    if changes:
        detail = _l(
            "sheet of %(judge)s for %(contestant)s (%(round)s, version %(version)s): %(changes)s",
            judge=judge.name,
            contestant=registration.user.name,
            round=round_.name,
            version=sheet.version,
            changes=_describe(round_, changes) or "—",
        )
        action = "sheet.submit" if submit else "sheet.save"
        audit.record(action, actor=actor, event=round_.event, detail=detail)
    db.session.flush()
    return sheet


def reopen_sheet(sheet: ScoreSheet, actor: User, reason: str) -> ScoreSheet:
    """The chief judge reopens a submitted sheet, with a reason; the judge is told."""
    _refuse_once_published(sheet.round)
    reason = (reason or "").strip()
    if not reason:
        raise CompetitionError(_("Give the reason for reopening the sheet."), "reason")
    if sheet.submitted_at is None:
        raise CompetitionError(_("This sheet is not submitted; there is nothing to reopen."))
    now = utcnow()
    result = db.session.execute(
        sa.update(ScoreSheet)
        .where(ScoreSheet.id == sheet.id, ScoreSheet.submitted_at.is_not(None))
        .values(version=ScoreSheet.version + 1, submitted_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise CompetitionError(_("This sheet is not submitted; there is nothing to reopen."))
    db.session.refresh(sheet)
    db.session.add(
        SheetChange(
            sheet_id=sheet.id,
            actor_id=actor.id,
            kind="reopen",
            reason=reason[:500],
            changed_at=now,
        )
    )
    round_ = sheet.round
    audit.record(
        "sheet.reopen",
        actor=actor,
        event=round_.event,
        detail=_l(
            "sheet of %(judge)s for %(contestant)s (%(round)s) reopened: %(reason)s",
            judge=sheet.judge.name,
            contestant=sheet.registration.user.name,
            round=round_.name,
            reason=reason,
        ),
    )
    contestant = sheet.registration.user.name
    notify(
        sheet.judge,
        lambda: (
            _("Score sheet reopened: %(name)s", name=contestant),
            _(
                "The chief judge reopened your sheet for %(name)s in %(round)s: %(reason)s",
                name=contestant,
                round=round_.name,
                reason=reason,
            ),
        ),
        link=f"/competitions/{round_.event_id}/rounds/{round_.id}/score/{sheet.registration_id}",
    )
    db.session.flush()
    return sheet


def sheet_history(sheet: ScoreSheet) -> list[SheetChange]:
    return list(
        db.session.scalars(
            sa.select(SheetChange)
            .where(SheetChange.sheet_id == sheet.id)
            .options(joinedload(SheetChange.actor), joinedload(SheetChange.criterion))
            .order_by(SheetChange.changed_at, SheetChange.id)
        )
    )


def histories_of(sheets: Iterable[ScoreSheet]) -> dict[int, list[SheetChange]]:
    ids = [s.id for s in sheets]
    found: dict[int, list[SheetChange]] = defaultdict(list)
    if not ids:
        return found
    for change in db.session.scalars(
        sa.select(SheetChange)
        .where(SheetChange.sheet_id.in_(ids))
        .options(joinedload(SheetChange.actor))
        .order_by(SheetChange.changed_at, SheetChange.id)
    ):
        found[change.sheet_id].append(change)
    return found


# =============================================================================================
# Paper sheets: double entry
# =============================================================================================


def paper_entries(round_: Round) -> dict[tuple[int, int], list[PaperEntry]]:
    """(judge, contestant) → the clerks' entries of that paper sheet, in entry order."""
    found: dict[tuple[int, int], list[PaperEntry]] = defaultdict(list)
    for entry in db.session.scalars(
        sa.select(PaperEntry)
        .where(PaperEntry.round_id == round_.id)
        .options(joinedload(PaperEntry.clerk))
        .order_by(PaperEntry.entered_at, PaperEntry.id)
    ):
        found[(entry.judge_id, entry.registration_id)].append(entry)
    return found


def _entry_values(entry: PaperEntry) -> dict[int, Decimal | None]:
    return {
        int(cid): (Decimal(v) if v not in ("", None) else None) for cid, v in entry.scores.items()
    }


@dataclass
class PaperPair:
    """A paper sheet's two entries compared."""

    judge_id: int
    registration_id: int
    entries: list[PaperEntry]
    comparison: rules.EntryComparison | None

    @property
    def disagreement(self) -> bool:
        return self.comparison is not None and not self.comparison.agree


def paper_pairs(round_: Round) -> list[PaperPair]:
    criteria = [c.id for c in round_.criteria]
    pairs = []
    for (judge_id, registration_id), entries in paper_entries(round_).items():
        comparison = None
        if len(entries) >= 2:
            comparison = rules.compare_entries(
                _entry_values(entries[0]), _entry_values(entries[1]), criteria
            )
        pairs.append(PaperPair(judge_id, registration_id, entries, comparison))
    return pairs


def enter_paper_sheet(
    round_: Round,
    clerk: User,
    judge: User,
    registration: Registration,
    values: Mapping[int, Decimal | None],
) -> PaperPair:
    """A clerk types a judge's paper sheet. The second clerk's entry is compared with the first:
    when they agree, the sheet is saved as submitted (from paper); when not, it waits for the
    chief judge. The same clerk cannot make both entries."""
    _refuse_once_published(round_)
    if not round_.double_entry:
        raise CompetitionError(_("This round is scored on screen, not on paper."))
    if not may_score(round_, judge, registration):
        raise CompetitionError(str(NOT_THEIR_CONTESTANT), "judge")
    criteria = rule_criteria(round_)
    problems = rules.sheet_problems({k: v for k, v in values.items() if v is not None}, criteria)
    if problems:
        by_id = {c.id: c for c in round_.criteria}
        raise SheetRefused(
            {score_field(cid): problem_message(p, by_id[cid]) for cid, p in problems.items()}
        )
    existing = paper_entries(round_).get((judge.id, registration.id), [])
    if any(e.clerk_id == clerk.id for e in existing):
        raise CompetitionError(
            _("You already typed this sheet; the second entry must come from another clerk.")
        )
    if len(existing) >= 2:
        raise CompetitionError(_("This paper sheet has been typed twice already."))
    entry = PaperEntry(
        round_id=round_.id,
        judge_id=judge.id,
        registration_id=registration.id,
        clerk_id=clerk.id,
        scores={str(c.id): plain(values.get(c.id)) for c in round_.criteria},
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "paper.entry",
        actor=clerk,
        event=round_.event,
        detail=_l(
            "paper sheet of %(judge)s for %(contestant)s typed (entry %(n)s)",
            judge=judge.name,
            contestant=registration.user.name,
            n=len(existing) + 1,
        ),
    )
    entries = [*existing, entry]
    comparison = None
    if len(entries) == 2:
        comparison = rules.compare_entries(
            _entry_values(entries[0]), _entry_values(entries[1]), [c.id for c in round_.criteria]
        )
        if comparison.agree:
            _save_from_paper(round_, clerk, judge, registration, _entry_values(entries[1]))
    db.session.flush()
    return PaperPair(judge.id, registration.id, entries, comparison)


def _save_from_paper(round_, actor, judge, registration, values) -> ScoreSheet:
    """The paper's values as the submitted sheet; refused when the sheet is already submitted
    (settled twice, or entered on screen too) or changed meanwhile."""
    current = sheet_for(round_, judge.id, registration.id)
    try:
        return save_sheet(
            round_,
            judge,
            registration,
            actor,
            loaded_version=current.version if current else 0,
            values=values,
            comment=current.comment if current else "",
            submit=True,
            from_paper=True,
        )
    except (StaleSheet, SheetLocked):
        raise CompetitionError(
            _("This sheet is already submitted; the chief judge can reopen it first.")
        ) from None


def resolve_paper_sheet(
    round_: Round,
    chief: User,
    judge: User,
    registration: Registration,
    values: Mapping[int, Decimal | None],
) -> ScoreSheet:
    """The chief judge settles two disagreeing entries by reading the paper: the values given
    become the submitted sheet."""
    _refuse_once_published(round_)
    pair = next(
        (
            p
            for p in paper_pairs(round_)
            if (p.judge_id, p.registration_id) == (judge.id, registration.id)
        ),
        None,
    )
    if pair is None or not pair.disagreement:
        raise CompetitionError(_("These entries do not disagree; there is nothing to resolve."))
    sheet = _save_from_paper(round_, chief, judge, registration, values)
    audit.record(
        "paper.resolve",
        actor=chief,
        event=round_.event,
        detail=_l(
            "disagreeing paper entries of %(judge)s for %(contestant)s resolved by the chief judge",
            judge=judge.name,
            contestant=registration.user.name,
        ),
    )
    db.session.flush()
    return sheet


# =============================================================================================
# Awards, team ranking, publication, objections
# =============================================================================================


@dataclass
class AwardRow:
    registration_id: int
    tier: int
    tier_name: str
    rank: int
    total: Decimal | None
    track_id: int | None
    shared: bool


@dataclass
class AwardTable:
    """Awards of a round, in the configured scope, with how each tier came out."""

    rows: list[AwardRow]
    #: scope key (track id, or None for overall) → tier outcomes.
    outcomes: dict[int | None, tuple[rules.TierOutcome, ...]]
    tier_names: list[str]

    def tier_of(self, registration_id: int) -> AwardRow | None:
        return next((r for r in self.rows if r.registration_id == registration_id), None)


def awards_of(board: Board) -> AwardTable:
    """The award tiers applied to the ranking, per track or overall, by count or percentage."""
    round_ = board.round
    tiers = list(round_.tiers)
    names = [t.name for t in tiers]
    if not tiers:
        return AwardTable([], {}, names)
    if round_.award_scope == AwardScope.TRACK:
        scopes = {t.id: board.ranking(t.id) for t in board.tracks}
    else:
        scopes = {None: board.overall}
    rows: list[AwardRow] = []
    outcomes = {}
    for key, ranking in scopes.items():
        if round_.award_basis == AwardBasis.PERCENT:
            competing = sum(
                1 for p in ranking.placings if p.status == rules.ContestantStatus.COMPETING
            )
            sizes = rules.tier_sizes(
                [t.size for t in tiers], competing, rules.TierRounding(round_.award_rounding)
            )
        else:
            sizes = tuple(int(t.size) for t in tiers)
        awards = rules.award_tiers(ranking.ranks, sizes)
        outcomes[key] = awards.tiers
        for placing in ranking.placings:
            tier = awards.tier_of(placing.contestant)
            if tier is not None:
                rows.append(
                    AwardRow(
                        registration_id=placing.contestant,
                        tier=tier,
                        tier_name=names[tier - 1],
                        rank=placing.rank,
                        total=placing.total,
                        track_id=placing.track,
                        shared=placing.shared,
                    )
                )
    rows.sort(key=lambda r: (r.tier, r.rank, r.registration_id))
    return AwardTable(rows, outcomes, names)


def team_ranking(board: Board) -> tuple[rules.TeamStanding, ...]:
    round_ = board.round
    if not round_.team_best:
        return ()
    return rules.team_standings(
        board.overall.placings, round_.team_best, rules.TeamScoring(round_.team_method)
    )


@dataclass(frozen=True)
class AppliedRule:
    """One line of "how these results were computed": what it is about, the rule's name, and
    the rule in a sentence with the round's numbers."""

    subject: str
    name: str
    detail: str


def rules_applied(round_: Round) -> list[AppliedRule]:
    """What the explanation page and the exports state about how the results were computed:
    the aggregation and, when the round has award tiers, the awards."""
    k, n = round_.trim_count, round_.trim_min_judges
    method = Aggregation(round_.aggregation)
    if method is Aggregation.TRIMMED:
        how = _(
            "On each criterion, the %(k)s highest and %(k)s lowest scores are dropped once at "
            "least %(n)s judges scored (else the mean of all), then the mean of the rest.",
            k=k,
            n=n,
        )
    elif method is Aggregation.TRIMMED_TOTAL:
        how = _(
            "Each judge's weighted total is worked out; the judges with the %(k)s highest and "
            "%(k)s lowest totals are left out once at least %(n)s judges scored (else none), and "
            "each criterion is the mean of the other judges (去掉一个最高分和一个最低分).",
            k=k,
            n=n,
        )
    elif method is Aggregation.MEDIAN:
        how = _("On each criterion, the median of the judges' scores.")
    else:
        how = _("On each criterion, the mean of all the judges' scores.")
    if round_.standardise:
        how += " " + _("Each judge's scores are standardised (z-scores) first.")
    applied = [AppliedRule(_("Judges' scores combined"), method.title, how)]
    if round_.tiers:
        tiers = "、".join(
            f"{t.name} {plain(t.size)}{' %' if round_.award_basis == AwardBasis.PERCENT else ''}"
            for t in round_.tiers
        )
        basis = AwardBasis(round_.award_basis)
        name = basis.title
        if basis is AwardBasis.PERCENT:
            name = f"{name}，{AwardRounding(round_.award_rounding).title}"
        applied.append(
            AppliedRule(
                _("Awards"),
                name,
                _(
                    "%(tiers)s; %(scope)s; contestants tied at a cut all receive the higher award.",
                    tiers=tiers,
                    scope=AwardScope(round_.award_scope).title,
                ),
            )
        )
    return applied


@dataclass
class TierInput:
    name: str
    size: Decimal | None


def save_awards(
    round_: Round,
    actor: User,
    *,
    basis: str,
    scope: str,
    tiers: list[TierInput],
    team_best: int | None,
    team_method: str,
    rounding: str = AwardRounding.DOWN,
) -> None:
    """The round's award tiers (count, or percentage rounded down or half up; per track or
    overall) and team ranking;
    refused while its results are published (awards never choose a later round's contestants)."""
    if round_.published_at is not None:
        raise CompetitionError(str(PUBLISHED))
    if basis not in {b.value for b in AwardBasis}:
        raise CompetitionError(_("Choose count or percentage."), "basis")
    if scope not in {s.value for s in AwardScope}:
        raise CompetitionError(_("Choose per track or overall."), "scope")
    if rounding not in {r.value for r in AwardRounding}:
        raise CompetitionError(_("Choose how percentages are rounded."), "rounding")
    if team_method not in {m.value for m in TeamMethod}:
        raise CompetitionError(_("Choose sum or mean."), "team_method")
    errors: dict[str, str] = {}
    kept = []
    for index, tier in enumerate(tiers):
        name = (tier.name or "").strip()
        if not name and tier.size is None:
            continue
        if not name:
            errors[f"tiers-{index}-name"] = _("Please name the award.")
        if tier.size is None or tier.size < 0:
            errors[f"tiers-{index}-size"] = _("Enter a number of 0 or more.")
        elif tier.size > 10000:
            errors[f"tiers-{index}-size"] = _("Enter a number up to 10000.")
        elif _places(tier.size) > 2:
            errors[f"tiers-{index}-size"] = _("Give at most %(n)s decimal places.", n=2)
        elif basis == AwardBasis.COUNT and tier.size != tier.size.to_integral_value():
            errors[f"tiers-{index}-size"] = _("A count is a whole number.")
        elif basis == AwardBasis.PERCENT and tier.size > 100:
            errors[f"tiers-{index}-size"] = _("A percentage is at most 100.")
        kept.append((name, tier.size))
    if basis == AwardBasis.PERCENT and not errors and sum(size for _, size in kept) > 100:
        errors["tiers-0-size"] = _("The percentages add up to more than 100.")
    if errors:
        raise SheetRefused(errors)
    round_.award_basis = basis
    round_.award_scope = scope
    round_.award_rounding = rounding
    round_.team_best = team_best
    round_.team_method = team_method
    round_.tiers = [
        AwardTier(name=name, size=size, position=i) for i, (name, size) in enumerate(kept)
    ]
    audit.record(
        "competition.awards",
        actor=actor,
        event=round_.event,
        detail=_l(
            "awards of %(round)s: %(tiers)s (%(basis)s, %(scope)s)",
            round=round_.name,
            tiers="; ".join(f"{n} {plain(s)}" for n, s in kept) or "—",
            basis=AwardBasis(basis).title
            + (f"，{AwardRounding(rounding).title}" if basis == AwardBasis.PERCENT else ""),
            scope=AwardScope(scope).title,
        ),
    )
    db.session.flush()


def results_state(round_: Round, now: datetime) -> rules.ResultsState:
    return rules.results_state(round_.published_at, now, round_.objection_days)


def publish_results(
    round_: Round, actor: User, *, flags_checked: bool = False, now: datetime | None = None
) -> Round:
    """Publish the round's results: public from now, provisional through the objection period
    (公示), final after it. Refused while sheets are missing, and while criteria are flagged
    beyond the tolerance unless the organizer confirms having checked them."""
    now = now or utcnow()
    if round_.published_at is not None:
        raise CompetitionError(_("These results are already published."))
    board = load_board(round_)
    if board.provisional:
        raise CompetitionError(
            _(
                "%(n)s sheets are still missing; results can be published once every sheet is in.",
                n=len(board.missing),
            )
        )
    if not board.overall.placings:
        raise CompetitionError(_("Nobody has been scored in this round yet."))
    if board.overall.flagged and not flags_checked:
        raise CompetitionError(
            _(
                "%(n)s criteria are flagged beyond the tolerance; check them and tick the box "
                "before publishing.",
                n=len(board.overall.flagged),
            ),
            "flags_checked",
        )
    round_.published_at = now
    round_.published_by_id = actor.id
    audit.record(
        "competition.publish",
        actor=actor,
        event=round_.event,
        detail=_l(
            "results of %(round)s published; objections until %(end)s",
            round=round_.name,
            end=format_local(round_.objection_ends_at),
        ),
    )
    db.session.flush()
    return round_


def withdraw_publication(round_: Round, actor: User, reason: str) -> None:
    """Take published results down again (e.g. after an upheld objection), with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise CompetitionError(_("Give the reason for withdrawing the results."), "reason")
    if round_.published_at is None:
        raise CompetitionError(_("These results are not published."))
    round_.published_at = None
    audit.record(
        "competition.unpublish",
        actor=actor,
        event=round_.event,
        detail=_l("results of %(round)s withdrawn: %(reason)s", round=round_.name, reason=reason),
    )
    db.session.flush()


def may_object_for(user: User, registration: Registration) -> bool:
    """The contestant themself, or a leader of their team."""
    if not getattr(user, "is_authenticated", False):
        return False
    if registration.user_id == user.id:
        return True
    if registration.team_id is None:
        return False
    return db.session.get(TeamLeader, (registration.team_id, user.id)) is not None


def objectable_contestants(round_: Round, user: User) -> list[Registration]:
    """The contestants of the round the user may lodge an objection for."""
    if not getattr(user, "is_authenticated", False):
        return []
    led = select_led_teams(round_.event, user)
    return [
        r
        for r in round_registrations(round_)
        if r.user_id == user.id or (r.team_id is not None and r.team_id in led)
    ]


def select_led_teams(event: Event, user: User) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(TeamLeader.team_id)
            .join(Team, Team.id == TeamLeader.team_id)
            .where(Team.event_id == event.id, TeamLeader.user_id == user.id)
        )
    )


def lodge_objection(
    round_: Round, user: User, registration: Registration, text: str, *, now: datetime | None = None
) -> Objection:
    """An objection in writing, by the contestant or their team leader, within the period."""
    now = now or utcnow()
    if not rules.objection_open(round_.published_at, now, round_.objection_days):
        raise CompetitionError(_("The objection period is over (or has not begun)."))
    if not may_object_for(user, registration):
        raise CompetitionError(
            _("Only the contestant or their team leader may object."), "registration_id"
        )
    text = (text or "").strip()
    if len(text) < 10:
        raise CompetitionError(_("Please describe the objection (at least 10 characters)."), "text")
    objection = Objection(
        round_id=round_.id,
        registration_id=registration.id,
        submitted_by_id=user.id,
        text=text[:5000],
        submitted_at=now,
    )
    db.session.add(objection)
    audit.record(
        "objection.lodge",
        actor=user,
        event=round_.event,
        detail=_l(
            "objection about %(contestant)s in %(round)s lodged",
            contestant=registration.user.name,
            round=round_.name,
        ),
    )
    db.session.flush()
    return objection


def objections_of(round_: Round) -> list[Objection]:
    return list(
        db.session.scalars(
            sa.select(Objection)
            .where(Objection.round_id == round_.id)
            .options(
                joinedload(Objection.registration).joinedload(Registration.user),
                joinedload(Objection.submitted_by),
                joinedload(Objection.decided_by),
            )
            .order_by(Objection.submitted_at, Objection.id)
        )
    )


def decide_objection(objection: Objection, actor: User, decision: str, text: str) -> Objection:
    """The organizer decides an objection, in writing; the decision is logged and the person
    who objected is told."""
    if decision not in {d.value for d in ObjectionDecision}:
        raise CompetitionError(_("Choose upheld or dismissed."), "decision")
    text = (text or "").strip()
    if not text:
        raise CompetitionError(_("Write the decision's reasons."), "text")
    if objection.decided_at is not None:
        raise CompetitionError(_("This objection has already been decided."))
    objection.decision = decision
    objection.decision_text = text[:5000]
    objection.decided_at = utcnow()
    objection.decided_by_id = actor.id
    round_ = objection.round
    contestant = objection.registration.user.name
    audit.record(
        "objection.decide",
        actor=actor,
        event=round_.event,
        detail=_l(
            "objection about %(contestant)s %(decision)s: %(text)s",
            contestant=contestant,
            decision=ObjectionDecision(decision).title,
            text=objection.decision_text,
        ),
    )
    if objection.submitted_by is not None:
        notify(
            objection.submitted_by,
            lambda: (
                _("Your objection was decided: %(decision)s", decision=objection.decision_title),
                _(
                    "Your objection about %(name)s in %(round)s: %(decision)s. %(text)s",
                    name=contestant,
                    round=round_.name,
                    decision=objection.decision_title,
                    text=objection.decision_text,
                ),
            ),
            link=f"/competitions/{round_.event_id}/results",
        )
    db.session.flush()
    return objection


def published_rounds(event: Event, now: datetime) -> list[Round]:
    return [r for r in rounds_of(event) if results_state(r, now) != rules.ResultsState.UNPUBLISHED]
