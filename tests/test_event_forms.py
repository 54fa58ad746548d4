"""Creating and editing events through the real forms: every bad input is refused beside its
field with a 400 and changes nothing; good input is stored in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import g

from eventsite.core.models import AuditEntry
from eventsite.events.models import Event, EventKind, EventOrganizer, EventStatus
from eventsite.extensions import db
from tests.factories import make_event, make_outside_organizer, make_registration, make_user


def become(auth, user) -> None:
    """Sign in as `user` for the next requests.

    The test's app context outlives each request, so Flask-Login's per-request cache in `g`
    would otherwise keep the previous user.
    """
    auth.become(user)
    g.pop("_login_user", None)


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def errors_beside(html: str, field_id: str) -> str:
    """The error list rendered right after the field `field_id` ('' when there is none)."""
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


MIXER = {
    "title": "秋遇隅里 一叶知卿",
    "description": "芜湖市总工会青年联谊活动",
    "venue": "芜湖市工人文化宫",
    "starts_at": "2026-11-20T19:00",
    "ends_at": "2026-11-20T21:30",
    "registration_opens_at": "2026-11-02T09:00",
    "registration_closes_at": "2026-11-19T18:00",
    "capacity": "60",
    "min_age": "25",
    "max_age": "35",
    "quota_male": "30",
    "quota_female": "30",
}

SPORTSMEET = {
    "title": "站前街道趣味运动会",
    "venue": "齐齐哈尔职工大学操场",
    "starts_at": "2026-11-21T08:30",
    "ends_at": "2026-11-21T12:00",
    "registration_opens_at": "2026-11-01T09:00",
    "registration_closes_at": "2026-11-20T12:00",
    "capacity": "200",
    "team_cap": "50",
}


@pytest.fixture
def organizer(app, auth, clock):
    user = make_user(roles=["organizer"], name="工会干事")
    db.session.commit()
    become(auth, user)
    return user


def event_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Event.id)))


def test_create_mixer_draft_with_local_times_stored_in_utc(client, organizer, clock):
    response = client.post("/events/new?kind=mixer", data={**MIXER, "approval_required": "y"})
    assert response.status_code == 303
    event = db.session.scalars(sa.select(Event)).one()
    assert response.headers["Location"].endswith(f"/events/{event.id}/edit")
    assert (event.kind, event.status, event.title) == ("mixer", "draft", MIXER["title"])
    # 19:00 in Shanghai is 11:00 UTC.
    assert event.starts_at == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert event.registration_closes_at == datetime(2026, 11, 19, 10, 0, tzinfo=UTC)
    assert (event.capacity, event.min_age, event.max_age) == (60, 25, 35)
    assert (event.quota_male, event.quota_female, event.team_cap) == (30, 30, None)
    assert event.approval_required is True
    assert event.organizer_ids == {organizer.id}
    assert event.created_by_id == organizer.id
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["event.create"]


def test_create_sportsmeet_goes_on_to_its_teams(client, organizer):
    response = client.post("/events/new?kind=sportsmeet", data=SPORTSMEET)
    assert response.status_code == 303
    event = db.session.scalars(sa.select(Event)).one()
    assert response.headers["Location"].endswith(f"/events/{event.id}/teams")
    assert (event.kind, event.team_cap, event.min_age) == ("sportsmeet", 50, None)


def test_fields_of_another_kind_are_ignored(client, organizer):
    client.post(
        "/events/new?kind=sportsmeet", data={**SPORTSMEET, "min_age": "40", "quota_male": "3"}
    )
    event = db.session.scalars(sa.select(Event)).one()
    assert (event.min_age, event.quota_male) == (None, None)


def test_blank_limits_mean_no_limit(client, organizer):
    data = {
        **MIXER,
        "capacity": "",
        "min_age": "",
        "max_age": "",
        "quota_male": "",
        "quota_female": "",
    }
    assert client.post("/events/new?kind=mixer", data=data).status_code == 303
    event = db.session.scalars(sa.select(Event)).one()
    assert (event.capacity, event.min_age, event.max_age, event.quota_male) == (
        None,
        None,
        None,
        None,
    )


def test_new_event_offers_the_three_kinds(client, organizer):
    page = client.get("/events/new").get_data(as_text=True)
    for kind in ("mixer", "competition", "sportsmeet"):
        assert f"/events/new?kind={kind}" in page
    form = client.get("/events/new?kind=mixer")
    assert form.status_code == 200
    assert 'name="quota_female"' in form.get_data(as_text=True)
    assert 'name="team_cap"' not in form.get_data(as_text=True)


def test_unknown_kind_is_refused(client, organizer):
    response = client.post("/events/new?kind=party", data=MIXER)
    assert response.status_code == 400
    assert "Please choose one of these kinds of event." in response.get_data(as_text=True)
    assert event_count() == 0


BAD_MIXER_INPUT = [
    ("title", {"title": ""}, "Please enter a title."),
    ("title", {"title": "长" * 201}, "200"),
    ("venue", {"venue": "   "}, "Please enter the venue."),
    ("starts_at", {"starts_at": ""}, "Please enter a date and time."),
    ("starts_at", {"starts_at": "next friday"}, "such as 2026-11-20 19:00"),
    ("starts_at", {"starts_at": "2026-10-31T19:00"}, "A new event must start in the future."),
    ("ends_at", {"ends_at": "2026-11-20T18:00"}, "The event must end after it starts."),
    ("ends_at", {"ends_at": "2026-11-20T19:00"}, "The event must end after it starts."),
    (
        "registration_closes_at",
        {"registration_closes_at": "2026-11-01T09:00"},
        "Registration must close after it opens.",
    ),
    (
        "registration_closes_at",
        {"registration_closes_at": "2026-11-20T22:00"},
        "Registration must close by the time the event ends.",
    ),
    ("capacity", {"capacity": "0"}, "at least 1"),
    ("capacity", {"capacity": "-5"}, "at least 1"),
    ("capacity", {"capacity": "many"}, "integer"),
    ("min_age", {"min_age": "17"}, "at least 18"),
    ("max_age", {"max_age": "16", "min_age": ""}, "at least 18"),
    (
        "max_age",
        {"min_age": "30", "max_age": "25"},
        "The oldest age must not be below the youngest age.",
    ),
    ("quota_male", {"quota_male": "0"}, "at least 1"),
    ("quota_female", {"quota_female": "x"}, "integer"),
]


@pytest.mark.parametrize(("field", "change", "message"), BAD_MIXER_INPUT)
def test_create_refuses_bad_input_beside_the_field(client, organizer, field, change, message):
    response = client.post("/events/new?kind=mixer", data={**MIXER, **change})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in errors_beside(html, field)
    assert event_count() == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0
    # The member's input is kept, so they fix one field rather than start again.
    assert MIXER["venue"] in html or field == "venue"


def test_sportsmeet_team_cap_must_be_positive(client, organizer):
    response = client.post("/events/new?kind=sportsmeet", data={**SPORTSMEET, "team_cap": "0"})
    assert response.status_code == 400
    assert "at least 1" in errors_beside(response.get_data(as_text=True), "team_cap")
    assert event_count() == 0


@pytest.fixture
def mixer(app, organizer):
    event = make_event(
        organizer=organizer,
        kind=EventKind.MIXER,
        capacity=10,
        title="旧标题",
        min_age=20,
        max_age=40,
    )
    db.session.commit()
    return event


def edit_data(event: Event, **change) -> dict:
    from eventsite.core.time import to_local

    data = {
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "capacity": "" if event.capacity is None else str(event.capacity),
        "min_age": "" if event.min_age is None else str(event.min_age),
        "max_age": "" if event.max_age is None else str(event.max_age),
    }
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        data[name] = to_local(getattr(event, name)).strftime("%Y-%m-%dT%H:%M")
    return {**data, **change}


def snapshot(event_id: int) -> tuple:
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    return (
        event.title,
        event.venue,
        event.starts_at,
        event.ends_at,
        event.registration_closes_at,
        event.capacity,
        event.min_age,
        event.max_age,
        event.updated_at,
        db.session.scalar(sa.select(sa.func.count(AuditEntry.id))),
    )


def test_edit_form_shows_local_times(client, mixer):
    html = client.get(f"/events/{mixer.id}/edit").get_data(as_text=True)
    from eventsite.core.time import to_local

    local = to_local(mixer.starts_at).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{local}"' in html
    assert 'value="旧标题"' in html


def test_edit_saves_changes_and_audits(client, mixer, organizer):
    response = client.post(
        f"/events/{mixer.id}/edit",
        data=edit_data(
            mixer,
            title="新标题",
            capacity="12",
            starts_at="2026-11-08T20:00",
            ends_at="2026-11-08T22:00",
            registration_closes_at="2026-11-08T12:00",
        ),
    )
    assert response.status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, mixer.id)
    assert (event.title, event.capacity) == ("新标题", 12)
    assert event.starts_at == datetime(2026, 11, 8, 12, 0, tzinfo=UTC)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "event.update")
    ).one()
    assert entry.actor_id == organizer.id
    # Named by the form's labels, in the site's language (English in this file).
    assert "Places: 10 → 12" in entry.detail
    assert "Title: 旧标题 → 新标题" in entry.detail


def test_a_changed_description_is_audited_with_its_old_and_new_text(client, mixer):
    mixer.description = "周六晚七点，市工人文化宫。"
    db.session.commit()
    data = edit_data(mixer, description="周六晚七点半，市工人文化宫三楼。")
    assert client.post(f"/events/{mixer.id}/edit", data=data).status_code == 303
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "event.update")
    ).one()
    assert entry.detail == (
        "Description: 周六晚七点，市工人文化宫。 → 周六晚七点半，市工人文化宫三楼。"
    )


def test_the_edit_audit_is_in_the_sites_language_whatever_the_organizer_reads(app, client, mixer):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_Hans_CN"
    client.get("/lang/en")  # the organizer reads the site in English
    response = client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, capacity="12"))
    assert response.status_code == 303
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "event.update")
    ).one()
    assert entry.detail == "名额：10 → 12"


def test_edit_with_no_change_writes_no_audit_entry(client, mixer):
    assert client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer)).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize(
    ("field", "change", "message"),
    [
        ("title", {"title": ""}, "Please enter a title."),
        ("ends_at", {"ends_at": "2026-11-01T08:00"}, "The event must end after it starts."),
        (
            "registration_closes_at",
            {"registration_closes_at": "2030-01-01T00:00"},
            "Registration must close by the time the event ends.",
        ),
        ("capacity", {"capacity": "0"}, "at least 1"),
        ("min_age", {"min_age": "12"}, "at least 18"),
        ("max_age", {"max_age": "19"}, "The oldest age must not be below the youngest age."),
    ],
)
def test_edit_refuses_bad_input_and_changes_nothing(client, mixer, field, change, message):
    before = snapshot(mixer.id)
    response = client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, **change))
    assert response.status_code == 400
    assert message in errors_beside(response.get_data(as_text=True), field)
    assert snapshot(mixer.id) == before


def test_capacity_cannot_drop_below_confirmed_places(client, mixer):
    for _ in range(3):
        make_registration(mixer, make_user())
    db.session.commit()
    before = snapshot(mixer.id)
    response = client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, capacity="2"))
    assert response.status_code == 400
    assert "cannot be lower than 3" in errors_beside(response.get_data(as_text=True), "capacity")
    assert snapshot(mixer.id) == before
    # Exactly the confirmed count is allowed.
    assert (
        client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, capacity="3")).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Event, mixer.id).capacity == 3


def test_gender_quota_cannot_drop_below_confirmed(client, mixer):
    make_registration(mixer, make_user(gender="female"))
    make_registration(mixer, make_user(gender="female"))
    db.session.commit()
    data = edit_data(mixer, quota_female="1")
    response = client.post(f"/events/{mixer.id}/edit", data=data)
    assert response.status_code == 400
    assert "cannot be lower than 2" in errors_beside(
        response.get_data(as_text=True), "quota_female"
    )
    db.session.expire_all()
    assert db.session.get(Event, mixer.id).quota_female is None


def test_team_cap_cannot_drop_below_the_fullest_team(client, organizer):
    meet = make_event(organizer=organizer, teams=["一社区", "二社区"], team_cap=5)
    one, two = meet.teams
    for _ in range(3):
        make_registration(meet, make_user(), team_id=one.id)
    make_registration(meet, make_user(), team_id=two.id)
    db.session.commit()
    data = edit_data(meet, team_cap="2")
    response = client.post(f"/events/{meet.id}/edit", data=data)
    assert response.status_code == 400
    assert "cannot be lower than 3" in errors_beside(response.get_data(as_text=True), "team_cap")
    db.session.expire_all()
    assert db.session.get(Event, meet.id).team_cap == 5


def test_cancelled_event_cannot_be_edited(client, mixer):
    mixer.status = EventStatus.CANCELLED
    db.session.commit()
    before = snapshot(mixer.id)
    response = client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, title="复活"))
    assert response.status_code == 400
    assert "This event has been cancelled and can no longer be changed." in response.get_data(
        as_text=True
    )
    assert snapshot(mixer.id) == before


def test_member_without_organizer_role_cannot_create(client, auth, app):
    member = make_user()
    db.session.commit()
    become(auth, member)
    assert client.get("/events/new").status_code == 403
    assert client.post("/events/new?kind=mixer", data=MIXER).status_code == 403
    assert event_count() == 0


def test_edit_by_organizer_of_another_event_is_forbidden(client, auth, mixer):
    other = make_outside_organizer()
    db.session.commit()
    become(auth, other)
    before = snapshot(mixer.id)
    assert client.get(f"/events/{mixer.id}/edit").status_code == 403
    assert (
        client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, title="X")).status_code == 403
    )
    assert snapshot(mixer.id) == before


def test_co_organizer_may_edit(client, auth, mixer):
    co = make_user(roles=["organizer"])
    db.session.add(EventOrganizer(event_id=mixer.id, user_id=co.id))
    db.session.commit()
    become(auth, co)
    assert (
        client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, title="合办")).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Event, mixer.id).title == "合办"


class TestWithCsrf:
    """The real forms with CSRF protection on."""

    @pytest.fixture
    def app_config(self):
        return {"BABEL_DEFAULT_LOCALE": "en", "WTF_CSRF_ENABLED": True}

    def token(self, html: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def test_create_needs_the_forms_token(self, client, organizer):
        assert client.post("/events/new?kind=mixer", data=MIXER).status_code == 400
        assert event_count() == 0
        token = self.token(client.get("/events/new?kind=mixer").get_data(as_text=True))
        response = client.post("/events/new?kind=mixer", data={**MIXER, "csrf_token": token})
        assert response.status_code == 303
        assert event_count() == 1

    def test_cancel_form_carries_its_token(self, client, mixer):
        html = client.get(f"/events/{mixer.id}/edit").get_data(as_text=True)
        token = self.token(html)
        response = client.post(
            f"/events/{mixer.id}/cancel", data={"reason": "场地维修", "csrf_token": token}
        )
        assert response.status_code == 303
        db.session.expire_all()
        assert db.session.get(Event, mixer.id).status == "cancelled"


def loaded_version(client, event_id: int) -> str:
    html = client.get(f"/events/{event_id}/edit").get_data(as_text=True)
    match = re.search(r'name="loaded_version" type="hidden" value="([^"]+)"', html)
    assert match, "the edit form carries the event's version"
    return match.group(1)


def test_save_over_a_change_made_after_the_form_was_loaded_is_refused(
    client, auth, mixer, organizer, clock
):
    co_organizer = make_user(roles=["organizer"], name="协办人")
    db.session.add(EventOrganizer(event_id=mixer.id, user_id=co_organizer.id))
    db.session.commit()
    mine = loaded_version(client, mixer.id)  # the organizer opens the form first
    become(auth, co_organizer)
    theirs = loaded_version(client, mixer.id)
    assert theirs == mine
    response = client.post(
        f"/events/{mixer.id}/edit",
        data=edit_data(mixer, title="协办人的标题", loaded_version=theirs),
    )
    assert response.status_code == 303

    become(auth, organizer)
    before = snapshot(mixer.id)
    response = client.post(
        f"/events/{mixer.id}/edit",
        data=edit_data(mixer, title="旧标题", capacity="15", loaded_version=mine),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert snapshot(mixer.id) == before  # nothing saved, nothing audited
    assert "after you opened this form" in html
    assert 'id="current-values"' in html and "协办人的标题" in html
    assert 'value="15"' in html  # the organizer's own entry is kept

    refreshed = re.search(r'name="loaded_version" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        f"/events/{mixer.id}/edit",
        data=edit_data(mixer, title="旧标题", capacity="15", loaded_version=refreshed),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, mixer.id).capacity == 15


def test_two_saves_in_one_clock_tick_still_get_different_versions(client, mixer, clock):
    first = loaded_version(client, mixer.id)
    client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, title="一", loaded_version=first))
    second = loaded_version(client, mixer.id)
    assert second != first  # the test clock is frozen: the stamp still moves on
    response = client.post(
        f"/events/{mixer.id}/edit", data=edit_data(mixer, title="二", loaded_version=first)
    )
    assert response.status_code == 409


def test_co_hosts_are_saved_audited_and_shown_by_name(client, mixer):
    data = edit_data(mixer, co_hosts="  中国商业联合会、山东省总工会 ")
    assert client.post(f"/events/{mixer.id}/edit", data=data).status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, mixer.id)
    assert event.co_hosts == "中国商业联合会、山东省总工会"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "event.update")
    ).one()
    assert entry.detail == "Co-hosts:  → 中国商业联合会、山东省总工会"
    html = client.get(f"/events/{mixer.id}").get_data(as_text=True)
    assert f"{event.organization.name}; co-hosted by 中国商业联合会、山东省总工会" in html


def test_too_long_co_hosts_are_refused_beside_the_field(client, mixer):
    before = snapshot(mixer.id)
    response = client.post(f"/events/{mixer.id}/edit", data=edit_data(mixer, co_hosts="会" * 201))
    assert response.status_code == 400
    assert errors_beside(response.get_data(as_text=True), "co_hosts")
    assert snapshot(mixer.id) == before
