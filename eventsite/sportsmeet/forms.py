"""Sports meet forms: settings, items, referees, captains, draws, result sheets and matches."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from eventsite.core.forms import Length, SiteForm
from eventsite.core.time import from_local, to_local
from eventsite.events.forms import LOCAL_FORMATS, add_error
from eventsite.sportsmeet import rules
from eventsite.sportsmeet.models import Item, MatchFormat, MeetSettings, Outcome, ResultKind
from eventsite.sportsmeet.service import (
    ITEM_TITLES,
    SETTINGS_TITLES,
    CurrentDraw,
    ResultInput,
    plain_number,
)

__all__ = ["add_error"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SettingsForm(SiteForm):
    """The meet's points table, per-person item limit and entries lock time."""

    points_table = StringField(
        SETTINGS_TITLES["points_table"],
        validators=[Length(max=200)],
        filters=[_strip],
        description=_l(
            "Points for 1st, 2nd, 3rd … separated by commas, e.g. 5,3,2,1. Leave empty for the "
            "default by number of teams (4 teams: 5,3,2,1; 8 teams: 9,7,6,5,4,3,2,1)."
        ),
    )
    per_person_limit = IntegerField(
        SETTINGS_TITLES["per_person_limit"],
        validators=[
            Optional(),
            NumberRange(min=1, max=50, message=_l("Enter a number from 1 to 50, or leave empty.")),
        ],
        description=_l("The most items one employee may enter; empty for no limit."),
    )
    entries_lock_at = DateTimeLocalField(
        SETTINGS_TITLES["entries_lock_at"],
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Please enter a date and time such as 2026-11-20 08:00."),
        description=_l(
            "Captains may change entries until then; empty means until the meet starts."
        ),
    )

    @classmethod
    def for_settings(cls, settings: MeetSettings, **kwargs) -> SettingsForm:
        lock = to_local(settings.entries_lock_at)
        data = {
            "points_table": settings.points_table,
            "per_person_limit": settings.per_person_limit,
            "entries_lock_at": lock.replace(tzinfo=None) if lock else None,
        }
        return cls(data=data, **kwargs)

    def values(self) -> dict:
        return {
            "points_table": self.points_table.data or "",
            "per_person_limit": self.per_person_limit.data,
            "entries_lock_at": from_local(self.entries_lock_at.data),
        }


def _whole(label, minimum: int, default: int, maximum: int = 200):
    return IntegerField(
        label,
        default=default,
        validators=[
            InputRequired(message=_l("Please enter a whole number.")),
            NumberRange(
                min=minimum,
                max=maximum,
                message=_l("Enter a whole number from %(min)s to %(max)s."),
            ),
        ],
    )


#: An item's points multiplier: from a half to ten, in hundredths (the column's scale).
MULTIPLIER_MIN, MULTIPLIER_MAX = Decimal("0.5"), Decimal(10)


class ItemForm(SiteForm):
    """Create or edit an item."""

    name = StringField(
        ITEM_TITLES["name"],
        validators=[DataRequired(message=_l("Please enter the item's name.")), Length(max=100)],
        filters=[_strip],
    )
    result_type = SelectField(
        ITEM_TITLES["result_type"],
        choices=lambda: [(kind.value, kind.title) for kind in ResultKind],
        validators=[InputRequired()],
    )
    match_format = SelectField(
        ITEM_TITLES["match_format"],
        choices=lambda: [("", _l("—"))] + [(f.value, f.title) for f in MatchFormat],
        validate_choice=False,
    )
    starts_at = DateTimeLocalField(
        ITEM_TITLES["starts_at"],
        format=LOCAL_FORMATS,
        validators=[Optional()],
        invalid_value_message=_l("Please enter a date and time such as 2026-11-20 09:30."),
    )
    place = StringField(ITEM_TITLES["place"], validators=[Length(max=200)], filters=[_strip])
    min_members = _whole(ITEM_TITLES["min_members"], 1, 1)
    max_members = IntegerField(
        ITEM_TITLES["max_members"],
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=200,
                message=_l("Enter a whole number from %(min)s to %(max)s, or leave it empty."),
            ),
        ],
        description=_l(
            "Leave empty for no limit: a team may enter as many of its members as it likes."
        ),
    )
    min_women = _whole(ITEM_TITLES["min_women"], 0, 0)
    multiplier = DecimalField(
        ITEM_TITLES["multiplier"],
        default=Decimal(1),
        places=None,
        validators=[
            InputRequired(message=_l("Please enter a multiplier such as 1 or 2.")),
            NumberRange(min=MULTIPLIER_MIN, max=MULTIPLIER_MAX, message=_l("Enter 0.5 to 10.")),
        ],
        description=_l("2 for a relay that counts double."),
    )

    second_attempt = BooleanField(ITEM_TITLES["second_attempt"])
    individual = BooleanField(
        ITEM_TITLES["individual"],
        description=_l("Otherwise the team's entry is placed as one."),
    )

    def validate_multiplier(self, field) -> None:
        # The column keeps hundredths: a third decimal would be rounded away unseen. Out of
        # range is NumberRange's to say (and too large to quantize).
        value = field.data
        if value is None or not value.is_finite() or not MULTIPLIER_MIN <= value <= MULTIPLIER_MAX:
            return
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_l("Give the multiplier to at most two decimal places."))

    @classmethod
    def for_item(cls, item: Item, **kwargs) -> ItemForm:
        start = to_local(item.starts_at)
        data = {
            name: getattr(item, name)
            for name in (
                "name",
                "result_type",
                "match_format",
                "place",
                "min_members",
                "max_members",
                "min_women",
                "multiplier",
                "second_attempt",
                "individual",
            )
        }
        data["starts_at"] = start.replace(tzinfo=None) if start else None
        return cls(data=data, **kwargs)

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "result_type": self.result_type.data,
            "match_format": self.match_format.data or "",
            "starts_at": from_local(self.starts_at.data),
            "place": self.place.data or "",
            "min_members": self.min_members.data,
            "max_members": self.max_members.data,
            "min_women": self.min_women.data,
            "multiplier": self.multiplier.data,
            "second_attempt": bool(self.second_attempt.data),
            "individual": bool(self.individual.data),
        }


class MobileForm(SiteForm):
    """A member found by mobile number (a referee or a captain)."""

    mobile = StringField(
        _l("Mobile number"),
        validators=[DataRequired(message=_l("Please enter a mobile number.")), Length(max=11)],
        filters=[_strip],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


DRAW_METHOD_TITLES = {
    rules.DrawMethod.TEAM_ORDER: _l("In team order"),
    rules.DrawMethod.LOTS: _l("By drawing lots"),
    rules.DrawMethod.SEEDED: _l("By my seeding (1 is the top seed)"),
}

#: Each refused seed as a message id (the rules keep plain codes so they stay Flask-free).
SEEDING_MESSAGES = {
    rules.SeedingProblem.MISSING: _l("Give every team a seed."),
    rules.SeedingProblem.RANGE: _l("Give a seed from 1 to %(n)s."),
    rules.SeedingProblem.TAKEN: _l("Another team has this seed; each needs its own."),
}


def read_whole(text: str | None) -> int | None:
    """A typed whole number from 0 (full-width digits read), None when empty; ValueError else."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)


class DrawOrderForm(SiteForm):
    """The order a draw fills heats or a bracket in: team order, or a drawing of lots whose seed
    the organizer may call out (else one is drawn); `lots_seed` holds the typed seed."""

    #: The methods this draw offers (heats: no seeding by hand).
    methods = (rules.DrawMethod.TEAM_ORDER, rules.DrawMethod.LOTS)

    method = RadioField(_l("Order of the draw"), default=rules.DrawMethod.TEAM_ORDER.value)
    seed = StringField(
        _l("Seed for the drawing of lots"),
        validators=[Length(max=30)],
        description=_l(
            "Leave it empty and the site draws one, or type a number from 0 to 999999 called out "
            "at the draw. The same seed always gives the same draw, and it goes into the audit "
            "log."
        ),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [(m.value, DRAW_METHOD_TITLES[m]) for m in self.methods]
        self.lots_seed: int | None = None

    @classmethod
    def for_draw(cls, drawn: CurrentDraw | None, **kwargs):
        """The form as the current draw was made (its method, and its lanes for heats), so
        drawing again does not quietly switch to team order; the seed box stays empty, so a
        new drawing of lots draws a new seed unless one is called out."""
        return cls(formdata=None, data=cls.draw_data(drawn), **kwargs)

    @classmethod
    def draw_data(cls, drawn: CurrentDraw | None) -> dict:
        if drawn is None or drawn.method not in cls.methods:
            return {}
        return {"method": drawn.method.value}

    @property
    def draw_method(self) -> rules.DrawMethod:
        return rules.DrawMethod(self.method.data)

    def validate_seed(self, field) -> None:
        if self.method.data != rules.DrawMethod.LOTS:
            return
        try:
            seed = read_whole(field.data)
        except ValueError:
            seed = -1
        if seed is not None and not 0 <= seed <= rules.MAX_DRAW_SEED:
            raise ValidationError(
                _l(
                    "Give the seed as a whole number from 0 to %(max)s, or leave it empty.",
                    max=rules.MAX_DRAW_SEED,
                )
            )
        self.lots_seed = seed


class HeatDrawForm(DrawOrderForm):
    lanes = _whole(_l("Lanes (entries per heat)"), 2, 8, 50)

    @classmethod
    def draw_data(cls, drawn: CurrentDraw | None) -> dict:
        data = super().draw_data(drawn)
        if drawn is not None and drawn.lanes:
            data["lanes"] = drawn.lanes
        return data


class SeedRow(Form):
    """One team's seed in the organizer's seeding."""

    entry_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    seed = StringField(validators=[Length(max=30)], render_kw={"inputmode": "numeric"})


class MatchDrawForm(DrawOrderForm):
    """A bracket or round-robin draw: team order, lots, or the organizer's seeding."""

    methods = tuple(rules.DrawMethod)

    seeds = FieldList(FormField(SeedRow))

    def fill(self, entries: Mapping[int, int | None]) -> MatchDrawForm:
        """A seed row for each entry ({entry id: its seed in the current draw, or None}),
        showing the seed it was drawn with."""
        for entry_id, seeding in entries.items():
            self.seeds.append_entry(
                {"entry_id": entry_id, "seed": "" if seeding is None else str(seeding)}
            )
        return self

    def label_rows(self, labels) -> MatchDrawForm:
        """Each seed field labelled with its team."""
        for row in self.seeds:
            row.form.seed.label.text = labels.get(row.form.entry_id.data, "")
        return self

    def row_for(self, entry_id: int):
        return next((row.form for row in self.seeds if row.form.entry_id.data == entry_id), None)

    def seeding(self) -> dict[int, int | None]:
        """{entry id: the seed typed} after `validate()`."""
        return dict(self._seeding)

    def check_across_fields(self) -> bool:
        valid = True
        self._seeding: dict[int, int | None] = {}
        if self.method.data != rules.DrawMethod.SEEDED:
            return valid
        count = len(self.seeds.entries)
        for row in self.seeds:
            form = row.form
            try:
                seed = read_whole(form.seed.data)
            except ValueError:
                message = SEEDING_MESSAGES[rules.SeedingProblem.RANGE]
                form.seed.errors = [*form.seed.errors, str(message) % {"n": count}]
                valid = False
                continue
            if form.entry_id.data is not None:
                self._seeding[form.entry_id.data] = seed
        return valid


class FinalDrawForm(SiteForm):
    size = _whole(_l("Entries in the final"), 2, 8, 50)


class EntriesForm(SiteForm):
    """A captain's selection: checkboxes named item-<id> carrying registration ids."""

    def selection(self, formdata, item_ids) -> dict[int, set[int]]:
        chosen = {}
        for item_id in item_ids:
            ids = set()
            for raw in formdata.getlist(f"item-{item_id}"):
                try:
                    ids.add(int(raw))
                except (TypeError, ValueError):
                    continue
            chosen[item_id] = ids
        return chosen


# --- The referee's sheet -------------------------------------------------------------------------

#: Time problems as message ids (the rules module keeps plain English so it stays Flask-free).
TIME_MESSAGES = {
    rules.TimeProblem.EMPTY: _l("Enter a time."),
    rules.TimeProblem.FORMAT: _l(
        "Enter the time as minutes:seconds (1:02.50) or as seconds (62.50)."
    ),
    rules.TimeProblem.SECONDS_RANGE: _l("Seconds must be below 60 when minutes are given."),
    rules.TimeProblem.MINUTES_RANGE: _l("Minutes must be below 60 when hours are given."),
    rules.TimeProblem.DECIMALS: _l("Give the time to at most three decimal places."),
    rules.TimeProblem.NOT_POSITIVE: _l("The time must be more than zero."),
}


def parse_value(kind: str, text: str) -> Decimal | None:
    """A typed result as a Decimal (None when empty); ValueError with a message otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if kind == ResultKind.TIME:
        try:
            return rules.parse_time(text)
        except rules.TimeFormatError as exc:
            raise ValueError(str(TIME_MESSAGES[exc.problem])) from None
    try:
        value = Decimal(text.replace("，", ".").replace(",", "."))
    except InvalidOperation:
        value = None
    if kind == ResultKind.PLACING:
        if value is None or not value.is_finite() or value < 1 or value != value.to_integral():
            raise ValueError(str(_l("Enter the place as a whole number: 1, 2, 3 …")))
        return value
    if value is None or not value.is_finite() or value < 0 or value >= Decimal("1e9"):
        raise ValueError(str(_l("Enter a number such as 12 or 3.75.")))
    if value != value.quantize(Decimal("0.001")):
        raise ValueError(str(_l("Give at most three decimal places.")))
    return value


class ResultRow(Form):
    """One entry's line on a heat sheet."""

    entry_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    value = StringField(_l("Result"), validators=[Length(max=20)])
    second_value = StringField(_l("Second attempt"), validators=[Length(max=20)])
    outcome = SelectField(
        _l("Outcome"),
        choices=lambda: [(o.value, o.title) for o in Outcome],
        default=Outcome.OK.value,
    )
    reason = StringField(_l("Reason (DQ or correction)"), validators=[Length(max=300)])


class HeatSheetForm(SiteForm):
    """A heat's results: one row per lane."""

    rows = FieldList(FormField(ResultRow))

    def fill(self, lanes, results) -> HeatSheetForm:
        """Rows for each entry in the heat, with what has been saved."""
        for entry_id in lanes:
            saved = results.get(entry_id)
            self.rows.append_entry(
                {
                    "entry_id": entry_id,
                    "value": self._shown(saved.value) if saved else "",
                    "second_value": self._shown(saved.second_value) if saved else "",
                    "outcome": saved.outcome if saved else Outcome.OK.value,
                    "reason": saved.reason if saved else "",
                }
            )
        return self

    def __init__(self, *args, item: Item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item

    def _shown(self, value) -> str:
        if value is None:
            return ""
        if self.item.result_type == ResultKind.TIME:
            return rules.format_time(Decimal(value))
        return plain_number(Decimal(value))

    def row_for(self, entry_id: int):
        return next((row.form for row in self.rows if row.form.entry_id.data == entry_id), None)

    def check_across_fields(self) -> bool:
        valid = True
        self.parsed: list[ResultInput] = []
        for row in self.rows:
            form = row.form
            values = {}
            for name in ("value", "second_value"):
                try:
                    values[name] = parse_value(self.item.result_type, form[name].data)
                except ValueError as exc:
                    form[name].errors = [*form[name].errors, str(exc)]
                    valid = False
            if form.entry_id.data is None or set(values) != {"value", "second_value"}:
                continue
            self.parsed.append(
                ResultInput(
                    entry_id=form.entry_id.data,
                    value=values["value"],
                    second_value=values["second_value"],
                    outcome=form.outcome.data,
                    reason=(form.reason.data or "").strip(),
                )
            )
        return valid


class MatchForm(SiteForm):
    """Who won a match."""

    winner = RadioField(
        _l("Result"),
        choices=[("home", _l("Home won")), ("away", _l("Away won")), ("draw", _l("Draw"))],
        validators=[InputRequired(message=_l("Choose who won."))],
    )
    reason = StringField(_l("Reason (for a correction)"), validators=[Length(max=300)])

    def __init__(self, *args, drawable: bool, home: str, away: str, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("home", home), ("away", away)]
        if drawable:
            choices.append(("draw", str(_l("Draw"))))
        self.winner.choices = choices
