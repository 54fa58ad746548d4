"""The organizer's roster: counts, filters, search, pagination, bulk and single-row actions, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from markupsafe import escape
from werkzeug.security import generate_password_hash

from eventsite.accounts.models import User
from eventsite.core.models import AuditEntry, Notification
from eventsite.core.time import utcnow
from eventsite.events import roster
from eventsite.events.models import EventKind, Registration, RegistrationStatus
from eventsite.extensions import db
from tests.factories import make_event, make_outside_organizer, make_registration, make_user

S = RegistrationStatus
PAGE_SIZE = 5


@pytest.fixture
def app_config():
    return {"ROSTER_PAGE_SIZE": PAGE_SIZE}


@pytest.fixture
def organizer(app):
    return make_user(roles=["organizer"], name="组织者")


def in_default_locale(app, render):
    """`render()` (a gettext call) in the site's default language, as the pages show it."""
    with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return str(escape(render()))


def shown_ids(response) -> list[int]:
    """Registration ids of the roster rows on the page, in order."""
    return [
        int(i) for i in re.findall(r'<tr id="registration-(\d+)"', response.get_data(as_text=True))
    ]


def status_of(registration) -> str:
    return db.session.scalar(
        sa.select(Registration.status).where(Registration.id == registration.id)
    )


def audit_actions(event) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.event_id == event.id)
            .order_by(AuditEntry.id)
        )
    )


def seed_registrations(
    event, count: int, *, status=S.CONFIRMED, team_id=None, prefix="批量"
) -> None:
    """Many members and their registrations in two INSERTs (factories hash a password each)."""
    first = db.session.scalar(sa.select(sa.func.max(User.id))) or 0
    now = utcnow()
    db.session.execute(
        sa.insert(User),
        [
            {
                "name": f"批量{prefix}{i}",
                "mobile": f"139{first + i:08d}",
                "password_hash": "!",
                "work_unit": "测试单位",
                "gender": "male" if i % 2 else "female",
                "birth_year": 1990,
                "active": True,
                "created_at": now,
            }
            for i in range(count)
        ],
    )
    ids = db.session.scalars(sa.select(User.id).where(User.name.like(f"批量{prefix}%"))).all()
    db.session.execute(
        sa.insert(Registration),
        [
            {
                "event_id": event.id,
                "user_id": uid,
                "status": str(status),
                "team_id": team_id,
                "registered_at": now,
                "status_changed_at": now,
                "status_reason": "",
            }
            for uid in ids
        ],
    )


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """Nobody here types a password (auth.become), so the factories may use a cheap hash."""
    monkeypatch.setattr(
        User,
        "set_password",
        lambda self, password: setattr(
            self, "password_hash", generate_password_hash(password, method="pbkdf2:sha256:1")
        ),
    )


@pytest.fixture
def meet(app, clock, organizer):
    """A sports meet with two teams and a varied roster."""
    event = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队", "二队"], capacity=10
    )
    team1, team2 = event.teams
    people = {}

    def add(key, status, gender, team, **fields):
        # Fixed numbers: a random one could contain the digits a search test looks for.
        mobile = fields.pop("mobile", f"1390000{len(people):04d}")
        user = make_user(name=key, gender=gender, mobile=mobile)
        clock.advance(minutes=1)
        people[key] = make_registration(event, user, status=status, team_id=team.id, **fields)

    add("张伟", S.CONFIRMED, "male", team1, mobile="13811112222")
    add("李娜", S.CONFIRMED, "female", team2, checked_in_at=utcnow())
    add("王强", S.CONFIRMED, "male", team1)
    add("赵敏", S.PENDING, "female", team1)
    add("刘洋", S.WAITLISTED, "male", team2)
    add("陈静", S.CANCELLED, "female", team2)
    add("孙磊", S.REJECTED, "male", team1, status_reason="名额已满")
    db.session.commit()
    return event, people


# --- counts, filters, search ------------------------------------------------------------------


def test_counts_by_status_gender_and_team(app, meet):
    event, people = meet
    counts = roster.roster_counts(event)
    assert counts.by_status == {
        "confirmed": 3,
        "pending": 1,
        "waitlisted": 1,
        "cancelled": 1,
        "rejected": 1,
    }
    # Gender and team count the active registrations only (pending, confirmed, waitlisted).
    assert counts.by_gender == {"male": 3, "female": 2}
    team1, team2 = event.teams
    assert counts.by_team == {team1.id: 3, team2.id: 2}
    assert counts.checked_in == 1
    assert counts.total == 7 and counts.active == 5


def test_roster_page_shows_counts_and_every_column(app, client, auth, meet):
    event, people = meet
    auth.become(db.session.get(User, event.created_by_id))
    response = client.get(f"/events/{event.id}/roster")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'data-status="confirmed"><strong>3</strong>', html)
    assert re.search(r'data-status="checked_in"><strong>1</strong>', html)
    assert re.search(rf'data-team="{event.teams[0].id}">一队 3<', html)
    page2 = client.get(f"/events/{event.id}/roster?page=2").get_data(as_text=True)
    row = page2.split(f'id="registration-{people["孙磊"].id}"')[1].split("</tr>")[0]
    assert "孙磊" in row and "名额已满" in row and "status-rejected" in row
    row = html.split(f'id="registration-{people["张伟"].id}"')[1].split("</tr>")[0]
    for value in ("13811112222", "芜湖职业技术学院", "1995", "一队", "2026-11-01 10:01"):
        assert value in row
    # Everyone on one page of 5 in arrival order: first five registrations.
    assert shown_ids(response) == [people[k].id for k in ("张伟", "李娜", "王强", "赵敏", "刘洋")]


def test_the_unfiltered_total_comes_from_the_counts_and_a_filtered_one_is_counted(
    app, client, auth, meet, count_queries
):
    event, _people = meet
    auth.become(db.session.get(User, event.created_by_id))
    with count_queries() as counter:
        html = client.get(f"/events/{event.id}/roster").get_data(as_text=True)
    # Seven registrations, five a page: the total is the counts' sum, with no count of its own.
    assert re.search(r'id="showing">[^<]*?1\D+5\D+7\D', html), html
    totals = [
        s for s in counter.statements if "count(registration.id)" in s and "GROUP BY" not in s
    ]
    assert totals == []
    with count_queries() as counter:
        html = client.get(f"/events/{event.id}/roster?status=confirmed").get_data(as_text=True)
    assert re.search(r'id="showing">[^<]*?1\D+3\D+3\D', html), html
    (total,) = [
        s for s in counter.statements if "count(registration.id)" in s and "GROUP BY" not in s
    ]
    assert "JOIN" not in total  # the member is joined only to search by name or mobile
    with count_queries() as counter:
        client.get(f"/events/{event.id}/roster?q=王")
    (total,) = [
        s for s in counter.statements if "count(registration.id)" in s and "GROUP BY" not in s
    ]
    assert 'JOIN "user"' in total or "JOIN user" in total


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=confirmed", {"张伟", "李娜", "王强"}),
        ("status=pending", {"赵敏"}),
        ("gender=female", {"李娜", "赵敏", "陈静"}),
        ("team=0", {"张伟", "王强", "赵敏", "孙磊"}),
        ("team=1&status=waitlisted", {"刘洋"}),
        ("checked_in=yes", {"李娜"}),
        ("checked_in=no&status=confirmed", {"张伟", "王强"}),
        ("q=王", {"王强"}),
        ("q=1111", {"张伟"}),
        ("q=nobody", set()),
    ],
)
def test_filters_and_search(app, client, auth, meet, query, expected):
    event, people = meet
    auth.become(db.session.get(User, event.created_by_id))
    team_index = re.search(r"team=(\d)", query)
    if team_index:
        query = query.replace(
            team_index.group(0), f"team_id={event.teams[int(team_index.group(1))].id}"
        )
    response = client.get(f"/events/{event.id}/roster?{query}")
    assert response.status_code == 200
    by_id = {reg.id: name for name, reg in people.items()}
    assert {by_id[i] for i in shown_ids(response)} == expected


def test_search_treats_like_wildcards_literally(app, client, auth, meet):
    event, _people = meet
    auth.become(db.session.get(User, event.created_by_id))
    assert shown_ids(client.get(f"/events/{event.id}/roster?q=%25")) == []
    assert shown_ids(client.get(f"/events/{event.id}/roster?q=_")) == []


def test_a_tampered_filter_is_a_400_not_a_500(app, client, auth, meet):
    event, _people = meet
    auth.become(db.session.get(User, event.created_by_id))
    response = client.get(f"/events/{event.id}/roster?status=bogus&team_id=abc")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="status-errors"' in html and 'id="team_id-errors"' in html


def test_pagination_walks_the_roster_in_arrival_order(app, client, auth, meet):
    event, people = meet
    auth.become(db.session.get(User, event.created_by_id))
    page2 = client.get(f"/events/{event.id}/roster?page=2")
    assert shown_ids(page2) == [people["陈静"].id, people["孙磊"].id]
    assert 'rel="prev"' in page2.get_data(as_text=True)
    # A page past the end shows the last page, not an empty one.
    assert shown_ids(client.get(f"/events/{event.id}/roster?page=99")) == shown_ids(page2)
    # Filters are kept in the page links.
    html = client.get(f"/events/{event.id}/roster?checked_in=no").get_data(as_text=True)
    next_link = re.search(r'rel="next" href="([^"]+)"', html).group(1)
    assert "checked_in=no" in next_link and "page=2" in next_link


@pytest.mark.parametrize(
    "path", ["roster", "roster?q=批量&status=confirmed", "audit", "checkin", "checkin?q=批量"]
)
def test_pages_issue_the_same_number_of_queries_for_1_10_and_1000_registrations(
    app, client, auth, clock, organizer, count_queries, path
):
    # One row against full pages catches a query per row; 10 against 1,000 catches a page that
    # is not paginated.
    sizes = {"one": 1, "ten": 10, "thousand": 1000}
    events = {}
    for title, size in sizes.items():
        event = make_event(
            organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队"], title=title
        )
        seed_registrations(event, size, team_id=event.teams[0].id, prefix=title)
        for i in range(min(size, 300)):
            db.session.add(
                AuditEntry(
                    event_id=event.id,
                    actor_id=organizer.id,
                    action="registration.approve",
                    detail=str(i),
                )
            )
        events[title] = event
    db.session.execute(
        sa.update(Registration).values(checked_in_at=utcnow()).where(Registration.id % 3 == 1)
    )
    db.session.commit()
    auth.become(organizer)
    counts = {}
    for title, event in events.items():
        client.get(f"/events/{event.id}/{path}")  # warm-up (session, babel)
        with count_queries() as counter:
            response = client.get(f"/events/{event.id}/{path}")
        assert response.status_code == 200
        counts[title] = counter.count
    assert counts["one"] == counts["ten"] == counts["thousand"], counts
    assert counts["thousand"] <= 14, counts


# --- bulk and single-row actions --------------------------------------------------------------


@pytest.fixture
def approval_event(app, clock, organizer):
    """A competition that needs approval, with one place and three pending registrations."""
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        teams=["山东队", "江苏队"],
        tracks=["英语", "俄语"],
        capacity=1,
        approval_required=True,
    )
    regs = []
    for name in ("甲", "乙", "丙"):
        clock.advance(minutes=1)
        regs.append(
            make_registration(
                event,
                make_user(name=name),
                status=S.PENDING,
                team_id=event.teams[0].id,
                track_id=event.tracks[0].id,
            )
        )
    db.session.commit()
    return event, regs


def test_bulk_approve_confirms_in_arrival_order_then_waitlists(
    app, client, auth, organizer, approval_event
):
    event, (a, b, c) = approval_event
    auth.become(organizer)
    # Ticked in reverse order: the engine still serves them first come, first served.
    response = client.post(
        f"/events/{event.id}/roster/bulk?status=pending",
        data={"ids": [c.id, a.id, b.id], "action": "approve"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/events/{event.id}/roster?status=pending")
    assert [status_of(r) for r in (a, b, c)] == ["confirmed", "waitlisted", "waitlisted"]
    assert audit_actions(event) == ["registration.approve"] * 3
    subjects = db.session.scalars(
        sa.select(Notification.subject).where(Notification.user_id == a.user_id)
    ).all()
    assert len(subjects) == 1
    flash = client.get(response.location).get_data(as_text=True).split("flash-success")[1]
    done = in_default_locale(
        app,
        lambda: ngettext(
            "%(num)s registration approved (confirmed, or waitlisted when no place was left).",
            "%(num)s registrations approved (confirmed, or waitlisted when no place was left).",
            3,
        ),
    )
    assert re.match(r'[^<]*role="status">(.*?)</p>', flash).group(1) == done


def test_bulk_reject_with_reason_tells_the_member(app, client, auth, organizer, approval_event):
    event, (a, b, c) = approval_event
    auth.become(organizer)
    response = client.post(
        f"/events/{event.id}/roster/bulk",
        data={"ids": [a.id, b.id], "action": "reject", "reason": "资格不符"},
    )
    assert response.status_code == 302
    assert [status_of(r) for r in (a, b, c)] == ["rejected", "rejected", "pending"]
    reasons = db.session.scalars(
        sa.select(Registration.status_reason).where(Registration.id.in_([a.id, b.id]))
    )
    assert set(reasons) == {"资格不符"}
    body = db.session.scalars(
        sa.select(Notification.body).where(Notification.user_id == a.user_id)
    ).one()
    assert "资格不符" in body


def test_bulk_cancel_promotes_the_waitlist(app, client, auth, clock, organizer):
    event = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队"], capacity=2)
    team = event.teams[0].id
    first = make_registration(event, make_user(name="一"), team_id=team)
    second = make_registration(event, make_user(name="二"), team_id=team)
    waiting = make_registration(event, make_user(name="三"), status=S.WAITLISTED, team_id=team)
    db.session.commit()
    auth.become(organizer)
    response = client.post(
        f"/events/{event.id}/roster/bulk",
        data={"ids": [first.id], "action": "cancel", "reason": "重复报名"},
    )
    assert response.status_code == 302
    assert [status_of(r) for r in (first, second, waiting)] == [
        "cancelled",
        "confirmed",
        "confirmed",
    ]
    assert audit_actions(event) == ["registration.cancel", "registration.offer"]


def test_bulk_move_to_another_team_and_track(app, client, auth, organizer, approval_event):
    event, (a, b, c) = approval_event
    auth.become(organizer)
    jiangsu, russian = event.teams[1].id, event.tracks[1].id
    response = client.post(
        f"/events/{event.id}/roster/bulk",
        data={"ids": [a.id, b.id], "action": "move", "team_id": jiangsu, "track_id": russian},
    )
    assert response.status_code == 302
    rows = db.session.execute(
        sa.select(Registration.id, Registration.team_id, Registration.track_id).order_by(
            Registration.id
        )
    ).all()
    assert [(r.team_id, r.track_id) for r in rows] == [
        (jiangsu, russian),
        (jiangsu, russian),
        (event.teams[0].id, event.tracks[0].id),
    ]
    assert audit_actions(event) == ["registration.move"] * 2
    # Each member moved is told where to, with a link to the event; the one left alone is not.
    notes = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
    assert [n.user_id for n in notes] == [a.user_id, b.user_id]
    for note in notes:
        assert note.subject == f"报名信息已调整：{event.title}"
        assert f"{event.teams[1].name} / {event.tracks[1].name}" in note.body
        assert note.link == f"/events/{event.id}"


def test_one_refused_row_rolls_back_the_whole_bulk(app, client, auth, organizer, meet):
    event, people = meet
    auth.become(organizer)
    pending, waitlisted, confirmed = people["赵敏"], people["刘洋"], people["张伟"]
    response = client.post(
        f"/events/{event.id}/roster/bulk?gender=male",
        data={"ids": [pending.id, waitlisted.id, confirmed.id], "action": "reject", "reason": "x"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    refusals = html.split('id="refusals"')[1].split("</div>")[0]
    assert "张伟" in refusals and "赵敏" not in refusals and "刘洋" not in refusals
    # Nothing changed: the two rows the engine accepted were rolled back too.
    assert [status_of(r) for r in (pending, waitlisted, confirmed)] == [
        "pending",
        "waitlisted",
        "confirmed",
    ]
    assert audit_actions(event) == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    # The page keeps the filter and the ticks.
    assert shown_ids(response) and all(
        people[n].id in shown_ids(response) for n in ("张伟", "王强", "刘洋")
    )
    assert re.search(rf'value="{confirmed.id}"[^>]*checked', html)
    assert re.search(rf'value="{waitlisted.id}"[^>]*checked', html)
    assert not re.search(rf'value="{people["王强"].id}"[^>]*checked', html)


def test_a_full_team_refuses_a_move_and_nothing_moves(app, client, auth, organizer):
    event = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队", "二队"], team_cap=1
    )
    one, two = event.teams
    a = make_registration(event, make_user(name="甲"), team_id=one.id)
    b = make_registration(event, make_user(name="乙"), team_id=one.id, status=S.WAITLISTED)
    c = make_registration(event, make_user(name="丙"), team_id=two.id)
    db.session.commit()
    auth.become(organizer)
    response = client.post(
        f"/events/{event.id}/roster/bulk",
        data={"ids": [a.id, c.id], "action": "move", "team_id": one.id},
    )
    assert response.status_code == 409
    assert db.session.scalars(sa.select(Registration.team_id).order_by(Registration.id)).all() == [
        one.id,
        one.id,
        two.id,
    ]
    assert status_of(b) == "waitlisted"


def test_bulk_form_errors_sit_beside_their_fields(app, client, auth, organizer, approval_event):
    event, (a, _b, _c) = approval_event
    auth.become(organizer)
    response = client.post(f"/events/{event.id}/roster/bulk", data={"action": "approve"})
    assert response.status_code == 400
    assert 'id="ids-errors"' in response.get_data(as_text=True)
    response = client.post(
        f"/events/{event.id}/roster/bulk", data={"ids": [a.id], "action": "move"}
    )
    assert response.status_code == 400
    assert 'id="bulk-team_id-errors"' in response.get_data(as_text=True)
    response = client.post(
        f"/events/{event.id}/roster/bulk",
        data={"ids": [a.id], "action": "reject", "reason": "长" * 501},
    )
    assert response.status_code == 400
    assert 'id="bulk-reason-errors"' in response.get_data(as_text=True)
    response = client.post(
        f"/events/{event.id}/roster/bulk", data={"ids": [a.id], "action": "explode"}
    )
    assert response.status_code == 400
    assert status_of(a) == "pending"
    assert audit_actions(event) == []


def test_bulk_refuses_a_registration_of_another_event(
    app, client, auth, organizer, approval_event, meet
):
    event, (a, _b, _c) = approval_event
    _other, people = meet
    auth.become(organizer)
    response = client.post(
        f"/events/{event.id}/roster/bulk",
        data={"ids": [a.id, people["赵敏"].id], "action": "approve"},
    )
    assert response.status_code == 409
    assert status_of(a) == "pending" and status_of(people["赵敏"]) == "pending"


def test_single_row_actions(app, client, auth, organizer, approval_event):
    event, (a, b, c) = approval_event
    auth.become(organizer)
    assert (
        client.post(f"/events/{event.id}/roster/{a.id}", data={"do": "approve"}).status_code == 302
    )
    assert (
        client.post(
            f"/events/{event.id}/roster/{b.id}", data={"do": "reject", "reason": "材料不全"}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/events/{event.id}/roster/{c.id}", data={"do": "cancel"}).status_code == 302
    )
    assert [status_of(r) for r in (a, b, c)] == ["confirmed", "rejected", "cancelled"]
    assert db.session.get(Registration, b.id).status_reason == "材料不全"
    # Approving again is refused by the engine, with its message, and a 409.
    response = client.post(f"/events/{event.id}/roster/{a.id}", data={"do": "approve"})
    assert response.status_code == 409
    assert "甲" in response.get_data(as_text=True).split('id="refusals"')[1]
    assert (
        client.post(f"/events/{event.id}/roster/{a.id}", data={"do": "nonsense"}).status_code == 400
    )
    assert (
        client.post(f"/events/{event.id}/roster/999999", data={"do": "approve"}).status_code == 404
    )


def test_the_roster_of_one_event_does_not_act_on_another(
    app, client, auth, organizer, approval_event, meet
):
    event, _regs = approval_event
    _other, people = meet
    auth.become(organizer)
    response = client.post(f"/events/{event.id}/roster/{people['赵敏'].id}", data={"do": "approve"})
    assert response.status_code == 404
    assert status_of(people["赵敏"]) == "pending"


@pytest.mark.parametrize("who", ["member", "other_organizer"])
def test_only_the_events_managers_see_or_change_its_roster(
    app, client, auth, organizer, approval_event, who
):
    event, (a, _b, _c) = approval_event
    other = make_event(organizer=make_outside_organizer(), kind=EventKind.SPORTSMEET)
    user = db.session.get(User, other.created_by_id) if who == "other_organizer" else make_user()
    db.session.commit()
    auth.become(user)
    for url in ("roster", "roster.csv", "roster.xlsx", "audit", "checkin", "roster/import"):
        assert client.get(f"/events/{event.id}/{url}").status_code == 403
    assert (
        client.post(
            f"/events/{event.id}/roster/bulk", data={"ids": [a.id], "action": "approve"}
        ).status_code
        == 403
    )
    assert status_of(a) == "pending"


def test_anonymous_is_sent_to_log_in(app, client, approval_event):
    event, _regs = approval_event
    response = client.get(f"/events/{event.id}/roster")
    assert response.status_code == 302 and "/login" in response.location


def test_an_admin_manages_any_roster(app, client, auth, approval_event):
    event, (a, _b, _c) = approval_event
    admin = make_user(roles=["admin"])
    db.session.commit()
    auth.become(admin)
    assert client.get(f"/events/{event.id}/roster").status_code == 200
    assert (
        client.post(f"/events/{event.id}/roster/{a.id}", data={"do": "approve"}).status_code == 302
    )
    assert status_of(a) == "confirmed"


class TestWithCsrf:
    """The bulk form carries a CSRF token; a POST without it changes nothing."""

    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True, "ROSTER_PAGE_SIZE": PAGE_SIZE}

    def test_bulk_needs_the_forms_token(self, app, client, auth, organizer, approval_event):
        event, (a, _b, _c) = approval_event
        auth.become(organizer)
        assert (
            client.post(
                f"/events/{event.id}/roster/bulk", data={"ids": [a.id], "action": "approve"}
            ).status_code
            == 400
        )
        assert status_of(a) == "pending"
        html = client.get(f"/events/{event.id}/roster").get_data(as_text=True)
        form = html.split('id="bulk-form"')[1]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        response = client.post(
            f"/events/{event.id}/roster/bulk",
            data={"csrf_token": token, "ids": [a.id], "action": "approve"},
        )
        assert response.status_code == 302
        assert status_of(a) == "confirmed"


# --- audit ------------------------------------------------------------------------------------


def test_audit_page_lists_entries_newest_first_with_titles(
    app, client, auth, clock, organizer, approval_event
):
    event, (a, b, _c) = approval_event
    auth.become(organizer)
    client.post(f"/events/{event.id}/roster/{a.id}", data={"do": "approve"})
    clock.advance(minutes=5)
    client.post(f"/events/{event.id}/roster/{b.id}", data={"do": "reject", "reason": "不符"})
    db.session.add(AuditEntry(event_id=event.id, action="something.new", detail="?"))
    clock.advance(minutes=5)
    db.session.commit()
    html = client.get(f"/events/{event.id}/audit").get_data(as_text=True)
    rows = re.findall(r'<tr id="audit-\d+">(.*?)</tr>', html, re.S)
    assert len(rows) == 3
    assert "something.new" in rows[0]
    assert in_default_locale(app, lambda: roster.action_title("registration.reject")) in rows[1]
    assert "乙 (不符)" in rows[1] and "组织者" in rows[1] and "2026-11-01 10:08" in rows[1]
    assert "甲" in rows[2] and "2026-11-01 10:03" in rows[2]


def test_audit_page_is_paginated(app, client, auth, organizer, approval_event):
    event, _regs = approval_event
    for i in range(PAGE_SIZE + 2):
        db.session.add(
            AuditEntry(
                event_id=event.id,
                actor_id=organizer.id,
                action="roster.export",
                detail=f"#{i}",
                created_at=utcnow() + timedelta(seconds=i),
            )
        )
    db.session.commit()
    auth.become(organizer)
    first = client.get(f"/events/{event.id}/audit").get_data(as_text=True)
    second = client.get(f"/events/{event.id}/audit?page=2").get_data(as_text=True)
    assert f"#{PAGE_SIZE + 1}" in first and "#0" not in first
    assert "#1<" in second and "#0<" in second and f"#{PAGE_SIZE + 1}" not in second


def test_action_titles_cover_the_codes_this_feature_writes():
    for code in (
        "registration.approve",
        "registration.reject",
        "registration.cancel",
        "registration.move",
        "registration.promote",
        "roster.import",
        "roster.export",
        "checkin.check_in",
        "checkin.undo",
        "account.claim_code",
    ):
        assert code in roster.ACTION_TITLES
    assert roster.action_title("unheard.of") == "unheard.of"


def test_roster_page_html_ids_are_unique(app, client, auth, organizer, approval_event):
    event, _regs = approval_event
    auth.become(organizer)
    html = client.get(f"/events/{event.id}/roster").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for name in ("bulk-team_id", "bulk-track_id", "team_id", "track_id"):
        assert f'<label for="{name}"' in html


# --- stray query-string keys ------------------------------------------------------------------


def stray_queries(event, registration) -> list[str]:
    """Keys url_for would take as its own arguments, had the roster passed them through."""
    return [
        f"event_id={event.id}",
        f"registration_id={registration.id}",
        "_method=GET",
        "_external=1",
        "_anchor=x",
        "_scheme=javascript",
    ]


def test_stray_query_keys_never_break_the_roster_or_the_desk(app, client, auth, meet):
    event, people = meet
    auth.become(db.session.get(User, event.created_by_id))
    for stray in stray_queries(event, people["李娜"]):
        response = client.get(f"/events/{event.id}/roster?status=confirmed&{stray}")
        assert response.status_code == 200, stray
        assert set(shown_ids(response)) == {people[k].id for k in ("张伟", "李娜", "王强")}
        html = response.get_data(as_text=True)
        bulk_action = re.search(r'<form method="post" action="([^"]+)" id="bulk-form">', html)
        assert bulk_action.group(1) == f"/events/{event.id}/roster/bulk?status=confirmed"
        assert stray.split("=")[0] + "=" not in html.replace("&amp;", "&").split("<main")[1]

        desk = client.get(f"/events/{event.id}/checkin?q=张伟&{stray}")
        assert desk.status_code == 200, stray
        assert f'id="attendee-{people["张伟"].id}"' in desk.get_data(as_text=True)


def test_a_row_action_with_stray_keys_commits_exactly_its_change_and_redirects(
    app, client, auth, organizer, approval_event
):
    event, (a, b, c) = approval_event
    auth.become(organizer)
    response = client.post(
        f"/events/{event.id}/roster/{b.id}?event_id={event.id}&status=pending"
        f"&registration_id={c.id}&_method=GET",
        data={"do": "approve"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/events/{event.id}/roster?status=pending")
    assert [status_of(r) for r in (a, b, c)] == ["pending", "confirmed", "pending"]
    assert audit_actions(event) == ["registration.approve"]
    assert client.get(response.location).status_code == 200


def test_bulk_and_desk_posts_with_stray_keys_redirect_with_the_filters_only(
    app, client, auth, clock, meet
):
    event, people = meet
    auth.become(db.session.get(User, event.created_by_id))
    response = client.post(
        f"/events/{event.id}/roster/bulk?event_id={event.id}&q=赵&page=99999999999999999999",
        data={"ids": [people["赵敏"].id], "action": "reject", "reason": "材料不全"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/events/{event.id}/roster?q=%E8%B5%B5&page=10000")
    assert status_of(people["赵敏"]) == "rejected" and status_of(people["刘洋"]) == "waitlisted"
    assert client.get(response.location).status_code == 200

    zhang = people["张伟"]
    clock.now = event.starts_at  # at the desk, on the day
    response = client.post(
        f"/events/{event.id}/checkin/{zhang.id}?registration_id={people['王强'].id}&q=张"
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/events/{event.id}/checkin?q=%E5%BC%A0")
    assert db.session.get(Registration, zhang.id).checked_in_at is not None
    assert db.session.get(Registration, people["王强"].id).checked_in_at is None
    response = client.post(f"/events/{event.id}/checkin/{zhang.id}/undo?_method=GET&event_id=1")
    assert response.status_code == 302
    assert response.location.endswith(f"/events/{event.id}/checkin")
    db.session.expire_all()
    assert db.session.get(Registration, zhang.id).checked_in_at is None


# --- the gender a member registered with ------------------------------------------------------


def test_a_profile_gender_change_does_not_move_a_member_in_the_roster(app, client, auth, meet):
    event, people = meet
    zhang = people["张伟"]  # registered as male, born 1995
    member = db.session.get(User, zhang.user_id)
    auth.become(member)
    saved = client.post(
        "/account",
        data={
            "name": member.name,
            "email": "",
            "work_unit": member.work_unit,
            "gender": "female",
            "birth_year": "1999",
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).gender == "female"  # the profile did change

    counts = roster.roster_counts(event)
    assert counts.by_gender == {"male": 3, "female": 2}
    auth.become(db.session.get(User, event.created_by_id))
    html = client.get(f"/events/{event.id}/roster").get_data(as_text=True)
    male = in_default_locale(app, lambda: roster.gender_title("male"))
    assert f'<span data-gender="male">{male} 3</span>' in html
    row = html.split(f'id="registration-{zhang.id}"')[1].split("</tr>")[0]
    assert f">{male}</td>" in row and ">1995</td>" in row
    men = client.get(f"/events/{event.id}/roster?gender=male")
    women = client.get(f"/events/{event.id}/roster?gender=female")
    assert zhang.id in shown_ids(men) and zhang.id not in shown_ids(women)
    csv_text = client.get(f"/events/{event.id}/roster.csv").data.decode("utf-8-sig")
    line = next(line for line in csv_text.splitlines() if line.startswith("张伟,"))
    assert f",{male},1995," in line


@pytest.mark.parametrize(
    ("button", "action", "status", "subject"),
    [
        ("row", "cancel", S.CONFIRMED, "报名已取消：趣味运动会"),
        ("bulk", "cancel", S.WAITLISTED, "报名已取消：趣味运动会"),
        ("row", "reject", S.PENDING, "报名未通过：趣味运动会"),
        ("bulk", "reject", S.WAITLISTED, "报名未通过：趣味运动会"),
    ],
)
def test_the_member_is_told_when_the_organizer_cancels_or_rejects(
    app, client, auth, organizer, button, action, status, subject
):
    """An inbox notice and a mail, with the organizer's reason and a link to the event."""
    from eventsite.core.models import OutboundEmail

    event = make_event(
        organizer=organizer, kind=EventKind.SPORTSMEET, teams=["一队"], title="趣味运动会"
    )
    member = make_user(name="张三", email="zhangsan@example.com")
    registration = make_registration(event, member, status=status, team_id=event.teams[0].id)
    db.session.commit()
    auth.become(organizer)
    if button == "row":
        url, data = f"/events/{event.id}/roster/{registration.id}", {"do": action}
    else:
        url, data = f"/events/{event.id}/roster/bulk", {"ids": [registration.id], "action": action}
    response = client.post(url, data={**data, "reason": "名额调整"})
    assert response.status_code == 302
    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == member.id))
    [note] = notes.all()
    assert note.subject == subject
    assert "名额调整" in note.body and note.link == f"/events/{event.id}"
    [mail] = db.session.scalars(
        sa.select(OutboundEmail).where(OutboundEmail.to_address == "zhangsan@example.com")
    ).all()
    assert mail.subject == subject and mail.body.endswith(f"/events/{event.id}")
