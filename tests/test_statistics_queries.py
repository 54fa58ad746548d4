"""The statistics page and its XLSX issue the same number of SQL statements whatever the data:
a shallow tree with a few events, then a deep one (seven levels, 150 organizations) with 300
events of every kind and 3,000 registrations; the counts must be equal and small. A query per
organization, event or registration would make the second count grow.

Measured as tests/test_query_counts.py measures (a fresh application context per request).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from eventsite.accounts.models import User, UserRole
from eventsite.events.models import Event, EventKind, Registration
from eventsite.extensions import db
from eventsite.mixers.models import MixerSettings
from eventsite.organizations import service as organizations
from tests.factories import make_user

#: Statements of one statistics request: the member's session, the permission, the
#: organization, the year's choices, the figures (attendance, participants, mixers, mixers
#: still in their window, awards, teams and entries) and the children's names.
MAX_STATEMENTS = 20

_serial = itertools.count(1)


def add_events(organization_ids: list[int], count: int, per_event: int, members: list[int]):
    """`count` events held this year spread over `organization_ids`, each with `per_event`
    registrations (most confirmed and checked in), inserted in bulk."""
    now = datetime(2026, 10, 1, tzinfo=UTC)
    kinds = [EventKind.SPORTSMEET, EventKind.MIXER, EventKind.COMPETITION]
    rows = []
    for i in range(count):
        starts = datetime(2026, 1 + i % 9, 1 + i % 27, 2, tzinfo=UTC)
        rows.append(
            {
                "kind": str(kinds[i % 3]),
                "status": "published",
                "title": f"活动{next(_serial)}",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=4),
                "registration_opens_at": starts - timedelta(days=10),
                "registration_closes_at": starts - timedelta(days=1),
                "organization_id": organization_ids[i % len(organization_ids)],
                "created_at": now,
                "updated_at": now,
                "published_at": now,
            }
        )
    ids = list(
        db.session.scalars(sa.insert(Event).returning(Event.id, sort_by_parameter_order=True), rows)
    )
    mixers = [event_id for event_id, row in zip(ids, rows, strict=True) if row["kind"] == "mixer"]
    if mixers:
        db.session.execute(
            sa.insert(MixerSettings), [{"event_id": e, "window_hours": 72} for e in mixers]
        )
    registrations = []
    for n, event_id in enumerate(ids):
        starts = rows[n]["starts_at"]
        for k in range(per_event):
            registrations.append(
                {
                    "event_id": event_id,
                    "user_id": members[(n * 7 + k) % len(members)],
                    "status": "cancelled" if k % 10 == 0 else "confirmed",
                    "gender": "male",
                    "birth_year": 1990,
                    "registered_at": starts - timedelta(days=5),
                    "status_changed_at": starts - timedelta(days=5),
                    "checked_in_at": starts if k % 4 else None,
                    "waitlisted_at": starts - timedelta(days=4) if k % 9 == 1 else None,
                }
            )
    if registrations:
        db.session.execute(sa.insert(Registration), registrations)


def deep_tree(top, levels: int, width: int) -> list[int]:
    """`width` children per organization for `levels` levels below `top` (capped at 150)."""
    made, frontier = [], [top]
    for level in range(levels):
        following = []
        for parent in frontier:
            for _ in range(width if level < 3 else 1):
                if len(made) >= 150:
                    break
                child = organizations.create(parent, f"工会{level}-{len(made)}")
                made.append(child.id)
                following.append(child)
        frontier = following
    return made


def measure(app, client, auth, count_queries, who: int, url: str):
    """GET `url` as user id `who` in a fresh app context: (statements, body bytes, statements)."""
    auth.logout()
    auth.become(db.session.get(User, who))
    with app.app_context(), count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count, response.get_data(), counter.statements


@pytest.fixture
def viewer(app, clock):
    clock.now = datetime(2026, 11, 1, 2, tzinfo=UTC)
    province = organizations.create(organizations.root(), "安徽省总工会")
    city = organizations.create(province, "芜湖市总工会")
    admin = make_user(name="省管理员")
    db.session.add(UserRole(user_id=admin.id, role="admin", organization_id=province.id))
    members = [make_user(name=f"会员{i}").id for i in range(20)]
    add_events([province.id, city.id], 6, 3, members)
    db.session.commit()
    return {"admin": admin.id, "province": province, "city": city, "members": members}


def test_statement_count_does_not_grow_with_the_tree_or_the_events(
    app, client, auth, count_queries, viewer
):
    urls = [
        f"/organizations/{viewer['province'].id}/statistics",
        f"/organizations/{viewer['province'].id}/statistics.xlsx",
        f"/organizations/{viewer['city'].id}/statistics?year=2026",
    ]
    small = {url: measure(app, client, auth, count_queries, viewer["admin"], url) for url in urls}

    deep = deep_tree(viewer["city"], levels=7, width=3)
    deep += deep_tree(viewer["province"], levels=3, width=3)
    members = viewer["members"] + [make_user(name=f"新会员{i}").id for i in range(200)]
    add_events(deep, 300, 10, members)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) >= 3000
    depth = db.session.scalar(sa.text("SELECT max(depth) FROM organization"))
    assert depth >= 8

    for url in urls:
        statements, body, listed = measure(app, client, auth, count_queries, viewer["admin"], url)
        small_statements, small_body, _ = small[url]
        assert statements == small_statements, (url, small_statements, statements, listed)
        assert statements <= MAX_STATEMENTS, (url, statements, listed)
        if not url.endswith(".xlsx"):
            assert body != small_body  # the large world is really on the page
