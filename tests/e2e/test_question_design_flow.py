"""On a phone, an organizer builds a registration question set with a conditional question: the
form shows only the fields the chosen type uses, the preview asks the conditional question only
once its choice is picked, a move that would put the condition above its question is refused
beside it, and a question is removed after a confirmation. Then two members answer it (one is
asked the conditional question, and a number out of its bounds is refused beside it), and the
organizer's roster shows the answers as columns, filters by a choice, and exports the column."""

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
        make_user(name="刘师傅", mobile="13900007001")
        make_user(name="王师傅", mobile="13900007002")
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


def sign_in(page, url: str, mobile: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()


def test_an_organizer_builds_a_question_set_with_a_condition_on_a_phone(live_app, care_day, phone):
    app, url = live_app
    event_id, mobile = care_day
    page = phone()
    sign_in(page, url, mobile)

    page.goto(f"{url}/manage")
    # The rarer tools of each event fold away under 「更多管理工具」.
    page.locator("details.tools summary").first.click()
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

    # A member who brings family is asked how many; 3 is beyond the bound, refused beside it.
    courier = phone()
    sign_in(courier, url, "13900007001")
    courier.goto(f"{url}/events/{event_id}")
    number = courier.locator(f"#q-{count.id}-field")
    assert number.is_hidden()
    courier.locator(f"#q-{family.id}-{yes}").check()
    assert number.is_visible()
    courier.fill(f"#q-{count.id}", "3")
    courier.locator(f"form[action='/events/{event_id}/register'] button[type=submit]").click()
    courier.wait_for_load_state()
    assert "请填写不大于 2 的数" in courier.locator(f"#q-{count.id}-errors").inner_text()
    courier.locator(f"#q-{family.id}-{yes}").check()
    courier.fill(f"#q-{count.id}", "2")
    courier.locator(f"form[action='/events/{event_id}/register'] button[type=submit]").click()
    courier.wait_for_load_state()
    assert_fits_phone(courier)
    # One who does not is never asked, and registers with the choice alone.
    other = phone()
    sign_in(other, url, "13900007002")
    other.goto(f"{url}/events/{event_id}")
    other.locator(f"#q-{family.id}-{family.choices[1].id}").check()
    assert other.locator(f"#q-{count.id}-field").is_hidden()
    other.locator(f"form[action='/events/{event_id}/register'] button[type=submit]").click()
    other.wait_for_load_state()

    # The roster shows the answers as columns and filters by a choice; the export has them.
    page.goto(f"{url}/events/{event_id}/roster")
    body = page.locator("main").inner_text()
    assert "刘师傅" in body and "王师傅" in body and "携带家属人数" in body
    page.locator("details summary").first.click()
    page.select_option("#answer", label="是否携带家属: 是")
    page.locator("#answer").locator("xpath=ancestor::form").locator(
        "button[type=submit]"
    ).first.click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "刘师傅" in body and "王师傅" not in body
    assert_fits_phone(page)
    screenshot(page, "roster-filtered-by-answer-phone")
    export = page.request.get(f"{url}/events/{event_id}/roster.csv")
    header, *rows = export.text().lstrip("\ufeff").splitlines()
    assert "是否携带家属" in header and "携带家属人数" in header
    assert any("刘师傅" in row and ",2" in row for row in rows)
