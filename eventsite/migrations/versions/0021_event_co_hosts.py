"""an event names its co-hosts (联合主办单位) beside its organization

Revision ID: 0021_event_co_hosts
Revises: 0020_membership
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_event_co_hosts"
down_revision = "0020_membership"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("co_hosts", sa.String(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("co_hosts", server_default=None)


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("co_hosts")
