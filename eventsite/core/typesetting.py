"""Setting Chinese text in lines, for anything drawn or printed (PDFs, the share poster); pure."""

from __future__ import annotations

from collections.abc import Callable

#: Marks that never begin a line in Chinese typesetting (避头点).
NO_LINE_START = "，。、；：！？）」』》”’…·%,.;:!?)"


def wrap_text(
    text: str, measure: Callable[[str], float], width: float, *, first_indent: float = 0
) -> list[str]:
    """`text` broken into lines no wider than `width` as `measure` gives widths, the first line
    `first_indent` narrower, character by character (Chinese has no spaces to break at); a
    mark that may not begin a line takes the last character of the line before with it (unless
    that is the line's only character)."""
    lines: list[str] = []
    line = ""
    for char in text:
        room = width - (first_indent if not lines else 0)
        if line and measure(line + char) > room:
            lines.append(line)
            line = ""
        line += char
    if line:
        lines.append(line)
    for i in range(1, len(lines)):
        while lines[i] and lines[i][0] in NO_LINE_START and len(lines[i - 1]) > 1:
            lines[i] = lines[i - 1][-1] + lines[i]
            lines[i - 1] = lines[i - 1][:-1]
    return lines
