"""encryption at rest: citizens' texts, names and chat ids encrypted; chat lookups by keyed hash

Revision ID: 0005_encryption
Revises: 0004
Create Date: 2026-11-22

Existing rows are encrypted here, with the keys of the Store running the migration
(Store(url, keyring=...), as `charterdesk migrate` opens it). A database with rows
cannot be migrated without them; `charterdesk keys rotate` also encrypts any plaintext it finds.
Language choices are rebuilt keyed by the chat hash; a downgrade forgets them (a hash has no inverse).
"""

import sqlalchemy as sa
from alembic import op

revision = '0005_encryption'
down_revision = '0004'
branch_labels = None
depends_on = None

BATCH = 500
# (table, old index or unique constraint on chat_id, its kind, new index, its columns, unique)
CHAT_TABLES = [
    ('citizens', 'uq_citizens_chat_id', 'unique', 'ix_citizens_chat_hash', ['chat_hash'], True),
    ('inbound_messages', 'uq_inbound_messages_chat_id_message_id', 'unique',
     'ix_inbound_messages_chat_hash_message_id', ['chat_hash', 'message_id'], True),
    ('outbox', 'ix_outbox_chat_id_status', 'index', 'ix_outbox_chat_hash_status', ['chat_hash', 'status'], False),
    ('citizen_questions', 'ix_citizen_questions_chat_id', 'index', 'ix_citizen_questions_chat_hash', ['chat_hash'],
     False),
]
TEXT_COLUMNS = [
    ('citizens', 'display_name'), ('citizens', 'username'), ('tickets', 'text'), ('ticket_entries', 'text'),
    ('citizen_questions', 'text'), ('outbox', 'text'), ('ratings', 'comment'), ('staff_drafts', 'text'),
]


def upgrade() -> None:
    bind = op.get_bind()
    for table, old, kind, _new, _columns, _unique in CHAT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            if kind == 'unique':
                batch_op.drop_constraint(old, type_='unique')
            else:
                batch_op.drop_index(old)
            batch_op.alter_column('chat_id', existing_type=sa.BigInteger(), type_=sa.Text(),
                                  postgresql_using='chat_id::text')
            batch_op.add_column(sa.Column('chat_hash', sa.String(length=64), nullable=True))
    keys = _Keys(bind)
    for table, *_ in CHAT_TABLES:
        _rewrite(bind, table, 'chat_id', lambda value, purpose: (
            {'chat_id': keys().encrypt(str(int(value)), purpose=purpose), 'chat_hash': keys().chat_hash(int(value))}
        ))
    for table, column in TEXT_COLUMNS:
        _rewrite(bind, table, column, lambda value, purpose, column=column: (
            None if _is_ciphertext(value) else {column: keys().encrypt(value, purpose=purpose)}
        ))
    choices = bind.execute(sa.text('SELECT chat_id, language, chosen_at FROM language_choices')).all()
    op.drop_table('language_choices')
    op.create_table(
        'language_choices',
        sa.Column('chat_hash', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('chat_hash', name=op.f('pk_language_choices')),
    )
    if choices:
        # Values as read, so each backend gets its own datetime representation back.
        bind.execute(sa.text('INSERT INTO language_choices (chat_hash, language, chosen_at) VALUES (:h, :l, :c)'), [
            {'h': keys().chat_hash(int(chat_id)), 'l': language, 'c': chosen_at} for chat_id, language, chosen_at in choices
        ])
    for table, _old, _kind, new, columns, unique in CHAT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(new, columns, unique=unique)


def downgrade() -> None:
    bind = op.get_bind()
    keys = _Keys(bind)
    for table, column in TEXT_COLUMNS:
        _rewrite(bind, table, column, lambda value, purpose, column=column: (
            {column: keys().decrypt(value, purpose=purpose)} if _is_ciphertext(value) else None
        ))
    for table, *_ in CHAT_TABLES:
        _rewrite(bind, table, 'chat_id', lambda value, purpose: {'chat_id': keys().decrypt(value, purpose=purpose)})
    for table, old, kind, new, _columns, _unique in CHAT_TABLES:
        old_columns = ['chat_id', 'message_id'] if table == 'inbound_messages' else ['chat_id']
        if table == 'outbox':
            old_columns = ['chat_id', 'status']
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(new)
            batch_op.drop_column('chat_hash')
            batch_op.alter_column('chat_id', existing_type=sa.Text(), type_=sa.BigInteger(),
                                  postgresql_using='chat_id::bigint')
            if kind == 'unique':
                batch_op.create_unique_constraint(old, old_columns)
            else:
                batch_op.create_index(old, old_columns, unique=False)
    op.drop_table('language_choices')
    op.create_table(
        'language_choices',
        sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_language_choices')),
    )


class _Keys:
    """The migrating Store's keyring, asked for only when there is a row to encrypt (an empty database needs none)."""

    def __init__(self, bind) -> None:
        self.dialect = bind.dialect

    def __call__(self):
        from infra.encrypted import keyring_of

        return keyring_of(self.dialect)


def _is_ciphertext(value: str) -> bool:
    from infra.keyring import key_id_of

    return key_id_of(value) is not None


def _rewrite(bind, table: str, column: str, change) -> None:
    """Apply `change(value, purpose) -> new column values | None` to every non-null value, in batches by id."""
    purpose = f'{table}.{column}'
    last = 0
    while True:
        rows = bind.execute(
            sa.text(f'SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL ORDER BY id LIMIT :n'),
            {'last': last, 'n': BATCH},
        ).all()
        if not rows:
            return
        updates = []
        for row_id, value in rows:
            values = change(value, purpose)
            if values:
                updates.append({'row_id': row_id, **values})
        if updates:
            assignments = ', '.join(f'{name} = :{name}' for name in updates[0] if name != 'row_id')
            bind.execute(sa.text(f'UPDATE {table} SET {assignments} WHERE id = :row_id'), updates)
        last = rows[-1][0]
