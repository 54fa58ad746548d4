"""The app on a 390 × 844 phone, on the demo as `flask demo load` makes it: the member, the
organizer and the judge each go through the tab bar to their work; the organizer uploads a cover
picture and opens the event's share poster; no page on the way is wider than the screen.

The second test makes the README's pictures (docs/screenshots/): the main screens on a phone and
the sports meet's big screen on a 1920 × 1080 projector, so they are redrawn from the demo
whenever the browser tests run and never show a screen the app no longer has."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from eventsite.events.models import EventKind
from tests.e2e.conftest import PHONE, assert_fits_phone, screenshot
from tests.e2e.test_phone_layout import demo_site, sign_in  # noqa: F401  (the module's fixture)

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def tab(page, label: str):
    """The tab bar's tab labelled exactly `label` (活动 is also part of 我的活动)."""
    return page.locator("nav.tab-bar a").filter(
        has=page.locator(".tab-label", has_text=re.compile(f"^{label}$"))
    )


def go_by_tab(page, label: str) -> None:
    tab(page, label).click()
    page.wait_for_load_state()
    expect(tab(page, label)).to_have_attribute("aria-current", "page")
    assert_fits_phone(page)


def a_photo() -> bytes:
    """A phone photo's stand-in: a JPEG of 1600 × 1200 with two colour fields."""
    picture = Image.new("RGB", (1600, 1200), (30, 110, 170))
    picture.paste((240, 200, 60), (0, 800, 1600, 1200))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def natural_size(page, selector: str) -> tuple[int, int]:
    image = page.locator(selector).first
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=image.element_handle())
    return tuple(image.evaluate("(el) => [el.naturalWidth, el.naturalHeight]"))


def test_member_organizer_and_judge_work_through_the_tab_bar(demo_site, phone):  # noqa: F811
    url, accounts, events = demo_site
    mixer = events[EventKind.MIXER]

    # The member: the four tabs, each the page it names, each fitting the screen.
    member = phone()
    sign_in(member, url, accounts["member"])
    member.goto(url)
    for label in ("活动", "我的活动", "消息", "我的"):
        go_by_tab(member, label)
    expect(member.locator("nav.tab-bar a[aria-current='page']")).to_have_count(1)

    # The organizer: 我的 → 活动管理 → the mixer's cover picture, uploaded from the phone.
    organizer = phone()
    sign_in(organizer, url, accounts["organizer"])
    organizer.goto(url)
    go_by_tab(organizer, "我的")
    organizer.get_by_role("link", name="活动管理").click()
    organizer.wait_for_load_state()
    assert_fits_phone(organizer)
    card = organizer.locator("li.card").filter(
        has=organizer.locator(f"a.title[href='/events/{mixer}']")
    )
    card.locator("details.tools summary").click()
    card.get_by_role("link", name="封面图片").click()
    organizer.wait_for_load_state()
    assert_fits_phone(organizer)
    organizer.set_input_files(
        "input[type=file]",
        files=[{"name": "现场照片.jpg", "mimeType": "image/jpeg", "buffer": a_photo()}],
    )
    organizer.get_by_role("button", name="上传图片").click()
    organizer.wait_for_load_state()
    expect(organizer.locator(".flash-success")).to_be_visible()
    assert_fits_phone(organizer)

    # The event page shows the new cover (a new key, the detail size) with its box reserved.
    organizer.goto(f"{url}/events/{mixer}")
    cover = organizer.locator("img.cover").first
    src = cover.get_attribute("src")
    assert src.startswith("/covers/") and "/default/" not in src and "detail" in src
    assert (cover.get_attribute("width"), cover.get_attribute("height")) == ("1200", "675")
    assert natural_size(organizer, "img.cover") == (1200, 675)
    assert_fits_phone(organizer)

    # 分享海报: the poster, drawn by the server, ready to long-press and send to a group.
    organizer.get_by_role("link", name="分享海报").click()
    organizer.wait_for_load_state()
    assert_fits_phone(organizer)
    poster = organizer.locator("img[src*='share-poster.png']")
    assert natural_size(organizer, "img[src*='share-poster.png']") == (750, 1334)
    answer = organizer.request.get(url + poster.get_attribute("src"))
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    drawn = Image.open(io.BytesIO(answer.body()))
    assert drawn.size == (750, 1334)
    screenshot(organizer, "app-feel-share-poster")

    # The judge: 我的 → 我的评分 → the round to score, on the phone.
    judge = phone()
    sign_in(judge, url, accounts["judge"])
    judge.goto(url)
    go_by_tab(judge, "我的")
    judge.get_by_role("link", name="我的评分").click()
    judge.wait_for_load_state()
    assert_fits_phone(judge)
    judge.get_by_role("link", name="开始评分").first.click()
    judge.wait_for_load_state()
    assert "/rounds/" in judge.url
    assert_fits_phone(judge)
    expect(tab(judge, "我的")).to_have_attribute("aria-current", "true")


def save(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_readme_screenshots(demo_site, browser):  # noqa: F811
    """The README's pictures, redrawn from the demo (1× pixels, to keep them small)."""
    url, accounts, events = demo_site

    def phone_page():
        context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
        return context.new_page()

    visitor = phone_page()
    visitor.goto(f"{url}/lang/zh_Hans_CN")
    save(visitor, "phone-events")
    visitor.goto(f"{url}/events/{events[EventKind.MIXER]}")
    save(visitor, "phone-mixer")

    member = phone_page()
    sign_in(member, url, accounts["member"])
    member.goto(f"{url}/me")
    save(member, "phone-me")
    member.goto(f"{url}/events/{events['exchange']}/mixer/mark")
    save(member, "phone-mixer-mark")

    judge = phone_page()
    sign_in(judge, url, accounts["judge"])
    judge.goto(f"{url}/me")
    judge.get_by_role("link", name="我的评分").click()
    judge.get_by_role("link", name="开始评分").first.click()
    judge.wait_for_load_state()
    save(judge, "phone-judge-round")

    organizer = phone_page()
    sign_in(organizer, url, accounts["organizer"])
    organizer.goto(f"{url}/events/{events[EventKind.SPORTSMEET]}/roster")
    save(organizer, "phone-roster")

    projector = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    screen = projector.new_page()
    screen.goto(f"{url}/events/{events[EventKind.SPORTSMEET]}/meet/screen")
    screen.wait_for_load_state("networkidle")
    save(screen, "projector-standings")

    for name in (
        "phone-events",
        "phone-mixer",
        "phone-me",
        "phone-mixer-mark",
        "phone-judge-round",
        "phone-roster",
        "projector-standings",
    ):
        with Image.open(SCREENSHOTS / f"{name}.png") as picture:
            expected = (1920, 1080) if name.startswith("projector") else (390, 844)
            assert picture.size == expected, name
