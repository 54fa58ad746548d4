"""Page numbers from the query string: huge, negative or junk values never reach the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventsite.core.models import AuditEntry, Notification
from eventsite.core.pagination import MAX_PAGE, parse_page
from eventsite.events.models import EventKind
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 1),
        ("", 1),
        ("1", 1),
        ("7", 7),
        (" 7 ", 7),
        ("0007", 7),
        ("0", 1),
        ("-3", 1),
        ("+3", 1),
        ("2.5", 1),
        ("abc", 1),
        ("3abc", 1),
        ("１２", 1),  # full-width digits are junk here, not page 12
        ("²", 1),
        ("10000", MAX_PAGE),
        ("10001", MAX_PAGE),
        (HUGE, MAX_PAGE),
        ("9" * 5000, MAX_PAGE),  # longer than Python converts to an int
        ("0" * 5000 + "5", 5),
    ],
)
def test_parse_page(raw, expected):
    assert parse_page(raw) == expected


@pytest.fixture
def site(app, clock):
    """One of everything a paginated page lists, and who may see each page."""
    admin = make_user(roles=["admin"], name="管理员")
    organizer = make_user(roles=["organizer"], name="组织者")
    member = make_user(name="会员甲")
    event = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队"], title="趣味运动会"
    )
    past = make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        teams=["一队"],
        title="去年的运动会",
        starts_at=clock.now.replace(year=2025),
        registration_opens_at=clock.now.replace(year=2024),
        registration_closes_at=clock.now.replace(year=2025, month=1),
    )
    make_registration(event, member, team_id=event.teams[0].id)
    make_registration(past, member, team_id=past.teams[0].id)
    db.session.add(Notification(user_id=member.id, subject="报名成功", body="您已报名。"))
    db.session.add(AuditEntry(action="role.grant", actor_id=admin.id, detail="organizer: 组织者"))
    db.session.add(AuditEntry(action="event.create", event_id=event.id, detail="趣味运动会"))
    db.session.commit()
    return {"admin": admin, "organizer": organizer, "member": member}, event


#: Each paginated page: who opens it, and what its first page shows.
PAGES = [
    ("/events", None, "趣味运动会"),
    ("/events?when=past", None, "去年的运动会"),
    ("/manage", "organizer", "趣味运动会"),
    ("/my/events", "member", "去年的运动会"),
    ("/inbox", "member", "报名成功"),
    ("/admin/users", "admin", "会员甲"),
    ("/admin/outbox", "admin", None),
    ("/admin/sms", "admin", None),
    ("/admin/audit", "admin", "organizer: 组织者"),
    ("/events/{event}/roster", "organizer", "会员甲"),
    ("/events/{event}/audit", "organizer", "趣味运动会"),
]


@pytest.mark.parametrize(("path", "who", "first_page_shows"), PAGES)
@pytest.mark.parametrize("page", [HUGE, "9" * 5000, "-1", "0", "abc", "2.5", "１"])
def test_a_huge_or_junk_page_number_is_no_error(
    app, client, auth, site, path, who, first_page_shows, page
):
    users, event = site
    if who:
        auth.become(users[who])
    path = path.format(event=event.id)
    joiner = "&" if "?" in path else "?"
    response = client.get(f"{path}{joiner}page={page}")
    assert response.status_code == 200
    if first_page_shows and page != HUGE and not page.startswith("9"):
        # Junk means the first page.
        assert first_page_shows in response.get_data(as_text=True)


@pytest.mark.parametrize(("path", "who", "first_page_shows"), PAGES)
def test_the_first_page_is_what_page_1_shows(app, client, auth, site, path, who, first_page_shows):
    users, event = site
    if who:
        auth.become(users[who])
    path = path.format(event=event.id)
    joiner = "&" if "?" in path else "?"
    plain = client.get(path)
    assert plain.status_code == 200
    if first_page_shows:
        assert first_page_shows in plain.get_data(as_text=True)
        assert first_page_shows in client.get(f"{path}{joiner}page=1").get_data(as_text=True)


@pytest.fixture
def busy_member(app, clock):
    """A member registered for twelve upcoming meets and one past one."""
    organizer = make_user(roles=["organizer"], name="组织者")
    member = make_user(name="忙碌的会员")
    for n in range(12):
        event = make_event(
            organizer=organizer,
            kind=EventKind.SPORTSMEET,
            teams=["一队"],
            title=f"第{n + 1:02d}场运动会",
            starts_at=clock.now + timedelta(days=10 + n),
        )
        make_registration(event, member, team_id=event.teams[0].id)
    past = make_event(
        organizer=organizer,
        kind=EventKind.SPORTSMEET,
        teams=["一队"],
        title="去年的运动会",
        starts_at=clock.now.replace(year=2025),
        registration_opens_at=clock.now.replace(year=2024),
        registration_closes_at=clock.now.replace(year=2025, month=1),
    )
    make_registration(past, member, team_id=past.teams[0].id)
    db.session.commit()
    return member


def test_my_events_pages_the_upcoming_list_on_its_own(client, auth, busy_member):
    auth.become(busy_member)
    first = client.get("/my/events").get_data(as_text=True)
    upcoming = first.split('id="upcoming"')[1].split("</ul>")[0]
    assert upcoming.count('class="qr-code"') == 10  # ten codes, not one per registration
    assert "第01场运动会" in upcoming and "第11场运动会" not in upcoming
    assert 'href="/my/events?upcoming_page=2"' in first
    assert "去年的运动会" in first  # the past list is there on every upcoming page
    second = client.get("/my/events?upcoming_page=2").get_data(as_text=True)
    upcoming = second.split('id="upcoming"')[1].split("</ul>")[0]
    assert "第11场运动会" in upcoming and "第12场运动会" in upcoming
    assert "第01场运动会" not in upcoming and "去年的运动会" in second
