"""Forms of the roster pages: filters, bulk and single-row actions, import, check-in desk,
roster messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, ValidationError

from eventsite.accounts.models import Gender
from eventsite.core.forms import SPREADSHEET_MAX_BYTES, SPREADSHEET_TOO_LARGE, Length, SiteForm
from eventsite.events import message_rules
from eventsite.events.models import RegistrationStatus
from eventsite.events.roster import RosterFilters


def optional_int(value) -> int | None:
    """'' or None → None; digits → int (anything else fails the choice check)."""
    if value in (None, "", "None"):
        return None
    return int(value)


def _team_choices(teams, blank):
    return [("", blank)] + [(str(team.id), team.name) for team in teams]


class RosterFilterForm(SiteForm):
    """The roster's filters, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or mobile"),
        validators=[Length(max=50)],
        render_kw={"type": "search", "placeholder": _l("Search by name or mobile")},
    )
    status = SelectField(_l("Status"), default="")
    gender = SelectField(_l("Gender"), default="")
    team_id = SelectField(_l("Team"), coerce=optional_int, default="")
    track_id = SelectField(_l("Track"), coerce=optional_int, default="")
    session_id = SelectField(_l("Session"), coerce=optional_int, default="")
    checked_in = SelectField(
        _l("Check-in status"),
        choices=[("", _l("Any")), ("yes", _l("Checked in")), ("no", _l("Not checked in"))],
        default="",
    )
    answer = SelectField(_l("Answer"), default="")

    def __init__(self, *args, teams=(), tracks=(), sessions=(), answer_filters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.session_id.choices = [("", _l("Any session"))] + [
            (str(session.id), session.label) for session in sessions
        ]
        self.answer.choices = [("", _l("Any answer"))] + list(answer_filters)
        self.status.choices = [("", _l("Any status"))] + [
            (str(s), s.title) for s in RegistrationStatus
        ]
        self.gender.choices = [("", _l("Any gender"))] + [(str(g), g.title) for g in Gender]
        self.team_id.choices = _team_choices(teams, _l("Any team"))
        self.track_id.choices = _team_choices(tracks, _l("Any track"))

    def filters(self) -> RosterFilters:
        """The validated filters (call after validate())."""
        return RosterFilters(
            status=self.status.data or None,
            gender=self.gender.data or None,
            team_id=self.team_id.data,
            track_id=self.track_id.data,
            checked_in={"yes": True, "no": False}.get(self.checked_in.data),
            q=(self.q.data or "").strip(),
            session_id=self.session_id.data,
            answer=self.answer.data or "",
        )


ACTION_CHOICES = [
    ("approve", _l("Approve")),
    ("reject", _l("Reject")),
    ("cancel", _l("Cancel registration")),
    ("move", _l("Move to team / track")),
]


class BulkActionForm(SiteForm):
    """One action for every ticked registration."""

    ids = SelectMultipleField(_l("Selected registrations"), coerce=int, validate_choice=False)
    action = SelectField(
        _l("Action"),
        choices=[("", _l("Choose an action…"))] + ACTION_CHOICES,
        validators=[InputRequired(message=_l("Choose an action."))],
    )
    reason = StringField(
        _l("Reason (for reject or cancel; the member sees it)"),
        validators=[Length(max=500)],
    )
    team_id = SelectField(_l("Move to team"), coerce=optional_int, default="")
    track_id = SelectField(_l("Move to track"), coerce=optional_int, default="")

    def __init__(self, *args, teams=(), tracks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.team_id.choices = _team_choices(teams, _l("Keep the team"))
        self.track_id.choices = _team_choices(tracks, _l("Keep the track"))
        # The filter form on the same page has team/track selects too: keep HTML ids unique.
        for field in (self.action, self.reason, self.team_id, self.track_id):
            field.id = field.label.field_id = f"bulk-{field.name}"
        movable = bool(teams) or bool(tracks)
        self.action.choices = [("", _l("Choose an action…"))] + [
            choice for choice in ACTION_CHOICES if movable or choice[0] != "move"
        ]

    def validate_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Tick at least one registration."))

    def validate_action(self, field):
        if not field.data:
            raise ValidationError(_l("Choose an action."))

    def _move_without_target(self) -> bool:
        return (
            self.action.data == "move" and self.team_id.data is None and self.track_id.data is None
        )

    def validate_team_id(self, field):
        # The message sits beside whichever of the two selects the page shows.
        if len(field.choices) > 1 and self._move_without_target():
            raise ValidationError(_l("Choose a team or a track to move to."))

    def validate_track_id(self, field):
        if len(self.team_id.choices) <= 1 and self._move_without_target():
            raise ValidationError(_l("Choose a team or a track to move to."))


class RowActionForm(SiteForm):
    """An action on one registration (the row's own button)."""

    do = SelectField(
        _l("Action"),
        choices=ACTION_CHOICES[:3],
        validators=[InputRequired(message=_l("Choose an action."))],
    )
    reason = StringField(
        _l("Reason (for reject or cancel; the member sees it)"), validators=[Length(max=500)]
    )


class ImportForm(SiteForm):
    """Upload a roster spreadsheet."""

    file = FileField(
        _l("Spreadsheet (CSV or XLSX, up to 5 MB)"),
        validators=[
            FileRequired(message=_l("Choose a file to upload.")),
            FileAllowed(["csv", "xlsx"], message=_l("Upload a .csv or .xlsx file.")),
            FileSize(SPREADSHEET_MAX_BYTES, message=SPREADSHEET_TOO_LARGE),
        ],
    )


class DeskSearchForm(SiteForm):
    """Find a confirmed member at the check-in desk."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Name or mobile"),
        validators=[Length(max=50)],
        render_kw={"type": "search", "autocomplete": "off"},
    )


class ScanForm(SiteForm):
    """Paste what a scanner read from a member's check-in code."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Check-in link or code"),
        validators=[
            InputRequired(message=_l("Paste the link from the member's code.")),
            Length(max=1000),
        ],
        render_kw={"autocomplete": "off", "inputmode": "url"},
    )


def _one_line_ends(text):
    """A typed text without surrounding blanks, its line ends as one character each."""
    return text.replace("\r\n", "\n").strip() if isinstance(text, str) else text


class RosterMessageForm(SiteForm):
    """A message to the roster as filtered, or to a team: its text and whether to text it too."""

    text = TextAreaField(
        _l("Message"),
        filters=[_one_line_ends],
        validators=[
            DataRequired(message=_l("Write the message.")),
            Length(max=message_rules.TEXT_MAX),
        ],
        description=_l(
            "At most %(n)s characters. Members read it in their inbox; those who chose it also "
            "get it by SMS, with the site's signature and the event's short name in front.",
            n=message_rules.TEXT_MAX,
        ),
    )
    by_sms = BooleanField(_l("Also by SMS to members who want roster messages by SMS"))
    #: The recipients the preview showed (message_rules.fingerprint): sent back with "Send".
    previewed = HiddenField(validators=[Length(max=64)])
