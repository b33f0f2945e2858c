"""Join the four 0003 branches (citizen, scheduler, staff, surveys) into one head.

Revision ID: 0004
Revises: 0003_citizen, 0003_scheduler, 0003_staff, 0003_surveys
"""

revision = "0004"
down_revision = ("0003_citizen", "0003_scheduler", "0003_staff", "0003_surveys")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the branches touch different tables."""


def downgrade() -> None:
    """Nothing to undo."""
