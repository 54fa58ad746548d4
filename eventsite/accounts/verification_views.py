"""The pages of SMS codes: sign-up, signing in by code (验证码登录), a forgotten password, a new
mobile number, and the claim code's fallback sign-up.

Each is two steps: the number (a code is asked for; asking again there is the resend), then the
code with what it opens. The number travels from the first step to the second in the session.
Every answer is the same for a number with an account and one without (`accounts.verification`).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user

from eventsite.accounts import attempts, notice, rules, service, verification
from eventsite.accounts.forms import (
    ClaimSignupForm,
    CodeLoginForm,
    CodeRequestForm,
    MobileChangeForm,
    NewMobileForm,
    PasswordResetForm,
    SignupForm,
)
from eventsite.accounts.verification import CodeRefused, NumberRegistered, VerificationError
from eventsite.accounts.verification_rules import CODE_DIGITS, CODE_LIFETIME, Purpose
from eventsite.accounts.views import _next_or_events, _put_error, _sign_in, bp
from eventsite.core.permissions import login_required, public
from eventsite.extensions import db

#: The session key holding, per purpose, the number the last code was asked for.
NUMBERS_KEY = "code_numbers"
MINUTES = int(CODE_LIFETIME.total_seconds() // 60)

#: What the first step says once it has done its work: the same whether or not an account has
#: the number.
CODE_SENT = {
    Purpose.SIGN_UP: _l(
        "A %(digits)s-digit code was sent to %(mobile)s. It is valid for %(minutes)s minutes."
    ),
    Purpose.SIGN_IN: _l(
        "If an account uses %(mobile)s, a %(digits)s-digit code was sent to it. It is valid for "
        "%(minutes)s minutes."
    ),
    Purpose.RESET_PASSWORD: _l(
        "If an account uses %(mobile)s, a %(digits)s-digit code was sent to it. It is valid for "
        "%(minutes)s minutes."
    ),
    Purpose.CHANGE_MOBILE: _l(
        "A %(digits)s-digit code was sent to %(mobile)s. It is valid for %(minutes)s minutes."
    ),
}

#: The first step's page for each purpose, and where the second step is.
FIRST_STEP = {
    Purpose.SIGN_UP: "accounts.signup",
    Purpose.SIGN_IN: "accounts.login_by_code",
    Purpose.RESET_PASSWORD: "accounts.forgot_password",
    Purpose.CHANGE_MOBILE: "accounts.change_mobile",
}
SECOND_STEP = {
    Purpose.SIGN_UP: "accounts.signup_details",
    Purpose.SIGN_IN: "accounts.login_by_code_verify",
    Purpose.RESET_PASSWORD: "accounts.reset_password",
    Purpose.CHANGE_MOBILE: "accounts.change_mobile_verify",
}


def _number_for(purpose: Purpose) -> str | None:
    """The number this browser asked a `purpose` code for, if any."""
    numbers = session.get(NUMBERS_KEY)
    raw = numbers.get(str(purpose)) if isinstance(numbers, dict) else None
    return rules.normalize_mobile(raw) if isinstance(raw, str) else None


def _remember_number(purpose: Purpose, number: str) -> None:
    numbers = session.get(NUMBERS_KEY)
    numbers = dict(numbers) if isinstance(numbers, dict) else {}
    numbers[str(purpose)] = number
    session[NUMBERS_KEY] = numbers


def _forget_number(purpose: Purpose) -> None:
    numbers = session.get(NUMBERS_KEY)
    if isinstance(numbers, dict):
        session[NUMBERS_KEY] = {k: v for k, v in numbers.items() if k != str(purpose)}


def _next_arg() -> dict:
    """The page to return to after a login, carried from step to step."""
    target = request.args.get("next")
    return {"next": target} if target else {}


def _ask_for_code(purpose: Purpose, form, template: str, *, requester=None):
    """The first step: ask for a code to the form's number, then go on to the second step."""
    status, headers = (400 if request.method == "POST" else 200), {}
    if form.validate_on_submit():
        try:
            verification.request_code(
                purpose,
                form.mobile.data,
                address=get_remote_address(),
                requester=requester,
                locale=str(get_locale()),
            )
        except VerificationError as error:
            db.session.rollback()
            _put_error(form, error)
            if error.retry_after:
                status, headers = 429, {"Retry-After": str(error.retry_after)}
        else:
            db.session.commit()
            _remember_number(purpose, form.mobile.data)
            flash(
                str(CODE_SENT[purpose])
                % {"mobile": form.mobile.data, "digits": CODE_DIGITS, "minutes": MINUTES},
                "success",
            )
            return redirect(url_for(SECOND_STEP[purpose], **_next_arg()))
    return render_template(template, form=form), status, headers


def _code_page(purpose: Purpose, template: str, form, number: str, status: int, headers=None):
    """A second step's page: the number, the form, and the resend button with its wait."""
    return (
        render_template(
            template,
            form=form,
            number=number,
            resend_url=url_for(FIRST_STEP[purpose], **_next_arg()),
            resend_wait=verification.resend_wait_seconds(number),
        ),
        status,
        headers or {},
    )


def _refused(form, error: VerificationError) -> None:
    """Show a refusal; a code's refusal keeps the try it cost (commit), any other changes nothing."""
    if isinstance(error, CodeRefused):
        db.session.commit()
    else:
        db.session.rollback()
    _put_error(form, error)


# --- sign-up -------------------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup():
    """Sign-up's first step: the mobile number, which is sent a code."""
    if current_user.is_authenticated:
        return redirect(_next_or_events())
    return _ask_for_code(Purpose.SIGN_UP, CodeRequestForm(), "accounts/signup.html")


@bp.route("/signup/details", methods=["GET", "POST"])
@public
def signup_details():
    """Sign-up's second step: the code and the member's details; creates the account (or takes
    over the one an organizer's import made for the number) and logs the member in."""
    if current_user.is_authenticated:
        return redirect(_next_or_events())
    number = _number_for(Purpose.SIGN_UP)
    if number is None:
        return redirect(url_for("accounts.signup", **_next_arg()))
    form = SignupForm(mobile=number)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            user = verification.sign_up(
                mobile=number,
                code=form.code.data,
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                work_unit=form.work_unit.data,
                gender=form.gender.data,
                birth_year=form.birth_year.data,
            )
        except NumberRegistered as error:
            # Only the number's holder, who read the code, gets here.
            db.session.commit()
            _forget_number(Purpose.SIGN_UP)
            flash(error.message, "info")
            return redirect(url_for("accounts.login", **_next_arg()))
        except VerificationError as error:
            _refused(form, error)
        else:
            notice.accept(user)
            db.session.commit()
            _forget_number(Purpose.SIGN_UP)
            _sign_in(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            _tell_if_name_kept(user, form.name.data)
            return redirect(_next_or_events())
    return _code_page(Purpose.SIGN_UP, "accounts/signup_details.html", form, number, status)


def _tell_if_name_kept(user, typed_name: str) -> None:
    if not rules.same_name(user.name, typed_name):
        flash(
            _(
                "Your name stays as your organizer entered it, %(name)s, so their lists still "
                "find you. You can change it under My account.",
                name=user.name,
            ),
            "info",
        )


@bp.route("/signup/claim", methods=["GET", "POST"])
@public
def signup_claim():
    """Take over the account an organizer's import made, with the printed claim code: for
    members without a phone to receive a code."""
    if current_user.is_authenticated:
        return redirect(_next_or_events())
    form = ClaimSignupForm()
    if form.validate_on_submit():
        try:
            user = service.sign_up(
                name=form.name.data,
                mobile=form.mobile.data,
                email=form.email.data,
                password=form.password.data,
                work_unit=form.work_unit.data,
                gender=form.gender.data,
                birth_year=form.birth_year.data,
                claim_code=form.claim_code.data,
            )
        except service.AccountError as error:
            db.session.rollback()
            _put_error(form, error)
        else:
            notice.accept(user)
            db.session.commit()
            _sign_in(user)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.name), "success")
            _tell_if_name_kept(user, form.name.data)
            return redirect(_next_or_events())
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/signup_claim.html", form=form), status


# --- signing in by code --------------------------------------------------------------------


@bp.route("/sms-login", methods=["GET", "POST"])
@public
def login_by_code():
    """Signing in by code (验证码登录), first step: the number."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_or_events())
    return _ask_for_code(Purpose.SIGN_IN, CodeRequestForm(), "accounts/login_code.html")


@bp.route("/sms-login/verify", methods=["GET", "POST"])
@public
def login_by_code_verify():
    """Signing in by code, second step: a right code logs in as the password does; wrong codes
    count as failed logins (`attempts`)."""
    number = _number_for(Purpose.SIGN_IN)
    if number is None:
        return redirect(url_for("accounts.login_by_code", **_next_arg()))
    form = CodeLoginForm()
    status, headers = (400 if request.method == "POST" else 200), {}
    if form.validate_on_submit():
        try:
            outcome = verification.sign_in(get_remote_address(), number, form.code.data)
        except VerificationError as error:
            _refused(form, error)
        else:
            if isinstance(outcome, attempts.Pause):
                form.form_errors.append(outcome.message)
                status, headers = 429, {"Retry-After": str(outcome.retry_after)}
            else:
                _forget_number(Purpose.SIGN_IN)
                _sign_in(outcome, remember=form.remember.data)
                return redirect(_next_or_events())
    return _code_page(
        Purpose.SIGN_IN, "accounts/login_code_verify.html", form, number, status, headers
    )


# --- a forgotten password ------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """A forgotten password (忘记密码), first step: the number."""
    return _ask_for_code(Purpose.RESET_PASSWORD, CodeRequestForm(), "accounts/forgot_password.html")


@bp.route("/password/reset", methods=["GET", "POST"])
@public
def reset_password():
    """A forgotten password, second step: the code and a new password; every device signed in
    to the account is signed out, and the member logs in again with the new password."""
    number = _number_for(Purpose.RESET_PASSWORD)
    if number is None:
        return redirect(url_for("accounts.forgot_password"))
    form = PasswordResetForm(mobile=number)
    status, headers = (400 if request.method == "POST" else 200), {}
    if form.validate_on_submit():
        try:
            outcome = verification.reset_password(
                get_remote_address(), number, form.code.data, form.password.data
            )
        except VerificationError as error:
            _refused(form, error)
        else:
            if isinstance(outcome, attempts.Pause):
                form.form_errors.append(outcome.message)
                status, headers = 429, {"Retry-After": str(outcome.retry_after)}
            else:
                db.session.commit()
                _forget_number(Purpose.RESET_PASSWORD)
                flash(
                    _("Your password is changed. Please log in with the new password."),
                    "success",
                )
                return redirect(url_for("accounts.login"))
    return _code_page(
        Purpose.RESET_PASSWORD, "accounts/reset_password.html", form, number, status, headers
    )


# --- a new mobile number -------------------------------------------------------------------


@bp.route("/account/mobile", methods=["GET", "POST"])
@login_required
def change_mobile():
    """A new mobile number, first step: the new number, which is sent a code."""
    return _ask_for_code(
        Purpose.CHANGE_MOBILE,
        NewMobileForm(),
        "accounts/change_mobile.html",
        requester=current_user,
    )


@bp.route("/account/mobile/verify", methods=["GET", "POST"])
@login_required
def change_mobile_verify():
    """A new mobile number, second step: its code moves the login to it; the old number is told."""
    number = _number_for(Purpose.CHANGE_MOBILE)
    if number is None:
        return redirect(url_for("accounts.change_mobile"))
    form = MobileChangeForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            verification.change_mobile(current_user, number, form.code.data)
        except VerificationError as error:
            _refused(form, error)
        else:
            db.session.commit()
            _forget_number(Purpose.CHANGE_MOBILE)
            flash(
                _(
                    "Your mobile number is now %(mobile)s; log in with it from now on.",
                    mobile=number,
                ),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return _code_page(
        Purpose.CHANGE_MOBILE, "accounts/change_mobile_verify.html", form, number, status
    )
