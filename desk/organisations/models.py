"""The organisation row: one facility the deployment serves, named by a short slug, run by its charter file."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from infra.columns import Base, UTCDateTime

# The deployment's own charter (CHARTER_FILE): migration 0014 creates it and moves every older row into it.
FIRST_ORGANISATION = 1
# What migration 0014 names organisation 1 until the app, at start-up, gives it CHARTER_FILE's name and path.
PLACEHOLDER_SLUG = "main"
PLACEHOLDER_NAME = ""
# Every organisation's first ticket is I-1001 (desk/tickets/models.py FIRST_NUMBER).
FIRST_TICKET_NUMBER = 1001


class Organisation(Base):
    """A facility: its slug (in `/telegram/<slug>` and `?start=<slug>`), its name and its charter file."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(Text)
    # The path as the operator gave it; read at start-up, so a charter edit needs no database change.
    charter_file: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A disabled organisation keeps its rows (reports, retention) but takes no new messages.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The number its next ticket gets (desk/tickets/numbers.py takes it and moves it on in one UPDATE).
    next_ticket_number: Mapped[int] = mapped_column(
        Integer, default=FIRST_TICKET_NUMBER, server_default=str(FIRST_TICKET_NUMBER)
    )

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def organisation_column(*, index: bool = False) -> Mapped[int]:
    """The organisation a row belongs to (NOT NULL): every query for one organisation filters by it."""
    return mapped_column(ForeignKey("organisations.id"), index=index)
