"""RasaClassifier against stand-in servers: Rasa's answer, nlu_fallback, nonsense, errors, timeouts."""

import json
import logging
import socket

import httpx
import pytest

from nlu.classifier import Classification
from nlu.rasa import RasaClassifier


class Local:
    """The embedded classifier's stand-in: remembers what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    async def classify(self, text: str, *, hint: str | None = None) -> Classification:
        self.calls.append((text, hint))
        return Classification("inquiry", 0.42, hint or "en")


def rasa_answering(*bodies, status: int = 200):
    """A transport that answers each POST /model/parse with the next body; records requests."""
    requests: list[httpx.Request] = []
    answers = iter(bodies)

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        body = next(answers)
        if isinstance(body, Exception):
            raise body
        return httpx.Response(status, content=body if isinstance(body, bytes) else json.dumps(body).encode())

    return httpx.MockTransport(handle), requests


def parsed(*ranking: tuple[str, float]) -> dict:
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"text": "...", "intent": entries[0], "intent_ranking": entries, "entities": []}


async def test_rasa_intent_and_confidence_with_the_local_language() -> None:
    transport, requests = rasa_answering(parsed(("complaint", 0.91), ("inquiry", 0.05)))
    local = Local()
    adapter = RasaClassifier("http://rasa:5005/", fallback=local, transport=transport)
    answer = await adapter.classify("왜 답이 없어요?", hint="ko-KR")
    await adapter.close()
    assert answer == Classification("complaint", 0.91, "ko-KR")
    assert str(requests[0].url) == "http://rasa:5005/model/parse"
    assert json.loads(requests[0].content) == {"text": "왜 답이 없어요?"}
    assert local.calls == [("왜 답이 없어요?", "ko-KR")] and adapter.fallbacks == 0


async def test_nlu_fallback_gives_diets_best_intent_with_its_low_confidence() -> None:
    transport, _ = rasa_answering(parsed(("nlu_fallback", 0.4), ("appointment_request", 0.31)))
    adapter = RasaClassifier("http://rasa", fallback=Local(), transport=transport)
    assert await adapter.classify("hmm") == Classification("appointment_request", 0.31, "en")
    assert adapter.fallbacks == 0


@pytest.mark.parametrize(
    "body",
    [
        parsed(("chitchat", 0.9)),  # a model trained on another domain
        {"intent": None, "intent_ranking": []},
        [1, 2, 3],
        b"<html>proxy error</html>",
    ],
    ids=["unknown intent", "no intent", "not an object", "not json"],
)
async def test_nonsense_from_rasa_falls_back(body, caplog) -> None:
    transport, _ = rasa_answering(body)
    adapter = RasaClassifier("http://rasa", fallback=Local(), transport=transport)
    with caplog.at_level(logging.WARNING, logger="nlu.rasa"):
        assert await adapter.classify("hello") == Classification("inquiry", 0.42, "en")
    assert adapter.fallbacks == 1
    assert "Rasa at http://rasa failed" in caplog.text


async def test_after_a_failure_rasa_rests_then_is_tried_again(caplog) -> None:
    transport, requests = rasa_answering(httpx.ConnectError("refused"), parsed(("greet", 0.99)))
    adapter = RasaClassifier("http://rasa", fallback=Local(), transport=transport, retry_after=3600)
    assert (await adapter.classify("hi")).intent == "inquiry"
    assert (await adapter.classify("hi")).intent == "inquiry"
    assert len(requests) == 1, "no request while resting: each would cost a citizen the timeout"
    assert adapter.fallbacks == 2
    adapter.retry_after = 0.0
    adapter._down_until = 0.0  # the rest is over
    with caplog.at_level(logging.INFO, logger="nlu.rasa"):
        assert (await adapter.classify("hi")).intent == "greet"
    assert "answers again" in caplog.text


async def test_server_error_and_timeout_fall_back() -> None:
    for failure in (httpx.ReadTimeout("slow"), None):
        transport, _ = rasa_answering(failure) if failure else rasa_answering({"error": "boom"}, status=500)
        adapter = RasaClassifier("http://rasa", fallback=Local(), transport=transport)
        assert (await adapter.classify("hello")).confidence == 0.42
        assert adapter.fallbacks == 1


async def test_a_server_that_is_not_there_falls_back_over_real_http() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    adapter = RasaClassifier(f"http://127.0.0.1:{port}", fallback=Local(), timeout=2.0)
    assert await adapter.classify("hello") == Classification("inquiry", 0.42, "en")
    await adapter.close()
    assert adapter.fallbacks == 1


async def test_blank_text_never_reaches_rasa() -> None:
    transport, requests = rasa_answering()
    adapter = RasaClassifier("http://rasa", fallback=Local(), transport=transport)
    assert (await adapter.classify("  \n")).intent == "inquiry"
    assert requests == [] and adapter.fallbacks == 0


async def test_long_text_is_cut_before_it_is_sent() -> None:
    transport, requests = rasa_answering(parsed(("complaint", 0.8)))
    adapter = RasaClassifier("http://rasa", fallback=Local(), transport=transport)
    await adapter.classify("불만 " * 5_000)
    assert len(json.loads(requests[0].content)["text"]) == 1000


async def test_components_close_the_rasa_client() -> None:
    from types import SimpleNamespace

    from charterdesk.assembly import Components, build_classifier

    classifier = build_classifier(SimpleNamespace(rasa_url="http://127.0.0.1:9"))
    assert isinstance(classifier, RasaClassifier)

    class Store:
        disposed = False

        async def dispose(self) -> None:
            self.disposed = True

    store = Store()
    components = Components(settings=None, charter=None, desk=None, store=store, classifier=classifier)
    await components.close()
    assert classifier._client.is_closed and store.disposed
