"""Real `charterdesk scheduler` processes against the sandbox: SIGKILL mid-batch, two replicas on
PostgreSQL, and a scheduler that was down while deadlines passed. Outcomes are counted, not sampled."""

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from desk.organisations.models import FIRST_ORGANISATION
from desk import outbox
from desk.outbox import OutboxMessage
from infra.database import Store
from desk.tickets import lifecycle, service
from tests.conftest import POSTGRES_URL, ROOT
from tests.outbox_counts import pending_count

STAFF_CHAT = -1001234567890
OFFICER = 1001


class SchedulerProcess:
    """One `charterdesk scheduler`, its output kept in a file."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str) -> None:
        self.env, self.workdir, self.log = env, workdir, workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "SchedulerProcess":
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "charterdesk", "scheduler"],
                cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> int:
        """SIGTERM, as an operator stops it; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def output(self) -> str:
        return self.log.read_text()


def scheduler_env(sandbox, database_url: str, charter_file: Path, key_file: Path, **settings) -> dict[str, str]:
    """The environment of a scheduler on this sandbox and database; flood limits off unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=sandbox.token,
        TELEGRAM_API_URL=sandbox.bot_api_url,
        DATABASE_URL=database_url,
        CHARTER_FILE=str(charter_file),
        CHARTERDESK_DISPATCH_INTERVAL="0.1",
        CHARTERDESK_SWEEP_INTERVAL="0.5",
        CHARTERDESK_SEND_PER_SECOND="100000",
        CHARTERDESK_CHAT_INTERVAL="0",
        CHARTERDESK_GROUP_PER_MINUTE="1000000",
        # The keys this test writes with (tests/conftest.py data_keys): the scheduler must read its rows.
        CHARTERDESK_KEY_FILE=str(key_file),
    )
    env.update({name: str(value) for name, value in settings.items()})
    return env


async def until(predicate, *, timeout: float, what: str) -> None:
    """Poll `predicate` (sync or async) until it is true."""
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(what)


async def put_batch(store: Store, count: int, chats: list[int]) -> None:
    """`count` due rows spread over `chats`, written with one core INSERT."""
    now = datetime.now(UTC) - timedelta(seconds=1)
    rows = [
        {"key": f"batch:{n}", "chat_id": chats[n % len(chats)], "text": f"batch {n}", "status": "pending",
         "not_before": now, "attempts": 0, "created_at": now}
        for n in range(count)
    ]
    async with store.unit_of_work() as session:
        await session.execute(insert(OutboxMessage), rows)


async def pending(store: Store) -> int:
    async with store.unit_of_work() as session:
        return await pending_count(session)


async def batch_rows(store: Store) -> list[OutboxMessage]:
    async with store.unit_of_work() as session:
        query = select(OutboxMessage).where(OutboxMessage.key.like("batch:%")).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


def deliveries(sandbox, chats) -> Counter[str]:
    return Counter(m["text"] for chat in chats for m in sandbox.bot_messages(chat))


async def test_killing_the_scheduler_mid_batch_loses_nothing_and_repeats_nothing(tmp_path, sandbox, data_keys):
    seed = int.from_bytes(os.urandom(4))
    rng = random.Random(seed)
    chats = list(range(3001, 3051))
    for chat in chats:
        sandbox.user(chat, f"Citizen {chat}")
    url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    store = Store(url, keyring=data_keys)
    await store.migrate()
    await put_batch(store, 1000, chats)
    # A short lease, so rows a killed process held come free quickly.
    env = scheduler_env(sandbox, url, ROOT / "charter.yml", data_keys.path, CHARTERDESK_LEASE_SECONDS=1.5)
    process = SchedulerProcess(env, tmp_path, "scheduler")

    kills = 0
    while kills < 6:
        process.start()
        target = sandbox.calls["sendMessage"] + rng.randint(20, 250)

        async def progressed(target: int = target) -> bool:
            return sandbox.calls["sendMessage"] >= target or await _no_pending(store)

        await until(progressed, timeout=60, what="progress")
        await asyncio.sleep(rng.uniform(0, 0.05))
        if await _no_pending(store):
            break
        process.kill()
        kills += 1
    else:
        process.start()

    async def settled() -> bool:
        # Nothing pending, and staff told (notice rows written) about every doubtful send.
        rows = await batch_rows(store)
        return await _no_pending(store) and all(r.reported_at for r in rows if r.status == "unknown")

    await until(settled, timeout=120, what="every row settled")
    assert process.stop() == 0
    rows = await batch_rows(store)
    unknown = [r for r in rows if r.status == "unknown"]

    delivered = deliveries(sandbox, chats)
    lost = [r.text for r in rows if delivered[r.text] == 0 and r.status != "unknown"]
    duplicated = [t for t, n in delivered.items() if n > 1]
    statuses = Counter(r.status for r in rows)
    summary = (f"seed {seed}: {kills} kills, {statuses}, {sum(delivered[r.text] for r in unknown)} of "
               f"{len(unknown)} flagged sends had arrived, {len(duplicated)} duplicated, {len(lost)} lost")
    print(summary)
    assert kills >= 1, summary
    assert lost == [], summary
    assert set(duplicated) <= {r.text for r in unknown} and duplicated == [], summary
    assert set(statuses) <= {"sent", "unknown"}, summary
    assert all(delivered[r.text] == 1 for r in rows if r.status == "sent"), summary
    for chat in chats:
        sent_in_order = [r.text for r in rows if r.chat_id == chat and r.status == "sent"]
        arrived = [m["text"] for m in sandbox.bot_messages(chat) if m["text"] in set(sent_in_order)]
        assert arrived == sent_in_order, f"chat {chat} out of order; {summary}"
    async with store.unit_of_work() as session:
        notices = {r.key: r.status for r in await session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("notice:%")))}
    assert set(notices) == {f"notice:unknown:{r.id}" for r in unknown}, summary
    # Notices are sends like any other: a kill may leave one of them doubtful too (then it is logged).
    arrived = [m["text"] for m in sandbox.bot_messages(STAFF_CHAT)]
    assert Counter(notices.values())["sent"] <= len(arrived) <= len(notices), summary
    await store.dispose()


async def _no_pending(store: Store) -> bool:
    return await pending(store) == 0


@pytest.fixture
async def private_postgres() -> AsyncIterator[str]:
    """A database of its own on the TEST_DATABASE_URL server: other test runs empty `test` at will."""
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"charterdesk_scheduler_{os.getpid()}"
    admin = Store(POSTGRES_URL)
    async with admin.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.mark.stress
async def test_two_schedulers_on_postgresql_share_10000_messages_and_send_none_twice(tmp_path, sandbox, private_postgres, data_keys):
    chats = list(range(10_001, 11_001))
    for chat in chats:
        sandbox.user(chat, f"Citizen {chat}")
    store = Store(private_postgres, keyring=data_keys)
    await store.migrate()
    await put_batch(store, 10_000, chats)
    env = scheduler_env(sandbox, private_postgres, ROOT / "charter.yml", data_keys.path)
    replicas = [SchedulerProcess(env, tmp_path, f"replica{n}").start() for n in (1, 2)]
    try:
        await until(lambda: _no_pending(store), timeout=300, what="every row sent")
    finally:
        codes = [replica.stop() for replica in replicas]
    rows = await batch_rows(store)
    delivered = deliveries(sandbox, chats)
    sent = [int(re.search(r"sends by outcome: \{'sent': (\d+)\}", r.output())[1]) for r in replicas]
    print(f"sent per replica: {sent}; statuses: {Counter(r.status for r in rows)}")
    assert codes == [0, 0]
    assert Counter(r.status for r in rows) == {"sent": 10_000}
    assert len(delivered) == 10_000 and set(delivered.values()) == {1}
    assert sum(sandbox.calls.values()) - sandbox.calls["getMe"] == 10_000  # not one request more
    assert all(n > 0 for n in sent) and sum(sent) == 10_000  # both worked, together sent each row once
    await store.dispose()


async def test_a_scheduler_down_across_deadlines_keeps_every_missed_promise_on_restart(tmp_path, sandbox, charter, data_keys):
    # Without quiet hours, so citizens' pushes go at once whatever the hour the test runs at.
    charter_file = tmp_path / "charter.yml"
    charter_file.write_text((ROOT / "charter.yml").read_text().replace('quiet_hours: "21:00-08:00"', ""))
    for chat in (4001, 4002, 4003, 4004, 4005):
        sandbox.user(chat, f"Citizen {chat}")
    url = f"sqlite+aiosqlite:///{tmp_path / 'down.db'}"
    env = scheduler_env(sandbox, url, charter_file, data_keys.path)
    process = SchedulerProcess(env, tmp_path, "scheduler").start()
    await until(lambda: "running:" in process.output(), timeout=60, what="the scheduler to start")
    process.kill()  # down

    store = Store(url, keyring=data_keys)
    now = datetime.now(UTC)

    async def ticket(chat_id, category="inquiry", **columns):
        async with store.unit_of_work() as session:
            citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=chat_id, language="en", now=now)
            received = now - timedelta(days=20)  # the charter's promise has passed
            row = await lifecycle.create(
                organisation_id=FIRST_ORGANISATION, session=session, citizen=citizen, category=category, language="en", text="?",
                received_at=received, due_at=charter.due_at(category, received),
            )
            for name, value in columns.items():
                setattr(row, name, value)
            return row.number

    # Promises that came due while nobody was watching:
    breached = await ticket(4001, due_at=now - timedelta(hours=2), remind_at=now - timedelta(days=1))
    reminded = await ticket(4002, due_at=now + timedelta(days=3), remind_at=now - timedelta(minutes=10), assigned_to=1002)
    appointment = await ticket(4003, "appointment_request", status="answered", appointment_at=now + timedelta(hours=2))
    complaint = await ticket(4004, "complaint", due_at=now - timedelta(hours=1))
    # Staff sent an interim the day before the (original) due moment: escalation only.
    covered = await ticket(4005, interim_at=charter.due_at("inquiry", now - timedelta(days=20)) - timedelta(days=1))
    async with store.unit_of_work() as session:
        await outbox.enqueue(session, key="ack:lost", chat_id=4005, text="an acknowledgement never sent", now=now)

    process.start()  # back up
    # The officer: three escalations and the weekly report that fell due (last Monday 09:00) while down.
    expected = {4001: 1, 1002: 1, 4003: 1, OFFICER: 4, STAFF_CHAT: 3, 4005: 1}
    await until(
        lambda: all(len(sandbox.bot_messages(chat)) >= n for chat, n in expected.items()),
        timeout=60, what="every missed promise",
    )
    await asyncio.sleep(1)  # a few more passes: nothing else may arrive
    assert process.stop() == 0
    assert {chat: len(sandbox.bot_messages(chat)) for chat in expected} == expected
    assert [breached] == re.findall(r"[ICNA]-\d+", sandbox.bot_messages(4001)[0]["text"])
    assert reminded in sandbox.bot_messages(1002)[0]["text"]
    assert appointment in sandbox.bot_messages(4003)[0]["text"]
    escalated = " ".join(m["text"] for m in sandbox.bot_messages(OFFICER))
    assert all(number in escalated for number in (breached, complaint, covered))
    assert sum(m["text"].startswith("주간 보고") for m in sandbox.bot_messages(OFFICER)) == 1
    assert sandbox.bot_messages(4005)[0]["text"] == "an acknowledgement never sent"  # no automatic interim
    assert sandbox.bot_messages(4002) == []  # not due yet: nothing to the citizen
    await store.dispose()
