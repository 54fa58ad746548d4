"""The rules of places offered from the waitlist, and of which edits registered members hear of.

Worked examples at the edges, then properties: over any run of freed places, confirmations,
declines and lapses, capacity is never exceeded, the waitlist is served in its order, and every
lapse offers the place to the next in line.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.events import rules

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


# --- offer_deadline ----------------------------------------------------------------------------


def test_the_deadline_is_the_confirmation_time_after_the_offer():
    assert rules.offer_deadline(NOW, NOW + 72 * HOUR, 24) == NOW + 24 * HOUR


def test_the_deadline_never_falls_after_the_start():
    assert rules.offer_deadline(NOW, NOW + 10 * HOUR, 24) == NOW + 10 * HOUR


def test_with_less_than_two_hours_left_the_place_is_given_outright():
    assert rules.offer_deadline(NOW, NOW + 2 * HOUR, 24) == NOW + 2 * HOUR
    assert rules.offer_deadline(NOW, NOW + 2 * HOUR - timedelta(seconds=1), 24) is None
    assert rules.offer_deadline(NOW, NOW, 24) is None


def test_a_short_confirmation_time_is_kept_while_it_fits_before_the_start():
    assert rules.offer_deadline(NOW, NOW + 72 * HOUR, 1) == NOW + HOUR
    assert rules.offer_deadline(NOW, NOW + HOUR, 1) == NOW + HOUR
    assert rules.offer_deadline(NOW, NOW + 59 * timedelta(minutes=1), 1) is None


def test_no_confirmation_asked_gives_the_place_outright():
    assert rules.offer_deadline(NOW, NOW + 72 * HOUR, 0) is None


@given(
    hours=st.integers(min_value=0, max_value=rules.MAX_CONFIRM_HOURS),
    start_in=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
)
def test_a_deadline_is_after_the_offer_never_after_the_start_nor_later_than_asked(hours, start_in):
    deadline = rules.offer_deadline(NOW, NOW + start_in, hours)
    if deadline is None:
        assert hours == 0 or start_in < min(hours * HOUR, rules.MIN_OFFER_WINDOW)
    else:
        assert NOW < deadline <= NOW + start_in
        assert deadline <= NOW + hours * HOUR
        assert deadline - NOW >= min(hours * HOUR, rules.MIN_OFFER_WINDOW)


# --- open and lapsed ---------------------------------------------------------------------------


def test_an_offer_is_open_until_its_deadline_and_lapsed_from_it():
    deadline = NOW + HOUR
    assert rules.offer_open(deadline, NOW) and not rules.offer_lapsed(deadline, NOW)
    assert not rules.offer_open(deadline, deadline) and rules.offer_lapsed(deadline, deadline)
    assert rules.offer_lapsed(deadline, deadline + HOUR)


def test_a_place_without_an_offer_is_neither_open_nor_lapsed():
    assert not rules.offer_open(None, NOW) and not rules.offer_lapsed(None, NOW)


@given(st.datetimes(timezones=st.just(UTC)), st.datetimes(timezones=st.just(UTC)))
def test_an_offer_is_exactly_one_of_open_and_lapsed(deadline, now):
    assert rules.offer_open(deadline, now) != rules.offer_lapsed(deadline, now)


# --- notice_changes ----------------------------------------------------------------------------

BEFORE = {"starts_at": NOW, "ends_at": NOW + 4 * HOUR, "venue": "工人文化宫", "title": "联谊会"}


def test_moving_the_start_end_or_venue_is_told_old_and_new():
    after = {"starts_at": NOW + 24 * HOUR, "ends_at": NOW + 28 * HOUR, "venue": "体育馆"}
    assert rules.notice_changes(BEFORE, after) == {
        "starts_at": (NOW, NOW + 24 * HOUR),
        "ends_at": (NOW + 4 * HOUR, NOW + 28 * HOUR),
        "venue": ("工人文化宫", "体育馆"),
    }


def test_other_changes_and_unchanged_values_are_not_told():
    assert rules.notice_changes(BEFORE, {**BEFORE, "title": "新春联谊会"}) == {}
    assert rules.notice_changes(BEFORE, {"capacity": 10}) == {}


def test_only_the_changed_detail_is_told():
    assert rules.notice_changes(BEFORE, {**BEFORE, "venue": "体育馆"}) == {
        "venue": ("工人文化宫", "体育馆")
    }


# --- properties of the waitlist with offers ----------------------------------------------------


class Event:
    """A model of the engine over the rules: offered places count as confirmed places."""

    def __init__(self, capacity: int, arrivals: int):
        self.limits = rules.Limits(capacity=capacity)
        self.held: dict[int, bool] = {}  # registration id -> still an open offer
        self.waitlist: list[int] = []
        self.served: list[int] = []  # in the order places were given or offered
        for registration_id in range(arrivals):
            occupancy = rules.Occupancy(confirmed=len(self.held))
            if rules.fits(self.limits, occupancy, rules.Seeker(registration_id, "male")):
                self.held[registration_id] = False
            else:
                self.waitlist.append(registration_id)

    def promote(self) -> list[int]:
        occupancy = rules.Occupancy(confirmed=len(self.held))
        seekers = [rules.Seeker(registration_id, "male") for registration_id in self.waitlist]
        chosen = [s.registration_id for s in rules.promotions(self.limits, occupancy, seekers)]
        for registration_id in chosen:
            self.waitlist.remove(registration_id)
            self.held[registration_id] = True
            self.served.append(registration_id)
        return chosen

    def leave(self, registration_id: int) -> list[int]:
        del self.held[registration_id]
        return self.promote()


@settings(max_examples=200)
@given(
    capacity=st.integers(min_value=1, max_value=5),
    arrivals=st.integers(min_value=0, max_value=12),
    steps=st.lists(
        st.tuples(st.sampled_from(["cancel", "confirm", "decline", "lapse"]), st.integers(0, 20)),
        max_size=30,
    ),
)
def test_capacity_holds_the_waitlist_is_served_in_order_and_each_lapse_offers_the_next(
    capacity, arrivals, steps
):
    event = Event(capacity, arrivals)
    for action, pick in steps:
        offers = sorted(r for r, open_ in event.held.items() if open_)
        places = sorted(event.held)
        if action == "cancel" and places:
            waiting_before = list(event.waitlist)
            offered = event.leave(places[pick % len(places)])
            assert offered == waiting_before[:1]
        elif action == "confirm" and offers:
            event.held[offers[pick % len(offers)]] = False
        elif action in ("decline", "lapse") and offers:
            waiting_before = list(event.waitlist)
            offered = event.leave(offers[pick % len(offers)])
            # The next in line, and only they, are offered the place given up.
            assert offered == waiting_before[:1]
        assert len(event.held) <= capacity
        assert not event.waitlist or len(event.held) == capacity
    # Places went from the waitlist in the order members joined it.
    assert event.served == sorted(event.served)
