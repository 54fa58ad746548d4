"""deploy/rehearse's helpers (Python standard library only, run by the system's python3).

    rehearse.py blocks DIR DOC…        write each "rehearsed" block of the docs to DIR/NAME.sh
    rehearse.py unit FILE              a systemd unit's User, WorkingDirectory, Environment and
                                       ExecStart, NUL-separated, for the rehearsal to start
    rehearse.py site BASE CAFILE …     a member's and an organizer's way through the site (below)
    rehearse.py mail MAILDIR TEXT SECS wait until a mail whose subject or body has TEXT arrives
    rehearse.py log FILE MARK …        the access log lines after MARK keep no query string,
                                       none of the given values and no referrer

A rehearsed block is a fenced ```sh block right after an HTML comment
`<!-- rehearsed: NAME -->`; the rehearsal runs them by name, so the docs and the rehearsal
cannot drift apart without one of them failing.
"""

from __future__ import annotations

import email
import email.policy
import http.cookiejar
import re
import shlex
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

BLOCK = re.compile(r"<!-- rehearsed: ([a-z0-9-]+) -->\n```sh\n(.*?)\n```", re.S)
MARKER = re.compile(r"<!-- rehearsed")


def blocks(out: str, *docs: str) -> None:
    """Write every rehearsed block of `docs` to OUT/NAME.sh; a name twice, or a marker not
    followed by a ```sh block, is an error."""
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str] = {}
    for doc in docs:
        text = Path(doc).read_text(encoding="utf-8")
        found = BLOCK.findall(text)
        if len(found) != len(MARKER.findall(text)):
            sys.exit(f"{doc}: a '<!-- rehearsed: NAME -->' marker without a ```sh block after it")
        for name, body in found:
            if name in seen:
                sys.exit(f"{doc}: the rehearsed block {name!r} is also in {seen[name]}")
            seen[name] = doc
            (target / f"{name}.sh").write_text(body + "\n", encoding="utf-8")
    print(" ".join(sorted(seen)))


# --- systemd units -----------------------------------------------------------------------------


def unit(path: str) -> None:
    """Print USER, WORKDIR, each NAME=value of Environment=, "--", then ExecStart's argv, each
    followed by NUL. Continuation lines are joined, `%%` becomes `%`; any other specifier is
    refused (the rehearsal would not run what systemd runs)."""
    settings: dict[str, list[str]] = {}
    logical = Path(path).read_text(encoding="utf-8").replace("\\\n", " ")
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key.strip(), []).append(value.strip())
    for key in ("User", "WorkingDirectory", "ExecStart"):
        if len(settings.get(key, [])) != 1:
            sys.exit(f"{path}: expected exactly one {key}=")
    if "EnvironmentFile" in settings:
        sys.exit(f"{path}: EnvironmentFile= is not used: the app reads EVENTSITE_ENV_FILE itself")
    exec_start = settings["ExecStart"][0]
    if re.search(r"%[^%]", exec_start.replace("%%", "")):
        sys.exit(f"{path}: ExecStart has a systemd specifier the rehearsal cannot expand")
    argv = shlex.split(exec_start.replace("%%", "%"))
    environment = []
    for value in settings.get("Environment", []):
        environment += shlex.split(value)
    out = [settings["User"][0], settings["WorkingDirectory"][0], *environment, "--", *argv]
    sys.stdout.write("".join(item + "\0" for item in out))


# --- the site through nginx --------------------------------------------------------------------


class Forms(HTMLParser):
    """Every <form> of a page: its action, method and fields (inputs, textareas, selects)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": a.get("action", ""),
                    "method": a.get("method", "get").lower(),
                    "fields": {},
                    "options": {},
                    "checkboxes": set(),
                }
            )
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "checkbox":
                form["checkboxes"].add(a["name"])
                if "checked" in a:
                    form["fields"][a["name"]] = a.get("value", "y")
            elif kind == "radio":
                if "checked" in a:
                    form["fields"][a["name"]] = a.get("value", "")
            elif kind not in ("submit", "button"):
                form["fields"][a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            form["fields"][a["name"]] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            form["options"][a["name"]] = []
        elif tag == "option" and self._select:
            form["options"][self._select].append(a.get("value", ""))
            if "selected" in a:
                form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


class Site:
    """A browser's part: cookies, the Referer of the page a form came from, CSRF tokens."""

    def __init__(self, base: str, cafile: str):
        self.base = base.rstrip("/")
        context = ssl.create_default_context(cafile=cafile)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.jar),
        )

    def request(self, path: str, data: dict | None = None, referer: str | None = None):
        url = path if path.startswith("http") else self.base + path
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(url, data=body)
        req.add_header("User-Agent", "eventsite-rehearsal")
        if referer:
            req.add_header("Referer", referer)
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode("utf-8", "replace")

    def page(self, path: str, expect: int = 200):
        status, url, html = self.request(path)
        if status != expect:
            fail(f"GET {path}: {status}, expected {expect}", html)
        parser = Forms()
        parser.feed(html)
        return url, html, parser.forms

    def submit(self, page_url: str, form: dict, changes: dict, expect: int = 200):
        fields = dict(form["fields"]) | changes
        fields = {k: v for k, v in fields.items() if v is not None}
        action = urllib.parse.urljoin(page_url, form["action"] or page_url)
        status, url, html = self.request(action, fields, referer=page_url)
        if status != expect:
            fail(f"POST {urllib.parse.urlsplit(action).path}: {status}, expected {expect}", html)
        return url, html


def fail(message: str, html: str = "") -> None:
    errors = re.findall(r'<(?:ul|p) class="errors[^"]*"[^>]*>(.*?)</(?:ul|p)>', html, re.S)
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    detail = "; ".join(re.sub(r"<[^>]+>", " ", e).strip() for e in errors)
    sys.exit(
        f"FAIL: {message}"
        + (f" — page: {title.group(1).strip()}" if title else "")
        + (f" — {detail}" if detail else "")
    )


def form_posting_to(forms: list[dict], fragment: str) -> dict:
    for form in forms:
        if form["method"] == "post" and fragment in form["action"]:
            return form
    fail(f"no form posting to {fragment!r}")


def sign_in(site: Site, mobile: str, password: str) -> None:
    url, _html, forms = site.page("/login")
    form = next(f for f in forms if "mobile" in f["fields"])
    landed, html = site.submit(url, form, {"mobile": mobile, "password": password})
    if "/login" in urllib.parse.urlsplit(landed).path:
        fail("signing in through nginx", html)
    if "/privacy" in landed:  # the privacy notice, once
        _url, _h, forms = site.page(landed)
        site.submit(landed, form_posting_to(forms, "/privacy/accept"), {})
    print(f"signed in as {mobile} through {site.base}")


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def member_flow(site: Site, email_address: str, title: str) -> None:
    """Give the admin a mail address if the account has none, create a sports meet through the
    organizer's form, add a team, publish, register: the confirmation mail is then queued."""
    url, _html, forms = site.page("/account")
    profile = next(f for f in forms if "email" in f["fields"])
    if not profile["fields"]["email"]:
        site.submit(url, profile, {"email": email_address})
        print(f"mail address {email_address} set on the profile page")
    url, _html, forms = site.page("/events/new?kind=sportsmeet")
    now = datetime.now().astimezone()
    form = form_posting_to(forms, "/events/new")
    landed, html = site.submit(
        url,
        form,
        {
            "kind": "sportsmeet",
            "title": title,
            "description": "部署演练：经 nginx 创建的活动。",
            "venue": "工人文化宫",
            "starts_at": local(now + timedelta(days=7)),
            "ends_at": local(now + timedelta(days=7, hours=3)),
            "registration_opens_at": local(now - timedelta(hours=1)),
            "registration_closes_at": local(now + timedelta(days=6)),
            "capacity": "50",
        },
    )
    match = re.search(r"/events/(\d+)/teams", landed)
    if not match:
        fail("creating the event through the organizer's form", html)
    event_id = match.group(1)
    print(f"event {event_id} created: {title}")
    _url, _html, forms = site.page(f"/events/{event_id}/teams")
    site.submit(landed, form_posting_to(forms, "list=teams"), {"teams-new_names": "演练队"})
    url, _html, forms = site.page(f"/events/{event_id}/edit")
    landed, html = site.submit(url, form_posting_to(forms, f"/events/{event_id}/publish"), {})
    if not landed.endswith(f"/events/{event_id}"):
        fail("publishing the event", html)
    url, _html, forms = site.page(f"/events/{event_id}")
    form = form_posting_to(forms, f"/events/{event_id}/register")
    team = next(v for v in form["options"]["team_id"] if v)
    landed, html = site.submit(url, form, {"team_id": team})
    if "flash-success" not in html:
        fail("registering for the event", html)
    print(f"registered for event {event_id}")


def site_command(base: str, cafile: str, action: str, mobile: str, password: str, *rest: str):
    site = Site(base, cafile)
    sign_in(site, mobile, password)
    if action == "register":
        email_address, title = rest
        member_flow(site, email_address, title)
    elif action == "sign-in":
        pass
    elif action == "get":
        for path in rest:
            status, _url, _html = site.request(path, referer=f"{base}/events?q=referrer-secret")
            print(f"GET {path}: {status}")
    elif action == "has-event":
        status, _url, html = site.request("/manage")
        if rest[0] not in html:
            fail(f"the event {rest[0]!r} is not listed on /manage", html)
        print(f"the event {rest[0]!r} is there")
    else:
        sys.exit(f"unknown site action {action}")


# --- mail and logs -----------------------------------------------------------------------------


def mail(maildir: str, text: str, seconds: str) -> None:
    """Wait until a mail in MAILDIR (aiosmtpd's Mailbox) has TEXT in its subject or body."""
    deadline = time.monotonic() + float(seconds)
    while True:
        for path in sorted(Path(maildir).glob("*/*")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(("plain",))
            content = f"{message['subject']}\n{body.get_content() if body else ''}"
            if text in content:
                print(f"mail to {message['to']}: {message['subject']}")
                return
        if time.monotonic() > deadline:
            sys.exit(f"FAIL: no mail with {text!r} in {maildir} after {seconds} s")
        time.sleep(2)


def log(path: str, mark: str, *secrets: str) -> None:
    """The lines after MARK (a byte offset) of nginx's access log hold paths without a query
    string, none of SECRETS, and no referrer."""
    with open(path, "rb") as handle:
        handle.seek(int(mark))
        lines = handle.read().decode("utf-8", "replace").splitlines()
    if not lines:
        sys.exit(f"FAIL: nothing logged in {path}")
    problems = []
    for line in lines:
        if "?" in line:
            problems.append(f"a query string: {line}")
        problems += [f"{secret!r}: {line}" for secret in secrets if secret in line]
        if "referrer-secret" in line or "https://" in line:
            problems.append(f"a referrer: {line}")
    if problems:
        sys.exit("FAIL: the access log keeps " + "\n  ".join(problems))
    print(f"{len(lines)} access log lines, paths only, e.g. {lines[-1]}")


def main(argv: list[str]) -> None:
    commands = {"blocks": blocks, "unit": unit, "site": site_command, "mail": mail, "log": log}
    if len(argv) < 2 or argv[1] not in commands:
        sys.exit(__doc__)
    commands[argv[1]](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
