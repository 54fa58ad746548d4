"""companions (家属): how many an event admits per member, and how many each member brings

Revision ID: 0023_general_companions
Revises: 0022_questions
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_general_companions"
down_revision = "0022_questions"
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows take 0 (no companions), then the columns hold no database default, as the
    # models say.
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_companions", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("companions", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("max_companions", server_default=None)
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.alter_column("companions", server_default=None)


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("companions")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("max_companions")
