"""A member's own data: the download, and deleting the account, through the real app."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from eventsite.accounts import rules
from eventsite.accounts.models import SignedInDevice, User
from eventsite.core import audit
from eventsite.core.models import AuditEntry, Notification
from eventsite.core.time import utcnow
from eventsite.events.models import EventKind, Registration, RegistrationStatus
from eventsite.extensions import db
from eventsite.mixers.models import Mark
from eventsite.privacy import erasure
from eventsite.sms.models import SmsMessage, SmsStatus
from tests.competition_factories import fill_all, make_contest
from tests.factories import PASSWORD, make_event, make_registration, make_user

S = RegistrationStatus


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    @app.before_request
    def forget():
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)


def test_the_download_holds_the_members_data_and_nothing_of_who_marked_them(client, auth):
    member = make_user(name="吴晓明", email="wu@example.cn")
    other = make_user(name="李小红", gender="female")
    event = make_event(kind=EventKind.MIXER, title="皖工鹊桥", starts_in=timedelta(days=-2))
    make_registration(event, member, checked_in_at=utcnow() - timedelta(days=2))
    make_registration(event, other, checked_in_at=utcnow() - timedelta(days=2))
    # The other attendee marked the member; the member marked nobody.
    db.session.add(Mark(event_id=event.id, marker_id=other.id, marked_id=member.id))
    db.session.add(Notification(user_id=member.id, subject="报名成功", body="您已报名"))
    db.session.add(
        SmsMessage(
            user_id=member.id, mobile=member.mobile, kind="reminder", body="【职工活动】明天见"
        )
    )
    db.session.commit()
    auth.become(member)

    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    data = response.json
    assert "吴晓明" in text and member.mobile in text and "wu@example.cn" in text
    assert "皖工鹊桥" in text and "报名成功" in text and "明天见" in text
    assert other.name not in text and other.mobile not in text
    assert len(data) == 10  # every section, labelled


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "DATA_EXPORT_RATE_LIMIT": "2 per hour"}]
)
def test_the_download_is_rate_limited(client, auth):
    member = make_user()
    db.session.commit()
    auth.become(member)
    assert [client.get("/account/data.json").status_code for _ in range(3)] == [200, 200, 429]


def test_deleting_needs_the_password_and_changes_nothing_without_it(client, auth):
    member = make_user(name="吴晓明")
    db.session.commit()
    auth.become(member)
    page = client.get("/account/delete").text
    assert "/account/data.json" in page
    response = client.post("/account/delete", data={"password": "wrong-one-1"})
    assert response.status_code == 400
    db.session.refresh(member)
    assert member.name == "吴晓明" and member.active


def test_deleting_erases_the_member_cancels_through_the_engine_and_keeps_the_record(
    app, client, auth
):
    member = make_user(name="吴晓明", email="wu@example.cn")
    waiting = make_user(name="候补者")
    upcoming = make_event(capacity=1)
    held = make_registration(upcoming, member)
    queued = make_registration(upcoming, waiting, status=S.WAITLISTED)
    past = make_event(starts_in=timedelta(days=-3))
    attended = make_registration(past, member, checked_in_at=utcnow() - timedelta(days=3))
    db.session.add(Notification(user_id=member.id, subject="报名成功"))
    db.session.add(SmsMessage(user_id=member.id, mobile=member.mobile, kind="reminder", body="x"))
    with app.test_request_context():
        audit.record("role.grant", detail=f"organizer: 吴晓明 ({member.mobile})")
    db.session.commit()
    auth.become(member)
    auth.become(member)  # a second device
    old_mobile = member.mobile

    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert member.name != "吴晓明" and member.email is None and member.work_unit == ""
    assert member.mobile == erasure.placeholder_mobile(member.id)
    assert not rules.is_mainland_mobile(member.mobile)
    assert not member.active and member.deleted_at is not None
    assert not member.check_password(PASSWORD)
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(SignedInDevice.user_id == member.id))
        == 0
    )
    # The open registration is cancelled through the engine: the waitlist moved up.
    assert db.session.get(Registration, held.id).status == S.CANCELLED
    assert db.session.get(Registration, queued.id).status == S.CONFIRMED
    # The past event's record stays, pointing at the emptied account.
    kept = db.session.get(Registration, attended.id)
    assert kept.status == S.CONFIRMED and kept.checked_in_at is not None
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == member.id)) == 0
    )
    sms = db.session.scalar(sa.select(SmsMessage).where(SmsMessage.kind == "reminder"))
    assert sms.mobile != old_mobile and sms.body == "" and sms.user_id is None
    assert sms.status == SmsStatus.WITHDRAWN
    details = db.session.scalars(sa.select(AuditEntry.detail)).all()
    assert not any(old_mobile in d or "吴晓明" in d for d in details)
    assert "account.delete" in db.session.scalars(sa.select(AuditEntry.action)).all()
    # Signed out: this browser and the other device.
    assert client.get("/account").status_code == 302
    # The number is free: it signs up afresh, and the old password signs nobody in.
    assert (
        client.post("/login", data={"mobile": old_mobile, "password": PASSWORD}).status_code == 400
    )


def test_the_only_administrator_may_not_delete_the_account(client, auth):
    admin = make_user(roles=["admin"])
    db.session.commit()
    auth.become(admin)
    assert "/account/delete" not in client.get("/account/delete").text.split("<form")[-1]
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    db.session.refresh(admin)
    assert admin.active and admin.deleted_at is None
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active)) == 1


def test_published_results_keep_the_deleted_contestant_without_their_name(client, auth):
    contest = make_contest(min_judges=1)
    fill_all(contest, lambda j, c: [str(10 - c), str(20 - 2 * c)])
    contest.round.published_at = utcnow() - timedelta(hours=1)
    contestant = contest.everyone()[0]
    member = contestant.user
    real_name = member.name
    db.session.commit()
    event_id = contest.event.id
    assert real_name in client.get(f"/competitions/{event_id}/results").text

    auth.become(member)
    download = client.get("/account/data.json").get_data(as_text=True)
    assert contest.round.name in download and "专业知识" in download
    # Judges are numbered, not named: none of their accounts shows.
    assert not any(judge.mobile in download for judge in contest.judges)
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302

    # The published registration stays as the record (the engine refused to cancel it) and
    # the results page shows the place without the name.
    db.session.expire_all()
    assert db.session.get(Registration, contestant.id).status == S.CONFIRMED
    page = client.get(f"/competitions/{event_id}/results").text
    assert real_name not in page
    assert str(erasure.DELETED_NAME) in page or "已注销会员" in page


def test_the_audit_log_shows_a_deleted_actor_as_a_deleted_member(app, client, auth):
    admin = make_user(roles=["admin"])
    member = make_user(name="吴晓明")
    db.session.commit()
    auth.become(member)
    client.post("/account/delete", data={"password": PASSWORD})
    auth.become(admin)
    page = client.get("/admin/audit").text
    assert "已注销会员" in page and "吴晓明" not in page


def test_the_mixer_part_is_the_members_own_and_deletion_removes_it_both_ways(client, auth):
    from eventsite.mixers import service as mixers
    from eventsite.mixers.models import Mark, MixerProfile

    member = make_user(name="吴晓明")
    admirer = make_user(name="李小红", gender="female")
    liked = make_user(name="张小芳", gender="female")
    event = make_event(kind=EventKind.MIXER, title="皖工鹊桥", starts_in=timedelta(days=-2))
    numbers = {}
    for person, nickname in ((member, "晓明"), (admirer, "小红"), (liked, "小芳")):
        registration = make_registration(event, person, checked_in_at=utcnow() - timedelta(days=2))
        profile = mixers.assign_number(registration)
        profile.nickname = nickname
        registration.single_declared_at = utcnow() - timedelta(days=2)
        numbers[person.id] = profile.number
    db.session.add(Mark(event_id=event.id, marker_id=member.id, marked_id=liked.id))
    db.session.add(Mark(event_id=event.id, marker_id=admirer.id, marked_id=member.id))
    db.session.commit()
    auth.become(member)

    (mixer,) = client.get("/account/data.json").json["鹊桥联谊"]
    assert mixer[0] == ["联谊活动", "皖工鹊桥"]
    marks = next(value for label, value in mixer if "标记" in label)
    assert marks == str(numbers[liked.id])  # their own mark
    # Never who marked them: neither the admirer's nickname nor their number is in any row.
    values = [str(value) for _label, value in mixer]
    assert "小红" not in values and str(numbers[admirer.id]) not in values

    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark)) == 0
    profile = db.session.scalar(sa.select(MixerProfile).where(MixerProfile.user_id == member.id))
    assert profile.nickname == "" and profile.card is None


def test_a_deleted_account_cannot_be_given_a_role(client, auth):
    admin = make_user(roles=["admin"])
    member = make_user()
    db.session.commit()
    auth.become(member)
    client.post("/account/delete", data={"password": PASSWORD})
    auth.become(admin)
    response = client.post(f"/admin/users/{member.id}/grant", data={"role": "organizer"})
    assert response.status_code == 400
    db.session.expire_all()
    assert not member.role_grants


def test_the_download_holds_sports_meet_results_and_the_texts_status(client, auth):
    from decimal import Decimal

    from eventsite.sportsmeet.models import Entry, EntryMember, Heat, Item, Result

    member = make_user()
    meet = make_event(kind=EventKind.SPORTSMEET, teams=["站前一队"], title="趣味运动会")
    registration = make_registration(meet, member, team_id=meet.teams[0].id)
    item = Item(event_id=meet.id, name="毛毛虫竞速", result_type="time")
    db.session.add(item)
    db.session.flush()
    entry = Entry(item_id=item.id, team_id=meet.teams[0].id)
    entry.members = [EntryMember(registration_id=registration.id)]
    heat = Heat(item_id=item.id, number=1)
    db.session.add_all([entry, heat])
    db.session.flush()
    db.session.add(Result(heat_id=heat.id, entry_id=entry.id, value=Decimal("35.200")))
    db.session.add(
        SmsMessage(
            user_id=member.id,
            mobile=member.mobile,
            kind="reminder",
            body="x",
            status=SmsStatus.SENT,
        )
    )
    db.session.commit()
    auth.become(member)

    data = client.get("/account/data.json").json
    (shown,) = data["运动会成绩"]
    assert shown["项目"] == "毛毛虫竞速" and shown["队伍"] == "站前一队"
    assert shown["成绩"][0]["成绩"] == "35.2"
    assert data["短信"][0]["状态"] == "已发送"


def test_the_download_never_shows_a_verification_code(client, auth):
    """A code for a new number went to that number's phone: reading it in one's own download
    would prove a number one does not hold."""
    from eventsite.sms.rules import SmsKind
    from eventsite.sms.service import queue_sms

    member = make_user()
    queue_sms("13912345678", SmsKind.CODE, {"code": "482916", "minutes": 5}, user=member)
    db.session.commit()
    auth.become(member)
    download = client.get("/account/data.json")
    (text,) = download.json["短信"]
    assert "482916" not in download.get_data(as_text=True)
    assert "******" in str(text)
