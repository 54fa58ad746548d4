"""registration and feedback questions, their choices, members' answers

Revision ID: 0022_questions
Revises: 0021_event_co_hosts
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_questions"
down_revision = "0021_event_co_hosts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("help_text", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("min_value", sa.Integer(), nullable=True),
        sa.Column("max_value", sa.Integer(), nullable=True),
        sa.Column("shown_if_choice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_question_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question")),
    )
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index(
            "ix_question_event_purpose", ["event_id", "purpose", "position"], unique=False
        )

    op.create_table(
        "question_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_choice_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_choice")),
    )
    with op.batch_alter_table("question_choice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_choice_question_id"), ["question_id"], unique=False
        )
    # question and question_choice point at each other: the condition's key comes second.
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_question_shown_if_choice_id_question_choice"),
            "question_choice",
            ["shown_if_choice_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_answer_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_answer_registration_id_registration"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer")),
        sa.UniqueConstraint(
            "registration_id", "question_id", name=op.f("uq_answer_registration_id_question_id")
        ),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_question_id"), ["question_id"], unique=False)

    op.create_table(
        "answer_choice",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("choice_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answer.id"],
            name=op.f("fk_answer_choice_answer_id_answer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["choice_id"],
            ["question_choice.id"],
            name=op.f("fk_answer_choice_choice_id_question_choice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("answer_id", "choice_id", name=op.f("pk_answer_choice")),
    )
    with op.batch_alter_table("answer_choice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_choice_choice_id"), ["choice_id"], unique=False)


def downgrade():
    with op.batch_alter_table("answer_choice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_choice_choice_id"))

    op.drop_table("answer_choice")
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_question_id"))

    op.drop_table("answer")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_question_shown_if_choice_id_question_choice"), type_="foreignkey"
        )
    with op.batch_alter_table("question_choice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_choice_question_id"))

    op.drop_table("question_choice")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_event_purpose")

    op.drop_table("question")
