"""Every page issues the same, small number of SQL statements whatever the data.

Each test builds a small world (about 10 rows of everything), counts the statements of each of
its pages, grows the world to a large one (1,000 registrations on the roster, 200 events, 300
notifications, audit entries, mails, roster messages and texts), and counts again: the counts
must be equal, and below `MAX_QUERIES` (or the page's own bound). Every GET route of the app is
measured here, or in the file `MEASURED_ELSEWHERE` names, or listed in `NOT_MEASURED` with why
(`test_every_page_is_measured`): a new page fails the test until it is measured. A query per row would make the large count grow. A list that is not paginated
would not show in the count but in the body, which would grow with the rows (20 to 100 times
as many), so each body must change (the large world is really on the page) but stay within
`MAX_BODY_GROWTH` times its small size.

Each request is measured in a fresh application context, so it starts with an empty database
session like a request on a real server does (the `app` fixture keeps one context open, whose
session would otherwise answer repeated lookups from its identity map and hide queries).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import ROOT_ORGANIZATION_ID, User, UserRole
from eventsite.core.models import AuditEntry, Notification, OutboundEmail
from eventsite.core.time import utcnow
from eventsite.events.checkin import token_for
from eventsite.events.models import (
    Event,
    EventKind,
    EventOrganizer,
    EventStatus,
    Registration,
    RegistrationStatus,
    RosterMessage,
)
from eventsite.extensions import db
from eventsite.posters.rules import COVER_SIZES, copy_name
from eventsite.posters.storage import cover_storage
from eventsite.questions.models import Question
from eventsite.sms.models import SmsMessage, SmsStatus
from tests.factories import make_event, make_registration, make_user, password_hash

S = RegistrationStatus

#: No page may need more statements than this (a member's session, the event and its organizers,
#: the page's own queries, the unread-messages badge).
MAX_QUERIES = 14

#: Pages that need more, with their own bound: one statement per kind of data is the design.
OWN_BOUNDS = {
    # The account, devices, roles, registrations, answers, companions, sessions, notifications,
    # feedback receipts, mixer profile and cards, marks, picks, texts…: one statement each.
    "/account/data.json": 20,
    # The member's card, marks, matches, introductions, blocks and reports at one mixer.
    "/events/{event}/mixer/my-data.json": 20,
    "/events/{event}/mixer/my-data.xlsx": 20,
}

#: Pages that answer other than 200 in a test, with the same statements as in production.
ANSWERS = {
    # No scheduler runs beside the tests, so the health says "failing" (503).
    "/status": 503,
}

#: How much larger a page may get from the small world to the large one: a page of a longer list,
#: fuller counts, a search capped at 20 results; not a list shown whole.
MAX_BODY_GROWTH = 5

#: Pages known to show a list whole, with why; the test fails once one is paginated, so that it
#: leaves this list.
SHOWN_WHOLE: dict[str, str] = {
    "/events/{event}/roster.csv": "an export is the whole roster by design",
    "/events/{event}/roster.xlsx": "an export is the whole roster by design",
    "/account/data.json": "a member's copy of everything kept about them (PIPL art. 45)",
}

#: Families of pages that show no rows that grow (forms, single documents, the app shell, the
#: steps of the code flows): only their counts are compared, their bodies may stay the same.
SHOWS_NO_ROWS = {"forms and documents"}

#: The number each browser asked a code for, for the second steps of the code flows.
CODES_ASKED = {
    "sign_up": "13912345678",
    "sign_in": "13912345678",
    "reset_password": "13912345678",
    "change_mobile": "13987654321",
}

SMALL = {
    "events": 10,
    "registrations": 10,
    "notifications": 10,
    "audit": 10,
    "mails": 10,
    "messages": 10,
}
LARGE = {
    "events": 200,
    "registrations": 1000,
    "notifications": 300,
    "audit": 300,
    "mails": 300,
    "messages": 300,
}

_serial = itertools.count()


@pytest.fixture
def app_config():
    # Short pages, so that even the small world has a second page of everything.
    return {
        "EVENTS_PAGE_SIZE": 2,
        "MY_EVENTS_PAGE_SIZE": 2,
        "MY_EVENTS_UPCOMING_PAGE_SIZE": 2,
        "ROSTER_PAGE_SIZE": 3,
        "MEMBERSHIP_REQUESTS_PAGE_SIZE": 1,
    }


@pytest.fixture(autouse=True)
def short_admin_pages(monkeypatch):
    monkeypatch.setattr("eventsite.core.views.NOTIFICATIONS_PER_PAGE", 3)
    monkeypatch.setattr("eventsite.accounts.views.ADMIN_PAGE_SIZE", 3)
    monkeypatch.setattr("eventsite.accounts.service.USERS_PER_PAGE", 3)
    monkeypatch.setattr("eventsite.sms.views.OUTBOX_PAGE_SIZE", 3)


@dataclass
class World:
    """The people and the event every page is looked at by, and ids for building URLs."""

    member: int
    organizer: int
    admin: int
    event: int
    team: int
    track: int
    #: A union activity (工会活动) the member brings companions to; everyone grown registers.
    general: int = 0
    #: The member's (confirmed) registration for the union activity, and its check-in token.
    registration: int = 0
    token: str = ""
    #: The key of the union activity's uploaded cover.
    cover: str = ""
    sizes: dict = field(default_factory=lambda: dict.fromkeys(SMALL, 0))


@pytest.fixture
def world(app, clock) -> World:
    member = make_user(name="会员本人")
    organizer = make_user(roles=["organizer"], name="组织者")
    admin = make_user(roles=["admin"], name="管理员")
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=["山东队", "江苏队"],
        tracks=["英语", "俄语"],
        title="主赛事",
        capacity=5000,
    )
    mine = make_registration(
        event, member, status=S.WAITLISTED, team_id=event.teams[0].id, track_id=event.tracks[0].id
    )
    db.session.commit()
    built = World(
        member=member.id,
        organizer=organizer.id,
        admin=admin.id,
        event=event.id,
        team=event.teams[1].id,
        track=event.tracks[1].id,
    )
    assert mine.id
    general = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        title="职工讲堂",
        capacity=5000,
        max_companions=3,
    )
    registration = make_registration(general, member, companions=2)
    db.session.commit()
    built.general = general.id
    built.registration = registration.id
    built.token = token_for(registration)
    # An uploaded cover, its copies stored as the upload stores them (the bytes matter not).
    built.cover = general.cover_key = "Cover0Key0Of022Letters"
    for size in COVER_SIZES:
        cover_storage().save(copy_name(built.cover, size), b"\xff\xd8 cover \xff\xd9")
    db.session.commit()
    grow(built, SMALL)
    return built


def _insert(model, rows: list[dict]) -> list[int]:
    """Bulk INSERT … RETURNING id on the table: the new rows' ids, in no particular order (the
    ORM's bulk insert splices SQLite's small batches together, quadratic in the rows)."""
    if not rows:
        return []
    table = model.__table__
    return list(db.session.scalars(sa.insert(table).returning(table.c.id), rows))


def grow(world: World, target: dict) -> None:
    """Add rows until the world has `target` of each kind (bulk inserts, one password hash)."""
    now = utcnow()
    add = {key: target[key] - world.sizes[key] for key in target}
    batch = next(_serial) % 100
    statuses = list(S)

    # Members, each registered for the main event: every status, both teams and tracks,
    # a third of the confirmed checked in, arriving a minute apart.
    people = _insert(
        User,
        [
            {
                "name": f"批量{batch}-{i}",
                "mobile": f"15{batch:02d}{i:07d}",
                "email": f"m{batch}-{i}@example.com" if i % 4 == 0 else None,
                "password_hash": password_hash(),
                "work_unit": "烟台市商务局",
                "gender": "male" if i % 2 else "female",
                "birth_year": 1990 + i % 10,
                "active": True,
                "created_at": now,
                # Every fifth asks the root union to verify them as a member.
                "organization_id": ROOT_ORGANIZATION_ID if i % 5 == 0 else None,
                "membership_status": "requested" if i % 5 == 0 else "none",
            }
            for i in range(add["registrations"])
        ],
    )
    db.session.execute(
        sa.insert(UserRole), [{"user_id": uid, "role": "judge"} for uid in people[::7]]
    )
    base = now - timedelta(days=3)
    rows = []
    for i, uid in enumerate(people):
        status = statuses[i % len(statuses)]
        arrived = base + timedelta(minutes=world.sizes["registrations"] + i)
        checked = status == S.CONFIRMED and i % 3 == 0
        rows.append(
            {
                "event_id": world.event,
                "user_id": uid,
                "status": str(status),
                "team_id": world.team if i % 2 else None,
                "track_id": world.track if i % 3 else None,
                "registered_at": arrived,
                "status_changed_at": arrived,
                "waitlisted_at": arrived if status == S.WAITLISTED else None,
                "checked_in_at": now if checked else None,
                "checked_in_by_id": world.organizer if checked else None,
                "status_reason": "名额已满" if status == S.REJECTED else "",
            }
        )
    _insert(Registration, rows)
    # Everyone grown registers for the union activity too, bringing 0 to 3 companions.
    _insert(
        Registration,
        [
            {
                **row,
                "event_id": world.general,
                "team_id": None,
                "track_id": None,
                "companions": i % 4,
            }
            for i, row in enumerate(rows)
        ],
    )

    # Events of every kind and status, half upcoming and half past, run by the organizer; the
    # member is registered for each in one status or another, beside a few other members.
    kinds = list(EventKind)
    event_statuses = [EventStatus.PUBLISHED] * 3 + [EventStatus.CANCELLED, EventStatus.DRAFT]
    event_rows = []
    for i in range(add["events"]):
        starts = now + timedelta(days=(i % 40) + 1) * (1 if i % 2 else -1)
        status = event_statuses[i % len(event_statuses)]
        event_rows.append(
            {
                "kind": str(kinds[i % len(kinds)]),
                "status": str(status),
                "title": f"活动{batch}-{i}",
                "description": "说明",
                "venue": "工人文化宫",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=3),
                "registration_opens_at": starts - timedelta(days=30),
                "registration_closes_at": starts - timedelta(hours=1),
                "capacity": 20,
                "approval_required": False,
                "created_by_id": world.organizer,
                "created_at": now,
                "updated_at": now,
                "published_at": now if status != EventStatus.DRAFT else None,
                "cancelled_at": now if status == EventStatus.CANCELLED else None,
                "cancel_reason": "天气原因" if status == EventStatus.CANCELLED else "",
            }
        )
    events = _insert(Event, event_rows)
    db.session.execute(
        sa.insert(EventOrganizer),
        [{"event_id": eid, "user_id": world.organizer, "added_at": now} for eid in events],
    )
    others = people[:3]
    rows = []
    for i, eid in enumerate(events):
        for j, uid in enumerate([world.member, *others]):
            status = [S.CONFIRMED, S.WAITLISTED, S.PENDING, S.CANCELLED][(i + j) % 4]
            rows.append(
                {
                    "event_id": eid,
                    "user_id": uid,
                    "status": str(status),
                    "registered_at": now - timedelta(minutes=j),
                    "status_changed_at": now,
                    "waitlisted_at": now - timedelta(minutes=j) if status == S.WAITLISTED else None,
                    "status_reason": "",
                }
            )
    _insert(Registration, rows)

    # The member's inbox, half of it read.
    db.session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": world.member,
                "subject": f"通知{batch}-{i}",
                "body": "正文",
                "link": f"/events/{world.event}",
                "created_at": now - timedelta(minutes=i),
                "read_at": now if i % 2 else None,
            }
            for i in range(add["notifications"])
        ],
    )
    # The event's audit log and the platform's, with their actors.
    db.session.execute(
        sa.insert(AuditEntry),
        [
            {
                "event_id": world.event if i % 2 == 0 else None,
                "actor_id": [world.organizer, world.admin, None][i % 3],
                "action": "registration.approve" if i % 2 == 0 else "role.grant",
                "detail": f"记录{batch}-{i}",
                "created_at": now - timedelta(minutes=i),
            }
            for i in range(2 * add["audit"])
        ],
    )
    # The mail outbox, some sent, some failing.
    db.session.execute(
        sa.insert(OutboundEmail),
        [
            {
                "to_address": f"m{batch}-{i}@example.com",
                "subject": f"邮件{batch}-{i}",
                "body": "正文",
                "created_at": now - timedelta(minutes=i),
                "sent_at": now if i % 3 == 0 else None,
                "attempts": i % 3,
                "last_error": "550 mailbox unavailable" if i % 3 == 2 else None,
            }
            for i in range(add["mails"])
        ],
    )
    # The organizer's messages to the roster, and the text messages the platform sent,
    # in every status.
    db.session.execute(
        sa.insert(RosterMessage),
        [
            {
                "event_id": world.event,
                "team_id": world.team if i % 2 else None,
                "author_id": world.organizer,
                "audience": "全体已确认",
                "text": f"留言{batch}-{i}",
                "by_sms": i % 3 == 0,
                "recipients": 20,
                "sms_count": 20 if i % 3 == 0 else 0,
                "sms_segments": 20 if i % 3 == 0 else 0,
                "sent_at": now - timedelta(minutes=i),
            }
            for i in range(add["messages"])
        ],
    )
    sms_statuses = list(SmsStatus)
    db.session.execute(
        sa.insert(SmsMessage),
        [
            {
                "user_id": people[i % len(people)] if people else None,
                "event_id": world.event,
                "mobile": f"13{batch:02d}{i:07d}",
                "kind": "roster_message",
                "params": {},
                "body": f"短信{batch}-{i}",
                "segments": 1,
                "status": str(sms_statuses[i % len(sms_statuses)]),
                "created_at": now - timedelta(minutes=i),
                "send_after": now - timedelta(minutes=i),
            }
            for i in range(add["messages"])
        ],
    )
    db.session.commit()
    world.sizes = dict(target)


def measure(app, client, auth, count_queries, who: int | None, url: str, numbers=None):
    """GET `url` as user id `who` (None: anonymous) in a fresh app context, the browser having
    asked codes for `numbers` ({purpose: mobile}); (statements, body: text, or bytes for a
    download that is not text)."""
    auth.logout()
    if who is not None:
        auth.become(db.session.get(User, who))
    if numbers:
        with client.session_transaction() as session:
            session["code_numbers"] = dict(numbers)
    with app.app_context(), count_queries() as counter:
        response = client.get(url)
    assert response.status_code == ANSWERS.get(url, 200), (url, response.status_code)
    text = response.mimetype.startswith(("text/", "application/json"))
    return counter.count, response.get_data(as_text=text), counter.statements


#: Page families, each with the URLs (and who opens them) whose counts are compared.
PAGES = {
    "event list": [
        (None, "/events"),
        (None, "/"),
        ("member", "/events"),
        (None, "/events?when=past"),
        (None, "/events?kind=competition"),
        (None, "/events?kind=mixer&when=past"),
        (None, "/events?page=2"),
    ],
    "event detail": [
        (None, "/events/{event}"),
        ("member", "/events/{event}"),
        ("organizer", "/events/{event}"),
        ("admin", "/events/{event}"),
    ],
    "my events": [
        ("member", "/my/events"),
        ("member", "/my/events?page=2"),
        ("member", "/my/events?upcoming_page=2"),
    ],
    "manage": [("organizer", "/manage"), ("organizer", "/manage?page=3"), ("admin", "/manage")],
    "roster": [
        ("organizer", "/events/{event}/roster"),
        ("organizer", "/events/{event}/roster?page=3"),
        ("organizer", "/events/{event}/roster?status=confirmed"),
        ("organizer", "/events/{event}/roster?gender=female"),
        ("organizer", "/events/{event}/roster?team_id={team}"),
        ("organizer", "/events/{event}/roster?track_id={track}"),
        ("organizer", "/events/{event}/roster?checked_in=yes"),
        ("organizer", "/events/{event}/roster?checked_in=no"),
        ("organizer", "/events/{event}/roster?q=批量"),
        (
            "organizer",
            "/events/{event}/roster?q=批量&status=waitlisted&gender=male&team_id={team}"
            "&track_id={track}&checked_in=no",
        ),
        ("admin", "/events/{event}/roster?status=pending"),
    ],
    "check-in desk": [
        ("organizer", "/events/{event}/checkin"),
        ("organizer", "/events/{event}/checkin?q=批量"),
        ("organizer", "/events/{event}/checkin?q=15"),
        ("organizer", "/events/{event}/checkin/counts.json"),
    ],
    "event audit log": [
        ("organizer", "/events/{event}/audit"),
        ("organizer", "/events/{event}/audit?page=2"),
    ],
    "inbox": [("member", "/inbox"), ("member", "/inbox?page=2")],
    "admin users": [
        ("admin", "/admin/users"),
        ("admin", "/admin/users?q=批量"),
        ("admin", "/admin/users?page=2"),
    ],
    "admin outbox": [("admin", "/admin/outbox"), ("admin", "/admin/outbox?page=2")],
    "admin audit": [("admin", "/admin/audit"), ("admin", "/admin/audit?page=2")],
    "general event": [
        (None, "/events/{general}"),
        ("member", "/events/{general}"),
        ("organizer", "/events/{general}"),
        ("organizer", "/events/{general}/roster"),
        ("organizer", "/events/{general}/roster?status=confirmed"),
        ("organizer", "/events/{general}/checkin?q=批量"),
        (None, "/events?kind=general"),
    ],
    "organizers and teams": [
        ("organizer", "/events/{event}/organizers"),
        ("organizer", "/events/{event}/teams"),
    ],
    "messages, exports and requests": [
        ("organizer", "/events/{event}/roster/messages"),
        ("organizer", "/events/{event}/roster.csv"),
        ("organizer", "/events/{event}/roster.xlsx"),
        ("member", "/account/data.json"),
        ("admin", "/admin/sms"),
        ("admin", "/admin/sms?status=failed"),
        ("admin", "/admin/sms?page=2"),
        ("admin", "/admin/outbox/hold"),
        ("admin", "/membership/requests"),
        ("admin", "/membership/requests?page=2"),
    ],
    "forms and documents": [
        ("organizer", "/events/new"),
        ("organizer", "/events/{event}/edit"),
        ("organizer", "/events/{event}/cover"),
        ("organizer", "/events/{event}/roster/import"),
        ("organizer", "/events/{event}/roster/import-template.xlsx"),
        ("organizer", "/events/{event}/roster/message"),
        (None, "/events/{event}/share"),
        (None, "/events/{event}/share-poster.png"),
        ("organizer", "/checkin/{token}"),
        ("member", "/checkin/{token}"),
        ("member", "/my/registrations/{registration}/qr.svg"),
        ("member", "/me"),
        ("member", "/account"),
        ("member", "/account/delete"),
        ("member", "/account/mobile"),
        ("member", "/account/password"),
        ("member", "/account/union"),
        ("member", "/privacy"),
        ("admin", "/status"),
        (None, "/privacy"),
        (None, "/login"),
        (None, "/signup"),
        (None, "/signup/claim"),
        (None, "/sms-login"),
        (None, "/password/forgot"),
        (None, "/manifest.webmanifest"),
        (None, "/sw.js"),
        (None, "/offline"),
        (None, "/covers/default/competition/card.jpg"),
        (None, "/covers/{cover}/card.jpg"),
        ("visitor with a code", "/signup/details"),
        ("visitor with a code", "/sms-login/verify"),
        ("visitor with a code", "/password/reset"),
        ("member with a code", "/account/mobile/verify"),
    ],
}


@pytest.mark.parametrize("family", list(PAGES))
def test_page_queries_do_not_grow_with_the_data(app, client, auth, count_queries, world, family):
    ids = {"member": world.member, "organizer": world.organizer, "admin": world.admin, None: None}
    ids |= {"visitor with a code": None, "member with a code": world.member}
    values = {
        "event": world.event,
        "team": world.team,
        "track": world.track,
        "general": world.general,
        "registration": world.registration,
        "token": world.token,
        "cover": world.cover,
    }
    urls = [(who, url.format(**values)) for who, url in PAGES[family]]

    def look(who, url):
        numbers = CODES_ASKED if who and who.endswith("with a code") else None
        return measure(app, client, auth, count_queries, ids[who], url, numbers)

    small = {(who, url): look(who, url) for who, url in urls}
    grow(world, LARGE)
    large = {(who, url): look(who, url) for who, url in urls}

    report = {
        f"{who or 'anonymous'} {url}": (small[key][0], large[key][0])
        for key in small
        for who, url in [key]
    }
    grown = {page: counts for page, counts in report.items() if counts[0] != counts[1]}
    assert not grown, f"statements grew with the data (small, large): {grown}"
    bounds = [OWN_BOUNDS.get(template, MAX_QUERIES) for _, template in PAGES[family]]
    too_many = {
        page: (counts, bound)
        for (page, counts), bound in zip(report.items(), bounds, strict=True)
        if counts[1] > bound
    }
    assert not too_many, f"more statements than the bound (small, large), bound: {too_many}"
    if family in SHOWS_NO_ROWS:
        return
    # The large world is really on the pages: a count that stays put over an unchanged body
    # would prove nothing.
    unchanged = [
        page for (page, key) in zip(report, small, strict=True) if small[key][1] == large[key][1]
    ]
    assert not unchanged, f"pages that did not change with the data: {unchanged}"
    growth = {
        template: round(len(large[key][1]) / len(small[key][1]), 1)
        for (_, template), key in zip(PAGES[family], urls, strict=True)
    }
    whole = {url: g for url, g in growth.items() if g > MAX_BODY_GROWTH}
    expected = {url: g for url, g in growth.items() if url.split("?")[0] in SHOWN_WHOLE}
    assert whole == expected, f"pages that grow with the rows (times their small size): {whole}"


# --- Every page is measured: the GET routes of the app against the pages of this file ----------

#: GET routes no test measures, with why.
NOT_MEASURED = {
    "static": "files from static/, no database",
    "core.favicon": "a file from static/, no database",
    "core.security_txt": "text from the configuration, no database",
    "core.healthz": "the load balancer's probe: one SELECT 1, no session (tests/test_health.py)",
    "core.set_language": "sets the language cookie and redirects",
    "roster.checkin_scan": "the desk's scan form: redirects to /checkin/<token> (measured) or "
    "shows the desk again (measured as /events/<id>/checkin)",
}

#: Pages measured, small against large, by another file: the file that does.
MEASURED_ELSEWHERE = {
    "competitions.setup": "tests/test_competitions_queries.py",
    "competitions.edit_round": "tests/test_competitions_queries.py",
    "competitions.judges": "tests/test_competitions_queries.py",
    "competitions.progress": "tests/test_competitions_queries.py",
    "competitions.ranking": "tests/test_competitions_queries.py",
    "competitions.explanation": "tests/test_competitions_queries.py",
    "competitions.awards": "tests/test_competitions_queries.py",
    "competitions.objections": "tests/test_competitions_queries.py",
    "competitions.paper": "tests/test_competitions_queries.py",
    "competitions.print_sheets": "tests/test_competitions_queries.py",
    "competitions.export_xlsx": "tests/test_competitions_queries.py",
    "competitions.results": "tests/test_competitions_queries.py",
    "competitions.my_sheets": "tests/test_competitions_queries.py",
    "competitions.judge_round": "tests/test_competitions_queries.py",
    "competitions.score": "tests/test_competitions_queries.py",
    "statistics.organization": "tests/test_statistics_queries.py",
    "statistics.organization_xlsx": "tests/test_statistics_queries.py",
}


def measured_here() -> list[str]:
    """Every URL template the tests of this file open."""
    pairs = [pair for family in PAGES.values() for pair in family]
    pairs += DEEP_TREE_PAGES + SESSION_PAGES + QUESTION_PAGES + FEEDBACK_PAGES
    urls = [url for _, url in pairs]
    urls += MIXER_PAGES + MIXER_ORGANIZER_PAGES + MEET_PAGES + DESIGNER_PAGES + PRINTED_PAGES
    urls += [MIXER_STATS_PAGE, *CERTIFICATE_PAGES.values()]
    urls += [url for _, url in MEET_WORK_PAGES + COMPETITION_PAGES]
    urls += ORGANIZATION_PAGES
    return urls


def _route_pattern(rule: str) -> re.Pattern:
    """A rule as it appears in a test's URLs: each variable part a placeholder or a value."""
    parts = re.split(r"<[^>]+>", rule)
    variable = r"(\{[^}]*\}|[\w.-]+)"
    return re.compile(variable.join(re.escape(part) for part in parts) + r"(?![\w/.])")


def test_every_page_is_measured(app):
    """Every GET route is measured here or in the file named, or is listed with why not."""
    adapter = app.url_map.bind("localhost")
    here = {}
    for url in measured_here():
        path = re.sub(r"\{[^}]*\}", "1", url).split("?")[0]
        here.setdefault(adapter.match(path, method="GET")[0], url)
    get_routes = {
        rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods
    }

    elsewhere = {}
    for endpoint, path in MEASURED_ELSEWHERE.items():
        source = (Path(__file__).parent.parent / path).read_text(encoding="utf-8")
        elsewhere[endpoint] = bool(_route_pattern(get_routes.get(endpoint, "?")).search(source))
    assert all(elsewhere.values()), f"not opened in the file named: {elsewhere}"

    unaccounted = sorted(set(get_routes) - set(here) - set(MEASURED_ELSEWHERE) - set(NOT_MEASURED))
    assert not unaccounted, f"GET routes neither measured nor listed with a reason: {unaccounted}"
    listed = set(NOT_MEASURED) | set(MEASURED_ELSEWHERE)
    assert not listed & set(here), f"measured here, yet listed: {sorted(listed & set(here))}"
    assert listed <= set(get_routes), (
        f"listed, yet no GET route: {sorted(listed - set(get_routes))}"
    )


# --- Mixers: the exchange's pages for a 6-attendee and a 200-attendee mixer with 5,000 marks -----


def _grow_mixer(mixer, men: int, women: int, marks: int, seed: int) -> None:
    """Add attendees with cards, `marks` random one-sided marks and the matches they make."""
    import random

    from eventsite.mixers import rules as mixer_rules
    from eventsite.mixers.models import Mark, Match
    from tests.mixer_factories import attend

    people = [attend(mixer, gender="male") for _ in range(men)]
    people += [attend(mixer, gender="female") for _ in range(women)]
    ids = {u.id: u.gender for u in mixer.attendees}
    rng = random.Random(seed)
    before = set(db.session.execute(sa.select(Mark.marker_id, Mark.marked_id)).tuples())
    pairs = [(a, b) for a in ids for b in ids if ids[a] != ids[b] and (a, b) not in before]
    chosen = set(rng.sample(pairs, min(marks, len(pairs))))
    db.session.execute(
        sa.insert(Mark),
        [{"event_id": mixer.event.id, "marker_id": a, "marked_id": b} for a, b in chosen],
    )
    mutual = mixer_rules.mutual_pairs(chosen | before) - mixer_rules.mutual_pairs(before)
    if mutual:
        db.session.execute(
            sa.insert(Match),
            [{"event_id": mixer.event.id, "user_low_id": a, "user_high_id": b} for a, b in mutual],
        )
    db.session.commit()


MIXER_PAGES = [
    "/events/{event}/mixer",
    "/events/{event}/mixer/mark",
    "/events/{event}/mixer/results",
    "/events/{event}/mixer/profile",
    "/events/{event}/mixer/introduce?number={number}",
    "/events/{event}/mixer/safety?number={number}",
    "/events/{event}/mixer/my-data.json",
    "/events/{event}/mixer/my-data.xlsx",
    "/my/mixers",
]
MIXER_ORGANIZER_PAGES = ["/events/{event}/mixer/manage", "/events/{event}/mixer/reports"]


def test_mixer_page_queries_do_not_grow_with_the_attendees(app, client, auth, count_queries, clock):
    from eventsite.mixers import service as mixer_service
    from tests.mixer_factories import make_mixer

    mixer = make_mixer(reveal="at_once")
    _grow_mixer(mixer, 3, 3, 12, seed=1)
    member = mixer.attendees[0]
    woman = mixer.profile(mixer.attendees[3]).number
    for reporter in mixer.attendees[3:5]:
        mixer_service.report(
            mixer.event, reporter.id, mixer.profile(member).number, "测试", utcnow()
        )
    db.session.commit()
    pages = [(member.id, p) for p in MIXER_PAGES]
    pages += [(mixer.organizer.id, p) for p in MIXER_ORGANIZER_PAGES]

    def counts():
        return {
            url: measure(
                app,
                client,
                auth,
                count_queries,
                who,
                url.format(event=mixer.event.id, number=woman),
            )[0]
            for who, url in pages
        }

    small = counts()
    _grow_mixer(mixer, 97, 97, 5000, seed=2)
    large = counts()
    assert small == large
    assert all(n <= OWN_BOUNDS.get(url, MAX_QUERIES) for url, n in large.items()), large


# --- Sports meets: the live board for a 2-team meet and for 8 teams x 30 items x 500 entrants ----

#: The board's pages, opened anonymously as the venue's screen and the stands' phones do.
MEET_PAGES = ["/events/{event}/meet", "/events/{event}/meet/standings.json"]
MEET_PAGES += ["/events/{event}/meet/screen", "/events/{event}/meet/items/{item}"]


def _meet_counts(app, client, auth, count_queries, event_id: int) -> dict[str, int]:
    from eventsite.sportsmeet.models import Item

    item = db.session.scalar(sa.select(sa.func.min(Item.id)).where(Item.event_id == event_id))
    counts = {}
    for template in MEET_PAGES:
        url = template.format(event=event_id, item=item)
        counts[template] = measure(app, client, auth, count_queries, None, url)[0]
    return counts


def test_sports_meet_board_queries_do_not_grow_with_the_meet(app, client, auth, count_queries):
    """Built afresh (the board's cache off) and served from the cache, a meet of 2 teams and 1
    item costs the same statements as the benchmark's meet (bench/dataset.py: 8 teams, 30 items,
    500 entrants, 688 entries, 592 results, 36 matches)."""
    from bench.dataset import seed_meet
    from tests.sportsmeet_factories import enter_all, make_item, make_meet, one_heat, record

    small = make_meet(teams=["甲队", "乙队"], per_team=1)
    item = make_item(small, name="拔河", result_type="time")
    heat = one_heat(item, enter_all(small, item))
    record(heat, heat.lanes[0].entry, "41")
    db.session.commit()
    large = seed_meet()

    results = {}
    for setting, label in ((0, "built"), (60, "kept")):
        app.config["MEET_BOARD_CACHE_SECONDS"] = setting
        for size, event_id in (("small", small.event.id), ("large", large.event_id)):
            if setting:  # the first request builds the board; the next ones find it kept
                _meet_counts(app, client, auth, count_queries, event_id)
            results[(label, size)] = _meet_counts(app, client, auth, count_queries, event_id)
    for label in ("built", "kept"):
        assert results[(label, "small")] == results[(label, "large")], label
        assert max(results[(label, "large")].values()) <= MAX_QUERIES, results
    # Kept, a refresh costs the permission check and the meet's version only.
    assert results[("kept", "large")]["/events/{event}/meet/standings.json"] <= 4


# --- Sports meets: the organizer's, referee's and captain's pages for 2 teams and for 8 -------

#: A meet's working pages, and who opens them.
MEET_WORK_PAGES = [
    ("organizer", "/events/{event}/meet/setup"),
    ("organizer", "/events/{event}/meet/captains"),
    ("organizer", "/events/{event}/meet/items/new"),
    ("organizer", "/events/{event}/meet/items/{item}/edit"),
    ("organizer", "/events/{event}/meet/items/{item}/print"),
    ("organizer", "/events/{event}/meet/export/entries.xlsx"),
    ("organizer", "/events/{event}/meet/export/results.xlsx"),
    ("organizer", "/events/{event}/meet/export/standings.xlsx"),
    ("organizer", "/events/{event}/meet/export/certificates.xlsx"),
    ("referee", "/events/{event}/meet/items/{item}/referee"),
    ("referee", "/my/meet-duties"),
    ("captain", "/events/{event}/meet/teams/{team}/entries"),
    ("captain", "/events/{event}/meet/teams/{team}/message"),
    ("captain", "/my/meet-duties"),
]


#: The setup and an item's edit page load the meet's whole board (settings, teams, items,
#: referees, entries, their members, heats, lanes, results, matches) beside the session, the
#: event, its organizers, the permission and the page's own few.
MEET_WORK_MAX_QUERIES = 24


def _team_messages(event_id: int, team_id: int, author_id: int, count: int) -> list:
    """`count` messages a leader or captain sent to their team."""
    return [
        RosterMessage(
            event_id=event_id,
            team_id=team_id,
            author_id=author_id,
            audience="全队",
            text=f"集合通知{n}",
            recipients=count,
        )
        for n in range(count)
    ]


def _working_meet(teams: int, per_team: int, items: int) -> tuple[dict, dict]:
    """A meet of `teams` teams of `per_team` members and `items` timed items, every team
    entered in each, every result in, one referee for all of them and a captain for the
    first team; (who opens the pages, the URLs' ids)."""
    from tests.sportsmeet_factories import (
        assign_referee,
        enter_all,
        make_captain,
        make_item,
        make_meet,
        one_heat,
        record,
    )

    meet = make_meet(teams=[f"第{t + 1}队" for t in range(teams)], per_team=per_team)
    referee = make_user(roles=["judge"], name="裁判员")
    first = None
    for i in range(items):
        item = make_item(meet, name=f"项目{i + 1}", result_type="time")
        first = first or item
        heat = one_heat(item, enter_all(meet, item, members_per_entry=min(3, per_team)))
        for n, lane in enumerate(heat.lanes):
            record(heat, lane.entry, 40 + n)
        assign_referee(item, referee)
    captain = make_captain(meet, meet.teams[0])
    team = meet.teams[0].id
    db.session.add_all(_team_messages(meet.event.id, team, captain.id, per_team))
    db.session.commit()
    people = {"organizer": meet.organizer.id, "referee": referee.id, "captain": captain.id}
    return people, {"event": meet.event.id, "item": first.id, "team": meet.teams[0].id}


def test_meet_work_pages_do_not_grow_with_the_meet(app, client, auth, count_queries, clock):
    """The organizer's, the referee's and the captain's pages of a meet of 2 teams and 1 item
    cost the same statements as those of a meet of 8 teams of 10 and 8 items."""

    def counts(people: dict, ids: dict) -> dict:
        return {
            (who, url): measure(app, client, auth, count_queries, people[who], url.format(**ids))
            for who, url in MEET_WORK_PAGES
        }

    small = counts(*_working_meet(2, 1, 1))
    large = counts(*_working_meet(8, 10, 8))
    report = {key: (small[key][0], large[key][0]) for key in small}
    grown = {key: pair for key, pair in report.items() if pair[0] != pair[1]}
    assert not grown, f"statements grew with the meet (small, large): {grown}"
    assert max(n for _, n in report.values()) <= MEET_WORK_MAX_QUERIES, report
    # The larger meet is really on the pages that list it: all but the new item's form, an
    # item's edit form and the captain's duties (one team in either meet).
    longer = [key for key in small if len(large[key][1]) > 1.05 * len(small[key][1])]
    fixed = [MEET_WORK_PAGES[2], MEET_WORK_PAGES[3], MEET_WORK_PAGES[-1]]
    assert longer == [key for key in MEET_WORK_PAGES if key not in fixed], longer


# --- Competitions: the pages tests/test_competitions_queries.py does not open ------------------

#: A competition's remaining pages, and who opens them (the round published, in 公示).
COMPETITION_PAGES = [
    ("organizer", "/competitions/{event}/rounds/new"),
    ("organizer", "/competitions/{event}/rounds/{round}/awards.xlsx"),
    ("organizer", "/competitions/{event}/sheets/{sheet}"),
    ("organizer", "/competitions/{event}/teams/{team}/message"),
    ("judge", "/competitions/{event}/sheets/{sheet}"),
    ("leader", "/competitions/{event}/teams/{team}/message"),
    ("leader", "/competitions/{event}/rounds/{round}/object"),
    ("contestant", "/competitions/{event}/rounds/{round}/object"),
]


def _published_contest(teams: int, per_team_track: int, judges: int) -> tuple[dict, dict]:
    """A published round of `teams` teams × 2 tracks × `per_team_track` contestants, every sheet
    of `judges` judges in, two award tiers, a leader of the first team, whose members each
    lodged an objection; (who opens the pages, the URLs' ids)."""
    from decimal import Decimal

    from eventsite.competitions.models import AwardTier, Objection, ScoreSheet, TeamLeader
    from tests.competition_factories import fill_all, make_contest

    contest = make_contest(
        teams=[f"第{t + 1}队" for t in range(teams)],
        tracks=("商务英语", "商务俄语"),
        per_team_track=per_team_track,
        judges=judges,
    )
    fill_all(contest, lambda j, c: [str(5 + (j + c) % 5), str(10 + (j * c) % 10)])
    round_id, team = contest.round.id, contest.event.teams[0]
    db.session.add_all(
        [
            AwardTier(round_id=round_id, name="一等奖", size=Decimal(1), position=0),
            AwardTier(round_id=round_id, name="二等奖", size=Decimal(2), position=1),
        ]
    )
    leader = make_user(name="领队")
    db.session.add(TeamLeader(team_id=team.id, user_id=leader.id))
    own = [r for r in contest.everyone() if r.team_id == team.id]
    db.session.add_all(
        Objection(round_id=round_id, registration_id=r.id, submitted_by_id=leader.id, text="复核")
        for r in own
    )
    db.session.add_all(_team_messages(contest.event.id, team.id, leader.id, len(own)))
    contest.round.published_at = utcnow()
    judge = contest.judges[0]
    sheet = db.session.scalar(
        sa.select(ScoreSheet.id)
        .where(ScoreSheet.round_id == round_id, ScoreSheet.judge_id == judge.id)
        .order_by(ScoreSheet.id)
    )
    db.session.commit()
    people = {
        "organizer": contest.organizer.id,
        "judge": judge.id,
        "leader": leader.id,
        "contestant": own[0].user_id,
    }
    ids = {"event": contest.event.id, "round": round_id, "sheet": sheet, "team": team.id}
    return people, ids


def test_competition_pages_do_not_grow_with_the_round(app, client, auth, count_queries, clock):
    """A published round of 3 teams × 2 contestants and 3 judges, and one of 8 teams × 6 and 5
    judges: the same statements on each page the competitions' own count leaves out."""

    def counts(people: dict, ids: dict) -> dict:
        return {
            (who, url): measure(app, client, auth, count_queries, people[who], url.format(**ids))
            for who, url in COMPETITION_PAGES
        }

    small = counts(*_published_contest(3, 1, 3))
    large = counts(*_published_contest(8, 3, 5))
    report = {key: (small[key][0], large[key][0]) for key in small}
    grown = {key: pair for key, pair in report.items() if pair[0] != pair[1]}
    assert not grown, f"statements grew with the round (small, large): {grown}"
    # The competitions' pages' own bound (tests/test_competitions_queries.py).
    assert max(n for _, n in report.values()) <= CERTIFICATE_MAX_QUERIES, report
    # The larger round is on the pages that list it: the awards, the team's messages, the
    # leader's contestants and objections.
    longer = {key for key in small if len(large[key][1]) > len(small[key][1])}
    assert longer >= {key for key in COMPETITION_PAGES if "award" in key[1] or key[0] == "leader"}


# --- Mixers: the union statistics for 2 mixers and for 60 over two years, some purged ---------


MIXER_STATS_PAGE = "/admin/mixer-stats"


def test_mixer_stats_queries_do_not_grow_with_the_mixers(app, client, auth, count_queries, clock):
    from eventsite.mixers import jobs as mixer_jobs
    from tests.mixer_factories import make_mixer

    admin = make_user(roles=["admin"])

    def add_mixers(count: int, seed: int) -> None:
        for n in range(count):
            mixer = make_mixer(ended_ago=timedelta(days=12 * n + 1), title=f"鹊桥{seed}-{n}")
            _grow_mixer(mixer, 3, 3, 12, seed=seed + n)
            if n % 3 == 2:  # long past: counted from the tally the purge kept
                mixer_jobs.purge(mixer.event, clock.now)
        db.session.commit()

    add_mixers(2, seed=10)
    small = measure(app, client, auth, count_queries, admin.id, MIXER_STATS_PAGE)
    add_mixers(60, seed=100)
    large = measure(app, client, auth, count_queries, admin.id, MIXER_STATS_PAGE)
    assert small[0] == large[0] <= MAX_QUERIES, (small[0], large[0])
    assert small[1] != large[1]


# --- The event list over a deep organization tree: a member's audience and the organization filter


def _deep_tree(depth: int, fanout: int):
    """A chain `depth` organizations deep below the root, each with `fanout` - 1 siblings; the
    chain's organizations, top first."""
    from eventsite.organizations import service as organizations

    chain, parent = [], organizations.root()
    for level in range(depth):
        siblings = [
            organizations.create(parent, f"第{level}层{n}号工会{next(_serial)}")
            for n in range(fanout)
        ]
        chain.append(siblings[0])
        parent = siblings[0]
    return chain


def _members_only_events(organizations: list, count: int) -> None:
    for n in range(count):
        make_event(
            organization_id=organizations[n % len(organizations)].id,
            audience="members" if n % 2 else "everyone",
            title=f"会员活动{n}",
        )
    db.session.commit()


DEEP_TREE_PAGES = [
    ("member", "/events"),
    (None, "/events"),
    ("member", "/events?org={org}"),
    ("member", "/events?page=2"),
]


def test_event_list_queries_do_not_grow_with_a_deep_tree(app, client, auth, count_queries, clock):
    """A member verified deep in the tree, the anonymous visitor and the organization filter cost
    the same statements over 2 levels and 3 events as over 12 levels and 120 events."""
    chain = _deep_tree(2, 2)
    member = make_user(organization_id=chain[-1].id, membership_status="verified")
    _members_only_events(chain, 3)
    urls = [(who and member.id, url) for who, url in DEEP_TREE_PAGES]

    def counts(org_id: int) -> dict:
        return {
            url: measure(app, client, auth, count_queries, who, url.format(org=org_id))
            for who, url in urls
        }

    small = counts(chain[0].id)
    deep = _deep_tree(12, 3)
    member = db.session.get(User, member.id)
    member.organization_id = deep[-1].id
    _members_only_events(deep, 120)
    large = counts(deep[0].id)
    report = {url: (small[url][0], large[url][0]) for url in small}
    assert all(a == b <= MAX_QUERIES for a, b in report.values()), report
    assert all(small[url][1] != large[url][1] for url in small)


# --- Organizations: the admin's tree and an organization's pages, 2 levels and 12 -------------

#: The admin's pages of the tree and of one organization in it.
ORGANIZATION_PAGES = [
    "/admin/organizations",
    "/admin/organizations/{org}",
    "/admin/organizations/{org}/new",
    "/admin/organizations/{org}/move",
    "/admin/organizations/{org}/staff",
    "/organizations/{org}/members/import",
]


def _staffed(chain: list, per_organization: int) -> None:
    """Organizers and admins granted on each organization of `chain`, its events and members."""
    for organization in chain:
        for n in range(per_organization):
            make_user(roles=["organizer"], roles_on=organization.id, name=f"干事{n}")
            make_user(
                organization_id=organization.id, membership_status="verified", name=f"会员{n}"
            )
        make_user(roles=["admin"], roles_on=organization.id, name="工会主席")
    _members_only_events(chain, 2 * len(chain))


def test_organization_pages_do_not_grow_with_the_tree(app, client, auth, count_queries, clock):
    """An admin's tree of 2 levels (4 organizations) and of 12 more (36), with staff, members
    and events in each: the same statements on each page of the deepest organization."""
    admin = make_user(roles=["admin"], name="总工会管理员")

    def counts(org_id: int) -> dict:
        return {
            url: measure(app, client, auth, count_queries, admin.id, url.format(org=org_id))
            for url in ORGANIZATION_PAGES
        }

    chain = _deep_tree(2, 2)
    _staffed(chain, 1)
    small = counts(chain[-1].id)
    deep = _deep_tree(12, 3)
    _staffed(deep, 5)
    large = counts(deep[-1].id)
    report = {url: (small[url][0], large[url][0]) for url in small}
    assert all(a == b <= MAX_QUERIES for a, b in report.values()), report
    # The deeper tree is on the tree, the move's choices and the staff.
    longer = [url for url in small if len(large[url][1]) > 1.05 * len(small[url][1])]
    assert set(longer) >= {ORGANIZATION_PAGES[0], ORGANIZATION_PAGES[3], ORGANIZATION_PAGES[4]}


# --- Sessions (场次): a general event in 2 sessions with 3 members, then 20 with 400 ----------


def _grow_sessions(event, sessions: int, members: int, seed: int) -> None:
    """Add `sessions` sessions and `members` members registered across them in every status."""
    from eventsite.events.models import EventSession

    rows = [
        {
            "event_id": event.id,
            "label": f"第{seed}-{n}场",
            "starts_at": event.starts_at + timedelta(hours=n),
            "ends_at": event.starts_at + timedelta(hours=n + 1),
            "capacity": 5,
            "position": n,
        }
        for n in range(sessions)
    ]
    session_ids = _insert(EventSession, rows)
    statuses = [S.CONFIRMED, S.WAITLISTED, S.PENDING, S.CANCELLED]
    now = utcnow()
    for n in range(members):
        user = make_user(name=f"场次会员{seed}-{n}")
        status = statuses[n % len(statuses)]
        make_registration(
            event,
            user,
            status=status,
            session_id=session_ids[n % len(session_ids)],
            checked_in_at=now if status == S.CONFIRMED and n % 2 else None,
        )
    db.session.commit()


SESSION_PAGES = [
    (None, "/events/{event}"),
    ("member", "/events/{event}"),
    ("organizer", "/events/{event}"),
    ("member", "/my/events"),
    ("member", "/events/{event}.ics"),
    ("organizer", "/events/{event}/sessions"),
    ("organizer", "/events/{event}/sessions/{session}"),
    ("organizer", "/events/{event}/registrations/{registration}/session"),
    ("organizer", "/events/{event}/roster"),
    ("organizer", "/events/{event}/roster?session_id={session}"),
    ("organizer", "/events/{event}/checkin?q=场次"),
]


def test_session_pages_do_not_grow_with_sessions_and_members(
    app, client, auth, count_queries, clock
):
    from eventsite.events.models import EventSession

    organizer = make_user(roles=["organizer"], name="组织者")
    member = make_user(name="会员本人")
    event = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        title="职工讲堂",
        ends_at=utcnow() + timedelta(days=9),
    )
    _grow_sessions(event, 2, 3, seed=1)
    first = db.session.scalar(
        sa.select(EventSession).where(EventSession.event_id == event.id).order_by(EventSession.id)
    )
    mine = make_registration(event, member, session_id=first.id)
    db.session.commit()
    people = {"member": member.id, "organizer": organizer.id, None: None}
    pages = [(people[who], url) for who, url in SESSION_PAGES]

    def counts():
        return {
            (who, url): measure(
                app,
                client,
                auth,
                count_queries,
                who,
                url.format(event=event.id, session=first.id, registration=mine.id),
            )[0]
            for who, url in pages
        }

    small = counts()
    _grow_sessions(event, 20, 400, seed=2)
    large = counts()
    assert small == large
    assert max(large.values()) <= MAX_QUERIES, large


# --- Registration questions: the event page's form, the member's answers, the roster's columns --


def _grow_answers(event, questions, registrations: int, seed: int) -> None:
    """Add members registered for `event`, each answering every question (bulk inserts)."""
    from eventsite.questions.models import Answer, AnswerChoice

    shirt, id_number, consent = questions
    now = utcnow()
    people = _insert(
        User,
        [
            {
                "name": f"答题{seed}-{i}",
                "mobile": f"16{seed:02d}{i:07d}",
                "password_hash": password_hash(),
                "work_unit": "快递网点",
                "gender": "male",
                "birth_year": 1990,
                "active": True,
                "created_at": now,
            }
            for i in range(registrations)
        ],
    )
    ids = _insert(
        Registration,
        [
            {
                "event_id": event.id,
                "user_id": uid,
                "status": str(S.CONFIRMED),
                "registered_at": now - timedelta(minutes=i),
                "status_changed_at": now,
                "status_reason": "",
            }
            for i, uid in enumerate(people)
        ],
    )
    for question, value in ((id_number, "340202199001011234"), (consent, "yes")):
        _insert(
            Answer,
            [{"registration_id": rid, "question_id": question.id, "value": value} for rid in ids],
        )
    choice = shirt.choices[1].id
    picked = _insert(
        Answer,
        [{"registration_id": rid, "question_id": shirt.id, "value": str(choice)} for rid in ids],
    )
    db.session.execute(
        sa.insert(AnswerChoice), [{"answer_id": aid, "choice_id": choice} for aid in picked]
    )
    db.session.commit()


QUESTION_PAGES = [
    ("newcomer", "/events/{event}"),
    ("member", "/events/{event}"),
    ("member", "/events/{event}/my-answers"),
    ("organizer", "/events/{event}/roster"),
    ("organizer", "/events/{event}/roster?answer=c{choice}"),
    ("organizer", "/events/{event}/roster?answer=n{question}&page=2"),
]


def test_question_pages_do_not_grow_with_the_answers(app, client, auth, count_queries, clock):
    from tests.question_factories import make_question

    organizer = make_user(roles=["organizer"], name="组织者")
    newcomer, member = make_user(name="新会员"), make_user(name="老会员")
    event = make_event(organizer=organizer, kind=EventKind.GENERAL, title="关爱行动")
    shirt = make_question(event, "single_choice", "T恤尺码", choices=[("M", 1), ("L", 5000), "XL"])
    id_number = make_question(event, "short_text", "身份证号", sensitive=True)
    consent = make_question(event, "consent", "同意购买保险")
    make_registration(event, member)
    db.session.commit()
    questions = (shirt, id_number, consent)
    people = {"newcomer": newcomer.id, "member": member.id, "organizer": organizer.id}
    ids = {"event": event.id, "choice": shirt.choices[1].id, "question": id_number.id}
    urls = [(people[who], url.format(**ids)) for who, url in QUESTION_PAGES]
    _grow_answers(event, questions, 10, seed=1)
    small = {key: measure(app, client, auth, count_queries, *key)[0] for key in urls}
    _grow_answers(event, questions, 300, seed=2)
    large = {key: measure(app, client, auth, count_queries, *key)[0] for key in urls}
    assert small == large
    assert max(large.values()) <= MAX_QUERIES, large


# --- The question designer: 2 questions, and 40 with 5 choices each, conditions and answers -----


def _grow_questions(event, organizer, count: int, answers: int, seed: int) -> int:
    """Add `count` choice questions (5 choices, stocks, each after the first shown only on a
    choice of the one before), `answers` registrations answering each, and an earlier event with
    questions to copy; the first new question's id."""
    from eventsite.questions.models import Answer, AnswerChoice
    from tests.question_factories import make_question

    first = None
    previous = None
    for n in range(count):
        question = make_question(
            event,
            "single_choice",
            f"问题{seed}-{n}",
            choices=[(f"选项{k}", 100) for k in range(5)],
            shown_if=previous.choices[0] if previous is not None else None,
            sensitive=n % 3 == 0,
        )
        make_question(event, "short_text", f"反馈{seed}-{n}", purpose="feedback")
        first = first or question
        previous = question
    people = [make_user(name=f"答题人{seed}-{i}") for i in range(answers)]
    questions = db.session.scalars(
        sa.select(Question).where(Question.event_id == event.id, Question.purpose == "registration")
    ).all()
    for person in people:
        registration = make_registration(event, person)
        for question in questions:
            row = Answer(registration_id=registration.id, question_id=question.id, value="")
            row.chosen = [AnswerChoice(choice_id=question.choices[0].id)]
            db.session.add(row)
    for n in range(count // 4 + 1):
        earlier = make_event(organizer=organizer, title=f"往期活动{seed}-{n}")
        make_question(earlier, "short_text", "工号")
    db.session.commit()
    return first.id


DESIGNER_PAGES = [
    "/events/{event}/questions",
    "/events/{event}/feedback-questions",
    "/events/{event}/questions/{question}",
]


def test_question_designer_queries_do_not_grow_with_the_questions(
    app, client, auth, count_queries, clock
):
    organizer = make_user(roles=["organizer"], name="组织者")
    event = make_event(organizer=organizer, kind=EventKind.GENERAL, title="关爱日")
    first = _grow_questions(event, organizer, 2, 2, seed=1)
    pages = [url.format(event=event.id, question=first) for url in DESIGNER_PAGES]

    def counts():
        return {url: measure(app, client, auth, count_queries, organizer.id, url) for url in pages}

    small = counts()
    _grow_questions(event, organizer, 40, 30, seed=2)
    large = counts()
    report = {url: (small[url][0], large[url][0]) for url in pages}
    assert all(a == b <= MAX_QUERIES for a, b in report.values()), report
    assert all(small[url][1] != large[url][1] for url in pages[:2])


# --- Printed material: sign-in sheet, badges and certificates for few and for many -------------


PRINTED_PAGES = ["/events/{event}/print/sign-in-sheet.pdf", "/events/{event}/print/badges.pdf"]


def test_printed_material_queries_do_not_grow_with_the_registrations(
    app, client, auth, count_queries, world
):
    """The sign-in sheet and the badges of the main event cost the same statements for its 2
    confirmed members as for its 200 (and one INSERT for the audit line)."""
    urls = PRINTED_PAGES

    def counts() -> dict:
        return {
            url: measure(
                app, client, auth, count_queries, world.organizer, url.format(event=world.event)
            )
            for url in urls
        }

    small = counts()
    grow(world, LARGE)
    large = counts()
    report = {url: (small[url][0], large[url][0]) for url in urls}
    assert all(a == b <= MAX_QUERIES for a, b in report.values()), report
    # The large world is really printed: many more pages.
    import pypdfium2

    pages = {url: [len(pypdfium2.PdfDocument(m[url][1])) for m in (small, large)] for url in urls}
    assert all(large_pages > 3 * small_pages for small_pages, large_pages in pages.values()), pages


#: The competitions' pages' own bound (tests/test_competitions_queries.py).
CERTIFICATE_MAX_QUERIES = 30

CERTIFICATE_PAGES = {
    "competition": "/events/{event}/print/rounds/{round}/certificates.pdf",
    "meet": "/events/{event}/print/meet-certificates.pdf",
}


def test_certificate_queries_do_not_grow_with_the_contestants(app, client, auth, count_queries):
    """Certificates of a final round of 3 contestants, and of one of 30, cost the same
    statements; so do a meet's of 1 final item for 2 teams, and of 6 for 8 teams."""
    from decimal import Decimal

    from eventsite.competitions.models import AwardTier
    from tests.competition_factories import fill_all, make_contest
    from tests.sportsmeet_factories import enter_all, make_item, make_meet, one_heat, record

    def contest_url(per_team_track: int) -> tuple[int, str]:
        contest = make_contest(per_team_track=per_team_track, tracks=("英语", "俄语"))
        db.session.add_all(
            [
                AwardTier(round_id=contest.round.id, name="一等奖", size=Decimal(1), position=0),
                AwardTier(round_id=contest.round.id, name="二等奖", size=Decimal(3), position=1),
            ]
        )
        fill_all(contest, lambda judge, c: [str(10 - c % 10), "10"])
        contest.round.published_at = utcnow() - timedelta(days=30)
        db.session.commit()
        url = CERTIFICATE_PAGES["competition"].format(
            event=contest.event.id, round=contest.round.id
        )
        return contest.organizer.id, url

    def meet_url(teams: int, items: int) -> tuple[int, str]:
        meet = make_meet(teams=[f"第{t + 1}队" for t in range(teams)], per_team=2)
        for i in range(items):
            item = make_item(meet, name=f"项目{i + 1}", result_type="time")
            heat = one_heat(item, enter_all(meet, item))
            for n, lane in enumerate(heat.lanes):
                record(heat, lane.entry, 40 + n)
            item.finalized_at = utcnow()
        db.session.commit()
        return meet.organizer.id, CERTIFICATE_PAGES["meet"].format(event=meet.event.id)

    pairs = {
        "competition": (contest_url(1), contest_url(10)),
        "meet": (meet_url(2, 1), meet_url(8, 6)),
    }
    report = {}
    for name, ((small_who, small_url), (large_who, large_url)) in pairs.items():
        small = measure(app, client, auth, count_queries, small_who, small_url)
        large = measure(app, client, auth, count_queries, large_who, large_url)
        report[name] = (small[0], large[0])
        assert len(large[1]) > len(small[1]), name
    # A round's certificates load its whole board, as its ranking page does: they get the bound
    # of tests/test_competitions_queries.py (the meet's board costs less).
    assert all(a == b <= CERTIFICATE_MAX_QUERIES for a, b in report.values()), report


# --- Feedback: the survey and its results for 5 responses and for 300 ---------------------------


FEEDBACK_PAGES = [
    ("member", "/events/{event}/feedback"),
    ("member", "/events/{event}"),
    ("member", "/my/events"),
    ("organizer", "/events/{event}/feedback/results"),
]


def test_feedback_page_queries_do_not_grow_with_the_responses(
    app, client, auth, count_queries, clock
):
    from eventsite.feedback.models import FeedbackAnswer, FeedbackReceipt, FeedbackResponse
    from eventsite.questions.models import QuestionPurpose
    from tests.question_factories import make_question

    organizer = make_user(roles=["organizer"], name="组织者")
    now = utcnow()
    event = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
        registration_opens_at=now - timedelta(days=10),
        registration_closes_at=now - timedelta(days=1),
    )
    feedback = QuestionPurpose.FEEDBACK
    parts = make_question(
        event, "multiple_choice", "哪些有用", choices=["案例", "问答"], purpose=feedback
    )
    hours = make_question(event, "number", "几小时", purpose=feedback)
    wish = make_question(event, "short_text", "想听什么", purpose=feedback)
    member = make_user(name="会员本人")
    make_registration(event, member, checked_in_at=event.starts_at)
    choices = [str(choice.id) for choice in parts.choices]

    def add_responses(count: int, seed: int) -> None:
        for n in range(count):
            attendee = make_user(name=f"职工{seed}-{n}")
            make_registration(event, attendee, checked_in_at=event.starts_at)
            db.session.add(FeedbackReceipt(event_id=event.id, user_id=attendee.id))
            response = FeedbackResponse(
                event_id=event.id,
                rating=n % 5 + 1,
                comment=f"意见{seed}-{n}",
                submitted_on=now.date(),
            )
            response.answers = [
                FeedbackAnswer(question_id=parts.id, value=",".join(choices[: n % 2 + 1])),
                FeedbackAnswer(question_id=hours.id, value=str(n % 8)),
                FeedbackAnswer(question_id=wish.id, value=f"主题{n}"),
            ]
            db.session.add(response)
        db.session.commit()

    people = {"member": member.id, "organizer": organizer.id}
    pages = [(people[who], url.format(event=event.id)) for who, url in FEEDBACK_PAGES]

    def counts():
        return {url: measure(app, client, auth, count_queries, who, url)[0] for who, url in pages}

    add_responses(5, seed=1)
    small = counts()
    add_responses(295, seed=2)
    large = counts()
    assert small == large
    assert max(large.values()) <= MAX_QUERIES, large
    # The comments and written answers come a page at a time: 20 of the 300 each.
    results = f"/events/{event.id}/feedback/results"
    body = measure(app, client, auth, count_queries, organizer.id, results)[1]
    assert body.count('<li class="pre-line">意见') == 20
    assert body.count('<li class="pre-line">主题') == 20


# --- Competitions: a judge's "my score sheets" over one round and over twelve ------------------


def test_judge_sheets_page_does_not_grow_with_the_rounds(app, client, auth, count_queries):
    """The judge's list of rounds reads every round's progress at once: one round, or twelve
    over four competitions (two tracks, drafts, submitted sheets, a recusal), cost the same
    statements, and each round's figures are those its board gives the judge."""
    from eventsite.competitions import service
    from eventsite.competitions.models import JudgeAssignment, Round
    from tests.competition_factories import affiliate, make_contest, make_sheet

    first = make_contest(judges=2)
    judge = first.judges[0]
    make_sheet(first, judge, first.everyone()[0], ["8", "15"])
    make_sheet(first, judge, first.everyone()[1], ["7", None], submitted=False)
    db.session.commit()
    url = "/competitions/my-sheets"
    one = measure(app, client, auth, count_queries, judge.id, url)[0]

    rounds = [first.round]
    for n in range(3):
        other = make_contest(judges=1, tracks=("商务英语", "商务日语"))
        rounds.append(other.round)
        make_sheet(other, judge, other.everyone()[n], ["6", "12"])
        if n == 1:
            affiliate(judge, other.event.teams[0])
    for contest_round in list(rounds):
        for position in (2, 3):
            later = Round(
                event_id=contest_round.event_id, name=f"第{position}轮", position=position
            )
            db.session.add(later)
            rounds.append(later)
    db.session.flush()
    for contest_round in rounds[1:]:
        for track in contest_round.event.tracks:
            db.session.add(
                JudgeAssignment(round_id=contest_round.id, track_id=track.id, user_id=judge.id)
            )
    db.session.commit()
    many, body, _ = measure(app, client, auth, count_queries, judge.id, url)
    assert len(rounds) == 12 and body.count('class="card"') == 12
    assert many == one
    duties = service.duties_of(judge)
    assert len(duties) == 12
    for duty in duties:
        board = service.load_board(duty.round, judge=judge)
        (progress,) = [p for p in board.judge_progress() if p.judge.id == judge.id]
        assert (duty.expected, duty.submitted, duty.drafts) == (
            progress.expected,
            progress.submitted,
            progress.drafts,
        ), duty.round.name
    assert {(d.expected, d.submitted, d.drafts) for d in duties if d.round == first.round} == {
        (3, 1, 1)
    }
