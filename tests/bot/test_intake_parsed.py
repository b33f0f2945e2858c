"""IntakeWorker.keep_parsed: an update the poller parsed is handled as that object, not parsed again."""

from datetime import UTC, datetime

from telegram import Update

from bot import inbox, intake
from bot.intake import IntakeWorker

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _update(update_id: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id, "date": 1_780_000_000, "text": f"hello {update_id}",
            "chat": {"id": 7, "type": "private"}, "from": {"id": 7, "is_bot": False, "first_name": "A"},
        },
    }


class _Processor:
    async def process_update(self, update, coroutine):
        await coroutine


class _Application:
    """Only what IntakeWorker._handle uses: it records the Update objects it is given."""

    bot = None

    def __init__(self) -> None:
        self.update_processor = _Processor()
        self.handled: list[Update] = []

    async def process_update(self, update: Update) -> None:
        self.handled.append(update)


def _worker() -> tuple[IntakeWorker, _Application]:
    application = _Application()
    return IntakeWorker(application, store=None, clock=lambda: NOW), application


async def test_a_kept_update_is_handled_as_the_same_object_and_forgotten():
    worker, application = _worker()
    kept = Update.de_json(_update(1), None)
    worker.keep_parsed([kept])
    await worker._handle(inbox.Waiting(1, _update(1), NOW))
    assert application.handled == [kept] and application.handled[0] is kept
    assert worker._parsed == {}


async def test_an_update_not_kept_is_parsed_from_its_stored_json():
    worker, application = _worker()
    worker.keep_parsed([Update.de_json(_update(1), None)])
    await worker._handle(inbox.Waiting(2, _update(2), NOW))
    assert [u.update_id for u in application.handled] == [2]
    assert application.handled[0].message.text == "hello 2"
    assert list(worker._parsed) == [1]


async def test_an_unreadable_row_is_dropped_even_if_kept():
    worker, application = _worker()
    worker.keep_parsed([Update.de_json(_update(3), None)])
    await worker._handle(inbox.Waiting(3, None, NOW))
    assert application.handled == [] and worker._parsed == {}


def test_at_most_parsed_kept_updates_are_kept_the_oldest_go_first(monkeypatch):
    monkeypatch.setattr(intake, "PARSED_KEPT", 3)
    worker, _ = _worker()
    worker.keep_parsed([Update.de_json(_update(i), None) for i in range(1, 6)])
    assert list(worker._parsed) == [3, 4, 5]
