"""organisations: every row of a facility's matters belongs to an organisation; older rows to the first

Revision ID: 0014_organisations
Revises: 0013_web_feed_once

Organisation 1 is the deployment's CHARTER_FILE. The migration names it with a placeholder rather than reading
the charter: it runs inside `store.migrate()` and from the `alembic` command line alike, where CHARTER_FILE
may come from a .env file, a secret or nowhere; the app gives organisation 1 that file's name and path at each
start-up (desk/organisations/service.py adopt_deployment_charter), from the settings it has read anyway.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014_organisations"
down_revision = "0013_web_feed_once"
branch_labels = None
depends_on = None

FIRST = 1
# SQLite's batch mode rebuilds audit_log, and a rebuilt table has lost its triggers: 0003's append-only guard
# is put back as 0003 made it (PostgreSQL alters the table in place, and keeps its trigger).
SQLITE_AUDIT_GUARD = [
    """
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is not allowed'); END
    """,
    """
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed'); END
    """,
]
# table -> (indexes to drop, indexes to create as (name, columns, unique))
SCOPED = {
    "citizens": (
        [("ix_citizens_chat_hash", ["chat_hash"], True)],
        [("ix_citizens_organisation_id_chat_hash", ["organisation_id", "chat_hash"], True)],
    ),
    "tickets": (
        [],
        [
            ("ix_tickets_organisation_id_status_due_at", ["organisation_id", "status", "due_at"], False),
            ("ix_tickets_organisation_id_received_at", ["organisation_id", "received_at"], False),
        ],
    ),
    "inbound_messages": (
        [("ix_inbound_messages_chat_hash_message_id", ["chat_hash", "message_id"], True)],
        [(
            "ix_inbound_messages_organisation_id_chat_hash_message_id",
            ["organisation_id", "chat_hash", "message_id"], True,
        )],
    ),
    "staff_members": ([], [("ix_staff_members_organisation_id", ["organisation_id"], False)]),
    "audit_log": ([], [("ix_audit_log_organisation_id", ["organisation_id"], False)]),
    "citizen_questions": ([], []),
    "language_choices": ([], []),
}


def upgrade() -> None:
    """The organisations table, organisation 1, and organisation_id (every row in 1) on the scoped tables."""
    organisations = op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("charter_file", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":  # SQLite keeps no offset (infra/columns.py UTCDateTime)
        now = now.replace(tzinfo=None)
    # The placeholders of desk/organisations/models.py (PLACEHOLDER_SLUG, PLACEHOLDER_NAME); the app names it.
    op.bulk_insert(organisations, [{"id": FIRST, "slug": "main", "name": "", "charter_file": "", "created_at": now}])
    if op.get_bind().dialect.name == "postgresql":
        # The row was inserted with its id: the next organisation must get 2, not collide with 1.
        op.execute("SELECT setval(pg_get_serial_sequence('organisations', 'id'), 1)")
    for table, (old_indexes, new_indexes) in SCOPED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns, _unique in old_indexes:
                batch_op.drop_index(name)
            # The server default fills every existing row with organisation 1, then goes: a new row must name
            # its organisation, so a query that forgot it fails instead of landing in organisation 1.
            batch_op.add_column(
                sa.Column("organisation_id", sa.Integer(), nullable=False, server_default=sa.text(str(FIRST)))
            )
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("organisation_id", existing_type=sa.Integer(), server_default=None)
            for name, columns, unique in new_indexes:
                batch_op.create_index(name, columns, unique=unique)
    with op.batch_alter_table("language_choices", schema=None) as batch_op:
        batch_op.drop_constraint("pk_language_choices", type_="primary")
        batch_op.create_primary_key("pk_language_choices", ["organisation_id", "chat_hash"])
    _guard_audit_log()


def downgrade() -> None:
    """Back to one organisation's tables; refused while a second organisation exists (its rows would be lost)."""
    others = op.get_bind().execute(sa.text(f"SELECT count(*) FROM organisations WHERE id <> {FIRST}")).scalar()
    if others:
        raise RuntimeError(f"{others} organisation(s) besides the first: downgrading would mix or lose their rows")
    with op.batch_alter_table("language_choices", schema=None) as batch_op:
        batch_op.drop_constraint("pk_language_choices", type_="primary")
        batch_op.create_primary_key("pk_language_choices", ["chat_hash"])
    for table, (old_indexes, new_indexes) in reversed(list(SCOPED.items())):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns, _unique in new_indexes:
                batch_op.drop_index(name)
            batch_op.drop_constraint(f"fk_{table}_organisation_id_organisations", type_="foreignkey")
            batch_op.drop_column("organisation_id")
            for name, columns, unique in old_indexes:
                batch_op.create_index(name, columns, unique=unique)
    _guard_audit_log()
    op.drop_table("organisations")


def _guard_audit_log() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("audit_log_no_update", "audit_log_no_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in SQLITE_AUDIT_GUARD:
        op.execute(statement)
