"""The exchange's pages through the test client: profile form, marking (instant save and plain
form), results, introductions, safety, organizer pages, downloads and deletion."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from eventsite.core.time import format_local, utcnow
from eventsite.extensions import db
from eventsite.mixers import service
from eventsite.mixers.models import Block, IntroductionRequest, Mark, Match, MixerSettings, Report
from tests.factories import make_registration, make_user
from tests.mixer_factories import attend, check_in, make_mixer, mark, number_of, set_up


@pytest.fixture
def trio(app, clock):
    """An open mixer: a man and two women, all with cards; committed."""
    mixer = make_mixer()
    man = attend(mixer, gender="male", nickname="阿宇", phone="17711112222")
    woman = attend(mixer, gender="female", nickname="小林", wechat="lin_wx", phone="")
    third = attend(mixer, gender="female", nickname="小周")
    db.session.commit()
    return mixer, man, woman, third


def url(mixer, page=""):
    return f"/events/{mixer.event.id}/mixer{page}"


def close(clock, mixer):
    clock.now = service.window_of(mixer.event).closes_at + timedelta(minutes=1)


# --- Profile ------------------------------------------------------------------------------------


def test_the_profile_form_saves_a_card_with_its_consents(app, client, auth, clock):
    mixer = make_mixer()
    member = attend(mixer, gender="male", ready=False)
    db.session.commit()
    auth.become(member)
    page = client.get(url(mixer, "/profile"))
    assert page.status_code == 200
    assert 'name="release_card"' in page.text and 'name="single_declared"' in page.text
    response = client.post(
        url(mixer, "/profile"),
        data={
            "nickname": "晓宇",
            "introduction": "喜欢羽毛球",
            "single_declared": "y",
            "wechat": "wxy_2026",
            "release_card": "y",
        },
    )
    assert response.status_code == 303
    profile = service.profile_of(mixer.event, member.id)
    assert (profile.nickname, profile.card.wechat) == ("晓宇", "wxy_2026")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"nickname": "", "phone": "17700000000", "release_card": "y"}, "nickname"),
        ({"nickname": "晓宇", "release_card": "y"}, "phone"),
        ({"nickname": "晓宇", "email": "not-an-email"}, "email"),
        ({"nickname": "晓宇", "introduction": "长" * 201}, "introduction"),
    ],
)
def test_bad_profile_input_is_refused_beside_the_field(app, client, auth, clock, data, field):
    mixer = make_mixer()
    member = attend(mixer, gender="male", ready=False)
    db.session.commit()
    auth.become(member)
    response = client.post(url(mixer, "/profile"), data={"single_declared": "y", **data})
    assert response.status_code == 400
    assert f'id="{field}-errors"' in response.text
    assert service.profile_of(mixer.event, member.id).card is None


def test_only_attendees_open_the_exchange(app, client, auth, clock, trio):
    mixer, man, *_ = trio
    registered_only = make_user()
    make_registration(mixer.event, registered_only)
    db.session.commit()
    auth.become(registered_only)
    assert client.get(url(mixer, "/mark")).status_code == 403
    auth.become(mixer.organizer)
    assert client.get(url(mixer, "/mark")).status_code == 403
    auth.logout()
    assert client.get(url(mixer, "/mark")).status_code == 302


# --- Marking ------------------------------------------------------------------------------------


def test_the_marking_page_lists_the_other_gender_with_count_and_time_left(client, auth, trio):
    mixer, man, woman, third = trio
    mark(mixer, man, woman)
    db.session.commit()
    auth.become(man)
    page = client.get(url(mixer, "/mark")).text
    assert "小林" in page and "小周" in page and "阿宇" not in page.split("mark-list")[1]
    assert re.search(r'id="mark-count">1<', page)
    assert 'aria-pressed="true"' in page and 'aria-pressed="false"' in page
    assert re.search(r'class="time-left">[^<]*2[^<]*23', page)  # 2 days 23 hours left


def test_a_tap_saves_at_once_as_json(client, auth, trio):
    mixer, man, woman, _third = trio
    auth.become(man)
    response = client.post(
        url(mixer, "/mark"),
        data={"number": number_of(mixer, woman), "marked": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {"marked": True, "count": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark)) == 1
    response = client.post(
        url(mixer, "/mark"),
        data={"number": number_of(mixer, woman), "marked": "0"},
        headers={"Accept": "application/json"},
    )
    assert response.get_json() == {"marked": False, "count": 0}


def test_without_javascript_a_tap_is_a_form_post(client, auth, trio):
    mixer, man, woman, _third = trio
    auth.become(man)
    number = number_of(mixer, woman)
    response = client.post(url(mixer, "/mark"), data={"number": number, "marked": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/mark#p{number}")
    assert db.session.scalar(sa.select(Mark.marked_id)) == woman.id


def test_a_refused_mark_explains_and_changes_nothing(client, auth, clock, trio):
    mixer, man, woman, _third = trio
    close(clock, mixer)
    auth.become(man)
    response = client.post(
        url(mixer, "/mark"),
        data={"number": number_of(mixer, woman), "marked": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark)) == 0
    bad = client.post(url(mixer, "/mark"), data={"number": "x"})
    assert bad.status_code == 400


def test_marking_a_member_not_on_the_list_is_not_found(client, auth, trio):
    mixer, man, woman, _third = trio
    auth.become(woman)
    response = client.post(
        url(mixer, "/mark"),
        data={"number": 999, "marked": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 404


# --- Results ------------------------------------------------------------------------------------


def test_results_show_cards_to_matches_and_no_match_to_others(client, auth, clock, trio):
    mixer, man, woman, third = trio
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    mark(mixer, third, man)
    db.session.commit()
    auth.become(man)
    before = client.get(url(mixer, "/results")).text
    assert "lin_wx" not in before and "no-match" not in before
    close(clock, mixer)
    shown = client.get(url(mixer, "/results")).text
    matches = shown.split('class="match-list"')[1].split("</ul>")[0]
    assert "lin_wx" in matches and "小林" in matches and "小周" not in matches
    auth.become(woman)
    assert "17711112222" in client.get(url(mixer, "/results")).text
    auth.become(third)
    page = client.get(url(mixer, "/results")).text
    assert 'class="no-match"' in page and "17711112222" not in page and "lin_wx" not in page


def test_hiding_a_match_hides_the_card_for_both(client, auth, clock, trio):
    mixer, man, woman, _third = trio
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    db.session.commit()
    close(clock, mixer)
    auth.become(woman)
    page = client.get(url(mixer, "/results")).text
    assert url(mixer, "/matches/hide") in page  # the button, with his number in its form
    hide = {"number": number_of(mixer, man)}
    assert client.post(url(mixer, "/matches/hide"), data=hide).status_code == 303
    auth.become(man)
    assert "lin_wx" not in client.get(url(mixer, "/results")).text


def test_a_hide_survives_the_other_side_marking_again(client, auth, clock):
    """With matches shown at once, the member whose card was hidden from cannot undo the hide by
    taking their mark back and giving it again while the window is open."""
    mixer = make_mixer(reveal="at_once")
    man = attend(mixer, gender="male", nickname="阿宇", phone="17711112222")
    woman = attend(mixer, gender="female", nickname="小林", wechat="lin_wx", phone="")
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    db.session.commit()
    auth.become(man)
    assert "lin_wx" in client.get(url(mixer, "/results")).text
    auth.become(woman)
    hide = {"number": number_of(mixer, man)}
    assert client.post(url(mixer, "/matches/hide"), data=hide).status_code == 303
    mark(mixer, man, woman, on=False)
    mark(mixer, man, woman)
    db.session.commit()
    auth.become(man)
    assert "lin_wx" not in client.get(url(mixer, "/results")).text
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 1


def test_a_match_not_yet_revealed_cannot_be_found_by_hiding_it(client, auth, clock, trio):
    """Before the close a hide answers alike for a match and for no match: probing numbers
    would otherwise tell a member that someone they marked marked them too."""
    mixer, man, woman, third = trio
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    db.session.commit()
    auth.become(man)
    ours = client.post(url(mixer, "/matches/hide"), data={"number": number_of(mixer, woman)})
    nobodys = client.post(url(mixer, "/matches/hide"), data={"number": number_of(mixer, third)})
    assert ours.status_code == nobodys.status_code == 404
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0
    close(clock, mixer)
    assert "lin_wx" in client.get(url(mixer, "/results")).text


def test_an_introduction_through_the_pages(client, auth, clock, trio):
    mixer, man, woman, _third = trio
    close(clock, mixer)
    auth.become(man)
    number = number_of(mixer, woman)
    form = client.get(url(mixer, f"/introduce?number={number}"))
    assert form.status_code == 200 and "小林" in form.text
    assert (
        client.post(url(mixer, "/introduce"), data={"number": number, "note": ""}).status_code
        == 400
    )
    sent = client.post(
        url(mixer, "/introduce"), data={"number": number, "note": "那天没来得及交换联系方式"}
    )
    assert sent.status_code == 303
    auth.become(woman)
    inbox = client.get(url(mixer, "/results")).text
    assert "那天没来得及交换联系方式" in inbox and "阿宇" in inbox
    request_id = db.session.scalar(sa.select(IntroductionRequest.id))
    answered = client.post(url(mixer, f"/requests/{request_id}/answer"), data={"answer": "accept"})
    assert answered.status_code == 303
    assert "17711112222" in client.get(url(mixer, "/results")).text
    auth.become(man)
    assert "lin_wx" in client.get(url(mixer, "/results")).text


def test_the_results_page_says_when_introductions_open(client, auth, clock, trio):
    mixer, man, _woman, _third = trio
    auth.become(man)
    page = client.get(url(mixer, "/results")).text
    section = page[page.index('id="introductions"') :]
    assert format_local(service.window_of(mixer.event).closes_at) in section
    assert "/mixer/introduce" not in page


def test_the_results_page_lists_who_to_ask_and_the_requests(client, auth, clock, trio):
    mixer, man, woman, third = trio
    close(clock, mixer)
    auth.become(man)
    page = client.get(url(mixer, "/results")).text
    assert f"/introduce?number={number_of(mixer, woman)}" in page
    assert f"/introduce?number={number_of(mixer, third)}" in page
    assert re.search(r'class="open-count">[^<]*\b0\b', page)
    service.send_request(mixer.event, man.id, number_of(mixer, woman), "想认识你", utcnow())
    request = service.send_request(
        mixer.event, man.id, number_of(mixer, third), "那天没说上话", utcnow()
    )
    db.session.commit()
    page = client.get(url(mixer, "/results")).text
    assert re.search(r'class="open-count">[^<]*\b2\b', page)
    assert "/introduce?number=" not in page  # both already asked
    assert "小林" in page and "小周" in page
    auth.become(third)
    inbox = client.get(url(mixer, "/results")).text
    assert "那天没说上话" in inbox and f"/requests/{request.id}/answer" in inbox
    client.post(url(mixer, f"/requests/{request.id}/answer"), data={"answer": "decline"})
    client.get(url(mixer, "/results"))  # her confirmation shows on her page, not his
    auth.become(man)
    clock.now = request.expires_at + timedelta(minutes=1)
    page = client.get(url(mixer, "/results")).text
    assert "Declined" not in page and "已婉拒" not in page
    assert page.count('class="tag"') == 2  # both requests now show as no match


def test_a_request_to_answer_is_pointed_to_instead_of_offering_one_back(client, auth, clock, trio):
    """小林 asked 阿宇: his page points him to her request, and offers to ask only 小周."""
    mixer, man, woman, third = trio
    close(clock, mixer)
    request = service.send_request(
        mixer.event, woman.id, number_of(mixer, man), "那天没来得及加微信", utcnow()
    )
    db.session.commit()
    auth.become(man)
    page = client.get(url(mixer, "/results")).text
    section = page[page.index('id="introductions"') :]
    assert f"/introduce?number={number_of(mixer, woman)}" not in page
    assert f"/introduce?number={number_of(mixer, third)}" in section
    assert f'id="request-{request.id}"' in page
    pointer = re.search(rf'<a [^>]*href="#request-{request.id}"[^>]*>([^<]*)</a>', section)
    assert pointer, section
    assert "小林" in pointer.group(1) and "请在上方答复" in pointer.group(1)
    # Asking her anyway (an old page, a typed address) is refused beside the note, nothing sent.
    refused = client.post(
        url(mixer, "/introduce"), data={"number": number_of(mixer, woman), "note": "你好"}
    )
    assert refused.status_code == 409 and "请在配对结果页答复" in refused.text
    assert db.session.scalar(sa.select(sa.func.count(IntroductionRequest.id))) == 1
    # Once he declined it, the pointer goes and she is someone he may ask, as anybody else.
    client.post(url(mixer, f"/requests/{request.id}/answer"), data={"answer": "decline"})
    page = client.get(url(mixer, "/results")).text
    assert 'href="#request-' not in page
    assert f"/introduce?number={number_of(mixer, woman)}" in page


def test_a_request_to_answer_is_pointed_to_even_with_three_requests_open(client, auth, clock):
    mixer = make_mixer()
    man = attend(mixer, gender="male")
    women = [attend(mixer, gender="female", nickname=f"女{i}") for i in range(4)]
    db.session.commit()
    close(clock, mixer)
    for woman in women[:3]:
        service.send_request(mixer.event, man.id, number_of(mixer, woman), "", utcnow())
    request = service.send_request(mixer.event, women[3].id, number_of(mixer, man), "", utcnow())
    db.session.commit()
    auth.become(man)
    section = client.get(url(mixer, "/results")).text
    section = section[section.index('id="introductions"') :]
    assert f'href="#request-{request.id}"' in section and "女3" in section


def to_answer_lines(page: str) -> dict[str, str]:
    """我的联谊: each mixer's title with the line about requests waiting for the member's answer."""
    found = {}
    for item in re.findall(r"<li>(.*?)</li>", page, re.S):
        title = re.search(r'href="/events/\d+/mixer">([^<]*)</a>', item)
        line = re.search(r'class="to-answer"[^>]*>(.*?)</a>', item, re.S)
        if title:
            found[title.group(1)] = line.group(1).strip() if line else ""
    return found


def attend_as(mixer, user):
    """`user` checks in at `mixer` and sets up a nickname and a card there."""
    check_in(mixer, user)
    set_up(mixer, user)


def test_my_mixers_says_how_many_requests_wait_for_my_answer(client, auth, clock):
    """Per mixer, only requests to the member that they can still answer: not those they sent,
    answered, saw expire, or that came from someone blocked either way."""
    first, second = make_mixer(title="鹊桥甲场"), make_mixer(title="鹊桥乙场")
    man = make_user(gender="male")
    for mixer in (first, second):
        attend_as(mixer, man)
    asking = [attend(first, gender="female", nickname=f"甲{i}") for i in range(5)]
    other = attend(second, gender="female", nickname="乙0")
    db.session.commit()
    close(clock, first)
    now = utcnow()

    def ask(mixer, who, whom):
        return service.send_request(mixer.event, who.id, number_of(mixer, whom), "你好", now)

    ask(first, asking[0], man)
    ask(first, asking[1], man)
    answered = ask(first, asking[2], man)
    ask(first, asking[3], man)
    ask(first, man, asking[4])  # his own request: nothing for him to answer
    service.answer_request(first.event, man.id, answered.id, False, now)
    service.block(first.event, man.id, number_of(first, asking[3]), now)
    ask(second, other, man)
    db.session.commit()
    auth.become(man)
    lines = to_answer_lines(client.get("/my/mixers").text)
    assert lines == {"鹊桥甲场": "有 2 个牵线请求待您答复", "鹊桥乙场": "有 1 个牵线请求待您答复"}
    page = client.get("/my/mixers").text
    assert f'href="/events/{first.event.id}/mixer/results#requests-received"' in page
    # The others see nothing of it on their own lists.
    auth.become(asking[0])
    assert to_answer_lines(client.get("/my/mixers").text) == {"鹊桥甲场": ""}
    auth.become(man)
    clock.advance(days=8)  # every request has expired
    assert to_answer_lines(client.get("/my/mixers").text) == {"鹊桥甲场": "", "鹊桥乙场": ""}


def test_a_declined_request_looks_like_waiting_to_the_requester(client, auth, clock, trio):
    mixer, man, woman, _third = trio
    close(clock, mixer)
    request = service.send_request(
        mixer.event, man.id, number_of(mixer, woman), "想认识你", utcnow()
    )
    db.session.commit()
    auth.become(woman)
    client.post(url(mixer, f"/requests/{request.id}/answer"), data={"answer": "decline"})
    client.get(url(mixer, "/results"))  # her confirmation shows on her page, not his
    auth.become(man)
    waiting = client.get(url(mixer, "/results")).text
    # Nothing on the requester's page differs from an unanswered request but the clock.
    db.session.execute(sa.update(IntroductionRequest).values(declined_at=None))
    db.session.commit()
    unanswered = client.get(url(mixer, "/results")).text
    assert waiting == unanswered


# --- Safety -------------------------------------------------------------------------------------


def test_block_and_report_through_the_safety_page(client, auth, trio):
    mixer, man, woman, _third = trio
    auth.become(woman)
    number = number_of(mixer, man)
    assert client.get(url(mixer, f"/safety?number={number}")).status_code == 200
    empty = client.post(
        url(mixer, "/safety"), data={"number": number, "action": "report", "reason": ""}
    )
    assert empty.status_code == 400 and db.session.scalar(sa.select(Report.id)) is None
    reported = client.post(
        url(mixer, "/safety"), data={"number": number, "action": "report", "reason": "多次骚扰"}
    )
    assert reported.status_code == 303
    assert (
        client.post(url(mixer, "/safety"), data={"number": number, "action": "block"}).status_code
        == 303
    )
    assert db.session.scalar(sa.select(Block.blocked_id)) == man.id
    auth.become(man)
    assert "小林" not in client.get(url(mixer, "/mark")).text
    auth.become(woman)
    blocks = client.get("/my/mixers").text
    assert "阿宇" in blocks
    assert client.post("/my/mixers/unblock", data={"blocked_id": man.id}).status_code == 303
    assert db.session.scalar(sa.select(Block.blocked_id)) is None


# --- Own data -----------------------------------------------------------------------------------


def test_download_my_data_as_json_and_xlsx(client, auth, trio):
    mixer, man, woman, third = trio
    mark(mixer, man, woman)
    mark(mixer, third, man)
    db.session.commit()
    auth.become(man)
    response = client.get(url(mixer, "/my-data.json"))
    data = json.loads(response.data)
    assert data["my_marks"] == [number_of(mixer, woman)]
    assert data["card"]["phone"] == "17711112222"
    assert "小周" not in response.text  # the third member's mark on him is not his to see
    sheet = client.get(url(mixer, "/my-data.xlsx"))
    rows = list(load_workbook(BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert any(row[1] == "17711112222" for row in rows)


def test_my_data_gives_beijing_time(client, auth, trio):
    """Every page states Beijing time; so does the download, with the offset in JSON."""
    mixer, man, _woman, _third = trio
    declared = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
    service.registration_of(mixer.event, man.id).single_declared_at = declared
    service.profile_of(mixer.event, man.id).card.consented_at = declared
    db.session.commit()
    auth.become(man)
    data = json.loads(client.get(url(mixer, "/my-data.json")).data)
    assert data["single_declared_at"] == "2026-11-29T21:00:00+08:00"
    assert data["card"]["consented_at"] == "2026-11-29T21:00:00+08:00"
    sheet = client.get(url(mixer, "/my-data.xlsx"))
    rows = list(load_workbook(BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert sum(row[1] == "2026-11-29 21:00" for row in rows) == 2


def test_delete_my_data_needs_the_tick(client, auth, trio):
    mixer, man, woman, _third = trio
    mark(mixer, man, woman)
    db.session.commit()
    auth.become(man)
    client.post(url(mixer, "/my-data/delete"), data={})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark)) == 1
    client.post(url(mixer, "/my-data/delete"), data={"confirm": "y"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark)) == 0
    assert service.profile_of(mixer.event, man.id).card is None


def test_deleting_my_data_clears_the_single_status_declaration(client, auth, trio):
    """The declaration is sensitive information given with its own consent: deleting the
    exchange data takes it too, while the registration and its check-in stay."""
    mixer, man, _woman, _third = trio
    auth.become(man)
    assert client.post(url(mixer, "/my-data/delete"), data={"confirm": "y"}).status_code == 303
    registration = service.registration_of(mixer.event, man.id)
    assert registration.single_declared_at is None
    assert registration.checked_in_at is not None
    assert registration.status == "confirmed"
    page = client.get(url(mixer, "/profile"))
    assert re.search(r'name="single_declared"[^>]*checked', page.text) is None
    assert json.loads(client.get(url(mixer, "/my-data.json")).data)["single_declared_at"] is None
    rejoined = client.post(
        url(mixer, "/profile"),
        data={
            "nickname": "阿宇",
            "single_declared": "y",
            "phone": "17711112222",
            "release_card": "y",
        },
    )
    assert rejoined.status_code == 303
    assert service.registration_of(mixer.event, man.id).single_declared_at is not None


# --- Organizers ---------------------------------------------------------------------------------


def test_the_organizer_sees_counts_only(client, auth, clock, trio):
    mixer, man, woman, third = trio
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    mark(mixer, third, man)
    db.session.commit()
    close(clock, mixer)
    auth.become(mixer.organizer)
    page = client.get(url(mixer, "/manage")).text
    counts = re.findall(r"<div><strong>(\S+)</strong>", page)
    assert counts == ["3", "3", "1", "0"]
    for secret in ("17711112222", "lin_wx"):
        assert secret not in page


def test_mixer_labels_do_not_borrow_chinese_from_other_features(client, auth, clock, trio):
    """Short English labels shared with other pages translated as something else there
    ("参加人数" is a head count, "牵线" an introduction, "已取消资格" a disqualification)."""
    mixer, man, _woman, third = trio
    service.set_removed(mixer.event, mixer.organizer, number_of(mixer, third), True, utcnow())
    db.session.commit()
    auth.become(mixer.organizer)
    page = client.get(url(mixer, "/manage")).text
    assert "参加人数" not in page and "已取消资格" not in page
    auth.become(man)
    sheet = client.get(url(mixer, "/my-data.xlsx"))
    labels = [
        row[0] for row in load_workbook(BytesIO(sheet.data)).active.iter_rows(values_only=True)
    ]
    assert "牵线" not in labels


def test_settings_change_only_before_the_window_opens(client, auth, clock):
    mixer = make_mixer(ended_ago=timedelta(hours=-3))
    db.session.commit()
    auth.become(mixer.organizer)
    data = {"window_hours": "48", "visibility": "everyone", "reveal": "at_once"}
    bad = client.post(url(mixer, "/manage"), data={**data, "window_hours": "0"})
    assert bad.status_code == 400
    assert client.post(url(mixer, "/manage"), data=data).status_code == 303
    saved = db.session.get(MixerSettings, mixer.event.id)
    assert (saved.window_hours, saved.visibility, saved.reveal) == (48, "everyone", "at_once")
    clock.advance(hours=4)
    refused = client.post(url(mixer, "/manage"), data={**data, "window_hours": "24"})
    assert refused.status_code == 409
    db.session.refresh(saved)
    assert saved.window_hours == 48


def test_locked_settings_show_as_facts_not_a_form(client, auth, clock):
    mixer = make_mixer(reveal="at_once")
    db.session.commit()
    auth.become(mixer.organizer)
    page = client.get(url(mixer, "/manage")).text
    settings = page[page.index('id="settings"') :]
    assert "<form" not in settings[: settings.index("</section>")]
    assert 'name="window_hours"' not in page and "disabled" not in page
    closes = service.window_of(mixer.event).closes_at
    assert format_local(closes) in settings and format_local(mixer.event.ends_at) in settings
    assert "双方互相标记后立即公布" in settings


def test_the_organizer_removes_a_reported_participant(client, auth, trio):
    mixer, man, woman, _third = trio
    service.report(mixer.event, woman.id, number_of(mixer, man), "不礼貌", utcnow())
    db.session.commit()
    auth.become(mixer.organizer)
    page = client.get(url(mixer, "/reports")).text
    assert "不礼貌" in page and man.name in page
    number = number_of(mixer, man)
    response = client.post(url(mixer, f"/participants/{number}/removal"), data={"removed": "1"})
    assert response.status_code == 303
    auth.become(woman)
    assert "阿宇" not in client.get(url(mixer, "/mark")).text


@pytest.fixture
def app_config(request):
    return {"WTF_CSRF_ENABLED": True} if "csrf" in request.node.name else {}


def test_csrf_the_instant_save_sends_the_token(client, auth, trio):
    mixer, man, woman, _third = trio
    auth.become(man)
    page = client.get(url(mixer, "/mark")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"number": number_of(mixer, woman), "marked": "1"}
    headers = {"Accept": "application/json"}
    assert client.post(url(mixer, "/mark"), data=data, headers=headers).status_code == 400
    sent = client.post(url(mixer, "/mark"), data=data, headers=headers | {"X-CSRFToken": token})
    assert sent.get_json() == {"marked": True, "count": 1}


def test_a_tap_costs_the_same_statements_whatever_the_mixers_size(
    app, client, auth, count_queries, trio
):
    mixer, man, woman, third = trio
    auth.become(man)

    page = url(mixer, "/mark")

    def tap(number, on):
        db.session.commit()  # the test's own transaction must not hold the database
        data = {"number": number, "marked": on}
        with app.app_context(), count_queries() as counter:
            response = client.post(page, data=data, headers={"Accept": "application/json"})
        assert response.status_code == 200
        return counter.count

    mark(mixer, man, third)  # one mark stays, in both worlds
    small = tap(number_of(mixer, woman), 1), tap(number_of(mixer, woman), 0)
    women = [attend(mixer, gender="female") for _ in range(40)]
    for _ in range(40):
        attend(mixer, gender="male")
    for other in women[:15]:
        mark(mixer, man, other)
    large = tap(number_of(mixer, woman), 1), tap(number_of(mixer, woman), 0)
    assert small == large
