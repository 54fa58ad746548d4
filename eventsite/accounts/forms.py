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

from eventsite.accounts import rules, verification_rules
from eventsite.accounts.models import Gender
from eventsite.accounts.verification_rules import CODE_DIGITS
from eventsite.core.forms import BoundsCheck, Length, SiteForm
from eventsite.core.time import to_local, utcnow
from eventsite.sms.rules import ALWAYS_SENT, SmsKind, member_wants

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


def _mobile_field(label=None, description=None):
    return TelField(
        label or _l("Mobile number"),
        filters=[strip],
        validators=[DataRequired(_l("Please enter your mobile number.")), MainlandMobile()],
        description=description,
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20},
    )


class SixDigitCode:
    """Accepts the six digits of a texted code (full-width digits and spaces allowed)."""

    def __call__(self, form, field):
        code = verification_rules.normalize_code(field.data)
        if code is None:
            raise ValidationError(
                _l("The code is %(n)s digits, as in the text message.", n=CODE_DIGITS)
            )
        field.data = code


def _code_field():
    return StringField(
        _l("Verification code"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter the code from the text message.")),
            Length(max=20),
            SixDigitCode(),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "maxlength": 20,
            "spellcheck": "false",
        },
    )


def _new_password_fields(label, repeat_label):
    password = PasswordField(
        label,
        validators=[InputRequired(_l("Please choose a password.")), StrongPassword()],
        description=_l("At least 8 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        repeat_label,
        validators=[
            InputRequired(_l("Please repeat the password.")),
            EqualTo("password", _l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class CodeRequestForm(SiteForm):
    """The first step of every code's page: the number the code goes to."""

    mobile = _mobile_field()


class NewMobileForm(SiteForm):
    """The first step of a new mobile number: the number the code goes to."""

    mobile = _mobile_field(
        _l("New mobile number"), _l("A code goes to this number; you log in with it afterwards.")
    )


def _privacy_field():
    return BooleanField(
        _l("I have read and agree to the Privacy Notice"),
        validators=[DataRequired(_l("Please read the privacy notice and agree to it."))],
    )


class _ForNumber:
    """A form of a code's second step: the number the code went to, which the new password may
    not equal, comes from the first step."""

    def __init__(self, *args, mobile: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_mobile = mobile


class SignupForm(_ForNumber, SiteForm):
    """Sign-up's second step: the code texted to the number, and the member's details."""

    code = _code_field()
    name = _name_field()
    email = _email_field()
    password, confirm = _new_password_fields(_l("Password"), _l("Repeat the password"))
    work_unit = _work_unit_field()
    gender = _gender_field()
    birth_year = _birth_year_field()
    privacy = _privacy_field()


class ClaimSignupForm(SiteForm):
    """Taking over an imported account with the printed claim code, for members without a phone."""

    name = _name_field()
    mobile = _mobile_field(
        description=_l("The number your organizer imported; you log in with it.")
    )
    claim_code = StringField(
        _l("Claim code"),
        filters=[strip],
        validators=[DataRequired(_l("Please enter the claim code.")), Length(max=20)],
        description=_l(
            "The 8-character code your organizer gave you through your team leader. It lets "
            "you take over the account made for you."
        ),
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 20,
        },
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
    privacy = _privacy_field()


class CodeLoginForm(SiteForm):
    """Signing in by code's second step."""

    code = _code_field()
    remember = BooleanField(_l("Keep me logged in on this device"))


class PasswordResetForm(_ForNumber, SiteForm):
    """A forgotten password's second step: the code and the new password."""

    code = _code_field()
    password, confirm = _new_password_fields(_l("New password"), _l("Repeat the new password"))


class MobileChangeForm(SiteForm):
    """A new mobile number's second step: the code texted to it."""

    code = _code_field()


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


class LargeTextForm(SiteForm):
    """Large-text mode on or off: the switch's button sends the state it turns to."""

    large_text = RadioField(
        _l("Large text"),
        choices=[("on", _l("On")), ("off", _l("Off"))],
        validators=[InputRequired(message=_l("Choose on or off."))],
    )

    @property
    def wanted(self) -> bool:
        return self.large_text.data == "on"


class EmailAddressForm(SiteForm):
    """An e-mail address alone, checked as the profile checks it (`users create-admin --email`)."""

    email = _email_field()


#: The kinds of notice a member chooses to get by SMS as well, as the profile names them; codes
#: (ALWAYS_SENT) always go and are not listed.
SMS_CHOICE_LABELS = {
    SmsKind.REGISTRATION_CONFIRMED: _l("My registration is confirmed"),
    SmsKind.WAITLIST_PROMOTED: _l(
        "A place from the waitlist is offered to me, to confirm by a deadline"
    ),
    SmsKind.EVENT_CHANGED: _l("An event I registered for moves to another time or venue"),
    SmsKind.EVENT_CANCELLED: _l("An event I registered for is cancelled"),
    SmsKind.EVENT_REMINDER: _l("A reminder the day before an event"),
    SmsKind.MIXER_RESULTS: _l("The results of a mixer's contact exchange are ready"),
    SmsKind.INTRODUCTION_REQUEST: _l("Someone at a mixer asks to be introduced to me"),
    SmsKind.ROSTER_MESSAGE: _l("The organizers of an event I registered for write to me"),
}
assert set(SMS_CHOICE_LABELS) == set(SmsKind) - ALWAYS_SENT


class SmsChoicesForm(SiteForm):
    """Which kinds of notice the member gets by SMS as well as in the inbox: one box per kind."""

    @classmethod
    def for_user(cls, user, **kwargs) -> SmsChoicesForm:
        """The form ticked as the member gets SMS now (their choices, else the defaults)."""
        data = {str(kind): member_wants(kind, user.sms_choices) for kind in SMS_CHOICE_LABELS}
        return cls(data=data, **kwargs)

    @property
    def kind_fields(self) -> list:
        return [self[str(kind)] for kind in SMS_CHOICE_LABELS]

    def choices(self) -> dict[str, bool]:
        """{kind: wanted} for every kind the member may choose."""
        return {str(kind): bool(self[str(kind)].data) for kind in SMS_CHOICE_LABELS}


for _kind, _label in SMS_CHOICE_LABELS.items():
    setattr(SmsChoicesForm, str(_kind), BooleanField(_label))


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
