"""The cover upload form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from eventsite.core.forms import SiteForm


class CoverForm(SiteForm):
    # No FileAllowed on the name: the service reads the bytes to learn what the file is.
    cover = FileField(
        _l("Cover picture"),
        validators=[FileRequired(message=_l("Choose a picture to upload."))],
        description=_l(
            "A JPEG, PNG or WebP picture of at most 5 MB, at least 320 × 180 pixels; "
            "wide pictures (16:9) fit best: it is cut to that shape around its middle."
        ),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
