"""`flask users …` commands."""

from __future__ import annotations

import click
from werkzeug.datastructures import MultiDict

from eventsite.accounts import rules, service
from eventsite.accounts.forms import PASSWORD_MESSAGES, EmailAddressForm, current_year
from eventsite.accounts.models import GRANTABLE_ROLES, ROOT_ORGANIZATION_ID, Gender, User
from eventsite.extensions import db
from eventsite.organizations.models import Organization

users_cli = click.Group("users", help="Manage member accounts.")

ROLE_CHOICE = click.Choice([str(role) for role in GRANTABLE_ROLES])


def _describe(user: User) -> str:
    return f"{user.name} ({user.mobile})"


def _checked_email(address: str) -> str:
    """`address` as the profile form would save it (trimmed), or the form's own refusal."""
    form = EmailAddressForm(formdata=MultiDict({"email": address}), meta={"csrf": False})
    if not form.validate():
        raise click.BadParameter(str(form.email.errors[0]), param_hint="--email")
    if not form.email.data:
        raise click.BadParameter("give an address, or leave the option out.", param_hint="--email")
    return form.email.data


def _find(mobile: str) -> User:
    if not rules.is_mainland_mobile(mobile):
        raise click.BadParameter(
            f"{mobile!r} is not a mainland mobile number.", param_hint="MOBILE"
        )
    user = service.user_by_mobile(mobile)
    if user is None:
        raise click.ClickException(f"No account has the mobile number {mobile}.")
    return user


@users_cli.command("create-admin")
@click.option("--mobile", required=True, help="Mainland mobile number: the login.")
@click.option("--name", help="Full name (needed when the account is new).")
@click.option("--password", help="Password for a new account; asked for when not given.")
@click.option("--work-unit", default="工会", show_default=True, help="Work unit of a new account.")
@click.option("--gender", type=click.Choice([g.value for g in Gender]), help="For a new account.")
@click.option("--birth-year", type=int, help="For a new account.")
@click.option(
    "--email",
    help="E-mail address of the account, where notices go too (an existing account's is "
    "replaced; left out, it stays).",
)
def create_admin(mobile, name, password, work_unit, gender, birth_year, email):
    """Make MOBILE an administrator, creating the account if it does not exist."""
    if not rules.is_mainland_mobile(mobile):
        raise click.BadParameter(
            f"{mobile!r} is not an 11-digit mainland mobile number.", param_hint="--mobile"
        )
    if email is not None:
        email = _checked_email(email)
    existing = service.user_by_mobile(mobile)
    if existing is None:
        missing = [
            option
            for option, value in (
                ("--name", name and name.strip()),
                ("--gender", gender),
                ("--birth-year", birth_year),
                ("--work-unit", work_unit and work_unit.strip()),
            )
            if not value
        ]
        if missing:
            raise click.UsageError(
                f"No account has {mobile} yet; to create one give {', '.join(missing)}."
            )
        if len(name.strip()) > 50 or len(work_unit.strip()) > 100:
            raise click.UsageError("The name may have 50 characters, the work unit 100.")
        if not rules.birth_year_plausible(birth_year, current_year()):
            earliest, latest = rules.birth_year_range(current_year())
            raise click.BadParameter(
                f"must be between {earliest} and {latest}.", param_hint="--birth-year"
            )
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = rules.password_problem(password, mobile)
        if problem is not None:
            raise click.BadParameter(str(PASSWORD_MESSAGES[problem]), param_hint="--password")
    elif existing.is_admin:
        if email is None or email == existing.email:
            click.echo(f"{_describe(existing)} is already an administrator; nothing changed.")
            return
        existing.email = email
        db.session.commit()
        click.echo(f"{_describe(existing)} is already an administrator; e-mail set to {email}.")
        return
    try:
        user, created = service.create_admin(
            mobile=mobile,
            name=name.strip() if name else None,
            password=password,
            work_unit=work_unit.strip(),
            gender=gender,
            birth_year=birth_year,
            email=email,
        )
    except service.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    if created:
        click.echo(f"Created administrator {_describe(user)}.")
    else:
        click.echo(f"Granted the administrator role to the existing account {_describe(user)}.")
    if user.email:
        click.echo(f"E-mail: {user.email}")


def _organization(organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise click.BadParameter(
            f"no organization has the id {organization_id}.", param_hint="--organization"
        )
    return organization


@users_cli.command("grant")
@click.argument("mobile")
@click.argument("role", type=ROLE_CHOICE)
@click.option(
    "--organization",
    "organization_id",
    type=click.IntRange(1, 2**31 - 1),
    default=ROOT_ORGANIZATION_ID,
    show_default=True,
    help="Id of the organization the role is held on (and on everything below it); the "
    "default is the root, where an admin is a platform admin.",
)
def grant(mobile, role, organization_id):
    """Give the account MOBILE the ROLE (organizer, judge or admin) on an organization."""
    user = _find(mobile)
    organization = _organization(organization_id)
    try:
        changed = service.grant_role(user, role, organization_id=organization.id)
    except service.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    where = "" if organization.id == ROOT_ORGANIZATION_ID else f" on {organization.name}"
    if changed:
        click.echo(f"Granted {role}{where} to {_describe(user)}.")
    else:
        click.echo(f"{_describe(user)} already holds {role}{where}; nothing changed.")


@users_cli.command("revoke")
@click.argument("mobile")
@click.argument("role", type=ROLE_CHOICE)
@click.option(
    "--organization",
    "organization_id",
    type=click.IntRange(1, 2**31 - 1),
    help="Id of the organization whose grant is taken away; left out, every grant of ROLE.",
)
def revoke(mobile, role, organization_id):
    """Take the ROLE (organizer, judge or admin) away from the account MOBILE."""
    user = _find(mobile)
    if organization_id is not None:
        organization_id = _organization(organization_id).id
    try:
        changed = service.revoke_role(user, role, organization_id=organization_id)
    except service.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    if changed:
        click.echo(f"Revoked {role} from {_describe(user)}.")
    else:
        click.echo(f"{_describe(user)} does not hold {role}; nothing changed.")
