"""the app on a phone: large-text mode kept per account, an event's cover image

Revision ID: 0026_app_feel
Revises: 0025_feedback
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_app_feel"
down_revision = "0025_feedback"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("large_text", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cover_key", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("cover_key")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("large_text")
