"""The organization pages of an organization's admins (and of platform admins): the tree they
administer, an organization's details, a sub-organization, a move, and its staff."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventsite.accounts import service as accounts
from eventsite.accounts.models import Role, User, UserRole
from eventsite.core import audit
from eventsite.core.inputs import storable_int
from eventsite.core.permissions import role_required
from eventsite.events.forms import add_error
from eventsite.events.models import Event
from eventsite.extensions import db
from eventsite.organizations import permissions, service
from eventsite.organizations.forms import (
    STAFF_ROLES,
    MoveForm,
    OrganizationDetailsForm,
    StaffForm,
    indented,
)
from eventsite.organizations.models import Organization, OrganizationLevel
from eventsite.organizations.rules import may_move_within

bp = Blueprint("organizations", __name__)

#: The details' form labels, for the audit log's "Name: old → new".
FIELD_TITLES = {
    name: OrganizationDetailsForm.__dict__[name].args[0]
    for name in ("name", "short_name", "level", "contact")
}


def _administered() -> list[Organization]:
    """Every organization the signed-in member administers, in tree order."""
    return service.in_tree_order(permissions.managed_organization_ids(current_user, Role.ADMIN))


def _shown(name: str, value: str) -> str:
    if name == "level":
        return OrganizationLevel(value).title
    return value or "—"


@bp.get("/admin/organizations")
@role_required(Role.ADMIN)
def tree():
    """The organizations the admin administers, indented by depth, with events and staff."""
    organizations = _administered()
    ids = [organization.id for organization in organizations]
    events = dict(
        db.session.execute(
            sa.select(Event.organization_id, sa.func.count())
            .where(Event.organization_id.in_(ids))
            .group_by(Event.organization_id)
        ).all()
    )
    staff = dict(
        db.session.execute(
            sa.select(UserRole.organization_id, sa.func.count(sa.distinct(UserRole.user_id)))
            .where(
                UserRole.organization_id.in_(ids),
                UserRole.role.in_([str(role) for role in STAFF_ROLES]),
            )
            .group_by(UserRole.organization_id)
        ).all()
    )
    top = min((organization.depth for organization in organizations), default=0)
    return render_template(
        "organizations/tree.html",
        organizations=organizations,
        events=events,
        staff=staff,
        top=top,
    )


@bp.route("/admin/organizations/<int:organization_id>", methods=["GET", "POST"])
@permissions.organization_permission
def edit(organization: Organization):
    """Change an organization's name, short name, level and contact."""
    if request.method == "GET":
        form = OrganizationDetailsForm(obj=organization, formdata=None)
        return render_template("organizations/edit.html", organization=organization, form=form)
    form = OrganizationDetailsForm()
    if not form.validate():
        return render_template("organizations/edit.html", organization=organization, form=form), 400
    changes = service.update(organization, **form.details())
    if changes:
        audit.record(
            "organization.update",
            actor=current_user,
            detail=audit.field_changes(changes, FIELD_TITLES, _shown, subject=organization.name),
        )
    db.session.commit()
    flash(_("Changes saved.") if changes else _("Nothing was changed."), "success")
    return redirect(url_for("organizations.edit", organization_id=organization.id), 303)


@bp.route("/admin/organizations/<int:organization_id>/new", methods=["GET", "POST"])
@permissions.organization_permission
def create(organization: Organization):
    """Add a sub-organization below `organization`."""
    form = OrganizationDetailsForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("organizations/new.html", parent=organization, form=form), status
    child = service.create(organization, **form.details())
    audit.record(
        "organization.create",
        actor=current_user,
        detail=_l("%(name)s, below %(parent)s", name=child.name, parent=organization.name),
    )
    db.session.commit()
    flash(_("“%(name)s” was added.", name=child.name), "success")
    return redirect(url_for("organizations.tree"), 303)


@bp.route("/admin/organizations/<int:organization_id>/move", methods=["GET", "POST"])
@permissions.organization_permission
def move(organization: Organization):
    """Put an organization, with everything below it, under another one the admin administers."""
    subtree = set(db.session.scalars(service.subtree_ids(organization.id)))
    parents = [
        candidate
        for candidate in _administered()
        if candidate.id not in subtree and candidate.id != organization.parent_id
    ]
    movable = organization.parent_id is not None and permissions.holds(
        current_user, Role.ADMIN, organization.parent_id
    )
    form = MoveForm(parents=indented(parents))
    if request.method == "GET" or not movable:
        status = 200 if request.method == "GET" else 400
        if not movable and request.method == "POST":
            form.form_errors.append(
                _("Only an administrator of the organization above it may move this one.")
            )
        return render_template(
            "organizations/move.html", organization=organization, form=form, movable=movable
        ), status
    if not form.validate():
        return render_template(
            "organizations/move.html", organization=organization, form=form, movable=movable
        ), 400
    new_parent = db.session.get(Organization, form.parent_id.data)
    if not may_move_within(
        movable,
        permissions.holds(current_user, Role.ADMIN, new_parent.id),
        organization.parent_id is None,
    ):
        add_error(form, _("Choose one of the organizations listed."), "parent_id")
        return render_template(
            "organizations/move.html", organization=organization, form=form, movable=movable
        ), 400
    old_parent = organization.parent
    service.move(organization, new_parent)
    organization = db.session.get(Organization, organization.id)
    audit.record(
        "organization.move",
        actor=current_user,
        detail=_l(
            "%(name)s: %(old)s → %(new)s",
            name=organization.name,
            old=old_parent.name,
            new=new_parent.name,
        ),
    )
    permissions.forget()
    db.session.commit()
    flash(
        _(
            "“%(name)s” is now below “%(parent)s”.",
            name=organization.name,
            parent=new_parent.name,
        ),
        "success",
    )
    return redirect(url_for("organizations.tree"), 303)


def _staff(organization: Organization) -> list[UserRole]:
    return list(
        db.session.scalars(
            sa.select(UserRole)
            .join(User, User.id == UserRole.user_id)
            .where(
                UserRole.organization_id == organization.id,
                UserRole.role.in_([str(role) for role in STAFF_ROLES]),
            )
            .order_by(UserRole.role, User.name, User.id)
        )
    )


def _render_staff(organization: Organization, form: StaffForm, status: int = 200):
    grants = _staff(organization)
    users = {
        user.id: user
        for user in db.session.scalars(
            sa.select(User).where(User.id.in_([grant.user_id for grant in grants]))
        )
    }
    return render_template(
        "organizations/staff.html",
        organization=organization,
        form=form,
        grants=grants,
        users=users,
        role_titles={str(role): role.title for role in STAFF_ROLES},
    ), status


@bp.route("/admin/organizations/<int:organization_id>/staff", methods=["GET", "POST"])
@permissions.organization_permission
def staff(organization: Organization):
    """The organizers and admins granted on the organization; grant a role by mobile number."""
    if request.method == "GET":
        return _render_staff(organization, StaffForm(formdata=None))
    form = StaffForm()
    if not form.validate():
        return _render_staff(organization, form, 400)
    user = accounts.user_by_mobile(form.mobile.data)
    if user is None or not user.active:
        add_error(form, _("No active member has this mobile number."), "mobile")
        return _render_staff(organization, form, 400)
    try:
        changed = accounts.grant_role(
            user, form.role.data, actor=current_user, organization_id=organization.id
        )
    except accounts.AccountError as error:
        db.session.rollback()
        add_error(form, str(error.message), "mobile")
        return _render_staff(db.session.get(Organization, organization.id), form, 400)
    db.session.commit()
    permissions.forget()
    title = Role(form.role.data).title
    if changed:
        flash(_("%(name)s is now %(role)s.", name=user.name, role=title), "success")
    else:
        flash(_("%(name)s already holds the role %(role)s.", name=user.name, role=title), "info")
    return redirect(url_for("organizations.staff", organization_id=organization.id), 303)


@bp.post("/admin/organizations/<int:organization_id>/staff/revoke")
@permissions.organization_permission
def revoke(organization: Organization):
    """Take a role on the organization away from a member of its staff."""
    user_id = request.form.get("user_id", type=storable_int)
    role = request.form.get("role", "")
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or role not in {str(r) for r in STAFF_ROLES}:
        flash(_("Choose a member of the staff listed."), "error")
        return _render_staff(organization, StaffForm(formdata=None), 400)
    try:
        changed = accounts.revoke_role(
            user, role, actor=current_user, organization_id=organization.id
        )
    except accounts.AccountError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        organization = db.session.get(Organization, organization.id)
        return _render_staff(organization, StaffForm(formdata=None), 400)
    db.session.commit()
    permissions.forget()
    title = Role(role).title
    if changed:
        flash(_("%(name)s is no longer %(role)s.", name=user.name, role=title), "success")
    else:
        flash(_("%(name)s does not hold the role %(role)s.", name=user.name, role=title), "info")
    return redirect(url_for("organizations.staff", organization_id=organization.id), 303)
