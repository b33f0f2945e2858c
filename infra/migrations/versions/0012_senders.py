"""senders: each process sending as the bot beats a row, so they share Telegram's flood limits

Revision ID: 0012_senders
Revises: 0011_digests
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_senders"
down_revision = "0011_digests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The senders table (name, last beat)."""
    op.create_table(
        "senders",
        sa.Column("name", sa.String(length=100), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_senders_seen_at", "senders", ["seen_at"])


def downgrade() -> None:
    """Drop the senders table."""
    op.drop_index("ix_senders_seen_at", table_name="senders")
    op.drop_table("senders")
