"""The Rasa server as a classifier (RASA_URL), falling back to the embedded one when it is down."""

import logging
import time

import httpx

from nlu.classifier import INTENTS, Classification

log = logging.getLogger(__name__)

# A citizen is waiting for the acknowledgement: better the embedded answer now than Rasa's late.
TIMEOUT_SECONDS = 2.0
# After a failure, don't try Rasa again for this long: each try would cost the citizen the timeout.
RETRY_AFTER_SECONDS = 30.0


class RasaClassifier:
    """Asks `POST /model/parse` of a Rasa 3.6 server; language comes from the embedded detector."""

    def __init__(self, url: str, *, fallback, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url.rstrip("/")
        self.fallback = fallback
        self._client = httpx.AsyncClient(timeout=timeout)
        self._down_until = 0.0

    async def classify(self, text: str) -> Classification:
        """Rasa's intent and confidence; the fallback's answer if Rasa fails or answers nonsense."""
        local = await self.fallback.classify(text)
        if time.monotonic() < self._down_until:
            return local
        try:
            response = await self._client.post(f"{self.url}/model/parse", json={"text": text})
            response.raise_for_status()
            intent = response.json()["intent"]
            name, confidence = intent["name"], float(intent["confidence"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            log.warning(
                "Rasa at %s failed (%s); using the embedded classifier for %.0f s",
                self.url,
                exc or type(exc).__name__,
                RETRY_AFTER_SECONDS,
            )
            return local
        if name not in INTENTS:
            # Rasa's FallbackClassifier answers nlu_fallback when unsure: that is low confidence, not an intent.
            return Classification(
                intent=local.intent, confidence=min(confidence, local.confidence), language=local.language
            )
        return Classification(intent=name, confidence=confidence, language=local.language)

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()
