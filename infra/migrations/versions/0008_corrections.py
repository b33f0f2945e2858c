"""corrections: staff's changes of a ticket's category, kept (message text encrypted) to learn from

Revision ID: 0008_corrections
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_corrections"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The ticket_corrections table (an empty table: nothing to encrypt yet)."""
    op.create_table(
        "ticket_corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("from_category", sa.String(32), nullable=False),
        sa.Column("to_category", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.BigInteger(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
    )
    op.create_index("ix_ticket_corrections_ticket_id", "ticket_corrections", ["ticket_id"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_index("ix_ticket_corrections_ticket_id", table_name="ticket_corrections")
    op.drop_table("ticket_corrections")
