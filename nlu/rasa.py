"""The Rasa server as a classifier (RASA_URL), falling back to the embedded one when it is down."""

from __future__ import annotations

import logging
import time

import httpx

from nlu.classifier import INTENTS, Classification, Classifier
from nlu.embedded import MAX_CHARS

log = logging.getLogger(__name__)

# A citizen is waiting for the acknowledgement: better the embedded answer now than Rasa's late.
TIMEOUT_SECONDS = 2.0
# After a failure, don't try Rasa again for this long: each try would cost the citizen the timeout.
RETRY_AFTER_SECONDS = 30.0
# What Rasa's FallbackClassifier answers when DIET is unsure; not one of our intents.
RASA_FALLBACK_INTENT = "nlu_fallback"


class RasaUnusable(Exception):
    """Rasa answered, but not with anything we can use."""


class RasaClassifier:
    """Asks `POST /model/parse` of a Rasa 3.6 server; language comes from the embedded detector."""

    def __init__(
        self,
        url: str,
        *,
        fallback: Classifier,
        timeout: float = TIMEOUT_SECONDS,
        retry_after: float = RETRY_AFTER_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.fallback = fallback
        self.retry_after = retry_after
        self.fallbacks = 0  # messages answered by the fallback, for benchmarks and health checks
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)
        self._down_until: float | None = None

    async def classify(self, text: str, *, hint: str | None = None) -> Classification:
        """Rasa's intent and confidence; the fallback's answer if Rasa is down or answers nonsense."""
        local = await self.fallback.classify(text, hint=hint)
        if not text.strip() or self._resting():
            self.fallbacks += bool(text.strip())
            return local
        try:
            intent, confidence = await self._parse(text[:MAX_CHARS])
        except (httpx.HTTPError, RasaUnusable, ValueError) as exc:
            self._down_until = time.monotonic() + self.retry_after
            self.fallbacks += 1
            log.warning(
                "Rasa at %s failed (%s: %s); the embedded classifier answers for the next %.0f s",
                self.url,
                type(exc).__name__,
                exc,
                self.retry_after,
            )
            return local
        if self._down_until is not None:
            log.info("Rasa at %s answers again", self.url)
            self._down_until = None
        return Classification(intent=intent, confidence=confidence, language=local.language)

    async def _parse(self, text: str) -> tuple[str, float]:
        response = await self._client.post(f"{self.url}/model/parse", json={"text": text})
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise RasaUnusable(f"expected a JSON object, got {type(body).__name__}")
        # When DIET is unsure the FallbackClassifier puts nlu_fallback first; DIET's own best guess
        # is still in the ranking, and its low confidence is what tells the bot to ask.
        ranking = body.get("intent_ranking") or [body.get("intent") or {}]
        for candidate in ranking:
            if isinstance(candidate, dict) and candidate.get("name") in INTENTS:
                confidence = float(candidate.get("confidence", 0.0))
                return str(candidate["name"]), min(max(confidence, 0.0), 1.0)
        raise RasaUnusable(f"no known intent in {str(ranking)[:200]}")

    def _resting(self) -> bool:
        """True while we wait out RETRY_AFTER_SECONDS after a failure."""
        return self._down_until is not None and time.monotonic() < self._down_until

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()
