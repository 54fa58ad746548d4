"""an item's most members may be left open (no limit); the current draw's method, seed, lanes
and seeding are kept, so the item's page shows how it was drawn

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
        batch_op.add_column(sa.Column("draw_method", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("draw_seed", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("draw_lanes", sa.Integer(), nullable=True))
    # A draw made before this revision is shown as drawn, without a method.
    meet_item = sa.table("meet_item", sa.column("draw_method", sa.String))
    op.get_bind().execute(meet_item.update().values(draw_method=""))
    with op.batch_alter_table("meet_item", schema=None) as batch_op:
        batch_op.alter_column("draw_method", existing_type=sa.String(length=20), nullable=False)
    with op.batch_alter_table("meet_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seeding", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("meet_entry", schema=None) as batch_op:
        batch_op.drop_column("seeding")
    # The column could not be empty before: an open limit becomes 200, the most the old form
    # accepted (no team is that large).
    meet_item = sa.table("meet_item", sa.column("max_members", sa.Integer))
    op.get_bind().execute(
        meet_item.update().where(meet_item.c.max_members.is_(None)).values(max_members=200)
    )
    with op.batch_alter_table("meet_item", schema=None) as batch_op:
        batch_op.drop_column("draw_lanes")
        batch_op.drop_column("draw_seed")
        batch_op.drop_column("draw_method")
        batch_op.alter_column("max_members", existing_type=sa.Integer(), nullable=False)
