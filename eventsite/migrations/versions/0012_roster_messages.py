"""roster messages: what organizers sent to a filtered roster, and leaders and captains to their team

Revision ID: 0012_roster_messages
Revises: 0011_sms_queue
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_roster_messages'
down_revision = '0011_sms_queue'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('roster_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('by_sms', sa.Boolean(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('sms_count', sa.Integer(), nullable=False),
    sa.Column('sms_segments', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_roster_message_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_roster_message_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_roster_message_team_id_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_message'))
    )
    with op.batch_alter_table('roster_message', schema=None) as batch_op:
        batch_op.create_index('ix_roster_message_event_sent', ['event_id', 'sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('roster_message', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_message_event_sent')
    op.drop_table('roster_message')
