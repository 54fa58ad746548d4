"""Bar charts as inline SVG, drawn on the server: no JavaScript, no library, nothing fetched.

`bar_chart` is pure (labels and values in, markup out). The chart carries a <title> and a
<desc>, each bar its own <title> with its figure, and the page shows the same numbers as a table
beside it, so a screen reader or a printout loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
BAR_AREA = 180
TOP = 20
LABEL_BAND = 60
LEFT = 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def nice_ceiling(value: int) -> int:
    """The top of the scale: the smallest of 1, 2, 5 × 10ⁿ not below `value` (at least 1)."""
    if value <= 1:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def bar_chart(title: str, bars: Sequence[Bar], *, chart_id: str) -> Markup:
    """A vertical bar chart of `bars`, scaled to the largest, with its title and each figure."""
    top = nice_ceiling(max((bar.value for bar in bars), default=0))
    count = max(len(bars), 1)
    slot = (WIDTH - LEFT) / count
    width = max(min(slot * 0.7, 48), 2)
    height = TOP + BAR_AREA + LABEL_BAND
    base = TOP + BAR_AREA
    parts = [
        f'<svg class="bar-chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">'
        + escape("; ".join(f"{bar.label}: {bar.value}" for bar in bars))
        + "</desc>",
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}" class="axis" stroke="#666"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{LEFT - 4}" y="{base}" text-anchor="end" font-size="11">0</text>',
    ]
    for index, bar in enumerate(bars):
        bar_height = round(BAR_AREA * bar.value / top, 1)
        x = round(LEFT + slot * index + (slot - width) / 2, 1)
        middle = round(x + width / 2, 1)
        label = escape(bar.label)
        parts.append(
            f"<g><title>{label}: {bar.value}</title>"
            f'<rect x="{x}" y="{round(base - bar_height, 1)}" width="{round(width, 1)}" '
            f'height="{bar_height}" fill="#c0392b"/>'
            f'<text x="{middle}" y="{round(base - bar_height - 3, 1)}" text-anchor="middle" '
            f'font-size="11">{bar.value}</text>'
            f'<text x="{middle}" y="{base + 14}" text-anchor="end" font-size="11" '
            f'transform="rotate(-35 {middle} {base + 14})">{label}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
