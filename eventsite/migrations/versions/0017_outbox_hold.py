"""after a restore, outgoing mail and SMS wait for an operator: the outbox hold's row, and mail
an operator discarded

Revision ID: 0017_outbox_hold
Revises: 0016_sms_about_event
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_outbox_hold"
down_revision = "0016_sms_about_event"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_identity", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("held_since", sa.DateTime(), nullable=True),
        sa.Column("hold_reason", sa.String(length=200), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_hold")),
    )
    with op.batch_alter_table("outbound_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discarded_at", sa.DateTime(), nullable=True))


def downgrade():
    # The former version knows no discarded message: a discarded text reads as one not
    # delivered, and a discarded mail as one that failed for good (it must never be sent).
    sms = sa.table("sms_message", sa.column("status", sa.String))
    op.get_bind().execute(sms.update().where(sms.c.status == "discarded").values(status="failed"))
    mail = sa.table(
        "outbound_email", sa.column("discarded_at", sa.DateTime), sa.column("attempts", sa.Integer)
    )
    op.get_bind().execute(
        mail.update().where(mail.c.discarded_at.is_not(None)).values(attempts=5)
    )
    with op.batch_alter_table("outbound_email", schema=None) as batch_op:
        batch_op.drop_column("discarded_at")
    op.drop_table("outbox_hold")
