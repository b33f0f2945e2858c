"""A web visitor's message or button press, through the same conversation flows as Telegram's."""

from dataclasses import dataclass
from datetime import datetime

from conversation.buttons import decode
from conversation.citizen import anonymous, flows, surveys
from conversation.citizen.understanding import understand
from desk import chat_state
from web import feed
from web.deps import WebDeps
from web.visitors import WebVisitor


@dataclass(frozen=True)
class Written:
    """What the visitor sent: their own id for it (so a retried post is a no-op), the text and their language."""

    message_id: int
    text: str
    language_hint: str | None
    received_at: datetime


async def take_message(deps: WebDeps, visitor: WebVisitor, written: Written) -> flows.Answer:
    """A survey comment, an anonymous complaint we wait for, or intake; then the answer is delivered."""
    inbound = flows.Inbound(chat_id=visitor.chat_id, message_id=written.message_id, text=written.text,
                            received_at=written.received_at, telegram_language=written.language_hint)
    understanding = await understand(deps.classifier, deps.desk, inbound)
    anonymous_key = anonymous.chat_key(deps.sealer, inbound.chat_id)
    now = deps.clock()
    async with deps.store.unit_of_work() as session:
        state = await chat_state.read(session, chat_id=inbound.chat_id, at=inbound.received_at,
                                      anonymous_key=anonymous_key)
        if state.anonymous_waiting:
            # The complaint's text is never written next to this visitor: the panel shows it from its own copy.
            language = state.chosen_language or (state.citizen.language if state.citizen else None) \
                or understanding.language or deps.desk.charter.languages[0]
            answer = await anonymous.take_complaint(
                session=session, desk=deps.desk, sealer=deps.sealer, chat_id=inbound.chat_id,
                message_id=inbound.message_id, text=inbound.text, received_at=inbound.received_at,
                language=language, now=now,
            )
        else:
            answer = None
            if state.comment_rating_id is not None:
                answer = await surveys.take_comment(session=session, desk=deps.desk, inbound=inbound, now=now)
            if answer is None:
                answer = await flows.take_message(session=session, desk=deps.desk, inbound=inbound,
                                                  understanding=understanding, now=now, state=state)
            if not answer.duplicate:
                await feed.add(session=session, visitor_id=visitor.id, author="visitor", text=inbound.text,
                               now=inbound.received_at)
    await deliver(deps, visitor, answer)
    return answer


async def press(deps: WebDeps, visitor: WebVisitor, *, press_id: str, data: str, language_hint: str | None
                ) -> flows.Answer | None:
    """A button of the panel; None for a button this channel does not take."""
    pressed = flows.Press(chat_id=visitor.chat_id, query_id=f"web:{visitor.id}:{press_id}", data=data,
                          message_id=None, telegram_language=language_hint)
    if decode(data) is None:
        return None
    async with deps.store.unit_of_work() as session:
        answer = await flows.press(session=session, desk=deps.desk, press=pressed, now=deps.clock())
    await deliver(deps, visitor, answer)
    return answer


async def deliver(deps: WebDeps, visitor: WebVisitor, answer: flows.Answer) -> None:
    """Put the rows leased to us into the feed now (the dispatcher takes whatever could not go)."""
    await deps.deliverer.deliver(answer.outgoing)
    deps.notifier.wake(visitor.id)
