"""Competition judges: assignments, recusal (declared teams and conflicts, and a judge's own
registration and team: `recusal_panel` → `rules.recused`), the judge role, team leaders and
contestants' status, and the events engine's registration changes, refused while they would
alter published results (`rules.entrant_change`).

Functions flush; the view, job or CLI command that called them commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from eventsite.accounts.models import Role, User
from eventsite.accounts.service import role_revoking, user_by_mobile
from eventsite.competitions import rules
from eventsite.competitions.models import (
    ContestantState,
    Exclusion,
    JudgeAffiliation,
    JudgeAssignment,
    JudgeConflict,
    Round,
    TeamLeader,
)
from eventsite.competitions.setup import (
    CompetitionError,
    _refuse_if_any_published,
    _refuse_if_counted_in_published,
    _refuse_once_published,
    _rounds_before,
    published_from,
)
from eventsite.core import audit
from eventsite.core.notifications import notify
from eventsite.core.time import utcnow
from eventsite.events.models import (
    ACTIVE_STATUSES,
    Event,
    EventKind,
    Registration,
    RegistrationStatus,
    Team,
    Track,
)
from eventsite.events.permissions import can_manage
from eventsite.events.service import (
    Placement,
    RegistrationChange,
    RegistrationError,
    event_path,
    registrations_changing,
)
from eventsite.extensions import db


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


def recusal_panel(
    event: Event, user_ids: Iterable[int], affiliations: Mapping[int, set[int]] | None = None
) -> dict[int, rules.Judge]:
    """Judges as the recusal rule (`rules.recused`) sees them: the teams they are affiliated
    with, and, for a judge registered in the competition (awaiting approval, confirmed or
    waitlisted), their own registration and their team. Every route and the ranking ask this.
    `affiliations`: the event's, when already read (`affiliations_of`)."""
    ids = set(user_ids)
    if not ids:
        return {}
    teams: dict[int, set[int]] = defaultdict(set)
    if affiliations is not None:
        teams.update((uid, affiliations[uid]) for uid in ids if uid in affiliations)
    else:
        for user_id, team_id in db.session.execute(
            sa.select(JudgeAffiliation.user_id, JudgeAffiliation.team_id)
            .join(Team, Team.id == JudgeAffiliation.team_id)
            .where(Team.event_id == event.id, JudgeAffiliation.user_id.in_(ids))
        ):
            teams[user_id].add(team_id)
    entries = db.session.execute(
        sa.select(Registration.id, Registration.user_id, Registration.team_id).where(
            Registration.event_id == event.id,
            Registration.user_id.in_(ids),
            Registration.status.in_(ACTIVE_STATUSES),
        )
    )
    return panel_of(ids, teams, entries)


def panel_of(
    user_ids: Iterable[int],
    affiliations: Mapping[int, set[int]],
    entries: Iterable[tuple[int, int, int | None]],
) -> dict[int, rules.Judge]:
    """The judges `user_ids` as the recusal rule sees them, from the event's affiliations (judge
    → team ids) and the judges' active registrations as (registration id, user id, team id)."""
    registered: dict[int, set[int]] = defaultdict(set)
    competes_for: dict[int, set[int]] = defaultdict(set)
    for registration_id, user_id, team_id in entries:
        registered[user_id].add(registration_id)
        if team_id is not None:
            competes_for[user_id].add(team_id)
    return {
        uid: rules.Judge(
            id=uid,
            teams=frozenset(affiliations.get(uid, ())),
            entries=frozenset(registered[uid]),
            competes_for=frozenset(competes_for[uid]),
        )
        for uid in user_ids
    }


def contestant_of(event: Event, registration_id: int) -> Registration | None:
    """A contestant of the event (a registration with a track), with their account's name
    (a sheet and its history name them), not their roles."""
    found = db.session.get(
        Registration,
        registration_id,
        options=[joinedload(Registration.user).lazyload(User.role_grants)],
    )
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


def leads_team(user, team: Team) -> bool:
    """Is `user` a leader (领队) of `team`?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(TeamLeader, (team.id, user.id)) is not None


def teams_led(user, event: Event) -> list[Team]:
    """The event's teams `user` leads (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            sa.select(Team)
            .join(TeamLeader, TeamLeader.team_id == Team.id)
            .where(Team.event_id == event.id, TeamLeader.user_id == user.id)
            .order_by(Team.position, Team.id)
        )
    )


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
    _tell_contestant(event, registration.user, state, reason)
    db.session.flush()


def _tell_contestant(event: Event, contestant: User, state: str, reason: str) -> None:
    """The contestant's notice of being withdrawn, disqualified (with the reason) or competing
    again."""
    title = event.title
    if state == "competing":
        render = lambda: (  # noqa: E731
            _("You are competing again: %(title)s", title=title),
            _("The organizer put you back into the ranking of %(title)s.", title=title),
        )
    else:
        state_title = ContestantState(state).title
        render = lambda: (  # noqa: E731
            _("Your standing in %(title)s: %(state)s", title=title, state=state_title),
            _(
                "The organizer marked you as %(state)s in %(title)s, so you are left out of its ranking.",
                state=state_title,
                title=title,
            )
            + (" " + _("Reason: %(reason)s", reason=reason) if reason else ""),
        )
    notify(contestant, render, link=event_path(event))


def may_judge(round_: Round, judge: User, registration: Registration) -> bool:
    """The judge holds the judge role, is assigned to the contestant's track in the round and
    is not recused from them (`recused`)."""
    if not judge.has_role(Role.JUDGE):
        return False
    return _allowed(judge, registration, _judge_facts(round_, judge, registration))


def may_judge_after_previous(
    round_: Round, judge: User, registration: Registration
) -> tuple[bool, bool]:
    """`may_judge`, and whether the round before this one advances only its best (so that being
    in this round depends on its ranking), from the same one statement."""
    if not judge.has_role(Role.JUDGE):
        return False, False
    facts = _judge_facts(round_, judge, registration, previous=True)
    return _allowed(judge, registration, facts), bool(facts["advancing"])


def _allowed(judge: User, registration: Registration, facts: Mapping[str, set]) -> bool:
    """Assigned to the contestant's track and not recused from them, by `_judge_facts`."""
    if not facts["assigned"]:
        return False
    panel = rules.Judge(
        id=judge.id,
        teams=frozenset(facts["team"]),
        entries=frozenset(facts["entry"]),
        competes_for=frozenset(facts["competes"]),
    )
    conflicts = {(judge.id, registration_id) for registration_id in facts["conflict"]}
    contestant = rules.Contestant(id=registration.id, team=registration.team_id)
    return not rules.recused(panel, contestant, conflicts)


def _judge_facts(
    round_: Round, judge: User, registration: Registration, *, previous: bool = False
) -> dict[str, set]:
    """What `may_judge` needs, in one statement (a judge saves a sheet every few seconds): the
    judge's assignment to the contestant's track in the round, the event's teams they are
    affiliated with, their own active registrations in the event and those registrations'
    teams (`recusal_panel` for one judge), and a declared conflict with the contestant;
    `previous`: also the round before this one, under "advancing", if it advances its best."""
    facts: dict[str, set] = {
        name: set() for name in ("assigned", "team", "entry", "competes", "conflict", "advancing")
    }
    rows = db.session.execute(
        _judge_facts_query(previous),
        {
            "round_id": round_.id,
            "event_id": round_.event_id,
            "track_id": registration.track_id,
            "judge_id": judge.id,
            "registration_id": registration.id,
            **({"position": round_.position} if previous else {}),
        },
    )
    for name, value in rows:
        facts[name].add(value)
    return facts


@cache
def _judge_facts_query(previous: bool) -> sa.CompoundSelect:
    """`_judge_facts`' statement, built once: building it is most of its cost."""
    kind = sa.literal_column
    round_id, event_id, track_id, judge_id, registration_id = (
        sa.bindparam(name, type_=sa.Integer)
        for name in ("round_id", "event_id", "track_id", "judge_id", "registration_id")
    )
    own = sa.and_(
        Registration.event_id == event_id,
        Registration.user_id == judge_id,
        Registration.status.in_(ACTIVE_STATUSES),
    )
    parts = [
        sa.select(kind("'assigned'"), JudgeAssignment.id).where(
            JudgeAssignment.round_id == round_id,
            JudgeAssignment.track_id == track_id,
            JudgeAssignment.user_id == judge_id,
        ),
        sa.select(kind("'team'"), JudgeAffiliation.team_id)
        .join(Team, Team.id == JudgeAffiliation.team_id)
        .where(Team.event_id == event_id, JudgeAffiliation.user_id == judge_id),
        sa.select(kind("'entry'"), Registration.id).where(own),
        sa.select(kind("'competes'"), Registration.team_id).where(
            own, Registration.team_id.is_not(None)
        ),
        sa.select(kind("'conflict'"), JudgeConflict.registration_id).where(
            JudgeConflict.user_id == judge_id,
            JudgeConflict.registration_id == registration_id,
        ),
    ]
    if previous:
        # The round just before (`setup.previous_round`).
        position = sa.bindparam("position", type_=sa.Integer)
        before = (
            _rounds_before(event_id, position, round_id)
            .with_only_columns(Round.id, Round.advance_count)
            .limit(1)
            .subquery()
        )
        parts.append(
            sa.select(kind("'advancing'"), before.c.id).where(before.c.advance_count.is_not(None))
        )
    return sa.union_all(*parts)


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


# --- Registrations: the events engine asks before it changes one ------------------------------

#: A member's own change refused (or one their action would bring about).
MEMBER_REFUSED = _l(
    "The results of %(round)s have been published and are worked out from who is registered, so "
    "your registration cannot be changed here now. Please contact the organizer."
)

#: The organizer's change to a contestant refused.
CONTESTANT_REFUSED = _l(
    "The results of %(round)s are published, and who competes, for which team and in which "
    "track, counts in every round: withdraw that publication (with a reason) before changing "
    "%(name)s's registration."
)

#: The organizer's change to a judge's own registration refused.
JUDGE_REFUSED = _l(
    "%(name)s judges %(judged)s, and their own registration decides whom they are recused from, "
    "on which the published results of %(round)s depend: withdraw that publication (with a "
    "reason) before changing it."
)


def _entrant(placement: Placement | None) -> rules.Entrant | None:
    if placement is None:
        return None
    return rules.Entrant(
        active=placement.status in ACTIVE_STATUSES,
        confirmed=placement.status == RegistrationStatus.CONFIRMED,
        team=placement.team_id,
        track=placement.track_id,
    )


def _first_published(event: Event) -> Round | None:
    return db.session.scalars(
        sa.select(Round)
        .where(Round.event_id == event.id, Round.published_at.is_not(None))
        .order_by(Round.position, Round.id)
        .limit(1)
    ).first()


def _judged_rounds(event: Event, user_ids: set[int]) -> dict[int, list[Round]]:
    """Member id → the rounds of the event they are assigned to judge, in order."""
    found: dict[int, list[Round]] = defaultdict(list)
    for round_, user_id in db.session.execute(
        sa.select(Round, JudgeAssignment.user_id)
        .join(JudgeAssignment, JudgeAssignment.round_id == Round.id)
        .where(Round.event_id == event.id, JudgeAssignment.user_id.in_(user_ids))
        .distinct()
        .order_by(Round.position, Round.id)
    ):
        found[user_id].append(round_)
    return found


def _refusal(
    event: Event,
    actor: User | None,
    change: RegistrationChange,
    published: Round,
    judged: Round | None = None,
) -> RegistrationError:
    """The refusal in the words of whoever acted: a member is told to ask the organizer; the
    organizer (or a job) what to withdraw first."""
    if actor is not None and not can_manage(actor, event):
        return RegistrationError(str(MEMBER_REFUSED % {"round": published.name}))
    name = db.session.get(User, change.user_id).name
    if judged is None:
        message = CONTESTANT_REFUSED % {"round": published.name, "name": name}
    else:
        message = JUDGE_REFUSED % {"round": published.name, "name": name, "judged": judged.name}
    return RegistrationError(str(message))


@registrations_changing.connect
def _on_registrations_changing(
    event: Event, *, changes: tuple[RegistrationChange, ...], actor: User | None = None, **_extra
) -> None:
    """A change to who competes where is refused while any round of the competition is
    published (a contestant counts in every round), and a change to a judge's own registration
    while a round they judge is published or chooses a published round's contestants."""
    if event.kind != EventKind.COMPETITION:
        return
    altering = [
        (change, kind)
        for change in changes
        if (kind := rules.entrant_change(_entrant(change.before), _entrant(change.after)))
    ]
    if not altering:
        return
    published = _first_published(event)
    if published is None:
        return
    for change, kind in altering:
        if kind is rules.EntrantChange.CONTESTANTS:
            raise _refusal(event, actor, change, published)
    judged = _judged_rounds(event, {change.user_id for change, _kind in altering})
    for change, _kind in altering:
        for round_ in judged.get(change.user_id, ()):
            depends = published_from(round_)
            if depends is not None:
                raise _refusal(event, actor, change, depends, judged=round_)
