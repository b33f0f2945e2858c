"""Join the 0005 branches; the audit log names people who are not staff by a keyed hash only.

Revision ID: 0006
Revises: 0005_encryption, 0005_intake, 0005_privacy
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = ("0005_encryption", "0005_intake", "0005_privacy")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """A column for the keyed hash of a non-staff person's Telegram id (added, so the append-only triggers stay)."""
    op.add_column("audit_log", sa.Column("actor_hash", sa.String(64), nullable=True))
    op.create_index("ix_audit_log_actor_hash_at", "audit_log", ["actor_hash", "at"])


def downgrade() -> None:
    """Drop the column again."""
    op.drop_index("ix_audit_log_actor_hash_at", table_name="audit_log")
    op.drop_column("audit_log", "actor_hash")
