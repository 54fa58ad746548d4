"""A meet's board as JSON data and as spreadsheet rows (entries, results, standings, certificates)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _

from eventsite.accounts.models import Gender, User
from eventsite.core.time import format_local
from eventsite.events.models import Event, Registration, Team
from eventsite.extensions import db
from eventsite.sportsmeet import rules, service
from eventsite.sportsmeet.models import Entry, EntryMember, Item, Outcome


def board_data(board: service.Board) -> dict:
    """The standings, medals, item statuses and latest results as plain JSON values."""
    names = {t.id: t.name for t in board.teams}
    return {
        "event": board.event.id,
        "standings": [
            {
                "team": names[row.team],
                "team_id": row.team,
                "rank": row.rank,
                # As shown (rounded to hundredths), and exact ("10/3") for anyone who sums.
                "points": service.shown_points(row.points),
                "points_exact": str(row.points),
                "places": list(row.places),
            }
            for row in board.standings
        ],
        "medals": [
            {
                "team": names[row.team],
                "team_id": row.team,
                "gold": row.gold,
                "silver": row.silver,
                "bronze": row.bronze,
            }
            for row in board.medals
        ],
        "items": [
            {
                "id": placed.item.id,
                "name": placed.item.name,
                "status": placed.status,
                "placings": [
                    {
                        "place": line.place,
                        "entrant": line.label,
                        "team_id": line.team_id,
                        "points": service.shown_points(line.points),
                        "points_exact": str(line.points),
                        "result": line.shown,
                    }
                    for line in placed.lines
                ],
            }
            for placed in board.items
        ],
        "latest": [
            {
                "at": line["at"].isoformat(),
                "item": line["item"],
                "who": line["who"],
                "result": line["result"],
            }
            for line in board.latest
        ],
    }


def _members(event: Event) -> dict[int, list[tuple[str, str]]]:
    """{entry_id: [(name, gender), …]} for every entry of the meet, in one query; the gender is
    the registration's snapshot, which the entry rules count, not the member's profile today."""
    rows = db.session.execute(
        sa.select(EntryMember.entry_id, User.name, Registration.gender)
        .join(Entry, Entry.id == EntryMember.entry_id)
        .join(Item, Item.id == Entry.item_id)
        .join(Registration, Registration.id == EntryMember.registration_id)
        .join(User, User.id == Registration.user_id)
        .where(Item.event_id == event.id)
        .order_by(User.name)
    ).all()
    members: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for entry_id, name, gender in rows:
        members[entry_id].append((name, gender))
    return members


def _entries_rows(event: Event) -> tuple[list, list]:
    header = [_("Item"), _("Team"), _("Members"), _("Number"), _("Women")]
    members = _members(event)
    entries = db.session.execute(
        sa.select(Entry.id, Item.name, Team.name)
        .join(Item, Item.id == Entry.item_id)
        .join(Team, Team.id == Entry.team_id)
        .where(Item.event_id == event.id)
        .order_by(Item.position, Item.id, Team.position, Team.id, Entry.id)
    ).all()
    rows = []
    for entry_id, item_name, team_name in entries:
        people = members.get(entry_id, [])
        rows.append(
            [
                item_name,
                team_name,
                "、".join(name for name, _g in people),
                len(people),
                sum(1 for _n, gender in people if gender == Gender.FEMALE),
            ]
        )
    return header, rows


def _readable(points) -> float:
    """Exact points as a spreadsheet cell: rounded half up to hundredths, as the pages show them
    (the standings' order was decided on the exact values)."""
    return float(rules.display_points(points))


def _results_rows(board: service.Board) -> tuple[list, list]:
    header = [
        _("Item"),
        _("Status"),
        _("Heat"),
        _("Entrant"),
        _("Team"),
        _("Result"),
        _("Second attempt"),
        _("Outcome"),
        _("Reason"),
        _("Place"),
        _("Points"),
        _("Entered at"),
    ]
    rows = []
    for placed in board.items:
        item = placed.item
        heat_numbers = {h.id: (h.number, h.is_final) for h in placed.heats}
        status = placed.status_title
        if item.is_head_to_head:
            for line in placed.lines:
                rows.append(
                    [item.name, status, "", line.label, board.team_name(line.team_id)]
                    + ["", "", "", "", line.place, _readable(line.points), ""]
                )
            continue
        for (heat_id, entry_id), result in sorted(
            placed.results.items(), key=lambda kv: (heat_numbers[kv[0][0]], kv[0][1])
        ):
            number, final = heat_numbers[heat_id]
            rows.append(
                [
                    item.name,
                    status,
                    _("Final") if final and len(placed.heats) > 1 else number,
                    board.labels.get(entry_id, ""),
                    board.team_name(board.team_of_entry.get(entry_id)),
                    service.format_value(item, result.value),
                    service.format_value(item, result.second_value),
                    Outcome(result.outcome).title,
                    result.reason,
                    placed.places.get(entry_id),
                    _readable(placed.points.get(entry_id, 0)),
                    format_local(result.entered_at, "%Y-%m-%d %H:%M:%S"),
                ]
            )
    return header, rows


def _standings_rows(board: service.Board) -> tuple[list, list]:
    depth = max((len(row.places) for row in board.standings), default=0)
    medals = {row.team: row for row in board.medals}
    header = [_("Rank"), _("Team"), _("Points")]
    header += [_("Place %(n)s", n=n) for n in range(1, depth + 1)]
    header += [_("Gold"), _("Silver"), _("Bronze")]
    rows = []
    for row in board.standings:
        medal = medals[row.team]
        places = list(row.places) + [0] * (depth - len(row.places))
        rows.append(
            [row.rank, board.team_name(row.team), _readable(row.points), *places]
            + [medal.gold, medal.silver, medal.bronze]
        )
    return header, rows


def _certificate_rows(board: service.Board) -> tuple[list, list]:
    header = [_("Item"), _("Place"), _("Team"), _("Winner"), _("Status")]
    members = _members(board.event)
    rows = []
    for placed in board.items:
        for line in placed.lines:
            if line.place is None or line.place > len(board.table):
                continue
            people = "、".join(name for name, _g in members.get(line.entry_id, []))
            rows.append(
                [
                    placed.item.name,
                    line.place,
                    board.team_name(line.team_id),
                    people,
                    placed.status_title,
                ]
            )
    return header, rows


def sheet(event: Event, which: str) -> tuple[list, list, str]:
    """(header, rows, sheet title) of one export."""
    if which == "entries":
        return (*_entries_rows(event), _("Entries"))
    board = service.load_board(event)
    if which == "results":
        return (*_results_rows(board), _("Results"))
    if which == "standings":
        return (*_standings_rows(board), _("Standings"))
    return (*_certificate_rows(board), _("Certificates"))
