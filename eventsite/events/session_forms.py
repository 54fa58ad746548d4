"""Forms for sessions (场次): the organizer's session form and the multiple-sessions switch, and
the move to another session (a member's, or an organizer's on the roster)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields import BooleanField, DateTimeLocalField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from eventsite.core.forms import Length, SiteForm
from eventsite.core.time import from_local, to_local
from eventsite.events.forms import LOCAL_FORMATS, _limit, _optional_id
from eventsite.events.models import EventSession


def _when(label):
    return DateTimeLocalField(
        label,
        format=LOCAL_FORMATS,
        validators=[InputRequired(message=_l("Please enter a date and time."))],
        invalid_value_message=_l("Please enter a date and time such as 2026-11-20 19:00."),
    )


class SessionForm(SiteForm):
    """Add a session or change one: its name, time and places."""

    label = StringField(
        _l("Session name"),
        validators=[DataRequired(message=_l("Please enter a name.")), Length(max=100)],
        description=_l("As members see it, such as 第一场 or 11月11日上午."),
    )
    starts_at = _when(_l("Starts"))
    ends_at = _when(_l("Ends"))
    capacity = _limit(
        _l("Places"),
        1,
        description=_l(
            "Leave empty for no limit of its own; extra registrations wait on its list."
        ),
    )

    @classmethod
    def for_session(cls, session: EventSession, **kwargs) -> SessionForm:
        data = {
            "label": session.label,
            "starts_at": to_local(session.starts_at).replace(tzinfo=None),
            "ends_at": to_local(session.ends_at).replace(tzinfo=None),
            "capacity": session.capacity,
        }
        return cls(data=data, **kwargs)

    def check_across_fields(self) -> bool:
        starts, ends = self.starts_at.data, self.ends_at.data
        if starts and ends and ends <= starts:
            self.ends_at.errors.append(_l("The session must end after it starts."))
            return False
        return True

    def session_fields(self) -> dict:
        """Keyword arguments for sessions.save_session, times in UTC."""
        return {
            "label": self.label.data.strip(),
            "starts_at": from_local(self.starts_at.data),
            "ends_at": from_local(self.ends_at.data),
            "capacity": self.capacity.data,
        }


class MultipleSessionsForm(SiteForm):
    """Whether a member may register for several sessions."""

    multiple_sessions = BooleanField(
        _l("A member may register for several sessions"),
        description=_l("Otherwise each member holds one session and may move to another."),
    )


class MoveSessionForm(SiteForm):
    """Move a registration to another session (the choices: the event's other sessions)."""

    session_id = SelectField(
        _l("Move to"),
        coerce=_optional_id,
        validators=[InputRequired(message=_l("Please choose a session."))],
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.session_id.choices = [("", _l("Choose a session"))] + list(choices)

    def validate_session_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Please choose a session."))
