"""What the web channel's handlers share, built once by the process (charterdesk/assembly.py)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from conversation.turns import Desk
from desk.delivery import Deliverer
from infra.database import Store
from infra.sealing import Sealer
from nlu.classifier import Classifier
from web.limits import Limiter
from web.notifier import Notifier

# Telegram's path takes 1 MiB per update (WEBHOOK_MAX_BODY); a web message is text only, Telegram's
# own 4,096 characters, so a few times that in UTF-8 and JSON escapes is plenty.
MAX_BODY = 32_768
MAX_TEXT_CHARS = 4096


@dataclass
class WebDeps:
    """Store, desk, classifier and sealer of the process; the web channel's own deliverer, wakeups and limits."""

    store: Store
    desk: Desk
    classifier: Classifier
    sealer: Sealer
    deliverer: Deliverer
    notifier: Notifier
    clock: Callable[[], datetime]
    limiter: Limiter = field(default_factory=Limiter)
    max_body: int = MAX_BODY
    mail_offered: bool = False  # an SMTP server is set: the panel offers the "answer waiting" e-mail
    # Seconds between two reads of the feed by an open stream when nothing woke it (another process wrote).
    poll_seconds: float = 2.0
