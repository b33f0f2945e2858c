"""What the Telegram handlers need, built once at start-up and kept in `application.bot_data`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram.ext import CallbackContext

from desk import outbox
from desk.delivery import Deliverer, Pacing
from desk.outbox import Transport
from infra.database import Store
from infra.sealing import Sealer
from conversation.citizen.flows import Desk
from nlu.classifier import Classifier

KEY = "charterdesk"


@dataclass
class BotDeps:
    """Store, domain, classifier, clock and the anonymous sealer; the transport and its deliverer come with the Bot."""

    store: Store
    desk: Desk
    classifier: Classifier
    clock: Callable[[], datetime]
    sealer: Sealer
    transport: Transport | None = None
    # Handlers hand their just-committed, leased outbox rows to it: answers go at once.
    deliverer: Deliverer | None = None
    # The process's flood limits (shared with its dispatcher, if any), waited for before each send is marked.
    pacing: Pacing | None = None
    # How long a send mark protects a row from other senders (CHARTERDESK_LEASE_SECONDS).
    lease: timedelta = outbox.LEASE


def deps_of(context: CallbackContext) -> BotDeps:
    """The BotDeps of the running application."""
    return context.application.bot_data[KEY]
