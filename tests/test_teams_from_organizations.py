"""Competitions and sports meets take their teams from an organization's direct children in one
action (the 12 provincial teams of a national final; a street union's four community teams)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from eventsite.core.models import AuditEntry
from eventsite.events.models import EventKind, EventStatus, Team
from eventsite.extensions import db
from eventsite.organizations import service as organizations
from tests.factories import make_event, make_user


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


# --- Through the app ----------------------------------------------------------------------------

COMMUNITIES = ["站前社区工会", "铁锋社区工会", "龙华社区工会", "新兴社区工会"]


@pytest.fixture
def street(app):
    root = organizations.root()
    city = organizations.create(root, "齐齐哈尔市总工会")
    street = organizations.create(city, "站前街道总工会")
    for name in COMMUNITIES:
        organizations.create(street, name)
    other = organizations.create(city, "别的街道总工会")
    organizations.create(other, "别的社区工会")
    db.session.commit()
    return {"city": city, "street": street, "other": other}


def test_a_meet_takes_the_four_community_teams_in_one_action(client, auth, street):
    organizer = make_user(roles=["organizer"])
    meet = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, organization_id=street["street"].id
    )
    db.session.commit()
    auth.become(organizer)
    page = client.get(f"/events/{meet.id}/teams").get_data(as_text=True)
    assert "站前街道总工会" in page and "别的街道总工会" not in page  # the event's subtree only
    response = client.post(
        f"/events/{meet.id}/teams/from-organization",
        data={"organization_id": street["street"].id},
    )
    assert response.status_code == 303
    teams = db.session.scalars(sa.select(Team).where(Team.event_id == meet.id)).all()
    assert sorted(team.name for team in teams) == sorted(COMMUNITIES)
    assert {team.organization.parent_id for team in teams} == {street["street"].id}
    assert (
        db.session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "event.teams"))
        .one()
        .count("+ ")
        == 4
    )
    # Again: nothing is missing, refused beside the choice, nothing changes.
    response = client.post(
        f"/events/{meet.id}/teams/from-organization",
        data={"organization_id": street["street"].id},
    )
    assert response.status_code == 400
    assert "already has its team" in response.get_data(as_text=True)
    assert db.session.query(Team).filter_by(event_id=meet.id).count() == 4


def test_a_competition_held_by_the_root_takes_the_provincial_teams(client, auth, app):
    root = organizations.root()
    provinces = [organizations.create(root, f"{name}省总工会") for name in ("山东", "江苏", "安徽")]
    admin = make_user(roles=["admin"])
    contest = make_event(
        kind=EventKind.COMPETITION,
        status=EventStatus.DRAFT,
        teams=["山东省总工会"],
        tracks=["英语"],
    )
    db.session.commit()
    auth.become(admin)
    client.post(f"/events/{contest.id}/teams/from-organization", data={"organization_id": root.id})
    teams = {
        team.name: team.organization_id
        for team in db.session.query(Team).filter_by(event_id=contest.id)
    }
    # The team typed by hand stays as it was; the two missing provinces arrive with theirs.
    assert teams == {
        "山东省总工会": None,
        "江苏省总工会": provinces[1].id,
        "安徽省总工会": provinces[2].id,
    }


@pytest.mark.parametrize("value", ["", "abc", "99999999999"])
def test_a_bad_choice_is_refused_beside_the_field(client, auth, street, value):
    organizer = make_user(roles=["organizer"])
    meet = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, organization_id=street["street"].id
    )
    db.session.commit()
    auth.become(organizer)
    response = client.post(
        f"/events/{meet.id}/teams/from-organization", data={"organization_id": value}
    )
    assert response.status_code == 400
    assert 'id="organization_id-errors"' in response.get_data(as_text=True)
    assert db.session.query(Team).filter_by(event_id=meet.id).count() == 0


def test_an_organization_outside_the_events_subtree_is_refused(app, street):
    from eventsite.events import service

    organizer = make_user(roles=["organizer"])
    meet = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, organization_id=street["street"].id
    )
    with pytest.raises(service.EventError, match="one below it"):
        service.teams_from_organization(meet, organizer, street["other"].id)
    leaf = db.session.scalars(
        sa.select(organizations.Organization).where(
            organizations.Organization.name == COMMUNITIES[0]
        )
    ).one()
    with pytest.raises(service.EventError, match="no organizations below it"):
        service.teams_from_organization(meet, organizer, leaf.id)


def test_a_mixer_has_no_teams(client, auth, app):
    admin = make_user(roles=["admin"])
    mixer = make_event(kind=EventKind.MIXER)
    db.session.commit()
    auth.become(admin)
    assert (
        client.post(
            f"/events/{mixer.id}/teams/from-organization", data={"organization_id": 1}
        ).status_code
        == 404
    )
