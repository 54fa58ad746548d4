"""The member's own data: download it, or delete the account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from eventsite.accounts import service as accounts
from eventsite.core.permissions import login_required
from eventsite.core.time import to_local, utcnow
from eventsite.extensions import db, limiter
from eventsite.privacy import erasure, export
from eventsite.privacy.forms import DeleteAccountForm

bp = Blueprint("privacy", __name__)


def _member_key() -> str:
    """Downloads are counted per account (a whole office may share one address)."""
    return f"data-export:{current_user.id}"


@bp.get("/account/data.json")
@login_required
@limiter.limit(lambda: current_app.config["DATA_EXPORT_RATE_LIMIT"], key_func=_member_key)
def download_data():
    """Everything the site holds about the member, as one JSON file."""
    now = utcnow()
    body = export.as_json(export.member_data(current_user, now))
    name = f"my-data-{to_local(now):%Y%m%d}.json"
    return (
        body,
        200,
        {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """What deleting the account erases and keeps; confirmed with the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            erasure.delete_account(current_user, password=form.password.data, now=utcnow())
        except accounts.AccountError as error:
            db.session.rollback()
            form.password.errors = [*form.password.errors, error.message]
        else:
            db.session.commit()
            logout_user()
            flash(
                _(
                    "Your account is deleted and your personal details are erased. You are "
                    "signed out on every device."
                ),
                "success",
            )
            return redirect(url_for("events.index"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "privacy/delete.html",
        form=form,
        refusal=erasure.refusal(current_user),
        retention_days=current_app.config["MIXER_RETENTION_DAYS"],
    ), status
