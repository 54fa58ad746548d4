"""The page number of a paginated list, read from the query string without trusting it."""

from __future__ import annotations

from collections.abc import Mapping

from flask import request

#: No list on the site has more pages than this; a larger number is read as this one, so the
#: OFFSET it turns into always fits the database's integer type.
MAX_PAGE = 10_000


def parse_page(raw: str | None) -> int:
    """ASCII digits give their number clamped to 1..MAX_PAGE; anything else gives page 1."""
    text = (raw or "").strip()
    if not text or not (text.isascii() and text.isdecimal()):
        return 1
    # Python refuses to convert very long digit strings; any such number is past the last page.
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(digits), 1), MAX_PAGE)


def page_arg(values: Mapping[str, str] | None = None, key: str = "page") -> int:
    """The requested page number (from the query string unless `values` is given), 1..MAX_PAGE."""
    source = request.args if values is None else values
    return parse_page(source.get(key))
