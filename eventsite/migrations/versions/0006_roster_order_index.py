"""an index in the roster's order: registrations of an event by arrival

Revision ID: 0006_roster_order_index
Revises: 0005_competitions
"""

from alembic import op

revision = "0006_roster_order_index"
down_revision = "0005_competitions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_registration_event_arrival",
        "registration",
        ["event_id", "registered_at", "id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_registration_event_arrival", table_name="registration")
