"""Who is asking, and what each staff role may do. Authorisation is by Telegram user id only."""

from dataclasses import dataclass

# Ids Telegram puts in `from` when the real author is hidden: an anonymous group admin writing as
# the group (GroupAnonymousBot), a post on behalf of a channel (Channel_Bot), and Telegram's own
# service account (forwards from a linked channel). Whoever is behind them is unknown.
ANONYMOUS_ADMIN_ID = 1087968824
CHANNEL_BOT_ID = 136817688
TELEGRAM_SERVICE_ID = 777000
NEVER_STAFF = frozenset({ANONYMOUS_ADMIN_ID, CHANNEL_BOT_ID, TELEGRAM_SERVICE_ID})

# An agency officer (of the parent body that runs the deployment) is an officer in its own organisation's
# desk, and besides may see every facility side by side (/agency), which no other role may, whatever its rank.
AGENCY = "agency"
ROLE_RANK = {"agent": 1, "officer": 2, AGENCY: 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    """The person behind one update, as the transport saw them."""

    user_id: int
    name: str = ""
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    # The message was sent on behalf of a chat (anonymous admin, channel): its author is unknown.
    sender_chat: bool = False

    @property
    def hidden(self) -> bool:
        """Whether the real author is hidden behind a chat, a bot or a Telegram service id."""
        return self.sender_chat or self.is_bot or self.user_id in NEVER_STAFF


def may(role: str, needed: str) -> bool:
    """Whether a member with `role` may do what needs `needed` (agent < officer = agency < admin; what needs
    agency, only agency)."""
    if needed == AGENCY:
        return role == AGENCY
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[needed]


def member_language(language_code: str | None, *, speakable: tuple[str, ...], default: str) -> str:
    """The staff member's Telegram language if the bot speaks it, else the charter's first language."""
    hint = (language_code or "").split("-")[0].lower()
    return hint if hint in speakable else default
