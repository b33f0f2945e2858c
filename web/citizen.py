"""A web visitor's message, button press or shortcut, through the same conversation flows as Telegram's."""

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversation import arguments, replies
from conversation.arguments import MAX_ID
from conversation.buttons import AddComment, ConfirmForget, DeclineSeal, Rate, SealChannel, decode
from conversation.citizen import anonymous, flows, forget, mydata, surveys, written
from conversation.citizen.understanding import understand
from desk import chat_state
from desk.anonymous import receipts, traces
from desk.tickets import citizens, corrections, service
from desk.tickets.models import parse_number
from web import feed
from web.deps import WebDeps
from web.visitors import WebVisitor

# The panel's shortcuts, as the Telegram commands they stand for.
COMMANDS = ("status", "anonymous", "forget")  # and "mydata", which answers with a file (web/app.py)
# The same commands typed into the panel as a Telegram user would ("/status I-1042", "/forget").
TYPED_COMMAND = re.compile(r"/(?P<name>status|anonymous|forget)(?:@\w+)?(?:\s+(?P<argument>.*))?", re.I | re.S)
CODE_KINDS = (arguments.StatusKind.CODE, arguments.StatusKind.BAD_CODE)
NO_TICKET = 0


@dataclass(frozen=True)
class Written:
    """What the visitor sent: their own id for it (so a retried post is a no-op), the text and their language."""

    message_id: int
    text: str
    language_hint: str | None
    received_at: datetime


async def take_message(deps: WebDeps, visitor: WebVisitor, message: Written) -> flows.Answer:
    """A command typed as on Telegram ("/status I-1042"), a survey comment, an anonymous complaint we wait for,
    or intake (as on Telegram: conversation/citizen/written.py); then the answer is delivered."""
    typed = TYPED_COMMAND.fullmatch(message.text.strip())
    if typed is not None:
        return await command(deps, visitor, name=typed["name"].lower(), message_id=message.message_id,
                             language_hint=message.language_hint, argument=typed["argument"] or "", echo=message.text)
    inbound = _inbound(visitor, message)
    understanding = await understand(deps.classifier, deps.desk, inbound)
    anonymous_key = anonymous.chat_key(deps.sealer, inbound.chat_id) if deps.sealer else None
    now = deps.clock()
    async with deps.store.unit_of_work() as session:
        state = await chat_state.read(
            session, organisation_id=deps.desk.organisation_id, chat_id=inbound.chat_id,
            at=inbound.received_at, anonymous_key=anonymous_key,
        )
        taken = await written.take(session=session, desk=deps.desk, inbound=inbound, understanding=understanding,
                                   state=state, now=now)
        if taken.answer is None:
            # The complaint's text is never written next to this visitor: the panel shows it from its own copy.
            language = await _language(session, deps, visitor, inbound.text, understanding.language,
                                       message.language_hint)
            answer = await anonymous.take_complaint(
                session=session, desk=deps.desk, sealer=deps.sealer, chat_id=inbound.chat_id,
                message_id=inbound.message_id, text=inbound.text, received_at=inbound.received_at,
                language=language, now=now,
            )
        else:
            answer = taken.answer
            if not answer.duplicate:
                await feed.add(session=session, visitor_id=visitor.id, author="visitor", text=inbound.text,
                               now=inbound.received_at)
                answer = await _with_code(session, deps, visitor, answer)
    await deliver(deps, visitor, answer)
    return answer


async def press(deps: WebDeps, visitor: WebVisitor, *, press_id: str, data: str, language_hint: str | None
                ) -> flows.Answer | None:
    """A button of the panel; None for data no button of ours carries."""
    pressed = flows.Press(chat_id=visitor.chat_id, query_id=f"web:{visitor.id}:{press_id}", data=data,
                          message_id=None, telegram_language=language_hint)
    button = decode(data)
    if button is None:
        return None
    now = deps.clock()
    async with deps.store.unit_of_work() as session:
        if isinstance(button, ConfirmForget):
            answer = await forget.press(session=session, desk=deps.desk, press=pressed, now=now)
            if button.erase:
                await feed.erase(session=session, visitor_id=visitor.id)
                await _forget_address(session, visitor)
        elif isinstance(button, Rate | AddComment):
            answer = await _survey_press(session, deps, visitor, button, pressed)
        elif isinstance(button, SealChannel | DeclineSeal):
            language = await _language(session, deps, visitor, "", None, language_hint)
            if isinstance(button, SealChannel):
                answer = await anonymous.seal(session=session, desk=deps.desk, sealer=deps.sealer,
                                              chat_id=visitor.chat_id, code=button.code, language=language, now=now)
            else:
                answer = await anonymous.decline_seal(session=session, desk=deps.desk, chat_id=visitor.chat_id,
                                                      language=language, now=now)
        else:
            answer = await flows.press(session=session, desk=deps.desk, press=pressed, now=now)
            answer = await _with_code(session, deps, visitor, answer)
    await deliver(deps, visitor, answer)
    return answer


async def command(deps: WebDeps, visitor: WebVisitor, *, name: str, message_id: int, language_hint: str | None,
                  argument: str = "", echo: str | None = None) -> flows.Answer:
    """A shortcut of the panel, or the command typed (`echo`, shown as the visitor's line): "status" (with a
    ticket number or a receipt code as its argument), "anonymous" or "forget", as the Telegram command."""
    now = deps.clock()
    inbound = _inbound(visitor, Written(message_id=message_id, text=echo or f"/{name}", language_hint=language_hint,
                                        received_at=now))
    async with deps.store.unit_of_work() as session:
        if name == "status" and arguments.status_argument(argument).kind in CODE_KINDS:
            answer = await _status_by_code(session, deps, visitor, inbound, argument)
        elif name == "status":
            answer = await flows.show_status(session=session, desk=deps.desk, inbound=inbound, argument=argument,
                                             now=now)
        elif name == "forget":
            answer = await forget.ask(session=session, desk=deps.desk, inbound=inbound, now=now)
        else:
            language = await _language(session, deps, visitor, "", None, language_hint)
            answer = await anonymous.explain(session=session, desk=deps.desk, sealer=deps.sealer,
                                             chat_id=visitor.chat_id, message_id=message_id, received_at=now,
                                             language=language, now=now)
        if echo is not None and not answer.duplicate:
            await feed.add(session=session, visitor_id=visitor.id, author="visitor", text=echo, now=now)
    await deliver(deps, visitor, answer)
    return answer


async def _status_by_code(session: AsyncSession, deps: WebDeps, visitor: WebVisitor, inbound: flows.Inbound,
                          argument: str) -> flows.Answer:
    """/status CODE typed: an anonymous complaint's answer by its receipt code, as on Telegram."""
    now = deps.clock()
    if receipts.parse_code(argument) is None:
        return await flows.answer_command(session=session, desk=deps.desk, inbound=inbound,
                                          response="utter_code_format", now=now)
    language = await _language(session, deps, visitor, "", None, inbound.telegram_language)
    return await anonymous.status_by_code(session=session, desk=deps.desk, sealer=deps.sealer, chat_id=visitor.chat_id,
                                          message_id=inbound.message_id, code_text=argument,
                                          received_at=inbound.received_at, language=language, now=now)


async def export(deps: WebDeps, visitor: WebVisitor, *, message_id: int, language_hint: str | None
                 ) -> mydata.Export:
    """/mydata: everything held about this visitor as a JSON file, handed straight to their browser (never
    stored); its caption, or "we hold nothing", as a line of the panel."""
    now = deps.clock()
    inbound = _inbound(visitor, Written(message_id=message_id, text="/mydata", language_hint=language_hint,
                                        received_at=now))
    async with deps.store.unit_of_work() as session:
        made = await mydata.export(session=session, desk=deps.desk, inbound=inbound, now=now)
        if made.caption:
            rows = await replies.enqueue_text(session, key=f"mydata:{visitor.id}:{message_id}",
                                              chat_id=visitor.chat_id, text=made.caption, now=now,
                                              organisation_id=deps.desk.organisation_id)
            made = dataclasses.replace(made, answer=dataclasses.replace(made.answer,
                                                                        outgoing=[*made.answer.outgoing, *rows]))
    await deliver(deps, visitor, made.answer)
    return made


async def set_email(deps: WebDeps, visitor: WebVisitor, *, address: str, message_id: int,
                    language_hint: str | None) -> flows.Answer:
    """The address to tell when an answer is waiting ("" removes it); the panel says which was done."""
    now = deps.clock()
    async with deps.store.unit_of_work() as session:
        held = await session.get(WebVisitor, visitor.id)
        held.email = address or None
        language = await _language(session, deps, visitor, "", None, language_hint)
        text = deps.desk.render("utter_web_email_saved" if address else "utter_web_email_removed", language)
        rows = await replies.enqueue_text(session, key=f"email:{visitor.id}:{message_id}", chat_id=visitor.chat_id,
                                          text=text, now=now, organisation_id=deps.desk.organisation_id)
    answer = flows.Answer(duplicate=False, outgoing=rows)
    await deliver(deps, visitor, answer)
    return answer


async def lookup(deps: WebDeps, visitor: WebVisitor, *, number: str, code: str, message_id: int,
                 language_hint: str | None) -> flows.Answer | None:
    """A ticket number and its code, typed on another device: the ticket's state and answers; None if the
    number is not one. Wrong codes are throttled per visitor, as /status CODE is per chat."""
    parsed = parse_number(number)
    if parsed is None:
        return None
    category, serial = parsed
    now = deps.clock()
    async with deps.store.unit_of_work() as session:
        language = await _language(session, deps, visitor, "", None, language_hint)
        ticket = (
            await service.get_ticket_by_number(
                session=session, organisation_id=deps.desk.organisation_id, serial=serial
            )
            if serial <= MAX_ID
            else None
        )
        ticket_id = ticket.id if ticket is not None else NO_TICKET
        if ticket is None or not await corrections.names_ticket(session=session, ticket=ticket, category=category):
            ticket_id = NO_TICKET  # a number naming no ticket: any code is wrong for it (and counted as such)
        answer = await anonymous.status_by_code(
            session=session, desk=deps.desk, sealer=deps.sealer, chat_id=visitor.chat_id, message_id=message_id,
            code_text=code, received_at=now, language=language, now=now, ticket_id=ticket_id,
        )
    await deliver(deps, visitor, answer)
    return answer


async def deliver(deps: WebDeps, visitor: WebVisitor, answer: flows.Answer) -> None:
    """Put the rows leased to us into the feed now (the dispatcher takes whatever could not go); the anonymous
    path's outbox rows are deleted once done, as on Telegram."""
    await deps.deliverer.deliver(answer.outgoing)
    if answer.ephemeral and answer.outgoing:
        async with deps.store.unit_of_work() as session:
            await traces.scrub(session=session, outbox_ids=[m.id for m in answer.outgoing])
    deps.notifier.wake(visitor.id)


async def _with_code(session: AsyncSession, deps: WebDeps, visitor: WebVisitor, answer: flows.Answer) -> flows.Answer:
    """A ticket just opened from the web gets a code, shown once, to read its answer on another device."""
    parsed = parse_number(answer.ticket_number) if answer.ticket_number else None
    ticket = await service.get_ticket_by_number(
        session=session, organisation_id=deps.desk.organisation_id, serial=parsed[1]
    ) if parsed is not None else None
    if ticket is None or await receipts.for_ticket(session=session, ticket_id=ticket.id) is not None:
        return answer
    _, code = await receipts.issue(session=session, ticket_id=ticket.id)
    text = deps.desk.render("utter_ticket_code_web", answer.language or deps.desk.charter.languages[0],
                            number=answer.ticket_number, code=receipts.display(code))
    rows = await replies.enqueue_text(session, key=f"webcode:{ticket.id}", chat_id=visitor.chat_id, text=text,
                                      now=deps.clock(), organisation_id=deps.desk.organisation_id)
    return dataclasses.replace(answer, outgoing=[*answer.outgoing, *rows])


async def _survey_press(session: AsyncSession, deps: WebDeps, visitor: WebVisitor, button, pressed: flows.Press
                        ) -> flows.Answer:
    """A rating or "add a comment": recorded, and the note said as a line of the panel."""
    now = deps.clock()
    if isinstance(button, Rate):
        outcome = await surveys.record_rating(session=session, desk=deps.desk, ticket_id=button.ticket_id,
                                              score=button.score, chat_id=visitor.chat_id, now=now, sealer=deps.sealer)
    else:
        outcome = await surveys.open_comment(session=session, desk=deps.desk, ticket_id=button.ticket_id,
                                             chat_id=visitor.chat_id, now=now)
    rows = await replies.enqueue_text(session, key=f"press:{pressed.query_id}", chat_id=visitor.chat_id,
                                      text=outcome.notice, now=now, buttons=outcome.buttons,
                                      organisation_id=deps.desk.organisation_id)
    return flows.Answer(duplicate=False, outgoing=rows)


async def _language(session: AsyncSession, deps: WebDeps, visitor: WebVisitor, text: str, detected: str | None,
                    hint: str | None) -> str:
    return await citizens.language_for(session=session, desk=deps.desk, chat_id=visitor.chat_id, text=text,
                                       detected=detected, hint=hint)


async def _forget_address(session: AsyncSession, visitor: WebVisitor) -> None:
    held = await session.get(WebVisitor, visitor.id)
    held.email, held.notified_at = None, None


def _inbound(visitor: WebVisitor, written: Written) -> flows.Inbound:
    return flows.Inbound(chat_id=visitor.chat_id, message_id=written.message_id, text=written.text,
                         received_at=written.received_at, telegram_language=written.language_hint)
