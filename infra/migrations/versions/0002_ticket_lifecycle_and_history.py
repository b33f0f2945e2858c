"""ticket lifecycle and history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('file_id', sa.Text(), nullable=True),
    sa.Column('file_kind', sa.String(length=16), nullable=True),
    sa.Column('telegram_message_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_entries_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_entries'))
    )
    with op.batch_alter_table('ticket_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_entries_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('citizens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('username', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymous', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assigned_to', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('preferred_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('interim_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_tickets_citizen_id_status', ['citizen_id', 'status'], unique=False)
        batch_op.create_index('ix_tickets_status_remind_at', ['status', 'remind_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_parent_id_tickets'), 'tickets', ['parent_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_parent_id_tickets'), type_='foreignkey')
        batch_op.drop_index('ix_tickets_status_remind_at')
        batch_op.drop_index('ix_tickets_citizen_id_status')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('answered_at')
        batch_op.drop_column('breached_at')
        batch_op.drop_column('interim_at')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('appointment_at')
        batch_op.drop_column('preferred_at')
        batch_op.drop_column('assigned_to')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('remind_at')
        batch_op.drop_column('anonymous')

    with op.batch_alter_table('citizens', schema=None) as batch_op:
        batch_op.drop_column('unreachable_at')
        batch_op.drop_column('username')
        batch_op.drop_column('display_name')

    with op.batch_alter_table('ticket_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_entries_ticket_id'))

    op.drop_table('ticket_entries')
