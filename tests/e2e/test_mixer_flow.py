"""Two members checked in at a mixer mark each other on their phones; the window closes and both
see the other's card; a third member, who marked one of them, sees "no match"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eventsite.core import time as core_time
from eventsite.core.time import utcnow
from eventsite.events import roster
from eventsite.extensions import db
from eventsite.mixers import service
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_registration, make_user
from tests.mixer_factories import Mixer, make_mixer, set_up

pytestmark = pytest.mark.e2e


@pytest.fixture
def moved_clock(monkeypatch):
    """The app's clock (the live server runs in this process), frozen now and moved by hand."""
    frozen = {"now": utcnow().replace(microsecond=0)}
    monkeypatch.setattr(core_time, "_clock", lambda: frozen["now"])
    return frozen


@pytest.fixture
def wuhu_mixer(live_app, moved_clock):
    """A mixer that ended an hour ago; three members checked in at the desk (numbers 1–3);
    the third has already set up her card."""
    app, _url = live_app
    with app.app_context():
        organizer = make_user(roles=["organizer"], name="周文静")
        mixer: Mixer = make_mixer(organizer=organizer)
        teacher = make_user(name="吴晓宇", gender="male", mobile="13900000004")
        lin = make_user(name="林静怡", gender="female", mobile="13900001001")
        zhou = make_user(name="周梦瑶", gender="female", mobile="13900001002")
        for user in (teacher, lin, zhou):
            registration = make_registration(
                mixer.event, user, single_declared_at=mixer.event.starts_at
            )
            moved_clock["now"] = mixer.event.starts_at  # at the desk, as they arrive
            roster.check_in(registration, actor=organizer)
        moved_clock["now"] = mixer.event.ends_at + timedelta(hours=1)
        mixer.attendees = [teacher, lin, zhou]
        set_up(mixer, zhou, nickname="梦瑶", phone="17755550003")
        db.session.commit()
        numbers = {
            u.mobile: service.profile_of(mixer.event, u.id).number for u in (teacher, lin, zhou)
        }
        return mixer.event.id, numbers, service.window_of(mixer.event).closes_at


def sign_in(page, url: str, mobile: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(f"{url}/login")


def set_up_card(page, url: str, event_id: int, nickname: str, wechat: str, shot: str) -> None:
    page.goto(f"{url}/events/{event_id}/mixer/profile")
    page.fill("#nickname", nickname)
    page.fill("#introduction", "周末喜欢爬山，也爱看书")
    page.fill("#wechat", wechat)
    page.check("#single_declared")
    page.check("#release_card")
    assert_fits_phone(page)
    screenshot(page, shot)
    page.locator("form.card button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()


def tap(page, number: int) -> None:
    """Tap an attendee on the marking page and wait for the instant save to show."""
    button = page.locator(f"#p{number} button.mark-button")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")


def test_two_members_match_and_a_third_sees_no_match(live_app, phone, moved_clock, wuhu_mixer):
    _app, url = live_app
    event_id, numbers, closes_at = wuhu_mixer
    teacher_no, lin_no = numbers["13900000004"], numbers["13900001001"]

    # 林 sets up her card on her phone.
    lin = phone()
    sign_in(lin, url, "13900001001")
    set_up_card(lin, url, event_id, "静怡", "lin_jingyi", "mixer-01-her-card")

    # The teacher sets up his and marks 林: one tap, saved at once.
    teacher = phone()
    sign_in(teacher, url, "13900000004")
    set_up_card(teacher, url, event_id, "晓宇", "wxy_teacher", "mixer-02-his-card")
    teacher.goto(f"{url}/events/{event_id}/mixer/mark")
    expect(teacher.locator("#mark-count")).to_have_text("0")
    expect(teacher.locator(".mark-list li")).to_have_count(2)  # the two women only
    tap(teacher, lin_no)
    expect(teacher.locator("#mark-count")).to_have_text("1")  # saved without a reload
    assert_fits_phone(teacher)
    screenshot(teacher, "mixer-03-marked")

    # 林 marks him back.
    lin.goto(f"{url}/events/{event_id}/mixer/mark")
    expect(lin.locator(".mark-list li")).to_have_count(1)  # the one man
    tap(lin, teacher_no)
    expect(lin.locator("#mark-count")).to_have_text("1")

    # 周 marks the teacher too: a one-sided mark.
    zhou = phone()
    sign_in(zhou, url, "13900001002")
    zhou.goto(f"{url}/events/{event_id}/mixer/mark")
    tap(zhou, teacher_no)

    # Before the close nobody sees a card.
    teacher.goto(f"{url}/events/{event_id}/mixer/results")
    expect(teacher.locator(".match")).to_have_count(0)
    assert "lin_jingyi" not in teacher.content()

    # The window closes.
    moved_clock["now"] = closes_at + timedelta(minutes=5)

    teacher.reload()
    match = teacher.locator(".match")
    expect(match).to_have_count(1)
    expect(match.locator(".nick")).to_have_text("静怡")
    expect(match.locator(".contact-card")).to_contain_text("lin_jingyi")
    assert "梦瑶" not in match.inner_text() and "17755550003" not in teacher.content()
    assert_fits_phone(teacher)
    screenshot(teacher, "mixer-04-his-match")

    lin.goto(f"{url}/events/{event_id}/mixer/results")
    expect(lin.locator(".match .contact-card")).to_contain_text("wxy_teacher")
    screenshot(lin, "mixer-05-her-match")

    zhou.goto(f"{url}/events/{event_id}/mixer/results")
    expect(zhou.locator(".no-match")).to_be_visible()
    expect(zhou.locator(".match")).to_have_count(0)
    assert "wxy_teacher" not in zhou.content() and "lin_jingyi" not in zhou.content()
    assert_fits_phone(zhou)
    screenshot(zhou, "mixer-06-no-match")


def test_a_tap_that_makes_a_match_says_so_where_matches_show_at_once(live_app, phone, moved_clock):
    """At a mixer that shows matches at once, tapping someone who marked you says "a match" at
    once, with a link to the card; tapping someone who did not says nothing."""
    from tests.mixer_factories import attend, mark

    app, url = live_app
    with app.app_context():
        mixer: Mixer = make_mixer(reveal="at_once")
        moved_clock["now"] = mixer.event.ends_at + timedelta(hours=1)
        teacher = attend(mixer, gender="male", nickname="晓宇", mobile="13900000004")
        lin = attend(mixer, gender="female", nickname="静怡", wechat="lin_jingyi")
        zhou = attend(mixer, gender="female", nickname="梦瑶")
        mark(mixer, lin, teacher)
        db.session.commit()
        event_id = mixer.event.id
        numbers = {u.id: service.profile_of(mixer.event, u.id).number for u in (lin, zhou)}
        lin_no, zhou_no = numbers[lin.id], numbers[zhou.id]

    page = phone()
    sign_in(page, url, "13900000004")
    page.goto(f"{url}/events/{event_id}/mixer/mark")
    note = page.locator("#mark-match")
    tap(page, zhou_no)
    expect(page.locator("#mark-count")).to_have_text("1")
    expect(note).to_be_hidden()
    tap(page, lin_no)
    expect(note).to_be_visible()
    expect(note).to_contain_text("配对")
    assert_fits_phone(page)
    screenshot(page, "mixer-07-a-match-at-once")
    note.locator("a").click()
    expect(page.locator(".match .contact-card")).to_contain_text("lin_jingyi")
