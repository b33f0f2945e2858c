"""web chat: visitors (a hashed random token each) and the conversation lines their panels show

Revision ID: 0010_web
Revises: 0009_replicas
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_web"
down_revision = "0009_replicas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create web_visitors and web_feed."""
    op.create_table(
        "web_visitors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "web_feed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("visitor_id", sa.Integer(), sa.ForeignKey("web_visitors.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_feed_visitor_id_id", "web_feed", ["visitor_id", "id"])


def downgrade() -> None:
    """Drop the web chat's tables."""
    op.drop_index("ix_web_feed_visitor_id_id", table_name="web_feed")
    op.drop_table("web_feed")
    op.drop_table("web_visitors")
