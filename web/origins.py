"""Which pages may talk to the web chat: the charter's allowed origins and the desk's own, nothing else.

A request from any other page is refused before it is read (403, no CORS headers), so a page the
charter does not name can neither post nor read. The token travels in the Authorization header, never
in a cookie, so another site cannot borrow a visitor's session (no CSRF to defend against).
"""

from collections.abc import Collection

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_HEADERS = "Authorization, Content-Type, Last-Event-ID"
# Browsers keep a preflight's answer this long (seconds).
PREFLIGHT_MAX_AGE = "600"


class OriginGuard:
    """ASGI middleware over the web chat's API: refuse foreign origins, answer preflights, add CORS headers."""

    def __init__(self, app: ASGIApp, *, allowed: Collection[str], prefix: str) -> None:
        self.app = app
        self.allowed = frozenset(allowed)
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None and not self.permits(origin, headers.get("host", "")):
            await Response(status_code=403)(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await Response(status_code=204, headers=self._cors(origin) | {
                "Access-Control-Allow-Methods": "GET, POST",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            })(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(self._cors(origin))
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def permits(self, origin: str, host: str) -> bool:
        """The charter names this origin, or it is the desk's own page (same host)."""
        own = origin.partition("://")[2]
        return origin in self.allowed or (bool(host) and own == host)

    @staticmethod
    def _cors(origin: str | None) -> dict[str, str]:
        if origin is None:
            return {"Vary": "Origin"}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
