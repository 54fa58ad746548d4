"""members' SMS choices per kind of notice; places offered from the waitlist until a deadline

Revision ID: 0014_notice_channels
Revises: 0013_sms_identity
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_notice_channels"
down_revision = "0013_sms_identity"
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows take the defaults (a day to confirm; no choices: the defaults apply), then
    # the columns hold no database default, as the models say.
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("promotion_confirm_hours", sa.Integer(), nullable=False, server_default="24")
        )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_expires_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sms_choices",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=False,
                server_default="{}",
            )
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("promotion_confirm_hours", server_default=None)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("sms_choices", server_default=None)


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("sms_choices")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("offer_expires_at")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("promotion_confirm_hours")
