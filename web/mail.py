"""The web chat's e-mail notice: "an answer is waiting for you", to a visitor who gave an address.

Never the answer itself, and at most one notice per visitor in NOTICE_EVERY. Sent through the SMTP server
named in the settings (SMTP_HOST); a mail server that is away costs the notice, never the answer.
"""

import asyncio
import logging
import re
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from conversation.turns import Desk
from desk.tickets import service
from infra.database import Store
from web.visitors import WebVisitor

log = logging.getLogger(__name__)

NOTICE_EVERY = timedelta(hours=1)
SMTP_TIMEOUT_SECONDS = 10
MAX_ADDRESS_CHARS = 254
# Enough to catch a typo; the mail server is the judge of the rest.
_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+$")


def valid_address(address: str) -> bool:
    """Whether `address` looks like an e-mail address we may write to."""
    return len(address) <= MAX_ADDRESS_CHARS and _ADDRESS.match(address) is not None


class Mailer:
    """Writes notices through one SMTP server."""

    def __init__(self, *, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    async def send(self, *, to: str, subject: str, body: str) -> None:
        """Hand one plain-text mail to the server (smtplib, off the event loop)."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(message)


class Notices:
    """Sends the "answer waiting" notice when a line reaches a visitor's feed while they are away."""

    def __init__(self, store: Store, desk: Desk, mailer: Mailer, *, clock: Callable[[], datetime]) -> None:
        self.store, self.desk, self.mailer, self.clock = store, desk, mailer, clock

    async def answer_waiting(self, visitor_id: int) -> bool:
        """Notify the visitor if they gave an address and were not told within NOTICE_EVERY; True if sent."""
        now = self.clock()
        async with self.store.unit_of_work() as session:
            visitor = await session.get(WebVisitor, visitor_id)
            if visitor is None or not visitor.email:
                return False
            if visitor.notified_at is not None and now - visitor.notified_at < NOTICE_EVERY:
                return False
            # Marked first: a second line arriving meanwhile must not send a second notice.
            visitor.notified_at = now
            address = visitor.email
            citizen = await service.get_citizen(
                session=session, organisation_id=self.desk.organisation_id, chat_id=visitor.chat_id
            )
            language = citizen.language if citizen else self.desk.charter.languages[0]
        known = self.desk.known()
        subject = self.desk.render("utter_mail_answer_waiting_subject", language, **known)
        body = self.desk.render("utter_mail_answer_waiting_body", language, **known)
        try:
            # Outside the transaction: a slow mail server must not hold the database.
            await self.mailer.send(to=address, subject=subject, body=body)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("web chat: the e-mail notice could not be sent (%s)", type(exc).__name__)
            return False
        return True
