"""registrations keep the member's gender and birth year; session tokens; claim codes

Revision ID: 0003_snapshots_sessions
Revises: 0002_sportsmeet
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003_snapshots_sessions"
down_revision = "0002_sportsmeet"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claim_code_hash", sa.String(length=255), nullable=True))
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gender", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))

    conn = op.get_bind()
    user = sa.table(
        "user",
        sa.column("id", sa.Integer),
        sa.column("session_token", sa.String),
        sa.column("gender", sa.String),
        sa.column("birth_year", sa.Integer),
    )
    registration = sa.table(
        "registration",
        sa.column("user_id", sa.Integer),
        sa.column("gender", sa.String),
        sa.column("birth_year", sa.Integer),
    )
    for (user_id,) in conn.execute(sa.select(user.c.id)).all():
        conn.execute(
            user.update().where(user.c.id == user_id).values(session_token=secrets.token_hex(16))
        )
    conn.execute(
        registration.update().values(
            gender=sa.select(user.c.gender)
            .where(user.c.id == registration.c.user_id)
            .scalar_subquery(),
            birth_year=sa.select(user.c.birth_year)
            .where(user.c.id == registration.c.user_id)
            .scalar_subquery(),
        )
    )

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.alter_column("gender", existing_type=sa.String(length=10), nullable=False)
        batch_op.alter_column("birth_year", existing_type=sa.Integer(), nullable=False)


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("birth_year")
        batch_op.drop_column("gender")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("claim_code_hash")
        batch_op.drop_column("session_token")
