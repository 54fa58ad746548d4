"""The base of every form: what the database cannot store is refused beside its field.

`SiteForm.validate()` first looks at every field, also those inside FieldList and FormField:

- a NUL character in anything typed (PostgreSQL refuses it in any text);
- a whole number an INTEGER column cannot hold (ids, counts, versions: all our integer
  columns are INTEGER), also in a select or a list of ticked ids;
- a non-finite number (NaN, infinity) in a number field;
- a number beyond the column the field is named after (`max_score` → Criterion.max_score,
  NUMERIC(7, 2): at most 99999.99), also when it is typed into a text box, as score and
  result boxes are. A name shared by several columns takes the widest of them.

Any such field gets its message and the form is invalid without running the other checks, so
no validator or view ever sends the value to the database. A field with its own NumberRange
inside the column's range keeps that range's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields import Field, FieldList, FormField, StringField
from wtforms.validators import NumberRange

from eventsite.core.inputs import (
    INTEGER_BOUNDS,
    NumberBounds,
    column_bounds,
    holds_nul,
    read_decimal,
    widest,
)

NUL_MESSAGE = _l("This contains a character that cannot be saved (a NUL byte). Please retype it.")
TOO_LARGE = {
    True: _l("Enter a whole number no larger than %(max)s."),
    False: _l("Enter a number no larger than %(max)s."),
}
TOO_SMALL = {
    True: _l("Enter a whole number no smaller than %(min)s."),
    False: _l("Enter a number no smaller than %(min)s."),
}
NOT_FINITE_MESSAGE = _l("Enter a number.")


@cache
def numeric_columns() -> dict[str, NumberBounds]:
    """{column name: what the widest numeric column of that name holds}, over every table."""
    from eventsite.extensions import db

    found: dict[str, list[NumberBounds]] = {}
    for table in db.metadata.tables.values():
        for column in table.columns:
            bounds = column_bounds(column.type)
            if bounds is not None:
                found.setdefault(column.name, []).append(bounds)
    return {name: widest(bounds) for name, bounds in found.items()}


def leaf_fields(fields) -> Iterator[Field]:
    """Every field that holds a value, inside FieldList and FormField too."""
    for field in fields:
        if isinstance(field, FieldList | FormField):
            yield from leaf_fields(field)
        else:
            yield field


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _range_message(field: Field, bounds: NumberBounds, number, whole: bool) -> str:
    """The field's own NumberRange message when that range lies within the column's; else
    the limit `number` passed, in words."""
    for validator in field.validators:
        inside = isinstance(validator, NumberRange) and all(
            limit is not None and bounds.holds(Decimal(limit))
            for limit in (validator.min, validator.max)
        )
        if inside and validator.message:
            return str(validator.message) % {"min": validator.min, "max": validator.max}
    if number > bounds.high:
        return str(TOO_LARGE[whole]) % {"max": _plain(bounds.high)}
    return str(TOO_SMALL[whole]) % {"min": _plain(bounds.low)}


def _numbers(data) -> list:
    values = data if isinstance(data, list | tuple | set) else [data]
    return [v for v in values if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]


def field_problem(field: Field) -> str | None:
    """Why the database could not take this field's value, or None."""
    typed = [raw for raw in (field.raw_data or []) if isinstance(raw, str)]
    if any(holds_nul(raw) for raw in typed):
        return str(NUL_MESSAGE)
    column = numeric_columns().get(field.short_name)
    for number in _numbers(field.data):
        if isinstance(number, int):
            bounds = column or INTEGER_BOUNDS
            if not bounds.holds(number):
                return _range_message(field, bounds, number, whole=True)
            continue
        if not Decimal(number).is_finite():
            return str(NOT_FINITE_MESSAGE)
        if column is not None and not column.holds(number):
            return _range_message(field, column, number, whole=False)
    if column is not None and isinstance(field, StringField) and isinstance(field.data, str):
        number = read_decimal(field.data)
        if number is not None and number.is_finite() and not column.holds(number):
            return _range_message(field, column, number, whole=False)
    return None


class SiteForm(FlaskForm):
    """A form that refuses, beside the field, any value the database could not store."""

    def validate(self, extra_validators=None) -> bool:
        refused = False
        for field in leaf_fields(self):
            problem = field_problem(field)
            if problem is not None:
                field.errors = [problem]
                refused = True
        if refused:
            for field in self:
                if isinstance(field, FieldList):
                    field.errors = [entry.errors for entry in field.entries]
            return False
        return super().validate(extra_validators)
