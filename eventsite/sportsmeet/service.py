"""Sports meet operations: settings, items, referees, captains, entries, draws, results, and the
live board (placings, points, standings, medals) derived from the raw results on every read.

Functions flush; the view or CLI command that called them commits once.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from eventsite.accounts.models import Gender, Role, User
from eventsite.accounts.service import user_by_mobile
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.core.models import AuditEntry
from eventsite.core.time import format_local, utcnow
from eventsite.events.models import Event, Registration, RegistrationStatus, Team
from eventsite.extensions import db
from eventsite.sportsmeet import entry_rules, rules
from eventsite.sportsmeet.models import (
    Captain,
    Entry,
    EntryMember,
    Heat,
    Item,
    ItemReferee,
    Lane,
    Match,
    MatchFormat,
    MeetSettings,
    Outcome,
    Result,
    ResultKind,
)


class MeetError(Refused):
    """A sports meet action was refused."""


class SheetError(Exception):
    """Some rows of a result sheet were refused: {(entry_id, field): message}."""

    def __init__(self, errors: dict[tuple[int, str], str]):
        super().__init__("result sheet refused")
        self.errors = errors


class EntriesRefused(Exception):
    """A captain's selection breaks a blocking rule; nothing was saved."""

    def __init__(self, problems: list[entry_rules.Problem]):
        super().__init__("entries refused")
        self.problems = problems


class WithdrawalUnconfirmed(Exception):
    """A captain's selection is empty while the team has entries: saving it would withdraw the
    team from every item, so it needs the captain's explicit confirmation; nothing was saved."""


# =============================================================================================
# Settings
# =============================================================================================


def settings_of(event: Event) -> MeetSettings:
    """The meet's settings; unsaved defaults when the organizer has not set any."""
    settings = db.session.get(MeetSettings, event.id)
    return settings or MeetSettings(event_id=event.id, points_table="", per_person_limit=None)


#: Each refused points table as a message id (the rules keep plain codes so they stay Flask-free).
POINTS_TABLE_MESSAGES = {
    rules.PointsTableProblem.FORMAT: _l(
        "Points must be numbers separated by commas, such as 5,3,2,1."
    ),
    rules.PointsTableProblem.RANGE: _l("Each place's points must be between 0 and 1000."),
    rules.PointsTableProblem.NOT_WHOLE: _l("Each place's points must be a whole number."),
    rules.PointsTableProblem.INCREASING: _l(
        "A lower place cannot earn more points than a higher one."
    ),
    rules.PointsTableProblem.TOO_LONG: _l("Give points for at most 50 places."),
}


def parse_points_table(text: str) -> list[int]:
    """'5,3,2,1' (also 5-3-2-1 or 5 3 2 1) as points by place; empty text gives []; a table the
    rules refuse is a MeetError on the points_table field."""
    try:
        return list(rules.parse_points_table(text))
    except rules.PointsTableError as exc:
        raise MeetError(str(POINTS_TABLE_MESSAGES[exc.problem]), "points_table") from None


def points_table_for(settings: MeetSettings, team_count: int) -> list[Fraction]:
    """The organizer's table as saved (exact; one saved before whole numbers were required
    keeps its decimals), or the default for the number of teams."""
    saved = [Fraction(Decimal(part)) for part in settings.points_table.split(",") if part.strip()]
    if saved:
        return saved
    return [Fraction(p) for p in rules.default_points_table(max(team_count, 1))]


def lock_time(event: Event, settings: MeetSettings) -> datetime:
    return settings.entries_lock_at or event.starts_at


#: How the audit log (and the settings form) names each setting of the meet.
SETTINGS_TITLES = {
    "points_table": _l("Points by place"),
    "per_person_limit": _l("Items per person"),
    "entries_lock_at": _l("Entries lock at"),
}


def _shown_setting(name: str, value) -> str:
    """A meet setting's value as the audit log words it; an empty one says what empty means."""
    if name == "points_table":
        return value or _("default")
    if name == "entries_lock_at":
        return format_local(value) if value is not None else _("when the meet starts")
    return str(value) if value is not None else _("no limit")


def save_settings(
    event: Event,
    actor: User,
    *,
    points_table: str,
    per_person_limit: int | None,
    entries_lock_at: datetime | None,
) -> MeetSettings:
    """Save the points table, the per-person item limit and the entries lock time; each
    changed setting is audited with its old and new value."""
    table = parse_points_table(points_table)
    settings = db.session.get(MeetSettings, event.id)
    if settings is None:
        settings = settings_of(event)
        db.session.add(settings)
    wanted = {
        "points_table": ",".join(str(points) for points in table),
        "per_person_limit": per_person_limit,
        "entries_lock_at": entries_lock_at,
    }
    changes = [
        (name, getattr(settings, name), value)
        for name, value in wanted.items()
        if getattr(settings, name) != value
    ]
    for name, value in wanted.items():
        setattr(settings, name, value)
    if changes:
        audit.record(
            "meet.settings",
            actor=actor,
            event=event,
            detail=audit.field_changes(changes, SETTINGS_TITLES, _shown_setting),
        )
    db.session.flush()
    return settings


def plain_number(value: Decimal) -> str:
    """A Decimal without trailing zeros: 5.00 → 5, 2.50 → 2.5."""
    text = format(value.normalize(), "f")
    return text


def shown_points(points) -> str:
    """Exact points as people read them: rounded half up to hundredths, without trailing zeros
    (10/3 → 3.33, 5/2 → 2.5, 10 → 10)."""
    return plain_number(rules.display_points(points))


# =============================================================================================
# Items and referees
# =============================================================================================


#: What an organizer sets on an item, as the audit log (and the item form) names it.
ITEM_TITLES = {
    "name": _l("Item name"),
    "result_type": _l("How it is decided"),
    "match_format": _l("Match format (head-to-head only)"),
    "starts_at": _l("Starts at"),
    "place": _l("Where"),
    "min_members": _l("Fewest members per team"),
    "max_members": _l("Most members per team"),
    "min_women": _l("At least this many women"),
    "multiplier": _l("Points multiplier"),
    "second_attempt": _l("A second attempt is allowed (the better one counts)"),
    "individual": _l("Each member is placed on their own (individual results)"),
}

ITEM_FIELDS = tuple(ITEM_TITLES)


def _shown_item_value(name: str, value) -> str:
    """An item setting's value as the audit log words it."""
    if name == "max_members" and value is None:
        return _("no limit")
    if value is None or value == "":
        return "—"
    if name == "result_type":
        return ResultKind(value).title
    if name == "match_format":
        return MatchFormat(value).title
    if name == "starts_at":
        return format_local(value)
    if name == "multiplier":
        return plain_number(Decimal(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def items_of(event: Event) -> list[Item]:
    return list(
        db.session.scalars(
            sa.select(Item).where(Item.event_id == event.id).order_by(Item.position, Item.id)
        )
    )


def item_of(event: Event, item_id: int) -> Item | None:
    item = db.session.get(Item, item_id)
    return item if item is not None and item.event_id == event.id else None


def _check_item_fields(event: Event, fields: dict, item: Item | None = None) -> dict:
    fields = dict(fields)
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        raise MeetError(_("Please enter the item's name."), "name")
    clash = db.session.scalar(
        sa.select(Item.id).where(
            Item.event_id == event.id,
            Item.name == fields["name"],
            Item.id != (item.id if item else -1),
        )
    )
    if clash:
        raise MeetError(_("This meet already has an item of that name."), "name")
    if fields["result_type"] != ResultKind.HEAD_TO_HEAD:
        fields["match_format"] = ""
    elif fields.get("match_format") not in {f.value for f in MatchFormat}:
        raise MeetError(_("Choose knockout or round robin."), "match_format")
    if fields["result_type"] == ResultKind.HEAD_TO_HEAD and fields.get("individual"):
        raise MeetError(_("Head-to-head items are between teams."), "individual")
    most = fields.get("max_members")
    if most is not None and most < fields["min_members"]:
        raise MeetError(_("The most members cannot be fewer than the fewest."), "max_members")
    if most is not None and fields["min_women"] > most:
        raise MeetError(_("More women are required than the entry can hold."), "min_women")
    if item is not None and item.result_type != fields["result_type"] and _has_results(item):
        raise MeetError(
            _("Results have been entered; the result type can no longer change."), "result_type"
        )
    return fields


def _has_results(item: Item) -> bool:
    results = db.session.scalar(
        sa.select(sa.func.count(Result.id)).join(Heat).where(Heat.item_id == item.id)
    )
    # A bye's team "wins" at the draw; only a result a referee entered counts.
    matches = db.session.scalar(
        sa.select(sa.func.count(Match.id)).where(
            Match.item_id == item.id,
            Match.entered_at.is_not(None),
            sa.or_(Match.winner_entry_id.is_not(None), Match.drawn.is_(True)),
        )
    )
    return bool(results or matches)


def create_item(event: Event, actor: User, **fields) -> Item:
    """Add an item to the meet, after the others."""
    fields = _check_item_fields(event, fields)
    last = db.session.scalar(sa.select(sa.func.max(Item.position)).where(Item.event_id == event.id))
    item = Item(event_id=event.id, position=(last or 0) + 1, **fields)
    db.session.add(item)
    db.session.flush()
    audit.record("meet.item_create", actor=actor, event=event, detail=item.name)
    return item


def update_item(item: Item, actor: User, **fields) -> Item:
    """Change an item's name, type, schedule and entry rules; each changed setting is audited
    with its old and new value."""
    fields = _check_item_fields(item.event, fields, item)
    changes = [
        (name, getattr(item, name), fields[name])
        for name in ITEM_FIELDS
        if getattr(item, name) != fields[name]
    ]
    for name in ITEM_FIELDS:
        setattr(item, name, fields[name])
    db.session.flush()
    if changes:
        audit.record(
            "meet.item_update",
            actor=actor,
            event=item.event,
            detail=audit.field_changes(changes, ITEM_TITLES, _shown_item_value, subject=item.name),
        )
    return item


def delete_item(item: Item, actor: User) -> None:
    """Remove an item; refused once results exist."""
    if _has_results(item):
        raise MeetError(_("Results have been entered for this item; it cannot be removed."))
    audit.record("meet.item_delete", actor=actor, event=item.event, detail=item.name)
    db.session.delete(item)
    db.session.flush()


def add_referee(item: Item, mobile: str, actor: User) -> ItemReferee:
    """Assign a member holding the judge role to enter this item's results."""
    user = user_by_mobile(mobile or "")
    # One answer for an unknown number and a member without the role: the error must not tell
    # the organizer whose number it is.
    if user is None or not user.active or not user.has_role(Role.JUDGE):
        raise MeetError(
            _(
                "No member with the judge role has this mobile number. An administrator grants "
                "the role."
            ),
            "mobile",
        )
    if any(link.user_id == user.id for link in item.referees):
        raise MeetError(_("This member already referees this item."), "mobile")
    link = ItemReferee(item_id=item.id, user_id=user.id)
    item.referees.append(link)
    db.session.flush()
    audit.record(
        "meet.referee_add", actor=actor, event=item.event, detail=f"{item.name}: {user.name}"
    )
    return link


def remove_referee(item: Item, user_id: int | None, actor: User) -> None:
    link = next((r for r in item.referees if r.user_id == user_id), None)
    if link is None:
        raise MeetError(_("That member does not referee this item."))
    audit.record(
        "meet.referee_remove",
        actor=actor,
        event=item.event,
        detail=f"{item.name}: {link.user.name}",
    )
    item.referees.remove(link)
    db.session.flush()


def is_referee(user, item: Item) -> bool:
    """A member holding the judge role who is assigned to the item."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.JUDGE):
        return False
    return any(link.user_id == user.id for link in item.referees)


# =============================================================================================
# Captains
# =============================================================================================


def team_of(event: Event, team_id: int) -> Team | None:
    team = db.session.get(Team, team_id)
    return team if team is not None and team.event_id == event.id else None


def captains_by_team(event: Event) -> dict[int, list[Captain]]:
    rows = db.session.scalars(
        sa.select(Captain)
        .join(Team, Team.id == Captain.team_id)
        .where(Team.event_id == event.id)
        .options(joinedload(Captain.user))
        .order_by(Captain.added_at, Captain.user_id)
    )
    grouped: dict[int, list[Captain]] = defaultdict(list)
    for captain in rows:
        grouped[captain.team_id].append(captain)
    return grouped


def is_captain(user, team: Team) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(Captain, {"team_id": team.id, "user_id": user.id}) is not None


def add_captain(event: Event, team: Team, mobile: str, actor: User) -> Captain:
    """Make a member of the team its captain; they must hold a registration in that team."""
    user = user_by_mobile(mobile or "")
    registration = (
        None
        if user is None
        else db.session.scalar(
            sa.select(Registration).where(
                Registration.event_id == event.id, Registration.user_id == user.id
            )
        )
    )
    # One answer for an unknown number and any other member: the error must not tell the
    # organizer whose number it is.
    if (
        registration is None
        or registration.team_id != team.id
        or registration.status != RegistrationStatus.CONFIRMED
    ):
        raise MeetError(
            _(
                "No confirmed member of %(team)s has this mobile number; a captain must be one.",
                team=team.name,
            ),
            "mobile",
        )
    if db.session.get(Captain, {"team_id": team.id, "user_id": user.id}) is not None:
        raise MeetError(_("This member is already a captain of this team."), "mobile")
    captain = Captain(team_id=team.id, user_id=user.id)
    db.session.add(captain)
    db.session.flush()
    audit.record("meet.captain_add", actor=actor, event=event, detail=f"{team.name}: {user.name}")
    return captain


def remove_captain(event: Event, team: Team, user_id: int | None, actor: User) -> None:
    captain = db.session.get(Captain, {"team_id": team.id, "user_id": user_id or 0})
    if captain is None:
        raise MeetError(_("That member is not a captain of this team."))
    audit.record(
        "meet.captain_remove", actor=actor, event=event, detail=f"{team.name}: {captain.user.name}"
    )
    db.session.delete(captain)
    db.session.flush()


# =============================================================================================
# Entries (the captain's page)
# =============================================================================================


def item_terms(item: Item) -> entry_rules.ItemTerms:
    return entry_rules.ItemTerms(item.id, item.min_members, item.max_members, item.min_women)


@dataclass
class TeamSheet:
    """What a captain's page shows: items, the team's members, who is in what, what is wrong."""

    event: Event
    team: Team
    items: list[Item]
    members: list[Registration]
    selection: dict[int, set[int]]
    problems: list[entry_rules.Problem]
    locked: bool
    lock_at: datetime
    per_person_limit: int | None
    #: What is saved now ({item_id: registration ids}); equal to `selection` unless the page
    #: shows a refused submission.
    saved: dict[int, set[int]] = field(default_factory=dict)
    #: Items whose heats or matches are drawn: their entries can no longer change here.
    drawn: set[int] = field(default_factory=set)

    @property
    def women(self) -> set[int]:
        return {r.id for r in self.members if r.gender == Gender.FEMALE}

    def problems_for(self, item_id: int) -> list[entry_rules.Problem]:
        return [p for p in self.problems if p.item_id == item_id]

    @property
    def person_problems(self) -> list[entry_rules.Problem]:
        return [p for p in self.problems if p.item_id is None]

    def items_of_member(self, registration_id: int) -> int:
        return sum(1 for chosen in self.selection.values() if registration_id in chosen)


def _team_members(team: Team) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .join(User, User.id == Registration.user_id)
            .where(
                Registration.team_id == team.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .options(contains_eager(Registration.user))
            .order_by(User.name, Registration.id)
        )
    )


def _saved_selection(team: Team) -> dict[int, set[int]]:
    rows = db.session.execute(
        sa.select(Entry.item_id, EntryMember.registration_id)
        .join(EntryMember, EntryMember.entry_id == Entry.id)
        .where(Entry.team_id == team.id)
    ).all()
    selection: dict[int, set[int]] = defaultdict(set)
    for item_id, registration_id in rows:
        selection[item_id].add(registration_id)
    return dict(selection)


def _drawn_items(event: Event) -> set[int]:
    """The meet's items that have heats or matches drawn (one query)."""
    heats = sa.select(Heat.item_id).join(Item, Item.id == Heat.item_id)
    matches = sa.select(Match.item_id).join(Item, Item.id == Match.item_id)
    return set(
        db.session.scalars(
            sa.union(
                heats.where(Item.event_id == event.id), matches.where(Item.event_id == event.id)
            )
        )
    )


def team_sheet(
    event: Event, team: Team, selection: Mapping[int, Iterable[int]] | None = None
) -> TeamSheet:
    """The captain's page for a team: the saved selection (or `selection`) and its problems."""
    settings = settings_of(event)
    items = items_of(event)
    members = _team_members(team)
    saved = _saved_selection(team)
    chosen = (
        {item_id: set(regs) for item_id, regs in selection.items()}
        if selection is not None
        else saved
    )
    sheet = TeamSheet(
        event=event,
        team=team,
        items=items,
        members=members,
        selection=chosen,
        problems=[],
        locked=entry_rules.entries_locked(settings.entries_lock_at, event.starts_at, utcnow()),
        lock_at=lock_time(event, settings),
        per_person_limit=settings.per_person_limit,
        saved=saved,
        drawn=_drawn_items(event),
    )
    sheet.problems = entry_rules.selection_problems(
        [item_terms(item) for item in items],
        chosen,
        team_members={r.id for r in members},
        women=sheet.women,
        per_person_limit=settings.per_person_limit,
    )
    return sheet


def save_team_entries(
    event: Event,
    team: Team,
    actor: User,
    selection: Mapping[int, Iterable[int]],
    *,
    withdraw_all: bool = False,
) -> TeamSheet:
    """Replace the team's entries with `selection` ({item_id: registration ids}).

    Refused after the lock; refused whole when an item already drawn would change (its heats or
    matches hold the entries) or a blocking rule breaks; an empty selection that would withdraw
    the team from every item needs `withdraw_all`. Open problems (too few members or women) are
    saved and shown until the lock.
    """
    sheet = team_sheet(event, team, selection)
    if sheet.locked:
        raise MeetError(_("Entries are locked; nothing can be changed any more."))
    names = {item.id: item.name for item in sheet.items}
    fixed = [
        names[item_id]
        for item_id in sorted(sheet.drawn & set(names), key=list(names).index)
        if sheet.selection.get(item_id, set()) != sheet.saved.get(item_id, set())
    ]
    if fixed:
        raise MeetError(
            _(
                "The draw has been made for %(items)s, so its entries can no longer change here. "
                "Nothing was saved; ask the organizer if a change is needed.",
                items="、".join(fixed),
            )
        )
    has_entries = any(sheet.saved.get(item_id) for item_id in names)
    emptied = not any(sheet.selection.get(item_id) for item_id in names)
    if has_entries and emptied and not withdraw_all:
        raise WithdrawalUnconfirmed()
    # A drawn item is sent back as saved; a problem in it (a member who has since left the
    # team) is the organizer's to settle, and must not block the captain's other items.
    blocking = [p for p in sheet.problems if p.blocking and p.item_id not in sheet.drawn]
    if blocking:
        raise EntriesRefused(blocking)
    items = {item.id: item for item in sheet.items}
    entries = db.session.scalars(
        sa.select(Entry)
        .where(Entry.team_id == team.id, Entry.item_id.in_(list(items) or [0]))
        .options(selectinload(Entry.members))
    ).all()
    by_item: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_item[entry.item_id].append(entry)
    changed = []
    for item_id, item in items.items():
        wanted = sheet.selection.get(item_id, set())
        current = by_item.get(item_id, [])
        have = {m.registration_id for e in current for m in e.members}
        if wanted == have:
            continue
        changed.append(item.name)
        if item.individual:
            for entry in current:
                if {m.registration_id for m in entry.members} - wanted:
                    db.session.delete(entry)
            for registration_id in sorted(wanted - have):
                db.session.add(
                    Entry(
                        item_id=item_id,
                        team_id=team.id,
                        members=[EntryMember(registration_id=registration_id)],
                    )
                )
        elif not wanted:
            for entry in current:
                db.session.delete(entry)
        else:
            entry = current[0] if current else Entry(item_id=item_id, team_id=team.id)
            for extra in current[1:]:
                db.session.delete(extra)
            entry.members = [m for m in entry.members if m.registration_id in wanted] + [
                EntryMember(registration_id=r) for r in sorted(wanted - have)
            ]
            db.session.add(entry)
    db.session.flush()
    if changed:
        audit.record(
            "meet.entries", actor=actor, event=event, detail=f"{team.name}: {', '.join(changed)}"
        )
    return sheet


# =============================================================================================
# Draws: heats and head-to-head matches
# =============================================================================================


def _entries_in_team_order(item: Item) -> list[Entry]:
    return list(
        db.session.scalars(
            sa.select(Entry)
            .join(Team, Team.id == Entry.team_id)
            .where(Entry.item_id == item.id)
            .order_by(Team.position, Team.id, Entry.id)
        )
    )


def draw_entries(item: Item) -> dict[int, int | None]:
    """The item's entries in team order, each with its place in the current draw's seeding
    (None when the current draw is not seeded): the rows of the organizer's seeding form."""
    return {entry.id: entry.seeding for entry in _entries_in_team_order(item)}


@dataclass(frozen=True)
class CurrentDraw:
    """How an item's current heats or matches were drawn; `method` is None for a draw made
    before the method was kept. `fixed`: results are in, so it can no longer be redone."""

    method: rules.DrawMethod | None
    seed: int | None
    lanes: int | None
    fixed: bool


def current_draw(item: Item) -> CurrentDraw | None:
    """How the item's current heats or matches were drawn; None when nothing is drawn."""
    drawn = db.session.scalar(
        sa.select(
            sa.exists().where(Heat.item_id == item.id) | sa.exists().where(Match.item_id == item.id)
        )
    )
    if not drawn:
        return None
    method = rules.DrawMethod(item.draw_method) if item.draw_method else None
    return CurrentDraw(method, item.draw_seed, item.draw_lanes, fixed=_has_results(item))


def _keep_draw(
    item: Item,
    method: rules.DrawMethod,
    seed: int | None,
    lanes: int | None,
    seeds: Mapping[int, int | None] | None,
) -> None:
    """Keep on the item how its draw was made, and on its entries the seeding it used."""
    item.draw_method = method.value
    item.draw_seed = seed if method == rules.DrawMethod.LOTS else None
    item.draw_lanes = lanes
    seeding = dict(seeds or {}) if method == rules.DrawMethod.SEEDED else {}
    for entry in db.session.scalars(sa.select(Entry).where(Entry.item_id == item.id)):
        entry.seeding = seeding.get(entry.id)


class SeedingRefused(Exception):
    """The organizer's seeding is incomplete or has a seed twice: {entry_id: problem}; nothing
    was drawn."""

    def __init__(self, problems: dict[int, rules.SeedingProblem]):
        super().__init__("seeding refused")
        self.problems = problems


def new_draw_seed() -> int:
    """A seed for a drawing of lots nobody chose: from the system's secure random source."""
    return secrets.randbelow(rules.MAX_DRAW_SEED + 1)


def _draw_order(
    item: Item,
    entries: list[Entry],
    method: rules.DrawMethod,
    seed: int | None,
    seeds: Mapping[int, int | None] | None,
) -> tuple[list[int], str]:
    """The entry ids in the order the draw fills heats or a bracket, and how that order came
    about for the audit log (the method, the seed of a drawing of lots, the order by name)."""
    ids = [entry.id for entry in entries]
    if method == rules.DrawMethod.LOTS:
        if seed is None:
            raise ValueError("A drawing of lots needs its seed (see new_draw_seed).")
        order = rules.draw_lots(ids, seed)
    elif method == rules.DrawMethod.SEEDED:
        seeds = dict(seeds or {})
        if set(seeds) != set(ids):
            raise MeetError(
                _(
                    "The teams entered have changed since the page was loaded; reload it and "
                    "seed again. Nothing was drawn."
                )
            )
        problems = rules.seeding_problems(ids, seeds)
        if problems:
            raise SeedingRefused(problems)
        order = rules.seeded_order(ids, seeds)
    else:
        order = ids
    labels = load_board(item.event, item_id=item.id).labels
    names = "、".join(labels.get(entry_id, str(entry_id)) for entry_id in order)
    if method == rules.DrawMethod.LOTS:
        how = _("drawing of lots, seed %(seed)s: %(order)s", seed=seed, order=names)
    elif method == rules.DrawMethod.SEEDED:
        how = _("seeded by the organizer: %(order)s", order=names)
    else:
        how = _("in team order: %(order)s", order=names)
    return order, how


def _refuse_redraw(item: Item) -> None:
    if _has_results(item):
        raise MeetError(_("Results have been entered; the draw can no longer be redone."))


def _clear_draw(item: Item) -> None:
    _refuse_redraw(item)
    db.session.execute(sa.delete(Heat).where(Heat.item_id == item.id))
    db.session.execute(sa.delete(Match).where(Match.item_id == item.id))
    db.session.expire_all()


def draw_heats(
    item: Item,
    actor: User,
    lanes: int,
    method: rules.DrawMethod = rules.DrawMethod.TEAM_ORDER,
    *,
    seed: int | None = None,
    seeds: Mapping[int, int | None] | None = None,
) -> list[Heat]:
    """Split the item's entries into heats of at most `lanes`, as evenly as possible, dealt out
    in team order, by a drawing of lots from `seed`, or by the organizer's `seeds`; audited
    with the seed, so a drawing of lots can be repeated to check it."""
    if item.is_head_to_head:
        raise MeetError(_("Head-to-head items are drawn as matches, not heats."))
    entries = _entries_in_team_order(item)
    if not entries:
        raise MeetError(_("No team has entered this item yet."))
    _refuse_redraw(item)
    order, how = _draw_order(item, entries, method, seed, seeds)
    _clear_draw(item)
    _keep_draw(item, method, seed, lanes, seeds)
    count = -(-len(order) // lanes)
    heats = [Heat(item_id=item.id, number=n + 1, is_final=count == 1) for n in range(count)]
    for index, entry_id in enumerate(order):
        heat = heats[index % count]
        heat.lanes.append(Lane(entry_id=entry_id, lane=len(heat.lanes) + 1))
    db.session.add_all(heats)
    db.session.flush()
    audit.record(
        "meet.draw",
        actor=actor,
        event=item.event,
        detail=_("%(item)s: %(n)s heats; %(how)s", item=item.name, n=count, how=how),
    )
    return heats


def draw_final(item: Item, actor: User, size: int) -> Heat:
    """Add a final heat with the best `size` entries of the heats so far."""
    board = load_board(item.event, item_id=item.id)
    placed = board.items[0]
    if any(heat.is_final for heat in placed.heats):
        raise MeetError(_("This item already has a final."))
    ranked = sorted(
        (place, entry_id) for entry_id, place in placed.places.items() if place is not None
    )
    finalists = [entry_id for _place, entry_id in ranked[:size]]
    if len(finalists) < 2:
        raise MeetError(_("At least two entries need a result before a final can be drawn."))
    number = max((h.number for h in placed.heats), default=0) + 1
    heat = Heat(item_id=item.id, number=number, is_final=True)
    heat.lanes = [Lane(entry_id=e, lane=i + 1) for i, e in enumerate(finalists)]
    db.session.add(heat)
    db.session.flush()
    audit.record(
        "meet.draw_final",
        actor=actor,
        event=item.event,
        detail=_("%(item)s: final of %(n)s", item=item.name, n=len(finalists)),
    )
    return heat


def draw_matches(
    item: Item,
    actor: User,
    method: rules.DrawMethod = rules.DrawMethod.TEAM_ORDER,
    *,
    seed: int | None = None,
    seeds: Mapping[int, int | None] | None = None,
) -> list[Match]:
    """Draw a knockout bracket (the first in the order gets the top seed's place) or a
    round-robin schedule for the entered teams, in team order, by a drawing of lots from
    `seed`, or by the organizer's `seeds` ({entry_id: 1 for the top seed, …}); audited with the
    order and the seed, so a drawing of lots can be repeated to check it."""
    if not item.is_head_to_head:
        raise MeetError(_("Only head-to-head items have matches."))
    entries = _entries_in_team_order(item)
    if len(entries) < 2:
        raise MeetError(_("At least two teams must enter before matches can be drawn."))
    _refuse_redraw(item)
    order, how = _draw_order(item, entries, method, seed, seeds)
    _clear_draw(item)
    _keep_draw(item, method, seed, None, seeds)
    if item.match_format == MatchFormat.KNOCKOUT:
        planned = rules.knockout_bracket(order)
    else:
        planned = [
            m
            for m in rules.round_robin_schedule(order)
            if m.home is not None and m.away is not None
        ]
    matches = [
        Match(
            item_id=item.id,
            round=m.round,
            slot=m.slot,
            home_entry_id=m.home,
            away_entry_id=m.away,
            winner_entry_id=m.winner or None,
        )
        for m in planned
    ]
    db.session.add_all(matches)
    db.session.flush()
    audit.record(
        "meet.draw",
        actor=actor,
        event=item.event,
        detail=_("%(item)s: %(n)s matches; %(how)s", item=item.name, n=len(matches), how=how),
    )
    return matches


def set_final(item: Item, actor: User, final: bool) -> None:
    """Declare the item's results final (no more changes), or reopen them."""
    if final and item.finalized_at is None:
        item.finalized_at = utcnow()
        audit.record("meet.final", actor=actor, event=item.event, detail=item.name)
    elif not final and item.finalized_at is not None:
        item.finalized_at = None
        audit.record("meet.reopen", actor=actor, event=item.event, detail=item.name)
    db.session.flush()


# =============================================================================================
# Results
# =============================================================================================


@dataclass(frozen=True)
class ResultInput:
    """One row of a referee's heat sheet, already parsed."""

    entry_id: int
    value: Decimal | None
    second_value: Decimal | None
    outcome: str
    reason: str


def heat_of(item: Item, heat_id: int) -> Heat | None:
    heat = db.session.get(Heat, heat_id)
    return heat if heat is not None and heat.item_id == item.id else None


def match_of(item: Item, match_id: int) -> Match | None:
    match = db.session.get(Match, match_id)
    return match if match is not None and match.item_id == item.id else None


def _refuse_if_final(item: Item) -> None:
    if item.finalized_at is not None:
        raise MeetError(
            _("This item's results are final; the organizer must reopen it before any change.")
        )


def _shown_result(item: Item, outcome: str, value, second) -> str:
    if outcome != Outcome.OK:
        return Outcome(outcome).title
    text = format_value(item, value)
    if second is not None:
        text += " / " + format_value(item, second)
    return text


def entry_labels(item: Item, entry_ids: Iterable[int]) -> dict[int, str]:
    """The labels `load_board` gives these entries of the item (the team's name; in an
    individual item, the entrant's name with the team's), in one statement: a referee's save
    names entries in its audit lines and messages without building the item's board."""
    ids = set(entry_ids)
    if not ids:
        return {}
    person = User.name if item.individual else sa.null()
    query = sa.select(Entry.id, Team.name, person).outerjoin(Team, Team.id == Entry.team_id)
    if item.individual:
        query = (
            query.outerjoin(EntryMember, EntryMember.entry_id == Entry.id)
            .outerjoin(Registration, Registration.id == EntryMember.registration_id)
            .outerjoin(User, User.id == Registration.user_id)
        )
    labels = {}
    for entry_id, team_name, person in db.session.execute(
        query.where(Entry.item_id == item.id, Entry.id.in_(ids)).order_by(Entry.id)
    ):
        team_name = team_name or ""
        labels[entry_id] = f"{person}（{team_name}）" if person is not None else team_name
    return labels


@dataclass(frozen=True)
class HeatSaved:
    """What saving a heat sheet did: how many results were added, changed or removed, and the
    entries (in lane order) still without a result in the heat."""

    changed: int
    missing: list[int]


def save_heat_results(
    item: Item, heat: Heat, actor: User, rows: Iterable[ResultInput], labels: Mapping[int, str]
) -> HeatSaved:
    """Record a heat's raw results; every result is audited as it is entered, and a change to a
    saved result needs a reason.

    A heat may be saved with lanes still empty (results come in as teams finish); the answer
    names them, so the referee is told what is missing.
    """
    _refuse_if_final(item)
    lane_entries = {lane.entry_id for lane in heat.lanes}
    existing = {
        r.entry_id: r
        for r in db.session.scalars(sa.select(Result).where(Result.heat_id == heat.id))
    }
    errors: dict[tuple[int, str], str] = {}
    plans = []
    for row in rows:
        if row.entry_id not in lane_entries:
            raise MeetError(_("The sheet does not match this heat; reload the page."))
        old = existing.get(row.entry_id)
        empty = row.outcome == Outcome.OK and row.value is None and row.second_value is None
        if empty and old is None:
            continue
        if row.outcome == Outcome.OK and row.value is None and not empty:
            errors[(row.entry_id, "value")] = _("Enter the first attempt's result.")
            continue
        if row.second_value is not None and not item.second_attempt:
            errors[(row.entry_id, "second_value")] = _("This item has no second attempt.")
            continue
        if row.outcome == Outcome.DQ and not row.reason:
            errors[(row.entry_id, "reason")] = _("Give the reason for the disqualification.")
            continue
        new = (
            (None, None, Outcome.OK.value)
            if empty
            else (
                row.value if row.outcome == Outcome.OK else None,
                row.second_value if row.outcome == Outcome.OK else None,
                row.outcome,
            )
        )
        if old is not None:
            before = (old.value, old.second_value, old.outcome)
            if _same(before, new) and (row.outcome != Outcome.DQ or row.reason == old.reason):
                continue
            if not row.reason:
                errors[(row.entry_id, "reason")] = _(
                    "This changes a saved result: give the reason for the correction."
                )
                continue
        plans.append((row, old, new, empty))
    if errors:
        raise SheetError(errors)
    now = utcnow()
    for row, old, (value, second, outcome), empty in plans:
        label = labels.get(row.entry_id, str(row.entry_id))
        where = _("%(item)s, heat %(n)s, %(who)s", item=item.name, n=heat.number, who=label)
        if old is None:
            db.session.add(
                Result(
                    heat_id=heat.id,
                    entry_id=row.entry_id,
                    value=value,
                    second_value=second,
                    outcome=outcome,
                    reason=row.reason if outcome != Outcome.OK else "",
                    entered_by_id=actor.id,
                    entered_at=now,
                )
            )
            # Every result is in the event's audit log from its first entry, not only changes.
            shown = _shown_result(item, outcome, value, second)
            if outcome == Outcome.DQ:
                action, detail = (
                    "meet.result_dq",
                    _("%(where)s: %(why)s", where=where, why=row.reason),
                )
            elif outcome == Outcome.DNF and row.reason:
                action = "meet.result"
                detail = _(
                    "%(where)s: %(result)s; reason: %(why)s",
                    where=where,
                    result=shown,
                    why=row.reason,
                )
            else:
                action = "meet.result"
                detail = _("%(where)s: %(result)s", where=where, result=shown)
            audit.record(action, actor=actor, event=item.event, detail=detail)
            continue
        was = _shown_result(item, old.outcome, old.value, old.second_value)
        if empty:
            action, now_shown = "meet.result_remove", _("no result")
            db.session.delete(old)
        else:
            if outcome == Outcome.DQ and old.outcome != Outcome.DQ:
                action = "meet.result_dq"
            elif old.outcome == Outcome.DQ and outcome != Outcome.DQ:
                action = "meet.result_undo_dq"
            else:
                action = "meet.result_correct"
            now_shown = _shown_result(item, outcome, value, second)
            old.value, old.second_value, old.outcome = value, second, outcome
            old.reason = row.reason if outcome != Outcome.OK else ""
            old.entered_by_id, old.entered_at = actor.id, now
        audit.record(
            action,
            actor=actor,
            event=item.event,
            detail=_(
                "%(where)s: %(old)s → %(new)s; reason: %(why)s",
                where=where,
                old=was,
                new=now_shown,
                why=row.reason,
            ),
        )
    db.session.flush()
    # Read again, not worked out from what this save read: another referee's result for the
    # same heat may have come in meanwhile, and the message must agree with the page.
    recorded = db.session.scalars(sa.select(Result.entry_id).where(Result.heat_id == heat.id))
    lanes = [lane.entry_id for lane in heat.lanes]
    return HeatSaved(changed=len(plans), missing=rules.missing_results(lanes, recorded))


def _same(before: tuple, after: tuple) -> bool:
    def norm(v):
        return None if v is None else Decimal(v).normalize()

    return (norm(before[0]), norm(before[1]), before[2]) == (
        norm(after[0]),
        norm(after[1]),
        after[2],
    )


def _rule_matches(matches: Iterable[Match]) -> list[rules.Match]:
    return [
        rules.Match(
            round=m.round,
            slot=m.slot,
            home=m.home_entry_id,
            away=m.away_entry_id,
            winner=0 if m.drawn else m.winner_entry_id,
        )
        for m in matches
    ]


def save_match_result(
    item: Item, match: Match, actor: User, winner: str, reason: str, labels: Mapping[int, str]
) -> None:
    """Record who won a match ('home', 'away', 'draw' in a round robin, '' to clear it).

    Every result is audited; a change to a decided match needs a reason; in a knockout the bracket then
    advances, and a later match that has already been decided must be corrected first.
    """
    _refuse_if_final(item)
    if match.home_entry_id is None or match.away_entry_id is None:
        raise MeetError(_("This match does not have both teams yet."), "winner")
    knockout = item.match_format == MatchFormat.KNOCKOUT
    if winner == "draw" and knockout:
        raise MeetError(_("A knockout match needs a winner."), "winner")
    new_winner = {"home": match.home_entry_id, "away": match.away_entry_id}.get(winner)
    new_drawn = winner == "draw"
    if (new_winner, new_drawn) == (match.winner_entry_id, match.drawn):
        return
    decided_before = match.decided
    if decided_before and not reason:
        raise MeetError(
            _("This changes a saved result: give the reason for the correction."), "reason"
        )
    all_matches = list(
        db.session.scalars(sa.select(Match).where(Match.item_id == item.id).order_by(Match.id))
    )
    if knockout and decided_before:
        sides = {match.home_entry_id, match.away_entry_id}
        for later in all_matches:
            if (
                later.round > match.round
                and later.decided
                and sides & {later.home_entry_id, later.away_entry_id}
            ):
                raise MeetError(
                    _(
                        "A later match with this winner has already been decided; correct that "
                        "match first."
                    ),
                    "winner",
                )
    was = _match_shown(match, labels)
    match.winner_entry_id, match.drawn = new_winner, new_drawn
    match.entered_by_id, match.entered_at = actor.id, utcnow()
    if knockout:
        _advance(all_matches)
    db.session.flush()
    if not decided_before:
        audit.record(
            "meet.match_result",
            actor=actor,
            event=item.event,
            detail=_(
                "%(item)s, round %(round)s: %(home)s – %(away)s: %(result)s",
                item=item.name,
                round=match.round,
                home=labels.get(match.home_entry_id, "?"),
                away=labels.get(match.away_entry_id, "?"),
                result=_match_shown(match, labels),
            ),
        )
    else:
        audit.record(
            "meet.match_correct",
            actor=actor,
            event=item.event,
            detail=_(
                "%(item)s, round %(round)s: %(old)s → %(new)s; reason: %(why)s",
                item=item.name,
                round=match.round,
                old=was,
                new=_match_shown(match, labels),
                why=reason,
            ),
        )


def _advance(matches: list[Match]) -> None:
    """Write the knockout rules' advanced bracket back onto the stored matches."""
    advanced = {(m.round, m.slot): m for m in rules.advance_knockout(_rule_matches(matches))}
    for match in matches:
        planned = advanced[(match.round, match.slot)]
        match.home_entry_id, match.away_entry_id = planned.home, planned.away
        match.winner_entry_id = planned.winner


def _match_shown(match: Match, labels: Mapping[int, str]) -> str:
    if match.drawn:
        return _("draw")
    if match.winner_entry_id is None:
        return _("no result")
    return _("%(who)s won", who=labels.get(match.winner_entry_id, "?"))


# =============================================================================================
# The board: placings, points, standings, medals — derived from raw results on every read
# =============================================================================================


def format_value(item: Item, value: Decimal | None) -> str:
    """A raw value as shown: mm:ss.ss for times, a plain number otherwise."""
    if value is None:
        return ""
    if item.result_type == ResultKind.TIME:
        return rules.format_time(Decimal(value))
    if item.result_type == ResultKind.DISTANCE:
        return _("%(n)s m", n=plain_number(Decimal(value)))
    return plain_number(Decimal(value))


class ItemStatus:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PROVISIONAL = "provisional"
    FINAL = "final"


_STATUS_TITLES = {
    ItemStatus.NOT_STARTED: _l("Not started"),
    ItemStatus.IN_PROGRESS: _l("In progress"),
    ItemStatus.PROVISIONAL: _l("Provisional"),
    ItemStatus.FINAL: _l("Results final"),
}


def status_title(status: str) -> str:
    # Only the one title asked for is translated: the board asks once per item per refresh.
    return str(_STATUS_TITLES[status])


@dataclass
class Placed:
    """One entrant's line in an item's results."""

    entry_id: int
    team_id: int
    label: str
    place: int | None
    #: Exact (a share of 10 among three is 10/3); rounded only where it is shown.
    points: Fraction
    best: Decimal | None
    outcome: str
    item: Item

    @cached_property
    def shown(self) -> str:
        """The result as shown (mm:ss.ss, a count, metres, or why there is none); formatted only
        when a page shows it: the standings page shows few of a meet's hundreds of lines."""
        if self.item.is_head_to_head:
            return ""
        if self.outcome != Outcome.OK:
            return Outcome(self.outcome).title
        return format_value(self.item, self.best)


@dataclass
class ItemBoard:
    """One item's heats, results, matches, placings and status."""

    item: Item
    heats: list[Heat] = field(default_factory=list)
    lanes: dict[int, list[int]] = field(default_factory=dict)
    results: dict[tuple[int, int], Result] = field(default_factory=dict)
    matches: list[Match] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    places: dict[int, int | None] = field(default_factory=dict)
    points: dict[int, Fraction] = field(default_factory=dict)
    lines: list[Placed] = field(default_factory=list)
    status: str = ItemStatus.NOT_STARTED
    round_robin: list = field(default_factory=list)

    def missing_results(self, heat_id: int) -> list[int]:
        """The heat's entries still without a result, once it has one (see rules)."""
        recorded = [entry_id for (heat, entry_id) in self.results if heat == heat_id]
        return rules.missing_results(self.lanes.get(heat_id, []), recorded)

    @property
    def final_heat(self) -> Heat | None:
        return next((h for h in self.heats if h.is_final and len(self.heats) > 1), None)

    @property
    def is_final(self) -> bool:
        return self.status == ItemStatus.FINAL

    @property
    def winners(self) -> list[str]:
        """Who is placed first (several when tied)."""
        return [line.label for line in self.lines if line.place == 1]

    @property
    def status_title(self) -> str:
        return status_title(self.status)


@dataclass
class Honour:
    """A person placed in the top three of an individual item."""

    place: int
    name: str
    team: str
    shown: str


@dataclass
class Board:
    """The whole meet at this moment."""

    event: Event
    teams: list[Team]
    items: list[ItemBoard]
    labels: dict[int, str]
    team_of_entry: dict[int, int]
    table: list[Fraction]
    standings: list
    medals: list
    latest: list[dict]
    #: The person's name for each entry of an individual item.
    people: dict[int, str] = field(default_factory=dict)

    def team_name(self, team_id: int) -> str:
        return next((t.name for t in self.teams if t.id == team_id), "")

    @property
    def place_columns(self) -> int:
        """How many places the standings' tie-break chain counts (the points table's length)."""
        return len(self.standings[0].places) if self.standings else 0

    @property
    def provisional_items(self) -> int:
        """Items with placings that are not final yet, so not in the medal table."""
        return sum(1 for placed in self.items if placed.lines and not placed.is_final)

    @property
    def has_individual_items(self) -> bool:
        return any(placed.item.individual for placed in self.items)

    @property
    def honours(self) -> list[tuple[ItemBoard, list[Honour]]]:
        """The people placed 1st to 3rd (ties included) in each individual item, in item order."""
        honours = []
        for placed in self.items:
            if not placed.item.individual:
                continue
            top = [
                Honour(
                    place=line.place,
                    name=self.people.get(line.entry_id, ""),
                    team=self.team_name(line.team_id),
                    shown=line.shown,
                )
                for line in placed.lines
                if line.place is not None and line.place <= 3
            ]
            if top:
                honours.append((placed, top))
        return honours


def load_board(event: Event, *, item_id: int | None = None, latest: int = 8) -> Board:
    """Everything the standings, item and export pages show, in a fixed number of queries."""
    settings = settings_of(event)
    teams = list(
        db.session.scalars(
            sa.select(Team).where(Team.event_id == event.id).order_by(Team.position, Team.id)
        )
    )
    item_filter = Item.event_id == event.id
    if item_id is not None:
        item_filter = sa.and_(item_filter, Item.id == item_id)
    items = list(
        db.session.scalars(
            sa.select(Item)
            .where(item_filter)
            .options(selectinload(Item.referees).joinedload(ItemReferee.user))
            .order_by(Item.position, Item.id)
        )
    )
    entries = db.session.execute(
        sa.select(Entry.id, Entry.item_id, Entry.team_id)
        .join(Item, Item.id == Entry.item_id)
        .where(item_filter)
        .order_by(Entry.id)
    ).all()
    people = db.session.execute(
        sa.select(EntryMember.entry_id, User.name)
        .join(Entry, Entry.id == EntryMember.entry_id)
        .join(Item, Item.id == Entry.item_id)
        .join(Registration, Registration.id == EntryMember.registration_id)
        .join(User, User.id == Registration.user_id)
        .where(item_filter, Item.individual.is_(True))
    ).all()
    heats = list(
        db.session.scalars(
            sa.select(Heat)
            .join(Item, Item.id == Heat.item_id)
            .where(item_filter)
            .order_by(Heat.number)
        )
    )
    lanes = db.session.execute(
        sa.select(Lane.heat_id, Lane.entry_id)
        .join(Heat, Heat.id == Lane.heat_id)
        .join(Item, Item.id == Heat.item_id)
        .where(item_filter)
        .order_by(Lane.heat_id, Lane.lane)
    ).all()
    results = list(
        db.session.scalars(
            sa.select(Result)
            .join(Heat, Heat.id == Result.heat_id)
            .join(Item, Item.id == Heat.item_id)
            .where(item_filter)
        )
    )
    matches = list(
        db.session.scalars(
            sa.select(Match)
            .join(Item, Item.id == Match.item_id)
            .where(item_filter)
            .order_by(Match.round, Match.slot)
        )
    )

    team_names = {t.id: t.name for t in teams}
    person_of = {entry_id: name for entry_id, name in people}
    labels, team_of_entry = {}, {}
    boards = {item.id: ItemBoard(item=item) for item in items}
    for entry_id, entry_item, team_id in entries:
        team_of_entry[entry_id] = team_id
        name = team_names.get(team_id, "")
        labels[entry_id] = f"{person_of[entry_id]}（{name}）" if entry_id in person_of else name
        boards[entry_item].entries.append(entry_id)
    heat_item = {}
    for heat in heats:
        boards[heat.item_id].heats.append(heat)
        boards[heat.item_id].lanes[heat.id] = []
        heat_item[heat.id] = heat.item_id
    for heat_id, entry_id in lanes:
        boards[heat_item[heat_id]].lanes[heat_id].append(entry_id)
    for result in results:
        boards[heat_item[result.heat_id]].results[(result.heat_id, result.entry_id)] = result
    for match in matches:
        boards[match.item_id].matches.append(match)

    table = points_table_for(settings, len(teams))
    scores, final_scores = [], []
    for board in boards.values():
        _place_item(board, table, team_of_entry, labels)
        item_scores = [
            rules.ItemScore(
                team=team_of_entry[line.entry_id],
                item=board.item.id,
                place=line.place,
                points=line.points,
            )
            for line in board.lines
            if line.place is not None
        ]
        scores.extend(item_scores)
        # Medals are awarded for results the organizer declared final; the points standings
        # move live with provisional results.
        if board.is_final:
            final_scores.extend(item_scores)
    team_ids = [t.id for t in teams]
    return Board(
        event=event,
        teams=teams,
        items=list(boards.values()),
        labels=labels,
        team_of_entry=team_of_entry,
        table=table,
        # The tie-break chain runs down the places that earn points: counting 40th places of a
        # crowded individual item would decide nothing a spectator could follow.
        standings=rules.standings(scores, team_ids, depth=len(table)),
        medals=rules.medal_table(final_scores, team_ids),
        latest=_latest(boards, results, matches, labels, latest),
        people=person_of,
    )


def board_version(event: Event) -> tuple:
    """What changes whenever the board changes, in one small query: the number and latest entry
    time of results and of decided matches (a correction re-stamps its entry time), and the
    newest audit entry of the event (every organizer, captain and referee change is audited:
    items, settings, entries, draws, finals, teams, results and their corrections)."""
    in_meet = Item.event_id == event.id

    def over_results(column):
        return (
            sa.select(column)
            .join(Heat, Heat.id == Result.heat_id)
            .join(Item, Item.id == Heat.item_id)
            .where(in_meet)
            .scalar_subquery()
        )

    def over_matches(column):
        return (
            sa.select(column)
            .join(Item, Item.id == Match.item_id)
            .where(in_meet, Match.entered_at.is_not(None))
            .scalar_subquery()
        )

    row = db.session.execute(
        sa.select(
            over_results(sa.func.count(Result.id)),
            over_results(sa.func.max(Result.entered_at)),
            over_matches(sa.func.count(Match.id)),
            over_matches(sa.func.max(Match.entered_at)),
            sa.select(sa.func.max(AuditEntry.id))
            .where(AuditEntry.event_id == event.id)
            .scalar_subquery(),
        )
    ).one()
    return tuple(row)


def _place_item(board: ItemBoard, table, team_of_entry, labels) -> None:
    item = board.item
    if item.is_head_to_head:
        places = _match_places(board)
    else:
        final = board.final_heat
        chosen = (
            [r for (heat_id, _e), r in board.results.items() if heat_id == final.id]
            if final is not None and any(k[0] == final.id for k in board.results)
            else list(board.results.values())
        )
        result_type = rules.ResultType(item.result_type)
        performances = {
            r.entry_id: rules.Performance(
                entrant=r.entry_id,
                value=_dec(r.value),
                outcome=rules.Outcome(r.outcome),
                second_value=_dec(r.second_value),
            )
            for r in chosen
        }
        places = rules.placings(result_type, list(performances.values())) if chosen else {}
    board.places = places
    board.points = rules.points_for_places(places, table, Decimal(item.multiplier))
    lines = []
    for entry_id, place in places.items():
        if item.is_head_to_head:
            outcome, value = Outcome.OK.value, None
        else:
            performance = performances[entry_id]
            outcome = performance.outcome.value
            value = rules.best_value(result_type, performance) if outcome == Outcome.OK else None
        lines.append(
            Placed(
                entry_id=entry_id,
                team_id=team_of_entry[entry_id],
                label=labels.get(entry_id, ""),
                place=place,
                points=board.points.get(entry_id, Fraction(0)),
                best=value,
                outcome=outcome,
                item=item,
            )
        )
    lines.sort(key=lambda line: (line.place is None, line.place or 0, line.label))
    board.lines = lines
    board.status = _status(board)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def _match_places(board: ItemBoard) -> dict[int, int | None]:
    rule_matches = _rule_matches(board.matches)
    if not rule_matches:
        return {}
    if board.item.match_format == MatchFormat.KNOCKOUT:
        places = rules.knockout_placings(rule_matches)
        return {entry: place for entry, place in places.items() if entry is not None}
    table = rules.round_robin_table(board.entries, rule_matches)
    board.round_robin = table
    if not all(m.decided for m in board.matches):
        return {}
    return {row.team: row.place for row in table}


def _status(board: ItemBoard) -> str:
    if board.item.finalized_at is not None:
        return ItemStatus.FINAL
    if board.item.is_head_to_head:
        playable = [m for m in board.matches if m.home_entry_id and m.away_entry_id]
        played = [m for m in playable if m.entered_at is not None]
        if not played:
            return ItemStatus.NOT_STARTED
        complete = all(m.decided for m in board.matches)
        return ItemStatus.PROVISIONAL if complete else ItemStatus.IN_PROGRESS
    if not board.results:
        return ItemStatus.NOT_STARTED
    expected = {(h, e) for h, entries in board.lanes.items() for e in entries}
    return (
        ItemStatus.PROVISIONAL
        if expected and expected <= set(board.results)
        else ItemStatus.IN_PROGRESS
    )


def _latest(boards, results, matches, labels, limit: int) -> list[dict]:
    """The most recently entered results across the meet, newest first."""
    # Newest first, then only the lines shown are formatted (a meet has hundreds of results).
    heat_items = {h.id: b.item for b in boards.values() for h in b.heats}
    items = {b.item.id: b.item for b in boards.values()}
    newest = sorted(
        [(r.entered_at, r.id, r) for r in results]
        + [(m.entered_at, -m.id, m) for m in matches if m.entered_at is not None and m.decided],
        key=lambda line: (line[0], line[1]),
        reverse=True,
    )[:limit]
    lines = []
    for at, _id, row in newest:
        if isinstance(row, Match):
            home, away = labels.get(row.home_entry_id, ""), labels.get(row.away_entry_id, "")
            who = f"{home} – {away}"
            item = items[row.item_id]
            shown = (
                _("draw")
                if row.drawn
                else _("%(who)s won", who=labels.get(row.winner_entry_id, ""))
            )
        else:
            item = heat_items[row.heat_id]
            who = labels.get(row.entry_id, "")
            shown = _shown_result(item, row.outcome, row.value, row.second_value)
        lines.append({"at": at, "item": item.name, "who": who, "result": shown})
    return lines


# =============================================================================================
# Duties: the items a referee enters and the teams a captain runs
# =============================================================================================


def refereed_items(user: User) -> list[Item]:
    return list(
        db.session.scalars(
            sa.select(Item)
            .join(ItemReferee, ItemReferee.item_id == Item.id)
            .where(ItemReferee.user_id == user.id)
            .options(joinedload(Item.event))
            .order_by(Item.starts_at, Item.id)
        )
    )


def captained_teams(user: User) -> list[Team]:
    return list(
        db.session.scalars(
            sa.select(Team)
            .join(Captain, Captain.team_id == Team.id)
            .where(Captain.user_id == user.id)
            .options(joinedload(Team.event))
            .order_by(Team.event_id, Team.position)
        )
    )


def problem_messages(sheet: TeamSheet) -> dict[int | None, list[str]]:
    """Each broken rule as a sentence, by item (None: about a person across items)."""
    names = {r.id: r.user.name for r in sheet.members}
    messages: dict[int | None, list[str]] = defaultdict(list)
    for problem in sheet.problems:
        count, limit = problem.count, problem.limit
        if problem.code == entry_rules.EntryProblem.TOO_MANY:
            text = _(
                "%(count)s members chosen; at most %(limit)s may enter.", count=count, limit=limit
            )
        elif problem.code == entry_rules.EntryProblem.TOO_FEW:
            text = _(
                "%(count)s members chosen; at least %(limit)s are needed.", count=count, limit=limit
            )
        elif problem.code == entry_rules.EntryProblem.TOO_FEW_WOMEN:
            text = _(
                "%(count)s women chosen; at least %(limit)s are needed.", count=count, limit=limit
            )
        elif problem.code == entry_rules.EntryProblem.NOT_IN_TEAM:
            text = _("Someone chosen is not a confirmed member of this team.")
        else:
            text = _(
                "%(name)s is entered in %(count)s items; the limit is %(limit)s per person.",
                name=names.get(problem.registration_id, "?"),
                count=count,
                limit=limit,
            )
            messages[None].append(text)
            for item_id, chosen in sheet.selection.items():
                if problem.registration_id in chosen:
                    messages[item_id].append(text)
            continue
        messages[problem.item_id].append(text)
    return dict(messages)


@dataclass
class Duties:
    """What the member does in one meet: the items they referee and the teams they captain."""

    items: list[Item]
    teams: list[Team]


def duties_in(event: Event, user) -> Duties:
    """The member's referee items and captain teams in this meet (two small queries)."""
    if not getattr(user, "is_authenticated", False):
        return Duties([], [])
    items = list(
        db.session.scalars(
            sa.select(Item)
            .join(ItemReferee, ItemReferee.item_id == Item.id)
            .where(Item.event_id == event.id, ItemReferee.user_id == user.id)
            .order_by(Item.position, Item.id)
        )
    )
    teams = list(
        db.session.scalars(
            sa.select(Team)
            .join(Captain, Captain.team_id == Team.id)
            .where(Team.event_id == event.id, Captain.user_id == user.id)
            .order_by(Team.position, Team.id)
        )
    )
    return Duties(items, teams)
