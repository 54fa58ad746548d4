"""What the site accepts from outside: the limits the database sets on any value a request
brings, as plain rules, and the helpers that apply them: the URL converter, and the one for
an id a view reads from the request itself.

PostgreSQL refuses a text with a NUL byte, an INTEGER beyond 32 bits and a NUMERIC(p, s)
beyond p - s whole digits, and such a refusal used to surface as a 500. Three places keep
every such value out, so the database never sees one:

- ids in a path: the `int` URL converter stops at the INTEGER range, so a larger id is a 404
  like any id that names nothing (`IdConverter`);
- form fields: `core.forms.SiteForm`, the base of every form, refuses a NUL in any field and a
  number its column cannot hold, with a message beside the field (a 400);
- ids a view reads from `request.args` / `request.form` directly: `.get(key,
  type=storable_int)` gives the default for such a value, as for any other malformed one.
  Text a person types (search boxes included) always comes through a form.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

#: The range of PostgreSQL's INTEGER, which every id and count column of ours is.
INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1


@dataclass(frozen=True)
class NumberBounds:
    """The smallest and largest value a column can hold."""

    low: Decimal
    high: Decimal

    def holds(self, value: int | float | Decimal) -> bool:
        """A finite value within the bounds."""
        number = Decimal(value) if isinstance(value, int | float) else value
        return number.is_finite() and self.low <= number <= self.high


#: What an INTEGER column holds.
INTEGER_BOUNDS = NumberBounds(Decimal(INTEGER_MIN), Decimal(INTEGER_MAX))


def holds_nul(text: str) -> bool:
    """A text the database cannot store: it contains a NUL character."""
    return "\x00" in text


def storable_integer(value: int) -> bool:
    """An int an INTEGER column holds."""
    return INTEGER_MIN <= value <= INTEGER_MAX


def column_bounds(column_type: sa.types.TypeEngine) -> NumberBounds | None:
    """The values a numeric column holds: NUMERIC(p, s) up to p - s whole digits and s places,
    INTEGER its 32 bits, BIGINT 64 and SMALLINT 16; None for any other type."""
    if isinstance(column_type, sa.Numeric) and not isinstance(column_type, sa.Float):
        if column_type.precision is None:
            return None
        scale = column_type.scale or 0
        high = Decimal(10) ** (column_type.precision - scale) - Decimal(10) ** -scale
        return NumberBounds(-high, high)
    if isinstance(column_type, sa.SmallInteger):
        bits = 16
    elif isinstance(column_type, sa.BigInteger):
        bits = 64
    elif isinstance(column_type, sa.Integer):
        bits = 32
    else:
        return None
    return NumberBounds(Decimal(-(2 ** (bits - 1))), Decimal(2 ** (bits - 1) - 1))


def widest(bounds: list[NumberBounds]) -> NumberBounds | None:
    """The bounds that admit what any of `bounds` admits (None for none)."""
    if not bounds:
        return None
    return NumberBounds(min(b.low for b in bounds), max(b.high for b in bounds))


def read_decimal(text: str) -> Decimal | None:
    """A typed number as Decimal, None when it is not one (its field decides what that means)."""
    try:
        return Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None


def storable_int(text: str) -> int:
    """`request.args.get(key, type=storable_int)`: the text as an int an INTEGER column holds;
    ValueError otherwise, so the lookup gives its default as for any other malformed value."""
    stripped = text.strip()
    # int() refuses digit strings beyond a few thousand digits with a ValueError too.
    value = int(stripped)
    if not storable_integer(value):
        raise ValueError(f"{stripped[:20]}… is beyond the INTEGER range")
    return value


class IdConverter(IntegerConverter):
    """The `int` URL converter, stopped at the INTEGER range: a larger id matches no route and
    is a 404 like any id that names nothing."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=INTEGER_MAX, signed=False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
