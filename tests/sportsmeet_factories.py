"""Builders for sports meet tests: a meet with teams, members, items, entries, heats and referees."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from eventsite.accounts.models import User
from eventsite.events.models import Event, EventKind, Registration
from eventsite.extensions import db
from eventsite.sportsmeet.models import (
    Captain,
    Entry,
    EntryMember,
    Heat,
    Item,
    ItemReferee,
    Lane,
    Result,
)
from tests.factories import make_event, make_registration, make_user


@dataclass
class Meet:
    event: Event
    organizer: User
    members: dict[int, list[Registration]] = field(default_factory=dict)

    @property
    def teams(self):
        return self.event.teams


def make_meet(
    *, teams=("站前一队", "站前二队", "站前三队", "站前四队"), per_team=3, women=1, organizer=None
) -> Meet:
    """A published sports meet a week away; each team has `per_team` confirmed members, the
    first `women` of them women."""
    organizer = organizer or make_user(roles=["organizer"], name="组织者")
    event = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, teams=list(teams))
    meet = Meet(event=event, organizer=organizer)
    for team in event.teams:
        meet.members[team.id] = [
            make_registration(
                event,
                make_user(name=f"{team.name}{i + 1}号", gender="female" if i < women else "male"),
                team_id=team.id,
            )
            for i in range(per_team)
        ]
    db.session.flush()
    return meet


def make_item(meet: Meet, name="毛毛虫竞速", result_type="time", **fields) -> Item:
    fields.setdefault("min_members", 1)
    fields.setdefault("max_members", 3)
    fields.setdefault("multiplier", Decimal(1))
    item = Item(event_id=meet.event.id, name=name, result_type=result_type, **fields)
    db.session.add(item)
    db.session.flush()
    return item


def assign_referee(item: Item, user: User) -> None:
    db.session.add(ItemReferee(item_id=item.id, user_id=user.id))
    db.session.flush()


def make_captain(meet: Meet, team, registration: Registration | None = None) -> User:
    registration = registration or meet.members[team.id][0]
    db.session.add(Captain(team_id=team.id, user_id=registration.user_id))
    db.session.flush()
    return registration.user


def enter_all(meet: Meet, item: Item, members_per_entry: int = 1) -> list[Entry]:
    """One entry per team with its first members, in team order."""
    entries = []
    for team in meet.teams:
        entry = Entry(
            item_id=item.id,
            team_id=team.id,
            members=[
                EntryMember(registration_id=r.id) for r in meet.members[team.id][:members_per_entry]
            ],
        )
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    return entries


def one_heat(item: Item, entries: list[Entry]) -> Heat:
    heat = Heat(item_id=item.id, number=1, is_final=True)
    heat.lanes = [Lane(entry_id=e.id, lane=i + 1) for i, e in enumerate(entries)]
    db.session.add(heat)
    db.session.flush()
    return heat


def record(heat: Heat, entry: Entry, value, outcome="ok", second=None, reason="") -> Result:
    result = Result(
        heat_id=heat.id,
        entry_id=entry.id,
        value=None if value is None else Decimal(str(value)),
        second_value=None if second is None else Decimal(str(second)),
        outcome=outcome,
        reason=reason,
    )
    db.session.add(result)
    db.session.flush()
    return result


def errors_beside(html: str, field_id: str) -> str:
    """The error list rendered right after the field `field_id` ('' when there is none)."""
    import re

    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


def audit_actions(event: Event) -> list[tuple[str, str]]:
    """(action, detail) of the event's audit entries, oldest first."""
    import sqlalchemy as sa

    from eventsite.core.models import AuditEntry

    db.session.rollback()
    return [
        (entry.action, entry.detail)
        for entry in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id)
        )
    ]
