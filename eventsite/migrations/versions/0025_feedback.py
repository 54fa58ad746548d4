"""after-event feedback: who answered (receipts) kept apart from what was answered (responses)

Revision ID: 0025_feedback
Revises: 0024_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_feedback"
down_revision = "0024_sessions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_receipt",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_feedback_receipt_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_feedback_receipt_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_feedback_receipt")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_receipt_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "feedback_response",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "rating BETWEEN 1 AND 5", name=op.f("ck_feedback_response_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_feedback_response_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_response")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_response_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "feedback_answer",
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_feedback_answer_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["feedback_response.id"],
            name=op.f("fk_feedback_answer_response_id_feedback_response"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "question_id", name=op.f("pk_feedback_answer")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("feedback_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_answer_question_id"), ["question_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("feedback_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_answer_question_id"))
    op.drop_table("feedback_answer")
    with op.batch_alter_table("feedback_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_response_event_id"))
    op.drop_table("feedback_response")
    with op.batch_alter_table("feedback_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_receipt_user_id"))
    op.drop_table("feedback_receipt")
