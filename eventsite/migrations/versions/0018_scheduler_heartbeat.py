"""the scheduler's heartbeat: one row per job id with its last run's start, end, outcome and
the host and process that ran it, for the health checks

Revision ID: 0018_scheduler_heartbeat
Revises: 0017_outbox_hold
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_scheduler_heartbeat"
down_revision = "0017_outbox_hold"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduler_heartbeat",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("last_started_at", sa.DateTime(), nullable=False),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("last_outcome", sa.String(length=10), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_scheduler_heartbeat")),
    )


def downgrade():
    op.drop_table("scheduler_heartbeat")
