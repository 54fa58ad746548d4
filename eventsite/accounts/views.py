"""Sign-up, sign-in, profile, password, and the admin's role page."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from eventsite.accounts import attempts, devices, notice, rules, service
from eventsite.accounts.forms import (
    LargeTextForm,
    LoginForm,
    NoticeAnswerForm,
    PasswordChangeForm,
    ProfileForm,
    SmsChoicesForm,
    UserSearchForm,
)
from eventsite.accounts.models import GRANTABLE_ROLES, Role, User
from eventsite.core.db import write_intent
from eventsite.core.models import AuditEntry, OutboundEmail
from eventsite.core.pagination import page_arg
from eventsite.core.permissions import login_required, platform_admin_required, public
from eventsite.core.time import utcnow
from eventsite.core.views import safe_next
from eventsite.extensions import db, login_manager
from eventsite.outbox.service import held_since

log = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__)

#: Rows per page on the outbox and audit pages.
ADMIN_PAGE_SIZE = 50

LOGIN_FAILED = _l("The mobile number or password is incorrect.")

#: Titles for the platform-level audit actions written by this package.
AUDIT_TITLES = {
    "role.grant": _l("Role granted"),
    "role.revoke": _l("Role revoked"),
    "privacy.accept": _l("Privacy notice accepted"),
    "privacy.decline": _l("Privacy notice declined"),
    "account.delete": _l("Account deleted"),
    "outbox.hold": _l("Outgoing messages held"),
    "outbox.release": _l("Outgoing messages released"),
    "organization.create": _l("Organization added"),
    "organization.update": _l("Organization changed"),
    "organization.move": _l("Organization moved"),
}


#: What a browser whose session ended elsewhere is told, on the page it lands on (the login
#: page, for a page that needs one).
SESSION_END_MESSAGES = {
    rules.SessionEnd.ENDED: _l(
        "You were signed out on this device from another one: “Sign out everywhere else” was "
        "chosen there, or the password was changed. Please log in again."
    ),
    rules.SessionEnd.IDLE: _l(
        "You were signed out because this device was not used for %(days)s days. Please log in "
        "again."
    ),
    rules.SessionEnd.DEACTIVATED: _l(
        "You were signed out: this account is no longer active. If you think this is a "
        "mistake, please ask your union office."
    ),
}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user, end = devices.session_state(session_id, utcnow())
    if end is not None:
        _forget_ended_session(end)
    if user is not None:
        # Written after the request's own work, and only every few minutes (see note_seen).
        g.device_seen_due = devices.seen_due(user, utcnow())
    return user


def _forget_ended_session(end: rules.SessionEnd) -> None:
    """Tell the member once why this browser is signed out, and drop its dead session id and
    remember-me cookie, so the next request is simply signed out."""
    session.pop("_user_id", None)
    session.pop("_fresh", None)
    session["_remember"] = "clear"  # Flask-Login deletes the remember-me cookie on the way out
    if not g.get("session_end_told"):
        g.session_end_told = True
        days = current_app.config["SIGN_IN_IDLE_DAYS"]
        flash(str(SESSION_END_MESSAGES[end]) % {"days": days}, "info")


@bp.after_app_request
def note_device_seen(response):
    """Move the device's last-seen time on in a transaction of its own, when it is due."""
    device_id = g.pop("device_seen_due", None)
    if device_id is None:
        return response
    # The view has committed what it meant to; whatever it left uncommitted is not ours to keep.
    db.session.rollback()
    write_intent.set(True)  # SQLite: take the write lock at BEGIN, not midway
    try:
        devices.note_seen(device_id, utcnow())
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()  # a busy database: the page still stands; try next time
        log.warning("could not note a signed-in device as seen", exc_info=True)
    return response


def _sign_in(user: User, *, remember: bool = False) -> None:
    """Open a signed-in device for `user` and log this browser in on it, with a new CSRF token."""
    devices.sign_in(user, user_agent=request.user_agent.string)
    db.session.commit()
    login_user(user, remember=remember)
    # A token planted before the login (or seen by someone else) does not outlive it.
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)


def _next_or_events() -> str:
    return safe_next(request.args.get("next")) or url_for("events.index")


def _put_error(form, error: service.AccountError) -> None:
    """Show a refusal beside its field, or at the top of the form when the form has no such field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Log in with mobile number and password; a failure never says which one was wrong, and
    failures are counted per address, per number and per both (`attempts`)."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_or_events())
    form = LoginForm()
    status = 400 if request.method == "POST" else 200
    headers = {}
    if form.validate_on_submit():
        outcome = attempts.log_in(get_remote_address(), form.mobile.data, form.password.data)
        if isinstance(outcome, User):
            _sign_in(outcome, remember=form.remember.data)
            return redirect(_next_or_events())
        if isinstance(outcome, attempts.Pause):
            form.form_errors.append(outcome.message)
            status, headers = 429, {"Retry-After": str(outcome.retry_after)}
        else:
            db.session.commit()  # the owner's notice, when this failure used up the allowance
            form.form_errors.append(LOGIN_FAILED)
    return render_template("accounts/login.html", form=form), status, headers


@bp.post("/logout")
@public
def logout():
    """Log out (POST only, so a link elsewhere cannot log a member out); this device's session
    ends on the server, so no saved copy of its cookies signs in again."""
    if current_user.is_authenticated:
        devices.sign_out(current_user)
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "success")
    return redirect(url_for("events.index"))


@bp.get("/privacy")
@public
def privacy_notice():
    """The privacy notice; a signed-in member who has not accepted this version answers it here."""
    answering = current_user.is_authenticated and not notice.has_accepted(current_user)
    return render_template(
        "accounts/privacy_notice.html",
        version=notice.PRIVACY_NOTICE_VERSION,
        controller=notice.controller(),
        contact=current_app.config["PRIVACY_CONTACT"],
        retention_days=current_app.config["MIXER_RETENTION_DAYS"],
        idle_days=current_app.config["SIGN_IN_IDLE_DAYS"],
        answer_days=current_app.config["SENSITIVE_ANSWER_RETENTION_DAYS"],
        answering=answering,
        changed=answering and current_user.privacy_version is not None,
        form=NoticeAnswerForm(),
        next=safe_next(request.args.get("next")),
    )


@bp.post("/privacy/accept")
@login_required
def accept_privacy_notice():
    """Accept the notice now in force, then go on where the member was going."""
    if not NoticeAnswerForm().validate_on_submit():
        abort(400)
    if not notice.has_accepted(current_user):
        notice.accept(current_user)
        db.session.commit()
        flash(_("Thank you. You have accepted the privacy notice."), "success")
    return redirect(_next_or_events())


@bp.post("/privacy/decline")
@login_required
def decline_privacy_notice():
    """Decline the notice: the member is signed out on this device, and told what that means."""
    if not NoticeAnswerForm().validate_on_submit():
        abort(400)
    notice.decline(current_user)
    devices.sign_out(current_user)
    db.session.commit()
    logout_user()
    flash(
        _(
            "You did not accept the privacy notice, so you are signed out: the site cannot be "
            "used without it. Your account and registrations stay as they were. To use the site "
            "again, log in and accept the notice; to have your data removed, log in and choose "
            "“Delete my account” on the notice page."
        ),
        "info",
    )
    return redirect(url_for("events.index"))


@bp.get("/me")
@login_required
def me():
    """The member's hub (我的): their pages, the language and large-text switches, logging out."""
    return render_template("accounts/me.html", large_text_form=LargeTextForm(formdata=None))


@bp.post("/me/large-text")
@login_required
def large_text():
    """Turn large-text mode on or off for the member, then go back to the page they were on."""
    form = LargeTextForm()
    if not form.validate():
        return render_template("accounts/me.html", large_text_form=form), 400
    service.set_large_text(current_user, form.wanted)
    db.session.commit()
    if form.wanted:
        flash(_("Large text is on."), "success")
    else:
        flash(_("Large text is off."), "success")
    return redirect(safe_next(request.args.get("next")) or url_for("accounts.me"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    """The member's own details and signed-in devices; the mobile number is the login and is
    shown read-only."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        service.update_profile(
            current_user,
            name=form.name.data,
            email=form.email.data,
            work_unit=form.work_unit.data,
            gender=form.gender.data,
            birth_year=form.birth_year.data,
        )
        db.session.commit()
        flash(_("Your details are saved."), "success")
        return redirect(url_for("accounts.profile"))
    status = 400 if request.method == "POST" else 200
    return _render_profile(form=form, status=status)


def _render_profile(form=None, sms_form=None, status=200):
    return render_template(
        "accounts/profile.html",
        form=form or ProfileForm(obj=current_user, formdata=None),
        sms_form=sms_form or SmsChoicesForm.for_user(current_user, formdata=None),
        devices=devices.devices_of(current_user),
        current_device=current_user.device,
    ), status


@bp.post("/account/sms")
@login_required
def sms_choices():
    """Save which kinds of notice the member gets by SMS as well as in the inbox."""
    form = SmsChoicesForm()
    if not form.validate():
        return _render_profile(sms_form=form, status=400)
    service.set_sms_choices(current_user, form.choices())
    db.session.commit()
    flash(_("Your SMS choices are saved."), "success")
    return redirect(url_for("accounts.profile", _anchor="sms"))


@bp.post("/account/devices/sign-out-others")
@login_required
def sign_out_others():
    """Sign out every other device of the member: their sessions and remember-me cookies end."""
    ended = devices.sign_out_others(current_user)
    db.session.commit()
    if ended:
        flash(_("You are signed out on every other device."), "success")
    else:
        flash(_("You were not signed in on any other device."), "info")
    return redirect(url_for("accounts.profile"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Set a new password after giving the current one; every other device is signed out."""
    form = PasswordChangeForm(mobile=current_user.mobile)
    if form.validate_on_submit():
        try:
            service.change_password(
                current_user, current=form.current_password.data, new=form.password.data
            )
        except service.AccountError as error:
            _put_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password is changed. Every other device is signed out."), "success")
            return redirect(url_for("accounts.profile"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/change_password.html", form=form), status


def _users_page(status: int = 200):
    search = UserSearchForm(formdata=request.values, meta={"csrf": False})
    if search.q.data and not search.validate():
        status = 400  # the message sits beside the search box; everyone is listed meanwhile
        query = ""
    else:
        query = (search.q.data or "").strip()
    page = page_arg(request.values)
    users = service.search_users(query, page)
    return render_template(
        "accounts/admin_users.html",
        users=users,
        query=query,
        search=search,
        grantable_roles=GRANTABLE_ROLES,
    ), status


@bp.get("/admin/users")
@platform_admin_required
def admin_users():
    """Find members by name, mobile or work unit and see their roles."""
    return _users_page()


def _change_role(user_id: int, grant: bool):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    role = request.form.get("role", "")
    try:
        if grant:
            changed = service.grant_role(user, role, actor=current_user)
        else:
            changed = service.revoke_role(user, role, actor=current_user)
    except service.AccountError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _users_page(status=400)
    db.session.commit()
    title = Role(role).title
    if grant:
        message = _("%(name)s is now %(role)s.", name=user.name, role=title)
        unchanged = _("%(name)s already holds the role %(role)s.", name=user.name, role=title)
    else:
        message = _("%(name)s is no longer %(role)s.", name=user.name, role=title)
        unchanged = _("%(name)s does not hold the role %(role)s.", name=user.name, role=title)
    flash(message if changed else unchanged, "success" if changed else "info")
    return redirect(
        url_for(
            "accounts.admin_users",
            q=request.form.get("q") or None,
            page=page_arg(request.form) if request.form.get("page") else None,
        )
    )


@bp.post("/admin/users/<int:user_id>/grant")
@platform_admin_required
def grant_role(user_id: int):
    """Give a member the organizer, judge or admin role."""
    return _change_role(user_id, grant=True)


@bp.post("/admin/users/<int:user_id>/revoke")
@platform_admin_required
def revoke_role(user_id: int):
    """Take the organizer, judge or admin role away from a member."""
    return _change_role(user_id, grant=False)


@bp.get("/admin/outbox")
@platform_admin_required
def admin_outbox():
    """The mail outbox, newest first: what was sent, and what waits when no SMTP is set up."""
    mails = db.paginate(
        sa.select(OutboundEmail).order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc()),
        page=page_arg(),
        per_page=ADMIN_PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "accounts/admin_outbox.html",
        mails=mails,
        smtp_configured=bool(current_app.config.get("MAIL_SERVER")),
        outbox_held_since=held_since(),
    )


@bp.get("/admin/audit")
@platform_admin_required
def admin_audit():
    """Platform-level audit entries (role changes and the like), newest first."""
    entries = db.paginate(
        sa.select(AuditEntry)
        .where(AuditEntry.event_id.is_(None))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
        page=page_arg(),
        per_page=ADMIN_PAGE_SIZE,
        error_out=False,
    )
    return render_template("accounts/admin_audit.html", entries=entries, titles=AUDIT_TITLES)


# The pages of SMS codes (sign-up, signing in by code, a forgotten password, a new number) use
# this blueprint and the helpers above.
from eventsite.accounts import verification_views  # noqa: E402, F401
