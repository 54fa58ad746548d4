"""the privacy notice a member accepted (version and time) and when an account was deleted

Revision ID: 0015_privacy_notice
Revises: 0014_notice_channels
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_privacy_notice'
down_revision = "0014_notice_channels"
branch_labels = None
depends_on = None


def upgrade():
    # Every existing account starts without an accepted version: each member is shown the
    # notice at their next visit.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('privacy_accepted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('privacy_accepted_at')
        batch_op.drop_column('privacy_version')
