"""intake organisation: a stored Telegram update is known by its organisation's bot and its update id

Revision ID: 0018_intake_organisation
Revises: 0017_outbox_organisation

Update ids are counted per bot: two organisations' bots hand out the same ids, so the intake table's key
becomes (organisation_id, update_id); the updates stored so far are organisation 1's (the only bot there was).
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_intake_organisation"
down_revision = "0017_outbox_organisation"
branch_labels = None
depends_on = None

FIRST = 1


def upgrade() -> None:
    """organisation_id on intake_updates (every stored update in organisation 1), in the primary key."""
    with op.batch_alter_table("intake_updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("organisation_id", sa.Integer(), nullable=False, server_default=sa.text(str(FIRST)))
        )
        batch_op.create_foreign_key(
            op.f("fk_intake_updates_organisation_id_organisations"), "organisations", ["organisation_id"], ["id"]
        )
        batch_op.drop_constraint("pk_intake_updates", type_="primary")
    with op.batch_alter_table("intake_updates", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.Integer(), server_default=None)
        batch_op.create_primary_key("pk_intake_updates", ["organisation_id", "update_id"])


def downgrade() -> None:
    """Back to update ids of one bot; refused while another organisation's updates are stored."""
    others = op.get_bind().execute(
        sa.text(f"SELECT count(*) FROM intake_updates WHERE organisation_id <> {FIRST}")
    ).scalar()
    if others:
        raise RuntimeError(f"{others} stored update(s) of other organisations' bots: their ids could collide")
    with op.batch_alter_table("intake_updates", schema=None) as batch_op:
        batch_op.drop_constraint("pk_intake_updates", type_="primary")
        batch_op.drop_constraint("fk_intake_updates_organisation_id_organisations", type_="foreignkey")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("intake_updates", schema=None) as batch_op:
        batch_op.create_primary_key("pk_intake_updates", ["update_id"])
