"""digests: a new-ticket card folded into a digest names the digest that delivered it

Revision ID: 0011_digests
Revises: 0010_web
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_digests"
down_revision = "0010_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add outbox.folded_into (the digest row a folded card went out in) and its index."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("folded_into", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_outbox_folded_into", "outbox", ["folded_into"], ["id"], ondelete="SET NULL")
    op.create_index("ix_outbox_folded_into", "outbox", ["folded_into"])


def downgrade() -> None:
    """Drop folded_into."""
    op.drop_index("ix_outbox_folded_into", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_folded_into", type_="foreignkey")
        batch.drop_column("folded_into")
