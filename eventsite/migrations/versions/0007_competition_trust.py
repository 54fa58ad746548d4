"""a round chooses how percentage award tiers are rounded (down, or half up: 四舍五入)

Revision ID: 0007_competition_trust
Revises: 0006_roster_order_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_competition_trust"
down_revision = "0006_roster_order_index"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comp_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("award_rounding", sa.String(length=10), nullable=True))
    # Every existing round keeps the rule it was computed with: each tier rounded down.
    comp_round = sa.table("comp_round", sa.column("award_rounding", sa.String))
    op.get_bind().execute(comp_round.update().values(award_rounding="down"))
    with op.batch_alter_table("comp_round", schema=None) as batch_op:
        batch_op.alter_column("award_rounding", existing_type=sa.String(length=10), nullable=False)


def downgrade():
    with op.batch_alter_table("comp_round", schema=None) as batch_op:
        batch_op.drop_column("award_rounding")
