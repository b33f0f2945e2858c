"""A local stand-in for Telegram's Bot API, with a web chat page, for demos and tests."""

from .server import Sandbox

__all__ = ["Sandbox"]
