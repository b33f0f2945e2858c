"""Where Charterdesk keeps what it can rebuild: the embedded model's fit, Rasa's venv and models."""

import os
from pathlib import Path


def cache_root() -> Path:
    """$CHARTERDESK_CACHE, else $XDG_CACHE_HOME/charterdesk, else ~/.cache/charterdesk."""
    explicit = os.environ.get("CHARTERDESK_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "charterdesk"
