"""Errors the command line turns into one readable line."""


class StartupError(Exception):
    """Start-up cannot go on; the message tells the operator what to fix."""
