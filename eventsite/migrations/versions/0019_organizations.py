"""organizations: the union federation as a tree with its closure table; roles are held on an
organization, events belong to one. Today's data goes to one root organization: every event,
every organizer's, judge's and admin's role.

Revision ID: 0019_organizations
Revises: 0018_scheduler_heartbeat
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_organizations"
down_revision = "0018_scheduler_heartbeat"
branch_labels = None
depends_on = None

ROOT_ID = 1


def upgrade():
    op.create_table(
        "organization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=30), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organization.id"],
            name=op.f("fk_organization_parent_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
    )
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organization_parent_id"), ["parent_id"], unique=False)
    op.create_table(
        "organization_link",
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("descendant_id", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ancestor_id"],
            ["organization.id"],
            name=op.f("fk_organization_link_ancestor_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["descendant_id"],
            ["organization.id"],
            name=op.f("fk_organization_link_descendant_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id", name=op.f("pk_organization_link")),
    )
    with op.batch_alter_table("organization_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organization_link_descendant_id"), ["descendant_id"], unique=False
        )

    bind = op.get_bind()
    organization = sa.table(
        "organization",
        sa.column("id", sa.Integer),
        sa.column("parent_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("short_name", sa.String),
        sa.column("level", sa.String),
        sa.column("contact", sa.String),
        sa.column("depth", sa.Integer),
        sa.column("created_at", sa.DateTime),
    )
    link = sa.table(
        "organization_link",
        sa.column("ancestor_id", sa.Integer),
        sa.column("descendant_id", sa.Integer),
        sa.column("depth", sa.Integer),
    )
    bind.execute(
        organization.insert().values(
            id=ROOT_ID,
            parent_id=None,
            name="工会",
            short_name="工会",
            level="federation",
            contact="",
            depth=0,
            created_at=sa.func.now(),
        )
    )
    bind.execute(link.insert().values(ancestor_id=ROOT_ID, descendant_id=ROOT_ID, depth=0))
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('organization', 'id'), 1)"))

    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "organization_id", sa.Integer(), nullable=False, server_default=str(ROOT_ID)
            )
        )
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.alter_column("organization_id", server_default=None)
        batch_op.drop_constraint("pk_user_role", type_="primary")
        batch_op.create_primary_key("pk_user_role", ["user_id", "role", "organization_id"])
        batch_op.create_index(
            batch_op.f("ix_user_role_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_role_organization_id_organization"),
            "organization",
            ["organization_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "organization_id", sa.Integer(), nullable=False, server_default=str(ROOT_ID)
            )
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("organization_id", server_default=None)
        batch_op.create_index(batch_op.f("ix_event_organization_id"), ["organization_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_event_organization_id_organization"),
            "organization",
            ["organization_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade():
    # Roles held on sub-organizations become roles held everywhere, as the former version knew.
    bind = op.get_bind()
    user_role = sa.table(
        "user_role",
        sa.column("user_id", sa.Integer),
        sa.column("role", sa.String),
        sa.column("organization_id", sa.Integer),
    )
    duplicates = (
        sa.select(user_role.c.user_id, user_role.c.role, sa.func.min(user_role.c.organization_id))
        .group_by(user_role.c.user_id, user_role.c.role)
        .having(sa.func.count() > 1)
    )
    for user_id, role, kept in bind.execute(duplicates).all():
        bind.execute(
            user_role.delete().where(
                user_role.c.user_id == user_id,
                user_role.c.role == role,
                user_role.c.organization_id != kept,
            )
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_event_organization_id_organization"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_event_organization_id"))
        batch_op.drop_column("organization_id")
    with op.batch_alter_table("user_role", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_user_role_organization_id_organization"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_user_role_organization_id"))
        batch_op.drop_constraint("pk_user_role", type_="primary")
        batch_op.create_primary_key("pk_user_role", ["user_id", "role"])
        batch_op.drop_column("organization_id")
    with op.batch_alter_table("organization_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_link_descendant_id"))
    op.drop_table("organization_link")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organization_parent_id"))
    op.drop_table("organization")
