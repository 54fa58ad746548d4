"""The leak test: one-sided choices and contact cards reach nobody they are not meant for.

Scenario: a mixer with 32 checked-in attendees (16 men, 16 women; one never set up a card), a
second, ordinary event, an organizer and an admin. Everything one-sided is done through the real
routes (POSTs as the member): marks, matches, one-sided marks, blocks, a hidden match, a
withdrawn consent, introduction requests (accepted, declined, pending), a report; the scheduler
sends its notices.

What is checked, as anonymous, each of the 32 attendees, the organizer and the admin, over every
GET route of `app.url_map` (URL parameters filled from the scenario for both events; exports,
my-data downloads, admin and audit pages, the union's mixer statistics, the inbox; the introduce
and safety pages for every participant number) while the window is open and again after it
closed:

1. Contact values. No response contains a card's phone, WeChat id or email except the viewer's
   own card and the cards of the viewer's allowed matches, listed in `EXPECTED_CARDS` from the
   scenario itself (mutual, unhidden, unblocked, both consenting; plus the accepted
   introduction); organizer, admin and anonymous see none. XLSX exports are unzipped first.
2. One-sided marks tie to nobody. A marker's nickname legitimately shows on the marked person's
   pages (every attendee of the other gender is listed on the marking and introduction pages),
   so a name search cannot tell; instead the test moves every one-sided mark to another
   attendee the marker could also have marked (same markers, same number of marks, no new
   match) and renders everything again: every page of every viewer except the markers
   themselves must be byte-identical (CSRF tokens aside). Whom a member marked one-sidedly
   therefore shows nowhere but on their own pages. While the window is open (matches show at
   the close), two more changes must leave every page of everyone else identical: every mutual
   pair undone (one side's mark moved elsewhere), so no count, statistic or export counts a
   match before it is revealed; and a member's only mark taken back, so no count moves while a
   member marks. Likewise a declined request is turned back
   into an unanswered one: every page of everyone but the decliner must be identical, so the
   requester (and the organizer, and the admin) cannot tell a decline from silence.
   In addition, no attendee's page carries the real name of anyone else (names are for
   organizers and admins only).
3. Records and logs. Notification and OutboundEmail rows carry no card value, and no other
   attendee's nickname or name than the recipient's own; the marks, the block, the requests
   and the decline added no AuditEntry row and no notification at the time they were made
   (only the scheduler's name-free notices later); AuditEntry rows carry no card value and no
   nickname. Every log record captured at DEBUG from every logger carries no card value, no
   nickname and no introduction note; SQLAlchemy's own loggers are left at WARNING, since at
   DEBUG they echo every result row (the database's content itself, a switch production never
   turns on; at INFO they log SQL text with parameters hidden by `hide_parameters`).
4. Access logs (`test_the_access_log_records_no_one_sided_choice`): a real Werkzeug server logs
   the requests of a member who marks, asks for an introduction, blocks and reports; its
   request lines carry no participant number (numbers travel in query strings, which the
   log filter cuts, and in form bodies).
"""

from __future__ import annotations

import difflib
import http.client
import io
import itertools
import logging
import re
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.routing.converters import AnyConverter
from werkzeug.serving import make_server

from eventsite import scheduler
from eventsite.accounts.models import User
from eventsite.core.models import AuditEntry, Notification, OutboundEmail
from eventsite.events.checkin import token_for
from eventsite.events.models import Event, Registration
from eventsite.extensions import db
from eventsite.mixers import rules, service
from eventsite.mixers.models import IntroductionRequest, Mark
from eventsite.organizations.service import ROOT_ID
from tests.factories import PASSWORD, make_event, make_registration, make_user
from tests.mixer_factories import Mixer, check_in, make_mixer, number_of, set_up

MEN, WOMEN = 16, 16

#: Pairs (man index, woman index) that mark each other while the window is open.
MUTUAL = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4)]
#: One-sided marks: ("m", i, "w", j) is man i marking woman j, and the other way round.
ONE_SIDED = [
    ("m", 5, "w", 0),
    ("m", 6, "w", 1),
    ("m", 7, "w", 0),
    ("m", 8, "w", 7),
    ("m", 9, "w", 9),
    ("w", 8, "m", 0),
    ("w", 10, "m", 1),
    ("w", 11, "m", 12),
    ("w", 13, "m", 13),
]
#: Whose cards each attendee sees after the close: m0–w0 and m1–w1 matched; m2–w2 matched but
#: w2 hid it; m3–w3 matched but m3 withdrew his consent; m4–w4 matched but w4 blocked him;
#: w11 accepted m11's introduction request.
EXPECTED_CARDS = {("m", 0): {("w", 0)}, ("w", 0): {("m", 0)}, ("m", 1): {("w", 1)}}
EXPECTED_CARDS |= {("w", 1): {("m", 1)}, ("m", 11): {("w", 11)}, ("w", 11): {("m", 11)}}

CSRF = re.compile(r'(name="csrf_token"[^>]*value=|name="csrf-token"[^>]*content=)"[^"]*"')
AUDIT_ROW = re.compile(r"audit-\d+")
#: The account page's signed-in devices: a new one per walk's login, with the clock's times, and
#: the "sign out everywhere else" form that shows once there is more than one.
#: The signed-in devices in "Download my data" (each walk signs the viewer in on a new device).
DEVICE_JSON = re.compile(r'"(?:已登录的设备|Signed-in devices)": \[.*?\n  \]', re.S)
DEVICE_LIST = re.compile(r'<ul class="devices">.*?</section>', re.S)
HTML_ESCAPES = {"&#34;": '"', "&#39;": "'", "&amp;": "&", "&lt;": "<", "&gt;": ">"}


@dataclass
class Scenario:
    mixer: Mixer
    other_event: Event
    organizer: User
    admin: User
    people: dict[tuple[str, int], User] = field(default_factory=dict)
    cards: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    declined_id: int = 0
    #: The last audit entry the scenario itself made (walks' exports add theirs after it).
    audit_mark: int = 0

    @property
    def attendees(self) -> list[User]:
        return list(self.people.values())

    def key_of(self, user: User) -> tuple[str, int]:
        return next(k for k, u in self.people.items() if u.id == user.id)

    def number(self, key) -> int:
        return number_of(self.mixer, self.people[key])

    def allowed_cards(self, viewer: User | None, *, revealed: bool) -> set[str]:
        """The contact values `viewer` may see: their own card's and their allowed matches'."""
        if viewer is None or viewer.id not in self.cards:
            return set()
        allowed = set(self.cards[viewer.id])
        if revealed:
            for other in EXPECTED_CARDS.get(self.key_of(viewer), set()):
                allowed |= set(self.cards[self.people[other].id])
        return allowed


def nickname(gender: str, index: int) -> str:
    return f"{'星' if gender == 'm' else '月'}友{index:02d}号"


def real_name(gender: str, index: int) -> str:
    return f"{'甄' if gender == 'm' else '贾'}实名{index:02d}"


# --- building the scenario through the routes ---------------------------------------------------


def as_member(client, auth, user):
    auth.logout()
    auth.become(user)
    return client


def post(client, auth, user, path: str, data: dict, expect: int = 303):
    as_member(client, auth, user)
    response = client.post(path, data=data)
    assert response.status_code == expect, (path, data, response.status_code)
    db.session.rollback()
    return response


def build() -> Scenario:
    organizer = make_user(roles=["organizer"], name="组织者周")
    admin = make_user(roles=["admin"], name="管理员吴")
    mixer = make_mixer(organizer=organizer, title="皖工鹊桥测试场")
    other_event = make_event(organizer=organizer, title="普通活动", starts_in=timedelta(days=-3))
    scenario = Scenario(mixer, other_event, organizer, admin)
    for gender, count in (("m", MEN), ("w", WOMEN)):
        for i in range(count):
            user = make_user(
                gender="male" if gender == "m" else "female", name=real_name(gender, i)
            )
            scenario.people[(gender, i)] = user
            check_in(mixer, user)
            make_registration(other_event, user, checked_in_at=other_event.starts_at)
    db.session.commit()
    for (gender, i), user in scenario.people.items():
        if (gender, i) == ("w", 15):
            continue  # checked in, never set up a nickname or card
        phone = f"1668{'1' if gender == 'm' else '2'}00{i:04d}"
        wechat, email = f"wxsecret{gender}{i:02d}q", f"card.{gender}{i:02d}@secret.test"
        scenario.cards[user.id] = (phone, wechat, email)
        set_up(mixer, user, nickname=nickname(gender, i), phone=phone, wechat=wechat, email=email)
    db.session.commit()
    return scenario


def mark(client, auth, s: Scenario, marker, marked) -> None:
    path = f"/events/{s.mixer.event.id}/mixer/mark"
    post(client, auth, s.people[marker], path, {"number": s.number(marked), "marked": 1})


def open_window_actions(client, auth, s: Scenario) -> None:
    """Blocks first (a block hides both ways, so it goes before marks), then every mark."""
    safety = f"/events/{s.mixer.event.id}/mixer/safety"
    post(
        client, auth, s.people[("m", 6)], safety, {"number": s.number(("w", 6)), "action": "block"}
    )
    for man, woman in MUTUAL:
        mark(client, auth, s, ("m", man), ("w", woman))
        mark(client, auth, s, ("w", woman), ("m", man))
    for marker_gender, marker, marked_gender, marked in ONE_SIDED:
        mark(client, auth, s, (marker_gender, marker), (marked_gender, marked))
    report = {"number": s.number(("m", 14)), "action": "report", "reason": "聊天时言语不当"}
    post(client, auth, s.people[("w", 14)], safety, report)


def closed_window_actions(client, auth, s: Scenario) -> None:
    event = s.mixer.event
    base = f"/events/{event.id}/mixer"
    # w2 hides her match with m2; m3 withdraws his card; w4 blocks m4, her match.
    hide = {"number": s.number(("m", 2))}
    post(client, auth, s.people[("w", 2)], f"{base}/matches/hide", hide)
    post(client, auth, s.people[("m", 3)], f"{base}/withdraw", {})
    post(
        client,
        auth,
        s.people[("w", 4)],
        f"{base}/safety",
        {"number": s.number(("m", 4)), "action": "block"},
    )
    # Introduction requests: m9 → w9 (declined), m10 → w10 (left open), m11 → w11 (accepted),
    # w12 → m12 (left open).
    for (asker, asked), note in zip(
        [
            (("m", 9), ("w", 9)),
            (("m", 10), ("w", 10)),
            (("m", 11), ("w", 11)),
            (("w", 12), ("m", 12)),
        ],
        [
            "那天的讲座很精彩想认识你",
            "想请你喝咖啡聊聊书",
            "很高兴认识你愿交个朋友",
            "你的摄影作品真好",
        ],
        strict=True,
    ):
        s.notes.append(note)
        post(
            client,
            auth,
            s.people[asker],
            f"{base}/introduce",
            {"number": s.number(asked), "note": note},
        )
    requests = {r.requester_id: r.id for r in db.session.scalars(sa.select(IntroductionRequest))}
    s.declined_id = requests[s.people[("m", 9)].id]
    post(
        client,
        auth,
        s.people[("w", 9)],
        f"{base}/requests/{s.declined_id}/answer",
        {"answer": "decline"},
    )
    accepted = requests[s.people[("m", 11)].id]
    post(
        client,
        auth,
        s.people[("w", 11)],
        f"{base}/requests/{accepted}/answer",
        {"answer": "accept"},
    )


# --- walking every route --------------------------------------------------------------------------

#: GET routes the walk leaves out, with why.
SKIPPED = {
    "static": "files from static/",
    "core.set_language": "only sets the session's language and redirects",
}


def urls(app, s: Scenario, viewer: User | None, *, mixer_only: bool = False) -> list[str]:
    """Every GET URL of the app with its parameters filled from the scenario, for `viewer`."""
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == s.mixer.event.id)
        .order_by(Registration.id)
    ).all()
    own = [r for r in registrations if viewer is not None and r.user_id == viewer.id]
    candidates = {
        "organization_id": [ROOT_ID],
        "event_id": [s.mixer.event.id] if mixer_only else [s.mixer.event.id, s.other_event.id],
        "registration_id": sorted({r.id for r in own + registrations[:1]}),
        "token": [token_for(registrations[0])],
        "round_id": [1],
        "item_id": [1],
        "team_id": [1],
        "sheet_id": [1],
        "session_id": [1],
        "question_id": [1],
        # Covers: the kinds' defaults and a stored copy's key (no cover of the mixer's is
        # stored, so it answers 404: covers are pictures, never a member's details).
        "kind": ["mixer"],
        "size": ["card"],
        "key": ["nosuchcoverkeyxxxxxxxx"],
    }
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        if mixer_only and not (
            rule.endpoint.startswith("mixers.") and "event_id" in rule.arguments
        ):
            continue
        options = []
        for arg in sorted(rule.arguments):
            converter = rule._converters.get(arg)
            if isinstance(converter, AnyConverter):
                options.append([(arg, converter.to_python(item)) for item in converter.items])
            else:
                assert arg in candidates, f"{rule.endpoint}: give the walk a value for {arg}"
                options.append([(arg, value) for value in candidates[arg]])
        for combination in itertools.product(*options):
            values = dict(combination)
            if values.get("event_id") == s.other_event.id and not rule.endpoint.startswith(
                ("events.", "roster.")
            ):
                continue  # the second event's sports-meet pages hold nothing of the mixer
            path = rule.build(values, append_unknown=False)[1]
            if rule.endpoint in ("mixers.introduce", "mixers.safety"):
                found += [f"{path}?number={n}" for n in numbers_for(s, viewer)]
            else:
                found.append(path)
    return sorted(set(found))


def numbers_for(s: Scenario, viewer: User | None) -> list[int]:
    """The participant numbers whose introduce and safety pages `viewer` opens: everyone tied to
    them by a mark, a match or a request either way, themselves, and two uninvolved attendees."""
    if viewer is None or viewer.id not in {u.id for u in s.attendees}:
        return [s.number(("w", 0))]
    me = s.key_of(viewer)
    related = {me, ("m", 15), ("w", 14)}
    ties = [((g1, i1), (g2, i2)) for g1, i1, g2, i2 in ONE_SIDED]
    ties += [(("m", m), ("w", w)) for m, w in MUTUAL]
    ties += [(("m", i), ("w", i)) for i in (9, 10, 11)] + [(("w", 12), ("m", 12))]
    for a, b in ties:
        if me in (a, b):
            related |= {a, b}
    return sorted(s.number(key) for key in related)


def readable(response) -> str:
    """The response as text: XLSX unzipped (without docProps, which carry the time of writing),
    HTML entities undone, CSRF tokens blanked."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            names = sorted(n for n in book.namelist() if not n.startswith("docProps/"))
            text = "\n".join(book.read(n).decode("utf-8", "replace") for n in names)
    else:
        text = data.decode("utf-8", "replace")
    for escaped, plain in HTML_ESCAPES.items():
        text = text.replace(escaped, plain)
    text = DEVICE_JSON.sub("devices", text)
    return DEVICE_LIST.sub("devices", AUDIT_ROW.sub("audit-N", CSRF.sub("CSRF", text)))


def walk(app, client, auth, s: Scenario, viewers, *, mixer_only=False, only=None) -> dict:
    """{(viewer id or None, url): (status, text)} for every viewer and URL (or `only` those).

    Exports write an audit entry as they are made; the walk starts from the scenario's audit
    log each time, so that every walk sees the same audit pages."""
    db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id > s.audit_mark))
    db.session.commit()
    seen = {}
    for viewer in viewers:
        auth.logout()
        if viewer is not None:
            auth.become(viewer)
        targets = (
            [url for who, url in only if who == (viewer.id if viewer else None)]
            if only is not None
            else urls(app, s, viewer, mixer_only=mixer_only)
        )
        for url in targets:
            response = client.get(url)
            db.session.rollback()
            # /status answers 503 while a health check fails (here no scheduler ever ran): it
            # is read like any page, and must leak nothing either.
            healthy_or_reporting = response.status_code < 500 or url == "/status"
            assert healthy_or_reporting, (url, response.status_code)
            seen[(viewer.id if viewer else None, url)] = (response.status_code, readable(response))
    return seen


def everyone(s: Scenario) -> list[User | None]:
    return [None, *s.attendees, s.organizer, s.admin]


def assert_no_contact_leak(s: Scenario, seen: dict, *, revealed: bool) -> int:
    """Check 1; returns how many responses showed a card value they were allowed to show."""
    users = {u.id: u for u in s.attendees + [s.organizer, s.admin]}
    every_value = {v for card in s.cards.values() for v in card}
    shown_allowed = 0
    for (viewer_id, url), (_status, text) in seen.items():
        allowed = s.allowed_cards(users.get(viewer_id), revealed=revealed)
        leaked = {v for v in every_value - allowed if v in text}
        assert not leaked, f"{url} as user {viewer_id} shows {leaked}"
        shown_allowed += any(v in text for v in allowed - set(s.cards.get(viewer_id, ())))
    return shown_allowed


def assert_no_foreign_names(s: Scenario, seen: dict) -> None:
    """No attendee's page names another attendee by their real name."""
    names = {u.id: u.name for u in s.attendees}
    for (viewer_id, url), (_status, text) in seen.items():
        if viewer_id not in names:
            continue
        shown = {n for uid, n in names.items() if uid != viewer_id and n in text}
        assert not shown, f"{url} as attendee {viewer_id} names {shown}"


def assert_same(before: dict, after: dict, skip: set[int]) -> int:
    """Every (viewer, url) outside `skip` rendered identically; returns how many were compared."""
    compared = 0
    for key, (status, text) in before.items():
        if key[0] in skip or key not in after:
            continue
        assert after[key][0] == status, (key, status, after[key][0])
        if text != after[key][1]:
            diff = "\n".join(
                itertools.islice(
                    difflib.unified_diff(
                        text.splitlines(), after[key][1].splitlines(), lineterm=""
                    ),
                    40,
                )
            )
            pytest.fail(f"{key} differs:\n{diff}")
        compared += 1
    return compared


def moved_marks(s: Scenario, which: list[tuple[tuple[str, int], tuple[str, int]]]):
    """For each (marker, marked) of `which`, another attendee the marker could have marked
    instead (listed, unmarked by them, not marking them back, not blocked): (marker, old, new)
    user ids. Moving a mark this way keeps every count of marks and markers, makes no match
    and, for a mutual pair, undoes its match."""
    event = s.mixer.event
    people = service.participants(event)
    marks = set(db.session.execute(sa.select(Mark.marker_id, Mark.marked_id)).all())
    settings = service.settings_of(event)
    moves, taken = [], set()
    for marker_key, marked_key in which:
        a, b = s.people[marker_key].id, s.people[marked_key].id
        blocks = service.blocks_touching([a])
        for other in people.values():
            c = other.user_id
            if (
                c != b
                and (a, c) not in marks
                and (c, a) not in marks
                and (a, c) not in taken
                and rules.is_listed(people[a].attendee, other.attendee, settings.visibility, blocks)
            ):
                moves.append((a, b, c))
                taken.add((a, c))
                break
        else:
            pytest.fail(f"no other attendee for {a} to mark")
    return moves


def moved_one_sided_marks(s: Scenario) -> list[tuple[int, int, int]]:
    """Every one-sided mark moved to another attendee its marker could have marked."""
    return moved_marks(s, [((g1, i1), (g2, i2)) for g1, i1, g2, i2 in ONE_SIDED])


def undone_matches(s: Scenario) -> list[tuple[int, int, int]]:
    """The man's mark of every mutual pair moved elsewhere: the same marks and markers, and no
    match at all (unrevealed while the window is open, so nobody but the movers may notice)."""
    return moved_marks(s, [(("m", m), ("w", w)) for m, w in MUTUAL])


def apply_moves(s: Scenario, moves, *, back: bool = False) -> None:
    event_id = s.mixer.event.id
    for a, old, new in moves:
        gone, come = (new, old) if back else (old, new)
        db.session.execute(
            sa.delete(Mark).where(
                Mark.event_id == event_id, Mark.marker_id == a, Mark.marked_id == gone
            )
        )
        db.session.add(Mark(event_id=event_id, marker_id=a, marked_id=come))
    db.session.commit()


def tap_moves(client, auth, s: Scenario, moves, *, back: bool = False) -> None:
    """`apply_moves` through the marking route, as the members themselves tap (so whatever the
    app keeps in step with a mark is kept in step)."""
    users = {u.id: u for u in s.attendees}
    path = f"/events/{s.mixer.event.id}/mixer/mark"
    for a, old, new in moves:
        gone, come = (new, old) if back else (old, new)
        for whom, on in ((gone, 0), (come, 1)):
            number = number_of(s.mixer, users[whom])
            post(client, auth, users[a], path, {"number": number, "marked": on})


def take_back(client, auth, s: Scenario, marker_key, marked_key, *, back: bool = False) -> None:
    """Take back (or, `back`, give again) one mark through the marking route."""
    path = f"/events/{s.mixer.event.id}/mixer/mark"
    data = {"number": s.number(marked_key), "marked": 1 if back else 0}
    post(client, auth, s.people[marker_key], path, data)


def inbox_of(user: User) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def record_counts(but: User | None = None) -> tuple[int, int, int]:
    """Notifications (to anyone but `but`), mails and audit entries."""
    notes = sa.select(sa.func.count(Notification.id))
    if but is not None:
        notes = notes.where(Notification.user_id != but.id)
    return (
        db.session.scalar(notes),
        db.session.scalar(sa.select(sa.func.count(OutboundEmail.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEntry.id))),
    )


# --- the test ----------------------------------------------------------------------------------


def capture_every_log(caplog) -> None:
    """DEBUG on the root and on every logger there is, SQLAlchemy's aside (see the docstring)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        if not name.startswith("sqlalchemy"):
            caplog.set_level(logging.DEBUG, logger=name)


def test_no_contact_value_or_one_sided_choice_leaks(app, client, auth, clock, caplog):
    capture_every_log(caplog)
    s = build()
    clock.advance(minutes=10)
    scheduler.run_notices()  # "the exchange is open"
    db.session.expire_all()
    s.audit_mark = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    records = record_counts(but=s.organizer)
    open_window_actions(client, auth, s)
    # Marks, matches, a block: nothing recorded anywhere (the report goes to the organizer).
    assert record_counts(but=s.organizer) == records

    # --- the window is open: every route (the organizer's pages and exports, the union's
    # statistics, every page a fetch reads), then with the one-sided marks moved, with every
    # match undone, and with a member's only mark taken back
    viewers = everyone(s)
    open_pages = walk(app, client, auth, s, viewers)
    assert any(url == "/admin/mixer-stats" for _viewer, url in open_pages)
    assert assert_no_contact_leak(s, open_pages, revealed=False) == 0
    assert_no_foreign_names(s, open_pages)
    ok = {key: value for key, value in open_pages.items() if value[0] == 200}
    markers = {s.people[(g, i)].id for g, i, _, _ in ONE_SIDED}
    moves = moved_one_sided_marks(s)
    apply_moves(s, moves)
    again = walk(app, client, auth, s, viewers, only=[k for k in ok if k[0] not in markers])
    assert assert_same(ok, again, markers) > 500
    apply_moves(s, moves, back=True)
    # Matches are not revealed until the close: whether a pair marked each other shows nowhere,
    # not on the marked side's pages, not in any count (organizer, exports, statistics).
    movers = {s.people[("m", m)].id for m, _w in MUTUAL}
    undone = undone_matches(s)
    tap_moves(client, auth, s, undone)
    again = walk(app, client, auth, s, viewers, only=[k for k in ok if k[0] not in movers])
    assert assert_same(ok, again, movers) > 500
    tap_moves(client, auth, s, undone, back=True)
    # Nor whether a member marked anybody at all while marks may still change.
    taker = s.people[("m", 5)].id  # his one mark, of w0
    take_back(client, auth, s, ("m", 5), ("w", 0))
    again = walk(app, client, auth, s, viewers, only=[k for k in ok if k[0] != taker])
    assert assert_same(ok, again, {taker}) > 500
    take_back(client, auth, s, ("m", 5), ("w", 0), back=True)

    # --- after the close: every route, then with the marks moved, then with the decline undone
    clock.now = service.window_of(s.mixer.event).closes_at + timedelta(hours=2)
    scheduler.run_notices()  # results
    db.session.expire_all()
    accepted_requester = s.people[("m", 11)]
    records = record_counts(but=accepted_requester)
    told = len(inbox_of(accepted_requester))
    closed_window_actions(client, auth, s)
    # Hiding, withdrawing, blocking, asking, declining: nothing recorded anywhere. Accepting
    # tells the requester, in one notice (checked with every other record below).
    assert record_counts(but=accepted_requester) == records
    assert len(inbox_of(accepted_requester)) == told + 1
    scheduler.run_notices()  # "an introduction request" to w10, m12 (w9, w11 answered first)
    db.session.expire_all()
    s.audit_mark = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0

    pages = walk(app, client, auth, s, viewers)
    assert len(pages) > 30 * 100
    assert assert_no_contact_leak(s, pages, revealed=True) > 0  # allowed cards do show
    assert_no_foreign_names(s, pages)
    ok = {key: value for key, value in pages.items() if value[0] == 200}
    apply_moves(s, moves)
    again = walk(app, client, auth, s, viewers, only=[k for k in ok if k[0] not in markers])
    assert assert_same(ok, again, markers) > 500
    apply_moves(s, moves, back=True)

    decliner = s.people[("w", 9)].id
    db.session.execute(
        sa.update(IntroductionRequest)
        .where(IntroductionRequest.id == s.declined_id)
        .values(declined_at=None)
    )
    db.session.commit()
    undeclined = walk(app, client, auth, s, viewers, only=[k for k in ok if k[0] != decliner])
    assert assert_same(ok, undeclined, {decliner}) > 500

    # --- the requests end; then the records and logs
    clock.now += timedelta(days=8)
    scheduler.run_notices()
    db.session.expire_all()
    assert_records_clean(s)
    assert_logs_clean(s, caplog)


def assert_records_clean(s: Scenario) -> None:
    every_value = {v for card in s.cards.values() for v in card}
    nicknames = {u.id: nickname(*s.key_of(u)) for u in s.attendees}
    names = {u.id: u.name for u in s.attendees}
    notes = db.session.scalars(sa.select(Notification)).all()
    # The introduction notices were sent (English, or the catalog's 牵线 "introduce").
    assert any(
        "introduction" in n.subject.lower() or "牵线" in n.subject or "介绍" in n.subject
        for n in notes
    )
    for note in notes:
        text = f"{note.subject}\n{note.body}\n{note.link}"
        foreign = {n for uid, n in (nicknames | names).items() if uid != note.user_id and n in text}
        foreign |= {n for uid, n in nicknames.items() if n in text}
        assert not foreign and not {v for v in every_value if v in text}, (note.user_id, text)
        assert not any(n in text for n in s.notes), text
    user_of_address = {u.email: u.id for u in s.attendees if u.email}
    for mail in db.session.scalars(sa.select(OutboundEmail)):
        text = f"{mail.subject}\n{mail.body}"
        assert not {v for v in every_value if v in text}, text
        assert not {n for n in nicknames.values() if n in text}, text
        owner = user_of_address.get(mail.to_address)
        assert not {n for uid, n in names.items() if uid != owner and n in text}, text
    for entry in db.session.scalars(sa.select(AuditEntry)):
        text = " ".join(str(v) for v in (entry.action, entry.detail) if v)
        assert not {v for v in every_value if v in text}, text
        assert not {n for n in nicknames.values() if n in text}, text


def assert_logs_clean(s: Scenario, caplog) -> None:
    every_value = {v for card in s.cards.values() for v in card}
    nicknames = {nickname(*s.key_of(u)) for u in s.attendees}
    secrets = every_value | nicknames | set(s.notes)
    assert caplog.records, "nothing was captured: the check would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert not {x for x in secrets if x in text}, (record.name, text[:300])


# --- the access log ------------------------------------------------------------------------------


def test_the_access_log_records_no_one_sided_choice(app, clock, caplog, tmp_path):
    """A real Werkzeug server in a thread logs its request lines through the `werkzeug` logger
    (with the query-string filter of `core.privacy`): none names a participant number."""
    capture_every_log(caplog)
    mixer = make_mixer(title="访问日志场")
    people = {}
    for i, gender in enumerate(["male", "female", "female", "female"]):
        user = make_user(gender=gender, name=f"日志{i}")
        check_in(mixer, user)
        set_up(mixer, user, nickname=f"日志昵称{i}")
        people[i] = user
    db.session.commit()
    mobile = people[0].mobile
    numbers = {i: number_of(mixer, people[i]) for i in people}
    closes_at = service.window_of(mixer.event).closes_at
    base = f"/events/{mixer.event.id}/mixer"
    db.session.rollback()  # the server's requests write: hold no transaction open here
    server = make_server("127.0.0.1", 0, app, threaded=False)
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def request(method, path, body=None, cookie=None):
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if cookie:
                headers["Cookie"] = cookie
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response

        login = request("POST", "/login", f"mobile={mobile}&password={PASSWORD}")
        assert login.status in (302, 303), login.status
        cookie = "; ".join(c.split(";")[0] for c in login.headers.get_all("Set-Cookie"))
        request("GET", f"{base}/mark", cookie=cookie)
        assert (
            request("POST", f"{base}/mark", f"number={numbers[1]}&marked=1", cookie).status == 303
        )
        assert request("GET", f"{base}/safety?number={numbers[2]}", cookie=cookie).status == 200
        body = f"number={numbers[2]}&action=report&reason=x"
        assert request("POST", f"{base}/safety", body, cookie).status == 303
        assert (
            request("POST", f"{base}/safety", f"number={numbers[3]}&action=block", cookie).status
            == 303
        )
        clock.now = closes_at + timedelta(hours=1)
        assert request("GET", f"{base}/introduce?number={numbers[1]}", cookie=cookie).status == 200
        body = f"number={numbers[1]}&note=hello"
        assert request("POST", f"{base}/introduce", body, cookie).status == 303
        conn.close()
    finally:
        server.shutdown()
        thread.join(10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) >= 8, lines
    paths = [re.search(r"(GET|POST) (\S+) HTTP", line).group(2) for line in lines]
    for path in paths:
        assert "number" not in path, path
        assert not re.search(r"/mixer/[\w-]+/\d", path), path
    assert f"{base}/introduce?…" in paths and f"{base}/safety?…" in paths
    db.session.rollback()
