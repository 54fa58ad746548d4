"""Membership forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from eventsite.core.forms import SPREADSHEET_MAX_BYTES, SPREADSHEET_TOO_LARGE, SiteForm
from eventsite.core.inputs import INTEGER_MAX


class UnionSearchForm(SiteForm):
    """The member's search for their union by name, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Union name"),
        validators=[Length(max=100)],
        render_kw={"type": "search", "maxlength": 100},
    )


class ChooseUnionForm(SiteForm):
    """The member asks one organization (found by the name search) to verify them."""

    organization_id = IntegerField(
        _l("Union"),
        validators=[
            InputRequired(message=_l("Choose your union from the search results.")),
            NumberRange(
                min=1, max=INTEGER_MAX, message=_l("Choose your union from the search results.")
            ),
        ],
    )


class ButtonForm(SiteForm):
    """A button's CSRF token only (leave, approve, decline)."""


class MemberListForm(SiteForm):
    """Upload a union's member list."""

    file = FileField(
        _l("Member list (CSV or XLSX, up to 5 MB)"),
        validators=[
            FileRequired(message=_l("Choose a file to upload.")),
            FileAllowed(["csv", "xlsx"], message=_l("Upload a .csv or .xlsx file.")),
            FileSize(SPREADSHEET_MAX_BYTES, message=SPREADSHEET_TOO_LARGE),
        ],
    )
