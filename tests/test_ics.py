"""The event's .ics file, parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from eventsite.events.models import EventKind, EventStatus
from eventsite.extensions import db
from tests.factories import make_event, make_user


@pytest.fixture
def app_config():
    return {"PUBLIC_URL": "https://union.example.cn"}


@pytest.fixture
def event(app, clock):
    event = make_event(
        organizer=make_user(roles=["organizer"]),
        kind=EventKind.COMPETITION,
        title="第二届国际贸易业务员技能竞赛",
        description="决赛：商务英语、俄语、西班牙语、法语、日语\n烟台",
        venue="烟台国际博览中心",
        starts_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
        ends_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        teams=["山东队"],
        tracks=["商务英语"],
    )
    db.session.commit()
    return event


def parse(response) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(response.data)
    [entry] = calendar.walk("VEVENT")
    return entry


def test_ics_describes_the_event(client, event, clock):
    response = client.get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'attachment; filename="event-{event.id}.ics"'
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["VERSION"]) == "2.0"
    entry = parse(response)
    assert str(entry["UID"]) == f"event-{event.id}@union.example.cn"
    assert entry.decoded("DTSTART") == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    assert entry.decoded("DTEND") == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert entry.decoded("DTSTART").utcoffset().total_seconds() == 0
    assert b"DTSTART:20261120T013000Z" in response.data
    assert str(entry["SUMMARY"]) == "第二届国际贸易业务员技能竞赛"
    assert str(entry["LOCATION"]) == "烟台国际博览中心"
    assert str(entry["DESCRIPTION"]) == "决赛：商务英语、俄语、西班牙语、法语、日语\n烟台"
    assert str(entry["URL"]) == f"http://localhost/events/{event.id}"
    assert entry.decoded("DTSTAMP") == clock.now
    assert "STATUS" not in entry


def test_uid_is_stable_across_downloads(client, event, clock):
    first = parse(client.get(f"/events/{event.id}.ics"))
    clock.advance(hours=1)
    second = parse(client.get(f"/events/{event.id}.ics"))
    assert first["UID"] == second["UID"]


def test_cancelled_event_says_so(client, event):
    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert str(parse(client.get(f"/events/{event.id}.ics"))["STATUS"]) == "CANCELLED"


def test_draft_has_no_ics_for_the_public(client, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert client.get(f"/events/{event.id}.ics").status_code == 404
    assert client.get("/events/9999.ics").status_code == 404


def test_detail_page_links_the_ics(client, event):
    assert f'href="/events/{event.id}.ics"' in client.get(f"/events/{event.id}").get_data(
        as_text=True
    )
