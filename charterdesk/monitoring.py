"""GET /healthz and GET /metrics, for the webhook server and for processes that have no other web server."""

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charterdesk import metrics_page
from charterdesk.assembly import Components, utc_now
from infra.database import StoreError

HEALTH_TIMEOUT_SECONDS = 3.0


def monitoring_routes(components: Components) -> list[Route]:
    """/healthz (200, or 503 naming what is down) and /metrics (Prometheus text)."""

    async def healthz(request: Request) -> Response:
        checks = {"database": await _database_ok(components), "nlu": await _nlu_ok(components.classifier)}
        healthy = all(checks.values())
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable", "checks": checks}, status_code=200 if healthy else 503
        )

    async def metrics(request: Request) -> Response:
        body, content_type = await metrics_page.scrape(components.store, now=utc_now())
        return Response(body, media_type=content_type)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/metrics", metrics, methods=["GET"])]


def build_monitoring_app(components: Components) -> Starlette:
    """Only /healthz and /metrics (CHARTERDESK_METRICS_PORT, for a scheduler or a polling bot)."""
    return Starlette(routes=monitoring_routes(components))


async def _database_ok(components: Components) -> bool:
    try:
        await asyncio.wait_for(components.store.check(), HEALTH_TIMEOUT_SECONDS)
    except (StoreError, TimeoutError):
        return False
    return True


async def _nlu_ok(classifier) -> bool:
    # The embedded classifier lives in this process; a Rasa server must answer its root URL.
    if classifier is None:
        return False
    url = getattr(classifier, "url", None)
    if not url:
        return True
    try:
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_SECONDS) as client:
            return (await client.get(f"{url.rstrip('/')}/")).status_code == 200
    except httpx.HTTPError:
        return False
