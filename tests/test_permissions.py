"""Walk the URL map: every route declares a permission, and every role gets what it declares.

Roles tried on every route: anonymous, member, organizer of another event, the event's
organizer, judge, admin. GET routes are requested; POST routes are sent without a body by the
roles that must be refused, and must be refused before anything changes.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from eventsite.events import checkin
from eventsite.events.models import EventKind, EventStatus, Registration
from eventsite.extensions import db
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

ROLES = ("anonymous", "member", "other_organizer", "organizer", "judge", "admin")

#: What each declared permission lets a role do on the scenario's draft-free event.
ALLOWED = {
    "public": set(ROLES),
    "login": set(ROLES) - {"anonymous"},
    "event:view": set(ROLES),
    "event:manage": {"organizer", "admin"},
    # Sports meets: the scenario's judge referees its item and its member captains its team.
    "meet:referee": {"judge", "organizer", "admin"},
    "meet:captain": {"member", "organizer", "admin"},
}


def expected_roles(permission: str) -> set[str]:
    if permission.startswith("role:"):
        wanted = set(permission[len("role:") :].split(","))
        holders = {"admin"}
        if "organizer" in wanted:
            holders |= {"organizer", "other_organizer"}
        if "judge" in wanted:
            holders.add("judge")
        if "member" in wanted:
            holders |= set(ROLES) - {"anonymous"}
        return holders
    return ALLOWED[permission]


@pytest.fixture
def scenario(app):
    organizer = make_user(roles=["organizer"], name="组织者")
    other = make_user(roles=["organizer"], name="别的组织者")
    judge = make_user(roles=["judge"], name="裁判")
    admin = make_user(roles=["admin"], name="管理员")
    member = make_user(name="会员")
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=["山东队"],
        tracks=["商务英语"],
        capacity=10,
    )
    make_event(organizer=other, kind=EventKind.SPORTSMEET, teams=["站前社区队"])
    registration = make_registration(
        event, member, team_id=event.teams[0].id, track_id=event.tracks[0].id
    )
    meet = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, teams=["站前社区队"])
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
        "judge": judge,
        "admin": admin,
    }
    values = {
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
    return users, values, event


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


def build(rule, values):
    if rule.endpoint.startswith("sportsmeet."):
        values = values | values["sportsmeet"]
    unknown = [arg for arg in rule.arguments if arg not in values]
    assert not unknown, f"{rule.endpoint}: give the walk a value for {unknown}"
    return rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]


def state(app):
    """A fingerprint of the tables a refused request must not change."""
    tables = [
        "registration",
        "event",
        "user_role",
        "event_organizer",
        "team",
        "track",
        "audit_entry",
        "meet_settings",
        "meet_item",
        "meet_item_referee",
        "meet_captain",
        "meet_entry",
        "meet_entry_member",
        "meet_heat",
        "meet_lane",
        "meet_result",
        "meet_match",
    ]
    # The test holds the app context, so requests share its session: end their transaction.
    db.session.rollback()
    counts = {
        t: db.session.execute(sa.text(f'SELECT COUNT(*) FROM "{t}"')).scalar() for t in tables
    }
    statuses = db.session.execute(
        sa.text("SELECT status, checked_in_at FROM registration ORDER BY id")
    ).all()
    db.session.rollback()
    return counts | {"statuses": tuple(statuses)}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_each_route_declares(app, client, auth, scenario, role):
    users, values, _event = scenario
    if role != "anonymous":
        auth.become(users[role])
    checked = 0
    for rule in routes(app):
        permission = app.view_functions[rule.endpoint].permission
        allowed = role in expected_roles(permission)
        url = build(rule, values)
        if "GET" in rule.methods:
            response = client.get(url)
            db.session.rollback()
            checked += 1
            if allowed:
                assert response.status_code < 500, (rule.endpoint, response.status_code)
                assert response.status_code not in (401, 403), (rule.endpoint, role)
                if response.status_code == 302:
                    assert "/login" not in response.headers["Location"], (rule.endpoint, role)
            elif role == "anonymous":
                assert response.status_code in (302, 401, 404), (
                    rule.endpoint,
                    response.status_code,
                )
                if response.status_code == 302:
                    assert "/login" in response.headers["Location"], rule.endpoint
            else:
                assert response.status_code in (403, 404), (
                    rule.endpoint,
                    role,
                    response.status_code,
                )
        if "POST" in rule.methods and not allowed:
            before = state(app)
            response = client.post(url, data={})
            checked += 1
            assert response.status_code in (302, 401, 403, 404), (
                rule.endpoint,
                role,
                response.status_code,
            )
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (rule.endpoint, role)
            assert state(app) == before, (rule.endpoint, role)
    assert checked > 20


def test_draft_event_is_hidden_from_everyone_but_its_managers(app, client, auth, scenario):
    users, _values, event = scenario
    event.status = EventStatus.DRAFT
    db.session.commit()
    for role, expected in [
        ("member", 404),
        ("other_organizer", 404),
        ("organizer", 200),
        ("admin", 200),
    ]:
        auth.become(users[role])
        assert client.get(f"/events/{event.id}").status_code == expected, role
    auth.logout()
    assert client.get(f"/events/{event.id}").status_code == 404


def test_checkin_token_needs_the_events_organizer(app, client, auth, scenario):
    users, values, _event = scenario
    url = f"/checkin/{values['token']}"
    for role in ("member", "other_organizer", "judge"):
        auth.become(users[role])
        assert client.post(url).status_code == 403, role
    assert db.session.scalar(sa.select(Registration.checked_in_at)) is None
