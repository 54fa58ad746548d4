"""sessions (场次): an event held in several time slots, each with its own places and waitlist

Revision ID: 0024_sessions
Revises: 0023_general_companions

A member's registration names its session. One registration per member per event becomes one
per member per event and session: a unique index over (event_id, user_id, coalesce(session_id,
0)), which SQLite and PostgreSQL both keep (NULL, no session, is compared as 0).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_sessions"
down_revision = "0023_general_companions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_session_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_session")),
    )
    with op.batch_alter_table("event_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_session_event_id"), ["event_id"], unique=False)

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("multiple_sessions", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("multiple_sessions", server_default=None)

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_registration_session_id_event_session"),
            "event_session",
            ["session_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            batch_op.f("ix_registration_session_id"), ["session_id"], unique=False
        )
        batch_op.drop_constraint("uq_registration_event_id_user_id", type_="unique")
    # An expression index: created outside the batch (SQLite's table copy would not carry it).
    op.create_index(
        "uq_registration_event_user_session",
        "registration",
        ["event_id", "user_id", sa.text("coalesce(session_id, 0)")],
        unique=True,
    )


def downgrade():
    # Back to one registration per member per event: a member's extra sessions go (their first
    # registration, by id, stays).
    op.execute(
        "DELETE FROM registration WHERE id NOT IN "
        "(SELECT min(id) FROM registration GROUP BY event_id, user_id)"
    )
    op.drop_index("uq_registration_event_user_session", table_name="registration")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_registration_event_id_user_id"), ["event_id", "user_id"]
        )
        batch_op.drop_index(batch_op.f("ix_registration_session_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_registration_session_id_event_session"), type_="foreignkey"
        )
        batch_op.drop_column("session_id")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("multiple_sessions")
    with op.batch_alter_table("event_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_session_event_id"))
    op.drop_table("event_session")
