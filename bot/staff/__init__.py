"""The staff console in Telegram: commands, replies to ticket cards, and card buttons."""

from bot.staff.handlers import BUTTON_PATTERN, COMMANDS, on_button, on_card_reply, on_command
from bot.staff.roster import ROSTER_KEY, StaffOnly, StaffRoster, keep_roster_fresh

__all__ = [
    "BUTTON_PATTERN",
    "COMMANDS",
    "ROSTER_KEY",
    "StaffOnly",
    "StaffRoster",
    "keep_roster_fresh",
    "on_button",
    "on_card_reply",
    "on_command",
]
