"""The feedback survey's form: a rating and a comment (the organizer's own questions are drawn
and read by `questions.forms`), and the message beside each refused field."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields import RadioField, TextAreaField

from eventsite.core.forms import SiteForm
from eventsite.feedback import rules

#: The rating's five steps, as the survey names them.
RATING_TITLES = {
    1: _l("Very dissatisfied"),
    2: _l("Dissatisfied"),
    3: _l("Neutral"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}


class FeedbackForm(SiteForm):
    """Checked by `rules.read_rating` and `rules.read_comment` in the service, not here: the
    form carries the fields and the CSRF token."""

    rating = RadioField(
        _l("Overall satisfaction"),
        choices=[(str(r), RATING_TITLES[r]) for r in rules.RATINGS],
        validate_choice=False,
    )
    comment = TextAreaField(
        _l("Comments and suggestions (optional)"),
        render_kw={"maxlength": rules.COMMENT_MAX, "rows": 4},
    )


def input_message(problem: rules.InputProblem) -> str:
    """The message beside a refused rating or comment."""
    if problem == rules.InputProblem.RATING_REQUIRED:
        return _("Please choose a rating from 1 to 5.")
    if problem == rules.InputProblem.NOT_A_RATING:
        return _("Please choose one of the five ratings shown.")
    if problem == rules.InputProblem.COMMENT_TOO_LONG:
        return _("Please keep it to %(count)s characters.", count=rules.COMMENT_MAX)
    return _("This contains a character that cannot be saved. Please retype it.")
