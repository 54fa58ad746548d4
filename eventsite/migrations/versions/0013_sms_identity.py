"""SMS verification codes (hashed, one per number and purpose) and when a member's mobile was verified

Revision ID: 0013_sms_identity
Revises: 0012_roster_messages
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_sms_identity'
down_revision = "0012_roster_messages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('verification_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_verification_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_code')),
    sa.UniqueConstraint('mobile', 'purpose', name=op.f('uq_verification_code_mobile_purpose'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mobile_verified_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('mobile_verified_at')

    op.drop_table('verification_code')
