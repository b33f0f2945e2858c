"""What a citizen's written message is, whatever the channel: a survey comment, an anonymous complaint or intake."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from conversation.citizen import flows, surveys
from conversation.turns import Answer, Desk, Inbound, Understanding
from desk.chat_state import ChatState


@dataclass(frozen=True)
class Taken:
    """The message's answer, or None for an anonymous complaint we were waiting for (the channel records it
    apart, under a keyed hash: nothing about the chat may be written with it); `by_intake` is True when intake
    took the message, which also cleared the citizen's unreachable mark."""

    answer: Answer | None
    by_intake: bool = False


def surely_intake(state: ChatState, *, is_text: bool) -> bool:
    """Whether take() will hand the message to intake whatever happens (no comment we may wait for, no
    anonymous complaint): such a message may be recorded ahead, with the others of its group."""
    return not state.anonymous_waiting and not (state.comment_rating_id is not None and is_text)


async def take(
    *, session: AsyncSession, desk: Desk, inbound: Inbound, understanding: Understanding, state: ChatState,
    now: datetime, is_text: bool = True, recorded: bool | None = None,
) -> Taken:
    """A comment on the rating we asked for (text only), else the anonymous complaint we wait for, else intake."""
    if state.comment_rating_id is not None and is_text:
        answer = await surveys.take_comment(session=session, desk=desk, inbound=inbound, now=now)
        if answer is not None:
            return Taken(answer)
    if state.anonymous_waiting:
        return Taken(None)
    answer = await flows.take_message(session=session, desk=desk, inbound=inbound, understanding=understanding,
                                      now=now, state=state, recorded=recorded)
    return Taken(answer, by_intake=True)
