"""The audit log: who did what to an event, when."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _

from eventsite.core.models import AuditEntry
from eventsite.extensions import db


def record(action: str, *, actor=None, event=None, detail: str | LazyString = "") -> AuditEntry:
    """Add one audit entry to the session (the caller commits).

    A lazy `detail` (lazy_gettext) is written in the site's default language, whatever language
    the acting organizer uses, so the log reads in one language. A detail already translated
    with gettext stays as it is: callers pass lazy strings for that reason.
    """
    if isinstance(detail, LazyString):
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            detail = str(detail)
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        event_id=getattr(event, "id", None),
        detail=detail,
    )
    db.session.add(entry)
    return entry


def field_changes(
    changes: Iterable[tuple[str, object, object]],
    titles: Mapping[str, object],
    shown: Callable[[str, object], str],
    *,
    subject: str = "",
) -> LazyString:
    """“Places: 10 → 12; …”: each changed field (name, old, new) by its form label, its values
    as `shown(name, value)` words them, after `subject: ` when one is given; a lazy string, so
    `record` writes it in the site's language."""
    changes = list(changes)

    def text() -> str:
        # The marks are the language's own (full-width in Chinese), so each is a message.
        lines = [
            _(
                "%(label)s: %(old)s → %(new)s",
                label=titles[name],
                old=shown(name, old),
                new=shown(name, new),
            )
            for name, old, new in changes
        ]
        listed = lines[0] if lines else ""
        for line in lines[1:]:
            listed = _("%(first)s; %(then)s", first=listed, then=line)
        return _("%(label)s: %(value)s", label=subject, value=listed) if subject else listed

    return LazyString(text)
