"""Organization forms: an organization's details, a sub-organization, a move, its staff; and
the organization choice other forms (a new event's) share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields import SelectField, StringField
from wtforms.validators import DataRequired, ValidationError

from eventsite.accounts.models import Role
from eventsite.core.forms import Length, SiteForm
from eventsite.organizations.models import Organization, OrganizationLevel

CHOOSE_ORGANIZATION = _l("Choose one of the organizations listed.")

#: The roles an organization's staff page grants on it.
STAFF_ROLES = (Role.ORGANIZER, Role.ADMIN)


class OrganizationField(SelectField):
    """A choice among organizations by id; anything not listed gets one message beside it."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=int, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = int(valuelist[0])
            except (TypeError, ValueError):
                self.data = None

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices or ()}:
            raise ValidationError(str(CHOOSE_ORGANIZATION))


def indented(organizations: list[Organization], top_depth: int = 0) -> list[tuple[int, str]]:
    """Select choices, each name indented by its depth below `top_depth` (tree order given)."""
    return [(org.id, "\u3000" * max(org.depth - top_depth, 0) + org.name) for org in organizations]


class OrganizationDetailsForm(SiteForm):
    """An organization's name, short name, level and contact."""

    name = StringField(
        _l("Organization name"),
        validators=[DataRequired(message=_l("Please enter the name.")), Length(max=100)],
    )
    short_name = StringField(
        _l("Short name"),
        validators=[Length(max=30)],
        description=_l("Shown where space is short; empty: the full name."),
    )
    level = SelectField(
        _l("Level"),
        choices=[(level.value, level.title) for level in OrganizationLevel],
        validate_choice=False,
    )
    contact = StringField(
        _l("Contact"),
        validators=[Length(max=200)],
        description=_l("A phone number, an office or a mail address members can reach."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per form: the titles follow the language of the request.
        self.level.choices = [(level.value, level.title) for level in OrganizationLevel]

    def validate_level(self, field):
        if field.data not in {level.value for level in OrganizationLevel}:
            raise ValidationError(str(_l("Choose one of the levels listed.")))

    def details(self) -> dict:
        """The submitted values, trimmed."""
        return {
            "name": self.name.data.strip(),
            "short_name": (self.short_name.data or "").strip(),
            "level": self.level.data,
            "contact": (self.contact.data or "").strip(),
        }


class MoveForm(SiteForm):
    """The new parent of an organization, among those its mover administers."""

    parent_id = OrganizationField(_l("New parent organization"))

    def __init__(self, *args, parents: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = parents


class StaffForm(SiteForm):
    """Grant a role on the organization to the member with this mobile number."""

    mobile = StringField(
        _l("Mobile number"),
        validators=[DataRequired(message=_l("Please enter a mobile number.")), Length(max=20)],
    )
    role = SelectField(_l("Role"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(role.value, role.title) for role in STAFF_ROLES]

    def validate_role(self, field):
        if field.data not in {role.value for role in STAFF_ROLES}:
            raise ValidationError(str(_l("Choose organizer or administrator.")))
