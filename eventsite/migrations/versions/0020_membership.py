"""membership: a member's grassroots union and its verification; an event's audience (everyone,
or the verified members of its organization's subtree); a team's organization.

Today's accounts belong to no union yet and today's events stay open to everyone.

Revision ID: 0020_membership
Revises: 0019_organizations
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_membership"
down_revision = "0019_organizations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "membership_status", sa.String(length=20), nullable=False, server_default="none"
            )
        )
        batch_op.add_column(sa.Column("membership_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("membership_verified_by_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.alter_column("membership_status", server_default=None)
        batch_op.create_index(batch_op.f("ix_user_organization_id"), ["organization_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_user_organization_id_organization"),
            "organization",
            ["organization_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_membership_verified_by_id_user"),
            "user",
            ["membership_verified_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=20), nullable=False, server_default="everyone")
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("audience", server_default=None)

    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organization_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_team_organization_id_organization"),
            "organization",
            ["organization_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_team_organization_id_organization"), type_="foreignkey"
        )
        batch_op.drop_column("organization_id")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("audience")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_user_membership_verified_by_id_user"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_user_organization_id_organization"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_user_organization_id"))
        batch_op.drop_column("membership_verified_by_id")
        batch_op.drop_column("membership_changed_at")
        batch_op.drop_column("membership_status")
        batch_op.drop_column("organization_id")
