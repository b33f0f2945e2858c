"""What may go into a log line: personal values (texts, names, usernames, chat ids) only when asked for.

Logs travel further than the database (collectors, support tickets, screenshots) and are kept by
other rules, so a value that identifies a citizen or carries what they wrote is logged only when
CHARTERDESK_LOG_PERSONAL=1 is set for a debugging session; otherwise it reads "[hidden]".
"""

import logging
import os

PERSONAL_VARIABLE = "CHARTERDESK_LOG_PERSONAL"
HIDDEN = "[hidden]"


def personal_enabled() -> bool:
    """Whether this process was started with personal values in logs explicitly allowed."""
    return os.environ.get(PERSONAL_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def personal(value: object) -> object:
    """`value` itself when personal logging is enabled, else "[hidden]"; use for every chat id, name or text."""
    return value if personal_enabled() else HIDDEN


# Libraries that put request parameters, SQL parameters or whole updates into their DEBUG records
# (PTB logs every Bot API call with its chat_id and text; SQLAlchemy and aiosqlite log bound values).
TALKATIVE_LIBRARIES = {
    "telegram": logging.INFO,
    "httpx": logging.INFO,
    "httpcore": logging.INFO,
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "sqlalchemy.engine": logging.WARNING,
    "sqlalchemy.pool": logging.WARNING,
}


def guard_libraries() -> None:
    """Unless personal logging is enabled, keep talkative libraries above DEBUG even when the root logs DEBUG."""
    if personal_enabled():
        return
    for name, floor in TALKATIVE_LIBRARIES.items():
        logger = logging.getLogger(name)
        # Its own level, not the inherited one: a root switched to DEBUG later must not reach it.
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
