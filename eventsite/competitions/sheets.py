"""Score sheets: saved by `UPDATE … WHERE version` (a stale save is refused), submitted and
locked, reopened by the chief judge, typed from paper by two clerks (double entry).

Functions flush; the view, job or CLI command that called them commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from eventsite.accounts.models import User
from eventsite.competitions import rules
from eventsite.competitions.board import may_score
from eventsite.competitions.judging import may_judge
from eventsite.competitions.models import (
    Criterion,
    PaperEntry,
    Round,
    Score,
    ScoreSheet,
    SheetChange,
)
from eventsite.competitions.setup import (
    CompetitionError,
    SheetRefused,
    _refuse_once_published,
    plain,
    rule_criteria,
)
from eventsite.core import audit
from eventsite.core.notifications import notify
from eventsite.core.time import utcnow
from eventsite.events.models import (
    Event,
    Registration,
)
from eventsite.extensions import db


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


def problem_message(problem: rules.ScoreProblem, criterion: Criterion) -> str:
    return str(_PROBLEM_MESSAGES[problem]) % {
        "max": plain(criterion.max_score),
        "step": plain(criterion.step),
    }


def score_field(criterion_id: int) -> str:
    """The form field that carries one criterion's score."""
    return f"score_{criterion_id}"


NOT_THEIR_CONTESTANT = _l("This judge does not score this contestant (not assigned, or recused).")


def sheet_of(event: Event, sheet_id: int) -> ScoreSheet | None:
    found = db.session.get(ScoreSheet, sheet_id)
    return found if found is not None and found.round.event_id == event.id else None


def sheet_for(round_: Round, judge_id: int, registration_id: int) -> ScoreSheet | None:
    """The judge's sheet for the contestant with its scores, read afresh (one statement)."""
    return (
        db.session.scalars(
            sa.select(ScoreSheet)
            .where(
                ScoreSheet.round_id == round_.id,
                ScoreSheet.judge_id == judge_id,
                ScoreSheet.registration_id == registration_id,
            )
            .options(joinedload(ScoreSheet.scores))
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
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


def _name_of(registration: Registration) -> str:
    """The contestant's name, without loading their account when the session has not."""
    if "user" in sa.inspect(registration).dict:
        return registration.user.name
    return db.session.scalar(sa.select(User.name).where(User.id == registration.user_id))


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
    # Under the event's shared lock: saves of different sheets go on side by side, and none
    # is written after a publication has read the sheets, nor after an unassignment.
    _refuse_once_published(round_, shared=True)
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
        # Just inserted, so it has no scores: the collection is known without reading it.
        set_committed_value(sheet, "scores", [])
        old_values: dict[int, Decimal] = {}
        old_comment = ""
    else:
        old_values = sheet.values
        old_comment = sheet.comment
        version = db.session.scalar(
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
            .returning(ScoreSheet.version)
            .execution_options(synchronize_session=False)
        )
        if version is None:
            current = sheet_for(round_, judge.id, registration.id)
            if current.version != loaded_version:
                raise StaleSheet(current)
            raise SheetLocked(current)
        # The row now holds what was read above plus this update: every change to a sheet's
        # scores raises its version, and the update matched the version read.
        set_committed_value(sheet, "version", version)
        set_committed_value(sheet, "updated_at", now)
        set_committed_value(sheet, "updated_by_id", actor.id)

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
            contestant=_name_of(registration),
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
    #: The judge's and the contestant's names, for a page that lists the pair (`paper_pairs`).
    judge_name: str = ""
    contestant_name: str = ""

    @property
    def disagreement(self) -> bool:
        return self.comparison is not None and not self.comparison.agree


def paper_pairs(round_: Round) -> list[PaperPair]:
    """Every paper sheet typed in the round, its entries compared, with the judge's and the
    contestant's names (read in one statement: a pair may name someone who has since left the
    round, whom the round's board no longer lists)."""
    criteria = [c.id for c in round_.criteria]
    typed = paper_entries(round_)
    judges, contestants = _paper_names(typed.keys())
    pairs = []
    for (judge_id, registration_id), entries in typed.items():
        comparison = None
        if len(entries) >= 2:
            comparison = rules.compare_entries(
                _entry_values(entries[0]), _entry_values(entries[1]), criteria
            )
        pairs.append(
            PaperPair(
                judge_id,
                registration_id,
                entries,
                comparison,
                judge_name=judges.get(judge_id, ""),
                contestant_name=contestants.get(registration_id, ""),
            )
        )
    return pairs


def _paper_names(keys: Iterable[tuple[int, int]]) -> tuple[dict[int, str], dict[int, str]]:
    """The names of the judges (by user id) and contestants (by registration id) of some
    (judge, contestant) pairs, in one statement; none without pairs."""
    keys = list(keys)
    if not keys:
        return {}, {}
    rows = db.session.execute(
        sa.union_all(
            sa.select(sa.literal(True), User.id, User.name).where(
                User.id.in_({judge for judge, _ in keys})
            ),
            sa.select(sa.literal(False), Registration.id, User.name)
            .join(User, User.id == Registration.user_id)
            .where(Registration.id.in_({contestant for _, contestant in keys})),
        )
    )
    judges: dict[int, str] = {}
    contestants: dict[int, str] = {}
    for is_judge, key, name in rows:
        (judges if is_judge else contestants)[key] = name
    return judges, contestants


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
