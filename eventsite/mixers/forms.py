"""Exchange forms: the member's profile and card, marks, introduction requests, reports, data
deletion; the organizer's settings."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from eventsite.accounts.rules import normalize_phone
from eventsite.core.forms import Length, SiteForm
from eventsite.events.forms import add_error
from eventsite.mixers import rules
from eventsite.mixers.models import MixerProfile, MixerSettings, Reveal, Visibility

__all__ = ["add_error"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ContactPhone:
    """Accepts a number a match can call (a mainland mobile, or a landline with its area code,
    as `accounts.rules.normalize_phone` reads them) and keeps it in its usual spelling."""

    def __call__(self, form, field):
        number = normalize_phone(field.data)
        if number is None:
            raise ValidationError(
                _l(
                    "This is not a phone number: give an 11-digit mainland mobile number (e.g. "
                    "13812345678) or a landline with its area code (e.g. 0553-5812345)."
                )
            )
        field.data = number


class ProfileForm(SiteForm):
    """Nickname, introduction, contact card and the two separate consents."""

    nickname = StringField(
        _l("Nickname"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please choose a nickname.")),
            Length(max=20),
        ],
        description=_l("Shown to the other attendees instead of your name."),
    )
    introduction = TextAreaField(
        _l("A short introduction (optional)"),
        filters=[_strip],
        validators=[Length(max=rules.INTRODUCTION_MAX)],
        description=_l("At most 200 characters, shown with your nickname."),
    )
    single_declared = BooleanField(
        _l("I declare that I am single (unmarried and not in a relationship).")
    )
    phone = StringField(
        _l("Phone"),
        filters=[_strip],
        validators=[Optional(), ContactPhone()],
        description=_l("A mainland mobile number, or a landline with its area code."),
    )
    wechat = StringField(
        _l("WeChat id"),
        filters=[_strip],
        validators=[Optional(), Length(max=40)],
    )
    email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            Optional(),
            Email(message=_l("Please enter an email address.")),
            Length(max=254),
        ],
    )
    release_card = BooleanField(
        _l(
            "I agree that this contact card is shown to the attendees I match with at this mixer "
            "(mutual marks or an accepted introduction), and to nobody else."
        )
    )

    @classmethod
    def for_profile(cls, profile: MixerProfile, single_declared: bool, **kwargs) -> ProfileForm:
        card = profile.card
        data = {
            "nickname": profile.nickname,
            "introduction": profile.introduction,
            "single_declared": single_declared,
            "phone": card.phone if card else "",
            "wechat": card.wechat if card else "",
            "email": card.email if card else "",
            "release_card": card is not None,
        }
        return cls(data=data, **kwargs)

    def values(self) -> dict:
        return {
            "nickname": self.nickname.data or "",
            "introduction": self.introduction.data or "",
            "phone": self.phone.data or "",
            "wechat": self.wechat.data or "",
            "email": self.email.data or "",
            "release_card": bool(self.release_card.data),
            "single_declared": bool(self.single_declared.data),
        }


class MarkForm(SiteForm):
    """One tap on the marking page: mark (1) or unmark (0) the attendee with `number`."""

    number = IntegerField(validators=[InputRequired(), NumberRange(min=1)])
    marked = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=1)])


class IntroductionForm(SiteForm):
    note = TextAreaField(
        _l("Your note"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please write a short note.")),
            Length(max=rules.NOTE_MAX),
        ],
        description=_l(
            "At most 200 characters. They see your nickname, your introduction and this note."
        ),
    )


class AnswerForm(SiteForm):
    answer = RadioField(
        choices=[("accept", _l("Accept")), ("decline", _l("Decline"))],
        validators=[InputRequired()],
    )


class ReportForm(SiteForm):
    reason = TextAreaField(
        _l("What happened?"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please say what happened.")),
            Length(max=500),
        ],
        description=_l("Only the mixer's organizers read this."),
    )


class DeleteDataForm(SiteForm):
    confirm = BooleanField(
        _l("I understand that my exchange data at this mixer will be deleted."),
        validators=[DataRequired(message=_l("Please tick the box to confirm."))],
    )


class RemovalForm(SiteForm):
    removed = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=1)])


class SettingsForm(SiteForm):
    """The organizer's exchange settings."""

    window_hours = IntegerField(
        _l("Window length (hours)"),
        validators=[
            InputRequired(message=_l("Please enter a whole number.")),
            NumberRange(
                min=1, max=720, message=_l("Enter a whole number from %(min)s to %(max)s.")
            ),
        ],
        description=_l("The window opens when the event ends; 72 hours by default."),
    )
    visibility = RadioField(
        _l("Each attendee sees"),
        choices=[(v.value, v.title) for v in Visibility],
        validators=[InputRequired(message=_l("Please choose one."))],
    )
    reveal = RadioField(
        _l("Matches show"),
        choices=[(r.value, r.title) for r in Reveal],
        validators=[InputRequired(message=_l("Please choose one."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices' titles are lazy; build them again so they follow the request's language.
        self.visibility.choices = [(v.value, v.title) for v in Visibility]
        self.reveal.choices = [(r.value, r.title) for r in Reveal]

    @classmethod
    def for_settings(cls, settings: MixerSettings, **kwargs) -> SettingsForm:
        data = {
            "window_hours": settings.window_hours,
            "visibility": settings.visibility,
            "reveal": settings.reveal,
        }
        return cls(data=data, **kwargs)

    def values(self) -> dict:
        return {
            "window_hours": self.window_hours.data,
            "visibility": self.visibility.data,
            "reveal": self.reveal.data,
        }
