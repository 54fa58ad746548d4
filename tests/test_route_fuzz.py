"""Route fuzz: hostile values in every path id, form field and query parameter, as every role.

Walks every route of `app.url_map` on the scenario of tests/test_permissions.py (a competition,
a sports meet and a mixer with real rows behind every id) as each of its roles (anonymous,
member, organizer of another event, the event's organizer, a former organizer, judge, organizer
of a sibling organization, admin of the organization above, platform admin),
and asserts that nothing answers 5xx, and that no value was stopped only by the database (the
DataError page, the last net under core.inputs):

- path: each integer argument gets the other real ids of the scenario, 0 and ids beyond the
  columns' range (2**31, 10**20); each text argument gets hostile text;
- query parameters: those the view read on a plain GET (recorded while it ran) and those of the
  GET forms on the role's pages that point at the route;
- form fields: every field of every form on the pages the role sees (the baseline request is
  the form as rendered, so a hostile value in one field reaches as deep as the view goes), and
  every key the view read from an empty POST.

Every field and query parameter meets every hostile value, but not as every role: the three
managers of the scenario's events (its organizer, the admin of the organization above, the
platform admin) each crawl as all three first, and share out the hostile values of each field
the crawls find more than one of them reaching, so that field gets each value from exactly one
of them (one third each; a field only one of them reaches gets every value from that one). Any
other role, and any key only an empty POST read, gets NUL and a 20-digit number plus half of the
other hostile values in turn. Every route is still walked as every role; of a list's numbered
rows only the first is fuzzed. A route that turns the role away gets one hostile request, not
one per field.

The walk runs on PostgreSQL in CI (`make test-postgres`), where NUL bytes and out-of-range
numbers really fail in the database; on SQLite they would pass unnoticed.
"""

from __future__ import annotations

import io
import logging
import re
import time
import traceback
import zlib
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Request, got_request_exception
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import AnyConverter, IntegerConverter

from eventsite.extensions import db
from tests.test_permissions import (  # noqa: F401 (scenario: a fixture)
    ROLES,
    SCENARIOS,
    build,
    routes,
    scenario,
    scenario_of,
)

#: Where each role starts in ROTATING, for what the managers do not share out (see
#: SHARING_MANAGERS): the organizer and the admins get complementary halves.
ROTATION_START = {role: 5 if role in ("admin", "parent_admin") else 0 for role in ROLES}

#: Hostile values every field, query parameter and text path argument may get. The first two
#: go to every field; the others rotate.
ALWAYS = ("a\x00b", "99999999999999999999")
ROTATING = (
    "-2147483649",
    "2147483648",
    "-1",
    "1e308",
    "NaN",
    "inf",
    "长" * 5000,
    "\u202e😀\ufeff名",
    "",
    "1.5",
)
#: How many of ROTATING each field gets per role.
ROTATING_SHARE = 5
#: Every hostile value, for the managers' shares.
HOSTILE_VALUES = (*ALWAYS, *ROTATING)

#: The roles that manage the scenario's events and reach the same forms: each field the crawls
#: find them all reaching gets each of HOSTILE_VALUES from exactly one of them.
SHARING_MANAGERS = ("organizer", "parent_admin", "admin")

#: Routes whose forms each role must reach at least (the walk found 3, 17, 9, 53, 8, 11, 55 when
#: this was written): a walk that silently stopped finding forms would prove nothing.
FORMS_REACHED = {
    "anonymous": 2,
    "member": 12,
    "other_organizer": 5,
    "organizer": 45,
    "former_organizer": 5,
    "sibling_organizer": 5,
    "parent_admin": 45,
    "judge": 8,
    "admin": 45,
}

#: Ids no row has and no column can hold.
HOSTILE_IDS = (0, 2**31, 10**20)
HOSTILE_TEXT = ("a\x00b", "长" * 300, "..%2F..%2Fetc", "😀")

#: Routes whose success would end the walk's session or empty its scenario: walked last.
WALKED_LAST = (
    "accounts.logout",
    "accounts.revoke_role",
    "events.cancel",
    "mixers.delete_my_data",
    "mixers.withdraw",
    "sportsmeet.delete_item",
)


@pytest.fixture
def app_config():
    """Let a failing view answer as it would in production (the 500 page), not raise."""
    return {"PROPAGATE_EXCEPTIONS": False}


# --- Which keys a view reads ------------------------------------------------------------------


class Reads:
    """Keys of request.args / request.form looked up during the current request."""

    keys: set[str] = set()


class RecordingMultiDict(ImmutableMultiDict):
    def __getitem__(self, key):
        Reads.keys.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        Reads.keys.add(key)
        return super().get(key, default=default, type=type)

    def getlist(self, key, type=None):  # noqa: A002
        Reads.keys.add(key)
        return super().getlist(key, type=type)

    def __contains__(self, key):
        Reads.keys.add(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingMultiDict


# --- Forms on a page --------------------------------------------------------------------------


@dataclass
class PageForm:
    action: str
    method: str
    #: (name, value) pairs a browser would send as the form stands.
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: Every field name, also unticked boxes and options not chosen.
    names: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class FormParser(HTMLParser):
    """The forms of a page, with what a browser would send for each as rendered."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None
        self._select_chosen: list[str] = []
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._submitted = False

    def _name(self, name):
        if name and name not in self._form.names:
            self._form.names.append(name)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = PageForm(
                action=attrs.get("action") or "", method=(attrs.get("method") or "get").lower()
            )
            self._submitted = False
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            self._name(name)
            if not name:
                return
            if kind == "file":
                self._form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
            elif kind in ("submit", "image", "button"):
                if not self._submitted and kind == "submit":
                    self._submitted = True
                    self._form.fields.append((name, attrs.get("value", "")))
            else:
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "button" and name:
            self._name(name)
            if not self._submitted and (attrs.get("type") or "submit") == "submit":
                self._submitted = True
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "select":
            self._name(name)
            self._select, self._select_chosen, self._select_first = name, [], None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in attrs:
                self._select_chosen.append(value)
        elif tag == "textarea":
            self._name(name)
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "select" and self._select:
            chosen = self._select_chosen or (
                [self._select_first] if self._select_first is not None else []
            )
            self._form.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form.fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "form":
            self._form = None


# --- The walk ---------------------------------------------------------------------------------


@dataclass
class Failure:
    endpoint: str
    role: str
    where: str
    value: str
    status: int
    error: str

    def kind(self) -> str:
        where = self.where.split(":")[0] if self.where.startswith("path:") else self.where
        return f"{self.endpoint} {where}: {self.error or self.status}"

    def __str__(self):
        return (
            f"{self.endpoint} as {self.role}: {self.where}={self.value[:30]!r} → "
            f"{self.status} {self.error}"
        )


@dataclass
class Walk:
    app: object
    client: object
    auth: object
    role: str
    user: object
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    last_error: str = ""
    net: object = None
    net_seen: int = 0

    #: Endpoints whose form fields were fuzzed one by one.
    fuzzed_forms: set = field(default_factory=set)
    #: The managers walked besides this role, in SHARING_MANAGERS' order (empty: none), and
    #: the scenario's members by role.
    managers: tuple = ()
    users: dict = field(default_factory=dict)
    #: {(endpoint, method, form's names or None, field): managers whose crawl reached it}.
    reach: dict = field(default_factory=dict)

    def values_for(self, key: tuple, offset: int) -> list[str]:
        """The hostile values this role sends to one field (or query parameter): a manager
        its share of HOSTILE_VALUES, split among the managers that reach it (the others
        send the rest); any other role ALWAYS and ROTATING_SHARE of ROTATING."""
        group = self.reach.get(key, ())
        if self.role in group:
            # The same turn in every manager's walk, whichever process (and hash seed) runs it.
            endpoint, method, names, name = key
            stable = "|".join([endpoint, method, ",".join(sorted(names or ())), name])
            turn = (zlib.crc32(stable.encode()) + group.index(self.role)) % len(group)
            return [v for i, v in enumerate(HOSTILE_VALUES) if i % len(group) == turn]
        return _share(ROTATION_START[self.role] + offset)

    def sign_in(self):
        """Put the role's member in the session again (a route may have ended it)."""
        if self.user is not None:
            self.auth.become(self.user)

    def send(self, method: str, url: str, *, endpoint: str, where: str, value: str, data=None):
        self.last_error = ""
        Reads.keys = set()
        if method == "GET":
            response = self.client.get(url)
        else:
            response = self.client.post(url, data=data or {})
        db.session.rollback()  # the requests share the test's app context and session
        self.requests += 1
        self.statuses[response.status_code // 100] += 1
        caught = len(self.net.messages) > self.net_seen
        self.net_seen = len(self.net.messages)
        if caught:
            self.last_error = (
                self.last_error or "refused only by the database: " + self.net.messages[-1]
            )
        if response.status_code >= 500 or caught:
            self.failures.append(
                Failure(endpoint, self.role, where, value, response.status_code, self.last_error)
            )
        return response


def _one_per_pattern(names: list[str]) -> list[str]:
    """The first of each family of numbered names (`rows-0-name`, `rows-1-name` …; `score_12`,
    `score_13` …): the rows of a list are the same fields again."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(re.sub(r"\d+", "#", name), name)
    return list(seen.values())


def _share(values_index: int) -> list[str]:
    """ALWAYS plus ROTATING_SHARE of ROTATING, starting at `values_index`."""
    picked = [ROTATING[(values_index + i) % len(ROTATING)] for i in range(ROTATING_SHARE)]
    return [*ALWAYS, *picked]


def _refused(response) -> bool:
    """The role is turned away before any input is read."""
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def _endpoint_of(app, url: str, method: str):
    adapter = app.url_map.bind("localhost")
    parts = urlsplit(url)
    try:
        endpoint, _args = adapter.match(parts.path, method=method.upper())
    except HTTPException:
        return None
    return endpoint


def _order(rule) -> tuple[int, str]:
    return (rule.endpoint in WALKED_LAST, rule.endpoint)


def _path_values(values: dict) -> dict[str, set]:
    """{argument: every value the scenario gives it anywhere}."""
    found: dict[str, set] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            for sub, subvalue in _path_values(value).items():
                found.setdefault(sub, set()).update(subvalue)
        else:
            found.setdefault(key, set()).add(value)
    return found


def _hostile_path(rule, values: dict, refused: bool) -> list[tuple[str, str, str]]:
    """(argument, value, url) for each hostile or misplaced value of each path argument; a role
    the route turns away gets the hostile ids only (another real id is turned away alike)."""
    every = _path_values(values)
    real_ids = sorted({v for vs in every.values() for v in vs if isinstance(v, int)})
    urls = []
    for argument, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            continue
        if isinstance(converter, IntegerConverter):
            misplaced = [] if refused else [i for i in real_ids if i not in every[argument]]
            candidates = [*HOSTILE_IDS, *misplaced]
        else:
            candidates = list(HOSTILE_TEXT)
        for candidate in candidates:
            urls.append((argument, str(candidate), _build_with(rule, values, argument, candidate)))
    return urls


def _build_with(rule, values, argument, candidate) -> str:
    scoped = dict(values)
    walked_on = scenario_of(rule.endpoint)
    if walked_on is not None:
        scoped = scoped | values[walked_on]
    scoped[argument] = candidate
    for name in SCENARIOS:
        scoped[name] = {k: v for k, v in values[name].items() if k != argument}
    return build(rule, scoped)


class NetCatches(logging.Handler):
    """Values only the last net (the DataError page) stopped: a gap in core.inputs' checks."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        if record.getMessage().startswith("the database refused"):
            self.messages.append(record.getMessage())


def walk_role(app, client, auth, users, values, role, managers=SHARING_MANAGERS) -> Walk:
    got_request_exception.connect(_remember_error, app)
    # The second step of every SMS code page needs the number its first step was given.
    from eventsite.accounts.verification_rules import Purpose

    with client.session_transaction() as session:
        session["code_numbers"] = {str(purpose): "13800009999" for purpose in Purpose}
    walk = Walk(app, client, auth, role, users.get(role))
    if role in managers:
        walk.managers, walk.users = tuple(managers), users
    app._fuzz_walk = walk
    net = NetCatches()
    app.logger.addHandler(net)
    walk.net = net
    try:
        _walk(app, walk, values)
    finally:
        got_request_exception.disconnect(_remember_error, app)
        app.logger.removeHandler(net)
    return walk


def _remember_error(sender, exception, **_extra):
    walk = getattr(sender, "_fuzz_walk", None)
    if walk is None:
        return
    frames = traceback.extract_tb(exception.__traceback__)
    ours = [f for f in frames if "/eventsite/" in f.filename] or frames
    where = f"{ours[-1].filename.split('/eventsite/')[-1]}:{ours[-1].lineno}" if ours else ""
    walk.last_error = (
        f"{type(exception).__name__}: {str(exception).splitlines()[0][:160]} @ {where}"
    )


def _crawl_as_managers(app, walk: Walk, values: dict, all_routes):
    """The crawl of every manager in turn (the same in each manager's walk), noting which
    reach each field and query parameter; the walked role's own crawl is returned."""
    own = walk.role, walk.user
    crawls = {}
    for role in walk.managers:
        walk.role, walk.user = role, walk.users[role]
        pages, query_keys, turned_away = crawls[role] = _crawl(app, walk, values, all_routes)
        keys = {(e, "GET", None, k) for e, read in query_keys.items() for k in read}
        for endpoint, forms in pages.items():
            for form in forms:
                if form.method == "get":
                    keys.update((endpoint, "GET", None, name) for name in form.names)
                else:
                    names = frozenset(form.names)
                    keys.update((endpoint, "POST", names, name) for name in form.names)
        for key in keys:
            walk.reach.setdefault(key, []).append(role)
    walk.role, walk.user = own
    walk.sign_in()
    return crawls[walk.role]


def _walk(app, walk: Walk, values: dict) -> None:
    all_routes = sorted(routes(app), key=_order)
    if walk.managers:
        pages, query_keys, turned_away = _crawl_as_managers(app, walk, values, all_routes)
    else:
        pages, query_keys, turned_away = _crawl(app, walk, values, all_routes)
    for number, rule in enumerate(all_routes):
        endpoint, url = rule.endpoint, build(rule, values)
        walk.sign_in()
        read: set[str] = set()
        if "POST" in rule.methods:
            empty = walk.send("POST", url, endpoint=endpoint, where="empty", value="")
            read = set(Reads.keys)
            if _refused(empty) or (empty.status_code == 404 and endpoint not in pages):
                turned_away.add(endpoint)
            walk.sign_in()  # the empty POST may have been a logout
        method = "GET" if "GET" in rule.methods else "POST"
        for argument, value, hostile_url in _hostile_path(rule, values, endpoint in turned_away):
            walk.send(method, hostile_url, endpoint=endpoint, where=f"path:{argument}", value=value)
        if "GET" in rule.methods:
            keys = set(query_keys.get(endpoint, set()))
            keys.update(
                n for form in pages.get(endpoint, []) if form.method == "get" for n in form.names
            )
            for index, key in enumerate(sorted(keys)):
                for value in walk.values_for((endpoint, "GET", None, key), number + index):
                    query = urlencode({key: value})
                    walk.send(
                        "GET", f"{url}?{query}", endpoint=endpoint, where=f"?{key}", value=value
                    )
        if "POST" in rule.methods:
            forms = [form for form in pages.get(endpoint, []) if form.method == "post"]
            refused = endpoint in turned_away
            _post_forms(walk, endpoint, url, forms, read, number, refused)


def _crawl(app, walk: Walk, values: dict, all_routes):
    """Every GET route as the scenario has it, as the role: the forms its pages show (by the
    endpoint they post to), the query keys each view read, and the routes that turn the role
    away."""
    pages: dict[str, list[PageForm]] = {}
    query_keys: dict[str, set[str]] = {}
    turned_away: set[str] = set()
    for rule in all_routes:
        if "GET" not in rule.methods:
            continue
        url = build(rule, values)
        walk.sign_in()
        response = walk.send("GET", url, endpoint=rule.endpoint, where="page", value="")
        query_keys[rule.endpoint] = set(Reads.keys)
        if _refused(response):
            turned_away.add(rule.endpoint)
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        parser = FormParser()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            form.action = form.action or url
            endpoint = _endpoint_of(app, form.action, form.method)
            if endpoint is None:
                continue
            known = pages.setdefault(endpoint, [])
            if all(set(other.names) != set(form.names) for other in known):
                known.append(form)
    return pages, query_keys, turned_away


def _post_forms(walk: Walk, endpoint: str, url: str, forms, read, start: int, refused: bool):
    """Each field of each form posting to `endpoint` (and each key the view read from an empty
    POST), one hostile value at a time, the other fields as the page rendered them."""
    if refused:
        # Turned away before reading anything: one hostile request says it stays so.
        data = {key: ALWAYS[0] for form in forms for key in form.names} or {"x": ALWAYS[0]}
        walk.send("POST", url, endpoint=endpoint, where="all fields", value=ALWAYS[0], data=data)
        return
    walk.fuzzed_forms.add(endpoint)
    for form in forms or [PageForm(action=url, method="post")]:
        names = _one_per_pattern([*form.names, *sorted(read - set(form.names))])
        for index, name in enumerate(names):
            key = (endpoint, "POST", frozenset(form.names), name)
            for value in walk.values_for(key, start + index):
                pairs = [(k, v) for k, v in form.fields if k != name]
                pairs += [
                    (f, (io.BytesIO(b"mobile\n13800000000\n"), "list.csv"))
                    for f in form.files
                    if f != name
                ]
                if name in form.files:
                    pairs.append((name, (io.BytesIO(value.encode()), "hostile.csv")))
                else:
                    pairs.append((name, value))
                walk.send(
                    "POST",
                    form.action,
                    endpoint=endpoint,
                    where=name,
                    value=value,
                    data=MultiDict(pairs),
                )


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_input_gets_a_5xx(app, client, auth, scenario, role):  # noqa: F811
    users, values, _event = scenario
    app.request_class = RecordingRequest
    started = time.perf_counter()
    walk = walk_role(app, client, auth, users, values, role)
    elapsed = time.perf_counter() - started
    print(
        f"\nroute fuzz as {role}: {walk.requests} requests in {elapsed:.1f} s, "
        f"by status class {dict(sorted(walk.statuses.items()))}, "
        f"forms of {len(walk.fuzzed_forms)} routes, {len(walk.failures)} 5xx"
    )
    assert len(walk.fuzzed_forms) >= FORMS_REACHED[role]
    # One line per endpoint, place and error: the same fault behind many values reads once.
    assert sorted({failure.kind() for failure in walk.failures}) == []


#: Routes whose forms the general event's walk must reach (its registration's companions, the
#: roster, the check-in desk, the event form with its companions limit).
GENERAL_FORMS_REACHED = {"member": 3, "organizer": 10}


@pytest.mark.parametrize("role", sorted(GENERAL_FORMS_REACHED))
def test_no_hostile_input_gets_a_5xx_on_a_general_event(
    app,
    client,
    auth,
    scenario,  # noqa: F811
    role,
    monkeypatch,
):
    """The event, roster and check-in routes again on the scenario's union activity (工会活动),
    where the member brings companions: its own forms (companions, the event form's limit of
    companions) meet every hostile value too."""
    users, values, _event = scenario
    walked = values | values["general"]
    app.request_class = RecordingRequest

    every_route = routes

    def event_routes(app):
        for rule in every_route(app):
            if rule.endpoint.startswith(("events.", "roster.")) and (
                {"event_id", "registration_id", "token"} & set(rule.arguments)
            ):
                yield rule

    monkeypatch.setattr(f"{__name__}.routes", event_routes)
    # The organizer is the only manager walked here: nobody to share the values with.
    walk = walk_role(app, client, auth, users, walked, role, managers=())
    assert len(walk.fuzzed_forms) >= GENERAL_FORMS_REACHED[role]
    assert "events.change_companions" in walk.fuzzed_forms or role != "member"
    assert sorted({failure.kind() for failure in walk.failures}) == []
