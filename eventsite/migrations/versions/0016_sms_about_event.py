"""a text message names the event it is about, so one that stopped being true while it waited
is withdrawn instead of sent

Revision ID: 0016_sms_about_event
Revises: 0015_privacy_notice
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_sms_about_event"
down_revision = "0015_privacy_notice"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sms_message_event_id"), ["event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sms_message_event_id_event"),
            "event",
            ["event_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    # The former version knows no withdrawn text: it reads as one not delivered.
    sms = sa.table("sms_message", sa.column("status", sa.String))
    op.get_bind().execute(
        sms.update().where(sms.c.status == "withdrawn").values(status="failed")
    )
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sms_message_event_id_event"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_sms_message_event_id"))
        batch_op.drop_column("event_id")
