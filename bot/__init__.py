"""python-telegram-bot wiring: application, citizen handlers, transport."""

import os

# PTB 22 reports RetryAfter.retry_after as a timedelta only when asked to; ints are deprecated.
os.environ.setdefault("PTB_TIMEDELTA", "1")
