"""Receipt codes of anonymous complaints: 16 digits, stored only as an Argon2 hash.

Finding a receipt must not mean checking every hash. The first LOOKUP_DIGITS digits of a code are
a non-secret bucket number, stored in clear and indexed; the other SECRET_DIGITS are the secret.
/status CODE reads the receipts of that bucket (one or two) and verifies the whole code against
each Argon2id hash. We chose this over an HMAC index of the code: an HMAC lets whoever holds the
database and the data key test guesses at hash speed (10^16 codes are days of GPU work), while a
bucket number gives nothing away and leaves every guess at Argon2 cost (10^11 per receipt).
"""

import asyncio
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from infra.columns import Base
from desk.tickets.models import Ticket

CODE_DIGITS = 16
LOOKUP_DIGITS = 5
SECRET_DIGITS = CODE_DIGITS - LOOKUP_DIGITS
# argon2-cffi's defaults: RFC 9106's second recommended (low-memory) profile, Argon2id.
_HASHER = PasswordHasher()
_SEPARATORS = re.compile(r"[\s\-–—.]+")


class Receipt(Base):
    """What ties an anonymous complaint to its code, and to a reply channel only if the sender sealed one."""

    __tablename__ = "anonymous_receipts"
    # No organisation_id: a receipt is found by its code joined to its ticket, whose organisation it is.

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lookup: Mapped[str] = mapped_column(String(LOOKUP_DIGITS), index=True)
    code_hash: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    # AES-GCM of the chat id under the data key, set only when the sender asked to be told here.
    sealed_chat: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The last answer (ticket entry id) pushed through the sealed channel.
    pushed_entry_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def new_code() -> str:
    """A fresh random 16-digit receipt code."""
    return "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))


def parse_code(text: str) -> str | None:
    """The 16 digits of a typed code ('1234 5678-9012 3456'), or None if it is not one."""
    digits = _SEPARATORS.sub("", text or "")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


def looks_like_code(text: str) -> bool:
    """Digits only (with separators): meant as a code, even if of the wrong length."""
    digits = _SEPARATORS.sub("", text or "")
    return bool(digits) and digits.isascii() and digits.isdigit()


def display(code: str) -> str:
    """The code as people copy it: four groups of four."""
    return " ".join(code[i : i + 4] for i in range(0, CODE_DIGITS, 4))


def purpose_of(receipt: Receipt) -> str:
    """The sealing purpose of a receipt's chat: a sealed chat opens only for its own receipt."""
    return f"receipt-chat:{receipt.ticket_id}"


async def issue(*, session: AsyncSession, ticket_id: int) -> tuple[Receipt, str]:
    """A receipt for a new anonymous ticket and its code (the code is returned once, never stored)."""
    code = new_code()
    # Argon2 is deliberately slow: keep it off the event loop.
    code_hash = await asyncio.to_thread(_HASHER.hash, code)
    receipt = Receipt(lookup=code[:LOOKUP_DIGITS], code_hash=code_hash, ticket_id=ticket_id)
    session.add(receipt)
    await session.flush()
    return receipt, code


async def find(*, session: AsyncSession, organisation_id: int, code: str) -> Receipt | None:
    """The organisation's receipt whose code this is, or None; only the code's bucket is checked."""
    bucket_of = (
        select(Receipt)
        .join(Ticket, Ticket.id == Receipt.ticket_id)
        .where(Ticket.organisation_id == organisation_id, Receipt.lookup == code[:LOOKUP_DIGITS])
    )
    bucket = (await session.scalars(bucket_of)).all()
    for receipt in bucket:
        if await asyncio.to_thread(_matches, receipt.code_hash, code):
            return receipt
    return None


async def for_ticket(*, session: AsyncSession, ticket_id: int) -> Receipt | None:
    """The receipt of an anonymous ticket."""
    return await session.scalar(select(Receipt).where(Receipt.ticket_id == ticket_id))


async def close_channel(*, session: AsyncSession, ticket_id: int) -> bool:
    """The ticket closed: delete its sealed chat, unless answers still wait to be pushed through it
    (then the push sweep deletes it right after pushing them). True if it was deleted now."""
    from desk.tickets.entries import REPLY_KINDS
    from desk.tickets.models import TicketEntry

    receipt = await for_ticket(session=session, ticket_id=ticket_id)
    if receipt is None or receipt.sealed_chat is None:
        return False
    unpushed = select(TicketEntry.id).where(
        TicketEntry.ticket_id == ticket_id, TicketEntry.kind.in_(REPLY_KINDS), TicketEntry.id > receipt.pushed_entry_id
    )
    if await session.scalar(unpushed.limit(1)) is not None:
        return False
    receipt.sealed_chat = None
    return True


def _matches(code_hash: str, code: str) -> bool:
    try:
        return _HASHER.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False
