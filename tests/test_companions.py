"""General events (工会活动) and companions (家属): the seat rules, a hypothesis walk of any
sequence of registrations and cancellations, and the member's and organizer's flows through the
pages (register with companions, change them, the waitlist promoted by seats; create a general
event, its roster and export)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.core.models import AuditEntry
from eventsite.events import service
from eventsite.events.models import Event, EventKind, EventStatus, Registration
from eventsite.events.rules import (
    Limits,
    Occupancy,
    Seeker,
    companions_allowed,
    fits,
    member_may_change_companions,
    more_seats_fit,
    places_left,
    promotions,
    take_place,
)
from eventsite.extensions import db
from tests.factories import make_event, make_registration, make_user

# --- The rules --------------------------------------------------------------------------------


def party(registration_id: int, companions: int) -> Seeker:
    return Seeker(registration_id, "female", seats=1 + companions)


def test_a_seeker_takes_one_seat_unless_bringing_companions():
    assert Seeker(None, "male").seats == 1
    assert take_place(Occupancy(confirmed=2), party(1, 2)).confirmed == 5


@pytest.mark.parametrize(
    ("capacity", "confirmed", "companions", "expected"),
    [
        (10, 7, 2, True),
        (10, 8, 2, False),
        (10, 9, 0, True),
        (10, 10, 0, False),
        (None, 99, 10, True),
    ],
)
def test_every_seat_of_a_party_must_fit(capacity, confirmed, companions, expected):
    assert fits(
        Limits(capacity=capacity), Occupancy(confirmed=confirmed), party(1, companions)
    ) is (expected)


def test_a_party_too_big_for_the_free_seat_is_passed_over_not_stopped_at():
    limits, occupancy = Limits(capacity=10), Occupancy(confirmed=9)
    waitlist = [party(1, 2), party(2, 0), party(3, 0)]
    assert [s.registration_id for s in promotions(limits, occupancy, waitlist)] == [2]


def test_promotion_is_first_come_first_served_among_those_who_fit():
    limits, occupancy = Limits(capacity=10), Occupancy(confirmed=5)
    waitlist = [party(1, 1), party(2, 3), party(3, 1), party(4, 0)]
    # 1 takes 2 seats (3 left), 2 needs 4: passed over, 3 takes 2 (1 left), 4 takes the last.
    assert [s.registration_id for s in promotions(limits, occupancy, waitlist)] == [1, 3, 4]


def test_places_left_count_seats():
    assert places_left(Limits(capacity=10), Occupancy(confirmed=7)).overall == 3


@pytest.mark.parametrize(
    ("kind", "most", "companions", "expected"),
    [
        ("general", 3, 0, True),
        ("general", 3, 3, True),
        ("general", 3, 4, False),
        ("general", 3, -1, False),
        ("general", 0, 1, False),
        ("mixer", 3, 1, False),
        ("mixer", 3, 0, True),
        ("competition", 2, 1, False),
        ("sportsmeet", 2, 1, False),
    ],
)
def test_companions_only_on_a_general_event_up_to_its_maximum(kind, most, companions, expected):
    assert companions_allowed(kind, most, companions) is expected


def test_more_seats_fit_within_capacity_only():
    assert more_seats_fit(Limits(capacity=10), Occupancy(confirmed=8), 2)
    assert not more_seats_fit(Limits(capacity=10), Occupancy(confirmed=8), 3)
    assert more_seats_fit(Limits(), Occupancy(confirmed=800), 10)


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        ("open", "confirmed", True),
        ("open", "waitlisted", True),
        ("open", "pending", True),
        ("open", "cancelled", False),
        ("open", "rejected", False),
        ("closed", "confirmed", False),
        ("not_yet", "confirmed", False),
        ("open", None, False),
    ],
)
def test_companions_change_while_registration_is_open(state, status, expected):
    assert member_may_change_companions(state, status) is expected


# --- Hypothesis: any sequence of registrations with seats and cancellations --------------------

step = st.one_of(
    st.tuples(st.just("register"), st.integers(0, 4)),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
)


class Engine:
    """The engine's decisions replayed on plain values: arrivals take seats if they fit, a
    cancellation promotes the waitlist through `rules.promotions`."""

    def __init__(self, capacity: int):
        self.limits = Limits(capacity=capacity)
        self.confirmed: dict[int, int] = {}  # registration id → seats
        self.waiting: list[tuple[int, int]] = []  # (registration id, seats), in order
        self.next_id = 1

    def occupancy(self) -> Occupancy:
        return Occupancy(confirmed=sum(self.confirmed.values()), waitlisted=len(self.waiting))

    def register(self, companions: int) -> None:
        seeker = Seeker(self.next_id, "male", seats=1 + companions)
        self.next_id += 1
        if fits(self.limits, self.occupancy(), seeker):
            self.confirmed[seeker.registration_id] = seeker.seats
        else:
            self.waiting.append((seeker.registration_id, seeker.seats))

    def cancel(self, index: int) -> list[int]:
        if not self.confirmed:
            return []
        registration_id = sorted(self.confirmed)[index % len(self.confirmed)]
        del self.confirmed[registration_id]
        free_before = self.limits.capacity - sum(self.confirmed.values())
        waitlist = [Seeker(rid, "male", seats=seats) for rid, seats in self.waiting]
        promoted = promotions(self.limits, self.occupancy(), waitlist)
        # FCFS among those who fit, restated: walk the waitlist, take whoever fits what is left.
        expected, free = [], free_before
        for rid, seats in self.waiting:
            if seats <= free:
                expected.append(rid)
                free -= seats
        assert [s.registration_id for s in promoted] == expected
        for seeker in promoted:
            self.confirmed[seeker.registration_id] = seeker.seats
        chosen = {s.registration_id for s in promoted}
        self.waiting = [(rid, seats) for rid, seats in self.waiting if rid not in chosen]
        # Nobody left waiting fits the seats still free: none was passed over wrongly.
        left = self.limits.capacity - sum(self.confirmed.values())
        assert all(seats > left for _rid, seats in self.waiting)
        return [s.registration_id for s in promoted]


@settings(max_examples=300, deadline=None)
@given(capacity=st.integers(1, 12), steps=st.lists(step, max_size=40))
def test_seats_never_exceed_capacity_and_promotion_is_fcfs_among_those_who_fit(capacity, steps):
    engine = Engine(capacity)
    for action, value in steps:
        if action == "register":
            engine.register(value)
        else:
            engine.cancel(value)
        assert sum(engine.confirmed.values()) <= capacity
        remaining = places_left(engine.limits, engine.occupancy()).overall
        assert remaining == capacity - sum(engine.confirmed.values())


# --- Through the pages ------------------------------------------------------------------------


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def become(auth, user) -> None:
    auth.become(user)
    g.pop("_login_user", None)


def text(response) -> str:
    return response.get_data(as_text=True)


def errors_beside(html: str, field_id: str) -> str:
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


def registration_of(event: Event, user) -> Registration:
    db.session.expire_all()
    return service.find_registration(event.id, user.id)


@pytest.fixture
def organizer(app, clock):
    return make_user(roles=["organizer"], name="工会干事")


@pytest.fixture
def care_day(organizer):
    """A general event with 5 places; each member may bring up to 3 companions."""
    event = make_event(
        organizer=organizer,
        kind=EventKind.GENERAL,
        capacity=5,
        max_companions=3,
        title="快递小哥关爱日",
        promotion_confirm_hours=0,
    )
    db.session.commit()
    return event


def test_a_member_registers_with_companions_and_changes_them(client, auth, care_day):
    member = make_user(name="王师傅")
    become(auth, member)
    page = text(client.get(f"/events/{care_day.id}"))
    assert 'name="companions"' in page
    assert "Me + 3 companions" in page and "Me + 4 companions" not in page

    response = client.post(f"/events/{care_day.id}/register", data={"companions": "2"})
    assert response.status_code == 303
    registration = registration_of(care_day, member)
    assert (registration.status, registration.companions) == ("confirmed", 2)
    page = text(client.get(f"/events/{care_day.id}"))
    assert "2 of 5 places left" in page  # seats: the member and two companions
    assert 'id="change-companions"' in page

    response = client.post(f"/events/{care_day.id}/companions", data={"companions": "0"})
    assert response.status_code == 303
    assert registration_of(care_day, member).companions == 0
    assert "4 of 5 places left" in text(client.get(f"/events/{care_day.id}"))
    assert db.session.scalar(
        sa.select(AuditEntry.detail).where(AuditEntry.action == "registration.companions")
    ).endswith("2 → 0")


def test_more_companions_than_allowed_or_free_are_refused_beside_the_field(client, auth, care_day):
    member, other = make_user(), make_user()
    make_registration(care_day, other, companions=1)  # 2 seats taken
    db.session.commit()
    become(auth, member)
    response = client.post(f"/events/{care_day.id}/register", data={"companions": "4"})
    assert response.status_code == 400
    assert "Choose how many companions you bring." in errors_beside(text(response), "companions")
    assert registration_of(care_day, member) is None

    assert client.post(f"/events/{care_day.id}/register", data={"companions": "1"}).status_code == (
        303
    )  # 4 of 5 seats taken
    response = client.post(f"/events/{care_day.id}/companions", data={"companions": "3"})
    assert response.status_code == 400
    assert "Not enough places are left for 2 more companions" in errors_beside(
        text(response), "companions"
    )
    assert registration_of(care_day, member).companions == 1  # nothing changed
    response = client.post(f"/events/{care_day.id}/companions", data={"companions": "2"})
    assert response.status_code == 303
    assert registration_of(care_day, member).companions == 2


def test_companions_cannot_change_once_registration_closes(client, auth, care_day, clock):
    member = make_user()
    make_registration(care_day, member, companions=1)
    db.session.commit()
    become(auth, member)
    clock.now = care_day.registration_closes_at + timedelta(minutes=1)
    assert 'id="change-companions"' not in text(client.get(f"/events/{care_day.id}"))
    response = client.post(f"/events/{care_day.id}/companions", data={"companions": "0"})
    assert response.status_code == 400
    assert registration_of(care_day, member).companions == 1


def test_the_waitlist_is_promoted_by_seats(client, auth, care_day):
    first, big, small, late = (make_user(name=n) for n in ("甲", "乙", "丙", "丁"))
    for user, companions in ((first, 2), (big, 3), (small, 0)):
        become(auth, user)
        client.post(f"/events/{care_day.id}/register", data={"companions": str(companions)})
    # 甲 takes 3 seats, 乙's 4 do not fit (waitlisted), 丙 takes 1: 4 of 5 taken.
    assert [registration_of(care_day, u).status for u in (first, big, small)] == [
        "confirmed",
        "waitlisted",
        "confirmed",
    ]
    become(auth, late)
    client.post(f"/events/{care_day.id}/register", data={"companions": "1"})
    assert registration_of(care_day, late).status == "waitlisted"  # 2 seats, 1 free

    # 甲 comes alone: 2 seats free; 乙 (4 seats) is passed over, 丁 (2 seats) promoted.
    become(auth, first)
    assert client.post(
        f"/events/{care_day.id}/companions", data={"companions": "0"}
    ).status_code == (303)
    assert registration_of(care_day, big).status == "waitlisted"
    assert registration_of(care_day, late).status == "confirmed"
    # 乙 now comes alone: the one seat still free fits them, and they are promoted at once.
    become(auth, big)
    client.post(f"/events/{care_day.id}/companions", data={"companions": "0"})
    assert registration_of(care_day, big).status == "confirmed"
    occupancy = service.occupancy_of(care_day.id)
    assert occupancy.confirmed == 5


def test_a_cancellation_frees_every_seat_of_the_party(client, auth, care_day):
    first, second = make_user(), make_user()
    make_registration(care_day, first, companions=3)  # 4 seats
    waiting = make_registration(care_day, second, status="waitlisted", companions=1)
    db.session.commit()
    become(auth, first)
    assert client.post(f"/events/{care_day.id}/cancel-registration").status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "confirmed"


def test_a_mixer_offers_no_companions(client, auth, organizer):
    mixer = make_event(organizer=organizer, kind=EventKind.MIXER, capacity=10)
    member = make_user(birth_year=1995)
    db.session.commit()
    become(auth, member)
    assert 'name="companions"' not in text(client.get(f"/events/{mixer.id}"))
    response = client.post(
        f"/events/{mixer.id}/register", data={"single_declared": "y", "companions": "2"}
    )
    assert response.status_code == 303
    assert registration_of(mixer, member).companions == 0
    with pytest.raises(service.RegistrationError):
        service.register(mixer, make_user(birth_year=1995), single_declared=True, companions=1)


GENERAL = {
    "title": "职工讲堂：劳动法与你",
    "venue": "市工人文化宫报告厅",
    "starts_at": "2026-11-20T14:00",
    "ends_at": "2026-11-20T16:00",
    "registration_opens_at": "2026-11-02T09:00",
    "registration_closes_at": "2026-11-19T18:00",
    "capacity": "80",
    "max_companions": "2",
}


def test_an_organizer_creates_a_general_event_without_teams(client, auth, organizer):
    db.session.commit()
    become(auth, organizer)
    assert "/events/new?kind=general" in text(client.get("/events/new"))
    form = text(client.get("/events/new?kind=general"))
    assert 'name="max_companions"' in form
    assert 'name="team_cap"' not in form and 'name="quota_male"' not in form
    response = client.post("/events/new?kind=general", data=GENERAL)
    assert response.status_code == 303
    event = db.session.scalars(sa.select(Event).where(Event.kind == "general")).one()
    assert response.headers["Location"].endswith(f"/events/{event.id}/edit")
    assert (event.capacity, event.max_companions, event.team_cap) == (80, 2, None)
    edit = text(client.get(f"/events/{event.id}/edit"))
    assert f"/events/{event.id}/teams" not in edit
    assert client.get(f"/events/{event.id}/teams").status_code == 404
    assert client.post(f"/events/{event.id}/publish").status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.PUBLISHED
    assert f"/events/{event.id}/teams" not in text(client.get(f"/events/{event.id}"))

    response = client.post("/events/new?kind=general", data={**GENERAL, "max_companions": "11"})
    assert response.status_code == 400
    assert "from 0 to 10" in errors_beside(text(response), "max_companions")


def test_capacity_cannot_drop_below_the_seats_taken(client, auth, organizer, care_day):
    make_registration(care_day, make_user(), companions=3)
    db.session.commit()
    become(auth, organizer)
    data = {**GENERAL, "capacity": "3", "loaded_version": care_day.version}
    response = client.post(f"/events/{care_day.id}/edit", data=data)
    assert response.status_code == 400
    assert "their companions already hold 4 confirmed places" in errors_beside(
        text(response), "capacity"
    )


def test_roster_export_and_check_in_show_the_companions(client, auth, organizer, care_day):
    member = make_user(name="李师傅")
    registration = make_registration(care_day, member, companions=2)
    db.session.commit()
    become(auth, organizer)
    roster = text(client.get(f"/events/{care_day.id}/roster"))
    assert re.search(r'class="cell-companions">2<', roster)
    assert "Places taken (members and companions): 3 / 5" in roster
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"/events/{care_day.id}/roster.csv").data.decode("utf-8-sig"))
        )
    )
    column = rows[0].index("Companions")
    assert rows[0][column - 1] == "Birth year"  # a union activity: no team or track column
    assert rows[1][0] == "李师傅" and rows[1][column] == "2"
    from eventsite.events import checkin

    token_page = text(client.get(f"/checkin/{checkin.token_for(registration)}"))
    assert "Member + 2 companions" in token_page


def test_a_competitions_export_keeps_its_columns(client, auth, organizer):
    event = make_event(organizer=organizer, kind=EventKind.COMPETITION, teams=["山东队"])
    db.session.commit()
    become(auth, organizer)
    header = next(
        csv.reader(io.StringIO(client.get(f"/events/{event.id}/roster.csv").data.decode()))
    )
    assert "Companions" not in header


def test_the_check_in_page_says_who_comes_in_chinese(client, auth, organizer, care_day):
    from eventsite.events import checkin

    registration = make_registration(care_day, make_user(), companions=2)
    db.session.commit()
    become(auth, organizer)
    with client.session_transaction() as session:
        session["locale"] = "zh_Hans_CN"
    page = text(client.get(f"/checkin/{checkin.token_for(registration)}"))
    assert "本人 + 2 名家属" in page


def test_an_empty_registration_is_asked_how_many_companions(client, auth, care_day):
    member = make_user()
    db.session.commit()
    become(auth, member)
    response = client.post(f"/events/{care_day.id}/register", data={})
    assert response.status_code == 400
    assert "Choose how many companions you bring." in errors_beside(text(response), "companions")
    assert registration_of(care_day, member) is None


def test_a_general_event_counts_in_the_union_statistics(client, auth, clock):
    """Held, registrations, attendance: a union activity counts like every kind, on a line of
    its own in the page's table by kind and on a sheet of its own in the workbook."""
    from datetime import UTC, datetime

    from openpyxl import load_workbook

    from eventsite.accounts.models import UserRole
    from eventsite.organizations import service as organizations

    city = organizations.create(organizations.root(), "芜湖市总工会", short_name="芜湖")
    start = datetime(2026, 9, 10, 6, tzinfo=UTC)
    lecture = make_event(
        kind=EventKind.GENERAL,
        organization_id=city.id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        registration_opens_at=start - timedelta(days=30),
        registration_closes_at=start - timedelta(days=1),
        max_companions=2,
    )
    members = [make_user(name=f"职工{i}") for i in range(7)]
    for i, member in enumerate(members):
        make_registration(lecture, member, companions=i % 3, checked_in_at=start if i < 6 else None)
    admin = make_user(name="市管理员")
    db.session.add(UserRole(user_id=admin.id, role="admin", organization_id=city.id))
    db.session.commit()
    become(auth, admin)
    with client.session_transaction() as session:
        session["locale"] = "zh_Hans_CN"
    body = text(client.get(f"/organizations/{city.id}/statistics?year=2026"))
    row = re.search(r'<th scope="row">工会活动</th>(.*?)</tr>', body, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
    # Held, registrations, members who came, attendance and no-show rates.
    assert cells[:5] == ["1", "7", "6", "85.7%", "14.3%"]
    response = client.get(f"/organizations/{city.id}/statistics.xlsx?year=2026")
    book = load_workbook(io.BytesIO(response.data))
    assert "工会活动" in book.sheetnames
    totals = {row[0]: row[1] for row in book["合计"].iter_rows(min_row=3, values_only=True)}
    assert (totals["举办活动数"], totals["报名人次"], totals["签到人数"]) == (1, 7, 6)


def test_a_general_roster_exported_with_companions_imports_with_none(
    client, auth, organizer, care_day
):
    """The import page takes a union activity's list (no team or track column); imported
    members come alone (companions 0), whatever the exported column said."""
    make_registration(care_day, make_user(name="周一", mobile="15922220001"), companions=2)
    second = make_event(organizer=organizer, kind=EventKind.GENERAL, title="第二期", capacity=10)
    db.session.commit()
    become(auth, organizer)
    assert client.get(f"/events/{second.id}/roster/import").status_code == 200
    exported = client.get(f"/events/{care_day.id}/roster.csv").data
    response = client.post(
        f"/events/{second.id}/roster/import",
        data={"file": (io.BytesIO(exported), "名单.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    [imported] = db.session.scalars(
        sa.select(Registration).where(Registration.event_id == second.id)
    ).all()
    assert (imported.status, imported.companions, imported.team_id) == ("confirmed", 0, None)


def test_the_manage_page_counts_the_seats_of_a_general_event(client, auth, organizer, care_day):
    make_registration(care_day, make_user(), companions=3)
    db.session.commit()
    become(auth, organizer)
    page = text(client.get("/manage"))
    assert re.search(
        r'class="seats"><strong>4</strong><span>Places taken, with companions / 5', page
    )
