"""On a phone, an organizer builds a registration question set with a conditional question: the
form shows only the fields the chosen type uses, the preview asks the conditional question only
once its choice is picked, a move that would put the condition above its question is refused
beside it, and a question is removed after a confirmation."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from eventsite.events.models import EventKind
from eventsite.extensions import db
from eventsite.questions.models import Question
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_event, make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def care_day(live_app):
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="毕仁静", mobile="13900000002")
        event = make_event(organizer=organizer, kind=EventKind.GENERAL, title="快递小哥关爱日")
        db.session.commit()
        return event.id, organizer.mobile


def add_question(page, kind: str, label: str, *, choices: str = "", condition: str = ""):
    page.select_option("#kind", kind)
    page.fill("#label", label)
    if choices:
        page.fill("#new_choices", choices)
    if condition:
        page.select_option("#shown_if_choice_id", label=condition)
    page.locator("#add-question button[type=submit]").click()
    page.wait_for_load_state()


def test_an_organizer_builds_a_question_set_with_a_condition_on_a_phone(live_app, care_day, phone):
    app, url = live_app
    event_id, mobile = care_day
    page = phone()
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(f"{url}/manage")
    page.get_by_role("link", name="报名问题").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/events/{event_id}/questions")
    # A short text asks neither bounds nor choices; a choice question shows its choices box.
    assert not page.locator("#min_value").is_visible()
    assert not page.locator("#new_choices").is_visible()
    page.select_option("#kind", "single_choice")
    assert page.locator("#new_choices").is_visible()

    add_question(page, "single_choice", "是否携带家属", choices="是\n否")
    add_question(page, "single_choice", "T恤尺码", choices="M | 20\nL | 20")
    page.select_option("#kind", "number")
    assert page.locator("#min_value").is_visible()
    page.fill("#min_value", "1")
    page.fill("#max_value", "2")
    add_question(page, "number", "携带家属人数", condition="「是否携带家属」选择「是」时")
    assert "仅在「是否携带家属」选择「是」时显示" in page.content()
    assert_fits_phone(page)

    # The preview asks the number only once 「是」 is picked.
    with app.app_context():
        family, size, count = db.session.scalars(
            sa.select(Question).where(Question.event_id == event_id).order_by(Question.position)
        ).all()
        yes = family.choices[0].id
    count_field = page.locator(f"#q-{count.id}-field")
    assert count_field.is_hidden()
    page.locator(f"#q-{family.id}-{yes}").check()
    assert count_field.is_visible()
    screenshot(page, "question-designer-phone")

    # Moving the number above the question it depends on is refused on its card.
    page.locator(f"#question-{size.id} button[value=down]").click()
    page.wait_for_load_state()
    page.locator(f"#question-{count.id} button[value=up]").click()
    page.wait_for_load_state()
    errors = page.locator(f"#question-{count.id}-errors")
    assert re.search("必须排在其后", errors.inner_text())
    with app.app_context():
        order = db.session.scalars(
            sa.select(Question.label)
            .where(Question.event_id == event_id)
            .order_by(Question.position)
        ).all()
    assert order == ["是否携带家属", "携带家属人数", "T恤尺码"]

    # Removing asks first.
    page.goto(f"{url}/events/{event_id}/questions")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#question-{size.id} button.danger").click()
    page.wait_for_load_state()
    assert "问题已删除" in page.content()
    with app.app_context():
        remaining = db.session.scalars(
            sa.select(Question.label).where(Question.event_id == event_id)
        ).all()
    assert sorted(remaining) == sorted(["是否携带家属", "携带家属人数"])
