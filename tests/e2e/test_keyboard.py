"""Every action on the key pages is reachable by keyboard, and the focus can be seen.

On each page (the events list, an event page with its register button, the login page, the
organizer's roster, a judge's score sheet, the sports meet referee page, the mixer mark page),
the test presses Tab from the top until the focus leaves the page or comes back round, and
checks:
- every visible link, button, input, select, textarea and summary that is not disabled got the
  focus in turn (of a group of radio buttons, one: the arrow keys move between them);
- each element that got the focus showed it: an outline (not `none`, wider than 0) or a box
  shadow, and it was on the screen, not parked past an edge;
- no element has a positive tabindex (it would jump the reading order).

The login and sign-up forms, sent empty, are checked by axe-core too (the crawl only reads, so
it never sees the error summary and the lists of errors beside the fields).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import axe_violations
from tests.e2e.test_phone_layout import demo_site, sign_in  # noqa: F401 (the fixture)

pytestmark = pytest.mark.e2e

#: Tab presses at most on one page; a page with more stops are a test failure, not a cut.
MAX_TABS = 600

#: Numbers the page's interactive elements (data-kbd) and returns those a person can see.
MARK = r"""
() => {
  const shown = (el) => {
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true, opacityProperty: true}))
      return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && r.right + window.scrollX > 0;
  };
  const describe = (el) => {
    const text = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || el.id || "")
      .replace(/\s+/g, " ").trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.type ? " type=" + el.type : ""}> "${text}"`;
  };
  const all = document.querySelectorAll(
    "a[href], button, input, select, textarea, summary, [tabindex]");
  const expected = [];
  const radios = new Set();
  const positive = [];
  all.forEach((el, i) => {
    el.dataset.kbd = String(i);
    if (el.tabIndex > 0) positive.push(`${describe(el)} tabindex=${el.tabIndex}`);
    if (el.type === "hidden" || el.disabled || el.closest("fieldset:disabled")) return;
    if (el.hasAttribute("tabindex") && el.tabIndex < 0) return;
    if (el.tagName === "SUMMARY" && el.parentElement.tagName !== "DETAILS") return;
    // A control hidden behind its label (a custom tick box) counts as its label's.
    const box = el.labels && el.labels.length && !shown(el) ? el.labels[0] : el;
    if (!shown(box)) return;
    if (el.type === "radio") {
      const group = `radio:${el.form ? el.form.dataset.kbd || "" : ""}:${el.name}`;
      if (radios.has(group)) return;
      radios.add(group);
      expected.push({key: group, text: describe(el)});
      return;
    }
    expected.push({key: String(i), text: describe(el)});
  });
  return {expected, positive};
}
"""

#: What has the focus now: its number (a radio answers for its group), what it is, and
#: whether the focus can be seen on it.
FOCUSED = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const r = el.getBoundingClientRect();
  const onScreen = r.width > 1 && r.height > 1 && r.right + window.scrollX > 0
    && r.bottom + window.scrollY > 0;
  const text = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || el.id || "")
    .replace(/\s+/g, " ").trim().slice(0, 40);
  const key = el.type === "radio"
    ? `radio:${el.form ? el.form.dataset.kbd || "" : ""}:${el.name}` : el.dataset.kbd;
  return {
    key: key || "",
    text: `<${el.tagName.toLowerCase()}${el.type ? " type=" + el.type : ""}> "${text}"`,
    visible: Boolean(outline || shadow),
    onScreen,
  };
}
"""


def tab_through(page) -> list[str]:
    """Press Tab from the top of the page until the focus leaves it or comes round; return
    what went wrong (elements skipped, focus not shown, positive tabindex)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    marked = page.evaluate(MARK)
    problems = [f"positive tabindex on {item}" for item in marked["positive"]]
    focused: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if now is None or (focused and now["key"] == focused[0]):
            break
        if now["key"] in focused and now["key"] == focused[-1]:
            continue  # the next radio of a group: the same stop
        focused.append(now["key"])
        if not now["visible"]:
            problems.append(f"no visible focus on {now['text']}")
        if not now["onScreen"]:
            problems.append(f"the focus goes off the screen to {now['text']}")
    else:
        pytest.fail(f"{page.url}: still tabbing after {MAX_TABS} presses")
    reached = set(focused)
    problems.extend(
        f"never gets the focus: {item['text']}"
        for item in marked["expected"]
        if item["key"] not in reached
    )
    assert len(focused) >= 3, f"{page.url}: Tab reached only {len(focused)} elements"
    return problems


def first_link(page, pattern: str) -> str:
    """The address of the first link on the page whose path matches `pattern` (a regex)."""
    href = page.evaluate(
        "(pattern) => [...document.querySelectorAll('a[href]')].map((a) => a.pathname)"
        ".find((path) => new RegExp(pattern).test(path)) || null",
        pattern,
    )
    assert href, f"{page.url} has no link like {pattern}"
    return href


def test_key_pages_are_reachable_by_keyboard_with_visible_focus(demo_site, phone):  # noqa: F811
    url, accounts, events = demo_site
    problems: dict[str, list[str]] = {}

    def check(page, path: str) -> None:
        page.goto(url + path)
        found = tab_through(page)
        if found:
            problems[path] = found

    visitor = phone()
    visitor.goto(f"{url}/lang/zh_Hans_CN")
    check(visitor, "/events")
    check(visitor, "/login")

    member = phone()
    sign_in(member, url, accounts["member"])
    member.goto(f"{url}/events?when=upcoming")
    pages = member.evaluate(
        "[...document.querySelectorAll('.event-list a[href]')].map((a) => a.pathname)"
    )
    for path in pages:
        member.goto(url + path)
        if member.locator("#register form button[type=submit]").count() == 1:
            check(member, path)
            break
    else:
        pytest.fail(f"no upcoming event offers the member a register button: {pages}")
    check(member, f"/events/{events['exchange']}/mixer/mark")

    organizer = phone()
    sign_in(organizer, url, accounts["organizer"])
    check(organizer, f"/events/{events['mixer']}/roster")

    judge = phone()
    sign_in(judge, url, accounts["judge"])
    judge.goto(f"{url}/competitions/my-sheets")
    check(judge, first_link(judge, r"/rounds/\d+/score$"))
    judge.goto(f"{url}/my/meet-duties")
    check(judge, first_link(judge, r"/meet/items/\d+/referee$"))

    if problems:
        pytest.fail(
            "\n".join(f"{path}:\n  " + "\n  ".join(found) for path, found in problems.items()),
            pytrace=False,
        )


def test_forms_with_errors_pass_axe_and_lead_the_keyboard_to_the_field(demo_site, phone):  # noqa: F811
    """The crawl only reads; a form sent wrong shows the error summary and the lists of errors
    beside the fields: axe finds no serious or critical violation there either, and the
    summary's first link takes the focus to the field."""
    url, _accounts, _events = demo_site
    page = phone()
    page.goto(f"{url}/lang/zh_Hans_CN")
    for path in ("/login", "/signup"):
        page.goto(url + path)
        page.locator("form.stacked button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("#error-summary").is_visible(), f"{path} showed no error summary"
        assert page.locator("ul.errors li").count() >= 1, f"{path} listed no error"
        violations = axe_violations(page)
        assert not violations, f"{path} with errors:\n" + "\n".join(violations)
        first = page.locator("#error-summary a").first
        target = first.get_attribute("href")
        first.focus()
        page.keyboard.press("Enter")
        assert page.evaluate("'#' + document.activeElement.id") == target
