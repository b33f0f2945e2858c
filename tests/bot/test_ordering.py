"""PerChatOrder: one chat's updates in order, different chats at the same time."""

import asyncio

from telegram import Chat, Message, Update

from bot.ordering import PerChatOrder


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(update_id, message=Message(update_id, date=None, chat=chat, text="x"))


async def test_one_chats_updates_run_one_by_one_in_arrival_order():
    processor = PerChatOrder()
    log: list[tuple[str, int]] = []

    async def handle(n: int) -> None:
        log.append(("start", n))
        await asyncio.sleep(0.01 * (5 - n))  # later updates are quicker: they must still wait
        log.append(("end", n))

    await asyncio.gather(*(processor.process_update(update(n, 7), handle(n)) for n in range(5)))
    assert log == [(event, n) for n in range(5) for event in ("start", "end")]


async def test_different_chats_overlap():
    processor = PerChatOrder()
    running, peak = 0, 0
    release = asyncio.Event()

    async def handle() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    tasks = [asyncio.create_task(processor.process_update(update(n, 100 + n), handle())) for n in range(10)]
    while peak < 10:
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 10


async def test_idle_chats_are_forgotten():
    processor = PerChatOrder()

    async def nothing() -> None:
        return None

    await asyncio.gather(*(processor.process_update(update(n, n), nothing()) for n in range(1, 50)))
    assert processor._locks == {} and processor._waiting == {}
