"""citizen conversations: held messages and questions, language choices, anonymous receipts, throttling

Revision ID: 0003_citizen
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = '0003_citizen'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('citizen_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('chat_key', sa.String(length=64), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('intent', sa.String(length=32), nullable=True),
    sa.Column('file_id', sa.Text(), nullable=True),
    sa.Column('file_kind', sa.String(length=16), nullable=True),
    sa.Column('preferred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('preferred_has_time', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('needs_purpose', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('answers', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_citizen_questions_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_questions'))
    )
    with op.batch_alter_table('citizen_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_questions_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_citizen_questions_chat_key'), ['chat_key'], unique=False)

    op.create_table('language_choices',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_language_choices'))
    )

    op.create_table('anonymous_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lookup', sa.String(length=5), nullable=False),
    sa.Column('code_hash', sa.Text(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('sealed_chat', sa.LargeBinary(), nullable=True),
    sa.Column('pushed_entry_id', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_anonymous_receipts_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anonymous_receipts')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_anonymous_receipts_ticket_id'))
    )
    with op.batch_alter_table('anonymous_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anonymous_receipts_lookup'), ['lookup'], unique=False)

    op.create_table('throttle_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_throttle_attempts'))
    )
    with op.batch_alter_table('throttle_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_throttle_attempts_kind_subject_at', ['kind', 'subject', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('throttle_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_throttle_attempts_kind_subject_at')
    op.drop_table('throttle_attempts')
    with op.batch_alter_table('anonymous_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anonymous_receipts_lookup'))
    op.drop_table('anonymous_receipts')
    op.drop_table('language_choices')
    with op.batch_alter_table('citizen_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_questions_chat_key'))
        batch_op.drop_index(batch_op.f('ix_citizen_questions_chat_id'))
    op.drop_table('citizen_questions')
