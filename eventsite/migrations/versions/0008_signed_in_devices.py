"""signed-in devices: server-side sessions that logout ends; the per-account session token goes

Revision ID: 0008_signed_in_devices
Revises: 0007_competition_trust
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008_signed_in_devices"
down_revision = "0007_competition_trust"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signed_in_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_signed_in_device_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_in_device")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signed_in_device_token_hash")),
    )
    with op.batch_alter_table("signed_in_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signed_in_device_user_id"), ["user_id"], unique=False
        )
    # Every session and remember-me cookie issued before carries the old "id:token" form, which
    # names no device: members sign in once more after this upgrade.
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_token")


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("session_token", sa.String))
    for (user_id,) in conn.execute(sa.select(user.c.id)).all():
        conn.execute(
            user.update().where(user.c.id == user_id).values(session_token=secrets.token_hex(16))
        )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("signed_in_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_in_device_user_id"))
    op.drop_table("signed_in_device")
