"""The union's 鹊桥 statistics: counts by month and year in local time, from live rows or, for a
purged mixer, from the tally the purge kept; the admins' page shows counts and nobody."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventsite import scheduler
from eventsite.events.models import EventKind, EventStatus
from eventsite.extensions import db
from eventsite.mixers import service, stats
from eventsite.mixers.models import MixerTally
from tests.factories import make_event, make_registration, make_user
from tests.mixer_factories import attend, make_mixer, mark, number_of


def held(clock, start_utc_hours_ago: float, **kwargs):
    """A mixer that started `start_utc_hours_ago` hours before the clock and lasted 4 h."""
    return make_mixer(ended_ago=timedelta(hours=start_utc_hours_ago - 4), **kwargs)


@pytest.fixture
def union(app, clock):
    """The clock is 2026-11-01 02:00 UTC (10:00 in Asia/Shanghai).

    november: started 2026-10-31 17:00 UTC = 2026-11-01 01:00 local: November locally.
    october:  started 2026-10-31 15:00 UTC = 2026-10-31 23:00 local.
    last_year: about a year earlier, already purged.
    """
    november = held(clock, 9, title="十一月鹊桥")
    a, b = attend(november, gender="male"), attend(november, gender="female")
    c, d = attend(november, gender="male"), attend(november, gender="female")
    attend(november, gender="female")  # came, never marked
    mark(november, a, b)
    mark(november, b, a)  # a match
    mark(november, c, b)  # one-sided
    mark(november, d, c)  # one-sided

    october = held(clock, 11, title="十月鹊桥")
    e, f = attend(october, gender="male"), attend(october, gender="female")
    mark(october, e, f)
    mark(october, f, e)

    # Neither counts: not held yet, cancelled, or not a mixer.
    upcoming = make_mixer(ended_ago=timedelta(hours=-30))
    attend(upcoming)
    cancelled = held(clock, 20)
    attend(cancelled)
    cancelled.event.status = EventStatus.CANCELLED
    meet = make_event(kind=EventKind.SPORTSMEET, starts_in=timedelta(days=-2))
    make_registration(meet, make_user(), checked_in_at=clock.now - timedelta(days=2))
    db.session.commit()
    return {
        "november": november,
        "october": october,
        "upcoming": upcoming,
        "people": (a, b, c, d, e, f),
    }


def after_the_close(clock, *mixers) -> None:
    """Move the clock past the close of every one of `mixers`' exchange windows."""
    clock.now = max(service.window_of(m.event).closes_at for m in mixers) + timedelta(hours=1)


def test_counts_by_local_month_and_year(union, clock):
    after_the_close(clock, union["november"], union["october"])
    result = stats.union_stats(clock.now)
    months = {p.key: p for p in result.months}
    assert list(months) == ["2026-11", "2026-10"]
    nov = months["2026-11"]
    assert (nov.mixers, nov.attendees, nov.markers, nov.matches, nov.matched_members) == (
        1,
        5,
        4,
        1,
        2,
    )
    assert nov.match_rate == pytest.approx(2 / 5)
    oct_ = months["2026-10"]
    assert (oct_.mixers, oct_.attendees, oct_.markers, oct_.matches) == (1, 2, 2, 1)
    assert [y.key for y in result.years] == ["2026"]
    year = result.years[0]
    assert (year.mixers, year.attendees, year.markers, year.matches, year.matched_members) == (
        2,
        7,
        6,
        2,
        4,
    )
    assert result.total.mixers == 2


def test_a_mixer_counts_only_once_its_window_has_closed(union, clock):
    """Before the close its marks may change and its matches are not revealed: nothing of it is
    counted (not even its attendees, so the rate does not move either), only that it waits."""
    november, october = union["november"], union["october"]
    union["upcoming"].event.status = EventStatus.CANCELLED  # it would have ended by then
    db.session.commit()
    result = stats.union_stats(clock.now)
    assert (result.total.mixers, result.in_window) == (0, 2)
    clock.now = service.window_of(october.event).closes_at
    result = stats.union_stats(clock.now)
    assert (result.total.mixers, result.in_window) == (1, 1)
    assert [p.key for p in result.months] == ["2026-10"]
    assert (result.total.markers, result.total.matches) == (2, 1)
    after_the_close(clock, november)
    assert (stats.union_stats(clock.now).total.mixers, stats.union_stats(clock.now).in_window) == (
        2,
        0,
    )


def test_a_window_of_its_own_length_decides(app, clock):
    short = make_mixer(ended_ago=timedelta(hours=25), window_hours=24)
    long = make_mixer(ended_ago=timedelta(hours=25), window_hours=48)
    for mixer in (short, long):
        attend(mixer, gender="male")
    db.session.commit()
    assert stats.closed_mixers(clock.now) == ([short.event.id], 1)


def test_accepted_introductions_count_as_matched_members(union, clock):
    november = union["november"]
    a, b, c, d, *_ = union["people"]
    after_the_close(clock, november, union["october"])
    request = service.send_request(november.event, d.id, number_of(november, a), "你好", clock.now)
    service.answer_request(november.event, a.id, request.id, True, clock.now)
    db.session.commit()
    nov = {p.key: p for p in stats.union_stats(clock.now).months}["2026-11"]
    assert (nov.matches, nov.matched_members, nov.introductions_accepted) == (1, 3, 1)


def test_a_purged_mixer_keeps_its_counts(union, clock):
    november = union["november"]
    a, *_ = union["people"]
    union["upcoming"].event.status = EventStatus.CANCELLED  # it would be held by then
    db.session.commit()
    after_the_close(clock, november, union["october"])
    before = {p.key: p for p in stats.union_stats(clock.now).months}["2026-11"]
    clock.now = service.window_of(november.event).closes_at + timedelta(days=30)
    tally = scheduler.run_notices().mixers
    db.session.expire_all()
    assert tally.purged_marks == 4 + 2
    assert db.session.get(MixerTally, november.event.id) is not None
    # A member deletes their data after the purge: the union's past does not change.
    service.delete_member_data(november.event, a.id, clock.now)
    db.session.commit()
    after = {p.key: p for p in stats.union_stats(clock.now).months}["2026-11"]
    assert (after.attendees, after.markers, after.matches, after.matched_members) == (
        before.attendees,
        before.markers,
        before.matches,
        before.matched_members,
    )


def test_years_apart(app, clock):
    old = held(clock, 24 * 400, title="去年鹊桥")
    attend(old)
    recent = held(clock, 9)
    db.session.commit()
    after_the_close(clock, recent)
    assert [y.key for y in stats.union_stats(clock.now).years] == ["2026", "2025"]


def test_no_mixers_no_rate(app, clock):
    result = stats.union_stats(clock.now)
    assert result.months == [] and result.total.match_rate is None


# --- the page -----------------------------------------------------------------------------------


def test_admins_see_counts_and_nobody(union, client, auth, clock):
    admin = make_user(roles=["admin"])
    db.session.commit()
    auth.become(admin)
    waiting = client.get("/admin/mixer-stats").text
    assert "2 场联谊活动已结束" in waiting or "2 mixers have ended" in waiting
    assert "2026-11" not in waiting
    after_the_close(clock, union["november"], union["october"])
    auth.become(admin)
    page = client.get("/admin/mixer-stats")
    assert page.status_code == 200
    text = page.text
    assert "2026-11" in text and "2026-10" in text and "40.0%" in text
    for mixer in (union["november"], union["october"]):
        for person in mixer.attendees:
            assert person.name not in text
            assert mixer.profile(person).nickname not in text
    assert 'href="/admin/mixer-stats"' in client.get("/admin/users").text


def test_the_statistics_say_matches_not_fixtures(union, client, auth, clock):
    """The English "Matches" is "对阵" (a sports fixture) elsewhere: the column has its own label."""
    auth.become(make_user(roles=["admin"]))
    db.session.commit()
    after_the_close(clock, union["november"], union["october"])
    text = client.get("/admin/mixer-stats").text
    assert "配对成功" in text
    assert "对阵" not in text and "时段" not in text


@pytest.mark.parametrize("role", ["organizer", "member"])
def test_only_admins_open_the_page(union, client, auth, role):
    auth.become(make_user(roles=[role] if role != "member" else []))
    assert client.get("/admin/mixer-stats").status_code == 403


def test_an_empty_union_says_so(app, client, auth):
    auth.become(make_user(roles=["admin"]))
    page = client.get("/admin/mixer-stats")
    assert page.status_code == 200
