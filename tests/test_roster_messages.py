"""Roster messages through the app: the recipients are the roster as filtered (every page), the
preview counts texts and segments, the daily limit, the audit line, a changed set of recipients,
quiet hours; team leaders and captains message their own team only."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from eventsite.competitions.models import TeamLeader
from eventsite.core.models import AuditEntry, Notification
from eventsite.events.models import EventKind, RegistrationStatus, RosterMessage
from eventsite.extensions import db
from eventsite.sms.models import SmsMessage
from eventsite.sportsmeet.models import Captain
from tests.factories import make_event, make_outside_organizer, make_registration, make_user

S = RegistrationStatus


@pytest.fixture
def app_config():
    # Two rows a page: the messages must reach every page of the filtered roster.
    return {"ROSTER_PAGE_SIZE": 2, "SMS_SIGN_NAME": "职工活动"}


@pytest.fixture
def contest(app, clock):
    """A competition of two teams and two tracks; members in every status, some checked in."""
    organizer = make_user(roles=["organizer"], name="组织者")
    event = make_event(
        organizer=organizer,
        kind=EventKind.COMPETITION,
        title="测试活动",
        teams=["山东队", "江苏队"],
        tracks=["英语", "日语"],
        capacity=50,
    )
    shandong, jiangsu = event.teams
    english, japanese = event.tracks
    people = {}

    def add(name, status=S.CONFIRMED, team=shandong, track=english, checked_in=False):
        user = make_user(name=name)
        registration = make_registration(
            event, user, status=status, team_id=team.id, track_id=track.id
        )
        if checked_in:
            registration.checked_in_at = clock.now
        people[name] = user
        return user

    add("甲", checked_in=True)
    add("乙")
    add("丙", track=japanese, checked_in=True)
    add("丁", team=jiangsu)
    add("戊", team=jiangsu, track=japanese, checked_in=True)
    add("己", status=S.WAITLISTED)
    add("庚", status=S.CANCELLED, team=jiangsu)
    add("辛", status=S.PENDING, track=japanese)
    db.session.commit()
    return organizer, event, people


def recipients_of(event) -> set[str]:
    """Names of the members the event's messages reached (their inbox)."""
    from eventsite.accounts.models import User

    return set(
        db.session.scalars(
            sa.select(User.name).join(Notification, Notification.user_id == User.id).distinct()
        )
    )


def send(client, event, args: str, text: str = "明早八点集合", by_sms: bool = True):
    """Preview, then send as the preview says; returns the preview page and the send's answer."""
    data = {"text": text, "by_sms": "y" if by_sms else ""}
    preview = client.post(f"/events/{event.id}/roster/message{args}", data=data)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', preview.text).group(1)
    sent = client.post(
        f"/events/{event.id}/roster/message/send{args}", data={**data, "previewed": previewed}
    )
    return preview, sent


def count(page, name: str) -> int:
    return int(re.search(rf'id="{name}">(\d+)<', page.text).group(1))


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ("", {"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"}),
        ("?status=confirmed", {"甲", "乙", "丙", "丁", "戊"}),
        ("?status=waitlisted", {"己"}),
        ("?team_id={jiangsu}", {"丁", "戊", "庚"}),
        ("?team_id={shandong}&status=confirmed", {"甲", "乙", "丙"}),
        ("?track_id={japanese}", {"丙", "戊", "辛"}),
        ("?checked_in=yes", {"甲", "丙", "戊"}),
        ("?checked_in=no&status=confirmed", {"乙", "丁"}),
        ("?team_id={shandong}&track_id={japanese}&checked_in=yes", {"丙"}),
        ("?q=丁", {"丁"}),
    ],
)
def test_the_message_reaches_exactly_the_filtered_roster(client, auth, contest, args, names):
    organizer, event, _people = contest
    shandong, jiangsu = event.teams
    args = args.format(shandong=shandong.id, jiangsu=jiangsu.id, japanese=event.tracks[1].id)
    auth.become(organizer)
    # The roster page lists the same members (over its pages of two rows).
    roster = client.get(f"/events/{event.id}/roster{args}")
    assert f"共 {len(names)} 条" in roster.text
    preview, sent = send(client, event, args)
    assert count(preview, "recipient-count") == len(names)
    assert sent.status_code == 303
    assert recipients_of(event) == names
    texted = set(db.session.scalars(sa.select(SmsMessage.user_id)))
    assert len(texted) == len(names)


def test_the_roster_page_links_the_message_with_its_filters(client, auth, contest):
    organizer, event, _people = contest
    auth.become(organizer)
    page = client.get(f"/events/{event.id}/roster?status=confirmed&checked_in=yes")
    link = re.search(r'id="message-these" href="([^"]+)"', page.text).group(1)
    assert "status=confirmed" in link and "checked_in=yes" in link
    compose = client.get(link.replace("&amp;", "&"))
    assert compose.status_code == 200
    assert count(compose, "recipient-count") == 3
    assert "已确认" in compose.text and "已签到" in compose.text


def test_the_preview_counts_segments_with_signature_and_event_name(client, auth, contest):
    organizer, event, _people = contest
    auth.become(organizer)
    # 【职工活动】「测试活动」： is 13 characters: 57 more make 70, one segment; 58 make two.
    for length, segments in ((57, 1), (58, 2)):
        text = "通" * length
        page = client.post(
            f"/events/{event.id}/roster/message?status=confirmed",
            data={"text": text, "by_sms": "y"},
        )
        assert page.status_code == 200
        assert f"【职工活动】「测试活动」：{text}" in page.text
        assert count(page, "sms-count") == 5
        assert count(page, "segment-count") == 5 * segments
        assert f"含签名共 {13 + length} 个字，每人计费 {segments} 条短信" in page.text
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_without_sms_nobody_is_texted(client, auth, contest):
    organizer, event, people = contest
    auth.become(organizer)
    preview, sent = send(client, event, "?status=confirmed", by_sms=False)
    assert 'id="sms-count"' not in preview.text
    assert sent.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 0
    note = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == people["甲"].id)
    ).one()
    assert note.body == "明早八点集合"
    assert "测试活动" in note.subject
    row = db.session.scalars(sa.select(RosterMessage)).one()
    assert (row.recipients, row.sms_count, row.sms_segments, row.by_sms) == (5, 0, 0, False)
    assert row.team_id is None and row.author_id == organizer.id


def test_the_send_is_recorded_and_audited(client, auth, contest):
    organizer, event, _people = contest
    auth.become(organizer)
    _preview, sent = send(client, event, "?status=confirmed&checked_in=yes")
    assert sent.status_code == 303
    row = db.session.scalars(sa.select(RosterMessage)).one()
    assert (row.recipients, row.sms_count, row.sms_segments) == (3, 3, 3)
    assert "已确认" in row.audience and "已签到" in row.audience
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "roster.message")
    ).one()
    assert entry.actor_id == organizer.id and entry.event_id == event.id
    assert "3" in entry.detail and "明早八点集合" in entry.detail
    listing = client.get(f"/events/{event.id}/roster/messages")
    assert "明早八点集合" in listing.text and f'id="roster-message-{row.id}"' in listing.text


def test_the_daily_limit_counts_the_sites_day(client, auth, contest, clock):
    organizer, event, _people = contest
    auth.become(organizer)
    for number in range(3):
        assert send(client, event, "?status=confirmed", f"第{number}条")[1].status_code == 303
    refused = client.post(
        f"/events/{event.id}/roster/message?status=waitlisted", data={"text": "再来一条"}
    )
    assert refused.status_code == 409
    assert "今天已发送 3 条" in refused.text
    assert 'id="text-errors"' in refused.text
    assert db.session.scalar(sa.select(sa.func.count(RosterMessage.id))) == 3
    # 10:00 in Shanghai now; at midnight there a new day begins.
    clock.advance(hours=14)
    assert send(client, event, "?status=waitlisted")[1].status_code == 303


def test_a_send_past_the_limit_is_refused_too(client, auth, contest, app):
    organizer, event, _people = contest
    app.config["ROSTER_MESSAGES_PER_DAY"] = 1
    auth.become(organizer)
    data = {"text": "一", "by_sms": ""}
    page = client.post(f"/events/{event.id}/roster/message", data=data)
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', page.text).group(1)
    url = f"/events/{event.id}/roster/message/send"
    assert client.post(url, data={**data, "previewed": previewed}).status_code == 303
    again = client.post(url, data={"text": "二", "previewed": previewed})
    assert again.status_code == 409
    assert "已达每日上限" in again.text
    assert db.session.scalar(sa.select(sa.func.count(RosterMessage.id))) == 1


def test_a_second_press_of_send_sends_nothing_more(client, auth, contest, clock):
    organizer, event, _people = contest
    auth.become(organizer)
    data = {"text": "明早八点集合", "by_sms": "y"}
    page = client.post(f"/events/{event.id}/roster/message?status=confirmed", data=data)
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', page.text).group(1)
    url = f"/events/{event.id}/roster/message/send?status=confirmed"
    assert client.post(url, data={**data, "previewed": previewed}).status_code == 303
    clock.advance(minutes=2)
    again = client.post(url, data={**data, "previewed": previewed})
    assert again.status_code == 409
    assert "10:00" in again.text and "不会重复发送" in again.text
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 5
    assert db.session.scalar(sa.select(sa.func.count(SmsMessage.id))) == 5
    # The same text to other members, or to the same ones later, is a message of its own.
    assert send(client, event, "?status=waitlisted")[1].status_code == 303
    clock.advance(minutes=10)
    assert (
        client.post(f"/events/{event.id}/roster/message?status=confirmed", data=data).status_code
        == 200
    )


def test_an_empty_list_is_refused(client, auth, contest):
    organizer, event, _people = contest
    auth.become(organizer)
    page = client.post(f"/events/{event.id}/roster/message?status=rejected", data={"text": "你好"})
    assert page.status_code == 409
    assert "没有符合" in page.text
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_changed_recipients_show_a_new_preview_instead_of_sending(client, auth, contest):
    organizer, event, _people = contest
    auth.become(organizer)
    data = {"text": "你好", "by_sms": "y"}
    page = client.post(f"/events/{event.id}/roster/message?status=confirmed", data=data)
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', page.text).group(1)
    make_registration(event, make_user(name="新人"), team_id=event.teams[0].id)
    db.session.commit()
    again = client.post(
        f"/events/{event.id}/roster/message/send?status=confirmed",
        data={**data, "previewed": previewed},
    )
    assert again.status_code == 409
    assert 'id="changed"' in again.text
    assert count(again, "recipient-count") == 6
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    fresh = re.search(r'name="previewed" value="([0-9a-f]{64})"', again.text).group(1)
    assert fresh != previewed
    sent = client.post(
        f"/events/{event.id}/roster/message/send?status=confirmed",
        data={**data, "previewed": fresh},
    )
    assert sent.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 6


def test_quiet_hours_hold_the_texts_until_eight(client, auth, contest, clock):
    organizer, event, _people = contest
    auth.become(organizer)
    clock.now = clock.now.replace(hour=15)  # 23:00 in Shanghai
    preview, sent = send(client, event, "?status=waitlisted")
    assert 'id="quiet-hours"' in preview.text and "08:00" in preview.text
    assert sent.status_code == 303
    text = db.session.scalars(sa.select(SmsMessage)).one()
    assert text.send_after.hour == 0  # 08:00 in Shanghai
    assert text.send_after > clock.now


def test_the_text_is_bounded_and_required(client, auth, contest):
    organizer, event, _people = contest
    auth.become(organizer)
    url = f"/events/{event.id}/roster/message"
    assert client.post(url, data={"text": "  "}).status_code == 400
    too_long = client.post(url, data={"text": "长" * 301})
    assert too_long.status_code == 400 and 'id="text-errors"' in too_long.text
    assert client.post(url, data={"text": "长" * 300}).status_code == 200


def test_change_the_text_goes_back_with_it(client, auth, contest):
    organizer, event, _people = contest
    auth.become(organizer)
    page = client.post(
        f"/events/{event.id}/roster/message?status=confirmed",
        data={"text": "草稿", "by_sms": "y", "edit": "y"},
    )
    assert page.status_code == 200
    assert 'id="message-form"' in page.text and "草稿</textarea>" in page.text


def test_an_organizer_of_another_event_and_a_member_are_turned_away(client, auth, contest):
    _organizer, event, people = contest
    other = make_outside_organizer()
    db.session.commit()
    for user in (other, people["甲"]):
        auth.become(user)
        assert client.get(f"/events/{event.id}/roster/message").status_code == 403
        sent = client.post(
            f"/events/{event.id}/roster/message/send", data={"text": "x", "previewed": "0"}
        )
        assert sent.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


# --- team leaders and captains ----------------------------------------------------------------


def test_a_team_leader_messages_only_their_teams_confirmed_members(client, auth, contest):
    organizer, event, people = contest
    shandong, jiangsu = event.teams
    leader = make_user(name="领队")
    db.session.add(TeamLeader(team_id=shandong.id, user_id=leader.id))
    db.session.commit()
    auth.become(leader)
    detail = client.get(f"/events/{event.id}")
    assert f"/competitions/{event.id}/teams/{shandong.id}/message" in detail.text
    assert f"/competitions/{event.id}/teams/{jiangsu.id}/message" not in detail.text
    base = f"/competitions/{event.id}/teams/{shandong.id}/message"
    page = client.post(base, data={"text": "集合", "by_sms": "y"})
    assert page.status_code == 200
    assert count(page, "recipient-count") == 3
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', page.text).group(1)
    sent = client.post(f"{base}/send", data={"text": "集合", "by_sms": "y", "previewed": previewed})
    assert sent.status_code == 303
    assert recipients_of(event) == {"甲", "乙", "丙"}
    row = db.session.scalars(sa.select(RosterMessage)).one()
    assert row.team_id == shandong.id and row.author_id == leader.id
    assert db.session.scalars(
        sa.select(AuditEntry.actor_id).where(AuditEntry.action == "roster.message")
    ).all() == [leader.id]
    note = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == people["甲"].id)
    ).one()
    assert "领队" in note.subject and "山东队" in note.subject
    # Another team's page is refused, its send too, and nothing more is written.
    other = f"/competitions/{event.id}/teams/{jiangsu.id}/message"
    assert client.get(other).status_code == 403
    refused = client.post(f"{other}/send", data={"text": "集合", "previewed": previewed})
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(RosterMessage.id))) == 1


def test_a_team_has_its_own_daily_limit(client, auth, contest, app):
    organizer, event, _people = contest
    app.config["ROSTER_MESSAGES_PER_DAY"] = 1
    shandong = event.teams[0]
    leader = make_user(name="领队")
    db.session.add(TeamLeader(team_id=shandong.id, user_id=leader.id))
    db.session.commit()
    auth.become(organizer)
    assert send(client, event, "?status=confirmed")[1].status_code == 303
    auth.become(leader)
    base = f"/competitions/{event.id}/teams/{shandong.id}/message"
    page = client.post(base, data={"text": "一"})
    assert page.status_code == 200
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', page.text).group(1)
    assert (
        client.post(f"{base}/send", data={"text": "一", "previewed": previewed}).status_code == 303
    )
    refused = client.post(base, data={"text": "二"})
    assert refused.status_code == 409 and "这支队伍" in refused.text


def test_a_plain_member_cannot_message_a_team(client, auth, contest):
    _organizer, event, people = contest
    auth.become(people["甲"])
    base = f"/competitions/{event.id}/teams/{event.teams[0].id}/message"
    assert client.get(base).status_code == 403
    assert client.post(f"{base}/send", data={"text": "x", "previewed": "0"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_a_captain_messages_their_team_of_a_sports_meet(client, auth, app):
    organizer = make_user(roles=["organizer"])
    meet = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, teams=["站前队", "铁锋队"])
    home, away = meet.teams
    captain = make_user(name="队长")
    make_registration(meet, captain, team_id=home.id)
    mate = make_user(name="队员")
    make_registration(meet, mate, team_id=home.id)
    make_registration(meet, make_user(name="候补"), status=S.WAITLISTED, team_id=home.id)
    make_registration(meet, make_user(name="对手"), team_id=away.id)
    db.session.add(Captain(team_id=home.id, user_id=captain.id))
    db.session.commit()
    auth.become(captain)
    entries = client.get(f"/events/{meet.id}/meet/teams/{home.id}/entries")
    assert 'id="message-team"' in entries.text
    base = f"/events/{meet.id}/meet/teams/{home.id}/message"
    page = client.post(base, data={"text": "下午拔河"})
    assert count(page, "recipient-count") == 2
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', page.text).group(1)
    sent = client.post(f"{base}/send", data={"text": "下午拔河", "previewed": previewed})
    assert sent.status_code == 303
    assert recipients_of(meet) == {"队长", "队员"}
    assert client.get(f"/events/{meet.id}/meet/teams/{away.id}/message").status_code == 403
    assert "下午拔河" in client.get(base).text


def test_a_member_who_turned_roster_texts_off_is_not_texted_nor_counted(app, contest):
    """The member's choice per kind (`user.sms_choices`, read as `notify` reads it): the preview
    counts exactly the texts the send queues."""
    from eventsite.events import roster_messages
    from eventsite.events.roster import RosterFilters

    organizer, event, people = contest
    people["甲"].sms_choices = {"roster_message": False}
    people["乙"].sms_choices = {"event_reminder": False}
    audience = roster_messages.Audience(event, RosterFilters(status="confirmed"))
    with app.test_request_context():
        shown = roster_messages.preview(audience, "你好", True)
        assert (shown.recipients, shown.texted) == (5, 4)
        roster_messages.send(audience, "你好", True, actor=organizer, previewed=shown.fingerprint)
    texted = set(db.session.scalars(sa.select(SmsMessage.user_id)))
    assert len(texted) == 4 and people["甲"].id not in texted and people["乙"].id in texted
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 5
