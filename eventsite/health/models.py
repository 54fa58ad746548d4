"""The scheduler's heartbeat: one row per scheduler job id, rewritten by every run of that job.

Two schedulers (a standby on a second host) write the same rows; the row then tells which
process ran the job last. Nothing else refers to these rows, and no member's data is in them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eventsite.core.models import UTCDateTime
from eventsite.extensions import db


class SchedulerHeartbeat(db.Model):
    """The last run of one scheduler job (`eventsite.scheduler.job_specs` ids)."""

    __tablename__ = "scheduler_heartbeat"

    job_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    #: When the last run began.
    last_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the last run that came to an end ended, well or not; empty until one has.
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: `rules.JobOutcome`: "ok", or "error" when the run raised; empty while the first run is
    #: under way.
    last_outcome: Mapped[str | None] = mapped_column(sa.String(10))
    #: The machine and process of the last run (a standby scheduler shows here when it runs).
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
