"""scheduler: in-flight and reported outbox rows, appointment reminders

Revision ID: 0003_scheduler
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_scheduler'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sending_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_chat_id_status', ['chat_id', 'status'], unique=False)
        batch_op.create_index('ix_outbox_status_reported_at', ['status', 'reported_at'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'ix_tickets_appointment_reminded_at', ['appointment_reminded_at', 'appointment_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_appointment_reminded_at')
        batch_op.drop_column('appointment_reminded_at')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_reported_at')
        batch_op.drop_index('ix_outbox_chat_id_status')
        batch_op.drop_column('reported_at')
        batch_op.drop_column('sending_since')
