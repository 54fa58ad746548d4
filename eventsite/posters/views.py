"""Covers served to pages, share cards and the share poster; the organizer's cover page."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.core.permissions import public
from eventsite.events.models import Event, EventKind
from eventsite.events.permissions import event_permission
from eventsite.extensions import db
from eventsite.posters import service
from eventsite.posters.forms import CoverForm
from eventsite.posters.rules import COVER_SIZES

bp = Blueprint("posters", __name__)

#: A stored copy never changes (a new picture gets a new key): caches may keep it for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def cover_url(event: Event, size: str, external: bool = False) -> str:
    """Where a page loads the event's cover at the named size."""
    if event.cover_key:
        return url_for("posters.cover", key=event.cover_key, size=size, _external=external)
    return url_for("posters.default_cover", kind=event.kind, size=size, _external=external)


@bp.get("/covers/<key>/<size>.jpg")
@public
def cover(key: str, size: str):
    """An uploaded cover's copy at the named size (its key is random and never reused)."""
    data = service.stored_copy(key, size)
    if data is None:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="image/jpeg", etag=False)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/covers/default/<kind>/<size>.jpg")
@public
def default_cover(kind: str, size: str):
    """A kind's default cover (the same for every event of the kind: cached for a day)."""
    if kind not in set(EventKind) or size not in COVER_SIZES:
        abort(404)
    data = service.default_cover_bytes(kind, size)
    return send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=86400, etag=False)


@bp.route("/events/<int:event_id>/cover", methods=["GET", "POST"])
@event_permission("manage")
def edit_cover(event: Event):
    """Upload the event's cover picture (checked, cleaned and kept as sized copies)."""
    form = CoverForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("posters/cover.html", event=event, form=form), status
    try:
        change = service.set_cover(event, form.cover.data.read(), current_user)
    except service.CoverError as error:
        db.session.rollback()
        form.cover.errors.append(str(error.message))
        return render_template("posters/cover.html", event=event, form=form), 400
    db.session.commit()
    service.discard(change.old_key)
    flash(_("The new cover picture is in place."), "success")
    return redirect(url_for("posters.edit_cover", event_id=event.id))


@bp.post("/events/<int:event_id>/cover/remove")
@event_permission("manage")
def remove_cover(event: Event):
    """Remove the uploaded cover: the event shows its kind's default again."""
    change = service.remove_cover(event, current_user)
    if change is None:
        flash(_("The event has no uploaded cover picture."), "info")
    else:
        db.session.commit()
        service.discard(change.old_key)
        flash(_("Cover picture removed: the event shows the default cover again."), "success")
    return redirect(url_for("posters.edit_cover", event_id=event.id))
