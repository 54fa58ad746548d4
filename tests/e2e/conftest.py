"""End-to-end fixtures: the real app served on a free loopback port, and headless Chromium.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run), driven by Playwright for
Python; Playwright's own browser downloads are never used. Screenshots go to test-artifacts/.

Every page runs under the app's Content-Security-Policy, and every browser context a test opens
is watched (`csp_violations`): a script, style or anything else the policy refuses fails the
test, with the page and what was refused.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from eventsite import create_app
from eventsite.extensions import db
from tests.conftest import base_config

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}


@contextmanager
def serve(folder: Path):
    """The app on a fresh migrated SQLite file in `folder`, served by a threaded server."""
    config = base_config(f"sqlite:///{folder / 'e2e.db'}")
    config.update(WTF_CSRF_ENABLED=True, TESTING=False, PUBLIC_URL="http://127.0.0.1")
    app = create_app(config)
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_app(tmp_path):
    """The app on a fresh database, served on a free loopback port; yields (app, url)."""
    with serve(tmp_path) as served:
        yield served


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


#: Runs in every page before its own scripts: a refused script, style, image or fetch shows as a
#: console error the watcher collects (Chromium also logs its own "Refused to …" line).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("Content Security Policy violation: " + event.violatedDirective + " refused "
    + (event.blockedURI || "inline") + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


class Violations:
    """What the Content-Security-Policy refused in a test's browser contexts."""

    def __init__(self):
        self.messages: list[str] = []

    def watch(self, context):
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._console)
        return context

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.messages.append(f"{message.page.url if message.page else '?'}: {message.text}")


@pytest.fixture(autouse=True)
def csp_violations(request, monkeypatch):
    """Fail any browser test in which the Content-Security-Policy refused something."""
    if "browser" not in request.fixturenames:
        yield None
        return
    browser = request.getfixturevalue("browser")
    violations = Violations()
    opener = browser.new_context
    monkeypatch.setattr(
        browser, "new_context", lambda *args, **kwargs: violations.watch(opener(*args, **kwargs))
    )
    yield violations
    if violations.messages:
        pytest.fail("the Content-Security-Policy refused:\n" + "\n".join(violations.messages))


@pytest.fixture
def phone(browser):
    """A fresh browser context sized like a phone (390 px wide); call it once per person."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_phone(page):
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


#: axe-core, installed from npm by `make e2e` (`npm ci`); used by the tests only, never served.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: The rules axe runs: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
#: The impacts a page may not have; moderate and minor findings are left out.
AXE_IMPACTS = ("serious", "critical")

RUN_AXE = """
async ([tags, impacts]) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
}
"""


def axe_source() -> str:
    """The text of axe.min.js; a test fails, never skips, when it is missing."""
    if not AXE.exists():
        pytest.fail(
            f"{AXE} is missing: the accessibility checks need axe-core from npm; "
            "run `make e2e` or `npm ci --no-audit --no-fund` in the repository",
            pytrace=False,
        )
    return AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    """The page's serious and critical axe-core violations, one line each: the rule, its
    impact and the elements (the first three CSS selectors, then how many more).

    axe is evaluated into the page through the browser's debugging protocol, which the page's
    Content-Security-Policy does not govern (a <script> element would be refused)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source() + "\n;undefined")
    lines = []
    for violation in page.evaluate(RUN_AXE, [AXE_TAGS, list(AXE_IMPACTS)]):
        targets = violation["targets"]
        more = f" and {len(targets) - 3} more" if len(targets) > 3 else ""
        lines.append(
            f"axe {violation['id']} ({violation['impact']}: {violation['help']}) "
            f"at {', '.join(targets[:3])}{more}"
        )
    return lines
