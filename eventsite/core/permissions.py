"""Permission decorators. Every view declares one; `tests/test_permissions.py` walks the URL map
and checks that each endpoint has a declared permission and what every role gets from it.

    @bp.get("/")
    @public
    def index(): ...

    @bp.route("/profile")
    @login_required
    def profile(): ...

    @bp.route("/admin/events")
    @role_required(Role.ORGANIZER)
    def manage(): ...            # lists only what the member's organizations hold

    @bp.route("/admin/outbox")
    @platform_admin_required
    def admin_outbox(): ...

Event-scoped permissions live in `eventsite.events.permissions`.
"""

from __future__ import annotations

import hmac
from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user
from flask_login import login_required as _flask_login_required


def declare(view, permission: str):
    view.permission = permission
    return view


def public(view):
    """Anyone, signed in or not."""
    return declare(view, "public")


def login_required(view):
    """Any signed-in member."""
    return declare(_flask_login_required(view), "login")


def role_required(*roles):
    """A signed-in member holding at least one of `roles` on some organization (an admin of
    any organization passes every role check). The view itself keeps to the organizations the
    member holds the role on (`organizations.permissions.managed_organization_ids`)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from eventsite.extensions import login_manager

                return login_manager.unauthorized()
            if not (current_user.has_role("admin") or any(current_user.has_role(r) for r in roles)):
                abort(403)
            return view(*args, **kwargs)

        return declare(wrapped, "role:" + ",".join(str(r) for r in roles))

    return decorator


def platform_admin_required(view):
    """A platform admin (an admin of the root organization): pages about the whole site, such
    as the outboxes, every account and the site's health, which no organization's admin gets."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from eventsite.extensions import login_manager

            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return declare(wrapped, "platform:admin")


def admin_or_bearer_token(setting: str):
    """A signed-in platform admin, or a request carrying `Authorization: Bearer <token>` where the token
    is the app's `setting` (unset: no token is accepted). A token that does not match is refused
    (403) without looking at the session; without one, the view is an admin page like any other.
    Declared as "platform:admin": the token is not a role, and to the walk the route is the
    platform admins'.
    """

    def decorator(view):
        admin_view = platform_admin_required(view)

        @wraps(view)
        def wrapped(*args, **kwargs):
            scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer":
                expected = current_app.config.get(setting) or ""
                if not expected or not hmac.compare_digest(
                    presented.strip().encode(), expected.encode()
                ):
                    abort(403)
                return view(*args, **kwargs)
            return admin_view(*args, **kwargs)

        return declare(wrapped, admin_view.permission)

    return decorator
