"""What the printed material says: the sign-in sheet's lines, the badges, the certificates,
each gathered in a fixed number of queries whatever the number of registrations, and the
audit line every download leaves.

Functions flush at most; the view that called them commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from eventsite.accounts.models import User
from eventsite.competitions import rules as competition_rules
from eventsite.competitions import service as competitions
from eventsite.competitions.models import AwardScope, Round
from eventsite.core import audit
from eventsite.core.errors import Refused
from eventsite.core.time import format_local
from eventsite.events.models import Event, Registration, RegistrationStatus, Team
from eventsite.extensions import db
from eventsite.printing import rules
from eventsite.sportsmeet import service as meets


class PrintRefused(Refused):
    """A document that cannot be printed yet (certificates before the results are final)."""


@dataclass(frozen=True)
class TitleBlock:
    """The heading every document of an event carries."""

    title: str
    when: str
    venue: str
    organization: str


@dataclass(frozen=True)
class SheetRow:
    number: int
    name: str
    union: str
    mobile: str
    team: str


@dataclass(frozen=True)
class SignInSheet:
    heading: TitleBlock
    rows: list[SheetRow]
    #: The event has teams: the sheet shows a team column, lines grouped by team.
    has_teams: bool


@dataclass(frozen=True)
class Badge:
    name: str
    #: The member's union (or work unit), and their team where the event has teams.
    organization: str
    team: str
    event_title: str
    #: The member's personal check-in link, which the badge's QR code carries.
    link: str


@dataclass(frozen=True)
class Certificate:
    recipient: str
    #: Under the recipient's name: their team (a person's certificate) or nothing.
    subtitle: str
    #: The formal sentence: "在……中荣获一等奖，特发此证，以资鼓励。"
    text: str
    issuer: str
    date: str


def heading_of(event: Event) -> TitleBlock:
    """The event's title, its time (start to end, local), venue and organization."""
    starts, ends = event.starts_at, event.ends_at
    same_day = format_local(starts, "%Y-%m-%d") == format_local(ends, "%Y-%m-%d")
    until = format_local(ends, "%H:%M" if same_day else "%Y-%m-%d %H:%M")
    return TitleBlock(
        title=event.title,
        when=f"{format_local(starts)} – {until}",
        venue=event.venue,
        organization=event.organization.name,
    )


def _union_of(user: User) -> str:
    return user.organization.name if user.organization is not None else user.work_unit


def confirmed(event: Event) -> list[Registration]:
    """The event's confirmed places (not those still offered), with member, union and team, in
    one query."""
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.offer_expires_at.is_(None),
            )
            .options(
                joinedload(Registration.user).joinedload(User.organization),
                joinedload(Registration.team),
            )
        ).unique()
    )


def _teams_of(event: Event) -> dict[int, Team]:
    return {
        team.id: team
        for team in db.session.scalars(sa.select(Team).where(Team.event_id == event.id))
    }


def _in_sheet_order(event: Event) -> tuple[list[Registration], bool]:
    registrations = {r.id: r for r in confirmed(event)}
    teams = _teams_of(event)
    lines = [
        rules.SheetLine(
            registration_id=r.id,
            name=r.user.name,
            team_position=teams[r.team_id].position if r.team_id in teams else None,
        )
        for r in registrations.values()
    ]
    ordered = [registrations[line.registration_id] for line in rules.sign_in_order(lines)]
    return ordered, bool(teams)


def sign_in_sheet(event: Event) -> SignInSheet:
    """The door's sign-in sheet: every confirmed member, grouped by team, in pinyin order."""
    ordered, has_teams = _in_sheet_order(event)
    rows = [
        SheetRow(
            number=number,
            name=r.user.name,
            union=_union_of(r.user),
            mobile=rules.masked_mobile(r.user.mobile),
            team=r.team.name if r.team is not None else "",
        )
        for number, r in enumerate(ordered, start=1)
    ]
    return SignInSheet(heading=heading_of(event), rows=rows, has_teams=has_teams)


def badges(event: Event, link_for: Callable[[Registration], str]) -> list[Badge]:
    """A badge for every confirmed member, in the sign-in sheet's order, with the link their
    own check-in code carries (`link_for` builds it)."""
    ordered, _has_teams = _in_sheet_order(event)
    return [
        Badge(
            name=r.user.name,
            organization=_union_of(r.user),
            team=r.team.name if r.team is not None else "",
            event_title=event.title,
            link=link_for(r),
        )
        for r in ordered
    ]


def _issued(event: Event, when: datetime) -> tuple[str, str]:
    year, month, day = (int(part) for part in format_local(when, "%Y-%m-%d").split("-"))
    return event.organization.name, _("%(year)s-%(month)s-%(day)s", year=year, month=month, day=day)


#: A certified place as a certificate's sentence names it (第一名 in Chinese).
PLACE_TITLES = {
    rules.Place.FIRST: _l("first place"),
    rules.Place.SECOND: _l("second place"),
    rules.Place.THIRD: _l("third place"),
}


def place_title(place: rules.Place) -> str:
    """The place in the reader's language: first place, 第一名."""
    return str(PLACE_TITLES[place])


def _sentence(wording: rules.Wording, *, contest: str, honour: str, item: str = "") -> str:
    if wording == rules.Wording.PERSON_AWARD:
        return _(
            "For winning the %(award)s in %(contest)s, this certificate is hereby awarded.",
            contest=contest,
            award=honour,
        )
    if wording == rules.Wording.TEAM_STANDING:
        return _(
            "For taking %(place)s in the team standings of %(contest)s, this certificate is "
            "hereby awarded.",
            contest=contest,
            place=honour,
        )
    return _(
        "For taking %(place)s in the item %(item)s of %(contest)s, this certificate is hereby "
        "awarded.",
        contest=contest,
        place=honour,
        item=item,
    )


def competition_certificates(event: Event, round_: Round, now: datetime) -> list[Certificate]:
    """A certificate for every contestant awarded a tier in the round, once its results are
    final (published and the objection period over); refused before."""
    state = competitions.results_state(round_, now)
    if state == competition_rules.ResultsState.UNPUBLISHED:
        raise PrintRefused(
            _(
                "The results of 「%(round)s」 are not published yet: certificates are printed "
                "from final results.",
                round=round_.name,
            )
        )
    if state == competition_rules.ResultsState.PROVISIONAL:
        raise PrintRefused(
            _(
                "The results of 「%(round)s」 are still in the objection period (公示) until "
                "%(end)s: certificates are printed once they are final.",
                round=round_.name,
                end=format_local(round_.objection_ends_at),
            )
        )
    board = competitions.load_board(round_)
    awards = competitions.awards_of(board)
    if not awards.rows:
        raise PrintRefused(
            _(
                "No award tiers are set for 「%(round)s」: there is nobody to certify.",
                round=round_.name,
            )
        )
    tracks = {t.id: t.name for t in board.tracks}
    by_track = round_.award_scope == AwardScope.TRACK and len(tracks) > 1
    issuer, date = _issued(event, now)
    certificates = []
    for row in awards.rows:
        registration = board.registrations[row.registration_id]
        team = board.teams.get(registration.team_id)
        contest = event.title
        if by_track and row.track_id in tracks:
            contest = _("%(event)s (%(track)s)", event=event.title, track=tracks[row.track_id])
        wording = rules.certificate_wording(team=False, item=False, award_tier=True)
        certificates.append(
            Certificate(
                recipient=registration.name,
                subtitle=team.name if team else "",
                text=_sentence(wording, contest=contest, honour=row.tier_name),
                issuer=issuer,
                date=date,
            )
        )
    return certificates


def meet_certificates(event: Event, now: datetime) -> list[Certificate]:
    """Certificates for the first three places of every item whose results are final (a person
    in an individual item, the team otherwise), and for the first three teams in the standings
    once every item is final; refused while no item is final."""
    board = meets.load_board(event)
    final = [placed for placed in board.items if placed.is_final]
    if not final:
        raise PrintRefused(
            _(
                "No item's results are declared final yet: certificates are printed from final "
                "results."
            )
        )
    issuer, date = _issued(event, now)
    certificates = []
    every_item_final = len(final) == len(board.items)
    if every_item_final:
        places = [row.rank for row in board.standings]
        for i in rules.certified_places(places):
            row = board.standings[i]
            wording = rules.certificate_wording(team=True, item=False, award_tier=False)
            certificates.append(
                Certificate(
                    recipient=board.team_name(row.team),
                    subtitle="",
                    text=_sentence(
                        wording,
                        contest=event.title,
                        honour=place_title(rules.certified_place(row.rank)),
                    ),
                    issuer=issuer,
                    date=date,
                )
            )
    for placed in final:
        individual = placed.item.individual
        wording = rules.certificate_wording(team=not individual, item=True, award_tier=False)
        for i in rules.certified_places([line.place for line in placed.lines]):
            line = placed.lines[i]
            team = board.team_name(line.team_id)
            person = board.people.get(line.entry_id, "") if individual else ""
            certificates.append(
                Certificate(
                    recipient=person or team,
                    subtitle=team if person else "",
                    text=_sentence(
                        wording,
                        contest=event.title,
                        honour=place_title(rules.certified_place(line.place)),
                        item=placed.item.name,
                    ),
                    issuer=issuer,
                    date=date,
                )
            )
    return certificates


#: Audit action codes of the downloads (events/roster.py ACTION_TITLES names them).
SIGN_IN_SHEET, BADGES, CERTIFICATES = "print.sign_in_sheet", "print.badges", "print.certificates"


def record_download(action: str, event: Event, *, actor: User, count: int, what: str = "") -> None:
    """Note in the audit log that printed material with members' names left the site."""
    if action == CERTIFICATES:
        detail = _l("PDF, %(n)s certificates", n=count)
        if what:
            detail = _l("PDF, %(n)s certificates · %(what)s", n=count, what=what)
    else:
        detail = _l("PDF, %(n)s members", n=count)
    audit.record(action, actor=actor, event=event, detail=detail)
