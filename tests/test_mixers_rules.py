"""The exchange's rules at their edges, and the card property over random mixers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.mixers import rules
from eventsite.mixers.rules import Attendee, RequestRefusal, RequestView, WindowState

END = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
WIN = rules.window(END, 72)
MAN = Attendee(1, "male")
WOMAN = Attendee(2, "female")
OTHER_MAN = Attendee(3, "male")


# --- Window -------------------------------------------------------------------------------------


def test_the_window_opens_at_the_end_and_closes_hours_later():
    win = rules.window(END, 72)
    assert win.opens_at == END
    assert win.closes_at == END + timedelta(hours=72)
    assert win.introductions_until == END + timedelta(hours=72, days=14)


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (END - timedelta(seconds=1), WindowState.NOT_YET),
        (END, WindowState.OPEN),
        (END + timedelta(hours=72) - timedelta(seconds=1), WindowState.OPEN),
        (END + timedelta(hours=72), WindowState.INTRODUCTIONS),
        (END + timedelta(hours=72, days=14) - timedelta(seconds=1), WindowState.INTRODUCTIONS),
        (END + timedelta(hours=72, days=14), WindowState.OVER),
    ],
)
def test_window_state_at_each_boundary(moment, state):
    assert rules.window_state(WIN, moment) == state


def test_time_left_counts_down_only_while_open():
    assert rules.time_left(WIN, END) == timedelta(hours=72)
    assert rules.time_left(WIN, END + timedelta(hours=71, minutes=30)) == timedelta(minutes=30)
    assert rules.time_left(WIN, END - timedelta(hours=1)) == timedelta(0)
    assert rules.time_left(WIN, WIN.closes_at) == timedelta(0)


def test_a_custom_window_length():
    assert rules.window(END, 1).closes_at == END + timedelta(hours=1)


# --- Who takes part and who is listed -------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_year", "birth_year", "adult"),
    [(2026, 2008, True), (2026, 2009, False), (2026, 1960, True)],
)
def test_adults_only(event_year, birth_year, adult):
    assert rules.is_adult(birth_year, event_year) is adult


@pytest.mark.parametrize(
    "change",
    [
        {"checked_in": False},
        {"confirmed": False},
        {"single_declared": False},
        {"adult": False},
        {"removed": True},
        {"left": True},
    ],
)
def test_each_condition_is_needed_to_take_part(change):
    assert rules.takes_part(MAN)
    assert not rules.takes_part(Attendee(1, "male", **change))


def test_readiness_is_not_needed_to_take_part_but_to_be_listed():
    unready = Attendee(2, "female", ready=False)
    assert rules.takes_part(unready)
    assert not rules.is_listed(MAN, unready, "everyone", set())


def test_other_gender_only_or_everyone():
    assert rules.is_listed(MAN, WOMAN, "other_gender", set())
    assert not rules.is_listed(MAN, OTHER_MAN, "other_gender", set())
    assert rules.is_listed(MAN, OTHER_MAN, "everyone", set())


def test_nobody_is_listed_to_themselves():
    assert not rules.is_listed(MAN, MAN, "everyone", set())


@pytest.mark.parametrize("block", [(1, 2), (2, 1)])
def test_a_block_hides_both_ways(block):
    assert not rules.is_listed(MAN, WOMAN, "everyone", {block})
    assert not rules.is_listed(WOMAN, MAN, "everyone", {block})


def test_a_blocked_pair_elsewhere_does_not_hide_others():
    assert rules.is_listed(MAN, WOMAN, "everyone", {(1, 3), (3, 2)})


def test_a_viewer_who_no_longer_takes_part_sees_nobody():
    assert not rules.is_listed(Attendee(1, "male", removed=True), WOMAN, "everyone", set())


# --- Marks ------------------------------------------------------------------------------------------


def test_marks_change_only_while_the_window_is_open():
    for state in (WindowState.NOT_YET, WindowState.INTRODUCTIONS, WindowState.OVER):
        assert rules.mark_refusal(state, MAN, WOMAN, "other_gender", set()) == "window"
    assert rules.mark_refusal(WindowState.OPEN, MAN, WOMAN, "other_gender", set()) is None


def test_a_member_without_a_card_cannot_mark():
    unready = Attendee(1, "male", ready=False)
    refusal = rules.mark_refusal(WindowState.OPEN, unready, WOMAN, "other_gender", set())
    assert refusal == rules.MarkRefusal.NOT_READY


def test_a_mixer_listing_everyone_lets_members_mark_their_own_gender():
    assert rules.mark_refusal(WindowState.OPEN, MAN, OTHER_MAN, "everyone", set()) is None


def test_only_listed_attendees_can_be_marked():
    refusal = rules.mark_refusal(WindowState.OPEN, MAN, OTHER_MAN, "other_gender", set())
    assert refusal == rules.MarkRefusal.NOT_LISTED
    blocked = rules.mark_refusal(WindowState.OPEN, MAN, WOMAN, "other_gender", {(2, 1)})
    assert blocked == rules.MarkRefusal.NOT_LISTED


def test_mutual_pairs():
    assert rules.mutual_pairs([]) == set()
    assert rules.mutual_pairs([(1, 2)]) == set()
    assert rules.mutual_pairs([(1, 2), (2, 1)]) == {(1, 2)}
    assert rules.mutual_pairs([(5, 2), (2, 5), (2, 3), (3, 4), (4, 3)]) == {(2, 5), (3, 4)}
    assert rules.mutual_pairs([(1, 1)]) == set()


# --- Reveal and cards -----------------------------------------------------------------------------


def test_matches_show_at_the_close_by_default():
    matched = END + timedelta(hours=5)
    assert rules.match_revealed_at("mutual", "at_close", matched, WIN.closes_at) == WIN.closes_at
    assert rules.match_revealed_at("mutual", "at_once", matched, WIN.closes_at) == matched


def test_an_accepted_introduction_shows_when_accepted():
    accepted = WIN.closes_at + timedelta(days=2)
    assert rules.match_revealed_at("introduction", "at_close", accepted, WIN.closes_at) == accepted


VISIBLE = {
    "revealed": True,
    "hidden": False,
    "blocked": False,
    "both_take_part": True,
    "both_consent": True,
}


def test_card_visible_needs_every_condition():
    assert rules.card_visible(**VISIBLE)
    for name, spoiled in [
        ("revealed", False),
        ("hidden", True),
        ("blocked", True),
        ("both_take_part", False),
        ("both_consent", False),
    ]:
        assert not rules.card_visible(**(VISIBLE | {name: spoiled})), name


@given(
    revealed=st.booleans(),
    hidden=st.booleans(),
    blocked=st.booleans(),
    both_take_part=st.booleans(),
    both_consent=st.booleans(),
)
def test_a_card_shows_only_on_a_match_that_shows(**conditions):
    """The card is the match's and the consents': it never shows where the match does not."""
    consent = conditions.pop("both_consent")
    shows = rules.match_shows(**conditions)
    expected = (
        conditions["revealed"]
        and conditions["both_take_part"]
        and not conditions["hidden"]
        and not conditions["blocked"]
    )
    assert shows == expected
    assert rules.card_visible(**conditions, both_consent=consent) == (shows and consent)


@pytest.mark.parametrize("state", list(WindowState))
@pytest.mark.parametrize("reveal", ["at_once", "at_close"])
def test_match_notices_go_only_while_open_where_matches_show_at_once(reveal, state):
    due = rules.match_notices_due(reveal, state)
    assert due == (reveal == "at_once" and state == WindowState.OPEN)


# --- Introduction requests ------------------------------------------------------------------------

ASK = {
    "state": WindowState.INTRODUCTIONS,
    "requester": MAN,
    "recipient": WOMAN,
    "visibility": "other_gender",
    "blocks": set(),
    "matched": False,
    "already_asked": False,
    "their_request_waits": False,
    "open_requests": 0,
}


def test_a_request_may_be_sent_in_the_introduction_period():
    assert rules.request_refusal(**ASK) is None
    assert rules.request_refusal(**(ASK | {"open_requests": 2})) is None
    # A mixer that lists everyone: someone of the requester's own gender may be asked too.
    assert (
        rules.request_refusal(**(ASK | {"visibility": "everyone", "recipient": OTHER_MAN})) is None
    )


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"state": WindowState.OPEN}, RequestRefusal.PERIOD),
        ({"state": WindowState.OVER}, RequestRefusal.PERIOD),
        ({"state": WindowState.NOT_YET}, RequestRefusal.PERIOD),
        ({"recipient": MAN}, RequestRefusal.SELF),
        ({"requester": Attendee(1, "male", ready=False)}, RequestRefusal.NOT_PARTICIPANT),
        ({"requester": Attendee(1, "male", removed=True)}, RequestRefusal.NOT_PARTICIPANT),
        ({"recipient": OTHER_MAN}, RequestRefusal.NOT_LISTED),
        ({"blocks": {(2, 1)}}, RequestRefusal.NOT_LISTED),
        ({"matched": True}, RequestRefusal.MATCHED),
        ({"already_asked": True}, RequestRefusal.ALREADY_ASKED),
        ({"open_requests": 3}, RequestRefusal.TOO_MANY),
        ({"their_request_waits": True}, RequestRefusal.THEIR_REQUEST_WAITS),
        # Answering their request needs no free place: it is said even with 3 open.
        ({"their_request_waits": True, "open_requests": 3}, RequestRefusal.THEIR_REQUEST_WAITS),
        ({"their_request_waits": True, "already_asked": True}, RequestRefusal.ALREADY_ASKED),
    ],
)
def test_request_refusals(change, refusal):
    assert rules.request_refusal(**(ASK | change)) == refusal


def test_a_request_expires_after_seven_days_but_not_after_the_period():
    sent = WIN.closes_at + timedelta(days=1)
    assert rules.request_expires_at(sent, WIN) == sent + timedelta(days=7)
    late = WIN.closes_at + timedelta(days=12)
    assert rules.request_expires_at(late, WIN) == WIN.introductions_until


def test_a_decline_keeps_the_requesters_place_until_expiry():
    expires = WIN.closes_at + timedelta(days=8)
    before = expires - timedelta(seconds=1)
    assert rules.counts_as_open(None, expires, before)
    assert not rules.counts_as_open(None, expires, expires)
    assert not rules.counts_as_open(before, expires, before)


@pytest.mark.parametrize(
    ("declined", "now_offset", "requester_sees", "recipient_sees"),
    [
        (False, -1, RequestView.WAITING, RequestView.TO_ANSWER),
        (True, -1, RequestView.WAITING, RequestView.DECLINED),
        (False, 0, RequestView.NO_MATCH, RequestView.EXPIRED),
        (True, 0, RequestView.NO_MATCH, RequestView.DECLINED),
    ],
)
def test_a_decline_is_never_announced(declined, now_offset, requester_sees, recipient_sees):
    expires = WIN.closes_at + timedelta(days=8)
    now = expires + timedelta(seconds=now_offset)
    declined_at = now - timedelta(hours=1) if declined else None
    common = {"accepted_at": None, "declined_at": declined_at, "expires_at": expires, "now": now}
    assert rules.request_view(for_requester=True, **common) == requester_sees
    assert rules.request_view(for_requester=False, **common) == recipient_sees


def test_an_accepted_request_is_a_match_for_both():
    expires = WIN.closes_at + timedelta(days=8)
    for side in (True, False):
        view = rules.request_view(
            for_requester=side, accepted_at=expires, declined_at=None, expires_at=expires, now=END
        )
        assert view == RequestView.MATCHED


def test_a_request_is_answered_once_and_before_expiry():
    expires = WIN.closes_at + timedelta(days=8)
    early = expires - timedelta(days=1)
    assert rules.may_answer(None, None, expires, early)
    assert not rules.may_answer(early, None, expires, early)
    assert not rules.may_answer(None, early, expires, early)
    assert not rules.may_answer(None, None, expires, expires)


# --- Retention ------------------------------------------------------------------------------------


def test_purge_is_due_thirty_days_after_the_close():
    due = WIN.closes_at + timedelta(days=30)
    assert not rules.purge_due(WIN.closes_at, 30, due - timedelta(seconds=1))
    assert rules.purge_due(WIN.closes_at, 30, due)


def test_only_finished_unaccepted_requests_are_purged():
    expires = WIN.closes_at + timedelta(days=8)
    late = WIN.closes_at + timedelta(days=31)
    declined = WIN.closes_at + timedelta(days=1)
    assert rules.request_purgeable(None, expires, WIN.closes_at, 30, late)
    assert not rules.request_purgeable(declined, expires, WIN.closes_at, 30, late)
    early = WIN.closes_at + timedelta(days=29)
    assert not rules.request_purgeable(None, expires, WIN.closes_at, 30, early)


@settings(max_examples=300)
@given(
    retention_days=st.integers(min_value=0, max_value=40),
    sent_hours=st.integers(min_value=0, max_value=rules.INTRODUCTION_DAYS * 24 - 1),
    declined_after=st.none() | st.integers(min_value=0, max_value=rules.REQUEST_ANSWER_DAYS * 24),
    now_hours=st.integers(min_value=0, max_value=60 * 24),
)
def test_the_purge_never_deletes_a_request_that_still_looks_open(
    retention_days, sent_hours, declined_after, now_hours
):
    """Whatever the retention period (shorter than the introduction period too), a request the
    recipient may still answer, or that the requester still sees waiting (a decline looks like
    waiting until the expiry), is never purged: deleting a declined request before its expiry
    would show the requester the decline by its vanishing."""
    sent = WIN.closes_at + timedelta(hours=sent_hours)
    expires = rules.request_expires_at(sent, WIN)
    declined = None if declined_after is None else sent + timedelta(hours=declined_after)
    now = WIN.closes_at + timedelta(hours=now_hours)
    if declined is not None and declined > now:
        declined = None  # not declined yet at `now`
    view = rules.request_view(
        for_requester=True, accepted_at=None, declined_at=declined, expires_at=expires, now=now
    )
    open_to_anyone = view == RequestView.WAITING or rules.may_answer(None, declined, expires, now)
    purgeable = rules.request_purgeable(None, expires, WIN.closes_at, retention_days, now)
    if open_to_anyone:
        assert not purgeable
    else:
        assert purgeable == rules.purge_due(WIN.closes_at, retention_days, now)


def test_a_short_retention_keeps_a_declined_request_until_it_expires():
    """Retention of 3 days, a request declined on day 1 that expires on day 8: kept until day 8."""
    sent = WIN.closes_at + timedelta(days=1)
    expires = rules.request_expires_at(sent, WIN)
    declined = sent + timedelta(hours=1)
    day_5 = WIN.closes_at + timedelta(days=5)
    assert (
        rules.request_view(
            for_requester=True,
            accepted_at=None,
            declined_at=declined,
            expires_at=expires,
            now=day_5,
        )
        == RequestView.WAITING
    )
    assert not rules.request_purgeable(None, expires, WIN.closes_at, 3, day_5)
    assert rules.request_purgeable(None, expires, WIN.closes_at, 3, expires)


# --- The property: cards seen == mutual, unblocked, consented, unhidden pairs + introductions ------

USERS = range(1, 9)
pairs_of_users = st.tuples(st.sampled_from(USERS), st.sampled_from(USERS)).filter(
    lambda p: p[0] != p[1]
)


@st.composite
def mixers(draw):
    genders = {u: draw(st.sampled_from(["male", "female"])) for u in USERS}
    removed = draw(st.sets(st.sampled_from(USERS), max_size=2))
    attendees = {u: Attendee(u, genders[u], removed=u in removed) for u in USERS}
    marks = draw(st.sets(pairs_of_users, max_size=30))
    blocks = draw(st.sets(pairs_of_users, max_size=4))
    consenting = draw(st.sets(st.sampled_from(USERS), min_size=4))
    hidden = draw(st.sets(pairs_of_users.map(lambda p: rules.pair(*p)), max_size=3))
    introductions = draw(st.sets(pairs_of_users.map(lambda p: rules.pair(*p)), max_size=3))
    return attendees, marks, blocks, consenting, hidden, introductions


@settings(max_examples=300, deadline=None)
@given(mixers())
def test_cards_seen_are_exactly_the_allowed_pairs(scenario):
    attendees, marks, blocks, consenting, hidden, introductions = scenario
    pairs = rules.mutual_pairs(marks) | introductions
    matches = [(low, high, True, (low, high) in hidden) for low, high in pairs]
    for viewer in USERS:
        seen = rules.visible_card_owners(
            viewer, matches=matches, attendees=attendees, consenting=consenting, blocks=blocks
        )
        expected = {
            other
            for other in USERS
            if other != viewer
            and (
                ((viewer, other) in marks and (other, viewer) in marks)
                or rules.pair(viewer, other) in introductions
            )
            and (viewer, other) not in blocks
            and (other, viewer) not in blocks
            and viewer in consenting
            and other in consenting
            and rules.pair(viewer, other) not in hidden
            and not attendees[viewer].removed
            and not attendees[other].removed
        }
        assert seen == expected
        # Seeing is symmetric: nobody receives a card without giving theirs.
        for other in seen:
            assert viewer in rules.visible_card_owners(
                other, matches=matches, attendees=attendees, consenting=consenting, blocks=blocks
            )


@settings(max_examples=100, deadline=None)
@given(mixers())
def test_an_unrevealed_match_shows_no_card(scenario):
    attendees, marks, blocks, consenting, _hidden, _introductions = scenario
    matches = [(low, high, False, False) for low, high in rules.mutual_pairs(marks)]
    for viewer in USERS:
        assert not rules.visible_card_owners(
            viewer, matches=matches, attendees=attendees, consenting=consenting, blocks=blocks
        )
