"""The live board: one standings column per place of the tie-break chain, medals for final
results only, and the board kept between refreshes yet never older than the meet's data."""

from __future__ import annotations

import re

import pytest

from eventsite.extensions import db
from eventsite.sportsmeet.models import MeetSettings
from tests.factories import make_user
from tests.sportsmeet_factories import (
    assign_referee,
    enter_all,
    make_item,
    make_meet,
    one_heat,
    record,
)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en", "MEET_BOARD_CACHE_SECONDS": 60}


@pytest.fixture
def meet(app):
    meet = make_meet()
    db.session.commit()
    return meet


@pytest.fixture
def judge(app):
    return make_user(roles=["judge"], name="裁判员")


@pytest.fixture
def race(meet, judge):
    item = make_item(meet, name="毛毛虫竞速", result_type="time")
    entries = enter_all(meet, item)
    heat = one_heat(item, entries)
    assign_referee(item, judge)
    db.session.commit()
    return item, entries, heat


def board(client, meet) -> dict:
    response = client.get(f"/events/{meet.event.id}/meet/standings.json")
    assert response.status_code == 200
    return response.get_json()


def standings_table(html: str) -> tuple[list[str], list[list[str]]]:
    """The place-column headers and each row's place counts of the standings fragment."""
    headers = re.findall(
        r'<th scope="col" class="num place-count" title="([^"]*)">'
        r'<span class="place-label">\1</span><span class="place-number" aria-hidden="true">\d+</span>'
        r"</th>",
        html,
    )
    rows = [
        re.findall(r'<td class="num place-count">([^<]*)</td>', row)
        for row in re.findall(r"<tr data-team=.*?</tr>", html, re.S)
    ]
    return headers, rows


def sheet(heat, entries, values: list[str]) -> dict:
    data = {}
    for i, (entry, value) in enumerate(zip(entries, values, strict=True)):
        prefix = f"h{heat.id}-rows-{i}-"
        data |= {
            prefix + "entry_id": entry.id,
            prefix + "value": value,
            prefix + "second_value": "",
            prefix + "outcome": "ok",
            prefix + "reason": "",
        }
    return data


# --- the standings' place columns ---------------------------------------------------------------


def test_standings_have_one_headed_column_per_place_of_the_points_table(client, meet, race):
    _item, entries, heat = race
    for entry, time in zip(entries, ["41", "42", "43", "44"], strict=True):
        record(heat, entry, time)
    db.session.commit()
    headers, rows = standings_table(board(client, meet)["html"]["standings"])
    # 4 teams: the 5-3-2-1 table, so the chain is 1st to 4th places, each with its header.
    assert headers == ["Place 1", "Place 2", "Place 3", "Place 4"]
    assert rows == [["1", "0", "0", "0"], ["0", "1", "0", "0"], ["0", "0", "1", "0"]] + [
        ["0", "0", "0", "1"]
    ]
    page = client.get(f"/events/{meet.event.id}/meet").get_data(as_text=True)
    assert 'colspan="4" class="places-chain"' in page


def test_a_shorter_points_table_shortens_the_chain(client, meet, race):
    _item, entries, heat = race
    db.session.add(MeetSettings(event_id=meet.event.id, points_table="5,3"))
    for entry, time in zip(entries, ["41", "42", "43", "44"], strict=True):
        record(heat, entry, time)
    db.session.commit()
    headers, rows = standings_table(board(client, meet)["html"]["standings"])
    assert headers == ["Place 1", "Place 2"]
    assert all(len(row) == 2 for row in rows) and len(rows) == 4
    assert [row["places"] for row in board(client, meet)["standings"]][-1] == [0, 0]


def test_an_individual_item_with_many_entrants_does_not_widen_the_table(client, meet):
    item = make_item(meet, name="投篮", result_type="count", individual=True)
    entries = enter_all(meet, item) + enter_all(meet, item)  # 8 people, places 1 to 8
    heat = one_heat(item, entries)
    for n, entry in enumerate(entries):
        record(heat, entry, 20 - n)
    db.session.commit()
    headers, rows = standings_table(board(client, meet)["html"]["standings"])
    assert len(headers) == 4 and {len(row) for row in rows} == {4}


# --- medals count final results only ------------------------------------------------------------


def test_medals_wait_for_final_results_while_points_move_at_once(client, auth, meet, race):
    item, entries, heat = race
    for entry, time in zip(entries, ["44", "41", "42", "43"], strict=True):
        record(heat, entry, time)
    db.session.commit()
    data = board(client, meet)
    assert data["standings"][0]["team_id"] == meet.teams[1].id  # points count provisionally
    assert data["standings"][0]["points"] == "5"
    assert {(m["gold"], m["silver"], m["bronze"]) for m in data["medals"]} == {(0, 0, 0)}
    assert "1 item with provisional results is not counted yet." in data["html"]["medals"]

    auth.become(meet.organizer)
    response = client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/finalize", data={"final": "1"}
    )
    assert response.status_code == 303
    medals = {
        m["team_id"]: (m["gold"], m["silver"], m["bronze"]) for m in board(client, meet)["medals"]
    }
    assert medals[meet.teams[1].id] == (1, 0, 0)
    assert medals[meet.teams[2].id] == (0, 1, 0)
    assert medals[meet.teams[3].id] == (0, 0, 1)
    assert medals[meet.teams[0].id] == (0, 0, 0)
    assert "not counted yet" not in board(client, meet)["html"]["medals"]

    # Reopened for a correction: its medals are withdrawn until it is final again.
    client.post(f"/events/{meet.event.id}/meet/items/{item.id}/finalize", data={"final": "0"})
    assert {(m["gold"], m["silver"], m["bronze"]) for m in board(client, meet)["medals"]} == {
        (0, 0, 0)
    }


# --- the board kept between refreshes -----------------------------------------------------------


def test_a_refresh_of_an_unchanged_meet_reuses_the_board(client, meet, race, count_queries):
    _item, entries, heat = race
    record(heat, entries[0], "41")
    db.session.commit()
    first = board(client, meet)
    with count_queries() as counter:
        again = board(client, meet)
    assert again["standings"] == first["standings"]
    assert again["html"] == first["html"]
    # The event and its organizers (permission), and the meet's version; no placing at all.
    assert counter.count <= 4


def test_a_result_entered_shows_on_the_next_refresh(client, auth, meet, judge, race):
    item, entries, heat = race
    assert board(client, meet)["standings"][0]["points"] == "0"
    auth.become(judge)
    response = client.post(
        f"/events/{meet.event.id}/meet/items/{item.id}/heats/{heat.id}",
        data=sheet(heat, entries, ["44", "41", "", ""]),
    )
    assert response.status_code == 303
    data = board(client, meet)
    assert (data["standings"][0]["team_id"], data["standings"][0]["points"]) == (
        meet.teams[1].id,
        "5",
    )


def test_a_correction_and_a_disqualification_show_on_the_next_refresh(
    client, auth, meet, judge, race
):
    item, entries, heat = race
    auth.become(judge)
    url = f"/events/{meet.event.id}/meet/items/{item.id}/heats/{heat.id}"
    client.post(url, data=sheet(heat, entries, ["44", "41", "", ""]))
    assert board(client, meet)["standings"][0]["team_id"] == meet.teams[1].id
    data = sheet(heat, entries, ["44", "41", "", ""])
    data[f"h{heat.id}-rows-1-outcome"] = "dq"
    data[f"h{heat.id}-rows-1-reason"] = "抢跑"
    assert client.post(url, data=data).status_code == 303
    top = board(client, meet)["standings"][0]
    assert (top["team_id"], top["points"]) == (meet.teams[0].id, "5")


def test_a_new_points_table_shows_on_the_next_refresh(client, auth, meet, race):
    _item, entries, heat = race
    record(heat, entries[0], "41")
    db.session.commit()
    assert board(client, meet)["standings"][0]["points"] == "5"
    auth.become(meet.organizer)
    response = client.post(
        f"/events/{meet.event.id}/meet/setup",
        data={"points_table": "10,6,3", "per_person_limit": "", "entries_lock_at": ""},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert board(client, meet)["standings"][0]["points"] == "10"


def test_an_unaudited_change_shows_once_the_board_is_old_enough(client, meet, race, clock):
    _item, entries, heat = race
    record(heat, entries[0], "41")
    db.session.commit()
    assert meet.teams[0].name in board(client, meet)["html"]["standings"]
    meet.teams[0].name = "改名队"  # straight in the database: nothing records it
    db.session.commit()
    assert "改名队" not in board(client, meet)["html"]["standings"]
    clock.advance(seconds=60)
    assert "改名队" in board(client, meet)["html"]["standings"]


@pytest.mark.parametrize(
    "app_config", [{"BABEL_DEFAULT_LOCALE": "en", "MEET_BOARD_CACHE_SECONDS": 0}]
)
def test_with_keeping_off_every_refresh_builds_the_board(client, meet, race, count_queries):
    _item, entries, heat = race
    record(heat, entries[0], "41")
    db.session.commit()
    board(client, meet)
    with count_queries() as counter:
        board(client, meet)
    assert counter.count >= 10  # every statement of building the board, again
    meet.teams[0].name = "改名队"
    db.session.commit()
    assert "改名队" in board(client, meet)["html"]["standings"]


# --- the refresh fetches the fragments alone ------------------------------------------------------


def test_the_pages_refresh_only_the_fragments_they_show(client, meet, race):
    _item, entries, heat = race
    for n, entry in enumerate(entries):
        record(heat, entry, 41 + n)
    db.session.commit()
    base = f"/events/{meet.event.id}/meet/standings.json"
    full = client.get(base)
    page = client.get(base + "?fragments=page")
    screen = client.get(base + "?fragments=screen")
    assert page.status_code == screen.status_code == 200
    assert set(page.get_json()) == {"html", "updated"}
    assert page.get_json()["html"] == full.get_json()["html"]
    assert len(page.data) < len(full.data)
    assert page.headers["Cache-Control"] == "no-store"
    # The big screen's own refresh keeps its own (longer) latest-results list.
    screen_html = client.get(f"/events/{meet.event.id}/meet/screen").get_data(as_text=True)
    assert f'data-source="{base}?fragments=screen"' in screen_html
    assert screen.get_json()["html"]["latest"] in screen_html
    assert client.get(base + "?fragments=everything").status_code == 400


# --- the organizer confirms results from the item's page -----------------------------------------


def test_organizer_declares_results_final_from_the_item_page(client, auth, meet, race):
    item, entries, heat = race
    for entry, time in zip(entries, ["44", "41", "42", "43"], strict=True):
        record(heat, entry, time)
    db.session.commit()
    item_url = f"/events/{meet.event.id}/meet/items/{item.id}"
    finalize_url = f"{item_url}/finalize"

    # Everyone reads that provisional results already count, and that confirming makes them final.
    page = client.get(item_url).get_data(as_text=True)
    assert "already count in the live standings as provisional" in page
    assert "only final items count in the medal table" in page
    assert finalize_url not in page  # visitors get no button

    auth.become(meet.organizer)
    page = client.get(item_url).get_data(as_text=True)
    form = page[page.index(f'action="{finalize_url}"') :]
    assert '<input type="hidden" name="final" value="1">' in form[: form.index("</form>")]
    response = client.post(finalize_url, data={"final": "1", "back": "results"})
    assert response.status_code == 303 and response.location.endswith(item_url)
    assert board(client, meet)["items"][0]["status"] == "final"
    page = client.get(item_url).get_data(as_text=True)
    assert "Reopen for corrections" in page


def test_a_referee_sees_no_declare_final_button(client, auth, meet, race, judge):
    item, entries, heat = race
    for entry, time in zip(entries, ["44", "41", "42", "43"], strict=True):
        record(heat, entry, time)
    db.session.commit()
    auth.become(judge)
    page = client.get(f"/events/{meet.event.id}/meet/items/{item.id}").get_data(as_text=True)
    assert "/finalize" not in page


# --- the big screen: rows that fit, one clock format ---------------------------------------------


def test_the_big_screen_shows_the_latest_rows_that_fit_and_one_clock_format(client, meet):
    for name in ("毛毛虫竞速", "背靠背运球", "滚滚向前"):
        item = make_item(meet, name=name, result_type="time")
        entries = enter_all(meet, item)
        heat = one_heat(item, entries)
        for n, entry in enumerate(entries):
            record(heat, entry, 41 + n)
    db.session.commit()
    screen_html = client.get(f"/events/{meet.event.id}/meet/screen").get_data(as_text=True)
    latest = screen_html[screen_html.index('data-fragment="latest"') :]
    assert latest[: latest.index("</ol>")].count("<li>") == 8
    # Full standings page still lists its own 8; the screen's refresh keeps the same 8.
    base = f"/events/{meet.event.id}/meet/standings.json"
    refreshed = client.get(base + "?fragments=screen").get_json()
    assert refreshed["html"]["latest"].count("<li>") == 8
    # The clock is drawn as HH:MM and every refresh keeps HH:MM (no seconds appearing).
    assert re.search(r"<span data-updated>\d\d:\d\d</span>", screen_html)
    assert re.fullmatch(r"\d\d:\d\d", refreshed["updated"])
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d", client.get(base + "?fragments=page").get_json()["updated"]
    )
