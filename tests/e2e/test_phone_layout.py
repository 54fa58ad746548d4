"""Every page a demo account reaches fits a 390 px phone, and every tap target is 44 px or more.

The demo data is loaded as `flask demo load` loads it; each demo role (a visitor, the member,
the judge who also referees, a sports meet captain, the organizer, the admin) signs in and
crawls the site from its start page, in Chinese and in English: GET only, links within the
site, no logout, exports, downloads or language switch. Pages of one kind (the same path with
every id but the event's set aside, the same query keys) are visited at most PER_KIND times, so
72 contestants' explanations cost two visits while each event's roster is seen.

On each page the browser is asked four things:
- the page is no wider than the screen: `document.documentElement.scrollWidth <= innerWidth`;
- no box scrolls sideways (`scrollWidth > clientWidth` where overflow is not visible): a table
  in a `.table-wrap` fits the page but hides its last columns past the screen's edge (a
  section's row of chips, `nav.chips`, is the one box meant to scroll sideways);
- every visible link, button, input, select and summary, and the label of each checkbox or
  radio (the label is what a thumb hits; the box itself when it has none), is at least
  44 × 44 CSS px. Hidden, disabled and off-screen elements (the skip link) are left out;
- no text reads down the screen: a text of 3 or more characters that a too narrow box (a
  table column squeezed to one character) wraps to one character a line, as 操作人 did in
  the audit log (3 lines or more, none as wide as 1.6 em);
- in Chinese: no serious or critical violation that axe-core
  (from npm, `make e2e` installs it) finds with the WCAG 2.0 and 2.1 A and AA rules and its
  best practices: colour contrast, names of links, buttons and fields, ARIA, lists, landmarks.
  The English pages are the same templates, so axe runs once per page (about 0.4 s a page).

WCAG 2.5.8's inline exception is taken for links only: a link that shares its line with words
of text (its block holds letters or digits outside links) is sized by the sentence it sits in.
A link alone on its line, in a cell, in a list row or as a breadcrumb gets no exception.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict, deque
from urllib.parse import urldefrag, urlsplit

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import User
from eventsite.competitions.models import Round
from eventsite.core.time import utcnow
from eventsite.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load
from eventsite.events.models import Event, EventKind
from eventsite.extensions import db
from eventsite.sportsmeet.models import Captain
from tests.e2e.conftest import PHONE, assert_fits_phone, axe_violations, screenshot, serve

pytestmark = pytest.mark.e2e

MIN_TARGET = 44
PER_KIND = 2
MAX_PAGES = 400  # per account; the crawl fails rather than stop silently when it is reached

#: Never followed: they sign out, switch the language, or answer with a file, not a page.
SKIPPED = re.compile(
    r"^/(static/|lang/|logout)|\.(xlsx|csv|json|ics|svg|png|pdf)$|/(export|my-data)[/.]"
)

MEASURE = r"""
(MIN) => {
  const shown = (el) => {
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true, opacityProperty: true}))
      return false;
    const r = el.getBoundingClientRect();
    // Not laid out, visually hidden (1 px), or parked off the left edge (a skip link).
    return r.width > 1 && r.height > 1 && r.right + window.scrollX > 0;
  };
  const isBlock = (el) => !getComputedStyle(el).display.startsWith("inline");
  // WCAG 2.5.8's inline exception: a link that shares its line box with words of text.
  const inSentence = (a) => {
    if (getComputedStyle(a).display !== "inline") return false;
    let block = a.parentElement;
    while (block && !isBlock(block)) block = block.parentElement;
    if (!block) return false;
    const words = [];
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) words.push(child.textContent);
        else if (child.nodeType === Node.ELEMENT_NODE && child.tagName !== "A" && !isBlock(child))
          walk(child);
      }
    };
    walk(block);
    return /[\p{L}\p{N}]/u.test(words.join(""));
  };
  const describe = (el) => {
    const box = el.tagName === "LABEL" ? el.querySelector("input") || el : el;
    const text = (box.getAttribute("aria-label") || el.innerText || box.value || box.name || "")
      .replace(/\s+/g, " ").trim().slice(0, 40);
    const cls = el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "";
    return `<${el.tagName.toLowerCase()}${cls}> "${text}"`;
  };
  const targets = new Set();
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (el.type === "hidden" || el.disabled) continue;
    if (el.type === "checkbox" || el.type === "radio") {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
      targets.add(label || el);
    } else if (!(el.tagName === "A" && inSentence(el))) {
      targets.add(el);
    }
  }
  const small = [];
  for (const el of targets) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < MIN - 0.5 || r.height < MIN - 0.5)
      small.push(`${describe(el)} ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  // A box that scrolls sideways hides what is past its edge (the last column of a table).
  const clipped = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) continue;
    if (getComputedStyle(el).overflowX === "visible") continue;
    // A section's row of chips (nav.filters.chips) scrolls sideways on purpose: a tab strip.
    if (el.matches("nav.chips")) continue;
    const hidden = el.scrollWidth - el.clientWidth;
    if (hidden > 1 && shown(el)) clipped.push(`${describe(el).slice(0, 60)} hides ${hidden} px sideways`);
  }
  // Text that reads down instead of across: a box (a table column, most often) squeezed so
  // narrow that a text of 3 or more characters wraps to one character a line. Each line of a
  // text is one of its range's client rects; no line as wide as 1.6 em, over 3 lines or more,
  // is one character a line in Chinese (one em each) and one or two in Latin script.
  const vertical = [];
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const reported = new Set();
  for (let node = texts.nextNode(); node; node = texts.nextNode()) {
    const box = node.parentElement;
    if ([...node.textContent.replace(/\s+/g, "")].length < 3 || reported.has(box) || !shown(box))
      continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    const tops = new Set(lines.map((r) => Math.round(r.top)));
    const em = parseFloat(getComputedStyle(box).fontSize);
    if (tops.size >= 3 && Math.max(...lines.map((r) => r.width)) < 1.6 * em) {
      reported.add(box);
      const text = node.textContent.replace(/\s+/g, " ").trim().slice(0, 20);
      const cls = typeof box.className === "string" && box.className.trim()
        ? "." + box.className.trim().split(/\s+/).join(".") : "";
      vertical.push(`<${box.tagName.toLowerCase()}${cls}> "${text}" reads down, one character a line`);
    }
  }
  const links = [...document.querySelectorAll("a[href]")].map((a) => a.href);
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    small,
    clipped,
    vertical,
    links,
  };
}
"""


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    """The app with the demo loaded, served once for every crawl (they only read);
    yields (url, {role: mobile}, {kind: an event's id, 'exchange', 'round': ids})."""
    with serve(tmp_path_factory.mktemp("demo")) as (app, url):
        with app.app_context():
            load(utcnow())
            db.session.commit()
            captain = db.session.scalars(sa.select(Captain).order_by(Captain.team_id)).first()
            # One account per role: the organizer of the seed's events (held on the root), not
            # the organizers per level of the federation.
            accounts = {
                account.role.value: account.mobile
                for account in DEMO_ACCOUNTS
                if not account.organization
            }
            accounts["captain"] = captain.user.mobile
            organizer = db.session.scalar(
                sa.select(User.id).where(User.mobile == accounts["organizer"])
            )
            # The seed's events (the Wuhu union's year of history has its own organizer).
            events = {
                event.kind: event.id
                for event in db.session.scalars(
                    sa.select(Event).where(Event.created_by_id == organizer).order_by(Event.id)
                )
            }
            # the earlier mixer, whose contact exchange is open: the last to end
            events["exchange"] = db.session.scalar(
                sa.select(Event.id)
                .where(Event.kind == EventKind.MIXER, Event.ends_at < utcnow())
                .order_by(Event.ends_at.desc())
                .limit(1)
            )
            events["round"] = db.session.scalar(
                sa.select(Round.id).where(Round.event_id == events[EventKind.COMPETITION])
            )
        yield url, accounts, events


def kind_of(path_and_query: str, seed_events: frozenset[str] = frozenset()) -> str:
    """A page's kind: its path with every id but a seed event's (the first) set aside, and the
    names of its query parameters; so a mixer's roster and a competition's are two kinds, while
    the Wuhu union's year of past mixers and the federation's organizations are one kind each."""
    parts = urlsplit(path_and_query)
    segments = parts.path.split("/")
    ids = [i for i, segment in enumerate(segments) if re.search(r"\d", segment)]
    keep_first = bool(ids) and segments[ids[0]] in seed_events
    for i in ids[1:] if keep_first else ids:
        segments[i] = "#"
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return "/".join(segments) + ("?" + "&".join(keys) if keys else "")


def crawl(
    page, base: str, seed_events: frozenset[str], audit: bool = False
) -> tuple[dict[str, list[str]], int]:
    """Visit the pages reachable from the start page; return {offence: [pages]} and the count.
    With `audit`, axe-core checks each page too (its serious and critical violations)."""
    origin = urlsplit(base).netloc
    queue = deque(["/"])
    queued = {"/"}
    per_kind: Counter[str] = Counter()
    offences: dict[str, list[str]] = defaultdict(list)
    visited = 0
    while queue:
        target = queue.popleft()
        assert visited < MAX_PAGES, f"the crawl reached {MAX_PAGES} pages: raise MAX_PAGES"
        response = page.goto(base + target)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited += 1
        found = page.evaluate(MEASURE, MIN_TARGET)
        found_here = [
            *found["clipped"],
            *found["vertical"],
            *(f"tap target {item}" for item in found["small"]),
        ]
        if found["overflow"] > 0:
            found_here.append(f"the page is {found['overflow']} px wider than the screen")
        if audit:
            found_here.extend(axe_violations(page))
        for offence in dict.fromkeys(found_here):
            offences[offence].append(target)
        for href in found["links"]:
            link = urlsplit(urldefrag(href).url)
            if link.netloc != origin or SKIPPED.search(link.path):
                continue
            local = link.path + (f"?{link.query}" if link.query else "")
            kind = kind_of(local, seed_events)
            if local in queued or per_kind[kind] >= PER_KIND:
                continue
            per_kind[kind] += 1
            queued.add(local)
            queue.append(local)
    return offences, visited


def sign_in(page, url: str, mobile: str, locale: str = "zh_Hans_CN") -> None:
    """Sign in through the form, then pick the language (it is kept on the account)."""
    page.goto(f"{url}/login")
    page.fill("#mobile", mobile)
    page.fill("#password", DEMO_PASSWORD)
    page.locator("form.stacked button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{mobile} could not sign in"
    page.goto(f"{url}/lang/{locale}")


def listing(offences: dict[str, list[str]]) -> str:
    """One line per offender with the pages it is on (the first few, then how many more)."""
    lines = []
    for offence, pages in sorted(offences.items(), key=lambda pair: pair[1][0]):
        more = f" and {len(pages) - 4} more" if len(pages) > 4 else ""
        lines.append(f"{offence}: {', '.join(pages[:4])}{more}")
    return "\n".join(lines)


ROLES = ["visitor", "member", "judge", "captain", "organizer", "admin"]


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_with_thumb_sized_targets(demo_site, phone, role, locale):
    url, accounts, events = demo_site
    seed_events = frozenset(str(i) for i in events.values() if isinstance(i, int))
    page = phone()
    if role == "visitor":
        page.goto(f"{url}/lang/{locale}")
    else:
        sign_in(page, url, accounts[role], locale)
    # axe-core once per page, in Chinese: the English pages are the same templates.
    offences, visited = crawl(page, url, seed_events, audit=locale == "zh_Hans_CN")
    assert visited > 3, f"the {role} reached only {visited} pages"
    if offences:
        pytest.fail(
            f"{len(offences)} problems over {visited} pages as the {role} ({locale}):\n"
            + listing(offences),
            pytrace=False,
        )


def test_competition_set_up_lists_each_judge_on_one_line(demo_site, phone):
    """竞赛设置 with 25 judges × 12 teams: one line per judge naming their teams; a tap opens
    that judge's boxes."""
    url, accounts, events = demo_site
    page = phone()
    sign_in(page, url, accounts["organizer"])
    page.goto(f"{url}/competitions/{events[EventKind.COMPETITION]}")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 5 * PHONE["height"], f"the set-up page is {height} px long"
    judges = page.locator("details.comp-affiliation")
    assert judges.count() >= 25
    assert page.locator("details.comp-affiliation input[type=checkbox]:visible").count() == 0

    recused = judges.filter(has_text="孙建国")
    assert "山东队" in recused.locator("summary").inner_text()
    recused.locator("summary").click()
    boxes = recused.locator("input[type=checkbox]")
    assert boxes.count() == 12 and boxes.first.is_visible()
    assert recused.locator("label", has_text="山东队").locator("input").is_checked()
    screenshot(page, "layout-competition-set-up")


def test_screenshots_at_phone_width(demo_site, phone):
    """Pages the issue named, in Chinese, kept in test-artifacts/ for a person to look at."""
    url, accounts, events = demo_site
    visitor = phone()
    visitor.goto(f"{url}/lang/zh_Hans_CN")
    assert_fits_phone(visitor)
    screenshot(visitor, "layout-events")
    member = phone()
    sign_in(member, url, accounts["member"])
    member.goto(f"{url}/events/{events['exchange']}/mixer/mark")
    assert_fits_phone(member)
    screenshot(member, "layout-mixer-mark")
    admin = phone()
    sign_in(admin, url, accounts["admin"])
    competition = events[EventKind.COMPETITION]
    for name, path in (
        ("layout-mixer-stats", "/admin/mixer-stats"),
        ("layout-judges", f"/competitions/{competition}/rounds/{events['round']}/judges"),
        ("layout-roster", f"/events/{competition}/roster"),
        ("layout-standings", f"/events/{events[EventKind.SPORTSMEET]}/meet"),
    ):
        admin.goto(url + path)
        assert_fits_phone(admin)
        screenshot(admin, name)
