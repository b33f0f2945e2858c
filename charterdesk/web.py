"""The public web pages: GET /compliance (HTML), /compliance/chart.png and /agency (every facility side by side,
HTML), for the demo and webhook mode.

`build_web_app(components)` is mounted as is by any server (the demo's, the webhook server's);
`start_web` serves it alone. Query parameters: `period` (default: this year so far, local) and
`lang` (else the Accept-Language header, else the charter's first language).
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from charterdesk.assembly import Components, utc_now, web_deps
from charterdesk.http_server import HttpServer
from conversation.reports.chart import render_png
from conversation.reports.agency_page import render_agency_page
from conversation.reports.page import render_page
from desk.charter.model import CharterError
from desk.reports.agency import build_agency_report, facilities_of
from desk.reports.period import Period, PeriodError, parse_period
from desk.reports.report import Report, build_report
from web import app as web_chat
from web.origins import OriginGuard

# Figures change slowly: the page is kept this long, here and by browsers and proxies.
CACHE_SECONDS = 300
MAX_CACHED = 64  # pages and charts (period x language x kind)


def build_web_app(components: Components, *, clock: Callable[[], datetime] = utc_now) -> Starlette:
    """A Starlette application serving the public compliance page and its chart, and the web chat."""
    guard = Middleware(OriginGuard, allowed=components.charter.web.allowed_origins, prefix=web_chat.PREFIX)
    app = Starlette(
        routes=[
            Route("/compliance", compliance_page, methods=["GET"]),
            Route("/compliance/chart.png", compliance_chart, methods=["GET"]),
            Route("/agency", agency_page, methods=["GET"]),
            *web_chat.routes(),
        ],
        exception_handlers={HTTPException: _plain_error},
        middleware=[guard],
    )
    app.state.components = components
    app.state.web = web_deps(components, clock=clock)
    app.state.clock = clock
    app.state.cache = {}
    return app


async def compliance_page(request: Request) -> Response:
    """The page in the reader's language, the chart inline so the page stands alone when saved."""
    language = page_language(request)
    period = _period_or_400(request, language)
    html = await _cached(request, ("page", period.text, language), lambda: _page(request, period, language))
    return Response(html, media_type="text/html; charset=utf-8", headers=_headers(language))


async def agency_page(request: Request) -> Response:
    """Every facility of the deployment side by side, figures only, with the method of the satisfaction index."""
    language = page_language(request)
    period = _period_or_400(request, language)
    html = await _cached(request, ("agency", period.text, language), lambda: _agency(request, period, language))
    return Response(html, media_type="text/html; charset=utf-8", headers=_headers(language))


async def compliance_chart(request: Request) -> Response:
    """The chart alone, as PNG."""
    language = page_language(request)
    period = _period_or_400(request, language)
    png = await _cached(request, ("chart", period.text, language), lambda: _chart(request, period, language))
    return Response(png, media_type="image/png", headers=_headers(language))


def page_language(request: Request) -> str:
    """?lang= if the charter speaks it, else the best Accept-Language match, else the charter's first."""
    available = _languages(request.app.state.components)
    asked = request.query_params.get("lang", "").lower()
    if asked in available:
        return asked
    for tag in accepted_languages(request.headers.get("Accept-Language", "")):
        for candidate in (tag, tag.split("-")[0]):
            if candidate in available:
                return candidate
    return available[0]


def accepted_languages(header: str) -> list[str]:
    """Language tags of an Accept-Language header, most wanted first ('ko-KR,en;q=0.8' -> ['ko-kr', 'en'])."""
    weighted = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag.lower()))
    return [tag for _, _, tag in sorted(weighted)]


async def start_web(components: Components, *, host: str, port: int) -> tuple[HttpServer, str]:
    """Serve build_web_app on host:port (if taken, any free port); returns the server (stop() it) and base URL."""
    app = build_web_app(components)
    server = HttpServer(app, host=host, port=port)
    try:
        return server, await server.start()
    except OSError:
        if port == 0:
            raise
    server = HttpServer(app, host=host, port=0)
    return server, await server.start()


def _languages(components: Components) -> list[str]:
    texts = components.desk.texts
    return [code for code in components.charter.languages if texts.speaks(code)] or [texts.languages[0]]


def _period_or_400(request: Request, language: str) -> Period:
    state = request.app.state
    given = request.query_params.get("period")
    if not given:
        now = state.clock().astimezone(state.components.charter.timezone)
        return parse_period(str(now.year))
    try:
        return parse_period(given)
    except PeriodError as error:
        text = state.components.desk.texts.render("utter_report_bad_period", language, given=error.given)
        raise HTTPException(400, detail=text, headers={"Content-Language": language}) from None


async def _plain_error(request: Request, error: HTTPException) -> Response:
    return PlainTextResponse(error.detail, status_code=error.status_code, headers=error.headers)


async def _page(request: Request, period: Period, language: str) -> bytes:
    components = request.app.state.components
    report = await _report(request, period)
    png = await asyncio.to_thread(render_png, report, components.desk.texts, language)
    links = [
        (code, "?" + urlencode({"period": period.text, "lang": code})) for code in _languages(components)
    ]
    return render_page(report, components.desk.texts, language, chart_png=png, language_links=links).encode()


async def _agency(request: Request, period: Period, language: str) -> bytes:
    components = request.app.state.components
    charter = components.charter
    try:
        async with components.store.unit_of_work() as session:
            facilities = await facilities_of(session=session, deployment_charter=charter)
            report = await build_agency_report(session=session, facilities=facilities, period=period,
                                               now=request.app.state.clock())
    except CharterError:
        # Logged for the operator by `charterdesk org check`; the reader is told the page cannot be made now.
        text = components.desk.texts.render("utter_report_agency_unavailable", language)
        raise HTTPException(503, detail=text, headers={"Content-Language": language}) from None
    links = [(code, "?" + urlencode({"period": period.text, "lang": code})) for code in _languages(components)]
    return render_agency_page(report, components.desk.texts, language, agency=charter.organisation.name,
                              timezone=charter.timezone, language_links=links).encode()


async def _chart(request: Request, period: Period, language: str) -> bytes:
    report = await _report(request, period)
    return await asyncio.to_thread(render_png, report, request.app.state.components.desk.texts, language)


async def _cached(request: Request, key: tuple[str, ...], make: Callable[[], Awaitable[bytes]]) -> bytes:
    # A year's figures take a second or two to compute and draw: a reload or a crawler must not redo it.
    cache, now = request.app.state.cache, request.app.state.clock()
    hit = cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = await make()
    if len(cache) >= MAX_CACHED:
        cache.pop(next(iter(cache)))
    cache[key] = (now + timedelta(seconds=CACHE_SECONDS), value)
    return value


async def _report(request: Request, period: Period) -> Report:
    components = request.app.state.components
    async with components.store.unit_of_work() as session:
        return await build_report(
            session=session, organisation_id=components.desk.organisation_id, charter=components.charter,
            period=period, now=request.app.state.clock(),
        )


def _headers(language: str) -> dict[str, str]:
    return {
        "Content-Language": language,
        "Cache-Control": f"public, max-age={CACHE_SECONDS}",
        "Vary": "Accept-Language",
    }
