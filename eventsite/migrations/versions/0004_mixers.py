"""mixer exchange: profiles, contact cards, marks, matches, introductions, blocks, reports

Revision ID: 0004_mixers
Revises: 0003_snapshots_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_mixers"
down_revision = "0003_snapshots_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mixer_block",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["user.id"],
            name=op.f("fk_mixer_block_blocked_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["user.id"],
            name=op.f("fk_mixer_block_blocker_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_block_event_id_event"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_mixer_block")),
    )
    with op.batch_alter_table("mixer_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mixer_block_blocked_id"), ["blocked_id"], unique=False)

    op.create_table(
        "mixer_introduction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("declined_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_introduction_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["user.id"],
            name=op.f("fk_mixer_introduction_recipient_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["user.id"],
            name=op.f("fk_mixer_introduction_requester_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mixer_introduction")),
        sa.UniqueConstraint(
            "event_id",
            "requester_id",
            "recipient_id",
            name=op.f("uq_mixer_introduction_event_id_requester_id_recipient_id"),
        ),
    )
    with op.batch_alter_table("mixer_introduction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mixer_introduction_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mixer_introduction_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "mixer_mark",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("marker_id", sa.Integer(), nullable=False),
        sa.Column("marked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_mark_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marked_id"],
            ["user.id"],
            name=op.f("fk_mixer_mark_marked_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["marker_id"],
            ["user.id"],
            name=op.f("fk_mixer_mark_marker_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "marker_id", "marked_id", name=op.f("pk_mixer_mark")),
    )
    with op.batch_alter_table("mixer_mark", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mixer_mark_marked_id"), ["marked_id"], unique=False)

    op.create_table(
        "mixer_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_low_id", sa.Integer(), nullable=False),
        sa.Column("user_high_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("user_low_id < user_high_id", name=op.f("ck_mixer_match_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_match_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_high_id"],
            ["user.id"],
            name=op.f("fk_mixer_match_user_high_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_low_id"],
            ["user.id"],
            name=op.f("fk_mixer_match_user_low_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mixer_match")),
        sa.UniqueConstraint(
            "event_id",
            "user_low_id",
            "user_high_id",
            name=op.f("uq_mixer_match_event_id_user_low_id_user_high_id"),
        ),
    )
    with op.batch_alter_table("mixer_match", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mixer_match_user_high_id"), ["user_high_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mixer_match_user_low_id"), ["user_low_id"], unique=False
        )

    op.create_table(
        "mixer_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reported_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_report_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_id"],
            ["user.id"],
            name=op.f("fk_mixer_report_reported_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["user.id"],
            name=op.f("fk_mixer_report_reporter_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user.id"],
            name=op.f("fk_mixer_report_reviewed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mixer_report")),
    )
    with op.batch_alter_table("mixer_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mixer_report_event_id"), ["event_id"], unique=False)

    op.create_table(
        "mixer_settings",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("window_hours", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("reveal", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_settings_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_mixer_settings")),
    )
    op.create_table(
        "mixer_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("nickname", sa.String(length=20), nullable=False),
        sa.Column("introduction", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.Column("left_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_profile_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_mixer_profile_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["user.id"],
            name=op.f("fk_mixer_profile_removed_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_mixer_profile_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mixer_profile")),
        sa.UniqueConstraint("event_id", "number", name=op.f("uq_mixer_profile_event_id_number")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_mixer_profile_event_id_user_id")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_mixer_profile_registration_id")),
    )
    with op.batch_alter_table("mixer_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mixer_profile_user_id"), ["user_id"], unique=False)

    op.create_table(
        "mixer_contact_card",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("wechat", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("consented_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["mixer_profile.id"],
            name=op.f("fk_mixer_contact_card_profile_id_mixer_profile"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_mixer_contact_card")),
    )

    # --- retention tally (mixers.jobs / mixers.stats) ---
    op.create_table(
        "mixer_tally",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("markers", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("matched_members", sa.Integer(), nullable=False),
        sa.Column("introductions_accepted", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_mixer_tally_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_mixer_tally")),
    )


def downgrade():
    # --- retention tally (mixers.jobs / mixers.stats) ---
    op.drop_table("mixer_tally")

    op.drop_table("mixer_contact_card")
    with op.batch_alter_table("mixer_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mixer_profile_user_id"))

    op.drop_table("mixer_profile")
    op.drop_table("mixer_settings")
    with op.batch_alter_table("mixer_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mixer_report_event_id"))

    op.drop_table("mixer_report")
    with op.batch_alter_table("mixer_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mixer_match_user_low_id"))
        batch_op.drop_index(batch_op.f("ix_mixer_match_user_high_id"))

    op.drop_table("mixer_match")
    with op.batch_alter_table("mixer_mark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mixer_mark_marked_id"))

    op.drop_table("mixer_mark")
    with op.batch_alter_table("mixer_introduction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mixer_introduction_requester_id"))
        batch_op.drop_index(batch_op.f("ix_mixer_introduction_recipient_id"))

    op.drop_table("mixer_introduction")
    with op.batch_alter_table("mixer_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mixer_block_blocked_id"))

    op.drop_table("mixer_block")
