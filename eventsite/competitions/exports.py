"""A round's results as spreadsheets (the ranking and every judge's sheet; the awards list for
certificates) and its blank scoring sheets for printing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from eventsite.accounts.models import User
from eventsite.competitions import rules, service
from eventsite.core.exports import add_sheet, workbook_bytes
from eventsite.core.time import format_local


@dataclass(frozen=True)
class Exact:
    """A score kept at more precision than the display (the exact total, 4 decimals shown)."""

    value: Decimal


def _cell(sheet, value):
    # Scores are number cells (Excel can sum and sort them), shown with 2 decimals; a float keeps
    # 15 significant digits, far more than any score needs.
    if isinstance(value, Exact):
        cell = WriteOnlyCell(sheet, value=float(value.value))
        cell.number_format = "0.0000"
        return cell
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = "0.00"
        return cell
    return value


def _score(value: Decimal | None) -> Decimal | None:
    return None if value is None else rules.round_for_display(value)


def _status(board: service.Board, registration_id: int) -> str:
    exclusion = board.exclusions.get(registration_id)
    return exclusion.state_enum.title if exclusion else ""


def provisional_note(board: service.Board) -> str | None:
    """The title row of a ranking exported while sheets are missing; None once all are in."""
    if not board.provisional:
        return None
    missing = "; ".join(
        f"{board.judges[judge_id].name} → {board.registrations[contestant].name}"
        for judge_id, contestant in board.missing
    )
    return _(
        "Provisional: %(n)s sheets are still missing (%(missing)s).",
        n=len(board.missing),
        missing=missing,
    )


def ranking_rows(board: service.Board) -> tuple[list[str], list[list]]:
    """The overall ranking with the track ranks, per-criterion aggregates and totals (exact)."""
    tracks = {t.id: t.name for t in board.tracks}
    awards = service.awards_of(board)
    header = [
        _("Rank"),
        _("Rank in track"),
        _("Contestant"),
        _("Team"),
        _("Track"),
        *[c.name for c in board.criteria],
        _("Total"),
        _("Total (exact)"),
        _("Award"),
        _("Status"),
    ]
    track_ranks = {
        placing.contestant: placing.rank
        for key, ranking in board.rankings.items()
        if key is not None
        for placing in ranking.placings
    }
    rows = []
    for placing in board.overall.placings:
        registration = board.registrations[placing.contestant]
        award = awards.tier_of(placing.contestant)
        rows.append(
            [
                placing.rank,
                track_ranks.get(placing.contestant),
                registration.name,
                board.teams[registration.team_id].name
                if registration.team_id in board.teams
                else "",
                tracks.get(registration.track_id, ""),
                *[_score(line.aggregate) for line in placing.criteria],
                _score(placing.total),
                None if placing.total is None else Exact(placing.total),
                award.tier_name if award else "",
                _status(board, placing.contestant),
            ]
        )
    return header, rows


def sheets_rows(board: service.Board) -> tuple[list[str], list[list]]:
    """Every judge's sheet: one line per judge and contestant, with each criterion's score."""
    header = [
        _("Judge"),
        _("Contestant"),
        _("Team"),
        *[c.name for c in board.criteria],
        _("Comment"),
        _("Submitted at"),
        _("Version"),
        _("From paper"),
    ]
    rows = []
    judges = board.judges
    for sheet in sorted(
        board.sheets,
        key=lambda s: (judges[s.judge_id].name if s.judge_id in judges else "", s.registration_id),
    ):
        registration = board.registrations[sheet.registration_id]
        values = board.values.get(sheet.id, {})
        rows.append(
            [
                judges[sheet.judge_id].name if sheet.judge_id in judges else sheet.judge.name,
                registration.name,
                board.teams[registration.team_id].name
                if registration.team_id in board.teams
                else "",
                *[values.get(c.id) for c in board.criteria],
                sheet.comment,
                format_local(sheet.submitted_at) or _("draft"),
                sheet.version,
                _("yes") if sheet.from_paper else "",
            ]
        )
    return header, rows


def add_rules_sheet(workbook: Workbook, board: service.Board) -> None:
    """A sheet saying how the results were computed (aggregation, awards), as the explanation
    page does."""
    add_sheet(
        workbook,
        _("Rules applied"),
        [_("Rule"), _("Applied"), _("How")],
        [[rule.subject, rule.name, rule.detail] for rule in service.rules_applied(board.round)],
    )


def results_workbook(board: service.Board) -> bytes:
    """Ranking on the first sheet, every judge's sheet on the second, missing sheets on the
    third, the rules applied on the fourth."""
    workbook = Workbook(write_only=True)
    add_sheet(
        workbook, _("Ranking"), *ranking_rows(board), note=provisional_note(board), cell=_cell
    )
    add_sheet(workbook, _("Judges' sheets"), *sheets_rows(board), cell=_cell)
    missing = [
        [
            board.judges[judge_id].name,
            board.judges[judge_id].mobile,
            board.registrations[contestant].name,
            _("draft") if (judge_id, contestant) in board.sheet_by_pair else _("not started"),
        ]
        for judge_id, contestant in board.missing
    ]
    add_sheet(
        workbook,
        _("Missing sheets"),
        [_("Judge"), _("Mobile"), _("Contestant"), _("State")],
        missing,
        cell=_cell,
    )
    add_rules_sheet(workbook, board)
    return workbook_bytes(workbook)


def awards_workbook(board: service.Board, awards: service.AwardTable) -> bytes:
    """The awards list for certificates: award, name, team, track, work unit, rank, total."""
    tracks = {t.id: t.name for t in board.tracks}
    header = [_("Award"), _("Name"), _("Team"), _("Track"), _("Work unit"), _("Rank"), _("Total")]
    rows = []
    for row in awards.rows:
        registration = board.registrations[row.registration_id]
        rows.append(
            [
                row.tier_name,
                registration.name,
                board.teams[registration.team_id].name
                if registration.team_id in board.teams
                else "",
                tracks.get(registration.track_id, ""),
                registration.work_unit,
                row.rank,
                _score(row.total),
            ]
        )
    workbook = Workbook(write_only=True)
    add_sheet(workbook, _("Awards"), header, rows, note=provisional_note(board), cell=_cell)
    add_rules_sheet(workbook, board)
    return workbook_bytes(workbook)


@dataclass
class BlankPage:
    """One printed page: a judge's blank sheet for one contestant."""

    judge: User
    registration: service.ContestantEntry
    track_name: str
    team_name: str


def blank_pages(board: service.Board, judge_id: int | None = None) -> list[BlankPage]:
    """A blank sheet per expected (judge, contestant) pair, optionally for one judge only."""
    tracks = {t.id: t.name for t in board.tracks}
    pages = []
    for pair_judge, contestant in board.expected:
        if judge_id is not None and pair_judge != judge_id:
            continue
        registration = board.registrations[contestant]
        pages.append(
            BlankPage(
                judge=board.judges[pair_judge],
                registration=registration,
                track_name=tracks.get(registration.track_id, ""),
                team_name=board.teams[registration.team_id].name
                if registration.team_id in board.teams
                else "",
            )
        )
    pages.sort(key=lambda p: (p.judge.name, p.judge.id, p.track_name, p.registration.id))
    return pages
