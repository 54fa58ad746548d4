"""Lines of Chinese and Latin text: breaks between Chinese characters and at spaces, never inside
a word, a number or a time (the share poster once printed 「17:」 over 「00」)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from eventsite.core.typesetting import wrap_text


def width(text: str) -> float:
    """One unit per character: the tests reason in characters."""
    return len(text)


def test_a_time_and_a_year_stay_whole():
    assert wrap_text("12月18日周五 17:00–21:00", width, 12) == ["12月18日周五", "17:00–21:00"]
    assert wrap_text("秋遇隅里——2026年鹊桥", width, 7) == ["秋遇隅里——", "2026年鹊桥"]


def test_english_breaks_at_spaces_and_no_line_ends_or_begins_with_one():
    assert wrap_text("open the event and register", width, 12) == [
        "open the",
        "event and",
        "register",
    ]


def test_a_word_wider_than_a_line_is_cut_where_it_must():
    assert wrap_text("abcdefghijklmnopqrstuvwxyz", width, 10) == [
        "abcdefghij",
        "klmnopqrst",
        "uvwxyz",
    ]


def test_chinese_breaks_between_any_two_characters_and_a_mark_never_begins_a_line():
    assert wrap_text("皖工鹊桥会聚良缘", width, 3) == ["皖工鹊", "桥会聚", "良缘"]
    assert wrap_text("芜湖市，总工会", width, 3) == ["芜湖", "市，总工", "会"]


def test_the_first_line_is_narrower_by_its_indent():
    assert wrap_text("一二三四五六", width, 4, first_indent=2) == ["一二", "三四五六"]


pieces = st.lists(
    # Each word or number is followed by a Chinese character or a space, and none is wider than
    # the narrowest line, so every line can be set whole.
    st.sampled_from(["鹊", "桥", "工", "会", "2026年", "17:00 ", "event ", " ", "A4纸"]),
    max_size=30,
)


@given(pieces, st.integers(min_value=5, max_value=20))
def test_nothing_is_lost_and_no_number_or_word_is_cut(parts, line_width):
    """Every character but the spaces at a break is kept, in order; no line is wider than the
    width (every piece here fits a line); a line never ends inside a word or number."""
    text = "".join(parts)
    lines = wrap_text(text, width, line_width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(len(line) <= line_width for line in lines)
    assert all(line == line.strip() and line for line in lines)
    runs = re.compile(r"[A-Za-z0-9:]+")
    assert runs.findall("\n".join(lines)) == runs.findall(text)


def test_after_a_word_cut_in_pieces_the_text_goes_on():
    assert wrap_text("abcdefg 鹊桥", width, 5) == ["abcde", "fg 鹊桥"]


def test_a_line_cut_for_a_long_word_drops_its_trailing_space():
    assert wrap_text("一二 abcd", width, 3) == ["一二", "abc", "d"]


def test_a_word_that_fits_a_whole_line_is_not_cut_for_the_first_lines_indent():
    assert wrap_text("一 abcdef", width, 6, first_indent=2) == ["一", "abcdef"]
    # The first line's own word, wider than its indented room: cut from the start.
    assert wrap_text("abcdef", width, 6, first_indent=2) == ["abcd", "ef"]
