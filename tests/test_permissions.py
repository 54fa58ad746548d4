"""Walk the URL map: every route declares a permission, and every role gets what it declares.

The scenario's organizations: the root, a province below it, two cities below the province
and a district below the first city. Its events belong to the first city. Roles tried on every
route: anonymous, member, organizer of another event (an organizer of the district below the
events' city, with an event of the district's own), the event's organizer (an organizer of the
city, on the event's list), a former organizer (still on the event's organizer list, organizer
role revoked), judge, an organizer of the sibling city (with an event of their own), an admin of
the province above the city, and a platform admin (an admin of the root). GET routes are requested: an allowed role gets 200 (or a redirect that is not to
the login page) unless GET_STATUS says otherwise; a refused one 403/404 (anonymous: the login
page). POST routes are sent without a body by every role: a refused role is turned away, an
allowed one gets a form error or a redirect, never a 500; either way nothing changes, except on
the few routes in EMPTY_POST_ACTS, where an empty body is the whole request.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from eventsite.events import checkin
from eventsite.events.models import EventKind, EventOrganizer, EventStatus, Registration
from eventsite.extensions import db
from eventsite.posters import service as poster_service
from eventsite.sportsmeet.models import (
    Captain,
    Entry,
    EntryMember,
    Heat,
    Item,
    ItemReferee,
    Lane,
    Match,
)
from tests.factories import make_event, make_registration, make_user
from tests.question_factories import make_question

ROLES = (
    "anonymous",
    "member",
    "other_organizer",
    "organizer",
    "former_organizer",
    "judge",
    "sibling_organizer",
    "parent_admin",
    "admin",
)

#: Those who manage the scenario's events: its organizer, the admin of the organization above
#: its organization, and the platform admin.
MANAGERS = {"organizer", "parent_admin", "admin"}

#: What each declared permission lets a role do on the scenario's draft-free event.
ALLOWED = {
    "public": set(ROLES),
    "login": set(ROLES) - {"anonymous"},
    "event:view": set(ROLES),
    "event:manage": MANAGERS,
    # Sports meets: the scenario's judge referees its item and its member captains its team.
    "meet:referee": {"judge", *MANAGERS},
    "meet:captain": {"member", *MANAGERS},
    # Mixers: the scenario's member checked in at the mixer; nobody else sees a member's exchange.
    "mixer:attendee": {"member"},
    # Feedback: the survey of the walk's ended mixer, where the member checked in.
    "feedback:attendee": {"member"},
    # Competitions: the scenario's judge scores the competition's round and wrote the member's
    # sheet (still a draft); the member is its contestant and may object.
    "competition:judge": {"judge"},
    "competition:sheet": {"judge", *MANAGERS},
    "competition:objector": {"member"},
    # The member leads the competition's team too (and may message it).
    "competition:leader": {"member", *MANAGERS},
    # The outboxes, every account, the site's health: the platform's admins only.
    "platform:admin": {"admin"},
    # The walk's organization is the events' city: the province's admin administers it too.
    "organization:admin": {"parent_admin", "admin"},
    "organization:organizer": {"organizer", "parent_admin", "admin"},
}


def expected_roles(permission: str) -> set[str]:
    if permission.startswith("role:"):
        wanted = set(permission[len("role:") :].split(","))
        holders = {"admin", "parent_admin"}
        if "organizer" in wanted:
            holders |= {"organizer", "other_organizer", "sibling_organizer"}
        if "judge" in wanted:
            holders.add("judge")
        if "member" in wanted:
            holders |= set(ROLES) - {"anonymous"}
        return holders
    return ALLOWED[permission]


def organization_tree() -> dict:
    """root → 安徽省总工会 → 芜湖市总工会 (→ 镜湖区总工会) and 合肥市总工会."""
    from eventsite.organizations import service as organizations

    province = organizations.create(organizations.root(), "安徽省总工会", level="province")
    city = organizations.create(province, "芜湖市总工会", level="city")
    district = organizations.create(city, "镜湖区总工会", level="district")
    sibling = organizations.create(province, "合肥市总工会", level="city")
    return {"province": province, "city": city, "district": district, "sibling": sibling}


@pytest.fixture
def scenario(app):
    tree = organization_tree()
    city = tree["city"].id
    organizer = make_user(roles=["organizer"], name="组织者", roles_on=city)
    other = make_user(roles=["organizer"], name="别的组织者", roles_on=tree["district"].id)
    sibling = make_user(roles=["organizer"], name="兄弟组织者", roles_on=tree["sibling"].id)
    former = make_user(name="前组织者")  # the organizer role was revoked; the links stayed
    judge = make_user(roles=["judge"], name="裁判")
    parent_admin = make_user(roles=["admin"], name="省工会管理员", roles_on=tree["province"].id)
    admin = make_user(roles=["admin"], name="管理员")
    member = make_user(name="会员")
    # Starting in two hours: registration is still open, and check-in already.
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=["山东队"],
        tracks=["商务英语"],
        capacity=10,
        starts_in=timedelta(hours=2),
        organization_id=city,
    )
    make_event(
        organizer=other,
        kind=EventKind.SPORTSMEET,
        teams=["站前社区队"],
        organization_id=tree["district"].id,
    )
    make_event(
        organizer=sibling,
        kind=EventKind.SPORTSMEET,
        teams=["合肥队"],
        organization_id=tree["sibling"].id,
    )
    registration = make_registration(
        event, member, team_id=event.teams[0].id, track_id=event.tracks[0].id
    )
    # A required registration question: the member's answers page shows it, and an empty
    # post of that page is refused beside it.
    make_question(event, "short_text", "工号", required=True)
    meet = make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        teams=["站前社区队"],
        organization_id=city,
    )
    db.session.add_all(
        [
            EventOrganizer(event_id=event.id, user_id=former.id),
            EventOrganizer(event_id=meet.id, user_id=former.id),
        ]
    )
    meet_team = meet.teams[0]
    meet_registration = make_registration(meet, member, team_id=meet_team.id)
    item = Item(event_id=meet.id, name="拔河", result_type="head_to_head", match_format="knockout")
    db.session.add(item)
    db.session.flush()
    entry = Entry(
        item_id=item.id,
        team_id=meet_team.id,
        members=[EntryMember(registration_id=meet_registration.id)],
    )
    heat = Heat(item_id=item.id, number=1, is_final=True)
    db.session.add_all([entry, heat, ItemReferee(item_id=item.id, user_id=judge.id)])
    db.session.add(Captain(team_id=meet_team.id, user_id=member.id))
    db.session.flush()
    heat.lanes = [Lane(entry_id=entry.id, lane=1)]
    match = Match(item_id=item.id, round=1, slot=0, home_entry_id=entry.id)
    db.session.add(match)
    db.session.commit()
    users = {
        "member": member,
        "other_organizer": other,
        "organizer": organizer,
        "former_organizer": former,
        "judge": judge,
        "sibling_organizer": sibling,
        "parent_admin": parent_admin,
        "admin": admin,
    }
    values = {
        "organization_id": city,
        "event_id": event.id,
        "registration_id": registration.id,
        "token": checkin.token_for(registration),
        "code": "en",
        "user_id": member.id,
        "notification_id": 1,
        "id": 1,
        "role": "judge",
        "team_id": event.teams[0].id,
        "filename": "css/site.css",
        "kind": "mixer",
        "size": "card",
        # The walk's event shows a cover of its own (a picture kept like an upload).
        "key": poster_service.give_drawn_cover(event, Image.new("RGB", (640, 360))).new_key,
    }
    #: Sports meet routes are walked on the organizer's meet rather than the competition.
    values["sportsmeet"] = {
        "event_id": meet.id,
        "item_id": item.id,
        "team_id": meet_team.id,
        "heat_id": heat.id,
        "match_id": match.id,
        "sheet": "standings",
    }
    #: Mixer routes are walked on an ended mixer whose window is open, where the member checked
    #: in, set up a card and matched a partner; the partner asked the member for an introduction
    #: and reported them.
    values["mixers"] = mixer_scenario(organizer, former, member)
    values["competitions"] = competition_scenario(event, judge, registration)
    values["general"] = general_scenario(organizer, former, member, city)
    values["sessions"] = sessions_scenario(organizer, former, member, city)
    values |= question_scenario(event, meet)
    #: Feedback routes are walked on the mixer: it ended an hour ago, so its survey is open to
    #: the member, who checked in.
    values["feedback"] = {"event_id": values["mixers"]["event_id"]}
    db.session.commit()
    # Every scheduler job ran just now, so /status answers 200 (all checks ok) to those it lets
    # in; an hour's grace, so that however slowly the walk runs the heartbeat never goes stale.
    from eventsite.scheduler import job_specs, run_with_heartbeat

    for spec in job_specs(app):
        run_with_heartbeat(spec.id, lambda: None)
    app.config["SCHEDULER_STALE_SECONDS"] = 3600
    return users, values, event


def general_scenario(organizer, former, member, organization_id) -> dict:
    """A union activity (工会活动) of the city starting in two hours, where the member holds a
    confirmed place with two companions; walked by `test_each_role_on_a_general_event`."""
    general = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        capacity=20,
        max_companions=3,
        starts_in=timedelta(hours=2),
        organization_id=organization_id,
    )
    db.session.add(EventOrganizer(event_id=general.id, user_id=former.id))
    registration = make_registration(general, member, companions=2)
    return {
        "event_id": general.id,
        "registration_id": registration.id,
        "token": checkin.token_for(registration),
    }


def sessions_scenario(organizer, former, member, city: int) -> dict:
    """Session routes are walked on a general event of the organizer's held in two sessions:
    the member holds a place in the second; the first is empty (and may be removed)."""
    from eventsite.events.models import EventSession

    event = make_event(organizer=organizer, kind=EventKind.GENERAL, organization_id=city)
    db.session.add(EventOrganizer(event_id=event.id, user_id=former.id))
    empty, held = (
        EventSession(
            event_id=event.id,
            label=label,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            capacity=5,
            position=position,
        )
        for position, label in enumerate(["第一场", "第二场"])
    )
    db.session.add_all([empty, held])
    db.session.flush()
    registration = make_registration(event, member, session_id=held.id)
    return {"event_id": event.id, "session_id": empty.id, "registration_id": registration.id}


def competition_scenario(event, judge, registration) -> dict:
    """A paper-mode round of the competition with one criterion, the judge on its track, and
    the judge's draft sheet for the member (a draft, so the round cannot be published); the
    member leads their own team."""
    from decimal import Decimal

    from eventsite.competitions.models import (
        Criterion,
        JudgeAssignment,
        Round,
        Score,
        ScoreSheet,
        TeamLeader,
    )

    contest_round = Round(event_id=event.id, name="决赛", position=1, double_entry=True)
    contest_round.criteria = [Criterion(name="专业知识", max_score=Decimal(10), step=Decimal(1))]
    db.session.add(contest_round)
    db.session.flush()
    assignment = JudgeAssignment(
        round_id=contest_round.id, track_id=registration.track_id, user_id=judge.id
    )
    sheet = ScoreSheet(
        round_id=contest_round.id, judge_id=judge.id, registration_id=registration.id
    )
    sheet.scores = [Score(criterion_id=contest_round.criteria[0].id, value=Decimal(5))]
    leader = TeamLeader(team_id=registration.team_id, user_id=registration.user_id)
    db.session.add_all([assignment, sheet, leader])
    db.session.flush()
    return {
        "round_id": contest_round.id,
        "sheet_id": sheet.id,
        "assignment_id": assignment.id,
        "judge_id": judge.id,
        "objection_id": 1,
    }


def question_scenario(event, meet) -> dict:
    """A registration question on the competition (the designer's routes are walked on it,
    under /events/<id>/questions) with a choice; the meet has one too, so the copy form shows."""
    from tests.question_factories import make_question

    question = make_question(event, "single_choice", "T恤尺码", choices=[("M", 10), "L"])
    make_question(meet, "short_text", "工号")
    return {"purpose": "registration", "question_id": question.id}


def mixer_scenario(organizer, former, member) -> dict:
    from datetime import timedelta

    from eventsite.core.time import utcnow
    from eventsite.mixers import service as mixers
    from eventsite.mixers.models import IntroductionRequest, Report
    from tests.mixer_factories import Mixer, check_in, make_mixer, mark, number_of, set_up

    mixer: Mixer = make_mixer(organizer=organizer, reveal="at_once")
    mixer.event.organization_id = organizer.role_grants[0].organization_id
    db.session.add(EventOrganizer(event_id=mixer.event.id, user_id=former.id))
    partner = make_user(gender="female", name="搭档")
    for user in (member, partner):
        check_in(mixer, user)
        set_up(mixer, user)
    mark(mixer, member, partner)
    mark(mixer, partner, member)
    now = utcnow()
    request = IntroductionRequest(
        event_id=mixer.event.id,
        requester_id=partner.id,
        recipient_id=member.id,
        note="你好",
        sent_at=now,
        expires_at=now + timedelta(days=7),
    )
    report = Report(
        event_id=mixer.event.id, reporter_id=partner.id, reported_id=member.id, reason="测试"
    )
    db.session.add_all([request, report])
    db.session.flush()
    assert mixers.visible_cards(mixer.event, member.id, now)
    return {
        "event_id": mixer.event.id,
        "number": number_of(mixer, partner),
        "request_id": request.id,
        "report_id": report.id,
        "fmt": "json",
    }


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def test_every_route_declares_a_permission(app):
    missing = [
        rule.endpoint
        for rule in routes(app)
        if not hasattr(app.view_functions[rule.endpoint], "permission")
    ]
    assert missing == []


#: The scenarios of their own that some features' routes are walked on.
SCENARIOS = ("sportsmeet", "mixers", "competitions", "sessions", "feedback")

#: Routes of another blueprint walked on one of those scenarios: {endpoint: scenario}. The
#: printed certificates come from a competition's round or from a meet.
SCOPED = {
    "printing.competition_certificates": "competitions",
    "printing.meet_certificates": "sportsmeet",
}


def scenario_of(endpoint: str) -> str | None:
    """The scenario a route is walked on (None: the walk's competition event)."""
    blueprint = endpoint.split(".", 1)[0]
    return SCOPED.get(endpoint, blueprint if blueprint in SCENARIOS else None)


def build(rule, values):
    scoped = scenario_of(rule.endpoint)
    if scoped is not None:
        values = values | values[scoped]
    unknown = [arg for arg in rule.arguments if arg not in values]
    assert not unknown, f"{rule.endpoint}: give the walk a value for {unknown}"
    return rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]


#: Tables no request of the walk may touch (the scheduler's job store belongs to no request).
UNWATCHED = {"alembic_version", "apscheduler_jobs"}


def state(app):
    """A fingerprint of every row of every table: what a refused or empty POST must not change."""
    # The test holds the app context, so requests share its session: end their transaction.
    db.session.rollback()
    tables = sorted(set(sa.inspect(db.engine).get_table_names()) - UNWATCHED)
    # The driver's own cursor: the same rows as through SQLAlchemy, without its cost per
    # statement (two fingerprints of every table for every POST of every role add up).
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    rows = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
        rows[table] = tuple(tuple(str(value) for value in row) for row in cursor.fetchall())
    cursor.close()
    db.session.rollback()
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before if before[table] != after.get(table))


#: Allowed GETs that rightly answer something other than 200 to the walk's values:
#: {endpoint: (status, allowed roles that get 200 all the same)}.
GET_STATUS: dict[str, tuple[int, set[str]]] = {
    # The walk's registration is the member's; another member's code is not found.
    "events.qr_svg": (404, {"member"}),
    # Needs the pasted code as ?code=; without it the desk shows the error beside the field.
    "roster.checkin_scan": (400, set()),
    # The other attendee's number comes as ?number= (never in the path, which is logged);
    # without it there is nobody to introduce, block or report.
    "mixers.introduce": (404, set()),
    "mixers.safety": (404, set()),
    # Only a deployment that names SECURITY_CONTACT publishes security.txt.
    "core.security_txt": (404, set()),
    # A member's own answers: only the walk's member is registered for the event.
    "answers.my_answers": (404, {"member"}),
    # Certificates come from final results: the walk's round is unpublished and its meet has
    # no final item, so a manager is sent back to the results with the reason.
    "printing.competition_certificates": (303, set()),
    "printing.meet_certificates": (303, set()),
}

#: Refused routes whose page the walk's member sees all the same, as the owner of what the
#: path names: {endpoint: roles}. The check-in link in the walk is the member's own: opening it
#: shows them their code and what it is for (200), though only organizers check in with it.
OWNER_PAGES: dict[str, set[str]] = {"roster.check_in_by_token": {"member"}}

#: What an item's entries take with them, and what the item takes with it.
ENTRY_TABLES = {"meet_entry", "meet_entry_member", "meet_lane", "meet_match"}
ITEM_TABLES = {"meet_item", "meet_item_referee", "meet_heat", *ENTRY_TABLES}

#: POST routes where an empty body is the whole request (a button, or a form whose every field
#: may be left empty), so an allowed role's empty POST rightly changes something:
#: {endpoint: (roles that act, tables the act changes)}. The walk skips them for those roles;
#: `test_an_empty_post_that_is_the_whole_request` checks each on a scenario of its own.
EMPTY_POST_ACTS: dict[str, tuple[set[str], set[str]]] = {
    # The member's "cancel my registration" button.
    "events.cancel_registration": ({"member"}, {"registration"}),
    # The check-in desk's buttons: the token or the registration id in the URL says who.
    "roster.check_in_by_token": (MANAGERS, {"registration", "audit_entry"}),
    "roster.check_in_registration": (MANAGERS, {"registration", "audit_entry"}),
    # The "remove the cover picture" button (the walk's event has one).
    "posters.remove_cover": (MANAGERS, {"event", "audit_entry"}),
    # The "remove session" button (the walk's session is empty).
    "sessions.remove_session": (MANAGERS, {"event_session", "audit_entry"}),
    # The "remove item" button (the scenario's item has no results yet).
    "sportsmeet.delete_item": (MANAGERS, {"audit_entry", *ITEM_TABLES}),
    # Settings left empty are the defaults (points by number of teams, no limits): they are
    # stored, and as no setting changed, the audit log gets nothing.
    "sportsmeet.setup": (MANAGERS, {"meet_settings"}),
    # (The captain's entries grid is not here: with no box ticked it changes nothing and asks
    # for a confirmation, and a drawn item's entries never change through it.)
    # The member's "withdraw my contact card" button. ("Hide this match" names the other
    # attendee's number in its form: an empty post hides nothing.)
    "mixers.withdraw": ({"member"}, {"mixer_contact_card"}),
    # The organizer's "mark as reviewed" button on a report.
    "mixers.review": (MANAGERS, {"mixer_report", "audit_entry"}),
    # The "remove" button beside a judge's track assignment.
    "competitions.unassign_judge": (MANAGERS, {"comp_judge", "audit_entry"}),
    # "Log out" ends this device's session, and "sign out everywhere else" the others (the
    # walk signs each role in anew before every route, so there are others).
    "accounts.logout": (set(ROLES) - {"anonymous"}, {"signed_in_device"}),
    "accounts.sign_out_others": (set(ROLES) - {"anonymous"}, {"signed_in_device"}),
    # The SMS choices: every box left unticked is a choice too (no optional notice by SMS).
    "accounts.sms_choices": (set(ROLES) - {"anonymous"}, {"user"}),
    # "I do not accept" the privacy notice: recorded in the audit log, and this device signed
    # out. ("I accept" changes nothing for the walk's members, who accepted when they joined.)
    "accounts.decline_privacy_notice": (
        set(ROLES) - {"anonymous"},
        {"audit_entry", "signed_in_device"},
    ),
}


def acts(endpoint: str, role: str) -> bool:
    return role in EMPTY_POST_ACTS.get(endpoint, (set(), set()))[0]


def check_get(client, rule, url, role, allowed, permission):
    response = client.get(url)
    db.session.rollback()
    status = response.status_code
    where = (rule.endpoint, role, status)
    if allowed:
        expected, regardless = GET_STATUS.get(rule.endpoint, (200, set()))
        if role in regardless:
            expected = 200
        if status == 302 and expected == 200:
            assert "/login" not in response.headers["Location"], where
        else:
            assert status == expected, where
    elif role in OWNER_PAGES.get(rule.endpoint, set()):
        assert status == 200, where
    elif role == "anonymous":
        assert status in (302, 401, 404), where
        if status == 302:
            assert "/login" in response.headers["Location"], where
    elif role == "former_organizer" and permission in MANAGE_PERMISSIONS:
        assert status == 403, where
    else:
        assert status in (403, 404), where


#: Permissions an event's organizer list once granted; a former organizer gets 403 on each.
MANAGE_PERMISSIONS = {"event:manage", "meet:referee", "meet:captain", "competition:leader"}


def check_post(app, client, rule, url, role, allowed, permission):
    before = state(app)
    response = client.post(url, data={})
    status = response.status_code
    after = state(app)
    where = (rule.endpoint, role, status)
    if allowed:
        assert status in (302, 303) or 400 <= status < 500, where
        assert status not in (401, 403), where
        if status in (302, 303):
            assert "/login" not in response.headers["Location"], where
        assert changed_tables(before, after) == [], where
        return
    assert status in (302, 401, 403, 404), where
    if status == 302:
        assert "/login" in response.headers["Location"], where
    if role == "former_organizer" and permission in MANAGE_PERMISSIONS:
        assert status == 403, where
    assert changed_tables(before, after) == [], where


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_each_route_declares(app, client, auth, scenario, role):
    users, values, _event = scenario
    checked = 0
    for rule in routes(app):
        if role != "anonymous":
            auth.become(users[role])  # again: an allowed POST to /logout ends the session
        permission = app.view_functions[rule.endpoint].permission
        allowed = role in expected_roles(permission)
        url = build(rule, values)
        if "GET" in rule.methods:
            check_get(client, rule, url, role, allowed, permission)
            checked += 1
        if "POST" in rule.methods and not acts(rule.endpoint, role):
            check_post(app, client, rule, url, role, allowed, permission)
            checked += 1
    assert checked > 20


ACTING = sorted(
    (endpoint, role) for endpoint, (roles, _tables) in EMPTY_POST_ACTS.items() for role in roles
)


@pytest.mark.parametrize(("endpoint", "role"), ACTING)
def test_an_empty_post_that_is_the_whole_request(app, client, auth, scenario, endpoint, role):
    """Each of EMPTY_POST_ACTS does its act, and only that, on a scenario of its own."""
    users, values, _event = scenario
    [rule] = [rule for rule in routes(app) if rule.endpoint == endpoint]
    auth.become(users[role])  # signed in elsewhere too: "sign out everywhere else" ends it
    auth.become(users[role])
    before = state(app)
    response = client.post(build(rule, values), data={})
    assert response.status_code in (302, 303), response.status_code
    assert "/login" not in response.headers["Location"]
    assert set(changed_tables(before, state(app))) == EMPTY_POST_ACTS[endpoint][1]


def test_draft_event_is_hidden_from_everyone_but_its_managers(app, client, auth, scenario):
    users, _values, event = scenario
    event.status = EventStatus.DRAFT
    db.session.commit()
    for role, expected in [
        ("member", 404),
        ("other_organizer", 404),
        ("sibling_organizer", 404),
        ("organizer", 200),
        ("parent_admin", 200),
        ("admin", 200),
    ]:
        auth.become(users[role])
        assert client.get(f"/events/{event.id}").status_code == expected, role
    auth.logout()
    assert client.get(f"/events/{event.id}").status_code == 404


def test_checkin_token_needs_the_events_organizer(app, client, auth, scenario):
    users, values, _event = scenario
    url = f"/checkin/{values['token']}"
    for role in ("member", "other_organizer", "sibling_organizer", "former_organizer", "judge"):
        auth.become(users[role])
        assert client.post(url).status_code == 403, role
    assert db.session.scalar(sa.select(Registration.checked_in_at)) is None


#: The event pages walked again on the scenario's general event, where the teams page is not
#: found (a union activity has no teams).
GENERAL_GET_STATUS = {"events.teams": (404, set())}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_on_a_general_event(app, client, auth, scenario, role, monkeypatch):
    """Every event, roster and check-in route on a union activity gives each role what it
    declares, as on the competition."""
    users, values, _event = scenario
    walked = values | values["general"]
    for endpoint, answer in GENERAL_GET_STATUS.items():
        monkeypatch.setitem(GET_STATUS, endpoint, answer)
    checked = 0
    for rule in routes(app):
        if not rule.endpoint.startswith(("events.", "roster.")) or not (
            {"event_id", "registration_id", "token"} & set(rule.arguments)
        ):
            continue
        if role != "anonymous":
            auth.become(users[role])
        permission = app.view_functions[rule.endpoint].permission
        allowed = role in expected_roles(permission)
        url = build(rule, walked)
        if "GET" in rule.methods:
            check_get(client, rule, url, role, allowed, permission)
            checked += 1
        if "POST" in rule.methods and not acts(rule.endpoint, role):
            check_post(app, client, rule, url, role, allowed, permission)
            checked += 1
    assert checked > 20
