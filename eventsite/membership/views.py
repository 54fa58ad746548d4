"""Membership pages: the member's "My union", a union admin's pending requests and list import."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventsite.accounts.models import Role
from eventsite.core.pagination import page_arg
from eventsite.core.permissions import login_required, role_required
from eventsite.events import roster
from eventsite.extensions import db
from eventsite.membership import service
from eventsite.membership.forms import (
    ButtonForm,
    ChooseUnionForm,
    MemberListForm,
    UnionSearchForm,
)
from eventsite.organizations.models import Organization

bp = Blueprint("membership", __name__)

REQUESTS_PAGE_SIZE = 20


# --- The member's union -----------------------------------------------------------------------


@bp.route("/account/union", methods=["GET", "POST"])
@login_required
def my_union():
    """The member's union and its verification; a search by name to ask a union to verify them."""
    form = ChooseUnionForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            organization = db.session.get(Organization, form.organization_id.data)
            if organization is None:
                form.organization_id.errors.append(_("Choose your union from the search results."))
            else:
                try:
                    service.request_membership(current_user, organization)
                except service.MembershipError as error:
                    db.session.rollback()
                    form.organization_id.errors.append(str(error.message))
                else:
                    db.session.commit()
                    flash(
                        _(
                            "Your request has gone to 「%(organization)s」; you will be told when its administrator decides.",
                            organization=organization.name,
                        ),
                        "success",
                    )
                    return redirect(url_for("membership.my_union"))
    search = UnionSearchForm(formdata=request.args, meta={"csrf": False})
    if search.q.data and not search.validate():
        status = 400  # the message sits beside the search box; nothing is searched
        q = ""
    else:
        q = (search.q.data or "").strip()
    union = (
        db.session.get(Organization, current_user.organization_id)
        if current_user.organization_id
        else None
    )
    return render_template(
        "membership/my_union.html",
        form=form,
        leave_form=ButtonForm(),
        union=union,
        search=search,
        q=q,
        results=service.search(q),
    ), status


@bp.post("/account/union/leave")
@login_required
def leave_union():
    """Leave the member's union or withdraw the request."""
    form = ButtonForm()
    if form.validate():
        try:
            service.leave(current_user)
        except service.MembershipError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("You no longer belong to a union on this site."), "success")
    return redirect(url_for("membership.my_union"))


# --- A union admin's requests -----------------------------------------------------------------


@bp.get("/membership/requests")
@role_required(Role.ADMIN)
def requests():
    """Membership requests awaiting a decision in every union the admin administers."""
    page = service.pending_requests(
        current_user,
        page_arg(),
        int(current_app.config.get("MEMBERSHIP_REQUESTS_PAGE_SIZE", REQUESTS_PAGE_SIZE)),
    )
    return render_template(
        "membership/requests.html",
        page=page,
        unions=service.organizations_by_id(member.organization_id for member in page.items),
        # The unions whose member list the admin may import: those they were granted admin on.
        administered=sorted(
            service.organizations_by_id(current_user.role_organization_ids(Role.ADMIN)).values(),
            key=lambda organization: (organization.depth, organization.name),
        ),
    )


def _decide(user_id: int, decide, done: str):
    """Approve or decline (`decide`) the request of member `user_id`; `done` % {name} is said."""
    form = ButtonForm()
    if not form.validate():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("membership.requests"))
    try:
        member = decide(user_id, current_user)
    except LookupError:
        db.session.rollback()
        abort(404)
    except service.MembershipError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(done % {"name": member.name}, "success")
    return redirect(url_for("membership.requests"))


@bp.post("/membership/requests/<int:user_id>/approve")
@role_required(Role.ADMIN)
def approve(user_id: int):
    """Verify the member as a member of the union they asked."""
    return _decide(user_id, service.approve, _("%(name)s is now a verified member."))


@bp.post("/membership/requests/<int:user_id>/decline")
@role_required(Role.ADMIN)
def decline(user_id: int):
    """Decline the member's request; they belong to no union again."""
    return _decide(user_id, service.decline, _("%(name)s's request is declined."))


# --- A union's member list ----------------------------------------------------------------------


@bp.route("/organizations/<int:organization_id>/members/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def import_list(organization_id: int):
    """Upload a union's member list (name, mobile): every listed account is verified as its
    member, or nothing changes and every problem is listed by row."""
    organization = db.session.get(Organization, organization_id)
    if organization is None or not service.may_manage_members(current_user, organization.id):
        abort(404)
    form = MemberListForm()
    context = {
        "organization": organization,
        "form": form,
        "columns": roster.COLUMN_LABELS,
        "max_rows": service.LIST_MAX_ROWS,
    }
    if form.validate_on_submit():
        outcome = service.import_list(organization, form.file.data.read(), actor=current_user)
        if outcome.ok:
            db.session.commit()
            return render_template("membership/import.html", outcome=outcome, **context)
        db.session.rollback()
        return render_template("membership/import.html", outcome=outcome, **context), 400
    status = 400 if form.is_submitted() else 200
    return render_template("membership/import.html", outcome=None, **context), status
