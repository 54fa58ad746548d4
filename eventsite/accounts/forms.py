"""Sign-up, sign-in, profile and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, PasswordField, RadioField, StringField
from wtforms.fields import EmailField, TelField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Optional,
    ValidationError,
)

from eventsite.accounts import rules
from eventsite.accounts.models import Gender
from eventsite.core.forms import BoundsCheck, Length, SiteForm
from eventsite.core.time import to_local, utcnow

PASSWORD_MESSAGES = {
    rules.PasswordProblem.TOO_SHORT: _l(
        "The password needs at least %(n)s characters.", n=rules.PASSWORD_MIN_LENGTH
    ),
    rules.PasswordProblem.TOO_LONG: _l(
        "The password may have at most %(n)s characters.", n=rules.PASSWORD_MAX_LENGTH
    ),
    rules.PasswordProblem.ONE_CHARACTER: _l(
        "The password cannot be one character repeated. Please choose a harder one."
    ),
    rules.PasswordProblem.SAME_AS_MOBILE: _l("The password cannot be your mobile number."),
}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def current_year() -> int:
    """The calendar year now, in the site's time zone."""
    return to_local(utcnow()).year


class MainlandMobile:
    """Accepts a mainland mobile number in any usual spelling and keeps its 11 digits."""

    def __call__(self, form, field):
        number = rules.normalize_mobile(field.data)
        if number is None:
            raise ValidationError(
                _l("Please enter an 11-digit mainland mobile number, e.g. 13812345678.")
            )
        field.data = number


class StrongPassword:
    """Applies the password rule; `mobile_field` names the form field holding the login."""

    def __init__(self, mobile_field: str | None = None):
        self.mobile_field = mobile_field

    def __call__(self, form, field):
        mobile = getattr(form, "account_mobile", None)
        if self.mobile_field:
            mobile = getattr(form, self.mobile_field).data
        problem = rules.password_problem(field.data or "", mobile)
        if problem is not None:
            raise ValidationError(PASSWORD_MESSAGES[problem])


class PlausibleBirthYear(BoundsCheck):
    """Birth years from 1940 to the year a member turned 16."""

    def __call__(self, form, field):
        if field.data is None:  # not a number: the field already says so
            return
        year_now = current_year()
        if not rules.birth_year_plausible(field.data, year_now):
            earliest, latest = rules.birth_year_range(year_now)
            raise ValidationError(
                _l(
                    "Please enter a birth year between %(earliest)s and %(latest)s.",
                    earliest=earliest,
                    latest=latest,
                )
            )


def _name_field():
    return StringField(
        _l("Name"),
        filters=[strip],
        validators=[DataRequired(_l("Please enter your name.")), Length(max=50)],
        render_kw={"autocomplete": "name", "maxlength": 50},
    )


def _email_field():
    return EmailField(
        _l("Email (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Please enter a valid email address, or leave it empty.")),
        ],
        description=_l("Notices are also sent here when you give an address."),
        render_kw={"autocomplete": "email", "maxlength": 254},
    )


def _work_unit_field():
    return StringField(
        _l("Work unit"),
        filters=[strip],
        validators=[DataRequired(_l("Please enter your work unit.")), Length(max=100)],
        render_kw={"autocomplete": "organization", "maxlength": 100},
    )


def _gender_field():
    return RadioField(
        _l("Gender"),
        # A callable, so the titles are translated per request rather than once at import.
        choices=lambda: [(gender.value, gender.title) for gender in Gender],
        validators=[InputRequired(_l("Please choose your gender."))],
        invalid_choice_message=_l("Please choose your gender."),
    )


def _birth_year_field():
    return IntegerField(
        _l("Birth year"),
        validators=[InputRequired(_l("Please enter your birth year.")), PlausibleBirthYear()],
        invalid_value_message=_l("Please enter the year as four digits, e.g. 1995."),
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year", "placeholder": "1995"},
    )


class UserSearchForm(SiteForm):
    """The admin's search for members, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search by name, mobile number or work unit"),
        validators=[Length(max=100)],
        render_kw={"type": "search", "maxlength": 100},
    )


class SignupForm(SiteForm):
    name = _name_field()
    mobile = TelField(
        _l("Mobile number"),
        filters=[strip],
        validators=[DataRequired(_l("Please enter your mobile number.")), MainlandMobile()],
        description=_l("You log in with this number."),
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20},
    )
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Please choose a password.")), StrongPassword("mobile")],
        description=_l("At least 8 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            InputRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    work_unit = _work_unit_field()
    gender = _gender_field()
    birth_year = _birth_year_field()
    claim_code = StringField(
        _l("Claim code (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=20)],
        description=_l(
            "Only if your organizer imported you for an event: the 8-character code they gave "
            "you through your team leader. It lets you take over the account made for you."
        ),
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 20,
        },
    )
    privacy = BooleanField(
        _l("I have read and agree to the Privacy Notice"),
        validators=[DataRequired(_l("Please read the privacy notice and agree to it."))],
    )


class LoginForm(SiteForm):
    mobile = TelField(
        _l("Mobile number"),
        filters=[strip],
        validators=[DataRequired(_l("Please enter your mobile number."))],
        render_kw={"autocomplete": "username", "inputmode": "tel", "maxlength": 20},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Please enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class NoticeAnswerForm(SiteForm):
    """Accept or decline the privacy notice: the button pressed is the answer."""


class ProfileForm(SiteForm):
    name = _name_field()
    email = _email_field()
    work_unit = _work_unit_field()
    gender = _gender_field()
    birth_year = _birth_year_field()


class PasswordChangeForm(SiteForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Please enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(_l("Please choose a new password.")), StrongPassword()],
        description=_l("At least 8 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(_l("Please repeat the new password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, mobile: str, **kwargs):
        super().__init__(*args, **kwargs)
        #: The member's login, which the new password may not equal.
        self.account_mobile = mobile
