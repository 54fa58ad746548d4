"""The base of every form: what the database cannot store is refused beside its field, and
the site's one wording for length limits.

`SiteForm.validate()` first looks at every field, also those inside FieldList and FormField:

- a NUL character in anything typed (PostgreSQL refuses it in any text);
- a whole number an INTEGER column cannot hold (ids, counts, versions: all our integer
  columns are INTEGER), also in a select or a list of ticked ids;
- a non-finite number (NaN, infinity) in a number field;
- a number beyond the column the field is named after (`max_score` → Criterion.max_score,
  NUMERIC(7, 2): at most 99999.99), also when it is typed into a text box, as score and
  result boxes are. A name shared by several columns takes the widest of them.

Such a field gets that one message and none of its own checks run (its value cannot be
stored, so no validator or view may send it to the database); every other field is checked
as usual in the same submit, so a member sees all that is wrong at once. A number beyond its
column is told in the field's own words where it has them: the message of its own bounds
(a NumberRange, or a validator marked `BoundsCheck`), else its own message for a value it
cannot read, else the column's limit.

Checks that compare several fields belong in `check_across_fields()`, which runs after the
fields' own checks; a refused field keeps its one message whatever they add.

A page re-rendered with errors names them at its top (`errors_among`, read by base.html's
summary; a value that is no form joins it with an `error_marks()` method), and static/js/site.js brings the first one into view.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import validators
from wtforms.fields import Field, FieldList, FormField, StringField
from wtforms.validators import NumberRange, StopValidation, ValidationError
from wtforms.widgets import ListWidget

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

#: The site's one wording of a length limit, whichever form asks (WTForms' own is worded
#: "Field cannot be longer than …", and forms used to word it each their own way).
TOO_LONG_MESSAGE = _l("At most %(max)d characters.")
#: The largest spreadsheet an import takes (the request's own limit, MAX_CONTENT_LENGTH, is a
#: little larger, so an oversized file is refused beside its field, not by a bare 413 page).
SPREADSHEET_MAX_BYTES = 5 * 1024 * 1024
SPREADSHEET_TOO_LARGE = _l("The file must be at most 5 MB.")
TOO_SHORT_MESSAGE = _l("At least %(min)d characters.")


class Length(validators.Length):
    """WTForms' Length in the site's words: "At most %(max)d characters." when the text is too
    long, "At least %(min)d characters." when too short; `message` replaces both."""

    def __call__(self, form, field):
        length = len(field.data) if field.data else 0
        if self.min != -1 and length < self.min:
            message = self.message or TOO_SHORT_MESSAGE
        elif self.max != -1 and length > self.max:
            message = self.message or TOO_LONG_MESSAGE
        else:
            return
        raise ValidationError(str(message) % {"min": self.min, "max": self.max, "length": length})


class BoundsCheck:
    """A validator that only compares a field's number with its limits, in memory (no database,
    no other field). SiteForm asks it about a number beyond the column too, so the member reads
    the field's own limits rather than the column's; NumberRange is one by nature."""


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
    for _form, field in _leaves(fields, None):
        yield field


def _leaves(fields, form) -> Iterator[tuple[object, Field]]:
    """(the form a leaf field's validators are given, the field), over every leaf field."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaves(field, field.form)
        elif isinstance(field, FieldList):
            yield from _leaves(field, form)
        else:
            yield form, field


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def _own_bounds_message(form, field: Field) -> str | None:
    """What the field's own bounds checks say about its (single, numeric) value, if any refuses."""
    for validator in field.validators:
        if not isinstance(validator, NumberRange | BoundsCheck):
            continue
        try:
            validator(form, field)
        except (ValidationError, StopValidation) as refusal:
            if refusal.args and refusal.args[0]:
                return str(refusal.args[0])
    return None


def _range_message(form, field: Field, bounds: NumberBounds, number, whole: bool) -> str:
    """A number beyond its column, in the field's own words where it has them: its bounds
    checks' message, else its message for a value it cannot take; else the column's limit."""
    if _numbers(field.data) == [field.data]:  # one number, as its own validators expect
        own = _own_bounds_message(form, field)
        if own is not None:
            return own
    invalid_value = getattr(field, "invalid_value_message", None)
    if invalid_value:
        return str(invalid_value)
    if number > bounds.high:
        return str(TOO_LARGE[whole]) % {"max": _plain(bounds.high)}
    return str(TOO_SMALL[whole]) % {"min": _plain(bounds.low)}


def _numbers(data) -> list:
    values = data if isinstance(data, list | tuple | set) else [data]
    return [v for v in values if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]


def field_problem(field: Field, form=None) -> str | None:
    """Why the database could not take this field's value, or None; `form` is the form its
    validators are given (for the field's own bounds message)."""
    typed = [raw for raw in (field.raw_data or []) if isinstance(raw, str)]
    if any(holds_nul(raw) for raw in typed):
        return str(NUL_MESSAGE)
    column = numeric_columns().get(field.short_name)
    for number in _numbers(field.data):
        if isinstance(number, int):
            bounds = column or INTEGER_BOUNDS
            if not bounds.holds(number):
                return _range_message(form, field, bounds, number, whole=True)
            continue
        if not Decimal(number).is_finite():
            return str(NOT_FINITE_MESSAGE)
        if column is not None and not column.holds(number):
            return _range_message(form, field, column, number, whole=False)
    if column is not None and isinstance(field, StringField) and isinstance(field.data, str):
        number = read_decimal(field.data)
        if number is not None and number.is_finite() and not column.holds(number):
            return _range_message(form, field, column, number, whole=False)
    return None


def _refused(field: Field, problem: str):
    """Stands in for a refused field's `validate`: its one message, none of its checks."""

    def validate(form, extra_validators=()):
        field.errors = [problem]
        return False

    return validate


class SiteForm(FlaskForm):
    """A form that refuses, beside the field, any value the database could not store, and checks
    every other field in the same submit."""

    def validate(self, extra_validators=None) -> bool:
        #: {field: its message}: the fields whose value the database could not store.
        self.refused = {}
        for form, field in _leaves(self, self):
            problem = field_problem(field, form)
            if problem is not None:
                self.refused[field] = problem
        # WTForms validates nested fields from inside FieldList and FormField, so a refused
        # field's own `validate` is what is stood in for (on this bound field only, for this
        # call): its validators and the form's inline `validate_<name>` never see the value.
        for field, problem in self.refused.items():
            field.validate = _refused(field, problem)
        try:
            fields_valid = super().validate(extra_validators)
        finally:
            for field in self.refused:
                del field.validate
        together_valid = self.check_across_fields()
        if self.refused:
            for field, problem in self.refused.items():
                field.errors = [problem]
            self._gather_list_errors(self)
        return fields_valid and together_valid and not self.refused

    def check_across_fields(self) -> bool:
        """Checks that compare several fields, run after each field's own; each adds its message
        beside a field and answers False. None here."""
        return True

    def _gather_list_errors(self, fields) -> None:
        """A FieldList holds its entries' errors as it found them: gather them again."""
        for field in fields:
            if isinstance(field, FieldList):
                for entry in field.entries:
                    if isinstance(entry, FormField):
                        self._gather_list_errors(entry.form)
                own = [error for error in field.errors if not isinstance(error, list | dict)]
                entries = [entry.errors for entry in field.entries]
                field.errors = [*entries, *own] if any(entries) or own else []
            elif isinstance(field, FormField):
                self._gather_list_errors(field.form)


def fields_in_error(form) -> list[Field]:
    """The fields of `form` a member sees that carry an error, in the form's order."""
    return [
        field
        for field in leaf_fields(form)
        if field.errors and getattr(field.widget, "input_type", None) != "hidden"
    ]


@dataclass(frozen=True)
class ErrorMark:
    """One line of a page's error summary: the message, the label of what is wrong, and the id
    of the control the line links to."""

    anchor: str
    label: str
    message: str


def errors_among(values) -> list[ErrorMark]:
    """The error summary of a page: every field in error of its SiteForms, then what any other
    value that marks errors (`error_marks()`, e.g. the organizer's questions) marks, in the
    order the page was given them, each once."""
    marks: list[ErrorMark] = []
    for value in _forms_among(values):
        if isinstance(value, SiteForm):
            marks.extend(
                ErrorMark(control_id(field), str(field.label.text), str(field.errors[0]))
                for field in fields_in_error(value)
            )
        else:
            marks.extend(value.error_marks())
    return marks


def _forms_among(values) -> list:
    found: dict[int, object] = {}
    for value in values:
        if isinstance(value, dict):
            candidates = list(value.values())
        elif isinstance(value, list | tuple):
            candidates = value
        else:
            candidates = [value]
        for candidate in candidates:
            if isinstance(candidate, SiteForm) or callable(getattr(candidate, "error_marks", None)):
                found.setdefault(id(candidate), candidate)
    return list(found.values())


def control_id(field: Field) -> str:
    """The id of the control a link to `field` reaches: its first option for radio buttons
    and check boxes in a list, the field's own otherwise."""
    return f"{field.id}-0" if isinstance(field.widget, ListWidget) else field.id
