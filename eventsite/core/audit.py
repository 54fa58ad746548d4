"""The audit log: who did what to an event, when."""

from __future__ import annotations

from eventsite.core.models import AuditEntry
from eventsite.extensions import db


def record(action: str, *, actor=None, event=None, detail: str = "") -> AuditEntry:
    """Add one audit entry to the session (the caller commits)."""
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        event_id=getattr(event, "id", None),
        detail=detail,
    )
    db.session.add(entry)
    return entry
