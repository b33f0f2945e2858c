"""Sends marked, made and recorded on a thread of their own: same outcomes as on the caller's loop."""

import contextlib
import threading

import pytest

from desk.delivery import Deliverer
from desk.outbox import Delivery
from desk.sending_thread import SendingThread
from infra.database import Store
from tests.conftest import at
from tests.desk.test_delivery import BLOCKED, RecordingTransport, put, statuses

NOW = at("2026-11-23T10:00:00+09:00")


class ThreadNoting(RecordingTransport):
    """Remembers the thread each send ran on."""

    def __init__(self, *outcomes: Delivery) -> None:
        super().__init__(*outcomes)
        self.threads: set[int] = set()

    async def send(self, message):
        self.threads.add(threading.get_ident())
        return await super().send(message)


def thread_for(store: Store, transport, *, takes=lambda message: True) -> SendingThread:
    url = store.engine.url.render_as_string(hide_password=False)

    @contextlib.asynccontextmanager
    async def opened():
        yield transport

    return SendingThread(lambda: Store(url, keyring=store.keyring), opened, clock=lambda: NOW, takes=takes)


async def test_rows_it_takes_are_sent_and_recorded_on_its_own_thread(store: Store):
    rows = [await put(store, key, chat_id=chat) for key, chat in (("a", 1), ("b", 1), ("c", 2), ("d", 3))]
    far, here = ThreadNoting(), ThreadNoting(BLOCKED)
    thread = thread_for(store, far, takes=lambda message: message.chat_id != 3)
    await thread.start()
    try:
        deliverer = Deliverer(store, here, clock=lambda: NOW)
        deliverer.thread = thread
        counts = await deliverer.deliver(rows)
        await deliverer.idle()
    finally:
        await thread.close()
    assert counts == {"sent": 3, "undeliverable": 1}
    assert far.texts(1) == ["text a", "text b"] and far.texts(2) == ["text c"] and here.texts() == ["text d"]
    assert far.threads and threading.get_ident() not in far.threads
    assert here.threads == {threading.get_ident()}
    assert await statuses(store) == ["sent", "sent", "sent", "blocked"]


async def test_a_row_marked_by_another_sender_is_not_sent_again(store: Store):
    row = await put(store, "a")
    first, second = ThreadNoting(), ThreadNoting()
    thread = thread_for(store, second)
    await thread.start()
    try:
        assert (await Deliverer(store, first, clock=lambda: NOW).deliver([row])) == {"sent": 1}
        assert await thread.send(row) is None
    finally:
        await thread.close()
    assert first.texts() == ["text a"] and second.texts() == []


async def test_sending_before_start_or_after_close_is_refused(store: Store):
    row = await put(store, "a")
    thread = thread_for(store, ThreadNoting())
    with pytest.raises(RuntimeError):
        await thread.send(row)
    await thread.start()
    await thread.close()
    with pytest.raises(RuntimeError):
        await thread.send(row)
    await thread.close()  # closing twice is harmless


async def test_a_transport_that_cannot_open_fails_start(store: Store):
    @contextlib.asynccontextmanager
    async def broken():
        raise OSError("no route to the Bot API")
        yield

    thread = SendingThread(lambda: Store(store.engine.url.render_as_string(hide_password=False)), broken,
                           clock=lambda: NOW)
    with pytest.raises(OSError, match="no route"):
        await thread.start()
