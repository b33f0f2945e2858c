"""What the Telegram side needs to know of the settings, handed over by the process that starts it."""

from dataclasses import dataclass

DEFAULT_API_URL = "https://api.telegram.org/bot"


@dataclass(frozen=True)
class BotConfig:
    """The bot's token, the Bot API it talks to, and Telegram's overall flood limit."""

    token: str
    api_url: str = DEFAULT_API_URL
    # Telegram allows a bot about 30 messages a second in all; more only with paid broadcasts.
    overall_rate: float = 30.0
