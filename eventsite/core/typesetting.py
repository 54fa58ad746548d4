"""Setting Chinese text in lines, for anything drawn or printed (PDFs, the share poster); pure."""

from __future__ import annotations

import re
from collections.abc import Callable

#: Marks that never begin a line in Chinese typesetting (避头点).
NO_LINE_START = "，。、；：！？）」』》”’…·%,.;:!?)"


#: What is set as one piece: a run of Latin letters and digits with the marks inside it
#: ("17:00", "2026", "event's", "A4"), so a time, a year or a word is never cut; any other
#: character (a Chinese character, a space, a dash) is a piece of its own.
PIECE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9'’:./-]*[A-Za-z0-9])?|.", re.S)


def wrap_text(
    text: str, measure: Callable[[str], float], width: float, *, first_indent: float = 0
) -> list[str]:
    """`text` broken into lines no wider than `width` as `measure` gives widths, the first line
    `first_indent` narrower: between any two Chinese characters (Chinese has no spaces to break
    at) and at spaces, never inside a word or number (one wider than a line is cut where it
    must); a line neither ends nor begins with a space; a mark that may not begin a line takes
    the last character of the line before with it (unless that is the line's only character)."""
    lines: list[str] = []
    line = ""

    def room() -> float:
        return width - (first_indent if not lines else 0)

    for piece in PIECE.findall(text):
        # The room a line of its own would give the piece.
        if measure(piece) > (width if lines or line else room()):
            # A word wider than a whole line: cut it character by character, from where the
            # line stands.
            for char in piece:
                if line and measure(line + char) > room():
                    lines.append(line.rstrip())
                    line = ""
                line += char
            continue
        if line and measure(line + piece) > room():
            lines.append(line.rstrip())
            line = ""
        if not line and piece.isspace():
            continue
        line += piece
    if line.rstrip():
        lines.append(line.rstrip())
    for i in range(1, len(lines)):
        while lines[i] and lines[i][0] in NO_LINE_START and len(lines[i - 1]) > 1:
            lines[i] = lines[i - 1][-1] + lines[i]
            lines[i - 1] = lines[i - 1][:-1]
    return lines
