"""The cover rules: what an upload may be, and how a picture is cut to each size."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsite.posters import rules
from eventsite.posters.rules import COVER_SIZES, CoverSize

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("format_", "width", "height", "length", "problem"),
    [
        ("JPEG", 1200, 675, 200_000, None),
        ("PNG", 320, 180, 1, None),  # the smallest accepted, edge on
        ("WEBP", 10_000, 5_000, 5 * MB, None),  # the largest side and exactly 5 MB
        ("JPEG", 1200, 675, 0, "empty"),
        ("JPEG", 1200, 675, 5 * MB + 1, "too_large"),
        ("GIF", 1200, 675, 10_000, "format"),
        ("BMP", 1200, 675, 10_000, "format"),
        (None, 0, 0, 10_000, "format"),
        ("PNG", 10_001, 200, 10_000, "too_big_image"),
        ("PNG", 200, 10_001, 10_000, "too_big_image"),
        ("PNG", 8_000, 6_251, 10_000, "too_big_image"),  # 50,008,000 pixels
        ("PNG", 8_000, 6_250, 10_000, None),  # exactly 50 megapixels
        ("JPEG", 319, 1000, 10_000, "too_small"),
        ("JPEG", 1000, 179, 10_000, "too_small"),
    ],
)
def test_upload_problem(format_, width, height, length, problem):
    assert rules.upload_problem(format_, width, height, length) == problem


def test_the_accepted_formats_are_jpeg_png_and_webp():
    assert set(rules.ACCEPTED_FORMATS) == {"JPEG", "PNG", "WEBP"}
    assert rules.MAX_UPLOAD_BYTES == 5 * MB


@pytest.mark.parametrize(
    ("width", "height", "size", "box"),
    [
        (1920, 1080, "card", (0, 0, 1920, 1080)),  # already 16:9: nothing cut
        (2000, 1000, "card", (111, 0, 1889, 1000)),  # too wide: the sides go
        (1000, 1000, "card", (0, 219, 1000, 781)),  # square: top and bottom go
        (1200, 675, "share", (0, 22, 1200, 652)),  # 16:9 to 1.91:1
        (3000, 4000, "detail", (0, 1156, 3000, 2844)),  # an upright phone photo
    ],
)
def test_cover_crop_worked_examples(width, height, size, box):
    assert rules.cover_crop(width, height, COVER_SIZES[size]) == box


@given(
    width=st.integers(1, 12_000),
    height=st.integers(1, 12_000),
    target=st.sampled_from(list(COVER_SIZES.values()))
    | st.builds(CoverSize, st.just("any"), st.integers(1, 4000), st.integers(1, 4000)),
)
def test_cover_crop_is_inside_centred_and_of_the_targets_shape(width, height, target):
    left, top, right, bottom = rules.cover_crop(width, height, target)
    assert 0 <= left < right <= width
    assert 0 <= top < bottom <= height
    # One side is kept whole; the other is cut evenly (to a pixel) on both ends.
    assert (left, right) == (0, width) or (top, bottom) == (0, height)
    assert abs(left - (width - right)) <= 1
    assert abs(top - (height - bottom)) <= 1
    # The box has the target's shape to within the rounding of one pixel.
    kept_w, kept_h = right - left, bottom - top
    assert abs(kept_w * target.height - kept_h * target.width) <= max(target.width, target.height)


@given(key=st.text(min_size=0, max_size=30), size=st.text(max_size=8))
def test_only_a_key_of_the_strict_pattern_names_a_file(key, size):
    name = f"{key}-{size}.jpg"
    expected = (
        len(key) == 22
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
        and size in COVER_SIZES
    )
    assert rules.is_copy_name(name) == expected
    if expected:
        assert rules.copy_name(key, size) == name
    else:
        with pytest.raises(ValueError):
            rules.copy_name(key, size)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "AAAAAAAAAAAAAAAAAAAAAA-card.jpg/..",
        "AAAAAAAAAAAAAAAAAAAAA/-card.jpg",
        "AAAAAAAAAAAAAAAAAAAAAA-card.png",
        "AAAAAAAAAAAAAAAAAAAAAA-card.jpg\n",
    ],
)
def test_path_like_names_are_refused(name):
    assert not rules.is_copy_name(name)


def test_a_picture_exactly_as_tall_as_allowed_is_taken():
    assert rules.upload_problem("JPEG", 4000, rules.MAX_SIDE, 1000) is None
    assert rules.upload_problem("JPEG", 4000, rules.MAX_SIDE + 1, 1000) == "too_big_image"


def test_an_odd_margin_is_split_in_whole_pixels():
    # 1001 px wide cut to 640 (16:9 at 360 high): 361 px to lose, 180 on the left.
    assert rules.cover_crop(1001, 360, COVER_SIZES["card"]) == (180, 0, 820, 360)
    assert all(isinstance(side, int) for side in rules.cover_crop(1001, 360, COVER_SIZES["card"]))


def test_a_copy_is_named_by_its_key_and_size_and_nothing_else_is():
    key = "A" * 22
    assert rules.copy_name(key, "card") == f"{key}-card.jpg"
    for bad_key, size in ((key, "poster"), ("../etc", "card"), ("../etc", "poster")):
        with pytest.raises(ValueError, match="^not a cover key or size$"):
            rules.copy_name(bad_key, size)
