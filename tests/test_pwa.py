"""The installable site: the manifest and its icons, the service worker's script and headers,
what it precaches (static files and the offline page only), and the offline page itself."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from eventsite.core.headers import CONTENT_SECURITY_POLICY
from eventsite.pwa import icons, rules
from tests.factories import make_user

STATIC = Path(__file__).resolve().parents[1] / "static"


def png(response) -> Image.Image:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(response.data))


def test_the_manifest_makes_a_standalone_app_with_the_sites_name_and_red(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "职工活动平台"
    assert manifest["short_name"] == "职工活动"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#c62828"
    css = (STATIC / "css/site.css").read_text()
    assert "--red: #c62828;" in css
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}


def test_the_manifest_speaks_the_visitors_language(client):
    client.get("/lang/en")
    manifest = json.loads(client.get("/manifest.webmanifest").data)
    assert manifest["name"] == "Union Member Events"
    assert manifest["lang"] == "en"


def test_every_icon_the_manifest_names_is_a_png_of_its_size(client):
    manifest = json.loads(client.get("/manifest.webmanifest").data)
    for icon in manifest["icons"]:
        assert re.fullmatch(r"/static/app-icons/[\w-]+\.png\?v=[0-9a-f]{10}", icon["src"])
        image = png(client.get(icon["src"]))
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert image.size == (width, height)
        if icon["purpose"] == "maskable":
            # Red to the very edges: a launcher cuts its own shape out of it.
            assert image.convert("RGB").getpixel((0, 0)) == icons.RED
        else:
            # A rounded square: its corner is transparent, its middle the badge.
            assert image.convert("RGBA").getpixel((0, 0))[3] == 0
            assert image.convert("RGBA").getpixel((width // 2, height // 2))[3] == 255


def test_the_pages_link_the_manifest_the_theme_colour_and_apples_icon(client):
    body = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest" data-service-worker="/sw.js">' in body
    assert '<meta name="theme-color" content="#c62828">' in body
    match = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', body)
    assert png(client.get(match.group(1))).size == (180, 180)


def test_the_committed_icons_are_what_the_code_draws():
    for icon in icons.ICONS:
        committed = Image.open(STATIC / icons.FOLDER / icon.filename)
        drawn = icons.draw_icon(icon.size, icon.purpose)
        assert committed.size == drawn.size == (icon.size, icon.size)
        difference = ImageChops.difference(committed.convert("RGBA"), drawn.convert("RGBA"))
        # Within a rounding error: a font or Pillow upgrade may move an edge pixel's shade.
        assert max(ImageStat.Stat(difference).mean) < 1, icon.filename


def worker(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    return response, response.get_data(as_text=True)


def precache_of(script: str) -> list[str]:
    return json.loads(re.search(r"var PRECACHE = (\[.*?\]);", script).group(1))


def test_the_worker_is_javascript_from_the_root_never_cached(client):
    response, script = worker(client)
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert 'self.addEventListener("fetch"' in script


def test_the_worker_precaches_static_files_by_their_versions_and_the_offline_page(client):
    _response, script = worker(client)
    precache = precache_of(script)
    assert precache[-1] == "/offline"
    assert all(re.fullmatch(r"/static/[\w/.-]+\?v=[0-9a-f]{10}", url) for url in precache[:-1])
    # What every page loads, by the very URL the pages use.
    page = client.get("/").get_data(as_text=True)
    # (The icons are drawn from one sprite, each named by the fragment of its URL.)
    for url in re.findall(r'(?:href|src)="(/static/[^"#]+)', page):
        assert url in precache, url
    assert any(url.startswith("/static/icons.svg?v=") for url in precache)
    names = {url.split("?")[0] for url in precache}
    assert "/static/js/share.js" in names and "/static/app-icons/icon-512.png" in names
    # The cache is named after what it holds, so an upgrade starts a new one.
    assert f'var CACHE = "{rules.cache_name(precache)}";' in script


def test_the_worker_is_the_same_for_a_signed_in_member(client, auth):
    _response, anonymous = worker(client)
    auth.become(make_user(name="王晓梅"))
    _response, signed_in = worker(client)
    assert signed_in == anonymous
    assert "王晓梅" not in client.get("/offline").get_data(as_text=True)


def test_the_offline_page_says_the_network_is_unavailable_and_offers_a_retry(client, auth):
    auth.become(make_user(name="王晓梅"))
    response = client.get("/offline")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "网络不可用" in body
    assert "data-retry" in body
    # Nothing personal or per session: no name, no form token, no menu.
    assert "王晓梅" not in body
    assert "csrf_token" not in body
    assert "/logout" not in body


def test_the_policy_lets_the_worker_and_manifest_load_from_the_site_only(client):
    assert CONTENT_SECURITY_POLICY["worker-src"] == "'self'"
    assert CONTENT_SECURITY_POLICY["manifest-src"] == "'self'"
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in policy and "manifest-src 'self'" in policy


def test_precached_files_are_assets_only():
    assert rules.precached(
        ["js/site.js", "css/site.css", ".hidden/x.js", "docs/readme.txt", "a/.b.css", "i.PNG"]
    ) == ["css/site.css", "i.PNG", "js/site.js"]


def test_the_cache_name_changes_with_any_url():
    first = rules.cache_name(["/static/css/site.css?v=aaaaaaaaaa", "/offline"])
    assert first.startswith(rules.CACHE_PREFIX)
    assert first == rules.cache_name(["/static/css/site.css?v=aaaaaaaaaa", "/offline"])
    assert first != rules.cache_name(["/static/css/site.css?v=bbbbbbbbbb", "/offline"])
