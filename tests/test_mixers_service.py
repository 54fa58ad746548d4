"""The exchange through its services and the database: numbers, profiles, marks, matches,
reveal, withdrawal, hiding, blocks, introductions, removal, counts and members' own data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventsite.core.models import AuditEntry, Notification, OutboundEmail
from eventsite.core.time import utcnow
from eventsite.events import roster
from eventsite.events.models import EventKind
from eventsite.extensions import db
from eventsite.mixers import rules, service
from eventsite.mixers.models import Mark, Match, MixerProfile
from tests.factories import make_event, make_registration, make_user
from tests.mixer_factories import (
    attend,
    check_in,
    make_mixer,
    mark,
    number_of,
    set_up,
)


def close_window(clock, mixer, after=timedelta(minutes=1)):
    closes = service.window_of(mixer.event).closes_at
    clock.now = closes + after


# --- Numbers at check-in ------------------------------------------------------------------------


def test_check_in_gives_the_next_number_and_an_undo_keeps_it(app, clock):
    mixer = make_mixer(ended_ago=timedelta(hours=-2))  # the event is under way
    desk = mixer.organizer
    first, second = make_user(gender="male"), make_user(gender="female")
    one = make_registration(mixer.event, first, single_declared_at=utcnow())
    two = make_registration(mixer.event, second, single_declared_at=utcnow())

    roster.check_in(two, actor=desk)
    roster.check_in(one, actor=desk)
    roster.undo_check_in(two, actor=desk)
    roster.check_in(two, actor=desk)

    assert service.profile_of(mixer.event, second.id).number == 1
    assert service.profile_of(mixer.event, first.id).number == 2
    assert db.session.scalar(sa.select(sa.func.count(MixerProfile.id))) == 2


def test_other_kinds_of_event_get_no_number(app, clock):
    organizer = make_user(roles=["organizer"])
    meet = make_event(organizer=organizer, kind=EventKind.SPORTSMEET, starts_in=timedelta(hours=1))
    registration = make_registration(meet, make_user())
    roster.check_in(registration, actor=organizer)
    assert db.session.scalar(sa.select(sa.func.count(MixerProfile.id))) == 0


# --- Profile and card ---------------------------------------------------------------------------


def test_a_card_needs_a_nickname_and_one_contact(app, clock):
    mixer = make_mixer()
    user = attend(mixer, ready=False)
    with pytest.raises(service.MixerError) as nick:
        set_up(mixer, user, nickname=" ")
    assert nick.value.field == "nickname"
    with pytest.raises(service.MixerError) as contact:
        set_up(mixer, user, phone="", wechat="", email="")
    assert contact.value.field == "phone"


def test_the_two_consents_are_separate(app, clock):
    mixer = make_mixer()
    user = attend(mixer)
    profile = service.save_profile(
        mixer.event,
        user,
        nickname="小吴",
        introduction="",
        phone="17700001111",
        wechat="",
        email="",
        release_card=False,
        single_declared=True,
        now=utcnow(),
    )
    assert profile.card is None
    assert service.registration_of(mixer.event, user.id).single_declared_at is not None
    service.save_profile(
        mixer.event,
        user,
        nickname="小吴",
        introduction="",
        phone="17700001111",
        wechat="",
        email="",
        release_card=True,
        single_declared=False,
        now=utcnow(),
    )
    registration = service.registration_of(mixer.event, user.id)
    assert registration.single_declared_at is None
    participant = service.participants(mixer.event)[user.id]
    assert participant.card.phone == "17700001111"
    assert not rules.takes_part(participant.attendee)


def test_members_not_checked_in_cannot_save_a_card(app, clock):
    mixer = make_mixer()
    user = make_user()
    make_registration(mixer.event, user, single_declared_at=utcnow())
    with pytest.raises(service.MixerError) as refused:
        set_up(mixer, user)
    assert refused.value.status == 403


# --- Marks and matches --------------------------------------------------------------------------


def test_a_one_sided_mark_is_no_match_and_a_mutual_one_is(app, clock):
    mixer = make_mixer()
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    assert mark(mixer, man, woman) == 1
    assert service.pair_match(mixer.event, man.id, woman.id) is None
    mark(mixer, woman, man)
    match = service.pair_match(mixer.event, woman.id, man.id)
    assert (match.user_low_id, match.user_high_id) == tuple(sorted((man.id, woman.id)))
    assert [m.other(man.id) for m in service.matches_of(mixer.event, man.id)] == [woman.id]
    assert mark(mixer, man, woman, on=False) == 0
    assert service.pair_match(mixer.event, man.id, woman.id) is None
    # A mutual match is the two marks themselves: nothing else was written.
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0


def test_marking_twice_changes_nothing(app, clock):
    mixer = make_mixer()
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    mark(mixer, man, woman)
    assert mark(mixer, man, woman) == 1
    assert mark(mixer, woman, man, on=False) == 0


@pytest.mark.parametrize("moment", ["before", "after"])
def test_marks_cannot_change_outside_the_window(app, clock, moment):
    mixer = make_mixer(ended_ago=timedelta(hours=-1) if moment == "before" else timedelta(days=4))
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    with pytest.raises(service.MixerError) as refused:
        mark(mixer, man, woman)
    assert refused.value.message == service.NOT_OPEN
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark)) == 0


def test_only_listed_and_ready_members_mark(app, clock):
    mixer = make_mixer()
    man, other_man = attend(mixer, gender="male"), attend(mixer, gender="male")
    woman_without_card = attend(mixer, gender="female", ready=False)
    with pytest.raises(service.MixerError):
        mark(mixer, man, other_man)
    with pytest.raises(service.MixerError):
        mark(mixer, man, woman_without_card)
    with pytest.raises(service.MixerError) as not_ready:
        mark(mixer, woman_without_card, man)
    assert not_ready.value.message == service.NOT_READY


def test_everyone_is_listed_when_the_organizer_chose_so(app, clock):
    mixer = make_mixer(visibility="everyone")
    a, b = attend(mixer, gender="male"), attend(mixer, gender="male")
    mark(mixer, a, b)
    assert service.board(mixer.event, a.id, utcnow()).mark_count == 1


# --- Reveal ------------------------------------------------------------------------------------


def test_matches_show_at_the_close_and_a_third_member_sees_no_match(app, clock):
    mixer = make_mixer()
    man = attend(mixer, gender="male", phone="17712345678")
    woman = attend(mixer, gender="female", wechat="lin_wx", phone="")
    third = attend(mixer, gender="female")
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    mark(mixer, third, man)

    before = service.results(mixer.event, man.id, utcnow())
    assert not before.revealed and before.matches == []
    assert service.visible_cards(mixer.event, man.id, utcnow()) == {}

    close_window(clock, mixer)
    assert service.visible_cards(mixer.event, man.id, utcnow())[woman.id].wechat == "lin_wx"
    assert service.visible_cards(mixer.event, woman.id, utcnow())[man.id].phone == "17712345678"
    third_results = service.results(mixer.event, third.id, utcnow())
    assert third_results.revealed and third_results.matches == []
    # The man never learns that the third member marked him.
    assert [m.other.user_id for m in service.results(mixer.event, man.id, utcnow()).matches] == [
        woman.id
    ]


def test_matches_show_at_once_when_the_organizer_chose_so(app, clock):
    mixer = make_mixer(reveal="at_once")
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    assert set(service.visible_cards(mixer.event, man.id, utcnow())) == {woman.id}


# --- Withdrawal, hiding, blocks, removal ---------------------------------------------------------


@pytest.fixture
def matched(app, clock):
    mixer = make_mixer()
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    close_window(clock, mixer)
    return mixer, man, woman


def test_withdrawing_consent_deletes_the_card_and_stops_the_exchange(matched):
    mixer, man, woman = matched
    assert service.withdraw_consent(mixer.event, woman.id)
    assert service.visible_cards(mixer.event, man.id, utcnow()) == {}
    # Nobody receives a card while withholding their own.
    assert service.visible_cards(mixer.event, woman.id, utcnow()) == {}
    shown = service.results(mixer.event, man.id, utcnow()).matches
    assert [(m.other.user_id, m.card) for m in shown] == [(woman.id, None)]
    assert not service.withdraw_consent(mixer.event, woman.id)


def test_either_side_hides_a_match_for_both(matched):
    mixer, man, woman = matched
    service.hide_match(mixer.event, woman.id, number_of(mixer, man), utcnow())
    assert db.session.scalars(sa.select(Match)).one().hidden_at == utcnow()
    assert service.visible_cards(mixer.event, man.id, utcnow()) == {}
    assert service.visible_cards(mixer.event, woman.id, utcnow()) == {}


def test_a_stranger_cannot_hide_a_match(matched):
    mixer, _man, woman = matched
    stranger = attend(mixer, gender="male")
    for number in (number_of(mixer, woman), number_of(mixer, stranger)):
        with pytest.raises(service.MixerError) as refused:
            service.hide_match(mixer.event, stranger.id, number, utcnow())
        assert refused.value.status == 404
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0


def test_a_block_hides_a_match_and_works_across_mixers(matched, clock):
    mixer, man, woman = matched
    service.block(mixer.event, woman.id, number_of(mixer, man), utcnow())
    assert service.visible_cards(mixer.event, man.id, utcnow()) == {}

    later = make_mixer(title="第二场联谊")
    check_in(later, man)
    check_in(later, woman)
    set_up(later, man)
    set_up(later, woman)
    assert service.board(later.event, man.id, utcnow()).listed == []
    assert service.board(later.event, woman.id, utcnow()).listed == []
    with pytest.raises(service.MixerError):
        mark(later, man, woman)

    service.unblock(woman.id, man.id)
    assert [p.user_id for p in service.board(later.event, man.id, utcnow()).listed] == [woman.id]


def test_removal_takes_a_participant_out(app, clock):
    mixer = make_mixer()
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    service.set_removed(mixer.event, mixer.organizer, number_of(mixer, man), True, utcnow())
    assert service.board(mixer.event, woman.id, utcnow()).listed == []
    with pytest.raises(service.MixerError):
        mark(mixer, man, woman, on=False)
    close_window(clock, mixer)
    assert service.visible_cards(mixer.event, woman.id, utcnow()) == {}
    service.set_removed(mixer.event, mixer.organizer, number_of(mixer, man), False, utcnow())
    assert set(service.visible_cards(mixer.event, woman.id, utcnow())) == {man.id}
    details = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert details.count("mixer.remove") == 1 and details.count("mixer.restore") == 1
    # The member is told both times, in words that name nobody (not who reported them).
    told = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == man.id).order_by(Notification.id)
    ).all()
    assert [n.subject for n in told] == [
        f"您已被移出「{mixer.event.title}」的联系方式交换",
        f"您已恢复参加「{mixer.event.title}」的联系方式交换",
    ]
    assert all(n.link == f"/events/{mixer.event.id}/mixer" for n in told)
    assert not db.session.scalars(
        sa.select(Notification).where(Notification.user_id == woman.id)
    ).all()


def test_a_report_reaches_the_organizers_without_naming_anyone(app, clock):
    mixer = make_mixer()
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    service.report(mixer.event, woman.id, number_of(mixer, man), "言语不当", utcnow())
    [row] = service.reports_of(mixer.event)
    assert (row.reporter.user_id, row.reported.user_id, row.report.reason) == (
        woman.id,
        man.id,
        "言语不当",
    )
    [note] = db.session.scalars(sa.select(Notification)).all()
    assert note.user_id == mixer.organizer.id
    assert man.name not in note.body and woman.name not in note.body
    with pytest.raises(service.MixerError) as empty:
        service.report(mixer.event, woman.id, number_of(mixer, man), "  ", utcnow())
    assert empty.value.field == "reason"


# --- Introductions ------------------------------------------------------------------------------


@pytest.fixture
def after_close(app, clock):
    mixer = make_mixer()
    man = attend(mixer, gender="male")
    women = [attend(mixer, gender="female") for _ in range(5)]
    close_window(clock, mixer)
    return mixer, man, women


def ask(mixer, requester, recipient, note="那天聊得很开心，想再认识一下"):
    return service.send_request(
        mixer.event, requester.id, number_of(mixer, recipient), note, utcnow()
    )


def test_introductions_only_in_the_fourteen_days_after_the_close(app, clock):
    mixer = make_mixer()
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    with pytest.raises(service.MixerError):
        ask(mixer, man, woman)
    clock.now = service.window_of(mixer.event).introductions_until
    with pytest.raises(service.MixerError):
        ask(mixer, man, woman)


def test_accepting_an_introduction_exchanges_cards(after_close):
    mixer, man, women = after_close
    request = ask(mixer, man, women[0])
    assert service.visible_cards(mixer.event, man.id, utcnow()) == {}
    service.answer_request(mixer.event, women[0].id, request.id, True, utcnow())
    assert set(service.visible_cards(mixer.event, man.id, utcnow())) == {women[0].id}
    assert set(service.visible_cards(mixer.event, women[0].id, utcnow())) == {man.id}
    assert db.session.scalars(sa.select(Match.source)).all() == ["introduction"]


def test_a_decline_is_never_announced(after_close, clock):
    mixer, man, women = after_close
    request = ask(mixer, man, women[0])
    service.answer_request(mixer.event, women[0].id, request.id, False, utcnow())
    [sent] = service.results(mixer.event, man.id, utcnow()).sent
    assert sent.view == rules.RequestView.WAITING
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    clock.now = request.expires_at
    [sent] = service.results(mixer.event, man.id, utcnow()).sent
    assert sent.view == rules.RequestView.NO_MATCH


def test_at_most_three_open_requests_and_one_per_recipient(after_close, clock):
    mixer, man, women = after_close
    first = ask(mixer, man, women[0])
    with pytest.raises(service.MixerError) as again:
        ask(mixer, man, women[0])
    assert again.value.message == service.REQUEST_REFUSALS[rules.RequestRefusal.ALREADY_ASKED]
    ask(mixer, man, women[1])
    ask(mixer, man, women[2])
    # A decline does not free a place early (that would tell the requester about it).
    service.answer_request(mixer.event, women[0].id, first.id, False, utcnow())
    with pytest.raises(service.MixerError) as full:
        ask(mixer, man, women[3])
    assert full.value.message == service.REQUEST_REFUSALS[rules.RequestRefusal.TOO_MANY]
    clock.now = first.expires_at
    ask(mixer, man, women[3])


def test_a_member_asked_by_someone_answers_them_instead_of_asking_back(after_close, clock):
    """While her request to him waits for his answer, he is pointed to it and cannot send one
    of his own to her; once it can no longer be answered (it expired, or he declined it, which
    only he knows) he may ask her like anyone else."""
    mixer, man, women = after_close
    hers = ask(mixer, women[0], man)
    declined = ask(mixer, women[1], man)
    results = service.results(mixer.event, man.id, utcnow())
    assert [r.request.id for r in results.to_answer] == [hers.id, declined.id]
    assert women[0].id not in {p.user_id for p in results.introducible}
    assert women[2].id in {p.user_id for p in results.introducible}
    with pytest.raises(service.MixerError) as refused:
        ask(mixer, man, women[0])
    assert (
        refused.value.message == service.REQUEST_REFUSALS[rules.RequestRefusal.THEIR_REQUEST_WAITS]
    )
    assert refused.value.status == 409
    # His own decline: the request is no longer his to answer, so asking her is his choice.
    service.answer_request(mixer.event, man.id, declined.id, False, utcnow())
    assert [r.request.id for r in service.results(mixer.event, man.id, utcnow()).to_answer] == [
        hers.id
    ]
    ask(mixer, man, women[1])
    # Her requests are asked of him: whom she asked, and what others answered her, never change
    # what she may do.
    assert service.results(mixer.event, women[0].id, utcnow()).to_answer == []
    clock.now = hers.expires_at
    assert service.results(mixer.event, man.id, utcnow()).to_answer == []
    ask(mixer, man, women[0])


def test_no_introduction_to_a_match(app, clock):
    mixer = make_mixer()
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    close_window(clock, mixer)
    with pytest.raises(service.MixerError) as refused:
        ask(mixer, man, woman)
    assert refused.value.message == service.REQUEST_REFUSALS[rules.RequestRefusal.MATCHED]


def test_a_request_is_answered_once_by_its_recipient(after_close):
    mixer, man, women = after_close
    request = ask(mixer, man, women[0])
    with pytest.raises(service.MixerError):
        service.answer_request(mixer.event, women[1].id, request.id, True, utcnow())
    service.answer_request(mixer.event, women[0].id, request.id, False, utcnow())
    with pytest.raises(service.MixerError):
        service.answer_request(mixer.event, women[0].id, request.id, True, utcnow())


# --- Counts and own data -----------------------------------------------------------------------


def test_counts_only_and_matches_only_once_revealed(app, clock):
    mixer = make_mixer()
    man, woman, other = (
        attend(mixer, gender="male"),
        attend(mixer, gender="female"),
        attend(mixer, gender="female"),
    )
    mark(mixer, man, woman)
    mark(mixer, woman, man)
    mark(mixer, other, man)
    counts = service.counts(mixer.event, utcnow())
    # While marks may change, neither markers nor matches are counted.
    assert (counts.attendees, counts.markers, counts.matches) == (3, None, None)
    close_window(clock, mixer)
    counts = service.counts(mixer.event, utcnow())
    assert (counts.attendees, counts.markers, counts.matches) == (3, 3, 1)


def test_at_once_matches_count_while_open_but_markers_only_after_the_close(app, clock):
    mixer = make_mixer(reveal="at_once")
    man, woman = attend(mixer, gender="male"), attend(mixer, gender="female")
    mark(mixer, man, woman)
    assert service.counts(mixer.event, utcnow()) == service.Counts(2, None, 0, 0)
    mark(mixer, woman, man)  # shown to both at once: revealed
    assert service.counts(mixer.event, utcnow()) == service.Counts(2, None, 1, 0)
    close_window(clock, mixer)
    assert service.counts(mixer.event, utcnow()) == service.Counts(2, 2, 1, 0)


def test_the_purge_of_marks_leaves_matches_and_cards(matched):
    """The purge keeps the mutual matches first (`keep_mutual_matches`), then deletes marks."""
    mixer, man, woman = matched
    assert service.keep_mutual_matches(mixer.event) == 1
    assert service.keep_mutual_matches(mixer.event) == 0  # once
    db.session.execute(sa.delete(Mark))
    assert set(service.visible_cards(mixer.event, man.id, utcnow())) == {woman.id}
    kept = db.session.scalars(sa.select(Match)).one()
    assert (kept.source, kept.hidden_at) == ("mutual", None)


def test_member_data_holds_only_what_the_member_may_see(after_close, clock):
    mixer, man, women = after_close
    request = ask(mixer, women[1], man, "想认识你")
    db.session.add(Mark(event_id=mixer.event.id, marker_id=women[0].id, marked_id=man.id))
    mine = ask(mixer, man, women[2])
    service.answer_request(mixer.event, women[2].id, mine.id, False, utcnow())
    data = service.member_data(mixer.event, man.id, utcnow())
    assert data["my_marks"] == []
    assert data["requests_sent"] == [
        {"number": number_of(mixer, women[2]), "note": mine.note, "status": "waiting"}
    ]
    assert data["requests_received"][0]["note"] == request.note
    assert data["card"]["phone"]
    assert service.member_data_rows(data)[1][1] == number_of(mixer, man)


def test_deleting_member_data_removes_their_exchange(matched):
    mixer, man, woman = matched
    service.delete_member_data(mixer.event, man.id, utcnow())
    profile = mixer.profile(man)
    assert (profile.nickname, profile.card, profile.left_at is not None) == ("", None, True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mark)) == 0
    assert db.session.scalar(sa.select(sa.func.count(Match.id))) == 0
    assert service.visible_cards(mixer.event, woman.id, utcnow()) == {}
    assert not rules.takes_part(service.participants(mixer.event)[man.id].attendee)


def test_nothing_about_marks_reaches_the_audit_log_notifications_or_mail(matched):
    mixer, man, woman = matched
    texts = [
        *db.session.scalars(sa.select(AuditEntry.detail)),
        *db.session.scalars(sa.select(Notification.body)),
        *db.session.scalars(sa.select(OutboundEmail.body)),
    ]
    for text in texts:
        assert man.name not in text and woman.name not in text


# --- The property through the services and the database -----------------------------------------

PEOPLE = 5
START = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
who = st.integers(0, PEOPLE - 1)
ordered = st.tuples(who, who).filter(lambda p: p[0] != p[1])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    genders=st.lists(st.sampled_from(["male", "female"]), min_size=PEOPLE, max_size=PEOPLE),
    visibility=st.sampled_from(["other_gender", "everyone"]),
    marks=st.sets(ordered, max_size=14),
    blocks=st.sets(ordered, max_size=2),
    withdrawals=st.sets(who, max_size=2),
    hides=st.sets(ordered, max_size=2),
    asks=st.lists(st.tuples(ordered, st.booleans()), max_size=4),
)
def test_cards_seen_through_the_services(
    app, clock, genders, visibility, marks, blocks, withdrawals, hides, asks
):
    """Cards each member sees == mutual, unblocked, consented, unhidden pairs + accepted
    introductions, whatever the order of marks, blocks, withdrawals and hides."""
    clock.now = START  # each example starts before its own mixer's close
    try:
        mixer = make_mixer(visibility=visibility)
        users = [attend(mixer, gender=g) for g in genders]
        ids = [u.id for u in users]

        def listed(a, b):
            return visibility == "everyone" or genders[a] != genders[b]

        made = set()
        for a, b in sorted(marks):
            if listed(a, b):
                mark(mixer, users[a], users[b])
                made.add((a, b))
        for a, b in sorted(blocks):
            service.block(mixer.event, ids[a], number_of(mixer, users[b]), utcnow())
        blocked = {frozenset(p) for p in blocks}
        for a in sorted(withdrawals):
            service.withdraw_consent(mixer.event, ids[a])
        matches = {frozenset((a, b)) for a, b in made if (b, a) in made}
        # A match can be hidden once it shows, here at the close.
        close_window(clock, mixer)
        hidden = set()
        for a, b in sorted(hides):
            pair = frozenset((a, b))
            if pair in matches:
                service.hide_match(mixer.event, ids[a], number_of(mixer, users[b]), utcnow())
                hidden.add(pair)
        introduced = set()
        asked: dict[int, list[tuple[int, bool]]] = {}
        for (a, b), accept in asks:
            pair = frozenset((a, b))
            mine = asked.setdefault(a, [])
            allowed = (
                a not in withdrawals
                and b not in withdrawals
                and listed(a, b)
                and pair not in blocked
                and pair not in matches
                and pair not in introduced
                and b not in [r for r, _ in mine]
                # b's unanswered request to a waits for a's answer: a answers it, not asks back
                and a not in [r for r, accepted in asked.get(b, []) if not accepted]
                and sum(not accepted for _, accepted in mine) < rules.MAX_OPEN_REQUESTS
            )
            try:
                request = ask(mixer, users[a], users[b])
            except service.MixerError:
                assert not allowed
                continue
            assert allowed
            mine.append((b, accept))
            if accept:
                service.answer_request(mixer.event, ids[b], request.id, True, utcnow())
                introduced.add(pair)
        for v in range(PEOPLE):
            expected = {
                ids[o]
                for o in range(PEOPLE)
                if o != v
                and (frozenset((v, o)) in matches or frozenset((v, o)) in introduced)
                and frozenset((v, o)) not in blocked
                and frozenset((v, o)) not in hidden
                and v not in withdrawals
                and o not in withdrawals
            }
            assert set(service.visible_cards(mixer.event, ids[v], utcnow())) == expected
    finally:
        db.session.rollback()
