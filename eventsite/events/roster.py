"""The organizer's roster: counts, filtered pages, bulk actions, export, import, check-in, audit.

The pure rules (what an import row must look like, whether a registration can be checked in)
come first and touch neither Flask nor the database; the service functions below load what they
need in a fixed number of queries, call the registration engine in `service.py` for every change
of status, flush, and leave the commit to the view.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from eventsite.accounts import service as accounts
from eventsite.accounts.models import UNCLAIMED_PASSWORD_HASH, Gender, User
from eventsite.accounts.rules import normalize_mobile, same_name
from eventsite.core import audit
from eventsite.core.exports import TableError, UploadReport, read_table
from eventsite.core.models import AuditEntry
from eventsite.core.time import format_local, to_local, utcnow
from eventsite.events import registration_questions, rules, service
from eventsite.events.checkin import read_token
from eventsite.events.models import (
    ACTIVE_STATUSES,
    Event,
    EventKind,
    EventSession,
    Registration,
    RegistrationStatus,
    Team,
    Track,
)
from eventsite.events.permissions import can_manage
from eventsite.extensions import db

S = RegistrationStatus

# Rows loaded with their member skip User.role_grants (eager "selectin" by default): a roster
# never shows roles, and a 5,000-row export would otherwise add one query per 500 members.

# =============================================================================================
# Pure rules
# =============================================================================================

#: The most data rows one import may carry (the upload itself is capped at 5 MB).
#: Each row goes through the registration engine (about ten statements), so a file of this
#: size imports in a few seconds, well inside a worker's request timeout.
IMPORT_MAX_ROWS = 1000

#: Stored as the password hash of accounts created by an import: it matches no password, so
#: nobody can sign in to such an account until it is given a real password.
UNUSABLE_PASSWORD = UNCLAIMED_PASSWORD_HASH

#: Import columns and the header names accepted for each (compared case-insensitively).
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "name"),
    "mobile": ("手机号", "手机", "手机号码", "mobile", "mobile number", "phone"),
    "gender": ("性别", "gender", "sex"),
    "birth_year": ("出生年份", "出生年", "birth year", "birth_year", "year of birth"),
    "work_unit": ("工作单位", "单位", "work unit", "work_unit", "employer"),
    "team": ("队伍", "代表队", "团队", "team"),
    "track": ("赛道", "组别", "track"),
}
#: How a column is named in messages: its Chinese and English header.
COLUMN_LABELS = {
    "name": "姓名 / name",
    "mobile": "手机号 / mobile",
    "gender": "性别 / gender",
    "birth_year": "出生年份 / birth year",
    "work_unit": "工作单位 / work unit",
    "team": "队伍 / team",
    "track": "赛道 / track",
}
#: Columns every import file must have; team and track are required per event kind.
REQUIRED_COLUMNS = ("name", "mobile", "gender", "birth_year")

GENDER_WORDS = {
    "男": Gender.MALE,
    "male": Gender.MALE,
    "m": Gender.MALE,
    "女": Gender.FEMALE,
    "female": Gender.FEMALE,
    "f": Gender.FEMALE,
}


class RowProblem(enum.StrEnum):
    """Why one import row cannot be imported; `ROW_MESSAGES` turns these into text."""

    NAME_MISSING = "name_missing"
    NAME_TOO_LONG = "name_too_long"
    MOBILE_INVALID = "mobile_invalid"
    GENDER_INVALID = "gender_invalid"
    BIRTH_YEAR_INVALID = "birth_year_invalid"
    WORK_UNIT_TOO_LONG = "work_unit_too_long"
    TEAM_MISSING = "team_missing"
    TEAM_UNKNOWN = "team_unknown"
    TRACK_MISSING = "track_missing"
    TRACK_UNKNOWN = "track_unknown"
    MOBILE_DUPLICATE = "mobile_duplicate"
    NAME_MISMATCH = "name_mismatch"
    ALREADY_REGISTERED = "already_registered"
    REJECTED_BEFORE = "rejected_before"
    REFUSED = "refused"


ROW_MESSAGES = {
    RowProblem.NAME_MISSING: _l("Name is missing."),
    RowProblem.NAME_TOO_LONG: _l("Name is longer than 50 characters."),
    RowProblem.MOBILE_INVALID: _l(
        "“%(value)s” is not a mainland mobile number (11 digits starting with 1)."
    ),
    RowProblem.GENDER_INVALID: _l("Gender “%(value)s” must be 男 or 女 (male or female)."),
    RowProblem.BIRTH_YEAR_INVALID: _l(
        "Birth year “%(value)s” is not a four-digit year such as 1990."
    ),
    RowProblem.WORK_UNIT_TOO_LONG: _l("Work unit is longer than 100 characters."),
    RowProblem.TEAM_MISSING: _l("A team is required for this event."),
    RowProblem.TEAM_UNKNOWN: _l("Team “%(value)s” is not one of this event's teams."),
    RowProblem.TRACK_MISSING: _l("A track is required for this event."),
    RowProblem.TRACK_UNKNOWN: _l("Track “%(value)s” is not one of this event's tracks."),
    RowProblem.MOBILE_DUPLICATE: _l("The same mobile number is also on row %(value)s."),
    RowProblem.NAME_MISMATCH: _l(
        "This mobile number belongs to an existing account under a different name."
    ),
    RowProblem.ALREADY_REGISTERED: _l(
        "This member is already registered for this event (%(value)s) with another team or "
        "track; change it on the roster."
    ),
    RowProblem.REJECTED_BEFORE: _l(
        "This member's registration for this event was rejected earlier."
    ),
    RowProblem.REFUSED: _l("Refused: %(value)s"),
}


@dataclass(frozen=True)
class ImportRow:
    """One valid line of an import file, resolved against the event's teams and tracks."""

    line: int
    name: str
    mobile: str
    gender: str
    birth_year: int
    work_unit: str = ""
    team_id: int | None = None
    track_id: int | None = None


def map_header(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Column index per known column key, and the required keys the header lacks."""
    wanted = {alias.casefold(): key for key, aliases in IMPORT_COLUMNS.items() for alias in aliases}
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = wanted.get(" ".join(title.split()).casefold())
        if key is not None and key not in columns:
            columns[key] = index
    missing = [key for key in REQUIRED_COLUMNS if key not in columns]
    return columns, missing


def parse_gender(text: str) -> str | None:
    """男/女/male/female (any case) as a Gender value; None when it is neither."""
    found = GENDER_WORDS.get(text.strip().casefold())
    return str(found) if found else None


def parse_birth_year(text: str, this_year: int) -> int | None:
    """A four-digit birth year between 1900 and this year; None otherwise."""
    text = text.strip().removesuffix("年")
    if not re.fullmatch(r"\d{4}", text):
        return None
    year = int(text)
    return year if 1900 <= year <= this_year else None


def _by_name(names: Mapping[str, int]) -> dict[str, int]:
    return {" ".join(name.split()).casefold(): ident for name, ident in names.items()}


def check_import_row(
    cells: Sequence[str],
    columns: Mapping[str, int],
    *,
    line: int,
    this_year: int,
    teams: Mapping[str, int] | None,
    tracks: Mapping[str, int] | None,
) -> tuple[ImportRow | None, list[tuple[RowProblem, str]]]:
    """A row read on its own: the parsed row, or every problem in it.

    `teams`/`tracks` map names to ids when the event requires one, None when it does not (the
    column is then ignored).
    """

    def cell(key: str) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    problems: list[tuple[RowProblem, str]] = []
    name = " ".join(cell("name").split())
    if not name:
        problems.append((RowProblem.NAME_MISSING, ""))
    elif len(name) > 50:
        problems.append((RowProblem.NAME_TOO_LONG, name))
    raw_mobile = cell("mobile")
    mobile = normalize_mobile(raw_mobile)
    if mobile is None:
        problems.append((RowProblem.MOBILE_INVALID, raw_mobile))
    raw_gender = cell("gender")
    gender = parse_gender(raw_gender)
    if gender is None:
        problems.append((RowProblem.GENDER_INVALID, raw_gender))
    raw_year = cell("birth_year")
    birth_year = parse_birth_year(raw_year, this_year)
    if birth_year is None:
        problems.append((RowProblem.BIRTH_YEAR_INVALID, raw_year))
    work_unit = cell("work_unit")
    if len(work_unit) > 100:
        problems.append((RowProblem.WORK_UNIT_TOO_LONG, work_unit))
    team_id = track_id = None
    if teams is not None:
        team = cell("team")
        team_id = _by_name(teams).get(" ".join(team.split()).casefold()) if team else None
        if not team:
            problems.append((RowProblem.TEAM_MISSING, ""))
        elif team_id is None:
            problems.append((RowProblem.TEAM_UNKNOWN, team))
    if tracks is not None:
        track = cell("track")
        track_id = _by_name(tracks).get(" ".join(track.split()).casefold()) if track else None
        if not track:
            problems.append((RowProblem.TRACK_MISSING, ""))
        elif track_id is None:
            problems.append((RowProblem.TRACK_UNKNOWN, track))
    if problems:
        return None, problems
    return (
        ImportRow(
            line=line,
            name=name,
            mobile=mobile,
            gender=gender,
            birth_year=birth_year,
            work_unit=work_unit,
            team_id=team_id,
            track_id=track_id,
        ),
        [],
    )


def duplicate_lines(rows: Sequence[ImportRow]) -> dict[int, int]:
    """Line → the first earlier line with the same mobile, for every repeat after the first."""
    first: dict[str, int] = {}
    repeats: dict[int, int] = {}
    for row in rows:
        if row.mobile in first:
            repeats[row.line] = first[row.mobile]
        else:
            first[row.mobile] = row.line
    return repeats


class CheckInRefusal(enum.StrEnum):
    """Why a registration cannot be checked in now."""

    EVENT_CANCELLED = "event_cancelled"
    NOT_CONFIRMED = "not_confirmed"
    ALREADY = "already"
    TOO_EARLY = "too_early"


def check_in_refusal(
    *,
    event_cancelled: bool,
    status: str,
    checked_in_at: datetime | None,
    now: datetime,
    opens_at: datetime,
) -> CheckInRefusal | None:
    """Only a confirmed registration of a going-ahead event, not yet checked in, checks in, and
    not before the check-in opens (a check-in is an arrival at the venue)."""
    if event_cancelled:
        return CheckInRefusal.EVENT_CANCELLED
    if checked_in_at is not None:
        return CheckInRefusal.ALREADY
    if status != S.CONFIRMED:
        return CheckInRefusal.NOT_CONFIRMED
    if now < opens_at:
        return CheckInRefusal.TOO_EARLY
    return None


def desk_refusal(
    *, event_cancelled: bool, now: datetime, opens_at: datetime
) -> CheckInRefusal | None:
    """The check-in desk checks nobody in at a cancelled event, nor before check-in opens."""
    if event_cancelled:
        return CheckInRefusal.EVENT_CANCELLED
    if now < opens_at:
        return CheckInRefusal.TOO_EARLY
    return None


#: Check-in opens this many hours before an event starts unless CHECKIN_OPENS_HOURS says
#: otherwise: early enough for members who come early, too late for a check-in made days ahead
#: (which would hand a mixer number to someone who may never come).
DEFAULT_CHECKIN_OPENS_HOURS = 3.0


def check_in_opens_at(starts_at: datetime, hours_before: float) -> datetime:
    """Check-in opens `hours_before` the event starts."""
    return starts_at - timedelta(hours=hours_before)


def token_from_scan(text: str) -> str | None:
    """The token in a pasted check-in link (…/checkin/<token>) or a bare token; None if neither."""
    text = text.strip()
    if "/checkin/" in text:
        text = text.rsplit("/checkin/", 1)[1]
        text = re.split(r"[/?#\s]", text, maxsplit=1)[0]
    return text if re.fullmatch(r"[A-Za-z0-9_\-.]{8,400}", text) else None


# =============================================================================================
# Pages of rows
# =============================================================================================


@dataclass
class Page:
    """One page of a longer list."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_number(self) -> int:
        return min(self.page * self.per_page, self.total)


def _clamp_page(page: int, total: int, per_page: int) -> int:
    return min(max(1, page), max(1, math.ceil(total / per_page)))


# =============================================================================================
# Roster: counts, filters, pages, export
# =============================================================================================


@dataclass(frozen=True)
class RosterFilters:
    """What the organizer narrowed the roster to; empty values mean "any"."""

    status: str | None = None
    gender: str | None = None
    team_id: int | None = None
    track_id: int | None = None
    checked_in: bool | None = None
    q: str = ""
    session_id: int | None = None
    #: A registration question's answer: "c<choice id>" picked that choice, "a<question id>" /
    #: "n<question id>" answered / left unanswered (`registration_questions`).
    answer: str = ""

    @property
    def active(self) -> bool:
        return any(
            v not in (None, "")
            for v in (
                self.status,
                self.gender,
                self.team_id,
                self.track_id,
                self.checked_in,
                self.q,
                self.session_id,
                self.answer,
            )
        )


def apply_filters(stmt, event_id: int, filters: RosterFilters):
    """`stmt` (over Registration joined with User) narrowed to the event's rows the filters
    keep: what the roster page lists, exports and messages."""
    stmt = stmt.where(Registration.event_id == event_id)
    if filters.status:
        stmt = stmt.where(Registration.status == filters.status)
    if filters.gender:
        # The gender the member registered with, as the quotas count it, not today's profile.
        stmt = stmt.where(Registration.gender == filters.gender)
    if filters.team_id is not None:
        stmt = stmt.where(Registration.team_id == filters.team_id)
    if filters.track_id is not None:
        stmt = stmt.where(Registration.track_id == filters.track_id)
    if filters.session_id is not None:
        stmt = stmt.where(Registration.session_id == filters.session_id)
    if filters.checked_in is True:
        stmt = stmt.where(Registration.checked_in_at.is_not(None))
    elif filters.checked_in is False:
        stmt = stmt.where(Registration.checked_in_at.is_(None))
    if filters.q:
        stmt = stmt.where(
            sa.or_(
                User.name.icontains(filters.q, autoescape=True),
                User.mobile.contains(filters.q, autoescape=True),
            )
        )
    if filters.answer:
        condition = registration_questions.provider().answer_condition(event_id, filters.answer)
        if condition is not None:
            stmt = stmt.where(condition)
    return stmt


def _roster_rows(event_id: int, filters: RosterFilters):
    """Registrations with their member, team and track in one joined SELECT, in arrival order."""
    stmt = (
        sa.select(Registration)
        .join(Registration.user)
        .outerjoin(User.organization)
        .outerjoin(Registration.team)
        .outerjoin(Registration.track)
        .outerjoin(Registration.session)
        .options(
            contains_eager(Registration.user).lazyload(User.role_grants),
            contains_eager(Registration.user).contains_eager(User.organization),
            contains_eager(Registration.team),
            contains_eager(Registration.track),
            contains_eager(Registration.session),
        )
        .order_by(Registration.registered_at, Registration.id)
    )
    return apply_filters(stmt, event_id, filters)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One registration as the roster page lists it: the columns it shows, as plain values."""

    id: int
    status: str
    #: The gender and birth year the member registered with (as the quotas count them).
    gender: str
    birth_year: int
    companions: int
    status_reason: str
    offer_expires_at: datetime | None
    registered_at: datetime
    checked_in_at: datetime | None
    name: str
    mobile: str
    work_unit: str
    #: Imported by an organizer and not yet taken over by the member (`User.is_unclaimed`).
    unclaimed: bool
    membership_status: str
    #: The member's grassroots union; None for a member who named none.
    union: str | None
    team: str | None
    track: str | None
    session_label: str | None
    session_starts_at: datetime | None

    @property
    def is_offer(self) -> bool:
        """A place offered from the waitlist that the member has yet to confirm (the test of
        `Registration.is_offer`)."""
        return self.status == S.CONFIRMED and self.offer_expires_at is not None


def _page_rows(event_id: int, filters: RosterFilters):
    """The roster page's columns in one joined SELECT, in arrival order: tuples, no ORM
    objects, since the page only shows them."""
    from eventsite.organizations.models import Organization

    stmt = (
        sa.select(
            Registration.id,
            Registration.status,
            Registration.gender,
            Registration.birth_year,
            Registration.companions,
            Registration.status_reason,
            Registration.offer_expires_at,
            Registration.registered_at,
            Registration.checked_in_at,
            User.name,
            User.mobile,
            User.work_unit,
            User.password_hash == UNCLAIMED_PASSWORD_HASH,
            User.membership_status,
            Organization.name,
            Team.name,
            Track.name,
            EventSession.label,
            EventSession.starts_at,
        )
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .outerjoin(Team, Team.id == Registration.team_id)
        .outerjoin(Track, Track.id == Registration.track_id)
        .outerjoin(EventSession, EventSession.id == Registration.session_id)
        .order_by(Registration.registered_at, Registration.id)
    )
    return apply_filters(stmt, event_id, filters)


def _roster_total(event: Event, filters: RosterFilters) -> int:
    """How many registrations of the event the filters keep (the member's row is joined only
    to search by name or mobile)."""
    stmt = sa.select(sa.func.count(Registration.id))
    if filters.q:
        stmt = stmt.join(User, User.id == Registration.user_id)
    return db.session.scalar(apply_filters(stmt, event.id, filters)) or 0


def roster_page(
    event: Event, filters: RosterFilters, page: int, per_page: int, total: int | None = None
) -> Page:
    """One page of the filtered roster, as `RosterRow`s: one joined page query, and a count
    unless the caller knows `total` (the counts give it for the unfiltered roster)."""
    if total is None:
        total = _roster_total(event, filters)
    page = _clamp_page(page, total, per_page)
    rows = db.session.execute(
        _page_rows(event.id, filters).limit(per_page).offset((page - 1) * per_page)
    )
    items = [RosterRow(*values[:12], bool(values[12]), *values[13:]) for values in rows.tuples()]
    return Page(items=items, total=total, page=page, per_page=per_page)


@dataclass
class RosterCounts:
    """Registrations by status; active ones by gender (as registered) and by team; check-ins."""

    by_status: dict[str, int] = field(default_factory=dict)
    by_gender: dict[str, int] = field(default_factory=dict)
    by_team: dict[int | None, int] = field(default_factory=dict)
    checked_in: int = 0
    #: Companions the confirmed members bring (each takes a place beside the member's).
    companions: int = 0

    @property
    def confirmed_seats(self) -> int:
        """Places the confirmed registrations take: members and their companions."""
        return self.by_status.get(S.CONFIRMED, 0) + self.companions

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def active(self) -> int:
        return sum(self.by_status.get(s, 0) for s in ACTIVE_STATUSES)


def roster_counts(event: Event) -> RosterCounts:
    """Every count on the roster page from one GROUP BY query."""
    rows = db.session.execute(
        sa.select(
            Registration.status,
            Registration.gender,
            Registration.team_id,
            sa.func.count(Registration.id),
            sa.func.count(Registration.checked_in_at),
            sa.func.sum(Registration.companions),
        )
        .where(Registration.event_id == event.id)
        .group_by(Registration.status, Registration.gender, Registration.team_id)
    ).all()
    counts = RosterCounts(by_status={str(s): 0 for s in S})
    for status, gender, team_id, number, checked_in, companions in rows:
        counts.by_status[status] = counts.by_status.get(status, 0) + number
        if status in ACTIVE_STATUSES:
            counts.by_gender[gender] = counts.by_gender.get(gender, 0) + number
            counts.by_team[team_id] = counts.by_team.get(team_id, 0) + number
        if status == S.CONFIRMED:
            counts.checked_in += checked_in
            counts.companions += companions or 0
    return counts


def event_teams(event: Event) -> list[sa.Row]:
    """The event's teams in order, as (id, name) rows: what the roster's pages use of them."""
    if event.kind not in service.TEAM_KINDS:  # teams are for competitions and meets: no query
        return []
    return list(
        db.session.execute(
            sa.select(Team.id, Team.name)
            .where(Team.event_id == event.id)
            .order_by(Team.position, Team.id)
        )
    )


def event_tracks(event: Event) -> list[sa.Row]:
    """The event's tracks in order, as (id, name) rows."""
    if event.kind != EventKind.COMPETITION:  # only competitions have tracks: no query
        return []
    return list(
        db.session.execute(
            sa.select(Track.id, Track.name)
            .where(Track.event_id == event.id)
            .order_by(Track.position, Track.id)
        )
    )


def gender_title(value: str) -> str:
    """A stored gender value in words; an unknown value is shown as it is."""
    return Gender(value).title if value in set(Gender) else value


def _export_titles() -> dict[str, str]:
    return {
        "name": _("Name"),
        "mobile": _("Mobile"),
        "work_unit": _("Work unit"),
        "union": _("Union"),
        "membership": _("Membership"),
        "gender": _("Gender"),
        "birth_year": _("Birth year"),
        "team": _("Team"),
        "track": _("Track"),
        "session": _("Session"),
        "companions": _("Companions"),
        "status": _("Status"),
        "reason": _("Reason"),
        "registered_at": _("Registered at"),
        "checked_in_at": _("Checked in at"),
    }


def export_keys(event: Event | None, *, companions: bool, with_sessions: bool) -> list[str]:
    """The roster export's columns: a team column only for a kind of event with teams, a track
    column only for a competition (every column for no event: the import's list), a session
    column for an event held in sessions and a companions column with `companions`."""
    keys = ["name", "mobile", "work_unit", "union", "membership", "gender", "birth_year"]
    if event is None or event.kind in service.TEAM_KINDS:
        keys.append("team")
    if event is None or event.kind == EventKind.COMPETITION:
        keys.append("track")
    if with_sessions:
        keys.append("session")
    if companions:
        keys.append("companions")
    return keys + ["status", "reason", "registered_at", "checked_in_at"]


def export_header(
    event: Event | None = None, *, companions: bool = False, with_sessions: bool = False
) -> list[str]:
    """Roster export columns in the current language (matching the import column names), as
    `export_keys` chooses them; then one per registration question of `event`."""
    questions = registration_questions.provider().roster_columns(event) if event is not None else []
    titles = _export_titles()
    keys = export_keys(event, companions=companions, with_sessions=with_sessions)
    return [titles[key] for key in keys] + [column.label for column in questions]


def exports_companions(event: Event) -> bool:
    """The event's roster has a companions column: a kind of event that admits them."""
    return event.kind in rules.COMPANION_KINDS


def export_rows(event: Event, filters: RosterFilters, with_sessions: bool = False) -> list[list]:
    """The filtered roster as plain rows for CSV/XLSX, from one joined query and one for the
    answers: sensitive answers in full, exports being the one place they are."""
    questions = registration_questions.provider()
    columns = questions.roster_columns(event)
    registrations = db.session.scalars(_roster_rows(event.id, filters)).all()
    answers = (
        questions.roster_cells(event, [reg.id for reg in registrations], in_full=True)
        if columns
        else {}
    )
    keys = export_keys(event, companions=exports_companions(event), with_sessions=with_sessions)
    rows = []
    for reg in registrations:
        user = reg.user
        answered = answers.get(reg.id, {})
        cells = {
            "name": user.name,
            "mobile": user.mobile,
            "work_unit": user.work_unit,
            "union": user.organization.name if user.organization else "",
            "membership": user.membership_title,
            "gender": gender_title(reg.gender),
            "birth_year": reg.birth_year,
            "team": reg.team.name if reg.team else "",
            "track": reg.track.name if reg.track else "",
            "session": _session_cell(reg) if with_sessions else "",
            "companions": reg.companions,
            "status": reg.status_enum.title,
            "reason": _(
                "Offered; to confirm by %(deadline)s",
                deadline=format_local(reg.offer_expires_at),
            )
            if reg.is_offer
            else reg.status_reason,
            "registered_at": format_local(reg.registered_at),
            "checked_in_at": format_local(reg.checked_in_at),
        }
        row = [cells[key] for key in keys]
        rows.append(row + [answered.get(column.question_id, "") for column in columns])
    return rows


def _session_cell(registration: Registration) -> str:
    """The registration's session as the export shows it: its name and local time."""
    session = registration.session
    if session is None:
        return ""
    return f"{session.label} {format_local(session.starts_at)}"


def event_sessions(event: Event) -> list:
    """The event's sessions by start (no query for a kind without sessions)."""
    from eventsite.events.service import sessions_of

    return sessions_of(event)


def record_export(
    event: Event, *, actor: User, file_format: str, rows: int, filters: RosterFilters
) -> None:
    """Note in the audit log that the roster (with its personal data) left the site."""
    if filters.active:
        detail = _l("%(format)s, %(n)s rows · filtered", format=file_format.upper(), n=rows)
    else:
        detail = _l("%(format)s, %(n)s rows", format=file_format.upper(), n=rows)
    audit.record("roster.export", actor=actor, event=event, detail=detail)


# =============================================================================================
# Organizer actions, one or many, through the registration engine
# =============================================================================================

ACTIONS = ("approve", "reject", "cancel", "move")


@dataclass(frozen=True)
class Refusal:
    """One registration the engine refused during a bulk action."""

    registration_id: int
    name: str
    message: str


def apply_action(
    event: Event,
    registration_ids: Sequence[int],
    action: str,
    *,
    actor: User,
    reason: str = "",
    team_id: int | None = None,
    track_id: int | None = None,
    now: datetime | None = None,
) -> list[Refusal]:
    """Run `action` on each registration through the engine, in arrival order.

    Returns every refusal; when there is any, the caller rolls the whole transaction back so a
    bulk action happens entirely or not at all.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown roster action {action!r}")
    # `now` stays None unless a caller fixes it: the engine reads the clock under the event lock.
    wanted = list(dict.fromkeys(registration_ids))
    found = db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.user))
        .where(Registration.event_id == event.id, Registration.id.in_(wanted))
        .order_by(Registration.registered_at, Registration.id)
    ).all()
    found_ids = {r.id for r in found}
    refusals = [
        Refusal(ident, "", _("This registration is not part of this event."))
        for ident in wanted
        if ident not in found_ids
    ]
    for registration in found:
        name = registration.user.name
        try:
            if action == "approve":
                service.approve(registration, actor=actor, now=now)
            elif action == "reject":
                service.reject(registration, actor=actor, reason=reason, now=now)
            elif action == "cancel":
                service.cancel_registration(
                    registration, actor=actor, reason=reason, by_organizer=True, now=now
                )
            else:
                service.move(registration, actor=actor, team_id=team_id, track_id=track_id, now=now)
        except service.RegistrationError as error:
            refusals.append(Refusal(registration.id, name, error.message))
    return refusals


# =============================================================================================
# Import
# =============================================================================================


@dataclass(frozen=True)
class IssuedCode:
    """A claim code just issued for a member's account; only its digest is stored."""

    name: str
    mobile: str
    code: str


@dataclass
class ImportOutcome(UploadReport):
    """What a roster import did, or why it did nothing."""

    accounts_created: int = 0
    confirmed: int = 0
    waitlisted: int = 0
    #: Rows whose member already holds an active registration as the row has it: left alone,
    #: so a corrected list can be uploaded again.
    already_registered: int = 0
    #: The new accounts' one-time claim codes, in file order: shown to the organizer once.
    claim_codes: list[IssuedCode] = field(default_factory=list)

    def add(self, line: int, problem: RowProblem, value: str = "") -> None:
        self.add_message(line, str(ROW_MESSAGES[problem]) % {"value": value})


def import_refusal(event: Event, now: datetime) -> str | None:
    """Why this event takes no import at all right now, or None."""
    if event.kind == EventKind.MIXER:
        return _(
            "Mixer registrations need each member's own declaration that they are single, so "
            "members register for a mixer themselves; a list cannot be imported."
        )
    if event_sessions(event):
        return _(
            "This event is held in sessions and a list names no session, so members choose "
            "their session themselves; a list cannot be imported."
        )
    if not event.registration_open(now):
        return _(
            "Registration for this event is not open, so no list can be imported now. Imports "
            "work while the event is published and its registration window is open."
        )
    return None


def import_roster(
    event: Event, data: bytes, *, actor: User, now: datetime | None = None
) -> ImportOutcome:
    """Check every row of an uploaded CSV/XLSX, then register them all through the engine.

    Any bad row means nothing is imported: the outcome lists every problem by row number and the
    caller rolls back. Members are found by mobile; a mobile without an account gets a new account
    that cannot sign in (UNUSABLE_PASSWORD) and a one-time claim code, returned in the outcome for
    the organizer to hand out, with which the member takes the account over at sign-up. On an
    event that needs approval the organizer's import approves the rows at once.
    """
    checked_at = now or utcnow()
    outcome = ImportOutcome()
    refusal = import_refusal(event, checked_at)
    if refusal:
        outcome.file_problems.append(refusal)
        return outcome
    try:
        table = read_table(data, max_rows=IMPORT_MAX_ROWS)
    except TableError as error:
        outcome.file_problems.append(error.message)
        return outcome
    (_header_line, header), body = table[0], table[1:]
    columns, missing = map_header(header)
    teams = tracks = None
    if event.kind in (EventKind.COMPETITION, EventKind.SPORTSMEET):
        teams = {t.name: t.id for t in event_teams(event)}
        if "team" not in columns:
            missing.append("team")
    if event.kind == EventKind.COMPETITION:
        tracks = {t.name: t.id for t in event_tracks(event)}
        if "track" not in columns:
            missing.append("track")
    if missing:
        names = "; ".join(COLUMN_LABELS[key] for key in missing)
        outcome.file_problems.append(
            _("The header row lacks these columns: %(names)s.", names=names)
        )
    if not body:
        outcome.file_problems.append(_("The file has a header row but no members below it."))
    if len(body) > IMPORT_MAX_ROWS:
        outcome.file_problems.append(
            _("The file has more than %(n)s rows; please split it.", n=f"{IMPORT_MAX_ROWS:,}")
        )
    if outcome.file_problems:
        return outcome

    this_year = to_local(checked_at).year
    rows: list[ImportRow] = []
    for line, cells in body:
        row, problems = check_import_row(
            cells, columns, line=line, this_year=this_year, teams=teams, tracks=tracks
        )
        for problem, value in problems:
            outcome.add(line, problem, value)
        if row is not None:
            rows.append(row)
    for line, earlier in duplicate_lines(rows).items():
        outcome.add(line, RowProblem.MOBILE_DUPLICATE, str(earlier))

    users = _users_by_mobile([row.mobile for row in rows])
    registered = _registrations_of(event.id, [u.id for u in users.values()])
    already: set[int] = set()
    for row in rows:
        user = users.get(row.mobile)
        if user is None:
            continue
        if not same_name(user.name, row.name):
            outcome.add(row.line, RowProblem.NAME_MISMATCH)
        existing = registered.get(user.id)
        if existing is not None and existing.is_active:
            if (existing.team_id, existing.track_id) == (row.team_id, row.track_id):
                already.add(row.line)
            else:
                outcome.add(row.line, RowProblem.ALREADY_REGISTERED, existing.status_enum.title)
        elif existing is not None and existing.status == S.REJECTED:
            outcome.add(row.line, RowProblem.REJECTED_BEFORE)
    if outcome.row_problems:
        return outcome
    outcome.already_registered = len(already)
    rows = [row for row in rows if row.line not in already]

    new_users = []
    for row in rows:
        if row.mobile not in users:
            user = User(
                name=row.name,
                mobile=row.mobile,
                gender=row.gender,
                birth_year=row.birth_year,
                work_unit=row.work_unit,
                password_hash=UNUSABLE_PASSWORD,
            )
            code = accounts.issue_claim_code(user)
            outcome.claim_codes.append(IssuedCode(user.name, user.mobile, code))
            users[row.mobile] = user
            new_users.append(user)
    db.session.add_all(new_users)
    db.session.flush()
    outcome.accounts_created = len(new_users)

    for row in rows:
        try:
            # On an approval event the import is the approval: one notice, of the outcome.
            registration = service.register(
                event,
                users[row.mobile],
                team_id=row.team_id,
                track_id=row.track_id,
                now=now,
                announce=not event.approval_required,
                actor=actor,
            )
            if registration.status == S.PENDING:
                service.approve(registration, actor=actor, now=now)
        except service.RegistrationError as error:
            outcome.add(row.line, RowProblem.REFUSED, error.message)
            continue
        if registration.status == S.CONFIRMED:
            outcome.confirmed += 1
        else:
            outcome.waitlisted += 1
    outcome.rows = len(rows)
    if outcome.row_problems:
        return outcome
    audit.record(
        "roster.import",
        actor=actor,
        event=event,
        detail=_l(
            "%(rows)s rows: %(confirmed)s confirmed, %(waitlisted)s waitlisted, %(created)s new accounts, %(already)s already on the roster",
            rows=outcome.rows,
            confirmed=outcome.confirmed,
            waitlisted=outcome.waitlisted,
            created=outcome.accounts_created,
            already=outcome.already_registered,
        ),
    )
    return outcome


def _users_by_mobile(mobiles: Sequence[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    unique = sorted(set(mobiles))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        for user in db.session.scalars(sa.select(User).where(User.mobile.in_(chunk))):
            found[user.mobile] = user
    return found


def _registrations_of(event_id: int, user_ids: Sequence[int]) -> dict[int, Registration]:
    found: dict[int, Registration] = {}
    for start in range(0, len(user_ids), 500):
        chunk = list(user_ids[start : start + 500])
        for reg in db.session.scalars(
            sa.select(Registration).where(
                Registration.event_id == event_id, Registration.user_id.in_(chunk)
            )
        ):
            found[reg.user_id] = reg
    return found


def import_template_rows(event: Event) -> tuple[list[str], list[str]]:
    """The import template's header (in the current language) and its instruction lines."""
    header = [_("Name"), _("Mobile"), _("Gender"), _("Birth year"), _("Work unit")]
    if event.kind in (EventKind.COMPETITION, EventKind.SPORTSMEET):
        header.append(_("Team"))
    if event.kind == EventKind.COMPETITION:
        header.append(_("Track"))
    notes = [
        _("How to fill in"),
        _(
            "Fill one member per row on the first sheet, below the header row; do not rename the columns."
        ),
        _(
            "Column names may be in Chinese (姓名, 手机号, 性别, 出生年份, 工作单位, 队伍, 赛道) or in English."
        ),
        _("Mobile: 11-digit mainland number; it identifies the member's account."),
        _("Gender: 男 or 女 (male or female). Birth year: four digits, such as 1990."),
        _("Work unit is optional."),
    ]
    teams = [t.name for t in event_teams(event)]
    tracks = [t.name for t in event_tracks(event)]
    if event.kind in (EventKind.COMPETITION, EventKind.SPORTSMEET):
        notes.append(_("Team: one of %(names)s.", names="、".join(teams) or "—"))
    if event.kind == EventKind.COMPETITION:
        notes.append(_("Track: one of %(names)s.", names="、".join(tracks) or "—"))
    notes.append(
        _(
            "If any row has a problem, nothing is imported and every problem is listed by row number."
        )
    )
    return header, notes


# =============================================================================================
# Audit log
# =============================================================================================

ACTION_TITLES = {
    "registration.approve": _l("Registration approved"),
    "registration.reject": _l("Registration rejected"),
    "registration.cancel": _l("Registration cancelled by the organizer"),
    "registration.move": _l("Moved to another team or track"),
    "registration.session_move": _l("Moved to another session"),
    "registration.promote": _l("Promoted from the waitlist"),
    "registration.offer": _l("Place offered from the waitlist, to confirm by the time given"),
    "registration.offer_confirm": _l("Offered place confirmed"),
    "registration.offer_decline": _l("Offered place declined"),
    "registration.offer_lapse": _l("Offered place not confirmed in time; passed on"),
    "registration.companions": _l("Companions changed by the member"),
    "roster.import": _l("Roster imported"),
    "roster.export": _l("Roster exported"),
    "roster.message": _l("Message sent to members"),
    "account.claim_code": _l("New claim code issued"),
    "membership.request": _l("Asked a union to verify their membership"),
    "membership.leave": _l("Left their union"),
    "membership.approve": _l("Membership request approved"),
    "membership.decline": _l("Membership request declined"),
    "membership.import": _l("Union member list imported"),
    "checkin.check_in": _l("Member checked in"),
    "checkin.undo": _l("Check-in undone"),
    "event.create": _l("Event created"),
    "event.update": _l("Event edited"),
    "event.publish": _l("Event published"),
    "event.cancel": _l("Event cancelled"),
    "event.organizer_add": _l("Co-organizer added"),
    "event.organizer_remove": _l("Co-organizer removed"),
    "event.organizer_release": _l("Organizer role revoked; taken off this event"),
    "event.teams": _l("Teams changed"),
    "event.tracks": _l("Tracks changed"),
    "event.sessions": _l("Sessions changed"),
    "event.cover_upload": _l("Cover picture uploaded"),
    "event.cover_remove": _l("Cover picture removed: the default cover is shown"),
    "meet.settings": _l("Meet settings saved"),
    "meet.item_create": _l("Item added"),
    "meet.item_update": _l("Item changed"),
    "meet.item_delete": _l("Item removed"),
    "meet.referee_add": _l("Referee assigned"),
    "meet.referee_remove": _l("Referee removed"),
    "meet.captain_add": _l("Captain added"),
    "meet.captain_remove": _l("Captain removed"),
    "meet.entries": _l("Team entries changed"),
    "meet.draw": _l("Heats or matches drawn"),
    "meet.draw_final": _l("Final heat drawn"),
    "meet.final": _l("Results declared final"),
    "meet.reopen": _l("Results reopened"),
    "meet.result": _l("Result entered"),
    "meet.result_correct": _l("Result corrected"),
    "meet.result_dq": _l("Disqualification recorded"),
    "meet.result_undo_dq": _l("Disqualification undone"),
    "meet.result_remove": _l("Result removed"),
    "meet.match_result": _l("Match result entered"),
    "meet.match_correct": _l("Match result corrected"),
    # Skills competitions (competitions/service.py).
    "competition.round": _l("Round added or changed"),
    "competition.criteria": _l("Criteria changed"),
    "competition.judge": _l("Judge assignment changed"),
    "competition.affiliation": _l("Judge's teams changed"),
    "competition.conflict": _l("Judge's conflict changed"),
    "competition.leader": _l("Team leader added"),
    "competition.contestant": _l("Contestant's status changed"),
    "competition.awards": _l("Awards changed"),
    "competition.publish": _l("Results published"),
    "competition.unpublish": _l("Results withdrawn"),
    "sheet.save": _l("Score sheet saved"),
    "sheet.submit": _l("Score sheet submitted"),
    "sheet.reopen": _l("Score sheet reopened"),
    "paper.entry": _l("Paper sheet typed"),
    "paper.resolve": _l("Paper sheet disagreement resolved"),
    "objection.lodge": _l("Objection lodged"),
    "objection.decide": _l("Objection decided"),
    # Registration and feedback questions (questions/service.py).
    "question.add": _l("Question added"),
    "question.update": _l("Question changed"),
    "question.move": _l("Question moved"),
    "question.remove": _l("Question removed"),
    "question.copy": _l("Questions copied from another event"),
    # Printed material (printing/service.py).
    "print.sign_in_sheet": _l("Sign-in sheet printed"),
    "print.badges": _l("Name badges printed"),
    "print.certificates": _l("Certificates printed"),
}


def action_title(code: str) -> str:
    """A readable title for an audit action code; unknown codes are shown as they are."""
    title = ACTION_TITLES.get(code)
    return str(title) if title is not None else code


def audit_page(event: Event, page: int, per_page: int) -> Page:
    """The event's audit entries, newest first, with their actors (a count and one query)."""
    total = (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.event_id == event.id)
        )
        or 0
    )
    page = _clamp_page(page, total, per_page)
    items = (
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.event_id == event.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .unique()
        .all()
    )
    return Page(items=list(items), total=total, page=page, per_page=per_page)


# =============================================================================================
# Check-in
# =============================================================================================


class CheckInError(Exception):
    """A check-in (or its undo) was refused; `message` is for the organizer."""

    def __init__(self, message: str, refusal: CheckInRefusal | None = None):
        super().__init__(message)
        self.message = message
        self.refusal = refusal


def refusal_message(refusal: CheckInRefusal, registration: Registration) -> str:
    if refusal == CheckInRefusal.ALREADY:
        return _(
            "%(name)s is already checked in (at %(time)s).",
            name=registration.user.name,
            time=format_local(registration.checked_in_at),
        )
    if refusal == CheckInRefusal.EVENT_CANCELLED:
        return _("This event has been cancelled; nobody can check in.")
    if refusal == CheckInRefusal.TOO_EARLY:
        return _(
            "Check-in opens at %(time)s, %(hours)s hours before the start; %(name)s cannot be checked in yet.",
            time=format_local(opens_at(registration.event)),
            hours=f"{checkin_hours():g}",
            name=registration.user.name,
        )
    return _(
        "%(name)s cannot be checked in: the registration is “%(status)s”, and only confirmed members check in.",
        name=registration.user.name,
        status=registration.status_enum.title,
    )


def wrong_session_warning(registration: Registration, now: datetime | None = None) -> str | None:
    """What the desk is told when a member checks in outside their session's time (another
    session is under way, or none): their session and its time; None when it is theirs."""
    session = registration.session
    if session is None:
        return None
    now = now or utcnow()
    opens_before = timedelta(hours=checkin_hours())
    if rules.session_check_in_time(session.starts_at, session.ends_at, now, opens_before):
        return None
    return _(
        "Note: %(name)s holds a place in the session 「%(session)s」 (%(start)s – %(end)s), not "
        "one under way now.",
        name=registration.user.name,
        session=session.label,
        start=format_local(session.starts_at),
        end=format_local(session.ends_at, "%H:%M"),
    )


def checkin_hours() -> float:
    """How many hours before its start an event's check-in opens (CHECKIN_OPENS_HOURS)."""
    return float(current_app.config.get("CHECKIN_OPENS_HOURS", DEFAULT_CHECKIN_OPENS_HOURS))


def opens_at(event: Event) -> datetime:
    """When the event's check-in opens."""
    return check_in_opens_at(event.starts_at, checkin_hours())


def check_in_state(
    registration: Registration, now: datetime | None = None
) -> CheckInRefusal | None:
    """Whether this (loaded) registration can be checked in now."""
    return check_in_refusal(
        event_cancelled=registration.event.is_cancelled,
        status=registration.status,
        checked_in_at=registration.checked_in_at,
        now=now or utcnow(),
        opens_at=opens_at(registration.event),
    )


def desk_state(event: Event, now: datetime | None = None) -> CheckInRefusal | None:
    """Why the event's check-in desk checks nobody in now, or None while it is open."""
    return desk_refusal(
        event_cancelled=event.is_cancelled, now=now or utcnow(), opens_at=opens_at(event)
    )


def may_check_in(user, registration: Registration) -> bool:
    """Only those who manage the registration's event check its members in."""
    return can_manage(user, registration.event)


def scanned_token(event: Event, text: str) -> str:
    """The token in a pasted check-in link, if it is genuine and for this event."""
    token = token_from_scan(text)
    ids = read_token(token) if token else None
    if ids is None:
        raise CheckInError(_("This is not a valid check-in code."))
    if ids[1] != event.id:
        raise CheckInError(_("This check-in code is for another event."))
    return token


def registration_by_token(token: str) -> Registration | None:
    """The registration a check-in token names, with its member and event; None when forged."""
    ids = read_token(token)
    if ids is None:
        return None
    registration_id, event_id = ids
    return db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.user), joinedload(Registration.event))
        .where(Registration.id == registration_id, Registration.event_id == event_id)
    ).one_or_none()


def event_registration(event: Event, registration_id: int) -> Registration | None:
    """A registration of this event with its member, or None."""
    return db.session.scalars(
        sa.select(Registration)
        .options(joinedload(Registration.user))
        .where(Registration.id == registration_id, Registration.event_id == event.id)
    ).one_or_none()


#: Sent by `check_in` once a member is marked as arrived, as `(registration, actor=User)`, in the
#: check-in's transaction. Features that hang something on arrival receive it (mixers give the
#: participant number), since events may not import them.
checked_in = Namespace().signal("checked-in")


def check_in(
    registration: Registration, *, actor: User, now: datetime | None = None
) -> Registration:
    """Mark a confirmed member as arrived; a second scan changes nothing and says when.

    The write is a conditional UPDATE, so two organizers scanning the same code at once record
    one check-in and the other is told it was already done.
    """
    now = now or utcnow()
    refusal = check_in_state(registration, now)
    if refusal is None:
        result = db.session.execute(
            sa.update(Registration)
            .where(
                Registration.id == registration.id,
                Registration.checked_in_at.is_(None),
                Registration.status == S.CONFIRMED,
            )
            # Arriving takes a place offered from the waitlist: the offer is answered.
            .values(checked_in_at=now, checked_in_by_id=actor.id, offer_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(registration)
        if result.rowcount == 1:
            audit.record(
                "checkin.check_in",
                actor=actor,
                event=registration.event,
                detail=registration.user.name,
            )
            checked_in.send(registration, actor=actor)
            return registration
        refusal = check_in_state(registration, now) or CheckInRefusal.ALREADY
    raise CheckInError(refusal_message(refusal, registration), refusal)


def undo_check_in(registration: Registration, *, actor: User) -> Registration:
    """Take back a check-in made by mistake."""
    if registration.checked_in_at is None:
        raise CheckInError(_("%(name)s is not checked in.", name=registration.user.name))
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    db.session.flush()
    audit.record(
        "checkin.undo", actor=actor, event=registration.event, detail=registration.user.name
    )
    return registration


@dataclass(frozen=True)
class CheckInCounts:
    confirmed: int
    checked_in: int

    @property
    def not_checked_in(self) -> int:
        return self.confirmed - self.checked_in

    def as_dict(self) -> dict[str, int]:
        return {
            "confirmed": self.confirmed,
            "checked_in": self.checked_in,
            "not_checked_in": self.not_checked_in,
        }


def checkin_counts(event: Event) -> CheckInCounts:
    """Confirmed members and how many of them have checked in (one query)."""
    confirmed, checked_in = db.session.execute(
        sa.select(sa.func.count(Registration.id), sa.func.count(Registration.checked_in_at)).where(
            Registration.event_id == event.id, Registration.status == S.CONFIRMED
        )
    ).one()
    return CheckInCounts(confirmed=confirmed or 0, checked_in=checked_in or 0)


#: How many matches the check-in desk lists for one search.
DESK_RESULTS = 20


def desk_search(event: Event, q: str) -> list[Registration]:
    """Confirmed registrations whose name or mobile contains `q` (at most DESK_RESULTS)."""
    q = q.strip()
    if not q:
        return []
    stmt = (
        sa.select(Registration)
        .join(Registration.user)
        .options(
            contains_eager(Registration.user).lazyload(User.role_grants),
            joinedload(Registration.team),
            joinedload(Registration.session),
        )
        .where(
            Registration.event_id == event.id,
            Registration.status == S.CONFIRMED,
            sa.or_(
                User.name.icontains(q, autoescape=True), User.mobile.contains(q, autoescape=True)
            ),
        )
        .order_by(User.name, Registration.id)
        .limit(DESK_RESULTS)
    )
    return list(db.session.scalars(stmt))


def recent_check_ins(event: Event, limit: int = 10) -> list[Registration]:
    """The latest check-ins at this event, newest first, for a quick undo."""
    stmt = (
        sa.select(Registration)
        .join(Registration.user)
        .options(
            contains_eager(Registration.user).lazyload(User.role_grants),
            joinedload(Registration.team),
            joinedload(Registration.session),
        )
        .where(Registration.event_id == event.id, Registration.checked_in_at.is_not(None))
        .order_by(Registration.checked_in_at.desc(), Registration.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
