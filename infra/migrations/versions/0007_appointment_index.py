"""An index for the survey sweep's question: which appointments took place in the last few days.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index tickets by appointment moment."""
    op.create_index("ix_tickets_appointment_at", "tickets", ["appointment_at"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_tickets_appointment_at", table_name="tickets")
