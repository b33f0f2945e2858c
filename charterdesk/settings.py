"""Settings: read once at start-up from the environment (or a `.env` file) and passed down."""

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///charterdesk.db"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"
# Per-organisation variables: the organisation's slug, upper-cased with "-" as "_", after the prefix.
TOKEN_PREFIX = "TELEGRAM_BOT_TOKEN_"
API_URL_PREFIX = "TELEGRAM_API_URL_"
WEBHOOK_SECRET_PREFIX = "WEBHOOK_SECRET_"
FILE_SUFFIX = "_FILE"
_SUFFIX = re.compile(r"[A-Z0-9][A-Z0-9_]*")


class TokenError(Exception):
    """An organisation's bot token cannot be read, with a message for the operator."""


def env_suffix(slug: str) -> str:
    """How an organisation's slug ends its variables' names: `szeged-north` -> `SZEGED_NORTH`."""
    return slug.upper().replace("-", "_")


def _per_organisation(environ: Mapping[str, str | None], prefix: str) -> dict[str, str]:
    return {
        name[len(prefix):]: value
        for name, value in environ.items()
        if name.startswith(prefix) and value and _SUFFIX.fullmatch(name[len(prefix):])
    }


class Settings(BaseSettings):
    """Every knob of a Charterdesk process; names are the fixed environment interface."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    telegram_bot_token: str = Field(default="", validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default=DEFAULT_TELEGRAM_API_URL, validation_alias="TELEGRAM_API_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    charter_file: Path = Field(default=Path("charter.yml"), validation_alias="CHARTER_FILE")
    rasa_url: str | None = Field(default=None, validation_alias="RASA_URL")
    webhook_url: str | None = Field(default=None, validation_alias="WEBHOOK_URL")
    webhook_secret: str | None = Field(default=None, validation_alias="WEBHOOK_SECRET")
    key_file: Path = Field(default=Path("charterdesk.key"), validation_alias="CHARTERDESK_KEY_FILE")
    # Telegram allows a bot about 30 messages a second in all; more only with paid broadcasts.
    telegram_overall_rate: float = Field(default=30.0, gt=0, validation_alias="TELEGRAM_OVERALL_RATE")
    # How often the scheduler looks for outbox rows nobody delivered (crash, lost lease).
    dispatch_interval_seconds: float = Field(default=2.0, validation_alias="CHARTERDESK_DISPATCH_INTERVAL")
    # How often the deadline sweep looks for reminders, breaches and appointments that are due.
    sweep_interval_seconds: float = Field(default=30.0, gt=0, validation_alias="CHARTERDESK_SWEEP_INTERVAL")
    # How long a claimed outbox row (or intake update) is protected from other dispatchers (bot replicas);
    # must outlast one send. A dead replica's claims wait this long for another.
    lease_seconds: float = Field(default=60.0, gt=0, validation_alias="CHARTERDESK_LEASE_SECONDS")
    # Telegram's flood limits (lower them to share one bot between several scheduler processes).
    send_per_second: float = Field(default=30.0, gt=0, validation_alias="CHARTERDESK_SEND_PER_SECOND")
    chat_interval_seconds: float = Field(default=1.0, ge=0, validation_alias="CHARTERDESK_CHAT_INTERVAL")
    group_per_minute: float = Field(default=20.0, gt=0, validation_alias="CHARTERDESK_GROUP_PER_MINUTE")
    # Wrong receipt codes all chats together may try per minute before every code check pauses (issue 18).
    code_guesses_per_minute: int = Field(default=30, gt=0, validation_alias="CHARTERDESK_CODE_GUESSES_PER_MINUTE")
    # Deployment: `json` writes one JSON object per log line (charterdesk/logging_setup.py reads it first).
    log_format: Literal["text", "json"] = Field(default="text", validation_alias="CHARTERDESK_LOG_FORMAT")
    # == webhook server ==
    # Where the webhook server listens (behind a reverse proxy that terminates TLS, or 0.0.0.0 in a container).
    webhook_listen: str = Field(default="127.0.0.1", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=0, le=65535, validation_alias="WEBHOOK_PORT")
    # Telegram's updates are a few kB; anything bigger than this is refused (413) before it is read whole.
    webhook_max_body: int = Field(default=1_048_576, gt=0, validation_alias="WEBHOOK_MAX_BODY")
    # A process without the webhook server (scheduler, polling bot) serves /healthz and /metrics here if set.
    metrics_port: int | None = Field(default=None, ge=0, le=65535, validation_alias="CHARTERDESK_METRICS_PORT")
    # == the web chat's e-mail notice ("an answer is waiting"; never the answer itself) ==
    # Unset: the panel offers no e-mail notice.
    smtp_host: str | None = Field(default=None, validation_alias="SMTP_HOST")
    smtp_port: int = Field(default=25, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_from: str = Field(default="charterdesk@localhost", validation_alias="SMTP_FROM")
    # == other organisations' bots (organisation 1 keeps TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL) ==
    # Env suffix (settings.env_suffix of the slug) -> TELEGRAM_BOT_TOKEN_<SUFFIX>, or the path in
    # TELEGRAM_BOT_TOKEN_<SUFFIX>_FILE (a secret mounted as a file); read from the environment and .env.
    organisation_tokens: dict[str, str] = Field(default_factory=dict, exclude=True)
    organisation_token_files: dict[str, Path] = Field(default_factory=dict, exclude=True)
    # TELEGRAM_API_URL_<SUFFIX>: a bot on a Bot API server of its own (self-hosted; the sandbox in tests).
    organisation_api_urls: dict[str, str] = Field(default_factory=dict, exclude=True)
    # WEBHOOK_SECRET_<SUFFIX>: the secret Telegram sends with the organisation's updates (webhook mode); unset,
    # one is derived from the key file (charterdesk/webhook.py derived_secret).
    organisation_webhook_secrets: dict[str, str] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="after")
    def _read_per_organisation(self) -> "Settings":
        # Names that depend on the organisations in the database cannot be fields: collected by prefix.
        given = {"organisation_tokens", "organisation_token_files", "organisation_api_urls",
                 "organisation_webhook_secrets"} & self.model_fields_set
        if given:
            return self  # given explicitly (tests)
        dotenv = self.model_config.get("env_file")
        environ = {**(dotenv_values(dotenv) if dotenv and Path(dotenv).is_file() else {}), **os.environ}
        tokens = _per_organisation(environ, TOKEN_PREFIX)
        self.organisation_token_files = {
            suffix[: -len(FILE_SUFFIX)]: Path(value) for suffix, value in tokens.items() if suffix.endswith(FILE_SUFFIX)
        }
        self.organisation_tokens = {s: v for s, v in tokens.items() if not s.endswith(FILE_SUFFIX)}
        self.organisation_api_urls = _per_organisation(environ, API_URL_PREFIX)
        self.organisation_webhook_secrets = _per_organisation(environ, WEBHOOK_SECRET_PREFIX)
        return self

    def bot_token(self, slug: str, *, first: bool = False) -> str:
        """The bot token of an organisation ("" if none is configured); TokenError if its file cannot be read.
        `first`: organisation 1, whose token is TELEGRAM_BOT_TOKEN."""
        if first:
            return self.telegram_bot_token
        suffix = env_suffix(slug)
        if token := self.organisation_tokens.get(suffix):
            return token.strip()
        path = self.organisation_token_files.get(suffix)
        if path is None:
            return ""
        try:
            return path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenError(f"{TOKEN_PREFIX}{suffix}{FILE_SUFFIX}: cannot read {path}: {exc}") from exc

    def bot_api_url(self, slug: str, *, first: bool = False) -> str:
        """The Bot API base of an organisation's bot (TELEGRAM_API_URL unless it has its own)."""
        if first:
            return self.telegram_api_url
        return self.organisation_api_urls.get(env_suffix(slug), self.telegram_api_url)
