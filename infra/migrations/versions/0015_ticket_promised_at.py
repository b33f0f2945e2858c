"""ticket promised_at: the first promise a ticket was given, stored when it opens, for reports across organisations

Revision ID: 0015_ticket_promised_at
Revises: 0014_organisations

The compliance report judges a ticket by the promise made when it came (the charter's clock of its category counted
from its receipt), not by a date an interim moved it to. It used to work that out again from the charter for every
ticket, which needs each organisation's charter in Python: an agency report over many organisations cannot do it in
one SQL pass. So the promise is a column now, written by desk/tickets/lifecycle.py when the ticket opens (and when
staff put it on another category's clock, which counts again from the receipt).

How existing rows are filled, from what is stored (the migration cannot read charters: see 0014's note):
- due_at is the first promise when nothing can have moved it since the ticket opened or was recategorised. Three
  things move it: staff's /interim with a date and the charter's automatic interim (both set interim_at), and a
  reopen (which clears interim_at, but is on the audit log as action 'reopen', outcome 'done'). Recategorising sets
  the promise the report wants (the new clock from the receipt) and clears interim_at. So a ticket with interim_at
  unset and no reopen on the audit log gets promised_at = due_at.
- Every other row keeps promised_at NULL: what it was first promised is not stored anywhere. The app fills those
  from its organisation's charter the first time a report reads them (desk/reports/promises.py settle), which is
  exactly what the report computed before; a partial index keeps that lookup empty-cheap afterwards.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_ticket_promised_at"
down_revision = "0014_organisations"
branch_labels = None
depends_on = None

UNSETTLED_INDEX = "ix_tickets_organisation_id_unsettled_promise"


def upgrade() -> None:
    """Add tickets.promised_at, backfill it where due_at is still the first promise, index the rows left NULL."""
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE tickets SET promised_at = due_at
        WHERE interim_at IS NULL
          AND NOT EXISTS (
            SELECT 1 FROM audit_log
            WHERE audit_log.ticket_id = tickets.id AND audit_log.action = 'reopen' AND audit_log.outcome = 'done'
          )
        """
    )
    op.create_index(
        UNSETTLED_INDEX, "tickets", ["organisation_id"], unique=False,
        sqlite_where=sa.text("promised_at IS NULL"), postgresql_where=sa.text("promised_at IS NULL"),
    )


def downgrade() -> None:
    """Drop the column (the report worked it out from the charter before)."""
    op.drop_index(UNSETTLED_INDEX, table_name="tickets")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("promised_at")
