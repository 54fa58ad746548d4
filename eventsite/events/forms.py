"""Event forms: the organizer's event form, its teams/tracks and organizers, the member's
registration form and the cancellation form."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import Form
from wtforms.fields import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, StopValidation
from wtforms.widgets import HiddenInput

from eventsite.core.forms import Length, SiteForm
from eventsite.core.time import from_local, to_local
from eventsite.events import rules
from eventsite.events.models import AUDIENCE_TITLES, Event, EventKind
from eventsite.organizations.forms import OrganizationField

#: Browsers send datetime-local values as 2026-11-20T19:00; the first format is also how we render.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

DATETIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")

#: The fields only one kind of event shows.
KIND_FIELDS = {
    EventKind.MIXER: ("min_age", "max_age", "quota_male", "quota_female"),
    EventKind.COMPETITION: (),
    EventKind.SPORTSMEET: ("team_cap",),
    EventKind.GENERAL: ("max_companions",),
}


def _when(label):
    return DateTimeLocalField(
        label,
        format=LOCAL_FORMATS,
        validators=[InputRequired(message=_l("Please enter a date and time."))],
        invalid_value_message=_l("Please enter a date and time such as 2026-11-20 19:00."),
    )


def _limit(label, minimum: int, description=None):
    return IntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(
                min=minimum,
                message=_l(
                    "Enter a whole number of at least %(min)s, or leave empty for no limit."
                ),
            ),
        ],
        description=description,
    )


class EventForm(SiteForm):
    """Create or edit an event; `kind` decides which eligibility fields it has."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Please enter a title.")), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])
    venue = StringField(
        _l("Venue"),
        validators=[DataRequired(message=_l("Please enter the venue.")), Length(max=200)],
    )
    co_hosts = StringField(
        _l("Co-hosts"),
        validators=[Length(max=200)],
        description=_l(
            "Other organizations holding the event together with yours, as the notice names "
            "them (leave empty when there are none)."
        ),
    )
    starts_at = _when(_l("Starts"))
    ends_at = _when(_l("Ends"))
    registration_opens_at = _when(_l("Registration opens"))
    registration_closes_at = _when(_l("Registration closes"))
    capacity = _limit(
        _l("Places"),
        1,
        description=_l("Leave empty for no limit; extra registrations wait on a list."),
    )
    approval_required = BooleanField(_l("The organizer approves each registration"))
    audience = SelectField(
        _l("Open to"),
        choices=[(str(audience), title) for audience, title in AUDIENCE_TITLES.items()],
        # Left out of a submission (an older page), an event stays open to everyone.
        default=str(rules.Audience.EVERYONE),
        description=_l(
            "Members-only: the members a union of the event's organization or below it has "
            "verified (by its list or by approving their request)."
        ),
    )
    promotion_confirm_hours = IntegerField(
        _l("Hours to confirm a place offered from the waitlist"),
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=rules.MAX_CONFIRM_HOURS,
                message=_l("Enter a whole number of hours from %(min)s to %(max)s."),
            ),
        ],
        description=_l(
            "A freed place is held for the next member on the waitlist this long, but never past "
            "the start; unconfirmed, it goes to the one after. 0: the place is theirs at once. "
            "Empty: 24 hours."
        ),
    )
    min_age = _limit(
        _l("Youngest age admitted"),
        rules.MIXER_MINIMUM_AGE,
        description=_l("Mixers are for members aged 18 and over in any case."),
    )
    max_age = _limit(_l("Oldest age admitted"), rules.MIXER_MINIMUM_AGE)
    quota_male = _limit(_l("Places for men"), 1, description=_l("Leave empty for no quota."))
    quota_female = _limit(_l("Places for women"), 1, description=_l("Leave empty for no quota."))
    team_cap = _limit(
        _l("Members per team"), 1, description=_l("Confirmed members per team; empty for no cap.")
    )
    max_companions = IntegerField(
        _l("Companions each member may bring"),
        default=0,
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=rules.MAX_COMPANIONS,
                message=_l("Enter a whole number from %(min)s to %(max)s."),
            ),
        ],
        description=_l(
            "Family members a member may bring; each takes one of the places. "
            "0 or empty: members come alone."
        ),
    )
    #: The organization holding a new event, among those the organizer may organize for.
    organization_id = OrganizationField(
        _l("Organization"),
        description=_l("Its organizers and admins, and those above it, manage the event."),
    )
    #: The event's `updated_at` when the form was loaded, so a save over someone else's is refused.
    loaded_version = StringField(widget=HiddenInput())

    def __init__(
        self,
        *args,
        kind: str,
        starts_after: datetime | None = None,
        organizations: list[tuple[int, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.kind = EventKind(kind)
        #: A new event must start after this moment (UTC); edits may keep a past start.
        self.starts_after = starts_after
        if organizations is None:
            delattr(self, "organization_id")  # an event keeps its organization when edited
        else:
            self.organization_id.choices = organizations
            if not self.organization_id.raw_data and organizations:
                # Not sent at all (a browser always sends one): the first, the highest one.
                self.organization_id.data = organizations[0][0]
        for other, names in KIND_FIELDS.items():
            if other != self.kind:
                for name in names:
                    delattr(self, name)

    @classmethod
    def for_event(cls, event: Event, **kwargs) -> EventForm:
        """The form filled with an event's current values, times in the local zone."""
        data = {
            name: getattr(event, name) for name in ("title", "description", "venue", "co_hosts")
        }
        data |= {
            name: to_local(getattr(event, name)).replace(tzinfo=None) for name in DATETIME_FIELDS
        }
        data |= {
            name: getattr(event, name)
            for name in (
                "capacity",
                "approval_required",
                "audience",
                "promotion_confirm_hours",
                *KIND_FIELDS[EventKind(event.kind)],
            )
        }
        data["loaded_version"] = event.version
        return cls(kind=event.kind, data=data, **kwargs)

    def check_across_fields(self) -> bool:
        valid = True
        starts, ends = self.starts_at.data, self.ends_at.data
        opens, closes = self.registration_opens_at.data, self.registration_closes_at.data
        if starts and self.starts_after and from_local(starts) <= self.starts_after:
            self.starts_at.errors.append(_l("A new event must start in the future."))
            valid = False
        if starts and ends and ends <= starts:
            self.ends_at.errors.append(_l("The event must end after it starts."))
            valid = False
        if opens and closes and closes <= opens:
            self.registration_closes_at.errors.append(_l("Registration must close after it opens."))
            valid = False
        elif closes and ends and closes > ends:
            self.registration_closes_at.errors.append(
                _l("Registration must close by the time the event ends.")
            )
            valid = False
        if self.kind == EventKind.MIXER:
            low, high = self.min_age.data, self.max_age.data
            if low is not None and high is not None and high < low:
                self.max_age.errors.append(_l("The oldest age must not be below the youngest age."))
                valid = False
        return valid

    def event_fields(self) -> dict:
        """The submitted values as Event attributes, times converted to UTC."""
        fields = {
            "title": self.title.data.strip(),
            "description": (self.description.data or "").strip(),
            "venue": self.venue.data.strip(),
            "co_hosts": (self.co_hosts.data or "").strip(),
            "capacity": self.capacity.data,
            "approval_required": bool(self.approval_required.data),
            "audience": self.audience.data,
            "promotion_confirm_hours": (
                rules.DEFAULT_CONFIRM_HOURS
                if self.promotion_confirm_hours.data is None
                else self.promotion_confirm_hours.data
            ),
        }
        fields |= {name: from_local(self[name].data) for name in DATETIME_FIELDS}
        fields |= {name: self[name].data for name in KIND_FIELDS[self.kind]}
        if "max_companions" in fields:
            fields["max_companions"] = fields["max_companions"] or 0
        return fields


class OfferAnswerForm(SiteForm):
    """A member's answer to a place offered from the waitlist."""

    answer = SelectField(
        choices=[("confirm", _l("Confirm my place")), ("decline", _l("Decline"))],
        validators=[InputRequired()],
    )


class CancelEventForm(SiteForm):
    reason = TextAreaField(
        _l("Reason, sent to every registered member"),
        validators=[
            DataRequired(message=_l("Please give a reason; every registered member will read it.")),
            Length(max=500),
        ],
    )


class AddOrganizerForm(SiteForm):
    mobile = StringField(
        _l("Mobile number of the co-organizer"),
        validators=[DataRequired(message=_l("Please enter a mobile number.")), Length(max=11)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class ChoiceRow(Form):
    """One existing team or track: its id, a new name, or removal."""

    id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    name = StringField(_l("Name"), validators=[Length(max=100)])
    remove = BooleanField(_l("Remove"))


class TeamsFromOrganizationForm(SiteForm):
    """Make a team of every organization directly below the chosen one."""

    organization_id = SelectField(
        _l("Organization"),
        coerce=int,
        description=_l(
            "A team is added for each organization directly below it (each provincial union, "
            "each community union) that has none yet; rename them afterwards if you like."
        ),
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = list(choices)


class ChoiceListForm(SiteForm):
    """An event's teams (or tracks): rename or remove the existing ones, add new ones."""

    rows = FieldList(FormField(ChoiceRow))
    new_names = TextAreaField(
        _l("Add"), description=_l("One name per line."), validators=[Length(max=5000)]
    )

    def fill(self, items) -> ChoiceListForm:
        for item in items:
            self.rows.append_entry({"id": item.id, "name": item.name})
        return self

    def changes(self) -> dict:
        """Keyword arguments for set_teams/set_tracks."""
        rename, remove = {}, set()
        for row in self.rows:
            if row.form.remove.data:
                remove.add(row.form.id.data)
            else:
                rename[row.form.id.data] = row.form.name.data or ""
        add = [line.strip() for line in (self.new_names.data or "").splitlines() if line.strip()]
        return {"rename": rename, "remove": remove, "add": add}

    def row_for(self, item_id: int):
        return next((row.form for row in self.rows if row.form.id.data == item_id), None)


def _optional_id(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def companion_choices(max_companions: int) -> list[tuple[int, str]]:
    """The choices "Just me", "Me + 1 companion", … up to the event's maximum, at request time."""
    return [(0, _l("Just me"))] + [
        (n, ngettext("Me + %(num)d companion", "Me + %(num)d companions", n))
        for n in range(1, max_companions + 1)
    ]


class CompanionsField(SelectField):
    """How many companions the member brings: a choice from 0 to the event's maximum; anything
    else, or nothing, is refused beside the field."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            *args,
            coerce=_optional_id,
            validate_choice=False,
            description=_l("Each companion takes a place of their own."),
            **kwargs,
        )

    def pre_validate(self, form):
        # Not sent at all (a page always sends the choice shown): asked, never assumed.
        if not self.raw_data or self.data not in {value for value, _title in self.choices}:
            raise StopValidation(str(_l("Choose how many companions you bring.")))


class RegistrationForm(SiteForm):
    """A member registers: the fields depend on the kind of event."""

    single_declared = BooleanField(
        _l("I declare that I am single"),
        default=False,
        description=_l(
            "Your consent: you tell the union that you are single so that you may take part in "
            "this mixer. We record only that, and when, you declared it; we use it for this mixer "
            "alone and show it to no other member. You may cancel your registration at any time "
            "before the event."
        ),
    )
    team_id = SelectField(_l("Team"), coerce=_optional_id, validate_choice=False)
    track_id = SelectField(_l("Track"), coerce=_optional_id, validate_choice=False)
    companions = CompanionsField(_l("Companions"), default=0)
    #: At an event held in sessions (场次): which one; the service checks it belongs.
    session_id = RadioField(_l("Session"), coerce=_optional_id, validate_choice=False)

    def __init__(
        self, *args, event: Event, user=None, full_teams=frozenset(), sessions=(), **kwargs
    ):
        """`sessions`: (session id, label) for each session the member may choose, with its
        time and places left in the label; none at an event without sessions."""
        super().__init__(*args, **kwargs)
        self.event = event
        self.user = user
        if sessions:
            self.session_id.choices = list(sessions)
        else:
            del self.session_id
        kind = EventKind(event.kind)
        if kind != EventKind.MIXER:
            del self.single_declared
        if kind not in (EventKind.COMPETITION, EventKind.SPORTSMEET):
            del self.team_id
        else:
            self.team_id.choices = [("", _l("Choose your team"))] + [
                (
                    team.id,
                    _l("%(team)s (full: waitlist)", team=team.name)
                    if team.id in full_teams
                    else team.name,
                )
                for team in event.teams
            ]
        if kind != EventKind.COMPETITION:
            del self.track_id
        else:
            self.track_id.choices = [("", _l("Choose your track"))] + [
                (track.id, track.name) for track in event.tracks
            ]
        if kind in rules.COMPANION_KINDS and event.max_companions:
            self.companions.choices = companion_choices(event.max_companions)
        else:
            del self.companions

    def engine_arguments(self) -> dict:
        """Keyword arguments for service.register."""
        return {
            "single_declared": bool("single_declared" in self and self.single_declared.data),
            "team_id": self.team_id.data if "team_id" in self else None,
            "track_id": self.track_id.data if "track_id" in self else None,
            "companions": self.companions.data if "companions" in self else 0,
            "session_id": self.session_id.data if "session_id" in self else None,
        }

    def add_error(self, message: str, field: str | None) -> None:
        """Show an engine refusal beside the field it names, or above the form."""
        add_error(self, message, field)


class CompanionsForm(SiteForm):
    """A registered member changes how many companions they bring."""

    companions = CompanionsField(_l("Companions"))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.companions.choices = companion_choices(event.max_companions)


def add_error(form, message: str, field: str | None) -> None:
    """Put `message` beside `form[field]` when the form has that field, else above the form."""
    if field and field in form:
        form[field].errors = [*form[field].errors, message]
    else:
        form.form_errors.append(message)
