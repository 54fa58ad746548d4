"""A referee on a phone enters a heat; the standings open on another screen update by themselves."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from eventsite.extensions import db
from eventsite.sportsmeet import rules, service
from eventsite.sportsmeet.models import Match
from eventsite.sportsmeet.views import REFRESH_SECONDS
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user
from tests.sportsmeet_factories import make_meet

pytestmark = pytest.mark.e2e

TEAMS = ("站前社区队", "铁锋社区队", "龙华社区队", "光荣社区队")
#: What the referee types for each team, as minutes:seconds; 铁锋社区队 is fastest.
TIMES = {
    "站前社区队": "1:02.50",
    "铁锋社区队": "0:58.30",
    "龙华社区队": "1:05.00",
    "光荣社区队": "0:59.10",
}


@pytest.fixture
def caterpillar_race(live_app):
    """A meet of four teams; the caterpillar race has every team entered in one drawn heat and a
    judge assigned as its referee, all set up through the sports meet services."""
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="周文静")
        judge = make_user(roles=["judge"], name="孙建国", mobile="13900000003")
        meet = make_meet(teams=TEAMS, per_team=2, women=1, organizer=organizer)
        event = meet.event
        item = service.create_item(
            event,
            organizer,
            name="骑毛毛虫竞速",
            result_type="time",
            match_format="",
            starts_at=event.starts_at,
            place="运动场东跑道",
            min_members=2,
            max_members=2,
            min_women=1,
            multiplier=1,
            second_attempt=False,
            individual=False,
        )
        for team in event.teams:
            registrations = {r.id for r in meet.members[team.id]}
            service.save_team_entries(event, team, organizer, {item.id: registrations})
        (heat,) = service.draw_heats(item, organizer, 4)
        service.add_referee(item, judge.mobile, organizer)
        db.session.commit()
        return event.id, item.id, heat.id, judge.mobile


def test_a_referee_enters_a_heat_and_the_open_standings_follow(
    live_app, browser, phone, caterpillar_race
):
    _app, url = live_app
    event_id, item_id, heat_id, judge_mobile = caterpillar_race

    # The standings are open on the venue's screen (a desktop browser, nobody logged in).
    screen_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        standings = screen_context.new_page()
        standings.goto(f"{url}/events/{event_id}/meet")
        first_row = standings.locator("table.standings-table tbody tr").first
        expect(first_row.locator("td.team")).to_have_text("站前社区队")
        expect(first_row.locator("td.points")).to_have_text("0")
        standings.evaluate("window.__openedOnce = true")
        screenshot(standings, "meet-01-standings-before")

        # The referee signs in on a phone through the real form and opens their item.
        referee = phone()
        referee.goto(f"{url}/login")
        referee.fill("#mobile", judge_mobile)
        referee.fill("#password", PASSWORD)
        referee.locator("form.stacked button[type=submit]").click()
        referee.wait_for_load_state()
        assert "/login" not in referee.url
        referee.goto(f"{url}/my/meet-duties")
        referee.get_by_role("link", name="骑毛毛虫竞速").click()
        referee.wait_for_load_state()
        assert referee.url.endswith(f"/events/{event_id}/meet/items/{item_id}/referee")
        assert_fits_phone(referee)

        # They type each team's time as minutes:seconds and save the heat.
        sheet = referee.locator(f"#heat-{heat_id}")
        outcome = sheet.locator("fieldset.result-row select").first
        expect(outcome.locator("option")).to_have_text(["完赛", "未完赛", "取消资格"])
        for team, typed in TIMES.items():
            row = sheet.locator("fieldset.result-row", has_text=team)
            row.locator(f"input[name^='h{heat_id}-rows-'][name$='-value']").fill(typed)
        screenshot(referee, "meet-02-referee-sheet")
        sheet.locator("button[type=submit]").click()
        referee.wait_for_load_state()
        saved_at = time.monotonic()
        assert_fits_phone(referee)
        expect(referee.locator(".flash").first).to_contain_text("4")
        screenshot(referee, "meet-03-referee-saved")
        # The sheet now shows the saved times, as the referee typed them.
        leader_row = referee.locator("fieldset.result-row", has_text="铁锋社区队")
        expect(leader_row.locator("input[name$='-value']")).to_have_value("58.30")

        # The screen, never reloaded by anyone, shows the new leader within its refresh interval.
        expect(first_row.locator("td.team")).to_have_text(
            "铁锋社区队", timeout=(REFRESH_SECONDS + 5) * 1000
        )
        assert time.monotonic() - saved_at <= REFRESH_SECONDS + 5
        expect(first_row.locator("td.points")).to_have_text("5")
        rows = standings.locator("table.standings-table tbody tr td.team")
        expect(rows).to_have_text(["铁锋社区队", "光荣社区队", "站前社区队", "龙华社区队"])
        assert standings.evaluate("window.__openedOnce") is True
        screenshot(standings, "meet-04-standings-after")
    finally:
        screen_context.close()


EIGHT_TEAMS = tuple(
    f"{name}社区队"
    for name in ("站前", "铁锋", "龙华", "光荣", "富拉尔基", "昂昂溪", "碾子山", "梅里斯")
)


#: Twelve teams, as many as the seed's skills competition has provinces: a points table of 12.
TWELVE_TEAMS = (*EIGHT_TEAMS, *(f"{name}社区队" for name in ("龙沙", "建华", "红岸", "讷河市")))


def meet_with_a_decided_item(app, teams) -> int:
    """A meet of `teams` with one decided item, so every standings column (one per place of the
    default points table) is filled; its event id."""
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="周文静")
        meet = make_meet(teams=teams, per_team=1, women=1, organizer=organizer)
        event = meet.event
        item = service.create_item(
            event,
            organizer,
            name="同心协力运球",
            result_type="time",
            match_format="",
            starts_at=event.starts_at,
            place="运动场西跑道",
            min_members=1,
            max_members=1,
            min_women=0,
            multiplier=1,
            second_attempt=False,
            individual=False,
        )
        for team in event.teams:
            service.save_team_entries(
                event, team, organizer, {item.id: {meet.members[team.id][0].id}}
            )
        (heat,) = service.draw_heats(item, organizer, len(teams))
        rows = [
            service.ResultInput(lane.entry_id, Decimal(50 + n), None, "ok", "")
            for n, lane in enumerate(heat.lanes)
        ]
        service.save_heat_results(item, heat, organizer, rows, {})
        service.set_final(item, organizer, True)
        db.session.commit()
        return event.id


@pytest.fixture
def eight_team_meet(live_app):
    """An 8-team meet with one decided item, so every standings column (places 1-8) is filled."""
    app, _url = live_app
    return meet_with_a_decided_item(app, EIGHT_TEAMS)


@pytest.mark.parametrize(
    ("viewport", "name"),
    [({"width": 1920, "height": 1080}, "projector"), ({"width": 390, "height": 844}, "phone")],
)
def test_the_big_screen_fits_a_projector_and_a_phone(
    browser, live_app, eight_team_meet, viewport, name
):
    _app, url = live_app
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{url}/events/{eight_team_meet}/meet/screen")
        expect(page.locator(".standings-table th.place-count")).to_have_count(8)
        expect(page.locator(".standings-table tbody tr")).to_have_count(8)
        screenshot(page, f"meet-05-screen-{name}")
        assert_fits_phone(page)  # no sideways scrolling, whatever the screen
        # Team names stay on one line, and the type is large on the projector (readable at 10 m).
        lines = page.eval_on_selector_all(
            ".standings-table td.team",
            """cells => cells.map(cell => {
                const range = document.createRange();
                range.selectNodeContents(cell);
                return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
            })""",
        )
        assert lines == [1] * 8, lines
        size = page.eval_on_selector(
            ".standings-table td.team", "c => parseFloat(getComputedStyle(c).fontSize)"
        )
        if name == "projector":
            assert size >= 40
            # All 8 teams on the projector at once, without scrolling.
            assert page.evaluate("document.documentElement.scrollHeight") <= viewport["height"]
            # The other panel (medals and latest results): every row whole, nothing cut off.
            page.evaluate(
                """() => document.querySelectorAll("[data-panel]").forEach(
                    panel => panel.classList.toggle("is-shown"))"""
            )
            rows = page.locator(".latest-results li")
            expect(rows).to_have_count(8)
            bottom = rows.last.evaluate("li => li.getBoundingClientRect().bottom")
            assert bottom <= viewport["height"], bottom
            heights = rows.evaluate_all("lis => lis.map(li => Math.round(li.offsetHeight))")
            assert len(set(heights)) == 1, heights  # one line each
            screenshot(page, f"meet-05-screen-{name}-latest")
        page.goto(f"{url}/events/{eight_team_meet}/meet")
        screenshot(page, f"meet-06-standings-{name}")
        assert_fits_phone(page)
    finally:
        context.close()


def assert_every_column_shows(page, table: str):
    """Every cell of `table` lies inside the screen and inside its scrolling box: no column is
    cut off or hidden behind a sideways scroll."""
    hidden = page.evaluate(
        """selector => {
            const table = document.querySelector(selector);
            const wrap = table.closest(".table-wrap") || table.parentElement;
            const box = wrap.getBoundingClientRect();
            const right = Math.min(box.right, window.innerWidth);
            const cut = [...table.querySelectorAll("th, td")]
                .filter(cell => cell.getBoundingClientRect().right > right + 0.5)
                .map(cell => cell.textContent.trim());
            if (wrap.scrollWidth > wrap.clientWidth) cut.push(`scrolls ${wrap.scrollWidth}px`);
            return cut;
        }""",
        table,
    )
    assert hidden == [], f"{page.url}: {table} cut off at {hidden}"


@pytest.mark.parametrize("teams", [TEAMS, EIGHT_TEAMS, TWELVE_TEAMS], ids=["4", "8", "12"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_standings_column_shows_on_a_phone(browser, live_app, teams, locale):
    app, url = live_app
    event_id = meet_with_a_decided_item(app, teams)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    try:
        page = context.new_page()
        if locale == "en":
            page.goto(f"{url}/lang/en")
        page.goto(f"{url}/events/{event_id}/meet")
        expect(page.locator(".standings-table th.place-count")).to_have_count(len(teams))
        assert_every_column_shows(page, ".standings-table")
        assert_every_column_shows(page, ".medal-table")
        assert_fits_phone(page)
        screenshot(page, f"meet-07-standings-phone-{len(teams)}-{locale}")
        # Each place column still says which place it counts, to a screen reader too.
        header = page.locator(".standings-table th.place-count").last
        assert header.get_attribute("title") == header.locator(".place-label").text_content()
    finally:
        context.close()


@pytest.fixture
def tug_of_war(live_app):
    """Five teams entered in a knockout tug-of-war, not drawn yet; (event id, item id, organizer
    mobile, entry ids in team order)."""
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="周文静", mobile="13900000002")
        meet = make_meet(teams=(*TEAMS, "富拉尔基社区队"), per_team=1, organizer=organizer)
        event = meet.event
        item = service.create_item(
            event,
            organizer,
            name="拔河",
            result_type="head_to_head",
            match_format="knockout",
            starts_at=event.starts_at,
            place="",
            min_members=1,
            max_members=1,
            min_women=0,
            multiplier=1,
            second_attempt=False,
            individual=False,
        )
        for team in event.teams:
            service.save_team_entries(
                event, team, organizer, {item.id: {meet.members[team.id][0].id}}
            )
        db.session.commit()
        return event.id, item.id, organizer.mobile, list(service.draw_entries(item))


def test_an_organizer_draws_lots_and_seeds_a_bracket_on_a_phone(live_app, phone, tug_of_war):
    app, url = live_app
    event_id, item_id, mobile, entries = tug_of_war
    page = phone()
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{url}/events/{event_id}/meet/items/{item_id}/edit")
    assert_fits_phone(page)
    screenshot(page, "meet-08-draw-form")

    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)

    # A drawing of lots with the number the captains called out; the page says the seed. The
    # first draw replaces nothing, so nothing is asked.
    form = page.locator("form.draw-form")
    form.locator("input[name=method][value=lots]").check()
    form.locator("input[name=seed]").fill("2026")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".flash-success")).to_contain_text("2026")
    assert asked == []
    # The form shows the draw as it was made: a second tap draws lots again, not team order.
    expect(page.locator("#current-draw")).to_contain_text("2026")
    expect(page.locator("form.draw-form input[name=method][value=lots]")).to_be_checked()
    assert_fits_phone(page)
    with app.app_context():
        first = [
            (m.home_entry_id, m.away_entry_id)
            for m in db.session.scalars(
                sa.select(Match)
                .where(Match.item_id == item_id, Match.round == 1)
                .order_by(Match.slot)
            )
        ]
    order = rules.draw_lots(entries, 2026)
    assert first == [(m.home, m.away) for m in rules.knockout_bracket(order) if m.round == 1]

    # The organizer's own seeding, with one seed given twice: refused beside both teams.
    form = page.locator("form.draw-form")
    form.locator("input[name=method][value=seeded]").check()
    for i, seed in enumerate(["1", "1", "3", "4", "5"]):
        form.locator(f"input[name='seeds-{i}-seed']").fill(seed)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    # Drawing again asked first, naming the draw it replaces.
    assert len(asked) == 1 and "2026" in asked[0], asked
    expect(page.locator("#seeds-0-seed-errors")).to_be_visible()
    expect(page.locator("#seeds-1-seed-errors")).to_be_visible()
    assert_fits_phone(page)
    screenshot(page, "meet-09-seeding-refused")
    page.locator("input[name='seeds-1-seed']").fill("2")
    page.locator("form.draw-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".flash-success")).to_be_visible()
    assert len(asked) == 2
    with app.app_context():
        byes = {
            m.home_entry_id
            for m in db.session.scalars(
                sa.select(Match).where(
                    Match.item_id == item_id, Match.round == 1, Match.away_entry_id.is_(None)
                )
            )
        }
    assert byes == set(entries[:3])  # seeds 1-3: the first three teams
