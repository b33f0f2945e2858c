"""web_feed_once: a web answer is written into its visitor's feed at most once (unique outbox_id)

The outbox re-sends a web row whose send was marked but never recorded (desk/outbox.py), which is safe
only because the feed takes each outbox row once. The link is cleared when its outbox row is deleted
(the anonymous path deletes its rows, and SQLite may then hand the same id to a new row).

Revision ID: 0013_web_feed_once
Revises: 0012_senders
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_web_feed_once"
down_revision = "0012_senders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Unlink lines whose outbox row is gone or that share it with a later line; then unique and linked."""
    op.execute(
        "UPDATE web_feed SET outbox_id = NULL WHERE outbox_id IS NOT NULL AND ("
        " NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.id = web_feed.outbox_id)"
        " OR id < (SELECT max(later.id) FROM web_feed later WHERE later.outbox_id = web_feed.outbox_id))"
    )
    with op.batch_alter_table("web_feed") as batch:
        batch.create_unique_constraint("uq_web_feed_outbox_id", ["outbox_id"])
        batch.create_foreign_key("fk_web_feed_outbox_id_outbox", "outbox", ["outbox_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade() -> None:
    """Back to an unlinked, non-unique outbox_id."""
    with op.batch_alter_table("web_feed") as batch:
        batch.drop_constraint("fk_web_feed_outbox_id_outbox", type_="foreignkey")
        batch.drop_constraint("uq_web_feed_outbox_id", type_="unique")
