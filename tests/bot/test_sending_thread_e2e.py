"""A bot replica's sending thread: its own Bot and engine deliver rows to the Bot API, outcomes recorded."""

from datetime import UTC, datetime

from sqlalchemy import select

from bot.config import BotConfig
from bot.transport import own_transport
from desk import outbox
from desk.delivery import Deliverer
from desk.outbox import OutboxMessage
from desk.sending_thread import SendingThread
from infra.database import Store
from sandbox import Sandbox


def now() -> datetime:
    return datetime.now(UTC)


async def test_rows_leave_through_the_threads_own_bot_in_each_chats_order(store: Store):
    async with Sandbox() as sandbox:
        chats = [41_001, 41_002]
        for chat in chats:
            sandbox.user(chat, "Citizen")
        async with store.unit_of_work() as session:
            rows = [await outbox.enqueue(session, key=f"{chat}-{n}", chat_id=chat, text=f"answer {n}", now=now())
                    for n in range(3) for chat in chats]
            rows.append(await outbox.enqueue(session, key="nobody", chat_id=41_999, text="to no one", now=now()))
        url = store.engine.url.render_as_string(hide_password=False)
        config = BotConfig(token=sandbox.token, api_url=sandbox.bot_api_url)
        thread = SendingThread(lambda: Store(url, keyring=store.keyring),
                               lambda: own_transport(config, connections=4), clock=now)
        await thread.start()
        try:
            deliverer = Deliverer(store, transport=None, clock=now)  # every row is the thread's
            deliverer.thread = thread
            counts = await deliverer.deliver(rows)
        finally:
            await thread.close()
        bot_id = sandbox.bot_user["id"]
        for chat in chats:
            said = [m["text"] for m in sandbox.world.chat_messages(chat) if m["from"]["id"] == bot_id]
            assert said == ["answer 0", "answer 1", "answer 2"]
    assert counts == {"sent": 6, "undeliverable": 1}
    async with store.unit_of_work() as session:
        statuses = dict((await session.execute(select(OutboxMessage.key, OutboxMessage.status))).all())
    assert statuses["nobody"] == "blocked" and {statuses[f"{c}-{n}"] for c in chats for n in range(3)} == {"sent"}
