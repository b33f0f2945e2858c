"""Bad input to the web chat gets a clear answer in the visitor's language, and nothing is stored."""

import dataclasses
import json

import httpx
import pytest
from sqlalchemy import func, select

from charterdesk.web import build_web_app
from desk.charter.model import Web
from desk.tickets.models import InboundMessage, Ticket
from tests.web.conftest import BASE, new_visitor
from web.feed import FeedMessage
from web.limits import Limiter, WebLimits

ALLOWED = "https://www.ansim.or.kr"


async def stored(store) -> dict[str, int]:
    async with store.unit_of_work() as session:
        return {table.__name__: await session.scalar(select(func.count()).select_from(table))
                for table in (InboundMessage, Ticket, FeedMessage)}


NOTHING = {"InboundMessage": 0, "Ticket": 0, "FeedMessage": 0}


@pytest.mark.parametrize(("body", "status", "words"), [
    (b"not json", 400, "요청을 읽을 수 없습니다"),
    (b"[1, 2]", 400, "요청을 읽을 수 없습니다"),
    (json.dumps({"id": "1", "text": "hi"}).encode(), 400, "요청을 읽을 수 없습니다"),
    (json.dumps({"id": 0, "text": "hi"}).encode(), 400, "요청을 읽을 수 없습니다"),
    (json.dumps({"id": 2**53, "text": "hi"}).encode(), 400, "요청을 읽을 수 없습니다"),
    (json.dumps({"id": True, "text": "hi"}).encode(), 400, "요청을 읽을 수 없습니다"),
    (json.dumps({"id": 1, "text": ["hi"]}).encode(), 400, "요청을 읽을 수 없습니다"),
    (json.dumps({"id": 1, "text": "   "}).encode(), 400, "내용을 입력해 주세요"),
    (json.dumps({"id": 1, "text": "가" * 4097}).encode(), 413, "4096자 이내"),
    (json.dumps({"id": 1, "text": "a" * 40_000}).encode(), 413, "4096자 이내"),
    (b"\xff\xfe\x00", 400, "요청을 읽을 수 없습니다"),
])
async def test_a_malformed_message_is_refused_in_the_visitors_language(live, client, body, status, words):
    visitor = await new_visitor(client)
    response = await client.post("/web/messages?lang=ko", content=body, headers=visitor)
    assert response.status_code == status
    assert words in response.json()["error"]
    assert response.headers["content-language"] == "ko"
    assert await stored(live.store) == NOTHING


async def test_a_body_larger_than_its_declared_length_is_cut_off(live, client):
    visitor = await new_visitor(client)

    async def endless():
        yield b'{"id": 1, "text": "'
        for _ in range(100):
            yield b"a" * 1000

    response = await client.post("/web/messages", content=endless(), headers=visitor)
    assert response.status_code == 413
    assert await stored(live.store) == NOTHING


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not-a-token", "Basic abc", "Bearer " + "x" * 500])
async def test_a_post_without_a_token_we_issued_is_refused(live, client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    # The body of an unknown sender is never read: the language comes from the URL (the widget sends it there).
    response = await client.post("/web/messages?lang=en", json={"id": 1, "text": "hello"}, headers=headers)
    assert response.status_code == 401
    assert "reload the page" in response.json()["error"]
    assert (await client.get("/web/feed", headers=headers)).status_code == 401
    assert await stored(live.store) == NOTHING


async def test_a_visitor_over_the_rate_limit_is_told_to_wait_and_nothing_more_is_stored(live, web_app, client):
    web_app.state.web.limiter = Limiter(WebLimits(per_visitor="2/minute"))
    visitor = await new_visitor(client)
    answers = [await client.post("/web/messages", json={"id": n, "text": f"Question {n} about housing", "lang": "hu"},
                                 headers=visitor) for n in (1, 2, 3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert "egy perc múlva" in answers[2].json()["error"]
    assert (await stored(live.store))["InboundMessage"] == 2


async def test_one_address_cannot_open_endless_visitors(live, web_app, client):
    web_app.state.web.limiter = Limiter(WebLimits(new_visitors_per_address="3/hour"))
    statuses = [(await client.post("/web/visitors")).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]


def app_allowing(live, origins: tuple[str, ...]):
    charter = live.charter.model_copy(update={"web": Web(allowed_origins=origins)})
    return build_web_app(dataclasses.replace(live, charter=charter))


async def test_a_page_the_charter_does_not_allow_gets_nothing(live):
    transport = httpx.ASGITransport(app=app_allowing(live, (ALLOWED,)))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        own = await new_visitor(client)
        foreign = {"Origin": "https://evil.example"}
        for method, path in (("POST", "/web/visitors"), ("POST", "/web/messages"), ("GET", "/web/feed"),
                             ("GET", "/web/stream"), ("OPTIONS", "/web/messages"), ("GET", "/web/texts")):
            response = await client.request(method, path, headers=own | foreign,
                                            content=json.dumps({"id": 1, "text": "hi"}))
            assert response.status_code == 403, path
            assert response.content == b"" and "access-control-allow-origin" not in response.headers
        assert await stored(live.store) == NOTHING


async def test_an_allowed_page_gets_cors_headers_and_its_preflight(live):
    transport = httpx.ASGITransport(app=app_allowing(live, (ALLOWED,)))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        preflight = await client.options("/web/messages", headers={
            "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == ALLOWED
        assert "Authorization" in preflight.headers["access-control-allow-headers"]
        assert "access-control-allow-credentials" not in preflight.headers  # no cookies, ever
        visitor = (await client.post("/web/visitors", headers={"Origin": ALLOWED}))
        assert visitor.status_code == 201 and visitor.headers["access-control-allow-origin"] == ALLOWED
        assert "set-cookie" not in visitor.headers


async def test_the_desks_own_page_needs_no_charter_entry(live, client):
    response = await client.post("/web/visitors", headers={"Origin": BASE})
    assert response.status_code == 201


@pytest.mark.parametrize(("lang", "word"), [("ko", "보내기"), ("en", "Send"), ("hu", "Küldés"), ("xx", "보내기")])
async def test_the_panels_words_come_from_the_domain_file(live, client, lang, word):
    response = await client.get("/web/texts", params={"lang": lang})
    assert response.json()["texts"]["send"] == word
    assert response.json()["languages"] == ["ko", "en", "hu"]
