"""Publishing a round with criteria flagged beyond the tolerance: without the tick the organizer
is not asked "publish to everyone?" only to be refused afterwards; the refusal stands beside the
tick, and with it ticked the confirmation is asked once and the results go out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from eventsite.extensions import db
from tests.competition_factories import fill_all, make_contest
from tests.e2e.test_competition_flow import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def flagged_round(live_app):
    """Every sheet in; the first contestant's judges are 4 points apart on a criterion whose
    tolerance is 0.5, so publishing needs the tick."""
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="周文静")
        contest = make_contest(organizer=organizer)
        contest.criteria[0].tolerance = Decimal("0.5")
        fill_all(contest, lambda j, c: [str(5 + 2 * j) if c == 0 else "8", "10"])
        db.session.commit()
        return contest.event.id, contest.round.id, organizer.mobile


def test_publishing_without_the_tick_is_refused_beside_it_without_asking_first(
    live_app, phone, flagged_round
):
    _app, url = live_app
    event_id, round_id, organizer_mobile = flagged_round
    page = phone()
    sign_in(page, url, organizer_mobile)
    page.goto(f"{url}/competitions/{event_id}/rounds/{round_id}/ranking")
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="公布成绩").click()
    page.wait_for_load_state()
    tick = page.locator(".field.has-error", has=page.locator("input[name=flags_checked]"))
    expect(tick).to_be_visible()
    expect(tick.locator(".errors")).not_to_be_empty()
    assert asked == []  # refused once, beside the field, never confirmed first

    page.locator("input[name=flags_checked]").check()
    page.get_by_role("button", name="公布成绩").click()
    page.wait_for_load_state()
    assert len(asked) == 1
    expect(page.locator(".flash-success").first).to_be_visible()
