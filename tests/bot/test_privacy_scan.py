"""Encryption at rest, end to end: marked messages go through the real bot, then the raw database is read.

Citizens write in ko, en and hu (a first message, a follow-up, an edit), staff answer from the staff
chat, and someone files an anonymous complaint with a sealed reply channel that gets the answer.
Then the database's own bytes are searched: the SQLite file and its write-ahead log (checkpointed
first), or a `pg_dump` of the PostgreSQL database. Not one marker, chat id, username or name may
be found: everything that says who wrote or what they wrote is stored encrypted.
"""

import asyncio
import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from conversation.citizen import anonymous
from desk.tickets.models import Ticket
from tests.bot.citizen_steps import buttons, eventually, press, say

STAFF_CHAT = -1001234567890
MARK = "QZ7X31"  # in every marked text, so even a fragment is caught
CITIZENS = {
    # language: (chat id, display name, username, first message, follow-up, edited text)
    "ko": (6_398_041_271, "황보비밀", "hwangbo_zq71", f"기초생활수급 신청 서류가 궁금합니다 비밀표식{MARK}",
           f"제 주소는 비밀동 {MARK}번지입니다", f"기초생활수급 신청 서류를 알려주세요 비밀표식{MARK} 수정"),
    "en": (6_398_041_272, "Thaddeus Quillfeather", "tquill_zq72",
           f"How do I apply for the housing benefit? secret-marker-{MARK}",
           f"My address is {MARK} Hidden Lane", f"How do I apply for the housing benefit, please? secret-marker-{MARK}"),
    "hu": (6_398_041_273, "Szőke Ödönke", "odonke_zq73",
           f"Milyen iratok kellenek a lakhatási támogatáshoz? titkos-jelölő-{MARK}",
           f"A címem: Rejtett utca {MARK}.", f"Milyen iratok kellenek a lakhatási támogatáshoz, kérem? titkos-jelölő-{MARK}"),
}
ANONYMOUS = (6_398_041_274, "Névtelen Bejelentő", "anon_zq74",
             f"The caretaker took money from residents for repairs that never happened. anon-marker-{MARK}")
STAFF_REPLY = f"Bring your ID card to room 3. staff-marker-{MARK}"


async def staff_reply(sandbox, number: str) -> dict:
    """An agent answers ticket `number` from the staff chat; returns the console's confirmation."""
    sent = await sandbox.send_text(1002, f"/reply {number} {STAFF_REPLY}", chat_id=STAFF_CHAT)

    async def confirmed():
        return [m for m in sandbox.bot_messages(STAFF_CHAT)
                if m["message_id"] > sent["message_id"] and number in m["text"] and "/reply" not in m["text"]]

    return (await eventually(confirmed))[0]


def needles() -> dict[str, bytes]:
    """Everything that must not be found, by what it is."""
    found: dict[str, bytes] = {"marker": MARK.encode()}
    for language, (chat, name, username, *texts) in [*CITIZENS.items(), ("anonymous", ANONYMOUS[:3] + (ANONYMOUS[3],))]:
        found[f"{language} chat id"] = str(chat).encode()
        # SQLite keeps an integer as big-endian binary (6 bytes at this size), never as decimal text.
        found[f"{language} chat id (int48)"] = chat.to_bytes(6, "big", signed=True)
        found[f"{language} chat id (int64)"] = chat.to_bytes(8, "big", signed=True)
        found[f"{language} username"] = username.encode()
        found[f"{language} name"] = name.encode()
        for n, marked in enumerate(texts):
            # The distinctive words around the marker, in the language's own script (UTF-8, as stored).
            words = [w for w in re.split(r"[\s?.,]+", marked) if len(w) >= 6 and MARK not in w]
            if words:
                found[f"{language} text {n}"] = max(words, key=len).encode()
    found["staff reply"] = b"room 3. staff-marker"
    return found


async def database_bytes(store, database_url: str, tmp_path: Path) -> dict[str, bytes]:
    """The database as an attacker who copied it would have it: files (SQLite) or a dump (PostgreSQL)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        # Move what the log holds into the main file; the log is read as well, whatever stayed in it.
        with closing(sqlite3.connect(path)) as connection:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        print(f"\ncheckpoint {'blocked by a reader' if busy else 'done'}")
        return {p.name: p.read_bytes() for p in [path, *path.parent.glob(path.name + "-*")] if p.exists()}
    pg_dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    dump = tmp_path / "dump.sql"
    process = await asyncio.create_subprocess_exec(
        pg_dump, "--no-owner", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
        "-U", url.username or "postgres", "-f", str(dump), url.database,
    )
    assert await process.wait() == 0
    return {"pg_dump": dump.read_bytes()}


@pytest.fixture
def staff_chat(sandbox):
    sandbox.group(STAFF_CHAT, "안심 직원방", chat_type="supergroup")
    sandbox.user(1001, "김담당", username="kim", language_code="en")
    sandbox.user(1002, "이상담", username="lee", language_code="en")


async def test_no_marker_chat_id_username_or_name_is_found_in_the_raw_database(
    sandbox, staff_chat, live, database_url, tmp_path
):
    for language, (chat, name, username, first, follow_up, edited) in CITIZENS.items():
        sandbox.user(chat, name, username=username, language_code=language)
        sent = await sandbox.send_text(chat, first)
        [ack] = await sandbox.wait_for_bot_messages(chat, after_message_id=sent["message_id"])
        if buttons(ack):  # the classifier was unsure and asks what kind of matter: an inquiry
            [ack] = await press(sandbox, chat, ack, buttons(ack)[0][1])
        number = re.search(r"[ICA]-\d{4}", ack["text"]).group()
        await sandbox.edit_text(chat, chat, sent["message_id"], edited)
        await say(sandbox, chat, follow_up)  # a follow-up: held, asked about, or added to the ticket
        await staff_reply(sandbox, number)
        delivered = await eventually(
            lambda chat=chat: asyncio.sleep(0, [m for m in sandbox.bot_messages(chat) if MARK in m["text"]])
        )
        assert delivered, f"the staff reply did not reach the {language} citizen"
        # A citizen trying a staff command is refused and audited, by a keyed hash, not by their id.
        [refused] = await say(sandbox, chat, f"/close {number}")
        assert "staff" in refused["text"].lower() or "직원" in refused["text"] or "munkatárs" in refused["text"]

    # An anonymous complaint whose sender seals a channel for the answer.
    chat, name, username, complaint = ANONYMOUS
    sandbox.user(chat, name, username=username, language_code="en")
    await say(sandbox, chat, "/anonymous")
    [receipt] = await say(sandbox, chat, complaint)
    code = re.search(r"\d{4} \d{4} \d{4} \d{4}", receipt["text"]).group().replace(" ", "")
    number = re.search(r"C-\d{4}", receipt["text"]).group()
    await press(sandbox, chat, receipt, f"c:seal:{code}")
    await staff_reply(sandbox, number)
    async with live.store.unit_of_work() as session:
        await anonymous.push_sealed_answers(session=session, desk=live.desk,
                                                  sealer=live.sealer, now=live_now())
    assert await eventually(
        lambda: asyncio.sleep(0, [m for m in sandbox.bot_messages(chat) if "staff-marker" in m["text"]])
    )

    # The code still sees everything in clear: the data is there, readable with the key.
    async with live.store.unit_of_work() as session:
        stored = (await session.scalars(select(Ticket.text).order_by(Ticket.id))).all()
    assert len(stored) >= 4 and all(MARK in t for t in stored)

    images = await database_bytes(live.store, database_url, tmp_path)
    wanted = needles()
    hits = {f"{what} in {file}": blob.count(needle) for file, blob in images.items()
            for what, needle in wanted.items() if needle in blob}
    scanned = {file: len(blob) for file, blob in images.items()}
    print(f"\nprivacy scan: {len(wanted)} needles over {scanned} bytes: {sum(hits.values())} hits")
    # The scan does find what is stored in clear: staff names (not citizens' data) are.
    assert any("이상담".encode() in blob for blob in images.values())
    assert hits == {}


def live_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
