"""The web chat's HTTP API and files, mounted by the process's web server (charterdesk/web.py).

POST /web/visitors           a new visitor token (JSON {"token"})
POST /web/messages           {"id": int, "text": str, "lang"?: str} with "Authorization: Bearer TOKEN"
POST /web/presses            {"id": str, "data": str, "lang"?: str} (a button of the panel)
POST /web/commands           {"id": int, "name": "status"|"anonymous"|"forget", "lang"?: str} (the shortcuts)
POST /web/mydata             {"id": int, "lang"?: str}: everything held about the visitor, as a JSON file
POST /web/email              {"id": int, "email": str}: where to say an answer is waiting ("" removes it)
POST /web/lookup             {"id": int, "number": "I-1001", "code": "1234 ...", "lang"?: str} (another device)
GET  /web/feed?after=N       the visitor's conversation after line N, as JSON (polling; after a reload)
GET  /web/stream             the same as server-sent events, live (Last-Event-ID resumes)
GET  /web/texts?lang=xx      the panel's words in the visitor's language
GET  /widget.js, /web/sample the widget and a sample homepage embedding it
Every refusal answers {"error": text} in the visitor's language, and stores nothing.
"""

import asyncio
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from web import citizen, feed, mail, visitors
from web.deps import MAX_TEXT_CHARS, WebDeps
from web.visitors import WebVisitor

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PREFIX = "/web/"
# A comment line on a quiet stream, so proxies keep it open (seconds).
KEEPALIVE_SECONDS = 15.0
# The widget's own policy: its script and styles from this server, talking only to this server.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# Client message ids are JavaScript-safe positive integers.
MAX_CLIENT_ID = 2**53 - 1
MAX_PRESS_ID_CHARS = 40


class Refusal(Exception):
    """A request we answer with an error text and nothing stored."""

    def __init__(self, status: int, response: str, **params: object) -> None:
        super().__init__(response)
        self.status, self.response, self.params = status, response, params


def routes() -> list[BaseRoute]:
    """The web chat's routes."""
    return [
        Route("/web/visitors", new_visitor, methods=["POST"]),
        Route("/web/messages", post_message, methods=["POST"]),
        Route("/web/presses", post_press, methods=["POST"]),
        Route("/web/commands", post_command, methods=["POST"]),
        Route("/web/lookup", post_lookup, methods=["POST"]),
        Route("/web/mydata", post_mydata, methods=["POST"]),
        Route("/web/email", post_email, methods=["POST"]),
        Route("/web/feed", read_feed, methods=["GET"]),
        Route("/web/stream", stream, methods=["GET"]),
        Route("/web/texts", texts, methods=["GET"]),
        Route("/web/sample", sample_page, methods=["GET"]),
        Route("/web/widget.css", widget_css, methods=["GET"]),
        Route("/web/sample.css", sample_css, methods=["GET"]),
        Route("/widget.js", widget_js, methods=["GET"]),
    ]


def deps_of(request: Request) -> WebDeps:
    """The web channel's dependencies, set on the application by the process."""
    return request.app.state.web


async def new_visitor(request: Request) -> Response:
    """A fresh token for a browser that has none."""
    deps, language = deps_of(request), _language(request, None)
    if not deps.limiter.new_visitor(address=_address(request)):
        return _refused(request, Refusal(429, "utter_web_error_rate"), language)
    async with deps.store.unit_of_work() as session:
        _, token = await visitors.register(session=session, now=deps.clock())
    return JSONResponse({"token": token}, status_code=201)


def answering_refusals(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Answer a Refusal raised anywhere in `handler` with its text, in the language the request asked for."""

    @functools.wraps(handler)
    async def answered(request: Request) -> Response:
        try:
            return await handler(request)
        except Refusal as refusal:
            language = getattr(request.state, "language", None) or _language(request, None)
            return _refused(request, refusal, language)

    return answered


@answering_refusals
async def post_message(request: Request) -> Response:
    """A visitor's message: taken through intake; the answers arrive on the stream."""
    visitor, body, language = await _posted(request)
    message_id, text = _client_id(body), body.get("text")
    if not isinstance(text, str):
        raise Refusal(400, "utter_web_error_bad_request")
    if not text.strip():
        raise Refusal(400, "utter_web_error_empty")
    if len(text) > MAX_TEXT_CHARS:
        raise Refusal(413, "utter_web_error_too_long", limit=MAX_TEXT_CHARS)
    _limit(request, visitor)
    deps = deps_of(request)
    written = citizen.Written(message_id=message_id, text=text, language_hint=body.get("lang") or language,
                              received_at=deps.clock())
    answer = await citizen.take_message(deps, visitor, written)
    # "kept": False for an anonymous complaint, whose text is not kept with the visitor (the panel shows its own copy).
    return JSONResponse({"duplicate": answer.duplicate, "ticket": answer.ticket_number, "kept": not answer.ephemeral,
                         "due": answer.due_at.isoformat() if answer.due_at else None}, status_code=202)


@answering_refusals
async def post_press(request: Request) -> Response:
    """A button of the panel pressed."""
    visitor, body, language = await _posted(request)
    press_id, data = body.get("id"), body.get("data")
    if not isinstance(press_id, str) or not 0 < len(press_id) <= MAX_PRESS_ID_CHARS or not isinstance(data, str):
        raise Refusal(400, "utter_web_error_bad_request")
    _limit(request, visitor)
    answer = await citizen.press(deps_of(request), visitor, press_id=press_id, data=data, language_hint=language)
    if answer is None:
        raise Refusal(400, "utter_web_error_bad_request")
    return JSONResponse({"toast": answer.toast}, status_code=202)


@answering_refusals
async def post_command(request: Request) -> Response:
    """A shortcut of the panel: my requests (/status), an anonymous complaint, delete my data (/forget)."""
    visitor, body, language = await _posted(request)
    message_id, name = _client_id(body), body.get("name")
    if name not in citizen.COMMANDS:
        raise Refusal(400, "utter_web_error_bad_request")
    _limit(request, visitor)
    answer = await citizen.command(deps_of(request), visitor, name=name, message_id=message_id,
                                   language_hint=language)
    return JSONResponse({"duplicate": answer.duplicate}, status_code=202)


@answering_refusals
async def post_mydata(request: Request) -> Response:
    """The visitor's data as a file in the response (nothing is kept of it); 204 when we hold nothing."""
    visitor, body, language = await _posted(request)
    message_id = _client_id(body)
    _limit(request, visitor)
    made = await citizen.export(deps_of(request), visitor, message_id=message_id, language_hint=language)
    if made.document is None:
        return Response(status_code=204)
    return Response(made.document, media_type="application/json; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"', "Cache-Control": "no-store"})


@answering_refusals
async def post_email(request: Request) -> Response:
    """The visitor's address for the "answer waiting" notice, offered only when an SMTP server is set."""
    visitor, body, language = await _posted(request)
    message_id, address = _client_id(body), body.get("email")
    if not deps_of(request).mail_offered or not isinstance(address, str):
        raise Refusal(400, "utter_web_error_bad_request")
    address = address.strip()
    if address and not mail.valid_address(address):
        raise Refusal(400, "utter_web_error_email")
    _limit(request, visitor)
    await citizen.set_email(deps_of(request), visitor, address=address, message_id=message_id, language_hint=language)
    return JSONResponse({"email": bool(address)}, status_code=202)


@answering_refusals
async def post_lookup(request: Request) -> Response:
    """A ticket number and code typed on another device: the ticket's state and answers come on the stream."""
    visitor, body, language = await _posted(request)
    message_id, number, code = _client_id(body), body.get("number"), body.get("code")
    if not isinstance(number, str) or not isinstance(code, str) or len(number) > 20 or len(code) > 40:
        raise Refusal(400, "utter_web_error_bad_request")
    _limit(request, visitor)
    answer = await citizen.lookup(deps_of(request), visitor, number=number, code=code, message_id=message_id,
                                  language_hint=language)
    if answer is None:
        raise Refusal(400, "utter_web_error_number")
    return JSONResponse({"duplicate": answer.duplicate}, status_code=202)


@answering_refusals
async def read_feed(request: Request) -> Response:
    """The visitor's lines after ?after=N."""
    visitor = await _visitor(request)
    after = _int_or_zero(request.query_params.get("after"))
    async with deps_of(request).store.unit_of_work() as session:
        lines = await feed.after(session=session, visitor_id=visitor.id, after_id=after)
        shown = [feed.as_json(line) for line in lines]
    return JSONResponse({"messages": shown}, headers={"Cache-Control": "no-store"})


@answering_refusals
async def stream(request: Request) -> Response:
    """Server-sent events: every line of the visitor's feed after Last-Event-ID, then each new one as it comes."""
    visitor = await _visitor(request)
    after = _int_or_zero(request.headers.get("last-event-id") or request.query_params.get("after"))
    return StreamingResponse(_events(request, visitor.id, after), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(request: Request, visitor_id: int, after: int) -> AsyncIterator[str]:
    deps = deps_of(request)
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    with deps.notifier.listening(visitor_id) as woken:
        while not await request.is_disconnected():
            woken.clear()
            async with deps.store.unit_of_work() as session:
                lines = [feed.as_json(line) for line in await feed.after(session=session, visitor_id=visitor_id,
                                                                           after_id=after)]
            for line in lines:
                after = line["id"]
                yield f"id: {line['id']}\nevent: line\ndata: {json.dumps(line, ensure_ascii=False)}\n\n"
            if lines:
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= KEEPALIVE_SECONDS:
                quiet_since = loop.time()
                yield ": keep-alive\n\n"
            try:
                await asyncio.wait_for(woken.wait(), deps.poll_seconds)
            except TimeoutError:
                pass


async def texts(request: Request) -> Response:
    """The panel's words in the asked language (or the charter's first)."""
    deps = deps_of(request)
    language = _language(request, request.query_params.get("lang"))
    known = {**deps.desk.known(), "limit": MAX_TEXT_CHARS}
    words = {name.removeprefix("utter_web_"): deps.desk.render(name, language, **known)
             for name in deps.desk.texts.templates if name.startswith("utter_web_")}
    languages = [code for code in deps.desk.charter.languages if deps.desk.texts.speaks(code)]
    return JSONResponse({"language": language, "languages": languages, "texts": words, "email": deps.mail_offered},
                        headers={"Cache-Control": "public, max-age=300", "Content-Language": language})


async def widget_js(request: Request) -> Response:
    """The embeddable script."""
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


async def widget_css(request: Request) -> Response:
    """The panel's styles (a file, so a strict style-src needs no 'unsafe-inline')."""
    return FileResponse(STATIC / "widget.css", media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


async def sample_css(request: Request) -> Response:
    """The sample homepage's styles."""
    return FileResponse(STATIC / "sample.css", media_type="text/css; charset=utf-8")


async def sample_page(request: Request) -> Response:
    """A sample homepage of the organisation with the widget's one tag, under the widget's own CSP."""
    return FileResponse(STATIC / "sample.html", media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": CSP.replace("frame-ancestors 'none'",
                                                                        "frame-ancestors 'self'")})


async def _posted(request: Request) -> tuple[WebVisitor, dict, str]:
    """The posting visitor, the JSON body (size-limited, read only once the token is known) and the language
    it asks for (kept on the request, so a refusal after this point answers in it)."""
    visitor = await _visitor(request)
    body = await _json_body(request, deps_of(request).max_body)
    request.state.language = _language(request, body.get("lang"))
    return visitor, body, request.state.language


async def _visitor(request: Request) -> WebVisitor:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    deps = deps_of(request)
    if scheme.lower() != "bearer" or not token:
        raise Refusal(401, "utter_web_error_visitor")
    async with deps.store.unit_of_work() as session:
        visitor = await visitors.find(session=session, token=token.strip())
        if visitor is None:
            raise Refusal(401, "utter_web_error_visitor")
        visitor.last_seen_at = deps.clock()
    return visitor


async def _json_body(request: Request, limit: int) -> dict:
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > limit):
        raise Refusal(413, "utter_web_error_too_long", limit=MAX_TEXT_CHARS)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refusal(413, "utter_web_error_too_long", limit=MAX_TEXT_CHARS)
            chunks.append(chunk)
    except ClientDisconnect:
        raise Refusal(400, "utter_web_error_bad_request") from None
    try:
        body = json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "utter_web_error_bad_request") from None
    if not isinstance(body, dict):
        raise Refusal(400, "utter_web_error_bad_request")
    return body


def _client_id(body: dict) -> int:
    """The visitor's own id of what they sent: a repeat of the same id is the same request, done once."""
    message_id = body.get("id")
    if type(message_id) is not int or not 0 < message_id <= MAX_CLIENT_ID:
        raise Refusal(400, "utter_web_error_bad_request")
    return message_id


def _limit(request: Request, visitor: WebVisitor) -> None:
    if not deps_of(request).limiter.message(visitor_id=visitor.id, address=_address(request)):
        raise Refusal(429, "utter_web_error_rate")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _language(request: Request, asked: object) -> str:
    """The asked language if the desk speaks it (a tag like ko-KR counts as ko), else the charter's first."""
    desk = deps_of(request).desk
    spoken = [code for code in desk.charter.languages if desk.texts.speaks(code)] or list(desk.texts.languages[:1])
    for tag in (asked, request.query_params.get("lang"), request.headers.get("accept-language", "")[:2]):
        code = tag.split("-")[0].lower() if isinstance(tag, str) else ""
        if code in spoken:
            return code
    return spoken[0]


def _refused(request: Request, refusal: Refusal, language: str) -> Response:
    text = deps_of(request).desk.render(refusal.response, language, **refusal.params)
    return JSONResponse({"error": text}, status_code=refusal.status, headers={"Content-Language": language})


def _int_or_zero(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 12 else 0

