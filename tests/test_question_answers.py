"""The member's side of registration questions through the pages: answering at registration,
refusals beside the question with nothing saved, per-choice stock decided under the event's
lock, editing until registration closes, the roster's columns and filter, exports with the
sensitive answers in full, the member's own data, and the retention purge."""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from werkzeug.datastructures import MultiDict

from eventsite.core.models import AuditEntry, Notification
from eventsite.events import service
from eventsite.events.models import EventKind, Registration, RegistrationStatus
from eventsite.extensions import db
from eventsite.questions import answers
from eventsite.questions.models import Answer, AnswerChoice
from tests.factories import PASSWORD, make_event, make_registration, make_user
from tests.question_factories import make_question

ID_NUMBER = "340202199001011234"
MASKED_ID = "34**************34"


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    @app.before_request
    def forget():
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)
        g.pop("registration_questions", None)


@pytest.fixture
def organizer(app, clock):
    return make_user(roles=["organizer"], name="组织者")


def text(response) -> str:
    return response.get_data(as_text=True)


def errors_beside(html: str, question_id: int) -> str:
    match = re.search(
        rf'<ul class="errors" id="q-{question_id}-errors"[^>]*>(.*?)</ul>', html, re.S
    )
    return match.group(1) if match else ""


def saved_answers() -> dict[int, dict[int, str]]:
    db.session.expire_all()
    found: dict[int, dict[int, str]] = {}
    for answer in db.session.scalars(sa.select(Answer)):
        found.setdefault(answer.registration_id, {})[answer.question_id] = answer.value
    return found


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Registration).order_by(Registration.id)))


def care_day(organizer, **fields):
    """The courier care day: a shirt with stock, a bus question with a conditional seat count,
    an ID number for the insurance (sensitive), a consent."""
    event = make_event(
        organizer=organizer, kind=EventKind.GENERAL, title="双十一快递小哥关爱行动", **fields
    )
    shirt = make_question(
        event, "single_choice", "T恤尺码", choices=[("M", 5), ("L", 1), "XL"], required=True
    )
    bus = make_question(event, "single_choice", "是否乘坐班车", choices=["是", "否"])
    seats = make_question(
        event,
        "number",
        "同行人数",
        min_value=1,
        max_value=2,
        shown_if=bus.choices[0],
        required=True,
    )
    id_number = make_question(event, "short_text", "身份证号", sensitive=True, required=True)
    consent = make_question(event, "consent", "同意购买活动保险", required=True)
    db.session.commit()
    return event, shirt, bus, seats, id_number, consent


def form_data(shirt, bus, seats, id_number, consent, *, size=0, on_bus=None, count=None, **extra):
    data = MultiDict(extra)
    data.add(f"q-{shirt.id}", str(shirt.choices[size].id))
    if on_bus is not None:
        data.add(f"q-{bus.id}", str(bus.choices[0 if on_bus else 1].id))
    if count is not None:
        data.add(f"q-{seats.id}", str(count))
    data.add(f"q-{id_number.id}", ID_NUMBER)
    data.add(f"q-{consent.id}", "yes")
    return data


# --- answering at registration -----------------------------------------------------------------


KIND_FIELDS = {
    EventKind.GENERAL: ({}, {}),
    EventKind.MIXER: ({}, {"single_declared": "y"}),
    EventKind.SPORTSMEET: ({"teams": ["站前社区"]}, {"team_id": "team"}),
    EventKind.COMPETITION: (
        {"teams": ["山东队"], "tracks": ["商务英语"]},
        {"team_id": "team", "track_id": "track"},
    ),
}


@pytest.mark.parametrize("kind", list(KIND_FIELDS))
def test_a_member_registers_with_answers_for_every_kind(client, auth, organizer, kind):
    event_fields, sent = KIND_FIELDS[kind]
    event = make_event(organizer=organizer, kind=kind, **event_fields)
    shirt = make_question(event, "single_choice", "T恤尺码", choices=[("M", 3), "L"], required=True)
    allergy = make_question(event, "long_text", "饮食禁忌")
    born = make_question(event, "date", "出生日期")
    member = make_user()
    db.session.commit()
    auth.become(member)

    page = text(client.get(f"/events/{event.id}"))
    assert f'name="q-{shirt.id}"' in page and "js/questions.js" in page
    data = {
        key: str(event.teams[0].id if value == "team" else event.tracks[0].id)
        if value in ("team", "track")
        else value
        for key, value in sent.items()
    }
    data |= {f"q-{shirt.id}": str(shirt.choices[0].id), f"q-{allergy.id}": "不吃辣\n海鲜过敏"}
    data[f"q-{born.id}"] = "1990-01-01"
    response = client.post(f"/events/{event.id}/register", data=data)

    assert response.status_code == 303, errors_beside(text(response), shirt.id)
    (registration,) = registrations()
    assert saved_answers()[registration.id] == {
        shirt.id: str(shirt.choices[0].id),
        allergy.id: "不吃辣\n海鲜过敏",
        born.id: "1990-01-01",
    }
    picks = db.session.scalars(sa.select(AnswerChoice.choice_id)).all()
    assert picks == [shirt.choices[0].id]
    # The event page now offers the member their answers.
    assert f"/events/{event.id}/my-answers" in text(client.get(f"/events/{event.id}"))
    # So does My events, for this event and not for one that asked nothing.
    plain = make_event(organizer=organizer, title="无问题的活动")
    make_registration(plain, member)
    db.session.commit()
    mine = text(client.get("/my/events"))
    assert f'href="/events/{event.id}/my-answers"' in mine
    assert f'id="my-answers-{event.id}"' in mine
    assert "无问题的活动" in mine and f"/events/{plain.id}/my-answers" not in mine


def test_a_refused_answer_is_shown_beside_its_question_and_nothing_is_saved(
    client, auth, organizer
):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    member = make_user()
    db.session.commit()
    auth.become(member)
    data = form_data(shirt, bus, seats, id_number, consent, on_bus=True, count=5)
    data.setlist(f"q-{consent.id}", [])

    response = client.post(f"/events/{event.id}/register", data=data)

    assert response.status_code == 400
    page = text(response)
    assert "请填写不大于 2 的数。" in errors_beside(page, seats.id)
    assert errors_beside(page, consent.id)
    assert errors_beside(page, shirt.id) == ""
    # The summary at the page's top names both refused answers and links to each.
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "请修改下面标出的 2 处" in summary
    assert re.findall(r'<a href="#([^"]+)">', summary) == [f"q-{seats.id}", f"q-{consent.id}"]
    assert "请填写不大于 2 的数。" in summary
    assert registrations() == [] and saved_answers() == {}
    assert db.session.scalars(sa.select(Notification)).all() == []
    # What was sent comes back, except the sensitive answer, which is never written into a page.
    assert f'value="{shirt.choices[0].id}" checked' in page
    assert ID_NUMBER not in page


def test_an_answer_to_a_hidden_question_is_ignored(client, auth, organizer):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    auth.become(make_user())
    # Not on the bus, yet a (refusable) seat count sent: the question is not asked, not kept.
    data = form_data(shirt, bus, seats, id_number, consent, on_bus=False, count=99)

    response = client.post(f"/events/{event.id}/register", data=data)

    assert response.status_code == 303
    (registration,) = registrations()
    kept = saved_answers()[registration.id]
    assert seats.id not in kept and kept[bus.id] == str(bus.choices[1].id)
    assert kept[id_number.id] == ID_NUMBER and kept[consent.id] == "yes"


def test_the_last_shirt_goes_to_one_member_and_the_next_is_refused(client, auth, organizer):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    first, second = make_user(), make_user()
    db.session.commit()
    auth.become(first)
    assert (
        client.post(
            f"/events/{event.id}/register",
            data=form_data(shirt, bus, seats, id_number, consent, size=1),
        ).status_code
        == 303
    )

    auth.become(second)
    page = text(client.get(f"/events/{event.id}"))
    large = shirt.choices[1].id
    assert f'value="{large}" disabled' in page and "（已满）" in page
    forced = client.post(
        f"/events/{event.id}/register",
        data=form_data(shirt, bus, seats, id_number, consent, size=1),
    )
    assert forced.status_code == 400
    assert "该选项名额已满，请另选。" in errors_beside(text(forced), shirt.id)
    assert [r.user_id for r in registrations()] == [first.id]

    # The first member cancels: their pick no longer counts, and the shirt is free again.
    auth.become(first)
    assert client.post(f"/events/{event.id}/cancel-registration").status_code == 303
    auth.become(second)
    again = client.post(
        f"/events/{event.id}/register",
        data=form_data(shirt, bus, seats, id_number, consent, size=1),
    )
    assert again.status_code == 303
    assert answers.stock_taken([large]) == {large: 1}


def test_stock_is_decided_again_under_the_events_lock(app, organizer):
    """A member read the stock while the last shirt was free; another took it before the first
    got the lock: the engine refuses beside the question and writes nothing."""
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    late, quick = make_user(), make_user()
    data = form_data(shirt, bus, seats, id_number, consent, size=1)
    with app.test_request_context():
        asked_late = answers.on_form(event, late, data)
        assert asked_late.ok
        asked_quick = answers.on_form(event, quick, data)
        registration = service.register(event, quick, answers_check=asked_quick.check_stock)
        asked_quick.save(registration)
        with pytest.raises(service.RegistrationError) as refused:
            service.register(event, late, answers_check=asked_late.check_stock)
        assert refused.value.field == f"q-{shirt.id}"
        assert asked_late.shows(refused.value) and shirt.choices[1].id in asked_late.full
    db.session.rollback()


# --- editing until registration closes ----------------------------------------------------------


def test_a_member_edits_their_answers_until_registration_closes(client, auth, organizer, clock):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    member = make_user()
    db.session.commit()
    auth.become(member)
    client.post(
        f"/events/{event.id}/register", data=form_data(shirt, bus, seats, id_number, consent)
    )
    (registration,) = registrations()

    page = text(client.get(f"/events/{event.id}/my-answers"))
    assert f'value="{shirt.choices[0].id}" checked' in page
    # The sensitive answer is shown masked, never in full, and its field is blank.
    assert MASKED_ID in page and ID_NUMBER not in page

    # Change the size and go on the bus; leave the ID number blank: it is kept.
    change = MultiDict(
        [
            (f"q-{shirt.id}", str(shirt.choices[2].id)),
            (f"q-{bus.id}", str(bus.choices[0].id)),
            (f"q-{seats.id}", "2"),
            (f"q-{consent.id}", "yes"),
        ]
    )
    assert client.post(f"/events/{event.id}/my-answers", data=change).status_code == 303
    kept = saved_answers()[registration.id]
    assert kept[shirt.id] == str(shirt.choices[2].id) and kept[seats.id] == "2"
    assert kept[id_number.id] == ID_NUMBER

    # A refused change saves nothing.
    change.setlist(f"q-{seats.id}", ["0"])
    refused = client.post(f"/events/{event.id}/my-answers", data=change)
    assert refused.status_code == 400 and errors_beside(text(refused), seats.id)
    assert saved_answers()[registration.id][seats.id] == "2"

    # Re-entering the ID number changes it.
    change.setlist(f"q-{seats.id}", ["1"])
    change.setlist(f"q-{id_number.id}", ["340202199202022222"])
    assert client.post(f"/events/{event.id}/my-answers", data=change).status_code == 303
    assert saved_answers()[registration.id][id_number.id] == "340202199202022222"

    # Registration closes: the answers are read-only.
    clock.now = event.registration_closes_at + timedelta(minutes=1)
    page = text(client.get(f"/events/{event.id}/my-answers"))
    assert 'id="answers-read-only"' in page and "<form" not in page.split('id="my-answers"')[1]
    assert "XL" in page and "34**************22" in page
    late = client.post(f"/events/{event.id}/my-answers", data=change)
    assert late.status_code == 400
    assert saved_answers()[registration.id][seats.id] == "1"


def test_the_member_keeps_their_own_pick_of_the_last_shirt_when_editing(client, auth, organizer):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    auth.become(make_user())
    client.post(
        f"/events/{event.id}/register",
        data=form_data(shirt, bus, seats, id_number, consent, size=1),
    )
    page = text(client.get(f"/events/{event.id}/my-answers"))
    assert f'value="{shirt.choices[1].id}" checked' in page
    same = form_data(shirt, bus, seats, id_number, consent, size=1)
    assert client.post(f"/events/{event.id}/my-answers", data=same).status_code == 303


def test_only_a_member_with_an_active_registration_has_answers(client, auth, organizer):
    event, *_questions = care_day(organizer)
    stranger = make_user()
    db.session.commit()
    auth.become(stranger)
    assert client.get(f"/events/{event.id}/my-answers").status_code == 404
    assert client.post(f"/events/{event.id}/my-answers", data={}).status_code == 404


# --- the roster and its exports -----------------------------------------------------------------


def registered_members(event, shirt, bus, seats, id_number, consent):
    """Two members with answers, one without any."""
    members = [make_user(name=name) for name in ("王芳", "李强", "张伟")]
    first = make_registration(event, members[0])
    second = make_registration(event, members[1])
    make_registration(event, members[2])
    from eventsite.questions import rules

    specs = answers.registration_questions(event.id)
    for registration, size, on_bus in ((first, 0, True), (second, 2, False)):
        raw = {
            shirt.id: [str(shirt.choices[size].id)],
            bus.id: [str(bus.choices[0 if on_bus else 1].id)],
            seats.id: ["1"],
            id_number.id: [ID_NUMBER],
            consent.id: ["yes"],
        }
        from eventsite.questions import forms

        reading = rules.read_answers(forms.specs_of(specs), raw)
        assert reading.ok
        answers.save_answers(registration, specs, reading)
    db.session.commit()
    return members


def test_the_roster_shows_a_column_per_question_masked_and_filters_by_a_choice(
    client, auth, organizer
):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    registered_members(event, shirt, bus, seats, id_number, consent)
    auth.become(organizer)

    page = text(client.get(f"/events/{event.id}/roster"))
    for label in ("T恤尺码", "是否乘坐班车", "同行人数", "身份证号", "同意购买活动保险"):
        assert f'<th scope="col" class="question-column">{label}</th>' in page
    assert MASKED_ID in page and ID_NUMBER not in page
    assert f'data-question="{consent.id}">是<' in page

    xl = client.get(f"/events/{event.id}/roster?answer=c{shirt.choices[2].id}")
    assert "李强" in text(xl) and "王芳" not in text(xl) and "张伟" not in text(xl)
    unanswered = text(client.get(f"/events/{event.id}/roster?answer=n{id_number.id}"))
    assert "张伟" in unanswered and "王芳" not in unanswered
    # A filter naming another event's choice, or nonsense, is refused beside the field.
    assert client.get(f"/events/{event.id}/roster?answer=c999999").status_code == 400
    assert client.get(f"/events/{event.id}/roster?answer=x%00").status_code == 400


def test_the_export_has_the_sensitive_answer_in_full_and_is_audited(client, auth, organizer):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    registered_members(event, shirt, bus, seats, id_number, consent)
    auth.become(organizer)

    response = client.get(f"/events/{event.id}/roster.csv?answer=c{shirt.choices[0].id}")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[-5:] == ["T恤尺码", "是否乘坐班车", "同行人数", "身份证号", "同意购买活动保险"]
    assert rows == [[*rows[0][:-5], "M", "是", "1", ID_NUMBER, "是"]]
    assert client.get(f"/events/{event.id}/roster.xlsx").status_code == 200
    details = db.session.scalars(
        sa.select(AuditEntry.detail).where(AuditEntry.action == "roster.export")
    ).all()
    assert len(details) == 2 and not any(ID_NUMBER in detail for detail in details)


# --- sensitive answers: logs, the member's data, deletion, retention ----------------------------


def test_a_sensitive_answer_reaches_no_log_notice_or_audit_entry(client, auth, organizer, caplog):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    member = make_user()
    db.session.commit()
    with caplog.at_level(logging.DEBUG):
        auth.become(member)
        # Refused once (a consent missing), then accepted, then edited, then exported.
        refused = form_data(shirt, bus, seats, id_number, consent)
        refused.setlist(f"q-{consent.id}", [])
        client.post(f"/events/{event.id}/register", data=refused)
        client.post(
            f"/events/{event.id}/register", data=form_data(shirt, bus, seats, id_number, consent)
        )
        client.post(
            f"/events/{event.id}/my-answers",
            data=form_data(shirt, bus, seats, id_number, consent, size=2),
        )
        auth.become(organizer)
        client.get(f"/events/{event.id}/roster.csv")
    assert ID_NUMBER not in caplog.text
    notices = db.session.scalars(sa.select(Notification)).all()
    assert notices and not any(ID_NUMBER in (n.subject + (n.body or "")) for n in notices)
    entries = db.session.scalars(sa.select(AuditEntry.detail)).all()
    assert not any(ID_NUMBER in (detail or "") for detail in entries)


def test_the_members_own_data_has_their_answers_in_full_and_deletion_removes_them(
    client, auth, organizer
):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    member = make_user()
    db.session.commit()
    auth.become(member)
    client.post(
        f"/events/{event.id}/register", data=form_data(shirt, bus, seats, id_number, consent)
    )
    download = text(client.get("/account/data.json"))
    assert ID_NUMBER in download and "身份证号" in download and "T恤尺码" in download

    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code in (302, 303), text(response)
    assert saved_answers() == {}
    assert db.session.scalars(sa.select(AnswerChoice)).all() == []


@pytest.mark.parametrize("app_config", [{"SENSITIVE_ANSWER_RETENTION_DAYS": 10}])
def test_the_retention_job_deletes_sensitive_answers_after_the_set_days(
    app, organizer, clock, app_config
):
    from eventsite import scheduler

    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    registered_members(event, shirt, bus, seats, id_number, consent)
    before = saved_answers()

    clock.now = event.ends_at + timedelta(days=10) - timedelta(minutes=1)
    assert scheduler.run_notices(clock.now).sensitive_answers == 0
    assert saved_answers() == before

    clock.now = event.ends_at + timedelta(days=10)
    assert scheduler.run_notices(clock.now).sensitive_answers == 2
    after = saved_answers()
    assert all(id_number.id not in kept for kept in after.values())
    for registration_id, kept in before.items():
        assert after[registration_id] == {
            question_id: value for question_id, value in kept.items() if question_id != id_number.id
        }
    # A second run (or a second scheduler) deletes nothing more.
    assert scheduler.run_notices(clock.now).sensitive_answers == 0
    assert saved_answers() == after


def test_the_retention_setting_is_known_to_the_config_check(app):
    from eventsite import config_check

    assert "SENSITIVE_ANSWER_RETENTION_DAYS" in config_check.known_settings()
    assert app.config["SENSITIVE_ANSWER_RETENTION_DAYS"] == 30
    findings, _config = config_check.settings_findings(
        {"SECRET_KEY": "s" * 64, "SENSITIVE_ANSWER_RETENTION_DAYS": "0"}
    )
    assert [f.subject for f in findings if f.subject == "SENSITIVE_ANSWER_RETENTION_DAYS"]
    findings, _config = config_check.settings_findings(
        {"SECRET_KEY": "s" * 64, "SENSITIVE_ANSWER_RETENTION_DAYS": "45"}
    )
    assert not [f for f in findings if f.subject == "SENSITIVE_ANSWER_RETENTION_DAYS"]


def test_a_registration_status_decides_what_stock_it_takes(app, organizer):
    event, shirt, bus, seats, id_number, consent = care_day(organizer)
    members = registered_members(event, shirt, bus, seats, id_number, consent)
    medium = shirt.choices[0].id
    assert answers.stock_taken([medium]) == {medium: 1}
    registration = service.find_registration(event.id, members[0].id)
    for status, counted in [
        (RegistrationStatus.WAITLISTED, 1),
        (RegistrationStatus.PENDING, 1),
        (RegistrationStatus.REJECTED, 0),
        (RegistrationStatus.CANCELLED, 0),
    ]:
        registration.status = status
        db.session.flush()
        assert answers.stock_taken([medium]) == {medium: counted}, status


def test_a_sensitive_choice_is_masked_on_screens_and_offers_no_filter(app, organizer):
    event = make_event(organizer=organizer, kind=EventKind.GENERAL)
    health = make_question(
        event, "single_choice", "健康状况", choices=["良好", "需关照"], sensitive=True
    )
    plain = make_question(event, "single_choice", "班车", choices=["是", "否"])
    with app.test_request_context():
        stored = str(health.choices[1].id)
        assert answers.answer_text(health, stored, in_full=False) == "***"
        assert answers.answer_text(health, stored, in_full=True) == "需关照"
        filters = dict(answers.RegistrationQuestions().answer_filters(event))
    assert f"c{plain.choices[0].id}" in filters
    assert not any(value == f"c{choice.id}" for choice in health.choices for value in filters)
    assert f"a{health.id}" in filters and f"n{health.id}" in filters
