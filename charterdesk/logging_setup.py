"""Logging of every long-running command, configured here once: text for people, JSON lines for collectors.

JSON mode (`--log-json` or CHARTERDESK_LOG_FORMAT=json) writes one object per line to stderr:
`time` (UTC, ISO 8601), `level`, `logger`, `message`, any `extra={...}` fields, and `exception`
with the traceback. Bot tokens are masked in both modes: library loggers put Bot API URLs
(which contain the token) into their messages and tracebacks.
"""

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
FORMAT_VARIABLE = "CHARTERDESK_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# One line per HTTP request drowns everything else (and httpx's lines carry the token-bearing URL).
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler.executors.default", "aiohttp.access")
# Servers that install their own handlers (uvicorn's default log config) are routed through ours.
ADOPTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# A Telegram bot token: the bot's numeric id, a colon, ~35 URL-safe characters.
_TOKEN = re.compile(r"(?<![0-9])([0-9]{5,}):[A-Za-z0-9_-]{30,}(?![A-Za-z0-9_-])")
# Every attribute a LogRecord has of its own; anything else on a record came from `extra=`
# (except uvicorn's copy of the message with terminal colour codes).
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


def mask_tokens(text: str) -> str:
    """The text with every bot token's secret part replaced by ***."""
    return _TOKEN.sub(r"\1:***", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single-line JSON object."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_tokens(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = mask_tokens(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_tokens(record.exc_text)
        if record.stack_info:
            entry["stack"] = mask_tokens(self.formatStack(record.stack_info))
        # default=str: an extra field that JSON cannot hold (a datetime, a Path) is written as text.
        return json.dumps(entry, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    """The plain text format, tokens masked."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one text line (plus any traceback)."""
        return mask_tokens(super().format(record))


def log_format(*, json_flag: bool = False) -> str:
    """`json` if the flag or CHARTERDESK_LOG_FORMAT (environment or .env) asks for it, else `text`."""
    if json_flag:
        return "json"
    chosen = os.environ.get(FORMAT_VARIABLE) or _from_dotenv()
    return "json" if (chosen or "").strip().lower() == "json" else "text"


def configure_logging(format_name: str = "text", *, level: int = logging.INFO) -> None:
    """Send all logging to stderr in the given format; call once, before anything logs."""
    if format_name not in FORMATS:
        raise ValueError(f"log format must be one of {FORMATS}, not {format_name!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if format_name == "json" else MaskingFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ADOPTED_LOGGERS:
        adopt(logging.getLogger(name))
    # Warnings (deprecations from libraries) go through logging too, so JSON mode stays JSON.
    logging.captureWarnings(True)


def adopt(logger: logging.Logger) -> None:
    """Make a library logger that brought its own handlers write through the root's instead."""
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.propagate = True


def _from_dotenv() -> str | None:
    """CHARTERDESK_LOG_FORMAT from ./.env, as charterdesk.settings.Settings would read it."""
    try:
        from dotenv import dotenv_values
    except ImportError:  # pydantic-settings brings python-dotenv; without it, the environment decides
        return None
    return dotenv_values(".env").get(FORMAT_VARIABLE)
