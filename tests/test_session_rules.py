"""The session (场次) rules on their own: each session's capacity in `fits`, `take_place`,
`promotions` and `places_left`, and `may_move_to_session`; `member_may_add_session`.

Worked examples pin each boundary; hypothesis checks against plain counters that no session
ever holds more confirmed places than its capacity, that each session's waitlist is served in
arrival order, and that a move never leaves the mover without the place they held.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.events.rules import (
    Limits,
    Occupancy,
    RegistrationState,
    Seeker,
    fits,
    may_move_to_session,
    member_may_add_session,
    places_left,
    promotions,
    session_full_for,
    session_has_room,
    take_place,
)

ONE, TWO, THREE = 1, 2, 3


def seeker(n: int, session: int | None, gender: str = "male") -> Seeker:
    return Seeker(n, gender, session_id=session)


def test_a_session_at_its_capacity_has_no_place_though_the_event_has():
    limits = Limits(capacity=10, session_caps={ONE: 2, TWO: 3})
    occupancy = Occupancy(confirmed=2, by_session={ONE: 2})
    assert not fits(limits, occupancy, seeker(1, ONE))
    assert fits(limits, occupancy, seeker(1, TWO))


def test_a_session_without_a_limit_is_bounded_by_the_event_capacity():
    limits = Limits(capacity=3, session_caps={ONE: None, TWO: 5})
    assert fits(limits, Occupancy(confirmed=2, by_session={TWO: 2}), seeker(1, ONE))
    assert not fits(limits, Occupancy(confirmed=3, by_session={TWO: 3}), seeker(1, ONE))


def test_an_event_without_sessions_is_as_before():
    limits = Limits(capacity=1)
    assert fits(limits, Occupancy(), seeker(1, None))
    assert not fits(limits, Occupancy(confirmed=1), seeker(1, None))
    assert session_has_room(limits, Occupancy(), None)


def test_take_place_counts_the_session():
    occupancy = take_place(Occupancy(confirmed=1, by_session={ONE: 1}), seeker(1, ONE))
    assert occupancy.confirmed == 2
    assert occupancy.by_session == {ONE: 2}
    assert take_place(occupancy, seeker(2, None)).by_session == {ONE: 2}


def test_promotions_serve_each_sessions_own_waitlist_in_order():
    # Session 1 is full; session 2 has one place: its first waiter gets it, though a session-1
    # waiter came earlier.
    limits = Limits(session_caps={ONE: 1, TWO: 2})
    occupancy = Occupancy(confirmed=2, by_session={ONE: 1, TWO: 1})
    waitlist = [seeker(1, ONE), seeker(2, TWO), seeker(3, TWO)]
    assert [s.registration_id for s in promotions(limits, occupancy, waitlist)] == [2]


def test_places_left_per_session_and_overall():
    limits = Limits(capacity=None, session_caps={ONE: 3, TWO: 2})
    left = places_left(limits, Occupancy(confirmed=3, by_session={ONE: 1, TWO: 2}))
    assert left.by_session == {ONE: 2, TWO: 0}
    assert left.overall == 2


def test_places_left_by_session_never_exceed_the_event_capacity():
    limits = Limits(capacity=4, session_caps={ONE: 3, TWO: None})
    left = places_left(limits, Occupancy(confirmed=3, by_session={ONE: 1, TWO: 2}))
    assert left.by_session == {ONE: 1, TWO: 1}
    assert left.overall == 1


def test_an_unlimited_session_leaves_the_overall_to_the_capacity():
    left = places_left(Limits(session_caps={ONE: 2, TWO: None}), Occupancy())
    assert left.by_session == {ONE: 2, TWO: None}
    assert left.overall is None


def test_a_confirmed_place_moves_only_into_a_session_with_room():
    limits = Limits(capacity=3, session_caps={ONE: 2, TWO: 1, THREE: 2})
    # The event is full (3 of 3), yet a move changes no total: only the session counts.
    occupancy = Occupancy(confirmed=3, by_session={ONE: 2, TWO: 1})
    mover = seeker(1, ONE)
    assert may_move_to_session(limits, occupancy, "confirmed", mover, THREE)
    assert not may_move_to_session(limits, occupancy, "confirmed", mover, TWO)
    assert not may_move_to_session(limits, occupancy, "confirmed", mover, ONE)


def test_a_waitlisted_registration_moves_only_into_a_place_that_fits_it():
    limits = Limits(capacity=3, session_caps={ONE: 1, TWO: 5})
    mover = seeker(1, ONE)
    assert may_move_to_session(
        limits, Occupancy(confirmed=1, by_session={ONE: 1}), "waitlisted", mover, TWO
    )
    # The event's own capacity is reached: no place anywhere.
    assert not may_move_to_session(
        limits, Occupancy(confirmed=3, by_session={ONE: 1, TWO: 2}), "waitlisted", mover, TWO
    )


def test_a_pending_registration_moves_anywhere_and_an_inactive_one_nowhere():
    limits = Limits(session_caps={ONE: 1, TWO: 1})
    full = Occupancy(confirmed=2, by_session={ONE: 1, TWO: 1})
    assert may_move_to_session(limits, full, "pending", seeker(1, ONE), TWO)
    assert not may_move_to_session(limits, Occupancy(), "cancelled", seeker(1, ONE), TWO)


# --- Properties against plain counters -------------------------------------------------------

SESSIONS = (ONE, TWO, THREE)
caps_strategy = st.fixed_dictionaries(
    {session: st.one_of(st.none(), st.integers(0, 4)) for session in SESSIONS}
)


@st.composite
def arrivals(draw):
    """Session caps, an event capacity and members arriving in order, each for a session."""
    caps = draw(caps_strategy)
    capacity = draw(st.one_of(st.none(), st.integers(0, 10)))
    wanted = draw(st.lists(st.sampled_from(SESSIONS), max_size=20))
    return Limits(capacity=capacity, session_caps=caps), wanted


def _arrive(limits: Limits, wanted: list[int]):
    """Each arrival takes a place if one fits, else waits: as the engine does."""
    occupancy, confirmed, waiting = Occupancy(), [], []
    for n, session in enumerate(wanted):
        s = seeker(n, session)
        if fits(limits, occupancy, s):
            occupancy = take_place(occupancy, s)
            confirmed.append(s)
        else:
            waiting.append(s)
    return occupancy, confirmed, waiting


@given(arrivals())
def test_no_session_ever_holds_more_than_its_capacity(case):
    limits, wanted = case
    _occupancy, confirmed, _waiting = _arrive(limits, wanted)
    held = Counter(s.session_id for s in confirmed)
    for session, cap in limits.session_caps.items():
        if cap is not None:
            assert held[session] <= cap
    if limits.capacity is not None:
        assert len(confirmed) <= limits.capacity


@given(arrivals(), st.data())
def test_cancellations_promote_within_the_session_first_come_first_served(case, data):
    limits, wanted = case
    occupancy, confirmed, waiting = _arrive(limits, wanted)
    leaving = data.draw(st.sets(st.sampled_from(confirmed))) if confirmed else set()
    staying = [s for s in confirmed if s not in leaving]
    occupancy = Occupancy()
    for s in staying:
        occupancy = take_place(occupancy, s)
    promoted = promotions(limits, occupancy, waiting)
    after = Counter(s.session_id for s in staying + promoted)
    for session, cap in limits.session_caps.items():
        if cap is not None:
            assert after[session] <= cap
    # Within a session, those promoted are the first of its waitlist, in order.
    for session in SESSIONS:
        line = [s.registration_id for s in waiting if s.session_id == session]
        chosen = [s.registration_id for s in promoted if s.session_id == session]
        assert chosen == line[: len(chosen)]
    # Nobody left waiting in a session that still has room (and the event too).
    final = Occupancy()
    for s in staying + promoted:
        final = take_place(final, s)
    for s in waiting:
        if s not in promoted:
            assert not fits(limits, final, s)


@given(arrivals(), st.data())
def test_a_move_never_leaves_the_mover_without_a_place(case, data):
    limits, wanted = case
    occupancy, confirmed, _waiting = _arrive(limits, wanted)
    if not confirmed:
        return
    mover = data.draw(st.sampled_from(confirmed))
    target = data.draw(st.sampled_from(SESSIONS))
    before = Counter(s.session_id for s in confirmed)
    if may_move_to_session(limits, occupancy, "confirmed", mover, target):
        # The move happens: the mover holds a place in the target, which stays within its cap.
        after = before.copy()
        after[mover.session_id] -= 1
        after[target] += 1
        cap = limits.session_caps[target]
        assert cap is None or after[target] <= cap
        assert sum(after.values()) == sum(before.values())
    else:
        # Refused: the mover keeps the place they held; a refusal happens only for a full target
        # or the session they are in.
        cap = limits.session_caps[target]
        assert target == mover.session_id or (cap is not None and before[target] >= cap)


# --- Adding a session where several may be held ----------------------------------------------

STATUSES = ("pending", "confirmed", "waitlisted", "cancelled", "rejected")


def test_a_member_adds_a_session_while_open_with_one_left_and_nothing_rejected():
    assert member_may_add_session(RegistrationState.OPEN, 1, [])
    assert member_may_add_session(RegistrationState.OPEN, 2, ["confirmed", "cancelled"])


def test_no_session_left_to_add_is_no_registering():
    assert not member_may_add_session(RegistrationState.OPEN, 0, [])
    assert not member_may_add_session(RegistrationState.OPEN, 0, ["confirmed"])


def test_a_rejected_registration_for_any_session_bars_adding_one():
    assert not member_may_add_session(RegistrationState.OPEN, 3, ["rejected"])
    assert not member_may_add_session(RegistrationState.OPEN, 3, ["confirmed", "rejected"])


def test_only_open_registration_admits_another_session():
    for state in RegistrationState:
        assert member_may_add_session(state, 1, ["confirmed"]) is (state == RegistrationState.OPEN)


@given(
    st.sampled_from(list(RegistrationState)),
    st.integers(min_value=0, max_value=5),
    st.lists(st.sampled_from(STATUSES), max_size=4),
)
def test_adding_a_session_is_open_and_room_and_nothing_rejected(state, sessions_open, statuses):
    expected = state == RegistrationState.OPEN and sessions_open > 0 and "rejected" not in statuses
    assert member_may_add_session(state, sessions_open, statuses) is expected
    # A rejection added to any history bars the member, whatever else they hold.
    assert not member_may_add_session(state, sessions_open, [*statuses, "rejected"])


# --- A session full for a move -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "left", "own_left", "seats", "full"),
    [
        ("confirmed", 0, 1, 1, False),  # the event is full, the session not: the place moves
        ("confirmed", 5, 0, 1, True),
        ("confirmed", 5, 1, 2, True),  # a member with a companion needs two
        ("confirmed", 5, 2, 2, False),
        ("confirmed", None, None, 3, False),
        ("waitlisted", 0, 1, 1, True),  # no place fits it: its turn is no turn elsewhere
        ("waitlisted", 1, 0, 1, False),
        ("waitlisted", 1, 1, 2, True),
        ("waitlisted", None, 0, 1, False),
        ("pending", 0, 0, 1, False),  # holds nothing: moves anywhere
        ("cancelled", 0, 0, 1, False),
    ],
)
def test_a_session_is_full_for_a_move_as_the_move_rule_says(status, left, own_left, seats, full):
    assert session_full_for(status, left, own_left, seats) is full


@given(
    st.sampled_from(["confirmed", "waitlisted", "pending"]),
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(1, 3),
    st.integers(0, 3),
)
def test_full_for_a_move_is_what_the_move_rule_refuses(status, cap, taken_here, seats, elsewhere):
    """Against may_move_to_session itself: one session of `cap` places holding `taken_here`, the
    mover's own session (2) holding `elsewhere` besides it, no event capacity."""
    taken_here = min(taken_here, cap)
    limits = Limits(capacity=None, session_caps={ONE: cap, TWO: None})
    mover_seats = seats if status == "confirmed" else 0
    occupancy = Occupancy(
        confirmed=taken_here + elsewhere + mover_seats,
        by_session={ONE: taken_here, TWO: elsewhere + mover_seats},
    )
    mover = Seeker(99, "male", session_id=TWO, seats=seats)
    left = cap - taken_here
    allowed = may_move_to_session(limits, occupancy, status, mover, ONE)
    assert session_full_for(status, left, left, seats) is (not allowed)
