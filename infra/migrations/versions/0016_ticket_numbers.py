"""ticket numbers: each organisation counts its tickets' numbers from 1001 on its own

Revision ID: 0016_ticket_numbers
Revises: 0015_ticket_promised_at

Until now a ticket's number was its id + 1000, counted across every organisation in the database. The
number becomes a column, unique within the organisation, and each organisation keeps the number its next
ticket gets. Every existing ticket keeps the number people were told (its id + 1000), so a number typed
from an old message still finds its ticket; each organisation's counter starts past its highest number.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_ticket_numbers"
down_revision = "0015_ticket_promised_at"
branch_labels = None
depends_on = None

FIRST_NUMBER = 1001
OFFSET = FIRST_NUMBER - 1


def upgrade() -> None:
    """tickets.number (backfilled with id + 1000) unique per organisation; organisations.next_ticket_number."""
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "next_ticket_number", sa.Integer(), nullable=False, server_default=sa.text(str(FIRST_NUMBER))
        ))
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=True))
    op.execute(f"UPDATE tickets SET number = id + {OFFSET}")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("number", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_tickets_organisation_id_number", ["organisation_id", "number"], unique=True)
    op.execute(
        "UPDATE organisations SET next_ticket_number = "
        f"(SELECT coalesce(max(tickets.number), {OFFSET}) + 1 FROM tickets "
        "WHERE tickets.organisation_id = organisations.id)"
    )


def downgrade() -> None:
    """Back to numbers derived from ids; refused once a ticket's number is not its id + 1000 (it would be
    named by a number it was never told, maybe another ticket's)."""
    renumbered = op.get_bind().execute(
        sa.text(f"SELECT count(*) FROM tickets WHERE number <> id + {OFFSET}")
    ).scalar()
    if renumbered:
        raise RuntimeError(
            f"{renumbered} ticket(s) numbered per organisation: downgrading would change the numbers people were told"
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_organisation_id_number")
        batch_op.drop_column("number")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("next_ticket_number")
