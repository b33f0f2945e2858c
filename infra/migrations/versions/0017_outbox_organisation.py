"""outbox organisation: every promised message names the organisation whose bot sends it; older rows are 1's

Revision ID: 0017_outbox_organisation
Revises: 0016_ticket_numbers

The key becomes unique per organisation: keys name chats and Telegram message ids, and both are per bot (a
user's chat with two organisations' bots has the same id, and each bot counts its message ids).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_outbox_organisation"
down_revision = "0016_ticket_numbers"
branch_labels = None
depends_on = None

FIRST = 1


def upgrade() -> None:
    """organisation_id on the outbox (every existing row in organisation 1); key unique per organisation."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        # The server default fills the existing rows, then goes: a new row must name its organisation.
        batch_op.add_column(
            sa.Column("organisation_id", sa.Integer(), nullable=False, server_default=sa.text(str(FIRST)))
        )
        batch_op.create_foreign_key(
            op.f("fk_outbox_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )
        batch_op.drop_constraint("uq_outbox_key", type_="unique")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), server_default=None)
        batch_op.create_index("ix_outbox_organisation_id_key", ["organisation_id", "key"], unique=True)


def downgrade() -> None:
    """Back to one key space; refused while rows of another organisation exist (their keys could collide)."""
    others = op.get_bind().execute(sa.text(f"SELECT count(*) FROM outbox WHERE organisation_id <> {FIRST}")).scalar()
    if others:
        raise RuntimeError(f"{others} outbox row(s) of organisations besides the first: downgrading would mix them")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_organisation_id_key")
        batch_op.create_unique_constraint("uq_outbox_key", ["key"])
        batch_op.drop_constraint("fk_outbox_organisation_id_organisations", type_="foreignkey")
        batch_op.drop_column("organisation_id")
