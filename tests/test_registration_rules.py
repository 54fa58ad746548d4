"""The registration rules on their own: eligibility, places, arrival status and promotions,
what members and organizers may do, and the places left that the pages show.

Worked examples pin each boundary; hypothesis checks the promotion properties against a small
independent model of "a place is free" (plain counters, not the code under test).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsite.accounts.models import Gender
from eventsite.events import rules
from eventsite.events.models import ACTIVE_STATUSES, EventKind, RegistrationStatus
from eventsite.events.rules import (
    MIXER_MINIMUM_AGE,
    PROBLEM_FIELD,
    Applicant,
    EventTerms,
    Ineligible,
    Limits,
    Occupancy,
    PlacesLeft,
    RegistrationState,
    RosterAction,
    Seeker,
    age_in_year,
    eligibility_problems,
    fits,
    full_teams,
    member_may_cancel,
    member_may_register,
    notice_due,
    notice_window,
    places_left,
    promotions,
    registration_state,
    roster_actions,
    status_on_arrival,
    take_place,
    waiting_may_fit,
)

YEAR = 2026
P = Ineligible


def mixer(**fields) -> EventTerms:
    return EventTerms(kind="mixer", year=YEAR, **fields)


def single(birth_year: int) -> Applicant:
    return Applicant(birth_year=birth_year, single_declared=True)


COMPETITION = EventTerms(
    kind="competition", year=YEAR, team_ids=frozenset({1, 2}), track_ids=frozenset({10, 11})
)
SPORTSMEET = EventTerms(kind="sportsmeet", year=YEAR, team_ids=frozenset({1, 2, 3, 4}))


# --- eligibility ---------------------------------------------------------------------------


def test_age_is_counted_in_the_events_year():
    assert age_in_year(2008, 2026) == 18
    assert age_in_year(1990, 2026) == 36
    assert MIXER_MINIMUM_AGE == 18


@pytest.mark.parametrize(
    ("birth_year", "expected"),
    [
        (YEAR - 18, []),  # turns 18 this year: admitted
        (YEAR - 17, [P.UNDER_18]),
        (YEAR - 1, [P.UNDER_18]),
        (YEAR - 80, []),  # no upper limit unless the event sets one
    ],
)
def test_mixer_minimum_age_is_18(birth_year, expected):
    assert eligibility_problems(mixer(), single(birth_year)) == expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (24, [P.TOO_YOUNG]),
        (25, []),
        (35, []),
        (36, [P.TOO_OLD]),
    ],
)
def test_mixer_age_range_edges_are_inclusive(age, expected):
    terms = mixer(min_age=25, max_age=35)
    assert eligibility_problems(terms, single(YEAR - age)) == expected


def test_under_18_is_reported_alone_even_below_a_higher_minimum():
    assert eligibility_problems(mixer(min_age=25), single(YEAR - 17)) == [P.UNDER_18]


def test_an_event_minimum_below_18_does_not_admit_minors():
    assert eligibility_problems(mixer(min_age=16), single(YEAR - 17)) == [P.UNDER_18]
    assert eligibility_problems(mixer(min_age=16), single(YEAR - 18)) == []


def test_only_a_maximum_age():
    assert eligibility_problems(mixer(max_age=30), single(YEAR - 30)) == []
    assert eligibility_problems(mixer(max_age=30), single(YEAR - 31)) == [P.TOO_OLD]


def test_mixer_needs_the_single_declaration():
    undeclared = Applicant(birth_year=YEAR - 30, single_declared=False)
    assert eligibility_problems(mixer(), undeclared) == [P.NOT_SINGLE]


def test_mixer_reports_every_problem_in_order():
    applicant = Applicant(birth_year=YEAR - 40, single_declared=False)
    assert eligibility_problems(mixer(max_age=35), applicant) == [P.TOO_OLD, P.NOT_SINGLE]


def test_mixer_ignores_team_and_track():
    applicant = Applicant(birth_year=YEAR - 30, single_declared=True, team_id=99, track_id=99)
    assert eligibility_problems(mixer(), applicant) == []


@pytest.mark.parametrize(
    ("team_id", "track_id", "expected"),
    [
        (1, 10, []),
        (2, 11, []),
        (None, 10, [P.TEAM_REQUIRED]),
        (3, 10, [P.TEAM_UNKNOWN]),
        (1, None, [P.TRACK_REQUIRED]),
        (1, 12, [P.TRACK_UNKNOWN]),
        (None, None, [P.TEAM_REQUIRED, P.TRACK_REQUIRED]),
        (7, 70, [P.TEAM_UNKNOWN, P.TRACK_UNKNOWN]),
    ],
)
def test_competition_needs_its_own_team_and_track(team_id, track_id, expected):
    applicant = Applicant(birth_year=YEAR - 30, team_id=team_id, track_id=track_id)
    assert eligibility_problems(COMPETITION, applicant) == expected


def test_competition_has_no_age_or_single_rule():
    applicant = Applicant(birth_year=YEAR - 16, single_declared=False, team_id=1, track_id=10)
    assert eligibility_problems(COMPETITION, applicant) == []


@pytest.mark.parametrize(
    ("team_id", "expected"),
    [(4, []), (None, [P.TEAM_REQUIRED]), (5, [P.TEAM_UNKNOWN])],
)
def test_sportsmeet_needs_one_of_its_teams(team_id, expected):
    applicant = Applicant(birth_year=YEAR - 50, team_id=team_id, track_id=None)
    assert eligibility_problems(SPORTSMEET, applicant) == expected


def test_sportsmeet_ignores_tracks():
    applicant = Applicant(birth_year=YEAR - 50, team_id=1, track_id=12345)
    assert eligibility_problems(SPORTSMEET, applicant) == []


def test_an_event_without_teams_knows_no_team():
    terms = EventTerms(kind="sportsmeet", year=YEAR)
    assert eligibility_problems(terms, Applicant(birth_year=1990, team_id=1)) == [P.TEAM_UNKNOWN]


def test_every_problem_names_its_field():
    assert set(PROBLEM_FIELD) == set(Ineligible)
    assert PROBLEM_FIELD[P.TEAM_UNKNOWN] == "team_id"
    assert PROBLEM_FIELD[P.TRACK_REQUIRED] == "track_id"
    assert PROBLEM_FIELD[P.NOT_SINGLE] == "single_declared"
    assert PROBLEM_FIELD[P.UNDER_18] is None


# --- places ----------------------------------------------------------------------------------

MAN = Seeker(None, "male")
WOMAN = Seeker(None, "female")


def test_empty_limits_and_occupancy_default_to_fresh_empty_mappings():
    assert Limits().gender_quotas == {} and Occupancy().by_gender == {}
    assert Occupancy().by_team == {}
    assert Limits().gender_quotas is not Limits().gender_quotas
    assert fits(Limits(), Occupancy(), MAN)


@pytest.mark.parametrize(
    ("capacity", "confirmed", "expected"),
    [(None, 10_000, True), (10, 9, True), (10, 10, False), (10, 11, False), (0, 0, False)],
)
def test_fits_capacity(capacity, confirmed, expected):
    assert fits(Limits(capacity=capacity), Occupancy(confirmed=confirmed), MAN) is expected


def test_fits_per_gender_quota():
    limits = Limits(capacity=10, gender_quotas={"male": 3, "female": 3})
    occupancy = Occupancy(confirmed=5, by_gender={"male": 3, "female": 2})
    assert not fits(limits, occupancy, MAN)
    assert fits(limits, occupancy, WOMAN)
    full = Occupancy(confirmed=6, by_gender={"male": 3, "female": 3})
    assert not fits(limits, full, WOMAN)


def test_a_gender_without_a_quota_is_unlimited():
    occupancy = Occupancy(confirmed=50, by_gender={"male": 50})
    assert fits(Limits(gender_quotas={"male": None, "female": 2}), occupancy, MAN)
    assert fits(Limits(gender_quotas={"female": 2}), occupancy, MAN)


def test_quota_zero_admits_nobody_of_that_gender():
    assert not fits(Limits(gender_quotas={"female": 0}), Occupancy(), WOMAN)
    assert fits(Limits(gender_quotas={"female": 0}), Occupancy(), MAN)


def test_fits_team_cap():
    limits = Limits(team_cap=2)
    occupancy = Occupancy(confirmed=3, by_team={1: 2, 2: 1})
    assert not fits(limits, occupancy, Seeker(None, "male", 1))
    assert fits(limits, occupancy, Seeker(None, "male", 2))
    assert fits(limits, occupancy, Seeker(None, "male", 3))
    assert fits(limits, occupancy, Seeker(None, "male", None))  # no team, no cap


def test_capacity_binds_even_when_quota_and_team_have_room():
    limits = Limits(capacity=4, gender_quotas={"female": 10}, team_cap=10)
    occupancy = Occupancy(confirmed=4, by_gender={"male": 4}, by_team={1: 4})
    assert not fits(limits, occupancy, Seeker(None, "female", 2))


@pytest.mark.parametrize(
    ("approval_required", "has_place", "expected"),
    [
        (True, True, "pending"),
        (True, False, "pending"),
        (False, True, "confirmed"),
        (False, False, "waitlisted"),
    ],
)
def test_status_on_arrival(approval_required, has_place, expected):
    assert status_on_arrival(approval_required=approval_required, has_place=has_place) == expected


def test_take_place_counts_and_leaves_the_original_alone():
    before = Occupancy(confirmed=2, by_gender={"male": 2}, by_team={1: 2})
    after = take_place(before, Seeker(7, "female", 3))
    assert after == Occupancy(confirmed=3, by_gender={"male": 2, "female": 1}, by_team={1: 2, 3: 1})
    assert before == Occupancy(confirmed=2, by_gender={"male": 2}, by_team={1: 2})
    assert take_place(Occupancy(), MAN).by_team == {}


# --- promotions: worked examples ------------------------------------------------------------


def ids(seekers) -> list[int | None]:
    return [s.registration_id for s in seekers]


def test_promotions_stop_at_capacity_in_waitlist_order():
    waitlist = [Seeker(i, "male") for i in (4, 5, 6)]
    assert ids(promotions(Limits(capacity=3), Occupancy(confirmed=1), waitlist)) == [4, 5]


def test_promotions_fill_every_free_place_without_limits():
    waitlist = [Seeker(i, "female") for i in range(5)]
    assert ids(promotions(Limits(), Occupancy(confirmed=100), waitlist)) == [0, 1, 2, 3, 4]


def test_a_freed_female_place_skips_the_men_ahead():
    limits = Limits(capacity=4, gender_quotas={"male": 2, "female": 2})
    occupancy = Occupancy(confirmed=3, by_gender={"male": 2, "female": 1})
    waitlist = [Seeker(1, "male"), Seeker(2, "male"), Seeker(3, "female"), Seeker(4, "female")]
    assert ids(promotions(limits, occupancy, waitlist)) == [3]


def test_a_full_team_does_not_block_another_teams_member_behind():
    limits = Limits(capacity=10, team_cap=2)
    occupancy = Occupancy(confirmed=3, by_team={1: 2, 2: 1})
    waitlist = [Seeker(1, "male", 1), Seeker(2, "male", 2), Seeker(3, "male", 2)]
    assert ids(promotions(limits, occupancy, waitlist)) == [2]


def test_promotions_respect_places_taken_earlier_in_the_same_walk():
    limits = Limits(capacity=10, gender_quotas={"female": 2})
    waitlist = [Seeker(i, "female") for i in range(4)]
    assert ids(promotions(limits, Occupancy(confirmed=1, by_gender={"female": 1}), waitlist)) == [0]


def test_nobody_is_promoted_past_a_lowered_capacity():
    waitlist = [Seeker(1, "male")]
    assert promotions(Limits(capacity=5), Occupancy(confirmed=7), waitlist) == []


def test_an_empty_waitlist_promotes_nobody():
    assert promotions(Limits(capacity=5), Occupancy(), []) == []


# --- promotions: properties -----------------------------------------------------------------

GENDERS = ("male", "female")
TEAMS = (1, 2, 3)


def limits_of(**more) -> st.SearchStrategy[Limits]:
    """Limits with any capacity, gender quotas and team cap (and `more` fields' strategies)."""
    return st.builds(
        Limits,
        capacity=st.none() | st.integers(0, 12),
        gender_quotas=st.fixed_dictionaries(
            {}, optional={g: st.none() | st.integers(0, 8) for g in GENDERS}
        ),
        team_cap=st.none() | st.integers(0, 5),
        **more,
    )


limits_strategy = limits_of()
person = st.tuples(st.sampled_from(GENDERS), st.sampled_from((None, *TEAMS)))


def as_seekers(people, start: int = 1) -> list[Seeker]:
    return [Seeker(start + i, gender, team) for i, (gender, team) in enumerate(people)]


def counted(seekers) -> Occupancy:
    """Occupancy of `seekers` all confirmed, counted independently of take_place."""
    return Occupancy(
        confirmed=len(seekers),
        by_gender=dict(Counter(s.gender for s in seekers)),
        by_team=dict(Counter(s.team_id for s in seekers if s.team_id is not None)),
    )


def room_for(limits: Limits, confirmed: list[Seeker], seeker: Seeker) -> bool:
    """The oracle: a place is free under capacity, the seeker's gender quota and team cap."""
    if limits.capacity is not None and len(confirmed) >= limits.capacity:
        return False
    quota = limits.gender_quotas.get(seeker.gender)
    if quota is not None and sum(s.gender == seeker.gender for s in confirmed) >= quota:
        return False
    return not (
        limits.team_cap is not None
        and seeker.team_id is not None
        and sum(s.team_id == seeker.team_id for s in confirmed) >= limits.team_cap
    )


@st.composite
def scenarios(draw):
    """Limits, a confirmed set that respects them (as the engine keeps it) and a waitlist."""
    limits = draw(limits_strategy)
    confirmed: list[Seeker] = []
    for candidate in as_seekers(draw(st.lists(person, max_size=20)), start=1000):
        if room_for(limits, confirmed, candidate):
            confirmed.append(candidate)
    waitlist = as_seekers(draw(st.lists(person, max_size=25)))
    return limits, confirmed, waitlist


@given(scenarios())
@settings(max_examples=400)
def test_promotions_never_exceed_capacity_quota_or_team_cap(scenario):
    limits, confirmed, waitlist = scenario
    final = confirmed + promotions(limits, counted(confirmed), waitlist)
    if limits.capacity is not None:
        assert len(final) <= limits.capacity
    for gender, quota in limits.gender_quotas.items():
        if quota is not None:
            assert sum(s.gender == gender for s in final) <= quota
    if limits.team_cap is not None:
        for team in TEAMS:
            assert sum(s.team_id == team for s in final) <= limits.team_cap


@given(scenarios())
@settings(max_examples=400)
def test_promotions_keep_waitlist_order_and_pass_over_only_those_without_room(scenario):
    limits, confirmed, waitlist = scenario
    promoted = promotions(limits, counted(confirmed), waitlist)
    chosen = set(ids(promoted))
    assert [s for s in waitlist if s.registration_id in chosen] == promoted  # order kept
    assert len(chosen) == len(promoted)  # nobody twice
    taken = list(confirmed)
    for seeker in waitlist:
        if seeker.registration_id in chosen:
            assert room_for(limits, taken, seeker)
            taken.append(seeker)
        else:
            # Passed over: full capacity, or their own quota or team was full at that moment.
            assert not room_for(limits, taken, seeker)


@given(
    capacity=st.none() | st.integers(0, 15),
    confirmed=st.integers(0, 15),
    people=st.lists(person, max_size=25),
)
def test_without_quotas_or_caps_promotions_are_the_first_free_seekers(capacity, confirmed, people):
    waitlist = as_seekers(people)
    free = len(waitlist) if capacity is None else max(0, capacity - confirmed)
    promoted = promotions(Limits(capacity=capacity), Occupancy(confirmed=confirmed), waitlist)
    assert promoted == waitlist[:free]


@given(scenarios())
@settings(max_examples=400)
def test_promotions_are_idempotent(scenario):
    limits, confirmed, waitlist = scenario
    promoted = promotions(limits, counted(confirmed), waitlist)
    chosen = set(ids(promoted))
    remaining = [s for s in waitlist if s.registration_id not in chosen]
    assert promotions(limits, counted(confirmed + promoted), remaining) == []
    # and nobody left waiting fits: the walk was maximal
    assert not any(room_for(limits, confirmed + promoted, s) for s in remaining)


@given(scenarios())
def test_fits_agrees_with_the_oracle(scenario):
    limits, confirmed, waitlist = scenario
    occupancy = counted(confirmed)
    for seeker in waitlist:
        assert fits(limits, occupancy, seeker) is room_for(limits, confirmed, seeker)


@given(scenarios())
def test_take_place_matches_counting(scenario):
    _limits, confirmed, waitlist = scenario
    occupancy = counted(confirmed)
    for seeker in waitlist:
        occupancy = take_place(occupancy, seeker)
    assert occupancy == counted(confirmed + waitlist)


# --- whether anyone waiting may fit (an arrival skips the waitlist when nobody can) ------------


def waiting(*seekers: Seeker, occupancy: Occupancy | None = None) -> Occupancy:
    """`occupancy` (empty by default) with `seekers` on the waitlist."""
    occupancy = occupancy or Occupancy()
    return Occupancy(
        confirmed=occupancy.confirmed,
        by_gender=occupancy.by_gender,
        by_team=occupancy.by_team,
        by_session=occupancy.by_session,
        waitlisted=len(seekers),
        waiting_groups=frozenset((s.gender, s.team_id, s.session_id) for s in seekers),
    )


def test_nobody_waiting_fits_nobody():
    assert waiting_may_fit(Limits(capacity=5), Occupancy()) is False


def test_a_mixer_whose_mens_quota_is_full_has_no_place_for_the_men_waiting():
    limits = Limits(capacity=10, gender_quotas={"male": 2, "female": 8})
    full = Occupancy(confirmed=3, by_gender={"male": 2, "female": 1})
    assert waiting_may_fit(limits, waiting(Seeker(1, "male"), occupancy=full)) is False
    # A man's place freed: the men waiting may take it.
    freed = Occupancy(confirmed=2, by_gender={"male": 1, "female": 1})
    assert waiting_may_fit(limits, waiting(Seeker(1, "male"), occupancy=freed)) is True
    # A woman waiting fits where the men do not.
    both = waiting(Seeker(1, "male"), Seeker(2, "female"), occupancy=full)
    assert waiting_may_fit(limits, both) is True


def test_a_full_team_or_session_has_no_place_for_its_members_waiting():
    capped = Limits(team_cap=1)
    team_full = Occupancy(confirmed=1, by_gender={"male": 1}, by_team={7: 1})
    assert waiting_may_fit(capped, waiting(Seeker(1, "male", 7), occupancy=team_full)) is False
    assert waiting_may_fit(capped, waiting(Seeker(1, "male", 8), occupancy=team_full)) is True
    sessions = Limits(session_caps={10: 1, 11: 2})
    session_full = Occupancy(confirmed=1, by_gender={"male": 1}, by_session={10: 1})
    one = Seeker(1, "female", session_id=10)
    other = Seeker(2, "female", session_id=11)
    assert waiting_may_fit(sessions, waiting(one, occupancy=session_full)) is False
    assert waiting_may_fit(sessions, waiting(one, other, occupancy=session_full)) is True


def test_a_full_event_has_no_place_for_anyone_waiting():
    full = Occupancy(confirmed=4, by_gender={"female": 4})
    assert waiting_may_fit(Limits(capacity=4), waiting(Seeker(1, "male"), occupancy=full)) is False
    assert waiting_may_fit(Limits(capacity=5), waiting(Seeker(1, "male"), occupancy=full)) is True


SESSIONS = (None, 10, 11)
seated_person = st.tuples(
    st.sampled_from(GENDERS),
    st.sampled_from((None, *TEAMS)),
    st.integers(1, 4),
    st.sampled_from(SESSIONS),
)
seated_limits = limits_of(
    session_caps=st.fixed_dictionaries(
        {}, optional={s: st.none() | st.integers(0, 6) for s in (10, 11)}
    )
)


@given(
    limits=seated_limits,
    taken=st.lists(seated_person, max_size=15),
    queue=st.lists(seated_person, max_size=15),
)
@settings(max_examples=500)
def test_nobody_is_promoted_when_no_waiting_group_may_fit(limits, taken, queue):
    """Whatever the places taken (within limits or not) and whoever waits, with any seats and
    sessions: `waiting_may_fit` false means `promotions` promotes nobody; with every seeker
    coming alone the two agree exactly."""
    occupancy = Occupancy()
    for i, (gender, team, seats, session) in enumerate(taken):
        occupancy = take_place(occupancy, Seeker(1000 + i, gender, team, seats, session))
    queued = [Seeker(i, g, t, seats, s) for i, (g, t, seats, s) in enumerate(queue)]
    state = waiting(*queued, occupancy=occupancy)
    promoted = promotions(limits, state, queued)
    if not waiting_may_fit(limits, state):
        assert promoted == []
    alone = [Seeker(s.registration_id, s.gender, s.team_id, 1, s.session_id) for s in queued]
    assert waiting_may_fit(limits, waiting(*alone, occupancy=occupancy)) is bool(
        promotions(limits, occupancy, alone)
    )


# --- registration state, registering and cancelling --------------------------------------------

OPENS = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
CLOSES = datetime(2026, 11, 8, 1, 0, tzinfo=UTC)
STARTS = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (OPENS - SECOND, "not_yet"),
        (OPENS, "open"),
        (CLOSES - SECOND, "open"),
        (CLOSES, "closed"),
        (CLOSES + timedelta(days=30), "closed"),
    ],
)
def test_a_published_events_registration_follows_its_window(now, state):
    assert registration_state("published", OPENS, CLOSES, now) == state


@pytest.mark.parametrize(("status", "state"), [("draft", "draft"), ("cancelled", "cancelled")])
def test_drafts_and_cancelled_events_never_open(status, state):
    for now in (OPENS - SECOND, OPENS, CLOSES - SECOND, CLOSES):
        assert registration_state(status, OPENS, CLOSES, now) == state


def test_registration_states_are_the_templates_words():
    assert [s.value for s in RegistrationState] == [
        "draft",
        "cancelled",
        "not_yet",
        "open",
        "closed",
    ]


@pytest.mark.parametrize(
    ("state", "status", "may"),
    [
        ("open", None, True),
        ("open", "cancelled", True),
        ("open", "pending", False),
        ("open", "confirmed", False),
        ("open", "waitlisted", False),
        ("open", "rejected", False),
        ("not_yet", None, False),
        ("closed", None, False),
        ("closed", "cancelled", False),
        ("draft", None, False),
        ("cancelled", None, False),
    ],
)
def test_member_may_register_only_while_open_and_without_a_live_or_declined_registration(
    state, status, may
):
    assert member_may_register(state, status) is may


@pytest.mark.parametrize("status", ["pending", "confirmed", "waitlisted"])
def test_an_active_registration_may_be_cancelled_until_the_start(status):
    assert member_may_cancel(status, STARTS, STARTS - SECOND) is True
    assert member_may_cancel(status, STARTS, STARTS) is False  # the start itself is too late
    assert member_may_cancel(status, STARTS, STARTS + timedelta(days=1)) is False


@pytest.mark.parametrize("status", ["cancelled", "rejected"])
def test_a_finished_registration_cannot_be_cancelled(status):
    assert member_may_cancel(status, STARTS, STARTS - timedelta(days=7)) is False


@pytest.mark.parametrize(
    ("state", "status", "may"),
    [
        ("open", "pending", True),
        ("open", "confirmed", True),
        ("open", "waitlisted", True),
        ("open", "cancelled", False),
        ("open", "rejected", False),
        ("open", None, False),  # nothing to change
        ("closed", "confirmed", False),
        ("not_yet", "pending", False),
        ("draft", "confirmed", False),
        ("cancelled", "waitlisted", False),
    ],
)
def test_companions_change_only_while_open_and_on_an_active_registration(state, status, may):
    assert rules.member_may_change_companions(state, status) is may


@pytest.mark.parametrize(
    ("state", "sessions_open", "statuses", "may"),
    [
        ("open", 1, [], True),  # one session left to take is enough
        ("open", 3, ["confirmed", "waitlisted"], True),
        ("open", 1, ["cancelled"], True),
        ("open", 0, ["confirmed"], False),  # every session taken, started or not open to them
        ("open", 2, ["confirmed", "rejected"], False),  # rejected once: not for another
        ("open", 2, ["rejected"], False),
        ("closed", 2, [], False),
        ("not_yet", 2, [], False),
        ("draft", 2, [], False),
    ],
)
def test_a_member_adds_a_session_while_open_with_one_left_and_none_rejected(
    state, sessions_open, statuses, may
):
    assert rules.member_may_add_session(state, sessions_open, statuses) is may


def test_the_rules_statuses_and_genders_are_the_models():
    assert {str(s) for s in ACTIVE_STATUSES} == rules.ACTIVE_STATUSES
    assert set(rules.GENDERS) == {str(g) for g in Gender}


# --- roster actions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        ("pending", {"approve", "reject", "cancel", "move"}),
        ("waitlisted", {"reject", "cancel", "move"}),
        ("confirmed", {"cancel", "move"}),
        ("cancelled", set()),
        ("rejected", set()),
        ("no-such-status", set()),
    ],
)
def test_roster_actions_per_status(status, actions):
    assert roster_actions(status) == actions


def test_every_status_is_covered_and_only_active_ones_can_be_cancelled():
    for status in RegistrationStatus:
        allowed = roster_actions(status)
        assert allowed <= set(RosterAction)
        assert (RosterAction.CANCEL in allowed) is (status in ACTIVE_STATUSES)


# --- places left -------------------------------------------------------------------------------


def mixer_limits(capacity=None, male=None, female=None) -> Limits:
    return Limits(capacity=capacity, gender_quotas={"male": male, "female": female})


def taken(male=0, female=0) -> Occupancy:
    return Occupancy(confirmed=male + female, by_gender={"male": male, "female": female})


def test_a_full_mens_quota_leaves_places_to_women_only():
    left = places_left(mixer_limits(80, male=40, female=40), taken(male=40))
    assert left == PlacesLeft(overall=40, by_gender={"male": 0, "female": 40})
    assert (left.for_gender("male"), left.for_gender("female")) == (0, 40)
    assert left.gender_limited


def test_a_gender_never_has_more_places_than_the_capacity_leaves():
    left = places_left(mixer_limits(10, male=8, female=8), taken(male=3, female=3))
    assert left.by_gender == {"male": 4, "female": 4} and left.overall == 4


def test_overall_is_no_more_than_every_genders_places_together():
    left = places_left(mixer_limits(80, male=30, female=30), taken(male=10))
    assert left == PlacesLeft(overall=50, by_gender={"male": 20, "female": 30})


def test_quotas_alone_limit_an_event_without_capacity():
    left = places_left(mixer_limits(male=5, female=5), taken(male=2))
    assert left == PlacesLeft(overall=8, by_gender={"male": 3, "female": 5})


def test_a_gender_without_quota_is_limited_only_by_capacity():
    left = places_left(mixer_limits(capacity=None, female=1), taken(female=1))
    assert left == PlacesLeft(overall=None, by_gender={"male": None, "female": 0})
    assert (left.for_gender("male"), left.for_gender("female")) == (None, 0)
    left = places_left(mixer_limits(capacity=10, female=1), taken(male=2, female=1))
    assert left.overall == 7 and left.by_gender == {"male": 7, "female": 0}


def test_no_limits_no_count():
    left = places_left(Limits(), Occupancy(confirmed=500))
    assert left == PlacesLeft(overall=None, by_gender={})
    assert left.for_gender("female") is None and not left.gender_limited


def test_without_quotas_everyone_sees_the_capacity_left():
    left = places_left(Limits(capacity=3), Occupancy(confirmed=2, by_gender={"male": 2}))
    assert left == PlacesLeft(overall=1, by_gender={})
    assert left.for_gender("male") == left.for_gender(None) == 1


def test_over_full_counts_never_go_below_zero():
    # A capacity lowered below the confirmed count (the service refuses it, the rule copes).
    left = places_left(mixer_limits(4, male=1, female=1), taken(male=3, female=3))
    assert left == PlacesLeft(overall=0, by_gender={"male": 0, "female": 0})


def test_gender_limited_only_when_a_quota_binds_below_the_overall():
    assert not places_left(mixer_limits(10), taken(male=1)).gender_limited
    assert not places_left(mixer_limits(10, male=10), taken()).gender_limited
    assert places_left(mixer_limits(10, male=9), taken()).gender_limited


@given(scenarios())
@settings(max_examples=400)
def test_places_left_is_exactly_what_a_run_of_one_gender_can_take(scenario):
    limits, confirmed, _waitlist = scenario
    left = places_left(limits, counted(confirmed))
    for gender in GENDERS:
        room = left.for_gender(gender)
        taken_now = list(confirmed)
        for i in range(room if room is not None else 30):
            newcomer = Seeker(None, gender)
            assert room_for(limits, taken_now, newcomer), (gender, i)
            taken_now.append(newcomer)
        if room is not None:
            assert not room_for(limits, taken_now, Seeker(None, gender))


@given(scenarios())
@settings(max_examples=400)
def test_places_left_overall_is_positive_iff_some_gender_has_a_place(scenario):
    limits, confirmed, _waitlist = scenario
    left = places_left(limits, counted(confirmed))
    someone_fits = any(room_for(limits, confirmed, Seeker(None, g)) for g in GENDERS)
    assert (left.overall is None or left.overall > 0) is someone_fits


# --- full teams --------------------------------------------------------------------------------


def test_full_teams_are_those_at_or_over_the_cap():
    occupancy = Occupancy(confirmed=6, by_team={1: 2, 2: 3, 3: 1})
    assert full_teams(Limits(team_cap=2), occupancy) == {1, 2}
    assert full_teams(Limits(team_cap=4), occupancy) == frozenset()
    assert full_teams(Limits(team_cap=0), Occupancy()) == frozenset()  # no team counted yet
    assert full_teams(Limits(), occupancy) == frozenset()


# --- scheduled notices -------------------------------------------------------------------------

LEAD = rules.REMINDER_LEAD


def test_a_notices_window_runs_from_now_to_the_lead_ahead():
    assert notice_window(OPENS, LEAD) == (OPENS, OPENS + LEAD)


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        (OPENS - SECOND, False),  # already past
        (OPENS, False),  # starting now: too late to give notice ahead
        (OPENS + SECOND, True),
        (OPENS + LEAD, True),  # exactly the lead ahead
        (OPENS + LEAD + SECOND, False),  # not yet
    ],
)
def test_a_notice_is_due_from_the_lead_before_the_moment_until_the_moment(moment, due):
    assert notice_due(moment, OPENS, LEAD) is due


@given(
    offset=st.integers(min_value=-3 * 86_400, max_value=3 * 86_400),
    lead_seconds=st.integers(min_value=0, max_value=2 * 86_400),
)
def test_a_notice_is_due_exactly_while_now_is_within_the_lead_before_the_moment(
    offset, lead_seconds
):
    moment = OPENS + timedelta(seconds=offset)
    lead = timedelta(seconds=lead_seconds)
    assert notice_due(moment, OPENS, lead) is (moment - lead <= OPENS < moment)


# --- The public event list: who shares it, when it changes by the clock -------------------------


def test_the_list_changes_at_the_earliest_moment_still_to_come():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert rules.listing_changes_at(now, [now - hour, now + 2 * hour, None, now + hour]) == (
        now + hour
    )
    assert rules.listing_changes_at(now, [now, now + hour]) == now  # it changes right after
    assert rules.listing_changes_at(now, [now - hour, None]) is None
    assert rules.listing_changes_at(now, []) is None


def test_who_shares_the_public_list():
    assert {kind.value for kind in EventKind} == rules.KINDS
    assert rules.shares_public_list(False, False, {})
    assert rules.shares_public_list(
        False, False, {"kind": ["mixer"], "when": ["past"], "page": ["12"], "org": ["3"]}
    )
    assert not rules.shares_public_list(True, False, {})  # a signed-in member
    assert not rules.shares_public_list(False, True, {})  # a message waiting for the visitor
    assert not rules.shares_public_list(False, False, {"q": ["x"]})  # not the list's argument
    assert not rules.shares_public_list(False, False, {"kind": ["mixer", "general"]})
    for name, bad in (("kind", "party"), ("when", "soon"), ("page", "12345"), ("page", "-1")):
        assert not rules.shares_public_list(False, False, {name: [bad]})
    assert not rules.shares_public_list(False, False, {"org": ["12345678901"]})
    assert rules.shares_public_list(False, False, {"page": ["9999"], "org": ["1234567890"]})


# --- Sessions (场次): each its own seats within the event's ---------------------------------------


def test_a_session_has_room_for_seats_up_to_its_own_capacity():
    limits = rules.Limits(capacity=100, session_caps={1: 10, 2: None})
    taken = rules.Occupancy(confirmed=12, by_session={1: 8, 2: 4})
    assert rules.session_has_room(limits, taken, 1)
    assert rules.session_has_room(limits, taken, 1, seats=2)
    assert not rules.session_has_room(limits, taken, 1, seats=3)  # 8 + 3 > 10
    assert rules.session_has_room(limits, taken, 2, seats=50)  # no limit of its own
    assert rules.session_has_room(limits, taken, None, seats=500)  # no session: not this rule
    assert rules.session_has_room(limits, rules.Occupancy(), 1, seats=10)  # none taken yet
    assert not rules.session_has_room(limits, rules.Occupancy(), 1, seats=11)


def test_a_seeker_fits_only_with_room_in_their_session():
    limits = rules.Limits(capacity=100, session_caps={1: 10, 2: 10})
    taken = rules.Occupancy(confirmed=18, by_session={1: 9, 2: 9})
    assert rules.fits(limits, taken, rules.Seeker(None, "male", session_id=1))
    assert not rules.fits(limits, taken, rules.Seeker(None, "male", seats=2, session_id=1))
    full = rules.Occupancy(confirmed=19, by_session={1: 10, 2: 9})
    assert not rules.fits(limits, full, rules.Seeker(None, "male", session_id=1))
    assert rules.fits(limits, full, rules.Seeker(None, "male", session_id=2))


def test_taking_a_place_counts_every_seat_in_the_session():
    before = rules.Occupancy(confirmed=3, by_session={1: 3})
    after = rules.take_place(before, rules.Seeker(None, "female", seats=3, session_id=1))
    assert (after.confirmed, dict(after.by_session)) == (6, {1: 6})
    other = rules.take_place(after, rules.Seeker(None, "male", seats=2, session_id=2))
    assert (other.confirmed, dict(other.by_session)) == (8, {1: 6, 2: 2})
    plain = rules.take_place(other, rules.Seeker(None, "male"))
    assert (plain.confirmed, dict(plain.by_session)) == (9, {1: 6, 2: 2})
    assert dict(before.by_session) == {1: 3}  # the occupancy given is left as it was


def test_promotions_pass_over_a_full_session_and_fill_the_others():
    limits = rules.Limits(capacity=10, session_caps={1: 2, 2: 5})
    taken = rules.Occupancy(confirmed=2, by_session={1: 2})
    waitlist = [
        rules.Seeker(1, "male", session_id=1),
        rules.Seeker(2, "female", seats=2, session_id=2),
        rules.Seeker(3, "male", session_id=1),
        rules.Seeker(4, "male", seats=3, session_id=2),
        rules.Seeker(5, "female", session_id=2),
    ]
    assert [s.registration_id for s in rules.promotions(limits, taken, waitlist)] == [2, 4]


def test_places_left_per_session_and_overall():
    limits = rules.Limits(capacity=30, session_caps={1: 10, 2: 10, 3: 20})
    taken = rules.Occupancy(confirmed=16, by_session={1: 10, 2: 4, 3: 2})
    left = rules.places_left(limits, taken)
    assert dict(left.by_session) == {1: 0, 2: 6, 3: 14}
    assert left.overall == 14  # the event's 30 − 16, though the sessions leave 20
    roomy = rules.places_left(rules.Limits(capacity=100, session_caps={1: 10, 2: 5}), taken)
    assert dict(roomy.by_session) == {1: 0, 2: 1}
    assert roomy.overall == 1  # the sessions together leave fewer than the event
    open_ended = rules.places_left(
        rules.Limits(capacity=None, session_caps={1: 10, 2: None}), taken
    )
    assert dict(open_ended.by_session) == {1: 0, 2: None}
    assert open_ended.overall is None


def test_a_member_alone_needs_one_seat_in_the_session():
    limits = rules.Limits(session_caps={1: 10})
    assert rules.session_has_room(limits, rules.Occupancy(confirmed=9, by_session={1: 9}), 1)
    assert not rules.session_has_room(limits, rules.Occupancy(confirmed=10, by_session={1: 10}), 1)


def test_a_session_nobody_took_yet_has_all_its_places_left():
    limits = rules.Limits(capacity=None, session_caps={1: 10, 2: 5})
    left = rules.places_left(limits, rules.Occupancy(confirmed=3, by_session={1: 3}))
    assert dict(left.by_session) == {1: 7, 2: 5}
    assert left.overall == 12


# --- Moving a registration to another session ---------------------------------------------------

#: Two sessions of ten seats in an event of 30: session 1 is full, session 2 has three free.
SESSION_LIMITS = rules.Limits(capacity=30, session_caps={1: 10, 2: 10})
SESSIONS_TAKEN = rules.Occupancy(confirmed=17, by_session={1: 10, 2: 7})


def in_session(session_id: int, seats: int = 1, gender: str = "male") -> rules.Seeker:
    return rules.Seeker(7, gender, seats=seats, session_id=session_id)


@pytest.mark.parametrize("status", ["pending", "confirmed", "waitlisted"])
def test_a_registration_does_not_move_to_the_session_it_is_in(status):
    roomy = rules.Limits(capacity=None, session_caps={1: None, 2: None})
    assert not rules.may_move_to_session(roomy, rules.Occupancy(), status, in_session(2), 2)


def test_a_pending_registration_holds_nothing_and_moves_anywhere():
    assert rules.may_move_to_session(SESSION_LIMITS, SESSIONS_TAKEN, "pending", in_session(2), 1)
    everything_full = rules.Occupancy(confirmed=30, by_session={1: 10, 2: 20})
    assert rules.may_move_to_session(SESSION_LIMITS, everything_full, "pending", in_session(1), 2)


@pytest.mark.parametrize(("seats", "may"), [(1, True), (3, True), (4, False)])
def test_a_confirmed_place_moves_only_into_free_places_for_all_its_seats(seats, may):
    seeker = in_session(1, seats=seats)
    assert rules.may_move_to_session(SESSION_LIMITS, SESSIONS_TAKEN, "confirmed", seeker, 2) is may


def test_a_confirmed_place_never_moves_into_a_full_session():
    assert not rules.may_move_to_session(
        SESSION_LIMITS, SESSIONS_TAKEN, "confirmed", in_session(2), 1
    )


def test_a_confirmed_place_moves_though_the_event_is_full():
    # The place moves, the total stays: only the target session's own capacity counts.
    limits = rules.Limits(capacity=20, session_caps={1: 10, 2: 12})
    full_event = rules.Occupancy(confirmed=20, by_session={1: 10, 2: 10})
    assert rules.may_move_to_session(limits, full_event, "confirmed", in_session(1, seats=2), 2)
    assert not rules.may_move_to_session(limits, full_event, "confirmed", in_session(1, seats=3), 2)


def test_a_confirmed_place_moves_freely_into_a_session_without_a_limit():
    limits = rules.Limits(capacity=10, session_caps={1: 5, 2: None})
    full_event = rules.Occupancy(confirmed=10, by_session={1: 5, 2: 5})
    assert rules.may_move_to_session(limits, full_event, "confirmed", in_session(1, seats=4), 2)


def test_a_waitlisted_registration_moves_only_into_a_place_it_would_get():
    # Waiting because session 1 is full; session 2 has three places free and so has the event.
    assert rules.may_move_to_session(
        SESSION_LIMITS, SESSIONS_TAKEN, "waitlisted", in_session(1, seats=3), 2
    )
    assert not rules.may_move_to_session(
        SESSION_LIMITS, SESSIONS_TAKEN, "waitlisted", in_session(1, seats=4), 2
    )
    assert not rules.may_move_to_session(
        SESSION_LIMITS, SESSIONS_TAKEN, "waitlisted", in_session(2), 1
    )


def test_a_waitlisted_registration_needs_a_place_in_the_event_too():
    limits = rules.Limits(capacity=18, session_caps={1: 10, 2: 10})
    assert rules.may_move_to_session(limits, SESSIONS_TAKEN, "waitlisted", in_session(1), 2)
    assert not rules.may_move_to_session(
        limits, SESSIONS_TAKEN, "waitlisted", in_session(1, seats=2), 2
    )


def test_a_waitlisted_registration_needs_room_in_its_gender_quota():
    limits = rules.Limits(capacity=30, gender_quotas={"female": 5}, session_caps={1: 10, 2: 10})
    taken = rules.Occupancy(confirmed=17, by_gender={"female": 5}, by_session={1: 10, 2: 7})
    assert not rules.may_move_to_session(limits, taken, "waitlisted", in_session(1, 1, "female"), 2)
    assert rules.may_move_to_session(limits, taken, "waitlisted", in_session(1, 1, "male"), 2)


@pytest.mark.parametrize("status", ["cancelled", "rejected"])
def test_a_finished_registration_moves_nowhere(status):
    roomy = rules.Limits(capacity=None, session_caps={1: None, 2: None})
    assert not rules.may_move_to_session(roomy, rules.Occupancy(), status, in_session(1), 2)


@pytest.mark.parametrize(
    ("status", "left", "own_left", "seats", "full"),
    [
        # A confirmed place needs the session's own places only; the event's do not count.
        ("confirmed", 0, 3, 3, False),
        ("confirmed", 5, 2, 3, True),
        ("confirmed", 0, None, 9, False),
        ("confirmed", 0, 0, 1, True),
        # A waitlisted one needs the places left, the session's and the event's together.
        ("waitlisted", 3, 5, 3, False),
        ("waitlisted", 2, 5, 3, True),
        ("waitlisted", None, 0, 9, False),
        ("waitlisted", 0, 0, 1, True),
        # A pending one holds nothing and is never kept out.
        ("pending", 0, 0, 4, False),
        ("pending", None, None, 1, False),
        ("cancelled", 0, 0, 1, False),
    ],
)
def test_a_session_is_full_for_a_move_by_the_places_its_status_needs(
    status, left, own_left, seats, full
):
    assert rules.session_full_for(status, left, own_left, seats) is full


SESSIONS = (1, 2, 3)


@st.composite
def session_moves(draw):
    """An event in sessions (no quotas: a union activity), its seats taken, and one registration
    in one session, with a status and seats, that would move to another."""
    caps = draw(st.fixed_dictionaries({s: st.none() | st.integers(0, 8) for s in SESSIONS}))
    by_session = draw(st.fixed_dictionaries({s: st.integers(0, 10) for s in SESSIONS}))
    limits = rules.Limits(capacity=draw(st.none() | st.integers(0, 30)), session_caps=caps)
    occupancy = rules.Occupancy(confirmed=sum(by_session.values()), by_session=by_session)
    from_session, to_session = draw(st.permutations(SESSIONS))[:2]
    seeker = rules.Seeker(
        7, draw(st.sampled_from(GENDERS)), seats=draw(st.integers(1, 4)), session_id=from_session
    )
    status = draw(st.sampled_from(["pending", "confirmed", "waitlisted"]))
    return limits, occupancy, status, seeker, to_session


@given(session_moves())
@settings(max_examples=400)
def test_a_session_shown_full_is_exactly_one_the_move_refuses(move):
    limits, occupancy, status, seeker, to_session = move
    cap, taken_there = limits.session_caps[to_session], occupancy.by_session[to_session]
    left = rules.places_left(limits, occupancy).by_session[to_session]
    own_left = None if cap is None else max(0, cap - taken_there)  # as the session pages count
    shown_full = rules.session_full_for(status, left, own_left, seeker.seats)
    assert shown_full is not rules.may_move_to_session(
        limits, occupancy, status, seeker, to_session
    )


# --- Companions (家属) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("companions", "allowed"), [(-1, False), (0, True), (1, True), (3, True), (4, False)]
)
def test_a_union_activity_admits_from_none_up_to_its_maximum_of_companions(companions, allowed):
    assert rules.companions_allowed("general", 3, companions) is allowed


@pytest.mark.parametrize("kind", ["mixer", "competition", "sportsmeet"])
def test_other_kinds_of_event_admit_no_companions_whatever_their_maximum(kind):
    assert rules.companions_allowed(kind, 3, 0)
    assert not rules.companions_allowed(kind, 3, 1)
    assert not rules.companions_allowed(kind, rules.MAX_COMPANIONS, 1)


def test_a_maximum_of_zero_admits_the_member_alone():
    assert rules.companions_allowed("general", 0, 0)
    assert not rules.companions_allowed("general", 0, 1)
    assert rules.companions_allowed("general", rules.MAX_COMPANIONS, rules.MAX_COMPANIONS)


@pytest.mark.parametrize(("extra", "fit"), [(1, True), (2, True), (3, False)])
def test_more_companions_fit_up_to_the_capacity_left(extra, fit):
    limits = rules.Limits(capacity=10)
    assert rules.more_seats_fit(limits, rules.Occupancy(confirmed=8), extra) is fit


def test_more_companions_fit_without_limit_in_an_open_ended_event():
    assert rules.more_seats_fit(rules.Limits(), rules.Occupancy(confirmed=500), 1000)
    unlimited_session = rules.Limits(session_caps={1: None})
    assert rules.more_seats_fit(unlimited_session, rules.Occupancy(by_session={1: 50}), 1000, 1)


@pytest.mark.parametrize(("extra", "fit"), [(1, True), (2, True), (3, False)])
def test_more_companions_fit_up_to_their_sessions_places_left(extra, fit):
    limits = rules.Limits(capacity=100, session_caps={1: 10, 2: 50})
    taken = rules.Occupancy(confirmed=20, by_session={1: 8, 2: 12})
    assert rules.more_seats_fit(limits, taken, extra, 1) is fit


def test_more_companions_ignore_quotas_and_team_caps():
    # Quotas and team caps count members: a member already in brings companions past them.
    limits = rules.Limits(capacity=10, gender_quotas={"female": 2}, team_cap=2)
    taken = rules.Occupancy(confirmed=4, by_gender={"female": 2}, by_team={1: 2})
    assert rules.more_seats_fit(limits, taken, 6)
    assert not rules.more_seats_fit(limits, taken, 7)


@given(
    capacity=st.none() | st.integers(0, 20),
    session_cap=st.none() | st.integers(0, 10),
    in_session=st.integers(0, 10),
    elsewhere=st.integers(0, 10),
    extra=st.integers(1, 12),
)
def test_more_seats_fit_exactly_as_many_as_the_event_and_session_leave(
    capacity, session_cap, in_session, elsewhere, extra
):
    limits = rules.Limits(capacity=capacity, session_caps={1: session_cap})
    taken = rules.Occupancy(confirmed=in_session + elsewhere, by_session={1: in_session})
    bounds = [(capacity, in_session + elsewhere), (session_cap, in_session)]
    room = min((limit - used for limit, used in bounds if limit is not None), default=None)
    assert rules.more_seats_fit(limits, taken, extra, 1) is (room is None or extra <= room)


# --- Checking in at the session's time -----------------------------------------------------------

SESSION_STARTS = datetime(2026, 11, 8, 9, 0, tzinfo=UTC)
SESSION_ENDS = datetime(2026, 11, 8, 11, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("now", "theirs"),
    [
        (SESSION_STARTS - HOUR - SECOND, False),
        (SESSION_STARTS - HOUR, True),  # check-in opens an hour ahead
        (SESSION_STARTS, True),
        (SESSION_ENDS - SECOND, True),
        (SESSION_ENDS, False),  # the session is over
    ],
)
def test_a_member_comes_at_their_sessions_time_from_check_in_until_its_end(now, theirs):
    assert rules.session_check_in_time(SESSION_STARTS, SESSION_ENDS, now, HOUR) is theirs


def test_with_no_early_check_in_the_sessions_time_begins_at_its_start():
    no_lead = timedelta(0)
    assert rules.session_check_in_time(SESSION_STARTS, SESSION_ENDS, SESSION_STARTS, no_lead)
    early = SESSION_STARTS - SECOND
    assert not rules.session_check_in_time(SESSION_STARTS, SESSION_ENDS, early, no_lead)
