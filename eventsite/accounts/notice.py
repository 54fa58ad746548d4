"""The privacy notice (个人信息保护声明, PIPL): its version, a member's acceptance, and the gate
that shows a changed notice at the next request before anything else.

Change `PRIVACY_NOTICE_VERSION` whenever the notice's text (templates/accounts/privacy_notice.html
and its translations) changes: every member who accepted an older version is shown the notice
again, with an accept button, at their next request. These functions flush; the caller commits.
"""

from __future__ import annotations

from flask import current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.accounts import rules
from eventsite.accounts.models import User
from eventsite.core import audit
from eventsite.core.time import utcnow
from eventsite.extensions import db

#: The date the notice's text last changed; a new date asks every member to accept it again.
PRIVACY_NOTICE_VERSION = "2026-12-07"

#: What a member who has not accepted the current notice may still open: the notice and its
#: answers, signing out, deleting the account instead, the language switch, static files and
#: the health check.
EXEMPT_ENDPOINTS = frozenset(
    {
        "static",
        "accounts.privacy_notice",
        "accounts.accept_privacy_notice",
        "accounts.decline_privacy_notice",
        "accounts.logout",
        "privacy.delete_account",
        "core.set_language",
        "core.favicon",
        "core.security_txt",
        "core.healthz",
    }
)


def has_accepted(user: User) -> bool:
    """Whether `user` accepted the notice now in force."""
    return rules.notice_accepted(user.privacy_version, PRIVACY_NOTICE_VERSION)


def accept(user: User) -> None:
    """Record that `user` read and accepted the current notice, now (in the audit log too)."""
    user.privacy_version = PRIVACY_NOTICE_VERSION
    user.privacy_accepted_at = utcnow()
    audit.record(
        "privacy.accept", actor=user, detail=f"{PRIVACY_NOTICE_VERSION}: {user.name} (#{user.id})"
    )
    db.session.flush()


def decline(user: User) -> None:
    """Record that `user` declined the current notice (they are signed out by the caller)."""
    audit.record(
        "privacy.decline", actor=user, detail=f"{PRIVACY_NOTICE_VERSION}: {user.name} (#{user.id})"
    )
    db.session.flush()


def _wants_json() -> bool:
    """The scripts' requests: autosave, live counts, marking taps, standings (see static/js)."""
    return (
        request.accept_mimetypes.best == "application/json"
        or request.headers.get("X-Autosave") == "1"
        or request.path.endswith(".json")
    )


def gate():
    """Before every request (registered after the read-only marker): a signed-in member who has
    not accepted the notice now in force meets the notice first."""
    if request.endpoint in EXEMPT_ENDPOINTS or not current_user.is_authenticated:
        return None
    answer = rules.notice_gate(
        accepted=has_accepted(current_user),
        endpoint=request.endpoint,
        exempt=EXEMPT_ENDPOINTS,
        wants_json=_wants_json(),
    )
    if answer is rules.NoticeGate.PASS:
        return None
    notice_url = url_for("accounts.privacy_notice")
    if answer is rules.NoticeGate.JSON:
        message = _("Please read and accept the privacy notice first.")
        return jsonify(ok=False, error=message, message=message, notice=notice_url), 403
    back = request.full_path.rstrip("?") if request.method == "GET" else request.referrer
    return redirect(url_for("accounts.privacy_notice", next=_site_path(back)), 303)


def _site_path(url: str | None) -> str | None:
    """The path and query of `url` when it is on this site (safe_next checks it again later)."""
    if not url:
        return None
    root = request.host_url
    if url.startswith(root):
        url = "/" + url[len(root) :]
    return url if url.startswith("/") else None


def controller() -> str:
    """Who processes members' personal information: the union running this site, by the name
    PRIVACY_CONTROLLER gives, else described."""
    return current_app.config["PRIVACY_CONTROLLER"] or _(
        "the trade union that holds the events on this site"
    )
