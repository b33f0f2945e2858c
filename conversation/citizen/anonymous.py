"""Anonymous complaints: take one without keeping who sent it, answer /status CODE, and the sealed push channel.

Nothing on this path stores the sender next to the complaint:
- the ticket has no citizen; the receipt holds an Argon2 hash of the code and, only if the sender
  asked for it, their chat id sealed with AES-GCM;
- the idempotency record of each message on this path has chat id 0 and a keyed hash of (chat,
  message) instead of the message id, and is deleted after a day (Telegram redelivers within hours);
- outbox rows on this path carry no ticket id, a random key, and are deleted once delivered;
- the pending "/anonymous" and wrong-code attempts name the chat only by a keyed hash.
"""

import secrets
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.anonymous import receipts
from desk import outbox
from conversation.citizen import surveys
from infra.sealing import Sealer, SealingError
from desk.anonymous.traces import ANONYMOUS_CHAT, OUTBOX_PREFIX, forget_old_inbound
from desk.anonymous.attempts import (
    CODE_CHECKS, WRONG_CODE, WRONG_CODE_LIMIT, WRONG_CODE_WINDOW, GuessBudget, attempts_everywhere, count_attempt,
    is_throttled,
)
from desk.tickets import entries, lifecycle, questions, service
from desk.surveys import is_rated
from desk.tickets.enums import Category, TicketStatus
from conversation import replies
from conversation.buttons import Button, DeclineSeal, SealChannel
from conversation.citizen import status
from conversation.staff.cards import enqueue_staff_card
from conversation.citizen.messages import is_empty
from desk.tickets.models import Ticket, TicketEntry
from desk.tickets.questions import Question
from conversation.turns import Answer, Desk, Turn


def chat_key(sealer: Sealer, chat_id: int) -> str:
    """The keyed hash a pending /anonymous names its chat by (desk/chat_state.py looks for it)."""
    return sealer.keyed_hash(chat_id, purpose="anonymous-chat")


async def _begin(session: AsyncSession, desk: Desk, sealer: Sealer, *, chat_id: int, message_id: int | None,
                 received_at: datetime, language: str, now: datetime) -> Turn | None:
    """Record the message under a keyed hash (None if seen before); a turn whose rows carry no chat link."""
    if message_id is not None:
        hashed = int(sealer.keyed_hash(chat_id, message_id, purpose="anonymous-inbound")[:15], 16)
        if (
            await service.record_inbound(
                session=session, organisation_id=desk.organisation_id, chat_id=ANONYMOUS_CHAT,
                message_id=hashed, received_at=received_at,
            )
            is None
        ):
            return None
    await forget_old_inbound(session=session, now=now)
    turn = Turn(session=session, desk=desk, now=now, chat_id=chat_id, language=language,
                key=OUTBOX_PREFIX + secrets.token_hex(16))
    turn.ephemeral = True
    return turn


async def is_waiting(*, session: AsyncSession, organisation_id: int, sealer: Sealer, chat_id: int) -> bool:
    """Whether this chat said /anonymous and we wait for the complaint."""
    return await questions.anonymous_waiting(
        session=session, organisation_id=organisation_id, chat_key=chat_key(sealer, chat_id)
    ) is not None


async def explain(*, session: AsyncSession, desk: Desk, sealer: Sealer, chat_id: int, message_id: int,
                  received_at: datetime, language: str, now: datetime) -> Answer:
    """/anonymous: say plainly what anonymity means here, and wait for the complaint."""
    turn = await _begin(session, desk, sealer, chat_id=chat_id, message_id=message_id, received_at=received_at,
                        language=language, now=now)
    if turn is None:
        return Answer(duplicate=True)
    if not desk.charter.anonymous_complaints:
        await turn.say(turn.text("utter_anonymous_disabled"))
        return turn.answer()
    key = chat_key(sealer, chat_id)
    await questions.forget_anonymous(session=session, organisation_id=desk.organisation_id, chat_key=key)
    await questions.ask(
        session=session,
        question=Question(
            organisation_id=desk.organisation_id, kind="anonymous", chat_key=key, language=language,
            created_at=now,
        ),
    )
    await turn.say(turn.text("utter_anonymous_explain"))
    return turn.answer()


async def cancel(*, session: AsyncSession, desk: Desk, sealer: Sealer, chat_id: int, message_id: int,
                 received_at: datetime, language: str, now: datetime) -> Answer | None:
    """/cancel while we wait for an anonymous complaint; None if we were not waiting."""
    if not await questions.forget_anonymous(
        session=session, organisation_id=desk.organisation_id, chat_key=chat_key(sealer, chat_id)
    ):
        return None
    turn = await _begin(session, desk, sealer, chat_id=chat_id, message_id=message_id, received_at=received_at,
                        language=language, now=now)
    if turn is None:
        return Answer(duplicate=True)
    await turn.say(turn.text("utter_anonymous_cancelled"))
    return turn.answer()


async def take_complaint(*, session: AsyncSession, desk: Desk, sealer: Sealer, chat_id: int, message_id: int,
                         text: str, received_at: datetime, language: str, now: datetime) -> Answer:
    """The anonymous complaint itself: a ticket with no citizen, and the receipt code for the sender."""
    turn = await _begin(session, desk, sealer, chat_id=chat_id, message_id=message_id, received_at=received_at,
                        language=language, now=now)
    if turn is None:
        return Answer(duplicate=True)
    if not desk.charter.anonymous_complaints:
        await turn.say(turn.text("utter_anonymous_disabled"))
        return turn.answer()
    if is_empty(text):
        # Still waiting: the next message may be the complaint.
        await turn.say(turn.text("utter_anonymous_text_only"))
        return turn.answer()
    await questions.forget_anonymous(
        session=session, organisation_id=desk.organisation_id, chat_key=chat_key(sealer, chat_id)
    )
    ticket = await lifecycle.open_ticket(
        session=session, organisation_id=desk.organisation_id, charter=desk.charter, citizen=None,
        category=Category.COMPLAINT, language=language, text=text, received_at=received_at, anonymous=True,
    )
    due_at = ticket.due_at
    await enqueue_staff_card(session, desk, ticket, now)
    _, code = await receipts.issue(session=session, ticket_id=ticket.id)
    buttons = [[Button(turn.label("utter_button_seal"), SealChannel(code))],
               [Button(turn.label("utter_button_no_seal"), DeclineSeal())]]
    await turn.say(turn.text("utter_anonymous_receipt", number=ticket.number, code=receipts.display(code),
                             due=due_at, plain=code), buttons=buttons)
    return turn.answer(ticket_number=ticket.number, due_at=due_at)


async def refuse_file(*, session: AsyncSession, desk: Desk, sealer: Sealer, chat_id: int, message_id: int,
                      received_at: datetime, language: str, now: datetime) -> Answer:
    """A file while we wait for an anonymous complaint: files can identify people, so we take words only."""
    turn = await _begin(session, desk, sealer, chat_id=chat_id, message_id=message_id, received_at=received_at,
                        language=language, now=now)
    if turn is None:
        return Answer(duplicate=True)
    await turn.say(turn.text("utter_anonymous_text_only"))
    return turn.answer()


async def status_by_code(*, session: AsyncSession, desk: Desk, sealer: Sealer, chat_id: int, message_id: int | None,
                         code_text: str, received_at: datetime, language: str, now: datetime,
                         ticket_id: int | None = None) -> Answer:
    """/status CODE: the ticket's state and answers; wrong codes are throttled per chat. `ticket_id`: the
    code must be this ticket's (the web chat asks for the number too); another ticket's code counts as wrong."""
    turn = await _begin(session, desk, sealer, chat_id=chat_id, message_id=message_id, received_at=received_at,
                        language=language, now=now)
    if turn is None:
        return Answer(duplicate=True)
    receipt = await _verified(turn, sealer, code_text, ticket_id=ticket_id)
    if receipt is not None:
        ticket = await service.get_ticket(
            session=session, organisation_id=desk.organisation_id, ticket_id=receipt.ticket_id
        )
        await turn.say(await status.detail(turn, ticket))
    return turn.answer()


async def seal(*, session: AsyncSession, desk: Desk, sealer: Sealer, chat_id: int, code: str, language: str,
               now: datetime) -> Answer:
    """"Tell me here": seal this chat into the receipt, so answers can be pushed without storing who asked."""
    turn = await _begin(session, desk, sealer, chat_id=chat_id, message_id=None, received_at=now,
                        language=language, now=now)
    receipt = await _verified(turn, sealer, code)
    if receipt is not None:
        receipt.sealed_chat = sealer.seal_chat(chat_id, purpose=receipts.purpose_of(receipt))
        ticket = await service.get_ticket(
            session=session, organisation_id=desk.organisation_id, ticket_id=receipt.ticket_id
        )
        await turn.say(turn.text("utter_anonymous_sealed", number=ticket.number))
    return turn.answer(settled=True)


async def decline_seal(*, session: AsyncSession, desk: Desk, chat_id: int, language: str, now: datetime) -> Answer:
    """"No thanks": answers will be read with /status CODE only."""
    turn = Turn(session=session, desk=desk, now=now, chat_id=chat_id, language=language,
                key=OUTBOX_PREFIX + secrets.token_hex(16))
    turn.ephemeral = True
    await turn.say(turn.text("utter_anonymous_not_sealed"))
    return turn.answer(settled=True)


async def push_sealed_answers(*, session: AsyncSession, desk: Desk, sealer: Sealer, now: datetime,
                              limit: int = 100) -> list[outbox.Outgoing]:
    """For the scheduler: push new answers of anonymous tickets to the chats their senders sealed.

    A final reply is followed by the rating question, through the same channel. Each pushed row is
    deleted once delivered (`scrub_delivered`); `pushed_entry_id` remembers what went, so nothing
    is pushed twice.
    """
    fresh_answer = exists().where(
        TicketEntry.ticket_id == receipts.Receipt.ticket_id,
        TicketEntry.kind.in_(entries.REPLY_KINDS),
        TicketEntry.id > receipts.Receipt.pushed_entry_id,
    )
    query = (
        select(receipts.Receipt, Ticket)
        .join(Ticket, Ticket.id == receipts.Receipt.ticket_id)
        # Each organisation's sweep pushes its own tickets' answers, through its own bot.
        .where(Ticket.organisation_id == desk.organisation_id, receipts.Receipt.sealed_chat.is_not(None), fresh_answer)
        .order_by(receipts.Receipt.id)
        .limit(limit)
    )
    promised: list[outbox.Outgoing] = []
    for receipt, ticket in (await session.execute(query)).all():
        fresh = [e for e in await entries.replies(session=session, ticket_id=ticket.id) if e.id > receipt.pushed_entry_id]
        receipt.pushed_entry_id = fresh[-1].id
        sealed = receipt.sealed_chat
        if ticket.status == TicketStatus.CLOSED:
            receipt.sealed_chat = None  # the last answers of a closed ticket go out; then the channel is gone
        try:
            chat_id = sealer.unseal_chat(sealed, purpose=receipts.purpose_of(receipt))
        except SealingError:
            continue  # sealed under a key this process lacks: never retried, never pushed elsewhere
        for entry in fresh:
            text = desk.render("utter_anonymous_push", ticket.language, number=ticket.number,
                               text=entry.text or "")
            promised += await _push(session, desk, chat_id, text, now)
        if ticket.status != TicketStatus.CLOSED and any(e.kind == "staff_reply" for e in fresh) \
                and await _asks_rating(session, desk, ticket):
            text, buttons = surveys.rating_question(desk, ticket, ticket.language)
            promised += await _push(session, desk, chat_id, text, now, buttons=buttons)
    return promised


async def _push(session: AsyncSession, desk: Desk, chat_id: int, text: str, now: datetime, **extra) -> list[outbox.Outgoing]:
    # Not leased: the dispatcher sends these; scrub_delivered deletes them afterwards.
    return await replies.enqueue_text(session, key=OUTBOX_PREFIX + secrets.token_hex(16), chat_id=chat_id,
                                      text=text, now=now, claim=False, organisation_id=desk.organisation_id, **extra)


async def _asks_rating(session: AsyncSession, desk: Desk, ticket: Ticket) -> bool:
    return desk.charter.satisfaction_survey.ask_after_reply and not await is_rated(
        session=session, ticket_id=ticket.id)


async def _verified(turn: Turn, sealer: Sealer, code_text: str, *, ticket_id: int | None = None):
    """The receipt a code opens (of ticket `ticket_id`, if given), or None after telling the citizen why
    (wrong, or too many tries here or from all chats together)."""
    subject = sealer.keyed_hash(turn.chat_id, purpose="wrong-code")
    throttle = {"kind": WRONG_CODE, "subject": subject, "window": WRONG_CODE_WINDOW, "now": turn.now}
    if await is_throttled(session=turn.session, limit=WRONG_CODE_LIMIT, **throttle):
        CODE_CHECKS.labels("refused_chat").inc()
        await turn.say(turn.text("utter_code_throttled", minutes=_minutes(WRONG_CODE_WINDOW)))
        return None
    budget = turn.desk.code_guesses
    everywhere = await attempts_everywhere(session=turn.session, kind=WRONG_CODE, window=budget.window, now=turn.now)
    if everywhere >= budget.limit:
        CODE_CHECKS.labels("refused_global").inc()
        await _alert_staff(turn, everywhere, budget)
        await turn.say(turn.text("utter_code_throttled", minutes=_minutes(budget.window)))
        return None
    code = receipts.parse_code(code_text)
    receipt = (
        await receipts.find(session=turn.session, organisation_id=turn.desk.organisation_id, code=code)
        if code
        else None
    )
    if receipt is not None and ticket_id not in (None, receipt.ticket_id):
        receipt = None
    if receipt is None:
        CODE_CHECKS.labels("wrong").inc()
        await count_attempt(session=turn.session, **throttle)
        await turn.say(turn.text("utter_code_wrong"))
    else:
        CODE_CHECKS.labels("opened").inc()
    return receipt


async def _alert_staff(turn: Turn, count: int, budget: GuessBudget) -> None:
    """Tell the staff chat that codes are being guessed: once per window (the outbox key is the window's)."""
    desk = turn.desk
    text = desk.texts.render("utter_staff_code_guessing", desk.charter.languages[0], count=count,
                             minutes=_minutes(budget.window), limit=budget.limit)
    await replies.enqueue_text(turn.session, key=f"code-guessing:{budget.bucket(turn.now)}",
                               chat_id=desk.charter.staff_chat_id, text=text, now=turn.now, claim=False,
                               organisation_id=desk.organisation_id)


def _minutes(window) -> int:
    return max(1, int(window.total_seconds() // 60))
