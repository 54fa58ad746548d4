"""Pages every feature shares: the inbox, the language switch, a health check, the icon and
where to report a security problem."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from eventsite.core.db import write_intent
from eventsite.core.models import Notification
from eventsite.core.pagination import page_arg
from eventsite.core.permissions import login_required, public
from eventsite.core.time import utcnow
from eventsite.extensions import db

bp = Blueprint("core", __name__)

#: Inbox messages per page.
NOTIFICATIONS_PER_PAGE = 20


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site ("/events/3"), else None (no open redirects)."""
    if not target:
        return None
    if target.endswith("?"):  # request.full_path adds one even without a query string
        target = target[:-1]
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # Browsers drop tabs and newlines inside URLs, which would turn "/\t/evil" into "//evil".
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return _openable(target, parts.path)


def _openable(target: str, path: str) -> str | None:
    """A page a browser can open: a POST-only address ("/events/3/register", kept as `next` when
    a form was sent after the session ended) falls back to the page above it ("/events/3")."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except MethodNotAllowed:
        parent = path.rsplit("/", 1)[0]
        try:
            adapter.match(parent, method="GET")
        except RequestRedirect:
            return parent
        except HTTPException:
            return None
        return parent
    except HTTPException:
        pass  # a missing page is the target's own 404, and a redirect is the router's
    return target


@bp.get("/inbox")
@login_required
def inbox():
    """The member's notifications, newest first; opening the page marks nothing read."""
    page = page_arg()
    notifications = db.paginate(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page,
        per_page=NOTIFICATIONS_PER_PAGE,
        error_out=False,
    )
    return render_template("core/inbox.html", notifications=notifications)


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def read_notification(notification_id: int):
    """Mark one message read and open what it points to."""
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == current_user.id
        )
    )
    if note is None:
        abort(404)
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return redirect(safe_next(note.link) or url_for("core.inbox"))


@bp.post("/inbox/read-all")
@login_required
def read_all():
    """Mark every unread message of the member read."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    if result.rowcount:
        flash(_("All messages are marked as read."), "success")
    return redirect(url_for("core.inbox"))


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    """Switch the interface language for this browser and, when logged in, for the account."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    # This GET writes the member's choice; on SQLite take the write lock from the start.
    write_intent.set(True)
    session["locale"] = code
    if current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.args.get("next")) or url_for("events.index"))


@bp.get("/favicon.ico")
@public
def favicon():
    """The site's icon where browsers and tools ask for it without reading the page."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )


@bp.get("/.well-known/security.txt")
@public
def security_txt():
    """Where to report a security problem (RFC 9116), when the deployment names a contact."""
    contact = current_app.config.get("SECURITY_CONTACT")
    if not contact:
        abort(404)
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    expires = (utcnow() + timedelta(days=365)).replace(microsecond=0)
    lines = [
        f"Contact: {contact}",
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: zh, en",
        f"Canonical: {base}/.well-known/security.txt",
    ]
    return "\n".join(lines) + "\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database check for the load balancer: one cheap query, no session, no
    personal data; 200 {"status": "ok", "database": "ok"} or 503 when the database fails."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()  # end the read at once: a probe holds no transaction open
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        response = jsonify(status="failing", database="failing")
        response.status_code = 503
    else:
        response = jsonify(status="ok", database="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
