"""durable intake: raw updates stored (sealed) before they are acknowledged

Revision ID: 0005_intake
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_intake'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'intake_updates',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('payload', sa.Text(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_intake_updates')),
    )
    op.create_index('ix_intake_updates_done_at_update_id', 'intake_updates', ['done_at', 'update_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_intake_updates_done_at_update_id', table_name='intake_updates')
    op.drop_table('intake_updates')
