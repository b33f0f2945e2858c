"""The optional e-mail notice: a visitor who gave an address is told by mail that an answer is waiting
(through the SMTP server of the settings, here aiosmtpd), never what the answer says."""

import socket
from email import message_from_bytes
from email.header import decode_header, make_header

import httpx
import pytest
from aiosmtpd.controller import Controller

from charterdesk.web import build_web_app
from tests.bot.citizen_steps import eventually
from tests.bot.conftest import running_desk
from tests.web.conftest import BASE, STAFF_CHAT, new_visitor
from web.visitors import WebVisitor

REPLY = "Bring your ID card and the lease to room 3."
INQUIRY = "What documents do I need for the housing benefit?"


class Inbox:
    """aiosmtpd's handler: every mail it is given."""

    def __init__(self) -> None:
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox():
    """A local SMTP server (aiosmtpd) on a free port, and what it received."""
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    received.port = controller.port
    try:
        yield received
    finally:
        controller.stop()


@pytest.fixture
async def live_with_mail(sandbox, database_url, data_keys, inbox):
    """Charterdesk's bot and scheduler on the sandbox, started with SMTP_HOST and SMTP_PORT set."""
    async with running_desk(sandbox, database_url, data_keys, SMTP_HOST="127.0.0.1", SMTP_PORT=inbox.port,
                            SMTP_FROM="desk@ansim.test") as components:
        yield components


async def test_a_waiting_answer_is_announced_by_mail_without_its_text(live_with_mail, sandbox, staff_chat, inbox):
    app = build_web_app(live_with_mail)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        assert (await client.get("/web/texts")).json()["email"] is True
        visitor = await new_visitor(client)
        bad = await client.post("/web/email", json={"id": 1, "email": "not an address", "lang": "en"}, headers=visitor)
        assert bad.status_code == 400 and "check the e-mail address" in bad.json()["error"]
        saved = await client.post("/web/email", json={"id": 2, "email": "visitor@example.org", "lang": "en"},
                                  headers=visitor)
        assert saved.status_code == 202
        await client.post("/web/messages", json={"id": 3, "text": INQUIRY, "lang": "en"}, headers=visitor)
        assert inbox.mails == []  # the answer to the visitor's own message is no news to them

        await sandbox.send_text(1002, f"/reply I-1001 {REPLY}", chat_id=STAFF_CHAT)

        async def mailed():
            return inbox.mails

        [(to, mail)] = await eventually(mailed)
        assert to == ["visitor@example.org"]
        body = mail.get_payload(decode=True).decode()
        assert "answer is waiting" in str(make_header(decode_header(mail["Subject"])))
        assert "room 3" not in body and "I-1001" not in body  # never what the answer says
        lines = (await client.get("/web/feed", headers=visitor)).json()["messages"]
        assert any(REPLY in line["text"] for line in lines)
    async with live_with_mail.store.unit_of_work() as session:
        stored = await session.get(WebVisitor, 1)
        assert stored.email == "visitor@example.org" and stored.notified_at is not None


async def test_no_smtp_server_no_email_offered(live, client):
    assert (await client.get("/web/texts")).json()["email"] is False
    visitor = await new_visitor(client)
    refused = await client.post("/web/email", json={"id": 1, "email": "visitor@example.org"}, headers=visitor)
    assert refused.status_code == 400
