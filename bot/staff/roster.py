"""Who is staff, held in memory for PTB filters (which cannot wait for the database)."""

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from telegram import Message, Update
from telegram.ext import ContextTypes, filters

from bot.deps import deps_of
from bot.staff.menu import set_staff_menu
from desk.staff import service
from desk.staff.access import NEVER_STAFF
from infra.database import Store

log = logging.getLogger(__name__)

ROSTER_KEY = "staff_roster"
# Another bot process may change the registry: look again this often.
REFRESH = timedelta(seconds=60)


class StaffRoster:
    """Telegram ids of active staff; only routes /help, authorisation always asks the database."""

    def __init__(self) -> None:
        self.ids: frozenset[int] = frozenset()
        self.loaded_at: datetime | None = None
        self.menu_set = False  # the staff chat's command menu, set along with the first load

    def stale(self, now: datetime) -> bool:
        return self.loaded_at is None or now - self.loaded_at > REFRESH

    async def reload(self, store: Store, now: datetime, *, organisation_id: int) -> None:
        """Read the organisation's registry again."""
        async with store.unit_of_work() as session:
            self.ids = frozenset(await service.active_ids(session=session, organisation_id=organisation_id))
        self.loaded_at = now


class StaffOnly(filters.MessageFilter):
    """Messages written by a staff member as themselves (not as a group or channel)."""

    def __init__(self, roster: StaffRoster) -> None:
        super().__init__(name="StaffOnly")
        self.roster = roster

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or message.sender_chat is not None or user.id in NEVER_STAFF:
            return False
        return user.id in self.roster.ids


async def keep_roster_fresh(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before any handler looks at an update: load the roster at start and refresh it when stale."""
    deps = deps_of(context)
    roster: StaffRoster = context.bot_data[ROSTER_KEY]
    now = deps.clock()
    if not roster.stale(now):
        return
    try:
        await roster.reload(deps.store, now, organisation_id=deps.desk.organisation_id)
    except (SQLAlchemyError, OSError):
        # Only /help routing depends on it; the next update tries again.
        log.warning("could not refresh the staff roster", exc_info=True)
    if not roster.menu_set:
        roster.menu_set = await set_staff_menu(context.bot, deps.desk)
