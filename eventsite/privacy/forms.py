"""The account deletion's confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import InputRequired

from eventsite.core.forms import SiteForm


class DeleteAccountForm(SiteForm):
    password = PasswordField(
        _l("Your password"),
        validators=[InputRequired(_l("Please enter your password to confirm."))],
        render_kw={"autocomplete": "current-password"},
    )
