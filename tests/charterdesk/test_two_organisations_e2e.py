"""Two organisations, two bots, one `charterdesk run` (polling, and webhook mode: one server, a path and a secret
per bot), each bot on a sandbox Bot API of its own.

The Korean centre (charter.yml, organisation 1, TELEGRAM_BOT_TOKEN) and the Hungarian association
(charters/csagyi.yml, TELEGRAM_BOT_TOKEN_CSAGYI): each citizen is promised their own charter's date in their
language, each staff chat gets only its own organisation's cards, and a staff member of one cannot /show or
/reply to the other's tickets (a typed number names only tickets of one's own organisation). The same user id writes to both
bots and both bots count update and message ids from 1: nothing of one is taken for the other's.
"""

import os
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from charterdesk.assembly import new_desk
from charterdesk.settings import Settings
from conversation.texts import Texts
from desk import audit
from desk.charter.model import load_charter
from desk.organisations import service as organisations
from desk.organisations.models import Organisation
from desk.outbox import OutboxMessage
from bot.inbox import IntakeUpdate
from desk.tickets.models import Ticket
from sandbox import Sandbox
from tests.charterdesk.test_replicas import Process, until
from tests.charterdesk.test_webhook import SECRET, free_port
from tests.conftest import ROOT

KOREAN_CHARTER = ROOT / "charter.yml"
HUNGARIAN_CHARTER = ROOT / "charters" / "csagyi.yml"
KOREAN_STAFF_CHAT, HUNGARIAN_STAFF_CHAT = -1001234567890, -1005000000001
CITIZEN = 700  # the same Telegram user writes to both bots
INQUIRY_KO = "기초생활수급 신청하려면 어떤 서류가 필요한가요?"
INQUIRY_HU = "Milyen dokumentumok kellenek a családsegítéshez?"


async def tickets_of(store, organisation_id: int) -> list[Ticket]:
    async with store.unit_of_work() as session:
        query = select(Ticket).where(Ticket.organisation_id == organisation_id).order_by(Ticket.id)
        return list((await session.scalars(query)).all())


async def refused(store, organisation_id: int) -> list[tuple[str, str, int, str]]:
    async with store.unit_of_work() as session:
        query = select(audit.AuditEntry).where(
            audit.AuditEntry.organisation_id == organisation_id, audit.AuditEntry.outcome == audit.REFUSED
        ).order_by(audit.AuditEntry.id)
        return [(e.action, e.outcome, e.actor_id, e.detail) for e in (await session.scalars(query)).all()]


async def staff_says(sandbox, user: int, chat: int, text: str) -> dict:
    sent = await sandbox.send_text(user, text, chat_id=chat)
    [answer] = await sandbox.wait_for_bot_messages(chat, after_message_id=sent["message_id"], timeout=30)
    return answer


async def stored_updates(store) -> int:
    async with store.unit_of_work() as session:
        return await session.scalar(select(func.count()).select_from(IntakeUpdate))


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_two_organisations_with_two_bots_in_one_run(store, database_url, data_keys, tmp_path, mode):
    async with store.unit_of_work() as session:
        hungarian_org = await organisations.add(
            session=session, slug="csagyi", name="CSAGYI", charter_file=str(HUNGARIAN_CHARTER), now=datetime.now(UTC)
        )
        # Each organisation numbers its own tickets from 1001: the Korean centre has been at it longer, so its
        # next number (I-2001) is one the association does not have, and typing it there names nothing.
        (await session.get(Organisation, 1)).next_ticket_number = 2001
    async with (
        Sandbox(token="111111:KOREAN-CENTRE", bot_username="ansim_bot") as korean,
        Sandbox(token="222222:HUNGARIAN-ASSOCIATION", bot_username="csagyi_bot") as hungarian,
        httpx.AsyncClient(timeout=10) as http,
    ):
        korean.group(KOREAN_STAFF_CHAT, "안심 직원방", chat_type="supergroup")
        korean.user(1001, "김담당", language_code="ko")
        hungarian.group(HUNGARIAN_STAFF_CHAT, "CSAGYI munkatársak", chat_type="supergroup")
        hungarian.user(5001, "Irodavezető", language_code="hu")
        port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
        env = {
            **clean,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "CHARTER_FILE": str(KOREAN_CHARTER),
            "CHARTERDESK_KEY_FILE": str(data_keys.path),
            "TELEGRAM_BOT_TOKEN": korean.token,
            "TELEGRAM_API_URL": korean.bot_api_url,
            "TELEGRAM_BOT_TOKEN_CSAGYI": hungarian.token,
            "TELEGRAM_API_URL_CSAGYI": hungarian.bot_api_url,
            "CHARTERDESK_DISPATCH_INTERVAL": "0.5",
        }
        if mode == "polling":
            env["CHARTERDESK_METRICS_PORT"] = str(port)
        else:
            # Organisation 1 at WEBHOOK_URL with WEBHOOK_SECRET; csagyi at /telegram/csagyi with a derived secret.
            env.update({"WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram", "WEBHOOK_SECRET": SECRET,
                        "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port)})
        run = Process("run", "run", env, tmp_path, port)
        await run.start()
        try:
            await until(lambda: run.healthy(http), timeout=300, what="charterdesk run to start", processes=[run])

            korean.user(CITIZEN, "김시민", language_code="ko")
            hungarian.user(CITIZEN, "Kovács Anna", language_code="hu")
            await korean.send_text(CITIZEN, INQUIRY_KO)
            await hungarian.send_text(CITIZEN, INQUIRY_HU)
            [ack_ko] = await korean.wait_for_bot_messages(CITIZEN, timeout=60)
            [ack_hu] = await hungarian.wait_for_bot_messages(CITIZEN, timeout=60)

            # Each ticket is its organisation's, due by its own charter, promised in the citizen's language.
            [ko_ticket] = await tickets_of(store, 1)
            [hu_ticket] = await tickets_of(store, hungarian_org.id)
            texts = Texts.load()
            settings = Settings()
            ko_desk = new_desk(settings, load_charter(KOREAN_CHARTER), texts, 1)
            hu_desk = new_desk(settings, load_charter(HUNGARIAN_CHARTER), texts, hungarian_org.id)
            for desk, ticket in ((ko_desk, ko_ticket), (hu_desk, hu_ticket)):
                assert ticket.due_at == desk.charter.due_at(ticket.category, ticket.received_at)
            assert ko_ticket.number in ack_ko["text"] and ko_desk.moment(ko_ticket.due_at, "ko") in ack_ko["text"]
            assert hu_ticket.number in ack_hu["text"] and hu_desk.moment(hu_ticket.due_at, "hu") in ack_hu["text"]
            assert ko_desk.charter.organisation.timezone != hu_desk.charter.organisation.timezone

            # Each staff chat gets its own organisation's card, never the other's.
            [ko_card] = await korean.wait_for_bot_messages(KOREAN_STAFF_CHAT, timeout=60)
            [hu_card] = await hungarian.wait_for_bot_messages(HUNGARIAN_STAFF_CHAT, timeout=60)
            assert ko_ticket.number in ko_card["text"] and hu_ticket.number not in ko_card["text"]
            assert hu_ticket.number in hu_card["text"] and ko_ticket.number not in hu_card["text"]

            # The Hungarian officer types the Korean ticket's number: within the association it names nothing,
            # so the answer is "no such ticket", as for a typo (numbers are per organisation: no typed number
            # can reach another organisation's ticket; a pressed button naming one is refused and audited,
            # tests/conversation/staff/test_cross_organisation.py).
            assert (ko_ticket.number, hu_ticket.number) == ("I-2001", "I-1001")
            shown = await staff_says(hungarian, 5001, HUNGARIAN_STAFF_CHAT, f"/show {ko_ticket.number}")
            assert INQUIRY_KO not in shown["text"] and ko_ticket.number in shown["text"]
            replied = await staff_says(hungarian, 5001, HUNGARIAN_STAFF_CHAT, f"/reply {ko_ticket.number} Szia!")
            assert "Szia" not in str(korean.messages(CITIZEN))
            assert ko_ticket.number in replied["text"]
            assert await refused(store, 1) == []
            # The Korean officer's own /show works in their chat, through their bot.
            own = await staff_says(korean, 1001, KOREAN_STAFF_CHAT, f"/show {ko_ticket.number}")
            assert INQUIRY_KO in own["text"]

            # Every promised message left through its own organisation's bot: none is left over, none failed
            # (a send is recorded a moment after it arrived).
            async def outbox_rows():
                async with store.unit_of_work() as session:
                    return (await session.execute(select(OutboxMessage.organisation_id, OutboxMessage.status))).all()

            async def all_sent() -> bool:
                return {status for _, status in await outbox_rows()} == {"sent"}

            await until(all_sent, timeout=30, what="every outbox row recorded sent", processes=[run])
            rows = await outbox_rows()
            assert {organisation for organisation, _ in rows} == {1, hungarian_org.id}
            assert len(korean.bot_messages(KOREAN_STAFF_CHAT)) == 2  # the card and the /show answer
            assert len(hungarian.bot_messages(HUNGARIAN_STAFF_CHAT)) == 3  # the card and the two refusals

            if mode == "webhook":
                # A forged update: organisation 1's secret on csagyi's path, or an unknown slug, stores nothing.
                before = await stored_updates(store)
                forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "hi",
                                                        "chat": {"id": CITIZEN, "type": "private"}}}
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                base = f"http://127.0.0.1:{port}/telegram"
                assert (await http.post(f"{base}/csagyi", json=forged, headers=headers)).status_code == 403
                assert (await http.post(f"{base}/nobody", json=forged, headers=headers)).status_code == 404
                assert (await http.post(f"{base}/main", json=forged,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})).status_code == 403
                assert await stored_updates(store) == before
        finally:
            if run.alive:
                run.process.terminate()
                await run.process.wait()
