"""The printed material's layout rules, at their edges and as properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.printing import rules
from eventsite.printing.rules import SheetLine, Wording

# --- badges on a sheet ------------------------------------------------------------------------


def test_a_sheet_holds_two_by_four_badges():
    assert rules.badges_per_page() == 8
    assert rules.badges_per_page(3, 5) == 15
    with pytest.raises(ValueError):
        rules.badges_per_page(0, 4)


@pytest.mark.parametrize(
    ("count", "pages", "last"), [(0, 0, 0), (1, 1, 1), (8, 1, 8), (9, 2, 1), (16, 2, 8), (17, 3, 1)]
)
def test_badges_are_cut_into_sheets(count, pages, last):
    cut = rules.pages_of(list(range(count)), 8)
    assert len(cut) == pages
    if pages:
        assert len(cut[-1]) == last


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=12))
def test_pages_keep_every_item_once_in_order(items, per_page):
    cut = rules.pages_of(items, per_page)
    assert [item for page in cut for item in page] == items
    assert all(len(page) == per_page for page in cut[:-1])
    assert all(1 <= len(page) <= per_page for page in cut)


def test_a_page_of_nothing_is_refused():
    with pytest.raises(ValueError):
        rules.pages_of([1], 0)


def test_badges_go_left_to_right_then_down():
    assert rules.badge_slot(0) == (0, 0, 0)
    assert rules.badge_slot(1) == (0, 1, 0)
    assert rules.badge_slot(2) == (0, 0, 1)
    assert rules.badge_slot(7) == (0, 1, 3)
    assert rules.badge_slot(8) == (1, 0, 0)
    with pytest.raises(ValueError):
        rules.badge_slot(-1)


@given(st.integers(min_value=0, max_value=10_000))
def test_every_badge_has_its_own_slot(index):
    page, column, row = rules.badge_slot(index)
    assert 0 <= column < rules.BADGE_COLUMNS and 0 <= row < rules.BADGE_ROWS
    assert page * 8 + row * 2 + column == index


# --- the sign-in sheet ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mobile", "shown"),
    [
        ("13900000001", "139****0001"),
        ("+8613900000001", "139****0001"),
        ("12345678", "123****5678"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mobiles_are_masked(mobile, shown):
    assert rules.masked_mobile(mobile) == shown


def test_names_sort_by_pinyin_not_by_code_point():
    # By code point 张 (U+5F20) would come before 李 (U+674E) and 安 (U+5B89) before both.
    assert rules.pinyin_key("张伟") == ("zhang", "wei")
    names = ["张伟", "李娜", "安琪", "王芳", "Alice"]
    lines = [SheetLine(i, name) for i, name in enumerate(names)]
    assert [line.name for line in rules.sign_in_order(lines)] == [
        "Alice",
        "安琪",
        "李娜",
        "王芳",
        "张伟",
    ]


def test_the_sheet_groups_by_team_with_the_teamless_last():
    lines = [
        SheetLine(1, "张伟", None),
        SheetLine(2, "安琪", 1),
        SheetLine(3, "李娜", 0),
        SheetLine(4, "白雪", 1),
    ]
    ordered = [line.registration_id for line in rules.sign_in_order(lines)]
    assert ordered == [3, 2, 4, 1]  # 李娜 (team 0); 安琪 (an), 白雪 (bai) (team 1); 张伟


def test_homophones_keep_a_fixed_order():
    # 李娜 and 李纳 read the same: by the name itself, then by registration.
    lines = [SheetLine(5, "李纳"), SheetLine(3, "李娜"), SheetLine(1, "李娜")]
    assert [line.registration_id for line in rules.sign_in_order(lines)] == [1, 3, 5]


@given(st.lists(st.tuples(st.text(max_size=4), st.none() | st.integers(0, 3)), max_size=30))
def test_the_order_is_a_permutation_grouped_by_team(pairs):
    lines = [SheetLine(i, name, team) for i, (name, team) in enumerate(pairs)]
    ordered = rules.sign_in_order(lines)
    assert sorted(line.registration_id for line in ordered) == list(range(len(lines)))
    teams = [(line.team_position is None, line.team_position or 0) for line in ordered]
    assert teams == sorted(teams)
    assert rules.sign_in_order(list(reversed(lines))) == ordered


# --- certificates -----------------------------------------------------------------------------


def test_the_first_three_places_are_certified_as_their_tier():
    assert [rules.certified_place(n) for n in (1, 2, 3)] == [
        rules.Place.FIRST,
        rules.Place.SECOND,
        rules.Place.THIRD,
    ]
    assert int(rules.certified_place(2)) == 2
    assert len(rules.Place) == rules.CERTIFICATE_PLACES


@pytest.mark.parametrize("place", [0, -1, 4, 10])
def test_a_place_outside_the_first_three_is_no_certificates(place):
    with pytest.raises(ValueError, match=f"not {place}"):
        rules.certified_place(place)


def test_the_first_three_places_are_certified_ties_included():
    assert rules.certified_places([1, 2, 3, 4]) == [0, 1, 2]
    assert rules.certified_places([1, 2, 3, 3, 3, 6]) == [0, 1, 2, 3, 4]
    assert rules.certified_places([1, 1, 3, None]) == [0, 1, 2]
    assert rules.certified_places([None, 4]) == []
    assert rules.certified_places([]) == []
    assert rules.certified_places([1, 2], most=1) == [0]


def test_the_wording_follows_what_is_certified():
    assert (
        rules.certificate_wording(team=False, item=False, award_tier=True) == Wording.PERSON_AWARD
    )
    assert (
        rules.certificate_wording(team=True, item=True, award_tier=False) == Wording.TEAM_ITEM_PLACE
    )
    assert (
        rules.certificate_wording(team=False, item=True, award_tier=False)
        == Wording.PERSON_ITEM_PLACE
    )
    assert (
        rules.certificate_wording(team=True, item=False, award_tier=False) == Wording.TEAM_STANDING
    )
    with pytest.raises(ValueError):
        rules.certificate_wording(team=False, item=False, award_tier=False)


def width(text: str) -> float:
    return float(len(text))


def test_text_wraps_with_an_indented_first_line():
    assert rules.wrap_text("一二三四五六七八九十", width, 4, first_indent=2) == [
        "一二",
        "三四五六",
        "七八九十",
    ]
    assert rules.wrap_text("", width, 4) == []


def test_a_line_of_one_character_keeps_it():
    assert rules.wrap_text("在，", width, 1) == ["在", "，"]


def test_a_mark_never_begins_a_line():
    # "。" would start the second line: it takes "励" with it.
    assert rules.wrap_text("以资鼓励。", width, 4) == ["以资鼓", "励。"]
    # Two marks in a row take one character along too.
    assert rules.wrap_text("荣获一等奖」。", width, 5) == ["荣获一等", "奖」。"]


MARKS = "，。」"
WORDS = "在中荣获一等奖特发此证以资鼓励"


@st.composite
def sentences(draw):
    """Chinese text where no mark begins it or follows another mark."""
    text = ""
    for _ in range(draw(st.integers(0, 40))):
        if text and text[-1] not in MARKS and draw(st.booleans()):
            text += draw(st.sampled_from(MARKS))
        else:
            text += draw(st.sampled_from(WORDS))
    return text


# Every line has room for two characters at least: a line of one character has none to give.
@given(sentences(), st.integers(4, 12), st.integers(0, 2))
def test_wrapping_keeps_the_text_and_no_line_starts_with_a_mark(text, room, indent):
    lines = rules.wrap_text(text, width, room, first_indent=indent)
    assert "".join(lines) == text
    assert all(lines)
    assert not any(line[0] in rules.NO_LINE_START for line in lines)
    # A line exceeds its room by at most the one character a mark pulled along.
    assert len(lines[0]) <= room - indent + 1 if lines else True
    assert all(len(line) <= room + 1 for line in lines[1:])


# --- Edges the mutation run found untested -----------------------------------------------------


def test_a_sheet_of_one_column_or_one_row_is_a_sheet():
    assert rules.badges_per_page(1, 1) == 1
    assert rules.badges_per_page(1, 3) == 3
    assert rules.badges_per_page(3, 1) == 3
    with pytest.raises(ValueError, match="at least one column and row, not 0×4"):
        rules.badges_per_page(0, 4)


def test_refusals_name_the_value_refused():
    with pytest.raises(ValueError, match="at least one item, not 0"):
        rules.pages_of([1, 2], 0)
    with pytest.raises(ValueError, match="not negative, not -1"):
        rules.badge_slot(-1)
    with pytest.raises(ValueError, match=r"^Only a team has a place in the standings\.$"):
        rules.certificate_wording(team=False, item=False, award_tier=False)


def test_the_pinyin_key_keeps_latin_letters_and_digits_and_drops_tones():
    assert rules.pinyin_key("Anna李") == ("anna", "li")
    assert rules.pinyin_key("吕-3") == ("lv", "-3")


def test_the_first_line_is_as_wide_as_the_rest_unless_indented():
    assert rules.wrap_text("abcdef", len, 3) == ["abc", "def"]


def test_a_mark_opening_the_text_stays_where_it_is():
    assert rules.wrap_text("，abcd", len, 3) == ["，ab", "cd"]


def test_a_mark_takes_one_character_from_a_line_of_two():
    assert rules.wrap_text("ab，", len, 2) == ["a", "b，"]
