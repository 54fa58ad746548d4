"""Captains enter their own team's members into items, before the lock, and see every broken rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from eventsite.extensions import db
from eventsite.sportsmeet.models import Entry, EntryMember, MeetSettings
from tests.factories import make_user
from tests.sportsmeet_factories import audit_actions, make_captain, make_item, make_meet


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def meet(app, clock):
    meet = make_meet(per_team=5, women=2)
    db.session.add(MeetSettings(event_id=meet.event.id, per_person_limit=2))
    db.session.commit()
    return meet


@pytest.fixture
def team(meet):
    return meet.teams[0]


@pytest.fixture
def captain(meet, team, client, auth):
    user = make_captain(meet, team)
    db.session.commit()
    auth.become(user)
    return user


def url(meet, team):
    return f"/events/{meet.event.id}/meet/teams/{team.id}/entries"


def saved(team) -> dict[int, set[int]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(Entry.item_id, EntryMember.registration_id)
        .join(EntryMember)
        .where(Entry.team_id == team.id)
    ).all()
    selection: dict[int, set[int]] = {}
    for item_id, reg in rows:
        selection.setdefault(item_id, set()).add(reg)
    return selection


def test_captain_enters_members_and_sees_them_ticked(client, meet, team, captain):
    relay = make_item(meet, name="接力", min_members=2, max_members=3, min_women=1)
    rope = make_item(meet, name="跳长绳", min_members=1, max_members=5)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    response = client.post(
        url(meet, team),
        data={f"item-{relay.id}": members[:2], f"item-{rope.id}": members[2:4]},
    )
    assert response.status_code == 303
    assert saved(team) == {relay.id: set(members[:2]), rope.id: set(members[2:4])}
    assert [a for a, _d in audit_actions(meet.event)] == ["meet.entries"]
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert (
        f'id="item-{relay.id}-{members[0]}" name="item-{relay.id}" value="{members[0]}" checked'
        in page
    )
    # Changing the selection replaces the entry's members; an empty item withdraws the team.
    client.post(url(meet, team), data={f"item-{relay.id}": [members[0], members[4]]})
    assert saved(team) == {relay.id: {members[0], members[4]}}


def test_individual_items_get_one_entry_per_person(client, meet, team, captain):
    item = make_item(meet, name="投篮", individual=True, max_members=2, result_type="count")
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    client.post(url(meet, team), data={f"item-{item.id}": members[:2]})
    db.session.rollback()
    entries = db.session.scalars(sa.select(Entry).where(Entry.item_id == item.id)).all()
    assert sorted(len(e.members) for e in entries) == [1, 1]
    client.post(url(meet, team), data={f"item-{item.id}": members[1:3]})
    db.session.rollback()
    entries = db.session.scalars(sa.select(Entry).where(Entry.item_id == item.id)).all()
    assert sorted(m.registration_id for e in entries for m in e.members) == members[1:3]


def test_blocking_rules_refuse_the_whole_save_and_show_every_problem(client, meet, team, captain):
    small = make_item(meet, name="两人三足", min_members=2, max_members=2)
    a = make_item(meet, name="甲", max_members=5)
    b = make_item(meet, name="乙", max_members=5)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    response = client.post(
        url(meet, team),
        data={
            f"item-{small.id}": members[:3],  # one too many
            f"item-{a.id}": [members[4], members[0]],
            f"item-{b.id}": [members[4], members[0]],  # members[0] is in 3 items; limit 2
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert "3 members chosen; at most 2 may enter." in page
    name = meet.members[team.id][0].user.name
    assert f"{name} is entered in 3 items; the limit is 2 per person." in page
    assert saved(team) == {}
    assert audit_actions(meet.event) == []


def test_too_few_members_or_women_are_saved_but_shown_until_fixed(client, meet, team, captain):
    relay = make_item(meet, name="混合接力", min_members=4, max_members=4, min_women=2)
    db.session.commit()
    men = [r.id for r in meet.members[team.id][2:]]  # the first two are women
    response = client.post(url(meet, team), data={f"item-{relay.id}": men})
    assert response.status_code == 303
    assert saved(team) == {relay.id: set(men)}
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert "3 members chosen; at least 4 are needed." in page
    assert "0 women chosen; at least 2 are needed." in page


def test_someone_from_another_team_cannot_be_slipped_in(client, meet, team, captain):
    item = make_item(meet, max_members=5)
    db.session.commit()
    outsider = meet.members[meet.teams[1].id][0].id
    response = client.post(url(meet, team), data={f"item-{item.id}": [outsider]})
    assert response.status_code == 400
    assert "not a confirmed member of this team" in response.get_data(as_text=True)
    assert saved(team) == {}


def test_after_the_lock_nothing_changes(client, meet, team, captain, clock):
    item = make_item(meet, max_members=5)
    settings = db.session.get(MeetSettings, meet.event.id)
    settings.entries_lock_at = clock.now + timedelta(hours=1)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    assert client.post(url(meet, team), data={f"item-{item.id}": members[:1]}).status_code == 303
    clock.advance(hours=1)
    response = client.post(url(meet, team), data={f"item-{item.id}": members[:3]})
    assert response.status_code == 409
    assert "Entries are locked" in response.get_data(as_text=True)
    assert saved(team) == {item.id: {members[0]}}
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert "disabled" in page and "Save entries" not in page


def test_without_a_lock_time_entries_lock_when_the_meet_starts(client, meet, team, captain, clock):
    item = make_item(meet, max_members=5)
    settings = db.session.get(MeetSettings, meet.event.id)
    settings.entries_lock_at = None
    db.session.commit()
    clock.now = meet.event.starts_at
    response = client.post(url(meet, team), data={f"item-{item.id}": [meet.members[team.id][0].id]})
    assert response.status_code == 409
    assert saved(team) == {}


def test_a_captain_cannot_touch_another_team(client, meet, team, captain):
    item = make_item(meet, max_members=5)
    db.session.commit()
    other = meet.teams[1]
    assert client.get(url(meet, other)).status_code == 403
    response = client.post(
        url(meet, other), data={f"item-{item.id}": [meet.members[other.id][0].id]}
    )
    assert response.status_code == 403
    assert saved(other) == {}


def test_a_member_who_is_not_captain_is_refused_and_the_organizer_may_help(
    client, auth, meet, team
):
    item = make_item(meet, max_members=5)
    db.session.commit()
    auth.become(meet.members[team.id][1].user)
    assert client.get(url(meet, team)).status_code == 403
    auth.become(make_user(roles=["judge"]))
    assert client.get(url(meet, team)).status_code == 403
    auth.become(meet.organizer)
    reg = meet.members[team.id][1].id
    assert client.post(url(meet, team), data={f"item-{item.id}": [reg]}).status_code == 303
    assert saved(team) == {item.id: {reg}}


def test_captain_page_shows_the_lock_time_and_limit(client, meet, team, captain):
    make_item(meet)
    db.session.commit()
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert "Entries lock at" in page
    assert "at most 2 items" in page
