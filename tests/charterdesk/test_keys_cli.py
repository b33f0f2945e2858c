"""`charterdesk keys rotate|status|retire` as an operator runs them, against both backends."""

import asyncio
import os
import subprocess
import sys

from sqlalchemy import select, text

from desk.organisations.models import FIRST_ORGANISATION
from infra import keyring
from desk import outbox
from desk.tickets import lifecycle, service
from desk.tickets.models import Citizen, Ticket
from tests.conftest import ROOT, at

NOW = at("2026-11-23T10:00:00+09:00")
CITIZENS = 30


def charterdesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "CHARTER", "RASA_"))}
    return subprocess.run([sys.executable, "-m", "charterdesk", *args], check=False, env={**clean, **env}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


async def test_rotate_reencrypts_everything_with_a_progress_bar_and_the_old_key_can_be_retired(
    store, database_url, data_keys
):
    async with store.unit_of_work() as session:
        for n in range(CITIZENS):
            citizen = await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=7_000_000 + n, language="en", now=NOW)
            await lifecycle.create(organisation_id=FIRST_ORGANISATION, session=session, citizen=citizen, category="inquiry", language="en",
                                   text=f"question {n}", received_at=NOW, due_at=NOW)
            await outbox.enqueue(session, key=f"k{n}", chat_id=7_000_000 + n, text=f"answer {n}", now=NOW)
    env = {"DATABASE_URL": database_url, "CHARTERDESK_KEY_FILE": str(data_keys.path)}

    rotated = await asyncio.to_thread(charterdesk, "keys", "rotate", "--batch", "7", env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert "added data key 2" in rotated.stdout and "re-encrypting" in rotated.stdout
    # 30 x (citizen chat id, ticket text, outbox chat id, outbox text)
    assert f"{CITIZENS * 4} values rewritten" in rotated.stdout and "data key(s) 1" in rotated.stdout
    status = await asyncio.to_thread(charterdesk, "keys", "status", env=env)
    assert "data key 1: 0 values" in status.stdout and f"data key 2 (current): {CITIZENS * 4} values" in status.stdout

    retired = await asyncio.to_thread(charterdesk, "keys", "retire", "1", env=env)
    assert retired.returncode == 0, retired.stderr
    ring = store.keyring = keyring.Keyring.from_file(data_keys.path)
    assert ring.data_key_ids == [2]
    async with store.unit_of_work() as session:
        assert sorted(c.chat_id for c in (await session.scalars(select(Citizen))).all()) == [
            7_000_000 + n for n in range(CITIZENS)
        ]
        assert (await session.get(Ticket, 1)).text == "question 0"
    async with store.engine.connect() as connection:
        stored = (await connection.execute(text("SELECT text FROM tickets"))).scalars().all()
    assert all(value.startswith("cd1:2:") for value in stored)

    # The current key cannot be retired; a key still in use is refused with what to do.
    assert "current key" in (await asyncio.to_thread(charterdesk, "keys", "retire", "2", env=env)).stderr


async def test_retiring_a_key_still_in_use_is_refused(store, database_url, data_keys):
    async with store.unit_of_work() as session:
        await service.upsert_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=42, language="en", now=NOW)
    keyring.add_data_key(data_keys.path)  # a new key, but nothing re-encrypted yet
    env = {"DATABASE_URL": database_url, "CHARTERDESK_KEY_FILE": str(data_keys.path)}
    refused = await asyncio.to_thread(charterdesk, "keys", "retire", "1", env=env)
    assert refused.returncode == 1 and "1 stored values still use data key 1" in refused.stderr
    assert keyring.Keyring.from_file(data_keys.path).data_key_ids == [1, 2]


def test_rotate_without_the_key_file_is_a_clear_error_and_creates_no_key(tmp_path):
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", "CHARTERDESK_KEY_FILE": str(tmp_path / "gone.key")}
    result = charterdesk("keys", "rotate", env=env)
    assert result.returncode == 1 and "no key file" in result.stderr and "gone.key" in result.stderr
    assert not (tmp_path / "gone.key").exists()
