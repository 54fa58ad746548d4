"""Skills competition forms: rounds, criteria, judges, recusal, score sheets, paper entry,
awards, publication and objections.

A score sheet's boxes (`score_<criterion id>`) depend on the round, so `SheetForm` carries only
the version, the comment and the button; the boxes are read with `service.parse_scores`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import Form
from wtforms.fields import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from eventsite.competitions.models import (
    Aggregation,
    AwardBasis,
    AwardRounding,
    AwardScope,
    ContestantState,
    ObjectionDecision,
    Round,
    TeamMethod,
)
from eventsite.competitions.service import CriterionInput, TierInput
from eventsite.core.forms import Length, SiteForm
from eventsite.events.forms import add_error

__all__ = ["add_error"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _decimal(text: str | None) -> Decimal | None:
    """A typed number (full-width or comma decimal accepted), None when empty or not a number."""
    text = (text or "").strip().replace("，", ".").replace(",", ".").replace("．", ".")
    # A typographic or full-width minus is still a minus: the range check then names the limit.
    text = text.replace("\u2212", "-").replace("\uff0d", "-")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class DecimalText(StringField):
    """A number typed as text: the form checks it is a number; the service checks its range."""

    def pre_validate(self, form):
        if (self.data or "").strip() and _decimal(self.data) is None:
            raise ValidationError(str(_l("Enter a number such as 10 or 0.5.")))

    @property
    def number(self) -> Decimal | None:
        return _decimal(self.data)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoundForm(SiteForm):
    """A round's name, advancing places, aggregation, coverage, paper mode and objection period."""

    name = StringField(
        _l("Round name"),
        validators=[DataRequired(message=_l("Please enter the round's name.")), Length(max=100)],
        filters=[_strip],
        description=_l("For example 初赛 (preliminary) or 决赛 (final)."),
    )
    advance_count = IntegerField(
        _l("Advance to the next round"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=1000, message=_l("Enter a number from 1 to 1000, or leave empty.")
            ),
        ],
        description=_l(
            "The best N of each track go on (ties at the cut go on too); empty for the last round."
        ),
    )
    aggregation = SelectField(
        _l("Combine the judges' scores by"),
        choices=lambda: [(a.value, a.title) for a in Aggregation],
        default=Aggregation.TRIMMED.value,
    )
    trim_count = IntegerField(
        _l("Scores dropped at each end"),
        default=1,
        validators=[
            InputRequired(message=_l("Enter a number from 0 to 5.")),
            NumberRange(min=0, max=5, message=_l("Enter a number from 0 to 5.")),
        ],
        description=_l(
            "Trimmed mean: how many of the highest and of the lowest scores (on each criterion, "
            "or judges' totals) are left out."
        ),
    )
    trim_min_judges = IntegerField(
        _l("Trim only from this many judges"),
        default=5,
        validators=[
            InputRequired(message=_l("Enter a number from 1 to 50.")),
            NumberRange(min=1, max=50, message=_l("Enter a number from 1 to 50.")),
        ],
        description=_l("With fewer judges the plain mean is used."),
    )
    standardise = BooleanField(
        _l("Standardise each judge's scores (z-scores), for judges who score different contestants")
    )
    min_judges = IntegerField(
        _l("Judges needed per contestant"),
        default=5,
        validators=[
            InputRequired(message=_l("Enter a number from 1 to 50.")),
            NumberRange(min=1, max=50, message=_l("Enter a number from 1 to 50.")),
        ],
        description=_l("The assignment screen warns about contestants with fewer eligible judges."),
    )
    double_entry = BooleanField(
        _l("Paper sheets, typed in twice by two clerks (a sheet counts when both agree)")
    )
    objection_days = IntegerField(
        _l("Objection period (days)"),
        default=5,
        validators=[
            InputRequired(message=_l("Enter a number from 0 to 30.")),
            NumberRange(min=0, max=30, message=_l("Enter a number from 0 to 30.")),
        ],
        description=_l("Published results stay provisional (公示) this long, then become final."),
    )

    @classmethod
    def for_round(cls, round_: Round) -> RoundForm:
        return cls(obj=round_)

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "advance_count": self.advance_count.data,
            "aggregation": self.aggregation.data,
            "trim_count": self.trim_count.data,
            "trim_min_judges": self.trim_min_judges.data,
            "standardise": self.standardise.data,
            "min_judges": self.min_judges.data,
            "double_entry": self.double_entry.data,
            "objection_days": self.objection_days.data,
        }


class CriterionRow(Form):
    id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    name = StringField(_l("Criterion"), validators=[Length(max=100)], filters=[_strip])
    max_score = DecimalText(_l("Maximum"))
    weight = DecimalText(_l("Weight"), default="1")
    step = DecimalText(_l("Step"), default="0.5")
    tolerance = DecimalText(_l("Tolerance"))
    remove = BooleanField(_l("Remove"))


#: Blank criterion rows offered below the existing ones.
SPARE_ROWS = 2
#: Places in the tie-break chain.
TIE_BREAK_PLACES = 3


class CriteriaForm(SiteForm):
    """The round's criteria, in order, and its tie-break chain."""

    criteria = FieldList(FormField(CriterionRow), min_entries=1)
    tie_break = FieldList(
        SelectField(_l("Then by"), validate_choice=False), min_entries=TIE_BREAK_PLACES
    )

    @classmethod
    def for_round(cls, round_: Round) -> CriteriaForm:
        rows = [
            {
                "id": c.id,
                "name": c.name,
                "max_score": _plain(c.max_score),
                "weight": _plain(c.weight),
                "step": _plain(c.step),
                "tolerance": _plain(c.tolerance),
            }
            for c in round_.criteria
        ]
        rows += [{"weight": "1", "step": "0.5"}] * SPARE_ROWS
        chain = [str(cid) for cid in round_.tie_break_ids]
        chain += [""] * (TIE_BREAK_PLACES - len(chain))
        form = cls(data={"criteria": rows, "tie_break": chain[:TIE_BREAK_PLACES]})
        form.offer(round_)
        return form

    def offer(self, round_: Round) -> None:
        choices = [("", "—")] + [(str(c.id), c.name) for c in round_.criteria]
        for entry in self.tie_break:
            entry.choices = choices

    def rows(self) -> list[CriterionInput]:
        return [
            CriterionInput(
                id=row.form.id.data,
                name=row.form.name.data or "",
                max_score=row.form.max_score.number,
                weight=row.form.weight.number,
                step=row.form.step.number,
                tolerance=row.form.tolerance.number,
                remove=row.form.remove.data,
            )
            for row in self.criteria
        ]

    def chain(self) -> list[int]:
        return [int(e.data) for e in self.tie_break if (e.data or "").isdigit()]

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put the service's {criteria-i-field: message} beside those boxes."""
        for key, message in errors.items():
            _, index, name = key.split("-", 2)
            index = int(index)
            if index < len(self.criteria.entries):
                box = self.criteria.entries[index].form[name]
                box.errors = [*box.errors, message]
            else:
                self.form_errors.append(message)


def _plain(value) -> str:
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


class JudgeForm(SiteForm):
    """Assign a judge (by mobile) to tracks of the round."""

    mobile = StringField(
        _l("Judge's mobile number"),
        validators=[
            DataRequired(message=_l("Please enter the judge's mobile number.")),
            Length(max=20),
        ],
        filters=[_strip],
    )
    tracks = MultiCheckboxField(_l("Tracks"), coerce=int, validate_choice=False)

    def offer(self, tracks) -> None:
        self.tracks.choices = [(t.id, t.name) for t in tracks]


class AffiliationForm(SiteForm):
    """The teams a judge belongs to (recused from their contestants)."""

    judge_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    teams = MultiCheckboxField(_l("Affiliated teams"), coerce=int, validate_choice=False)


class ConflictForm(SiteForm):
    """A judge's declared conflict with one contestant."""

    judge_id = SelectField(_l("Judge"), coerce=int, validate_choice=False)
    registration_id = SelectField(_l("Contestant"), coerce=int, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Length(max=300)], filters=[_strip])

    def offer(self, judges, contestants) -> None:
        self.judge_id.choices = [(j.id, j.name) for j in judges]
        self.registration_id.choices = [(r.id, r.user.name) for r in contestants]


class LeaderForm(SiteForm):
    """Name a team's leader (领队), who may lodge objections for its contestants."""

    team_id = SelectField(_l("Team"), coerce=int, validate_choice=False)
    mobile = StringField(
        _l("Leader's mobile number"),
        validators=[
            DataRequired(message=_l("Please enter the leader's mobile number.")),
            Length(max=20),
        ],
        filters=[_strip],
    )

    def offer(self, teams) -> None:
        self.team_id.choices = [(t.id, t.name) for t in teams]


class StateForm(SiteForm):
    """Withdraw or disqualify a contestant, or put them back."""

    state = SelectField(
        _l("Status"),
        choices=lambda: (
            [("competing", _l("Competing"))] + [(s.value, s.title) for s in ContestantState]
        ),
    )
    reason = StringField(_l("Reason"), validators=[Length(max=300)], filters=[_strip])


class SheetForm(SiteForm):
    """A score sheet's version (stale-form check), comment and button; the score boxes are the
    round's criteria (`score_<id>`)."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message=_l("This form is incomplete; reload the page."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)], filters=[_strip])
    action = SelectField(
        choices=[("save", "save"), ("submit", "submit")], default="save", validate_choice=True
    )


class ReopenForm(SiteForm):
    reason = StringField(
        _l("Reason for reopening"),
        validators=[
            DataRequired(message=_l("Give the reason for reopening the sheet.")),
            Length(max=500),
        ],
        filters=[_strip],
    )


class PaperForm(SiteForm):
    """A clerk types one judge's paper sheet for one contestant."""

    judge_id = SelectField(_l("Judge"), coerce=int, validate_choice=False)
    registration_id = SelectField(_l("Contestant"), coerce=int, validate_choice=False)

    def offer(self, judges, contestants) -> None:
        self.judge_id.choices = [(0, "—")] + [(j.id, j.name) for j in judges]
        self.registration_id.choices = [(0, "—")] + [(r.id, r.name) for r in contestants]


class TierRow(Form):
    name = StringField(_l("Award"), validators=[Length(max=100)], filters=[_strip])
    size = DecimalText(_l("Size"))


#: Award tier rows offered.
TIER_ROWS = 5


class AwardsForm(SiteForm):
    """Award tiers (by count or percentage, per track or overall) and the team ranking."""

    basis = RadioField(
        _l("Tier sizes are"),
        validators=[InputRequired(message=_l("Please choose one."))],
        choices=lambda: [(b.value, b.title) for b in AwardBasis],
        default=AwardBasis.COUNT.value,
    )
    scope = RadioField(
        _l("Awards are given"),
        validators=[InputRequired(message=_l("Please choose one."))],
        choices=lambda: [(s.value, s.title) for s in AwardScope],
        default=AwardScope.OVERALL.value,
    )
    rounding = RadioField(
        _l("Percentages become whole awards"),
        choices=lambda: [(r.value, r.title) for r in AwardRounding],
        default=AwardRounding.DOWN.value,
        description=_l("Only for percentages; each tier is rounded on its own."),
    )
    tiers = FieldList(FormField(TierRow), min_entries=TIER_ROWS)
    team_best = IntegerField(
        _l("Team ranking: best members counted"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=100, message=_l("Enter a number from 1 to 100, or leave empty.")
            ),
        ],
        description=_l("Empty for no team ranking."),
    )
    team_method = RadioField(
        _l("Team score"),
        validators=[InputRequired(message=_l("Please choose one."))],
        choices=lambda: [(m.value, m.title) for m in TeamMethod],
        default=TeamMethod.SUM.value,
    )

    @classmethod
    def for_round(cls, round_: Round) -> AwardsForm:
        rows = [{"name": t.name, "size": _plain(t.size)} for t in round_.tiers]
        rows += [{}] * max(0, TIER_ROWS - len(rows))
        return cls(
            data={
                "basis": round_.award_basis,
                "scope": round_.award_scope,
                "rounding": round_.award_rounding,
                "tiers": rows,
                "team_best": round_.team_best,
                "team_method": round_.team_method,
            }
        )

    def values(self) -> dict:
        return {
            "basis": self.basis.data,
            "scope": self.scope.data,
            "rounding": self.rounding.data,
            "tiers": [
                TierInput(row.form.name.data or "", row.form.size.number) for row in self.tiers
            ],
            "team_best": self.team_best.data,
            "team_method": self.team_method.data,
        }

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            _, index, name = key.split("-", 2)
            box = self.tiers.entries[int(index)].form[name]
            box.errors = [*box.errors, message]


class PublishForm(SiteForm):
    # Only asked when the tolerance check flags criteria; the service refuses without it, so
    # the page's "publish?" confirmation is not asked while it is empty (static/js/site.js).
    flags_checked = BooleanField(
        _l("I have checked the flagged scores"), render_kw={"data-required-tick": ""}
    )


class UnpublishForm(SiteForm):
    reason = StringField(
        _l("Reason for withdrawing the results"),
        validators=[
            DataRequired(message=_l("Give the reason for withdrawing the results.")),
            Length(max=500),
        ],
        filters=[_strip],
    )


class ObjectionForm(SiteForm):
    """An objection in writing about one contestant's result."""

    registration_id = SelectField(_l("Objection concerns"), coerce=int, validate_choice=False)
    text = TextAreaField(
        _l("Your objection"),
        validators=[
            DataRequired(message=_l("Please describe the objection (at least 10 characters).")),
            Length(min=10, message=_l("Please describe the objection (at least 10 characters).")),
            Length(max=5000),
        ],
        filters=[_strip],
    )

    def offer(self, contestants) -> None:
        self.registration_id.choices = [(r.id, r.user.name) for r in contestants]


class DecisionForm(SiteForm):
    decision = RadioField(
        _l("Decision"),
        choices=lambda: [(d.value, d.title) for d in ObjectionDecision],
        validators=[InputRequired(message=_l("Choose upheld or dismissed."))],
    )
    text = TextAreaField(
        _l("Reasons"),
        validators=[DataRequired(message=_l("Write the decision's reasons.")), Length(max=5000)],
        filters=[_strip],
    )
