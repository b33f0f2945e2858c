"""The homepage web chat: a second channel beside Telegram, through the same conversation and use cases."""
