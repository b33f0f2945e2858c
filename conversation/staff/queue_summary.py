"""The live queue summary: one message in the staff chat, kept up to date by editing it.

It is posted when a burst starts (the first digest after a quiet spell) and then edited at most every
REFRESH_SECONDS while its figures change. Edits count against the group's flood limit like messages,
so each waits for its turn in the same pacing as the outbox's sends.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from desk import digests, outbox
from desk.delivery import Pacing
from desk.staff import queue_counts
from infra.database import Store

if TYPE_CHECKING:
    from conversation.citizen.flows import Desk

log = logging.getLogger(__name__)

# Four edits a minute at most: a fifth of a group's 20 messages, the rest stays for cards and digests.
REFRESH_SECONDS = 15.0
# "Due soon" means within this long.
SOON = timedelta(hours=24)
# A summary older than this is buried in the chat: the next burst posts a fresh one.
REPOST_AFTER = timedelta(hours=1)


class Editor(Protocol):
    """Changes the text of a message the bot sent (Telegram's editMessageText, in production)."""

    async def edit_text(self, *, chat_id: int, message_id: int, text: str) -> outbox.Delivery: ...


def render(desk: "Desk", figures: queue_counts.QueueCounts, now: datetime, language: str) -> str:
    """The summary's text in the staff chat's language."""
    return desk.texts.render(
        "utter_staff_queue_summary", language, at=desk.moment(now, language), new=figures.new, open=figures.open,
        due_soon=figures.due_soon, soon_hours=int(SOON.total_seconds() // 3600),
        latest=figures.latest.number if figures.latest is not None else "—",
    )


async def post_if_stale(session: AsyncSession, desk: "Desk", now: datetime) -> outbox.Outgoing | None:
    """Promise a fresh summary to the staff chat unless a recent one is there to be edited."""
    chat_id = desk.charter.staff_chat_id
    last = await digests.latest_summary(session, chat_id=chat_id)
    if last is not None and last.created_at > now - REPOST_AFTER:
        return None
    figures = await queue_counts.count(session, organisation_id=desk.organisation_id, now=now, soon=SOON)
    return await outbox.enqueue(
        session, key=f"{digests.SUMMARY_KEY}{now.isoformat()}", chat_id=chat_id,
        text=render(desk, figures, now, desk.staff_chat_language()), now=now, organisation_id=desk.organisation_id,
    )


class SummaryKeeper:
    """Edits the newest summary in the staff chat when its figures changed, in turn with other sends."""

    def __init__(
        self, store: Store, desk: "Desk", editor: Editor, *, pacing: Pacing | None, clock: Callable[[], datetime],
    ) -> None:
        self.store, self.desk, self.editor, self.pacing, self.clock = store, desk, editor, pacing, clock
        self._quiet_until = 0.0  # after a 429, no edit before this (monotonic seconds)

    async def refresh(self) -> bool:
        """One pass: edit the summary if its text would change; True if it was edited."""
        if time.monotonic() < self._quiet_until:
            return False
        chat_id, now = self.desk.charter.staff_chat_id, self.clock()
        async with self.store.unit_of_work() as session:
            last = await digests.latest_summary(session, chat_id=chat_id)
            if last is None or last.status != "sent" or last.telegram_message_id is None:
                return False
            figures = await queue_counts.count(
                session, organisation_id=self.desk.organisation_id, now=now, soon=SOON
            )
            shown, message_id, row_id = last.text, last.telegram_message_id, last.id
        text = render(self.desk, figures, now, self.desk.staff_chat_language())
        # The moment in the first line changes every minute: compare what matters, the figures.
        if text.split("\n", 1)[-1] == shown.split("\n", 1)[-1]:
            return False
        if self.pacing is not None:
            await self.pacing.wait(chat_id)
            await self.pacing.starting(chat_id)
        edited = await self.editor.edit_text(chat_id=chat_id, message_id=message_id, text=text)
        if edited.outcome == "retry":
            self._quiet_until = time.monotonic() + (edited.retry_after or REFRESH_SECONDS)
            return False
        if edited.outcome != "sent":
            log.warning("queue summary: edit failed (%s); the next pass tries again", edited.reason)
            return False
        async with self.store.unit_of_work() as session:
            row = await session.get(outbox.OutboxMessage, row_id)
            if row is not None:
                row.text = text
        return True
