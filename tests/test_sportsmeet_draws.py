"""Draws: heats and brackets in team order, by a drawing of lots (抽签) reproducible from the seed
the audit log records, or by the organizer's own seeding, through the organizer's pages (the
rules on their own, `draw_lots` and the seeding, are tested in tests/test_sportsmeet_rules.py)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from eventsite.extensions import db
from eventsite.sportsmeet.models import Entry, Heat, Match
from eventsite.sportsmeet.rules import (
    MAX_DRAW_SEED,
    draw_lots,
    knockout_bracket,
    round_robin_schedule,
)
from tests.factories import make_user
from tests.sportsmeet_factories import (
    assign_referee,
    audit_actions,
    enter_all,
    errors_beside,
    make_item,
    make_meet,
)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def meet(app):
    meet = make_meet(teams=("站前一队", "站前二队", "站前三队", "站前四队", "铁锋队"))
    db.session.commit()
    return meet


@pytest.fixture
def organizer_client(client, auth, meet):
    auth.become(meet.organizer)
    return client


def tug_of_war(meet, match_format="knockout"):
    item = make_item(meet, name="拔河", result_type="head_to_head", match_format=match_format)
    entries = enter_all(meet, item)
    db.session.commit()
    return item, entries


def draw(client, meet, item, data=None):
    return client.post(f"/events/{meet.event.id}/meet/items/{item.id}/draw", data=data or {})


def first_round(item) -> list[tuple[int | None, int | None]]:
    db.session.rollback()
    matches = db.session.scalars(
        sa.select(Match).where(Match.item_id == item.id, Match.round == 1).order_by(Match.slot)
    )
    return [(m.home_entry_id, m.away_entry_id) for m in matches]


def planned_first_round(order) -> list[tuple[int | None, int | None]]:
    return [(m.home, m.away) for m in knockout_bracket(order) if m.round == 1]


def draw_log(meet) -> list[str]:
    return [detail for action, detail in audit_actions(meet.event) if action == "meet.draw"]


def test_a_bracket_drawn_by_lot_follows_the_seed_and_the_log_records_it(organizer_client, meet):
    item, entries = tug_of_war(meet)
    names = {e.id: e.team.name for e in entries}
    response = draw(organizer_client, meet, item, {"method": "lots", "seed": "123456"})
    assert response.status_code == 303
    order = draw_lots([e.id for e in entries], 123456)
    assert first_round(item) == planned_first_round(order)
    assert first_round(item) != planned_first_round([e.id for e in entries])  # not team order
    (logged,) = draw_log(meet)
    assert "drawing of lots, seed 123456" in logged
    assert "、".join(names[e] for e in order) in logged
    page = organizer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "seed 123456" in page  # said at once, to be read out at the draw


def test_a_draw_without_a_seed_is_reproducible_from_the_seed_the_log_records(
    organizer_client, meet
):
    item, entries = tug_of_war(meet)
    assert draw(organizer_client, meet, item, {"method": "lots"}).status_code == 303
    drawn = first_round(item)
    (logged,) = draw_log(meet)
    seed = int(re.search(r"seed (\d+)", logged).group(1))
    assert 0 <= seed <= MAX_DRAW_SEED
    assert drawn == planned_first_round(draw_lots([e.id for e in entries], seed))
    # Redrawn with that seed, the bracket is the same; every draw is logged.
    draw(organizer_client, meet, item, {"method": "lots", "seed": str(seed)})
    assert first_round(item) == drawn
    assert len(draw_log(meet)) == 2


def test_a_knockout_with_byes_can_be_drawn_again_until_a_match_is_played(client, auth, meet):
    item, entries = tug_of_war(meet)  # five teams: three byes "won" at the draw
    judge = make_user(roles=["judge"])
    assign_referee(item, judge)
    db.session.commit()
    auth.become(meet.organizer)
    assert draw(client, meet, item).status_code == 303
    assert draw(client, meet, item, {"method": "lots", "seed": "9"}).status_code == 303
    assert first_round(item) == planned_first_round(draw_lots([e.id for e in entries], 9))
    # Once a referee has entered a result, the draw stands.
    played = db.session.scalars(
        sa.select(Match).where(Match.item_id == item.id, Match.away_entry_id.is_not(None))
    ).first()
    auth.become(judge)
    url = f"/events/{meet.event.id}/meet/items/{item.id}/matches/{played.id}"
    assert client.post(url, data={f"m{played.id}-winner": "home"}).status_code == 303
    auth.become(meet.organizer)
    response = draw(client, meet, item, {"method": "lots", "seed": "10"})
    assert response.status_code == 409
    assert "can no longer be redone" in response.get_data(as_text=True)
    assert first_round(item) == planned_first_round(draw_lots([e.id for e in entries], 9))
    # The page then offers no draw to ask about and tap in vain: it says the draw stands.
    html = edit_page(client, meet, item)
    assert 'class="stacked draw-form"' not in html
    assert "can no longer be redone" in html.split('id="draw-fixed"')[1].split("</p>")[0]


def test_a_round_robin_schedule_by_lot(organizer_client, meet):
    item, entries = tug_of_war(meet, "round_robin")
    draw(organizer_client, meet, item, {"method": "lots", "seed": "77"})
    db.session.rollback()
    stored = [
        (m.round, m.slot, m.home_entry_id, m.away_entry_id)
        for m in db.session.scalars(
            sa.select(Match).where(Match.item_id == item.id).order_by(Match.round, Match.slot)
        )
    ]
    planned = round_robin_schedule(draw_lots([e.id for e in entries], 77))
    assert stored == [(m.round, m.slot, m.home, m.away) for m in planned]


def seeding(entries, seeds: list[int | str]) -> dict:
    data = {"method": "seeded"}
    for i, (entry, seed) in enumerate(zip(entries, seeds, strict=True)):
        data[f"seeds-{i}-entry_id"] = entry.id
        data[f"seeds-{i}-seed"] = seed
    return data


def test_the_organizer_seeds_the_bracket(organizer_client, meet):
    item, entries = tug_of_war(meet)
    page = organizer_client.get(f"/events/{meet.event.id}/meet/items/{item.id}/edit")
    html = page.get_data(as_text=True)
    for i, entry in enumerate(entries):  # one seed field per team, labelled with its name
        assert re.search(rf'<label for="seeds-{i}-seed"[^>]*>{entry.team.name}</label>', html)
    # The fifth team is the top seed, then the first four in reverse.
    response = draw(organizer_client, meet, item, seeding(entries, [5, 4, 3, 2, 1]))
    assert response.status_code == 303
    order = [entries[4].id, entries[3].id, entries[2].id, entries[1].id, entries[0].id]
    assert first_round(item) == planned_first_round(order)
    # Five teams in an eight-bracket: the top three seeds have byes.
    byes = [home for home, away in first_round(item) if away is None]
    assert sorted(byes) == sorted(order[:3])
    (logged,) = draw_log(meet)
    assert "seeded by the organizer" in logged
    assert "、".join(e.team.name for e in reversed(entries)) in logged


@pytest.mark.parametrize(
    "seeds, field, message",
    [
        ([1, 1, 3, 4, 5], "seeds-0-seed", "Another team has this seed"),
        ([1, 1, 3, 4, 5], "seeds-1-seed", "Another team has this seed"),
        ([1, 2, 3, 4, ""], "seeds-4-seed", "Give every team a seed"),
        ([1, 2, 3, 4, 6], "seeds-4-seed", "from 1 to 5"),
        ([1, 2, 3, 4, "x"], "seeds-4-seed", "from 1 to 5"),
        ([1, 2, 3, 4, "99999999999999999999"], "seeds-4-seed", "from 1 to 5"),
    ],
)
def test_a_bad_seeding_is_refused_beside_the_team(organizer_client, meet, seeds, field, message):
    item, entries = tug_of_war(meet)
    response = draw(organizer_client, meet, item, seeding(entries, seeds))
    assert response.status_code == 400
    assert message in errors_beside(response.get_data(as_text=True), field)
    assert first_round(item) == [] and draw_log(meet) == []


def test_a_seeding_must_name_the_items_own_entries(organizer_client, meet):
    item, entries = tug_of_war(meet)
    other = make_item(meet, name="跳绳", result_type="count")
    (stranger, *_rest) = enter_all(meet, other)
    db.session.commit()
    data = seeding(entries, [1, 2, 3, 4, 5]) | {"seeds-4-entry_id": stranger.id}
    response = draw(organizer_client, meet, item, data)
    assert response.status_code == 409
    assert "teams entered have changed" in response.get_data(as_text=True)
    assert first_round(item) == [] and draw_log(meet) == []


@pytest.mark.parametrize("seed", ["abc", "-1", "1000000", "1.5", "99999999999999999999"])
def test_a_bad_seed_for_the_lots_is_refused_beside_it(organizer_client, meet, seed):
    item, _entries = tug_of_war(meet)
    response = draw(organizer_client, meet, item, {"method": "lots", "seed": seed})
    assert response.status_code == 400
    assert "from 0 to 999999" in errors_beside(response.get_data(as_text=True), "seed")
    assert first_round(item) == [] and draw_log(meet) == []


def test_a_seed_typed_with_full_width_digits_is_read(organizer_client, meet):
    item, entries = tug_of_war(meet)
    assert (
        draw(organizer_client, meet, item, {"method": "lots", "seed": " ４２ "}).status_code == 303
    )
    assert first_round(item) == planned_first_round(draw_lots([e.id for e in entries], 42))


def test_without_a_method_the_draw_stays_in_team_order(organizer_client, meet):
    item, entries = tug_of_war(meet)
    assert draw(organizer_client, meet, item).status_code == 303
    assert first_round(item) == planned_first_round([e.id for e in entries])
    (logged,) = draw_log(meet)
    assert "in team order" in logged


def test_heats_drawn_by_lot(organizer_client, meet):
    item = make_item(meet, name="毛毛虫竞速", result_type="time")
    entries = enter_all(meet, item)
    db.session.commit()
    data = {"lanes": "3", "method": "lots", "seed": "2024"}
    assert draw(organizer_client, meet, item, data).status_code == 303
    db.session.rollback()
    heats = db.session.scalars(sa.select(Heat).where(Heat.item_id == item.id).order_by(Heat.number))
    lanes = [[lane.entry_id for lane in heat.lanes] for heat in heats]
    order = draw_lots([e.id for e in entries], 2024)
    # Dealt out in the drawn order, one heat after the other, as in team order before.
    assert lanes == [order[0::2], order[1::2]]
    (logged,) = draw_log(meet)
    assert "drawing of lots, seed 2024" in logged


def test_heats_offer_no_manual_seeding(organizer_client, meet):
    item = make_item(meet, name="毛毛虫竞速", result_type="time")
    enter_all(meet, item)
    db.session.commit()
    response = draw(organizer_client, meet, item, {"lanes": "3", "method": "seeded"})
    assert response.status_code == 400
    assert errors_beside(response.get_data(as_text=True), "method")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Heat.id))) == 0


def test_the_draw_form_is_on_the_item_page(organizer_client, meet):
    item, _entries = tug_of_war(meet)
    html = organizer_client.get(f"/events/{meet.event.id}/meet/items/{item.id}/edit").get_data(
        as_text=True
    )
    for method in ("team_order", "lots", "seeded"):
        assert f'value="{method}"' in html
    assert 'name="seed"' in html
    assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 5


# --- after a draw, the form shows how it was drawn; drawing again asks first ------------------


def edit_page(client, meet, item) -> str:
    return client.get(f"/events/{meet.event.id}/meet/items/{item.id}/edit").get_data(as_text=True)


def draw_form(html: str) -> str:
    """The draw form's opening tag and body."""
    return re.search(r'<form[^>]*class="stacked draw-form".*?</form>', html, re.S).group(0)


def checked_method(html: str) -> str:
    """The draw method the form has ticked."""
    ticked = [
        tag
        for tag in re.findall(r'<input[^>]*name="method"[^>]*>', draw_form(html))
        if re.search(r"\bchecked\b", tag)
    ]
    assert len(ticked) == 1, ticked
    return re.search(r'value="(\w+)"', ticked[0]).group(1)


def input_value(html: str, field_id: str) -> str:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def test_after_a_drawing_of_lots_the_form_shows_lots_and_the_seed_drawn(organizer_client, meet):
    item, _entries = tug_of_war(meet)
    assert checked_method(edit_page(organizer_client, meet, item)) == "team_order"
    assert (
        draw(organizer_client, meet, item, {"method": "lots", "seed": "123456"}).status_code == 303
    )
    html = edit_page(organizer_client, meet, item)
    assert checked_method(html) == "lots"
    current = re.search(r'<p class="current-draw"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "by drawing lots, seed 123456" in " ".join(current.split())
    # The seed box stays empty: a new drawing draws a new seed unless one is called out.
    assert input_value(html, "seed") == ""


def test_after_a_seeded_draw_the_form_shows_the_seeding_used(organizer_client, meet):
    item, entries = tug_of_war(meet)
    assert draw(organizer_client, meet, item, seeding(entries, [5, 4, 3, 2, 1])).status_code == 303
    html = edit_page(organizer_client, meet, item)
    assert checked_method(html) == "seeded"
    assert [input_value(html, f"seeds-{i}-seed") for i in range(5)] == ["5", "4", "3", "2", "1"]
    # Drawn again in team order, the seeding is gone with the draw it made.
    assert draw(organizer_client, meet, item, {"method": "team_order"}).status_code == 303
    html = edit_page(organizer_client, meet, item)
    assert checked_method(html) == "team_order"
    assert [input_value(html, f"seeds-{i}-seed") for i in range(5)] == [""] * 5


def test_after_heats_are_drawn_the_form_shows_the_lanes_and_method_used(organizer_client, meet):
    item = make_item(meet, name="毛毛虫竞速", result_type="time")
    enter_all(meet, item)
    db.session.commit()
    data = {"lanes": "3", "method": "lots", "seed": "2024"}
    assert draw(organizer_client, meet, item, data).status_code == 303
    html = edit_page(organizer_client, meet, item)
    assert checked_method(html) == "lots"
    assert input_value(html, "lanes") == "3"
    assert "seed 2024" in html


@pytest.mark.parametrize("kind", ["heats", "matches"])
def test_drawing_again_asks_first_that_it_replaces_the_current_draw(organizer_client, meet, kind):
    if kind == "matches":
        item, _entries = tug_of_war(meet)
    else:
        item = make_item(meet, name="毛毛虫竞速", result_type="time")
        enter_all(meet, item)
        db.session.commit()
    # The first draw replaces nothing: no question, a plain button.
    form = draw_form(edit_page(organizer_client, meet, item))
    assert "data-confirm" not in form and "Draw again" not in form
    assert draw(organizer_client, meet, item, {"lanes": "3"}).status_code == 303
    form = draw_form(edit_page(organizer_client, meet, item))
    question = re.search(r'data-confirm="([^"]*)"', form).group(1)
    assert "replaces the current draw" in question
    assert "in team order" in question  # which draw it replaces
    assert "Draw again" in form
