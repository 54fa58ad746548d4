"""an item's most members may be left open: no limit

Revision ID: 0010_meet_polish
Revises: 0009_mixer_trust
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_meet_polish"
down_revision = "0009_mixer_trust"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meet_item", schema=None) as batch_op:
        batch_op.alter_column("max_members", existing_type=sa.Integer(), nullable=True)


def downgrade():
    # The column could not be empty before: an open limit becomes 200, the most the old form
    # accepted (no team is that large).
    meet_item = sa.table("meet_item", sa.column("max_members", sa.Integer))
    op.get_bind().execute(
        meet_item.update().where(meet_item.c.max_members.is_(None)).values(max_members=200)
    )
    with op.batch_alter_table("meet_item", schema=None) as batch_op:
        batch_op.alter_column("max_members", existing_type=sa.Integer(), nullable=False)
