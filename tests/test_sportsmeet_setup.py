"""Organizers set up a sports meet through the pages: settings, items, referees, captains, draws,
final results and the spreadsheets."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from eventsite.events.models import EventKind, RegistrationStatus
from eventsite.extensions import db
from eventsite.sportsmeet.models import (
    Captain,
    Heat,
    Item,
    ItemReferee,
    Lane,
    Match,
    MeetSettings,
)
from tests.factories import make_event, make_registration, make_user
from tests.sportsmeet_factories import (
    assign_referee,
    audit_actions,
    enter_all,
    errors_beside,
    make_item,
    make_meet,
    one_heat,
    record,
)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def meet(app):
    meet = make_meet()
    db.session.commit()
    return meet


@pytest.fixture
def organizer_client(client, auth, meet):
    auth.become(meet.organizer)
    return client


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


ITEM = {
    "name": "毛毛虫竞速",
    "result_type": "time",
    "match_format": "",
    "starts_at": "2026-11-08T09:30",
    "place": "东操场",
    "min_members": "4",
    "max_members": "6",
    "min_women": "2",
    "multiplier": "1",
}


# --- the event page links --------------------------------------------------------------------


def test_event_page_links_to_results_for_everyone_and_set_up_for_managers(client, auth, meet):
    page = client.get(f"/events/{meet.event.id}").get_data(as_text=True)
    assert f"/events/{meet.event.id}/meet" in page
    assert "/meet/setup" not in page
    auth.become(meet.organizer)
    page = client.get(f"/events/{meet.event.id}").get_data(as_text=True)
    assert f"/events/{meet.event.id}/meet/setup" in page


def test_meet_pages_do_not_exist_for_other_kinds_of_event(client, auth, meet):
    mixer = make_event(organizer=meet.organizer, kind=EventKind.MIXER)
    db.session.commit()
    auth.become(meet.organizer)
    assert client.get(f"/events/{mixer.id}/meet").status_code == 404
    assert client.get(f"/events/{mixer.id}/meet/setup").status_code == 404
    assert client.get(f"/events/{meet.event.id}/meet").status_code == 200


# --- settings ----------------------------------------------------------------------------------


def test_settings_are_saved_normalised_and_audited(organizer_client, meet):
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/setup",
        data={
            "points_table": "7-5-4 3",
            "per_person_limit": "2",
            "entries_lock_at": "2026-11-07T18:00",
        },
    )
    assert response.status_code == 303
    settings = db.session.get(MeetSettings, meet.event.id)
    assert settings.points_table == "7,5,4,3"
    assert settings.per_person_limit == 2
    # 18:00 in Beijing is 10:00 UTC.
    assert settings.entries_lock_at.hour == 10
    assert [a for a, _d in audit_actions(meet.event)] == ["meet.settings"]
    page = organizer_client.get(f"/events/{meet.event.id}/meet/setup").get_data(as_text=True)
    assert "7-5-4-3" in page


def settings_log(meet) -> list[str]:
    return [detail for action, detail in audit_actions(meet.event) if action == "meet.settings"]


def test_every_changed_setting_is_audited_with_its_old_and_new_value(organizer_client, meet):
    db.session.add(
        MeetSettings(
            event_id=meet.event.id,
            points_table="5,3,2,1",
            per_person_limit=2,
            entries_lock_at=datetime(2026, 11, 7, 4, 0, tzinfo=UTC),  # 12:00 in Beijing
        )
    )
    db.session.commit()
    url = f"/events/{meet.event.id}/meet/setup"
    same = {"points_table": "5,3,2,1", "per_person_limit": "2"}
    # The entries lock moved, nothing else: the log says from when to when.
    response = organizer_client.post(url, data=same | {"entries_lock_at": "2026-11-06T18:00"})
    assert response.status_code == 303
    assert settings_log(meet) == ["Entries lock at: 2026-11-07 12:00 → 2026-11-06 18:00"]
    # Every setting emptied: what empty means, in words.
    data = {"points_table": "", "per_person_limit": "", "entries_lock_at": ""}
    assert organizer_client.post(url, data=data).status_code == 303
    assert settings_log(meet)[-1] == (
        "Points by place: 5,3,2,1 → default; Items per person: 2 → no limit; "
        "Entries lock at: 2026-11-06 18:00 → when the meet starts"
    )
    # A save that changes nothing adds nothing.
    assert organizer_client.post(url, data=data).status_code == 303
    assert len(settings_log(meet)) == 2


@pytest.mark.parametrize(
    "points, message",
    [
        ("5,a,1", "Points must be numbers"),
        ("1,2,3", "A lower place cannot earn more points"),
        ("5,3,NaN", "between 0 and 1000"),
        ("2000", "between 0 and 1000"),
        # A dash separates places only between two numbers: "5,-1" is not "5,1".
        ("5,-1", "between 0 and 1000"),
        ("-5", "between 0 and 1000"),
        ("5,2.5,1", "a whole number"),
        ("0.5", "a whole number"),
    ],
)
def test_a_bad_points_table_is_refused_beside_the_field(organizer_client, meet, points, message):
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/setup", data={"points_table": points}
    )
    assert response.status_code == 400
    assert message in errors_beside(response.get_data(as_text=True), "points_table")
    assert count(MeetSettings) == 0
    assert audit_actions(meet.event) == []


def test_default_points_follow_the_number_of_teams(organizer_client, meet):
    page = organizer_client.get(f"/events/{meet.event.id}/meet/setup").get_data(as_text=True)
    assert "5-3-2-1" in page


# --- items ---------------------------------------------------------------------------------------


def test_organizer_adds_an_item(organizer_client, meet):
    response = organizer_client.post(f"/events/{meet.event.id}/meet/items/new", data=ITEM)
    assert response.status_code == 303
    item = db.session.scalar(sa.select(Item))
    assert (item.name, item.result_type, item.min_women, item.max_members) == (
        "毛毛虫竞速",
        "time",
        2,
        6,
    )
    assert item.starts_at.hour == 1  # 09:30 Beijing time
    assert response.headers["Location"].endswith(f"/meet/items/{item.id}/edit")
    assert ("meet.item_create", "毛毛虫竞速") in audit_actions(meet.event)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": ""}, "name", "Please enter the item"),
        ({"max_members": "2"}, "max_members", "cannot be fewer than the fewest"),
        ({"min_women": "7"}, "min_women", "More women are required"),
        ({"result_type": "head_to_head"}, "match_format", "Choose knockout or round robin"),
        ({"multiplier": "0"}, "multiplier", "Enter 0.5 to 10"),
        # The column keeps hundredths: 1.555 would be stored as 1.56 and points computed on it.
        ({"multiplier": "1.555"}, "multiplier", "at most two decimal places"),
        ({"multiplier": "1e30"}, "multiplier", "Enter 0.5 to 10"),
        ({"min_members": "x"}, "min_members", "whole number"),
        ({"starts_at": "tomorrow"}, "starts_at", "such as"),
    ],
)
def test_a_bad_item_is_refused_beside_its_field(organizer_client, meet, changes, field, message):
    response = organizer_client.post(f"/events/{meet.event.id}/meet/items/new", data=ITEM | changes)
    assert response.status_code == 400
    assert message in errors_beside(response.get_data(as_text=True), field)
    assert count(Item) == 0


def test_the_most_members_left_empty_means_no_limit_and_the_form_says_so(organizer_client, meet):
    url = f"/events/{meet.event.id}/meet/items/new"
    html = organizer_client.get(url).get_data(as_text=True)
    # Offered empty, not pre-filled with a limit of one the organizer never chose.
    assert re.search(r'<input[^>]*id="max_members"[^>]*value=""', html)
    help_text = html.split('id="max_members"')[1].split("</div>")[0]
    assert "Leave empty for no limit" in help_text
    response = organizer_client.post(url, data=ITEM | {"max_members": "", "min_women": "1"})
    assert response.status_code == 303
    item = db.session.scalar(sa.select(Item))
    assert (item.min_members, item.max_members) == (4, None)
    # A limit can be set later, and taken away again.
    edit = f"/events/{meet.event.id}/meet/items/{item.id}/edit"
    assert organizer_client.post(edit, data=ITEM | {"max_members": "8"}).status_code == 303
    db.session.refresh(item)
    assert item.max_members == 8
    assert organizer_client.post(edit, data=ITEM | {"max_members": ""}).status_code == 303
    db.session.refresh(item)
    assert item.max_members is None
    html = organizer_client.get(edit).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="max_members"[^>]*value=""', html)


def test_without_a_limit_the_women_required_need_only_the_fewest_members(organizer_client, meet):
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/items/new",
        data=ITEM | {"max_members": "", "min_members": "2", "min_women": "3"},
    )
    assert response.status_code == 303
    assert db.session.scalar(sa.select(Item.max_members)) is None


def test_item_names_are_unique_within_a_meet(organizer_client, meet):
    make_item(meet, name="毛毛虫竞速")
    db.session.commit()
    response = organizer_client.post(f"/events/{meet.event.id}/meet/items/new", data=ITEM)
    assert response.status_code == 400
    assert "already has an item" in errors_beside(response.get_data(as_text=True), "name")
    assert count(Item) == 1


def test_editing_an_item_changes_it_and_records_what_changed(organizer_client, meet):
    item = make_item(meet)
    db.session.commit()
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/edit",
        data=ITEM | {"name": "接力跑", "multiplier": "2", "second_attempt": "y"},
    )
    assert response.status_code == 303
    db.session.refresh(item)
    assert (item.name, item.multiplier, item.second_attempt) == ("接力跑", Decimal(2), True)
    assert any(a == "meet.item_update" and "multiplier" in d for a, d in audit_actions(meet.event))


def test_every_changed_item_setting_is_audited_with_its_old_and_new_value(organizer_client, meet):
    item = make_item(meet, name="毛毛虫竞速", min_members=1, max_members=3)
    db.session.commit()
    url = f"/events/{meet.event.id}/meet/items/{item.id}/edit"
    changes = {"max_members": "", "multiplier": "2", "second_attempt": "y"}
    assert organizer_client.post(url, data=ITEM | changes).status_code == 303
    (detail,) = [d for a, d in audit_actions(meet.event) if a == "meet.item_update"]
    assert detail == (
        "毛毛虫竞速: Starts at: — → 2026-11-08 09:30; Where: — → 东操场; "
        "Fewest members per team: 1 → 4; Most members per team: 3 → no limit; "
        "At least this many women: 0 → 2; Points multiplier: 1 → 2; "
        "A second attempt is allowed (the better one counts): No → Yes"
    )
    renamed = ITEM | changes | {"name": "趣味接力", "result_type": "count", "max_members": "8"}
    assert organizer_client.post(url, data=renamed).status_code == 303
    detail = [d for a, d in audit_actions(meet.event) if a == "meet.item_update"][-1]
    assert detail == (
        "趣味接力: Item name: 毛毛虫竞速 → 趣味接力; "
        "How it is decided: Time (lower wins) → Count (higher wins); "
        "Most members per team: no limit → 8"
    )
    # Saved unchanged: nothing more in the log.
    assert organizer_client.post(url, data=renamed).status_code == 303
    assert len([a for a, _d in audit_actions(meet.event) if a == "meet.item_update"]) == 2


def test_an_item_with_results_cannot_be_removed_nor_change_type(organizer_client, meet):
    item = make_item(meet)
    entries = enter_all(meet, item)
    heat = one_heat(item, entries)
    record(heat, entries[0], "45.3")
    db.session.commit()
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/edit", data=ITEM | {"result_type": "count"}
    )
    assert response.status_code == 400
    assert "can no longer change" in errors_beside(response.get_data(as_text=True), "result_type")
    response = organizer_client.post(f"/events/{meet.event.id}/meet/items/{item.id}/delete")
    assert response.status_code == 409
    assert count(Item) == 1


def test_an_item_without_results_can_be_removed(organizer_client, meet):
    item = make_item(meet)
    db.session.commit()
    response = organizer_client.post(f"/events/{meet.event.id}/meet/items/{item.id}/delete")
    assert response.status_code == 303
    assert count(Item) == 0


# --- referees ------------------------------------------------------------------------------------


def test_a_judge_is_assigned_by_mobile_and_removed(organizer_client, meet):
    item = make_item(meet)
    judge = make_user(roles=["judge"], name="裁判甲")
    db.session.commit()
    url = f"/events/{meet.event.id}/meet/items/{item.id}/referees"
    assert organizer_client.post(url, data={"mobile": judge.mobile}).status_code == 303
    db.session.rollback()
    assert [r.user_id for r in db.session.scalars(sa.select(ItemReferee))] == [judge.id]
    response = organizer_client.post(url + "/remove", data={"user_id": judge.id})
    assert response.status_code == 303
    assert count(ItemReferee) == 0
    assert [a for a, _d in audit_actions(meet.event)] == ["meet.referee_add", "meet.referee_remove"]


NO_SUCH_JUDGE = (
    "No member with the judge role has this mobile number. An administrator grants the role."
)


@pytest.mark.parametrize("who", ["member", "organizer", "deactivated judge", "nobody"])
def test_only_judges_can_referee_and_the_error_names_nobody(organizer_client, meet, who):
    item = make_item(meet)
    people = {
        "member": make_user(name="普通会员"),
        "organizer": make_user(name="别的组织者", roles=["organizer"]),
        "deactivated judge": make_user(name="停用裁判", roles=["judge"], active=False),
    }
    db.session.commit()
    mobile = people[who].mobile if who in people else "13999999999"
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/referees", data={"mobile": mobile}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert errors_beside(page, "mobile").strip() == f"<li>{NO_SUCH_JUDGE}</li>"
    for person in people.values():
        assert person.name not in page
    assert count(ItemReferee) == 0


def test_a_judge_already_refereeing_the_item_is_not_added_twice(organizer_client, meet):
    item = make_item(meet)
    judge = make_user(roles=["judge"], name="裁判甲")
    assign_referee(item, judge)
    db.session.commit()
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/referees", data={"mobile": judge.mobile}
    )
    assert response.status_code == 400
    assert "This member already referees this item." in errors_beside(
        response.get_data(as_text=True), "mobile"
    )
    assert count(ItemReferee) == 1


# --- captains ------------------------------------------------------------------------------------


def no_such_team_member(team: str) -> str:
    return f"No confirmed member of {team} has this mobile number; a captain must be one."


@pytest.mark.parametrize("who", ["other team", "waitlisted", "not registered", "nobody"])
def test_a_refused_captain_is_not_named(organizer_client, meet, who):
    first, second = meet.teams[0], meet.teams[1]
    waiting = make_user(name="候补队员")
    make_registration(meet.event, waiting, status=RegistrationStatus.WAITLISTED, team_id=first.id)
    people = {
        "other team": meet.members[second.id][0].user,
        "waitlisted": waiting,
        "not registered": make_user(name="没报名的会员"),
    }
    db.session.commit()
    mobile = people[who].mobile if who in people else "13999999998"
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/captains",
        data={"team_id": first.id, f"team{first.id}-mobile": mobile},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert errors_beside(page, f"team{first.id}-mobile").strip() == (
        f"<li>{no_such_team_member(first.name)}</li>"
    )
    for person in people.values():
        assert person.name not in page
    assert count(Captain) == 0


def test_a_captain_must_be_a_confirmed_member_of_the_team(organizer_client, meet):
    first, second = meet.teams[0], meet.teams[1]
    own = meet.members[first.id][1].user
    other = meet.members[second.id][0].user
    url = f"/events/{meet.event.id}/meet/captains"
    response = organizer_client.post(
        url, data={"team_id": first.id, f"team{first.id}-mobile": other.mobile}
    )
    assert response.status_code == 400
    assert (
        errors_beside(response.get_data(as_text=True), f"team{first.id}-mobile").strip()
        == f"<li>{no_such_team_member(first.name)}</li>"
    )
    assert count(Captain) == 0
    response = organizer_client.post(
        url, data={"team_id": first.id, f"team{first.id}-mobile": own.mobile}
    )
    assert response.status_code == 303
    db.session.rollback()
    assert [(c.team_id, c.user_id) for c in db.session.scalars(sa.select(Captain))] == [
        (first.id, own.id)
    ]
    response = organizer_client.post(url, data={"team_id": first.id, "remove_user_id": own.id})
    assert response.status_code == 303
    assert count(Captain) == 0


# --- draws ---------------------------------------------------------------------------------------


def test_heats_split_the_entries_evenly_and_cannot_be_redrawn_after_results(organizer_client, meet):
    item = make_item(meet)
    entries = enter_all(meet, item)
    db.session.commit()
    url = f"/events/{meet.event.id}/meet/items/{item.id}/draw"
    assert organizer_client.post(url, data={"lanes": "3"}).status_code == 303
    db.session.rollback()
    heats = db.session.scalars(sa.select(Heat).order_by(Heat.number)).all()
    assert [len(h.lanes) for h in heats] == [2, 2]
    assert not any(h.is_final for h in heats)
    assert {lane.entry_id for h in heats for lane in h.lanes} == {e.id for e in entries}
    record(heats[0], db.session.get(type(entries[0]), heats[0].lanes[0].entry_id), "50")
    db.session.commit()
    response = organizer_client.post(url, data={"lanes": "4"})
    assert response.status_code == 409
    assert count(Heat) == 2


def test_lanes_must_be_a_sensible_number(organizer_client, meet):
    item = make_item(meet)
    enter_all(meet, item)
    db.session.commit()
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/draw", data={"lanes": "1"}
    )
    assert response.status_code == 400
    assert "from 2 to 50" in errors_beside(response.get_data(as_text=True), "lanes")
    assert count(Heat) == 0


def test_one_heat_for_all_is_the_final(organizer_client, meet):
    item = make_item(meet)
    enter_all(meet, item)
    db.session.commit()
    organizer_client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw", data={"lanes": "8"})
    db.session.rollback()
    (heat,) = db.session.scalars(sa.select(Heat)).all()
    assert heat.is_final and len(heat.lanes) == 4


def test_a_final_takes_the_best_of_the_heats(organizer_client, meet):
    item = make_item(meet)
    entries = enter_all(meet, item)
    heat1 = Heat(item_id=item.id, number=1)
    heat1.lanes = [Lane(entry_id=entries[0].id, lane=1), Lane(entry_id=entries[1].id, lane=2)]
    heat2 = Heat(item_id=item.id, number=2)
    heat2.lanes = [Lane(entry_id=entries[2].id, lane=1), Lane(entry_id=entries[3].id, lane=2)]
    db.session.add_all([heat1, heat2])
    db.session.flush()
    for heat, entry, time in [
        (heat1, entries[0], "50"),
        (heat1, entries[1], "40"),
        (heat2, entries[2], "45"),
        (heat2, entries[3], "60"),
    ]:
        record(heat, entry, time)
    db.session.commit()
    response = organizer_client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/final-heat", data={"size": "2"}
    )
    assert response.status_code == 303
    db.session.rollback()
    final = db.session.scalar(sa.select(Heat).where(Heat.is_final.is_(True)))
    assert [lane.entry_id for lane in final.lanes] == [entries[1].id, entries[2].id]


def test_a_knockout_of_three_teams_gives_the_top_seed_a_bye(organizer_client, meet):
    item = make_item(meet, name="拔河", result_type="head_to_head", match_format="knockout")
    entries = enter_all(meet, item)
    db.session.delete(entries[0])
    db.session.commit()
    response = organizer_client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw")
    assert response.status_code == 303
    db.session.rollback()
    matches = db.session.scalars(sa.select(Match).order_by(Match.round, Match.slot)).all()
    assert [(m.round, m.slot) for m in matches] == [(1, 0), (1, 1), (2, 0)]
    bye = matches[0]
    # Seeds go in team order: the entries of teams 2, 3, 4 remain; the first seed has the bye.
    assert bye.away_entry_id is None and bye.winner_entry_id == bye.home_entry_id
    assert matches[2].home_entry_id == bye.home_entry_id


def test_a_round_robin_schedule_pairs_everyone_once(organizer_client, meet):
    item = make_item(meet, name="拔河", result_type="head_to_head", match_format="round_robin")
    entries = enter_all(meet, item)
    db.session.commit()
    organizer_client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw")
    db.session.rollback()
    pairs = {
        frozenset((m.home_entry_id, m.away_entry_id)) for m in db.session.scalars(sa.select(Match))
    }
    assert len(pairs) == 6 and all(len(p) == 2 for p in pairs)
    assert set().union(*pairs) == {e.id for e in entries}


# --- final results -------------------------------------------------------------------------------


def test_declaring_final_and_reopening_is_audited(organizer_client, meet):
    item = make_item(meet)
    db.session.commit()
    url = f"/events/{meet.event.id}/meet/items/{item.id}/finalize"
    assert organizer_client.post(url, data={"final": "1"}).status_code == 303
    db.session.refresh(item)
    assert item.finalized_at is not None
    page = organizer_client.get(f"/events/{meet.event.id}/meet/items/{item.id}").get_data(
        as_text=True
    )
    assert "item-final" in page
    organizer_client.post(url, data={"final": "0"})
    db.session.refresh(item)
    assert item.finalized_at is None
    assert [a for a, _d in audit_actions(meet.event)] == ["meet.final", "meet.reopen"]


# --- exports -------------------------------------------------------------------------------------


def _sheet(client, meet, which):
    response = client.get(f"/events/{meet.event.id}/meet/export/{which}.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_exports_open_in_excel_with_the_meets_figures(organizer_client, meet):
    item = make_item(meet, name="趣味接力", multiplier=Decimal(2))
    entries = enter_all(meet, item, members_per_entry=2)
    heat = one_heat(item, entries)
    for entry, time in zip(entries, ["50.1", "48.2", "52", "49"], strict=True):
        record(heat, entry, time)
    db.session.commit()
    names = [t.name for t in meet.teams]

    entries_rows = _sheet(organizer_client, meet, "entries")
    assert entries_rows[0][:2] == ["Item", "Team"]
    assert [row[1] for row in entries_rows[1:]] == names
    assert entries_rows[1][3] == 2 and entries_rows[1][4] == 1  # two members, one a woman

    results = _sheet(organizer_client, meet, "results")
    by_team = {row[4]: row for row in results[1:]}
    assert by_team[names[1]][5] == "48.20" and by_team[names[1]][9] == 1
    assert by_team[names[1]][10] == 10  # 5 points × 2

    standings = _sheet(organizer_client, meet, "standings")
    assert standings[1][:3] == [1, names[1], 10]
    assert standings[4][:3] == [4, names[2], 2]

    certificates = _sheet(organizer_client, meet, "certificates")
    assert [row[:3] for row in certificates[1:]] == [
        ["趣味接力", 1, names[1]],
        ["趣味接力", 2, names[3]],
        ["趣味接力", 3, names[0]],
        ["趣味接力", 4, names[2]],
    ]
    assert "站前二队1号" in certificates[1][3]


def test_printable_sheet_lists_the_placings(organizer_client, meet):
    item = make_item(meet)
    entries = enter_all(meet, item)
    heat = one_heat(item, entries)
    record(heat, entries[2], "62.5")
    db.session.commit()
    page = organizer_client.get(f"/events/{meet.event.id}/meet/items/{item.id}/print")
    assert page.status_code == 200
    assert "1:02.50" in page.get_data(as_text=True)
    assert "print-sheet" in page.get_data(as_text=True)


def test_referee_assignment_shows_on_the_duties_page(client, auth, meet):
    item = make_item(meet, name="背靠背运球")
    judge = make_user(roles=["judge"])
    assign_referee(item, judge)
    db.session.commit()
    auth.become(judge)
    page = client.get("/my/meet-duties").get_data(as_text=True)
    assert f"/events/{meet.event.id}/meet/items/{item.id}/referee" in page


def test_the_draw_section_heading_is_not_the_drawn_match_msgid(organizer_client, meet):
    # "Draw" is a drawn match (平局); the section that draws heats needs its own msgid.
    item = make_item(meet)
    db.session.commit()
    page = organizer_client.get(f"/events/{meet.event.id}/meet/items/{item.id}/edit")
    html = page.get_data(as_text=True)
    assert "<h2>Heats and draw</h2>" in html
    assert "<h2>Draw</h2>" not in html


def test_a_meet_under_way_is_marked_in_progress_on_the_event_list(client, clock):
    meet = make_meet()
    db.session.commit()
    event = meet.event
    before = client.get("/").get_data(as_text=True)
    assert event.title in before and "In progress" not in before

    clock.now = event.starts_at + timedelta(minutes=30)
    listing = client.get("/").get_data(as_text=True)
    start = listing.index(f'href="/events/{event.id}"')
    card = listing[start : listing.index("</li>", start)]
    assert '<span class="tag under-way">In progress</span>' in card
    detail = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert '<span class="tag under-way">In progress</span>' in detail

    clock.now = event.ends_at
    assert "In progress" not in client.get("/?when=past").get_data(as_text=True)
