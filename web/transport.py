"""The outbox's way to a web visitor: a delivered row becomes a line of the visitor's feed.

`ChannelRouter` is the one transport the deliverer holds when both channels run: rows for web
visitors' chat ids go to the feed, every other row (citizens on Telegram, the staff chat) to Telegram.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from desk.channels import WEB_CHAT_BASE, Channel, channel_of
from desk.outbox import Delivery, Outgoing, Transport
from infra.database import Store
from web import feed
from web.mail import Notices
from web.notifier import Notifier

log = logging.getLogger(__name__)


class WebTransport:
    """Writes outbox rows for web visitors into their feeds."""

    def __init__(self, store: Store, notifier: Notifier, *, clock: Callable[[], datetime],
                 notices: Notices | None = None) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock
        # Set on the transport of the dispatcher and of staff's handlers (what reaches a visitor who is away);
        # never on the one answering the visitor's own message.
        self.notices = notices

    async def send(self, message: Outgoing) -> Delivery:
        """Add the row to its visitor's feed; the database being away is a retry, never a loss."""
        visitor_id = message.chat_id - WEB_CHAT_BASE
        buttons = message.reply_markup if isinstance(message.reply_markup, list) else None
        try:
            async with self.store.unit_of_work() as session:
                added = await feed.add(session=session, visitor_id=visitor_id, author="desk", text=message.text,
                                       buttons=buttons, outbox_id=message.id, now=self.clock())
        except Exception as exc:
            log.warning("web feed: could not add outbox row %s", message.id, exc_info=True)
            return Delivery("retry", reason=f"web feed: {type(exc).__name__}")
        self.notifier.wake(visitor_id)
        # A row sent again after a crash (desk/outbox.py resendable) may find its line written: no second e-mail.
        if self.notices is not None and added:
            try:
                await self.notices.answer_waiting(visitor_id)
            except Exception:
                log.warning("web chat: the e-mail notice failed", exc_info=True)  # the line is delivered either way
        return Delivery("sent")


class ChannelRouter:
    """One transport for the deliverer: each row goes out through its chat's channel."""

    def __init__(self, telegram: Transport, web: WebTransport) -> None:
        self.by_channel: dict[Channel, Transport] = {Channel.TELEGRAM: telegram, Channel.WEB: web}

    async def send(self, message: Outgoing) -> Delivery:
        """Send through the channel of the row's chat."""
        return await self.by_channel[channel_of(message.chat_id)].send(message)
