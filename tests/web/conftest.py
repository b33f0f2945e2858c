"""The web chat beside a running Charterdesk (bot + scheduler on the sandbox): its app over ASGI, and helpers."""

from collections.abc import AsyncIterator

import httpx
import pytest

from charterdesk.web import build_web_app
from tests.bot.conftest import live, sandbox  # noqa: F401  (fixtures)

STAFF_CHAT = -1001234567890
BASE = "http://desk.test"


@pytest.fixture
def staff_chat(sandbox):  # noqa: F811
    """The staff group with the charter's officer and agent in it."""
    sandbox.group(STAFF_CHAT, "안심 직원방", chat_type="supergroup")
    sandbox.user(1001, "김담당", username="kim", language_code="ko")
    sandbox.user(1002, "이상담", username="lee", language_code="ko")
    return STAFF_CHAT


@pytest.fixture
def web_app(live):  # noqa: F811
    """The process's web app (compliance page and web chat) on the live components."""
    return build_web_app(live)


@pytest.fixture
async def client(web_app) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the web app in-process."""
    transport = httpx.ASGITransport(app=web_app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def new_visitor(client: httpx.AsyncClient) -> dict[str, str]:
    """A fresh visitor's Authorization header."""
    response = await client.post("/web/visitors")
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.json()['token']}"}
