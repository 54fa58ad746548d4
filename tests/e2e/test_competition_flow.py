"""A judge on a phone fills in and submits the last missing score sheet (a draft autosaves on
the way); the organizer's ranking turns from provisional to complete, with the new leader."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from eventsite.extensions import db
from tests.competition_factories import make_contest, make_sheet
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def final_round(live_app):
    """Three contestants, two judges; 孙建国 has scored two of them, the third is missing."""
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="周文静")
        contest = make_contest(judges=1, organizer=organizer, min_judges=2)
        judge = make_user(roles=["judge"], name="孙建国", mobile="13900000003")
        from eventsite.competitions.models import JudgeAssignment

        for track in contest.event.tracks:
            db.session.add(
                JudgeAssignment(round_id=contest.round.id, track_id=track.id, user_id=judge.id)
            )
        first, second, third = contest.everyone()
        for registration, scores in (
            (first, ["9", "18"]),
            (second, ["8", "16"]),
            (third, ["8.5", "17"]),
        ):
            make_sheet(contest, contest.judges[0], registration, scores)
        make_sheet(contest, judge, first, ["9", "18"])
        make_sheet(contest, judge, second, ["8", "16"])
        db.session.commit()
        return (
            contest.event.id,
            contest.round.id,
            organizer.mobile,
            judge.mobile,
            third.user.name,
            third.id,
        )


def sign_in(page, url, mobile):
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url


def test_a_judge_submits_a_sheet_and_the_ranking_follows(live_app, phone, final_round):
    _app, url = live_app
    event_id, round_id, organizer_mobile, judge_mobile, third_name, third_id = final_round
    ranking_url = f"{url}/competitions/{event_id}/rounds/{round_id}/ranking"

    organizer = phone()
    sign_in(organizer, url, organizer_mobile)
    organizer.goto(ranking_url)
    expect(organizer.locator("#ranking-state")).to_have_attribute("data-state", "provisional")
    expect(organizer.locator("table.comp-ranking tbody tr").first).not_to_contain_text(third_name)
    assert_fits_phone(organizer)
    screenshot(organizer, "competition-01-ranking-provisional")

    judge = phone()
    sign_in(judge, url, judge_mobile)
    # On a phone the judge's pages are on the 我的 tab.
    judge.locator("nav.tab-bar a[href='/me']").click()
    judge.wait_for_load_state()
    judge.locator(".hub-list a[href='/competitions/my-sheets']").click()
    judge.wait_for_load_state()
    judge.locator(f"a[href='/competitions/{event_id}/rounds/{round_id}/score']").click()
    judge.wait_for_load_state()
    assert_fits_phone(judge)
    screenshot(judge, "competition-02-judge-round")
    judge.get_by_role("link", name=third_name).click()
    judge.wait_for_load_state()
    assert judge.url.endswith(f"/rounds/{round_id}/score/{third_id}")
    assert_fits_phone(judge)

    boxes = judge.locator("form#score-sheet input[name^=score_]")
    expect(boxes).to_have_count(2)
    # A value above the maximum is refused beside its box, as the judge types it (autosave).
    boxes.nth(0).fill("12")
    expect(judge.locator("form#score-sheet .field.has-error")).to_have_count(1, timeout=8000)
    # Submitting a bad value shows its message and never asks "it will be locked".
    dialogs = []

    def refuse(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    judge.on("dialog", refuse)
    boxes.nth(0).fill("-1")
    judge.locator("button[name=action][value=submit]").click()
    expect(judge.locator("form#score-sheet .field.has-error").first).to_contain_text("不能低于 0")
    assert dialogs == [] and judge.url.endswith(f"/score/{third_id}")
    judge.remove_listener("dialog", refuse)
    boxes.nth(0).fill("10")
    boxes.nth(1).fill("20")
    judge.fill("#comment", "表达流利，实务扎实。")
    expect(judge.locator("#autosave-status")).to_have_attribute("data-saved", "1", timeout=8000)
    expect(judge.locator("form#score-sheet .field.has-error")).to_have_count(0)
    screenshot(judge, "competition-03-sheet-filled")

    judge.once("dialog", lambda dialog: dialog.accept())
    judge.locator("button[name=action][value=submit]").click()
    judge.wait_for_load_state()
    expect(judge.locator(".flash").first).to_contain_text(third_name)
    assert_fits_phone(judge)
    screenshot(judge, "competition-04-submitted")

    organizer.reload()
    expect(organizer.locator("#ranking-state")).to_have_attribute("data-state", "complete")
    expect(organizer.locator("table.comp-ranking tbody tr").first).to_contain_text(third_name)
    assert_fits_phone(organizer)
    screenshot(organizer, "competition-05-ranking-complete")
