"""On a phone: the site installs its service worker; offline, a page shows 网络不可用 with a
retry, and the worker's caches hold static files and the offline page only, never a member's
page. The share poster page at 390 px: the poster, the hint, the link to copy."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from eventsite.core.time import utcnow
from eventsite.events.models import EventKind
from eventsite.extensions import db
from tests.e2e.conftest import assert_fits_phone, screenshot
from tests.factories import PASSWORD, make_event, make_registration, make_user

pytestmark = pytest.mark.e2e

CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) urls.push(request.url);
  }
  return urls;
}"""


def test_offline_the_site_says_so_and_keeps_no_personal_page(live_app, phone):
    app, url = live_app
    with app.app_context():
        member = make_user(name="周婷", mobile="13900000051")
        event = make_event(
            kind=EventKind.MIXER,
            title="「皖工鹊桥·会聚良缘」青年职工联谊活动",
            starts_at=utcnow() + timedelta(days=10),
            capacity=60,
        )
        make_registration(event, member)
        db.session.commit()
        mobile, event_id = member.mobile, event.id

    page = phone()
    page.goto(f"{url}/login?next=/my/events")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_url(f"{url}/my/events")
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{url}/"
    # The worker controls the pages from now on; visit personal pages through it.
    page.goto(f"{url}/my/events")
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    page.goto(f"{url}/events/{event_id}")
    page.goto(f"{url}/account")
    assert "周婷" in page.content()

    page.context.set_offline(True)
    page.goto(f"{url}/events/{event_id}")
    assert page.locator("h1").inner_text() == "网络不可用"
    assert page.locator("[data-retry]").is_visible()
    assert "周婷" not in page.content()
    assert_fits_phone(page)
    screenshot(page, "offline-01-network-unavailable")
    # The retry tries the same page again: still offline, still the offline page, same address.
    page.locator("[data-retry]").click()
    page.wait_for_load_state()
    assert page.url == f"{url}/events/{event_id}"
    assert page.locator("h1").inner_text() == "网络不可用"

    cached = page.evaluate(CACHED_URLS)
    paths = {urlsplit(address).path for address in cached}
    assert f"{url}/offline" in cached
    assert any(path == "/static/css/site.css" for path in paths)
    assert all(path.startswith("/static/") or path == "/offline" for path in paths), paths

    # Back online, the offline page loads the page by itself (no tap needed).
    page.context.set_offline(False)
    expect(page.locator("h1")).to_contain_text("「皖工鹊桥·会聚良缘」青年职工联谊活动")
    assert page.url == f"{url}/events/{event_id}"


def test_the_share_poster_page_at_phone_width(live_app, phone):
    app, url = live_app
    with app.app_context():
        event = make_event(
            kind=EventKind.MIXER,
            title="「皖工鹊桥·会聚良缘」青年职工联谊活动",
            venue="芜湖市工人文化宫三楼多功能厅",
            starts_at=utcnow() + timedelta(days=10),
            capacity=60,
        )
        db.session.commit()
        event_id = event.id

    page = phone()
    page.goto(f"{url}/events/{event_id}")
    page.locator("#share-poster-link").click()
    page.wait_for_url(f"{url}/events/{event_id}/share")
    poster = page.locator(".share-poster img")
    poster.wait_for()
    page.wait_for_function("document.querySelector('.share-poster img').complete")
    assert page.evaluate("document.querySelector('.share-poster img').naturalWidth") == 750
    box = poster.bounding_box()
    assert 300 < box["width"] <= 375
    assert "长按海报保存图片" in page.locator("#share-hint").inner_text()
    assert page.input_value("#share-url") == f"{url}/events/{event_id}"
    # Chromium has a share sheet only on some systems: the button shows exactly where it does.
    has_share = page.evaluate("typeof navigator.share === 'function'")
    assert page.locator("[data-share-system]").is_visible() == has_share
    page.locator("[data-share-copy]").click()
    expect(page.locator("[data-share-status]")).to_have_text(
        re.compile("^(链接已复制|请选中链接后复制)$")
    )
    assert_fits_phone(page)
    screenshot(page, "share-01-poster-page")
