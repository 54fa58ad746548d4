"""The outbox hold's one row: which database this is, and whether outgoing mail and SMS are held.

The row records the live database's identity the first time a scheduler job runs
(`service.check_identity`). A restored or copied database carries the row of the database it was
copied from, whose identity no longer matches the live one: the next job run then holds every
mail and SMS queued so far (`held_since`) until an operator releases them (`released_at`), so
nothing the restored data thinks unsent goes out a second time.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventsite.core.models import UTCDateTime
from eventsite.core.time import utcnow
from eventsite.extensions import db
from eventsite.outbox import rules

#: The primary key of the one row the table ever holds.
HOLD_ROW_ID = 1


class OutboxHold(db.Model):
    """Whether outgoing mail and SMS are held, since when and why; and the database's identity."""

    __tablename__ = "outbox_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: `rules.postgres_identity` / `rules.SQLITE_IDENTITY` of the database this row was recorded
    #: in; a copy written by `flask backup` carries `rules.copy_mark`, which never matches.
    database_identity: Mapped[str] = mapped_column(sa.String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: utcnow())
    #: Set when the hold began; mail and SMS queued before it stay unsent while it lasts.
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the hold began, in English for the operator's log ("database restored or copied").
    hold_reason: Mapped[str | None] = mapped_column(sa.String(200))
    #: Set when an operator ended the last hold; empty while it lasts.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Who ended it: an admin's name, or "command line".
    released_by: Mapped[str | None] = mapped_column(sa.String(100))

    @property
    def is_held(self) -> bool:
        return rules.is_held(self.held_since, self.released_at)
