"""replicas: intake rows carry their chat's lookup hash and a lease, so several bot replicas share them

Revision ID: 0009_replicas
Revises: 0008_corrections
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_replicas"
down_revision = "0008_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add chat_hash, claimed_by and lease_until to intake_updates, and the per-chat order index."""
    with op.batch_alter_table("intake_updates") as batch:
        batch.add_column(sa.Column("chat_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_intake_updates_chat_hash_update_id", "intake_updates", ["chat_hash", "update_id"])


def downgrade() -> None:
    """Drop the lease and the chat hash."""
    op.drop_index("ix_intake_updates_chat_hash_update_id", table_name="intake_updates")
    with op.batch_alter_table("intake_updates") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("claimed_by")
        batch.drop_column("chat_hash")
