"""The scheduler's periodic passes over the database; each is one call into desk/."""

import logging
from collections.abc import Callable
from datetime import datetime

from desk import outbox
from desk.store import Store

log = logging.getLogger(__name__)


async def dispatch_outbox(store: Store, transport: outbox.Transport, clock: Callable[[], datetime]) -> dict[str, int]:
    """Send every promised message that is due and not in someone else's hands."""
    counts = await outbox.dispatch_due(store, transport, clock=clock)
    if counts:
        log.info("outbox dispatch: %s", counts)
    return counts
