"""Captains enter their own team's members into items, before the lock, and see every broken rule."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from eventsite.extensions import db
from eventsite.sportsmeet.models import Entry, EntryMember, Lane, MeetSettings
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
    assert "Save entries" not in page


def test_after_the_lock_the_page_lists_who_is_entered_instead_of_a_grid(
    client, meet, team, captain, clock
):
    relay = make_item(meet, name="趣味接力", max_members=5)
    rope = make_item(meet, name="跳长绳", max_members=5)
    settings = db.session.get(MeetSettings, meet.event.id)
    settings.entries_lock_at = clock.now + timedelta(hours=1)
    db.session.commit()
    members = meet.members[team.id]
    chosen = members[:2]
    client.post(url(meet, team), data={f"item-{relay.id}": [r.id for r in chosen]})
    clock.advance(hours=1)
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert 'type="checkbox"' not in page
    summary = page[page.index('id="entry-summary"') :]
    relay_part = summary[
        summary.index(f'id="item-{relay.id}"') : summary.index(f'id="item-{rope.id}"')
    ]
    assert "2 entered" in relay_part
    assert [r.user.name in relay_part for r in members] == [r in chosen for r in members]
    rope_part = summary[summary.index(f'id="item-{rope.id}"') :]
    assert "0 entered" in rope_part and "The team has no one in this item." in rope_part


def test_before_the_lock_the_editable_grid_is_shown(client, meet, team, captain):
    item = make_item(meet, max_members=5)
    db.session.commit()
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert f'name="item-{item.id}"' in page and 'type="checkbox"' in page
    assert "Save entries" in page


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


def rules_line(page: str, item) -> str:
    """The line under an item's name that says what the item asks of each team."""
    return " ".join(page.split(f'id="item-{item.id}-rules">')[1].split("</p>")[0].split())


def test_each_item_says_in_words_how_many_a_team_enters(client, meet, team, captain):
    single = make_item(meet, name="单人跳绳", min_members=1, max_members=1)
    relay = make_item(meet, name="接力", min_members=4, max_members=4, min_women=2)
    rope = make_item(meet, name="跳长绳", min_members=2, max_members=6)
    shots = make_item(meet, name="投篮", min_members=1, max_members=3, individual=True)
    free = make_item(meet, name="趣味健步走", min_members=1, max_members=None)
    tug = make_item(meet, name="拔河", min_members=5, max_members=None)
    db.session.commit()
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert rules_line(page, single) == "Each team enters 1 member · 0 chosen"
    assert rules_line(page, relay) == "Each team enters 4 members · at least 2 women · 0 chosen"
    assert rules_line(page, rope) == "Each team enters 2 to 6 members · 0 chosen"
    assert rules_line(page, shots) == (
        "Each team enters up to 3 members · each placed on their own · 0 chosen"
    )
    assert rules_line(page, free) == "Each team enters as many members as it likes · 0 chosen"
    assert rules_line(page, tug) == (
        "Each team enters at least 5 members, with no upper limit · 0 chosen"
    )


def test_an_item_without_a_limit_takes_the_whole_team(client, meet, team, captain):
    free = make_item(meet, name="趣味健步走", min_members=1, max_members=None)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    response = client.post(url(meet, team), data={f"item-{free.id}": members})
    assert response.status_code == 303
    assert saved(team) == {free.id: set(members)}


# --- the draw fixes an item's entries; an empty grid needs confirming ---------------------------


def _draw(client, auth, meet, item):
    """The organizer draws the item's heats (lanes of 8) through the real page."""
    auth.become(meet.organizer)
    response = client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/draw", data={"lanes": "8"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_an_empty_grid_sent_after_the_draw_changes_nothing(client, auth, meet, team, captain):
    item = make_item(meet, name="拔河", max_members=5)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    assert client.post(url(meet, team), data={f"item-{item.id}": members[:3]}).status_code == 303
    _draw(client, auth, meet, item)
    auth.become(captain)
    # The captain's page was opened before the draw; every box is now sent unticked.
    response = client.post(url(meet, team), data={})
    assert response.status_code == 409
    assert "The draw has been made for 拔河" in response.get_data(as_text=True)
    assert saved(team) == {item.id: set(members[:3])}
    lanes = db.session.scalars(
        sa.select(Lane).join(Entry, Entry.id == Lane.entry_id).where(Entry.team_id == team.id)
    ).all()
    assert len(lanes) == 1  # the team keeps its lane


def test_a_drawn_item_is_shown_fixed_and_other_items_can_still_change(
    client, auth, meet, team, captain
):
    drawn = make_item(meet, name="拔河", max_members=5)
    open_item = make_item(meet, name="跳长绳", max_members=5)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    client.post(url(meet, team), data={f"item-{drawn.id}": members[:2]})
    _draw(client, auth, meet, drawn)
    auth.become(captain)
    page = client.get(url(meet, team)).get_data(as_text=True)
    assert "The draw has been made: these entries are fixed." in page
    # The drawn item's saved members go back as hidden fields; it shows as a list, not boxes.
    for member in members[:2]:
        assert f'<input type="hidden" name="item-{drawn.id}" value="{member}">' in page
    assert f'id="item-{drawn.id}-{members[0]}"' not in page
    assert "2 entered" in page
    # What the page sends (the hidden fields plus a new choice) saves the open item only.
    response = client.post(
        url(meet, team),
        data={f"item-{drawn.id}": members[:2], f"item-{open_item.id}": members[2:4]},
    )
    assert response.status_code == 303
    assert saved(team) == {drawn.id: set(members[:2]), open_item.id: set(members[2:4])}


def test_an_accidental_empty_grid_is_refused_until_confirmed(client, meet, team, captain):
    a = make_item(meet, name="甲", max_members=5)
    b = make_item(meet, name="乙", max_members=5)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    client.post(url(meet, team), data={f"item-{a.id}": members[:2], f"item-{b.id}": members[2:3]})
    response = client.post(url(meet, team), data={})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "no one is ticked, which would withdraw the team from every item" in page
    assert 'name="withdraw_all" value="y"' in page
    assert saved(team) == {a.id: set(members[:2]), b.id: set(members[2:3])}
    assert [action for action, _d in audit_actions(meet.event)] == ["meet.entries"]
    # Confirmed: the team is withdrawn from every item, and that is audited.
    response = client.post(url(meet, team), data={"withdraw_all": "y"})
    assert response.status_code == 303
    assert saved(team) == {}
    assert [action for action, _d in audit_actions(meet.event)] == ["meet.entries"] * 2


def test_emptying_one_item_needs_no_confirmation(client, meet, team, captain):
    a = make_item(meet, name="甲", max_members=5)
    b = make_item(meet, name="乙", max_members=5)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    client.post(url(meet, team), data={f"item-{a.id}": members[:2], f"item-{b.id}": members[2:3]})
    assert client.post(url(meet, team), data={f"item-{a.id}": members[:2]}).status_code == 303
    assert saved(team) == {a.id: set(members[:2])}


def test_an_empty_grid_after_the_lock_changes_nothing(client, meet, team, captain, clock):
    item = make_item(meet, max_members=5)
    settings = db.session.get(MeetSettings, meet.event.id)
    settings.entries_lock_at = clock.now + timedelta(hours=1)
    db.session.commit()
    members = [r.id for r in meet.members[team.id]]
    client.post(url(meet, team), data={f"item-{item.id}": members[:2]})
    clock.advance(hours=2)
    response = client.post(url(meet, team), data={"withdraw_all": "y"})
    assert response.status_code == 409
    assert "Entries are locked" in response.get_data(as_text=True)
    assert saved(team) == {item.id: set(members[:2])}


# --- women are counted by the registration's snapshot, on the page and in the export ------------


def test_the_page_and_the_export_count_women_by_the_registration(client, auth, meet, team, captain):
    relay = make_item(meet, name="混合接力", min_members=2, max_members=2, min_women=1)
    db.session.commit()
    woman = meet.members[team.id][0]  # registered as a woman
    assert woman.gender == "female"
    woman.user.gender = "male"  # her profile changed after she registered
    db.session.commit()
    client.post(url(meet, team), data={f"item-{relay.id}": [woman.id, meet.members[team.id][3].id]})
    page = client.get(url(meet, team)).get_data(as_text=True)
    label = re.search(
        rf'<label class="check" for="item-{relay.id}-{woman.id}">(.*?)</label>', page, re.S
    ).group(1)
    assert ">woman<" in label
    assert "women chosen" not in page  # the gender rule is met by her snapshot
    auth.become(meet.organizer)
    response = client.get(f"/events/{meet.event.id}/meet/export/entries.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    women_column = rows[0].index("Women")
    (relay_row,) = [row for row in rows[1:] if row[0] == "混合接力"]
    assert relay_row[women_column] == 1


# --- A captain finds their team's entries from the top navigation ------------------------------


def test_captain_gets_my_duties_in_the_nav_and_finds_the_team_entries(client, meet, team, captain):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/my/meet-duties"' in home
    duties = client.get("/my/meet-duties").get_data(as_text=True)
    assert f'href="{url(meet, team)}"' in duties


def test_member_without_a_duty_gets_no_my_duties_link(client, auth, meet):
    auth.become(make_user())
    assert 'href="/my/meet-duties"' not in client.get("/").get_data(as_text=True)
