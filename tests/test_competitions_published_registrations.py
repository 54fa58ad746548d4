"""Published results stay as published, whatever the events package does (issue 9, item 10).

A competition's rankings are worked out from its registrations: who competes (a confirmed
registration with a track), for which team and in which track, and, for a judge who is registered
themself, whom they are recused from. The registration engine (events/service.py) and the roster
(events/roster.py) change registrations without knowing about competitions; before any such
change they send `service.registrations_changing`, and the competition refuses the change while
it would alter published results (`competitions.rules.entrant_change` states the rule; it is
tested on its own in tests/test_competition_rules.py).

Every public function of those two modules is listed here, as the competition service functions
are in tests/test_competitions_published.py:

- CHANGES: cases that would alter published results: refused while a round of the competition
  is published (the first round itself, or the final that takes its best), nothing moved, and
  the same call goes through once the publication is withdrawn.
- HARMLESS: calls of those same functions that alter nothing a ranking is computed from
  (leaving the waitlist, rejecting a request, moving someone waiting): they go through.
- KEEPS: functions that write, but never a registration's status, team or track.
- READS: functions that only read.

PAGES sends the same changes through the forms a member (their event's page) and an organizer
(the roster's row and bulk actions, the import, the event's edit and cancel forms) use.

A new public function fails `test_every_public_events_function_is_listed` until it is put in
one of the tables, and a function that writes a registration's status, team or track without
asking first fails `test_every_write_of_a_registration_is_announced_first`.
"""

from __future__ import annotations

import ast
import inspect
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import g

from eventsite.accounts.models import User
from eventsite.competitions import service as competitions
from eventsite.competitions.models import JudgeAssignment, Round
from eventsite.core.time import to_local
from eventsite.events import offers, roster, service
from eventsite.events.models import Event, Registration, RegistrationStatus, Track
from eventsite.extensions import db
from tests.competition_factories import fill_all, make_contest
from tests.factories import make_event, make_registration, make_user
from tests.test_competitions_concurrency import THREAD_TIMEOUT, run_together
from tests.test_competitions_published import World, build_world, publish, snapshot

S = RegistrationStatus

# --- The world ----------------------------------------------------------------------------------


@dataclass
class Entries:
    """The published-results world of tests/test_competitions_published.py, with the event's
    registrations around its contestants: one place left, a member awaiting approval, and a
    judge of the first round (`late`) who has asked to compete themself."""

    world: World
    asking: Registration
    judge_entry: Registration
    outsider: object

    @property
    def event(self) -> Event:
        return self.world.contest.event

    @property
    def organizer(self):
        return self.world.organizer

    @property
    def people(self) -> list[Registration]:
        return self.world.people

    def team(self, index: int) -> int:
        return self.event.teams[index].id

    def track(self, index: int) -> int:
        return self.event.tracks[index].id

    def waitlisted(self) -> Registration:
        """The first member on the waitlist."""
        return db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == self.event.id, Registration.status == S.WAITLISTED)
            .order_by(Registration.id)
        ).first()

    def waiting(self, *, full: bool = False) -> Registration:
        """A new member on the waitlist; `full` makes the event full first, as it would be."""
        if full:
            self.event.capacity = len(self.people)
        return make_registration(
            self.event,
            make_user(name="候补选手"),
            status=S.WAITLISTED,
            team_id=self.team(2),
            track_id=self.track(0),
        )


def build_entries() -> Entries:
    world = build_world()
    event = world.contest.event
    event.tracks.append(Track(name="俄语", position=1))
    event.capacity = len(world.people) + 1
    asking = make_registration(
        event,
        make_user(name="待审选手"),
        status=S.PENDING,
        team_id=event.teams[1].id,
        track_id=event.tracks[0].id,
    )
    judge_entry = make_registration(
        event, world.late, status=S.PENDING, team_id=event.teams[0].id, track_id=event.tracks[0].id
    )
    outsider = make_user(name="新报名选手", mobile="13912345678")
    db.session.commit()
    return Entries(world, asking, judge_entry, outsider)


def status_of(registration_id: int) -> tuple:
    registration = db.session.get(Registration, registration_id)
    db.session.refresh(registration)
    return registration.status, registration.team_id, registration.track_id


def bulk(action: str, people, fields=lambda e: {}):
    """A roster action on `people(e)` through `roster.apply_action`, with `fields(e)`; its
    refusals raised as the engine's."""

    def run(e: Entries):
        refusals = roster.apply_action(
            e.event, [p.id for p in people(e)], action, actor=e.organizer, **fields(e)
        )
        if refusals:
            raise service.RegistrationError(refusals[0].message)

    return run


def import_file(e: Entries) -> bytes:
    text = (
        "姓名,手机号,性别,出生年份,队伍,赛道\n"
        f"新报名选手,{e.outsider.mobile},男,1995,{e.event.teams[2].name},{e.event.tracks[0].name}\n"
    )
    return text.encode()


def import_outsider(e: Entries):
    outcome = roster.import_roster(e.event, import_file(e), actor=e.organizer)
    if not outcome.ok:
        raise service.RegistrationError(next(iter(outcome.row_problems.values()))[0])


@dataclass(frozen=True)
class Case:
    """`call(e)`, a call of the events function named `function`, once `prepare(e)` has set the
    scene (before anything is published); `writes` says whether it changes any registration."""

    function: str
    call: Callable[[Entries], object]
    prepare: Callable[[Entries], object] | None = None
    writes: bool = True


def someone_waits(e: Entries) -> None:
    """A member waits although a place fits them (a change elsewhere freed it)."""
    e.waiting()


def full(e: Entries) -> None:
    e.event.capacity = len(e.people)


def full_and_someone_waits(e: Entries) -> None:
    e.waiting(full=True)


def approval_required(e: Entries) -> None:
    e.event.approval_required = True


def register_outsider(e: Entries) -> Registration:
    return service.register(e.event, e.outsider, team_id=e.team(2), track_id=e.track(0))


#: Cases that would alter published results, each valid while nothing is published.
CHANGES = {
    "a member registers and gets the last place": Case("register", register_outsider),
    "an organizer imports a member": Case("import_roster", import_outsider),
    "a contestant cancels": Case(
        "cancel_registration",
        lambda e: service.cancel_registration(e.people[5], actor=e.people[5].user),
    ),
    "the organizer cancels a contestant": Case(
        "cancel_registration",
        lambda e: service.cancel_registration(
            e.people[5], actor=e.organizer, reason="放弃参赛", by_organizer=True
        ),
    ),
    "a judge withdraws their own request": Case(
        "cancel_registration",
        lambda e: service.cancel_registration(e.judge_entry, actor=e.judge_entry.user),
    ),
    "the organizer approves a request into the last place": Case(
        "approve", lambda e: service.approve(e.asking, actor=e.organizer)
    ),
    "the organizer rejects a judge's request": Case(
        "reject", lambda e: service.reject(e.judge_entry, actor=e.organizer, reason="评委不得参赛")
    ),
    "the organizer moves a contestant to another team": Case(
        "move", lambda e: service.move(e.people[5], actor=e.organizer, team_id=e.team(0))
    ),
    "the organizer moves a contestant to another track": Case(
        "move", lambda e: service.move(e.people[5], actor=e.organizer, track_id=e.track(1))
    ),
    "the organizer moves a judge's request to another team": Case(
        "move", lambda e: service.move(e.judge_entry, actor=e.organizer, team_id=e.team(1))
    ),
    "the waitlist moves up into a free place": Case(
        "promote_waitlist", lambda e: service.promote_waitlist(e.event), someone_waits
    ),
    "a raised capacity promotes the waitlist": Case(
        "update_event",
        lambda e: service.update_event(e.event, e.organizer, capacity=20),
        someone_waits,
    ),
    "the organizer cancels the event": Case(
        "cancel_event", lambda e: service.cancel_event(e.event, e.organizer, "场馆临时关闭")
    ),
    "bulk cancel": Case(
        "apply_action", bulk("cancel", lambda e: e.people[4:6], lambda e: {"reason": "未到场"})
    ),
    "bulk move": Case(
        "apply_action", bulk("move", lambda e: [e.people[5]], lambda e: {"team_id": e.team(0)})
    ),
    "bulk approve": Case("apply_action", bulk("approve", lambda e: [e.asking])),
    "bulk reject of a judge's request": Case(
        "apply_action", bulk("reject", lambda e: [e.judge_entry])
    ),
}


def leave_waitlist(e: Entries) -> None:
    waiting = e.waitlisted()
    service.cancel_registration(waiting, actor=waiting.user)


def ask_to_register(e: Entries) -> None:
    assert register_outsider(e).status == S.PENDING


def register_onto_the_waitlist(e: Entries) -> None:
    assert register_outsider(e).status == S.WAITLISTED


def approve_onto_the_waitlist(e: Entries) -> None:
    assert service.approve(e.asking, actor=e.organizer).status == S.WAITLISTED


#: Calls of the same functions that alter nothing a ranking is computed from.
HARMLESS = {
    "a member registers onto the waitlist": Case("register", register_onto_the_waitlist, full),
    "a member asks to register": Case("register", ask_to_register, approval_required),
    "a member leaves the waitlist": Case(
        "cancel_registration", leave_waitlist, full_and_someone_waits
    ),
    "the organizer cancels a request": Case(
        "cancel_registration",
        lambda e: service.cancel_registration(e.asking, actor=e.organizer, by_organizer=True),
    ),
    "the organizer approves a request onto the waitlist": Case(
        "approve", approve_onto_the_waitlist, full
    ),
    "the organizer rejects a request": Case(
        "reject", lambda e: service.reject(e.asking, actor=e.organizer, reason="名额已满")
    ),
    "the organizer moves a request": Case(
        "move",
        lambda e: service.move(e.asking, actor=e.organizer, team_id=e.team(2), track_id=e.track(1)),
    ),
    "nobody on the waitlist fits": Case(
        "promote_waitlist",
        lambda e: service.promote_waitlist(e.event),
        full_and_someone_waits,
        writes=False,
    ),
    "the event's title changes": Case(
        "update_event",
        lambda e: service.update_event(e.event, e.organizer, title="第二届国际贸易业务员技能竞赛"),
        writes=False,
    ),
    "bulk reject of requests": Case("apply_action", bulk("reject", lambda e: [e.asking])),
}


def _check_in_and_undo(e: Entries):
    # At the door: check-in opens a few hours before the start.
    roster.check_in(e.people[0], actor=e.organizer, now=e.event.starts_at)
    roster.undo_check_in(e.people[0], actor=e.organizer)


def _bring_companions(e: Entries):
    # A competition admits no companions (家属): a contestant's place is theirs alone.
    with pytest.raises(service.RegistrationError):
        service.change_companions(e.people[0], 1, actor=e.people[0].user)


def _publish_again(e: Entries):
    with pytest.raises(service.EventError):
        service.publish_event(e.event, e.organizer)


def _add_and_remove_organizer(e: Entries):
    service.add_organizer(e.event, e.world.clerk.mobile, e.organizer)
    service.remove_organizer(e.event, e.world.clerk.id, e.organizer)


def _release_organizer(e: Entries):
    service.add_organizer(e.event, e.world.clerk.mobile, e.organizer)
    service.release_organizer(e.world.clerk, e.organizer)


#: Functions that write, but never a registration's status, team or track.
def _teams_from_organization(e) -> None:
    from eventsite.organizations import service as organizations

    organizations.create(organizations.root(), "福建省总工会")
    service.teams_from_organization(e.event, e.organizer, organizations.ROOT_ID)


KEEPS = {
    "create_event": lambda e: service.create_event(
        e.organizer,
        kind="competition",
        title="复赛",
        **{
            name: getattr(e.event, name)
            for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
        },
    ),
    "publish_event": _publish_again,
    "add_organizer": _add_and_remove_organizer,
    "remove_organizer": _add_and_remove_organizer,
    "release_organizer": _release_organizer,
    "set_teams": lambda e: service.set_teams(e.event, e.organizer, add=["福建队"]),
    "set_tracks": lambda e: service.set_tracks(e.event, e.organizer, add=["西班牙语"]),
    "teams_from_organization": _teams_from_organization,
    "check_in": _check_in_and_undo,
    "change_companions": _bring_companions,
    "undo_check_in": _check_in_and_undo,
    "record_export": lambda e: roster.record_export(
        e.event, actor=e.organizer, file_format="xlsx", rows=7, filters=roster.RosterFilters()
    ),
}

#: Functions that only read (`lock_event` locks the event row, and writes nothing).
READS = {
    "apply_filters",
    # events/service.py
    "event_path",
    "lock_event",
    "limits_of",
    "occupancies_of",
    "occupancy_of",
    "status_counts",
    "full_teams_of",
    "places_and_full_teams",
    "terms_of",
    "standing_problems",
    "audience_problem",
    "open_to",
    "team_source_organizations",
    "find_registration",
    "waitlist_position",
    "placement_of",
    "page_figures",
    "registrations_of",
    "session_caps_of",
    "sessions_of",
    # events/roster.py
    "check_in_opens_at",
    "checkin_hours",
    "opens_at",
    "map_header",
    "parse_gender",
    "parse_birth_year",
    "check_import_row",
    "duplicate_lines",
    "check_in_refusal",
    "desk_refusal",
    "token_from_scan",
    "roster_page",
    "roster_counts",
    "event_teams",
    "event_tracks",
    "event_sessions",
    "exports_companions",
    "wrong_session_warning",
    "gender_title",
    "export_header",
    "export_keys",
    "export_rows",
    "import_refusal",
    "import_template_rows",
    "action_title",
    "audit_page",
    "refusal_message",
    "check_in_state",
    "desk_state",
    "may_check_in",
    "scanned_token",
    "registration_by_token",
    "event_registration",
    "checkin_counts",
    "desk_search",
    "recent_check_ins",
}

MODULES = (service, roster)


def public_functions() -> dict[str, str]:
    """Every public function defined in events/service.py and events/roster.py: name → module."""
    found = {}
    for module in MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                found[name] = module.__name__
    return found


def test_every_public_events_function_is_listed():
    found = public_functions()
    changes = {case.function for case in CHANGES.values()}
    assert {case.function for case in HARMLESS.values()} <= changes
    listed = changes | set(KEEPS) | READS
    assert not changes & set(KEEPS) and not (changes | set(KEEPS)) & READS
    unlisted = sorted(set(found) - listed)
    assert unlisted == [], (
        f"Classify these in {__name__}: CHANGES (refused while results are published), KEEPS or "
        "READS"
    )
    assert sorted(listed - set(found)) == []  # no stale names either


#: What a registration's place in a competition is made of.
PLACEMENT = {"status", "team_id", "track_id"}


def writes_placement(node: ast.AST) -> bool:
    """The function assigns a registration's status, team or track (not an event's status)."""
    for child in ast.walk(node):
        targets = []
        if isinstance(child, ast.Assign):
            targets = child.targets
        elif isinstance(child, ast.AugAssign | ast.AnnAssign):
            targets = [child.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in PLACEMENT
                and not (isinstance(target.value, ast.Name) and target.value.id == "event")
            ):
                return True
        if (
            isinstance(child, ast.Call)
            and getattr(child.func, "attr", "") == "values"
            and any(keyword.arg in PLACEMENT for keyword in child.keywords)
        ):
            return True
    return False


def asks_first(node: ast.AST) -> bool:
    return any(
        isinstance(child, ast.Call) and getattr(child.func, "id", "") == "_ask_before_changing"
        for child in ast.walk(node)
    )


def test_every_write_of_a_registration_is_announced_first():
    writers, silent = [], []
    for module in (*MODULES, offers):
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and writes_placement(node):
                writers.append(node.name)
                if not asks_first(node):
                    silent.append(f"{module.__name__}.{node.name}")
    # The check finds the engine's writers (a broken check would find none and pass).
    assert {"register", "cancel_registration", "approve", "reject", "move"} <= set(writers)
    assert "lapse_offers" in writers
    assert silent == [], "These write a registration without sending registrations_changing"


# --- Through the services ---------------------------------------------------------------------


def published_round(e: Entries, which: str) -> Round:
    return e.world.round if which == "itself" else e.world.second


def withdraw(round_: Round, organizer) -> None:
    competitions.withdraw_publication(db.session.get(Round, round_.id), organizer, "更正报名")
    db.session.commit()


def registrations(e: Entries) -> list[tuple]:
    db.session.expire_all()
    return sorted(
        (r.id, r.user_id, r.status, r.team_id, r.track_id)
        for r in db.session.query(Registration).filter_by(event_id=e.event.id)
    )


def prepared(case: Case) -> Entries:
    e = build_entries()
    if case.prepare is not None:
        case.prepare(e)
        db.session.commit()
    return e


@pytest.mark.parametrize("published", ["itself", "the next round"])
@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_registration_change_that_alters_published_results_is_refused_until_withdrawn(
    app, name, published
):
    case = CHANGES[name]
    e = prepared(case)
    target = published_round(e, published)
    publish(target)
    before, entries = snapshot(e.world), registrations(e)

    with pytest.raises(service.RegistrationError) as refused:
        case.call(e)
    assert f"「{target.name}」" in refused.value.message  # the round to withdraw, named
    assert snapshot(e.world) == before  # nothing moved, not even before the refusal
    db.session.rollback()
    assert registrations(e) == entries

    withdraw(target, e.organizer)
    case.call(e)  # the same call goes through once nothing depends on it
    db.session.flush()
    assert registrations(e) != entries
    db.session.rollback()


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_a_registration_change_that_alters_nothing_published_goes_through(app, name):
    case = HARMLESS[name]
    e = prepared(case)
    publish(e.world.round)
    before, entries = snapshot(e.world), registrations(e)
    case.call(e)
    db.session.flush()
    assert snapshot(e.world) == before
    assert (registrations(e) != entries) == case.writes


@pytest.mark.parametrize("name", sorted(KEEPS))
def test_what_never_touches_a_placement_stays_open_on_published_results(app, name):
    e = build_entries()
    publish(e.world.round)
    before = snapshot(e.world)
    KEEPS[name](e)
    assert snapshot(e.world) == before


def test_a_judge_only_of_a_round_nothing_published_depends_on_may_change_their_registration(app):
    """The final does not choose the first round's contestants: a judge only of the final is
    recused there alone, so their registration may change while the first round is published."""
    e = build_entries()
    final_judge = make_user(roles=["judge"], name="决赛评委")
    db.session.add(
        JudgeAssignment(round_id=e.world.second.id, track_id=e.track(0), user_id=final_judge.id)
    )
    entry = make_registration(
        e.event, final_judge, status=S.PENDING, team_id=e.team(0), track_id=e.track(0)
    )
    db.session.commit()
    publish(e.world.round)
    service.reject(entry, actor=e.organizer)
    assert status_of(entry.id)[0] == S.REJECTED

    # The first round's late judge is refused the same change (their sheets count there).
    with pytest.raises(service.RegistrationError) as refused:
        service.reject(e.judge_entry, actor=e.organizer)
    assert e.world.late.name in refused.value.message


def test_a_sports_meet_changes_its_registrations_as_before(app):
    """Only competitions refuse: a sports meet beside a published competition is not held up."""
    e = build_entries()
    publish(e.world.round)
    meet = make_user(name="运动员")
    event = make_event(organizer=e.organizer, teams=["一队"], title="趣味运动会")
    registration = service.register(event, meet, team_id=event.teams[0].id)
    assert registration.status == S.CONFIRMED
    service.cancel_registration(registration, actor=meet)
    assert registration.status == S.CANCELLED


# --- Through the pages --------------------------------------------------------------------------


def become(auth, user) -> None:
    auth.become(user)
    g.pop("_login_user", None)


def edit_form(event: Event, **change) -> dict:
    data = {
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "capacity": "" if event.capacity is None else str(event.capacity),
    }
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        data[name] = to_local(getattr(event, name)).strftime("%Y-%m-%dT%H:%M")
    return {**data, **change}


@dataclass(frozen=True)
class Page:
    """A form a person sends: who sends it, where, with what; the status of a refusal and of
    the same request once the publication is withdrawn."""

    who: str
    path: str
    data: object
    refused: int
    accepted: tuple[int, ...] = (303,)


PAGES = {
    "a contestant cancels on their event's page": lambda e: Page(
        "contestant", f"/events/{e.event.id}/cancel-registration", {}, 400
    ),
    "a member registers on the event's page": lambda e: Page(
        "outsider",
        f"/events/{e.event.id}/register",
        {"team_id": str(e.team(2)), "track_id": str(e.track(0))},
        400,
    ),
    "the organizer cancels a row of the roster": lambda e: Page(
        "organizer", f"/events/{e.event.id}/roster/{e.people[5].id}", {"do": "cancel"}, 409, (302,)
    ),
    "the organizer rejects a judge's request on the roster": lambda e: Page(
        "organizer",
        f"/events/{e.event.id}/roster/{e.judge_entry.id}",
        {"do": "reject"},
        409,
        (302,),
    ),
    "the organizer moves ticked rows to another team": lambda e: Page(
        "organizer",
        f"/events/{e.event.id}/roster/bulk",
        {"ids": [str(e.people[5].id)], "action": "move", "team_id": str(e.team(0))},
        409,
        (302,),
    ),
    "the organizer approves ticked rows": lambda e: Page(
        "organizer",
        f"/events/{e.event.id}/roster/bulk",
        {"ids": [str(e.asking.id)], "action": "approve"},
        409,
        (302,),
    ),
    "the organizer imports a list": lambda e: Page(
        "organizer",
        f"/events/{e.event.id}/roster/import",
        {"file": (io.BytesIO(import_file(e)), "名单.csv")},
        400,
        (200, 302),  # a new account's claim code is shown at once
    ),
    "the organizer raises the capacity with members waiting": lambda e: Page(
        "organizer", f"/events/{e.event.id}/edit", edit_form(e.event, capacity="20"), 400
    ),
    "the organizer cancels the event": lambda e: Page(
        "organizer", f"/events/{e.event.id}/cancel", {"reason": "场馆临时关闭"}, 400
    ),
}


def sender(e: Entries, who: str):
    return {
        "contestant": e.people[5].user,
        "outsider": e.outsider,
        "organizer": e.organizer,
    }[who]


@pytest.mark.parametrize("case", sorted(PAGES))
def test_a_page_that_would_alter_published_results_refuses_until_withdrawn(app, client, auth, case):
    e = build_entries()
    if "capacity" in case:
        e.waiting()
        db.session.commit()
    publish(e.world.round)
    before, entries = snapshot(e.world), registrations(e)
    page = PAGES[case](e)
    become(auth, sender(e, page.who))

    response = client.post(page.path, data=page.data, content_type="multipart/form-data")
    assert response.status_code == page.refused, response.text
    # Why, and what to do: the member asks the organizer, the organizer withdraws first.
    assert f"「{e.world.round.name}」" in response.text and "公布" in response.text
    assert ("请联系组织者" if page.who != "organizer" else "请先撤回该公布") in response.text
    db.session.rollback()
    assert snapshot(e.world) == before
    assert registrations(e) == entries

    withdraw(e.world.round, e.organizer)
    page = PAGES[case](e)  # a fresh upload
    response = client.post(page.path, data=page.data, content_type="multipart/form-data")
    assert response.status_code in page.accepted, response.text
    assert registrations(e) != entries


def test_a_contestant_refused_is_told_why_and_whom_to_ask_in_chinese(app, client, auth):
    e = build_entries()
    publish(e.world.round)
    become(auth, e.people[5].user)
    response = client.post(f"/events/{e.event.id}/cancel-registration")
    assert response.status_code == 400
    html = response.text
    assert "flash-error" in html
    assert "成绩已经公布" in html and "请联系组织者" in html
    assert status_of(e.people[5].id)[0] == S.CONFIRMED


def test_a_member_on_the_waitlist_may_still_leave_it_on_the_page(app, client, auth):
    e = build_entries()
    waiting = e.waiting(full=True)
    db.session.commit()
    publish(e.world.round)
    before = snapshot(e.world)
    become(auth, waiting.user)
    response = client.post(f"/events/{e.event.id}/cancel-registration")
    assert response.status_code == 303
    assert status_of(waiting.id)[0] == S.CANCELLED
    assert snapshot(e.world) == before


def test_the_roster_names_whose_change_was_refused_and_why(app, client, auth):
    e = build_entries()
    publish(e.world.second)
    become(auth, e.organizer)
    response = client.post(
        f"/events/{e.event.id}/roster/bulk",
        data={"ids": [str(e.people[4].id), str(e.asking.id)], "action": "cancel"},
    )
    assert response.status_code == 409
    html = response.text
    # The contestant is refused, with the published round named; the request would have gone
    # through, but a bulk action happens entirely or not at all.
    assert e.people[4].user.name in html and e.world.second.name in html
    assert "撤回" in html
    assert status_of(e.people[4].id)[0] == S.CONFIRMED
    assert status_of(e.asking.id)[0] == S.PENDING


# --- A publication and a registration change at the same instant -------------------------------


@pytest.fixture
def app_config():
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 5, "pool_timeout": THREAD_TIMEOUT}}


def test_a_publication_waits_for_a_registration_change_already_cleared(app):
    """A contestant's cancellation has been cleared (nothing was published yet) and is being
    written when the organizer publishes: the publication waits for the event's lock, which the
    cancellation holds, so it publishes the ranking without them, the ranking that stays."""
    contest = make_contest(per_team_track=2, min_judges=1)
    fill_all(contest, lambda j, c: [str(10 - c), str(20 - 2 * c)])
    leaving = contest.everyone()[0]  # the best: the first place changes hands
    ids = (contest.round.id, contest.organizer.id, leaving.id)
    db.session.commit()
    cleared = threading.Event()
    canceller: list[int] = []

    def hold_on(_event, **_extra):
        # Runs after the competition has cleared the change, before it is written.
        if threading.get_ident() in canceller:
            cleared.set()
            time.sleep(1)

    def cancel():
        canceller.append(threading.get_ident())
        organizer = db.session.get(User, ids[1])
        registration = db.session.get(Registration, ids[2])
        service.cancel_registration(registration, actor=organizer, by_organizer=True)

    def publish_now():
        assert cleared.wait(THREAD_TIMEOUT)
        round_ = db.session.get(Round, ids[0])
        competitions.publish_results(round_, db.session.get(User, ids[1]))
        return [(p.contestant, p.rank) for p in competitions.load_board(round_).overall.placings]

    service.registrations_changing.connect(hold_on, weak=False)
    try:
        published = run_together(app, [cancel, publish_now])[1]
    finally:
        service.registrations_changing.disconnect(hold_on)
    db.session.rollback()
    round_ = db.session.get(Round, ids[0])
    assert round_.published_at is not None
    assert status_of(leaving.id)[0] == S.CANCELLED
    now = [(p.contestant, p.rank) for p in competitions.load_board(round_).overall.placings]
    assert leaving.id not in dict(published)
    assert published == now


def test_a_publication_waits_for_a_disqualification_already_cleared(app, monkeypatch):
    """The competition's own guarded changes take the event's lock too: a disqualification that
    found nothing published is written before a publication that comes meanwhile reads the
    ranking, so the published ranking is the one that stays."""
    from eventsite.competitions import judging

    contest = make_contest(per_team_track=2, min_judges=1)
    fill_all(contest, lambda j, c: [str(10 - c), str(20 - 2 * c)])
    leaving = contest.everyone()[0]  # the best: the first place changes hands
    ids = (contest.round.id, contest.organizer.id, leaving.id, contest.round.event_id)
    db.session.commit()
    cleared = threading.Event()
    guard = judging._refuse_if_any_published

    def guard_then_wait(event):
        guard(event)  # nothing published yet: cleared
        cleared.set()
        time.sleep(1)

    monkeypatch.setattr(judging, "_refuse_if_any_published", guard_then_wait)

    def disqualify():
        judging.set_contestant_state(
            db.session.get(Event, ids[3]),
            db.session.get(User, ids[1]),
            db.session.get(Registration, ids[2]),
            "disqualified",
            "冒名顶替",
        )

    def publish_now():
        assert cleared.wait(THREAD_TIMEOUT)
        round_ = db.session.get(Round, ids[0])
        competitions.publish_results(round_, db.session.get(User, ids[1]))
        return [(p.contestant, p.rank) for p in competitions.load_board(round_).overall.placings]

    published = run_together(app, [disqualify, publish_now])[1]
    db.session.rollback()
    round_ = db.session.get(Round, ids[0])
    assert round_.published_at is not None
    now = [(p.contestant, p.rank) for p in competitions.load_board(round_).overall.placings]
    assert dict(published)[leaving.id] is None  # listed, out of the ranking
    assert published == now
