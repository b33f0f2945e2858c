"""PTB's HTTP client for the Bot API, minus a per-request cost of httpcore's connection pool.

On every request and every response httpcore's pool asks each idle connection whether the server closed
it (a socket that is readable while idle). anyio answers that by rebuilding all of the socket's attributes,
a getpeername() system call included, so with N idle connections each Bot API call paid 2N of them: 5-6% of
a bot process's CPU over HTTP (py-spy, docs/benchmarks.md). Here each stream keeps its socket and asks
poll() directly, the same question httpcore asks (httpcore._utils.is_socket_readable).
"""

import logging
import select
import socket
from typing import Any

import httpcore
import httpx
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


class _KnownSocketStream(httpcore.AsyncNetworkStream):
    """A network stream that looks up its socket once, not on every readability check."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read up to max_bytes."""
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write all of buffer."""
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        """Close the stream."""
        await self._stream.aclose()

    async def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        """Upgrade to TLS (its stream keeps the same socket underneath)."""
        return _KnownSocketStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        """As the wrapped stream, but "is_readable" from the socket found at the start."""
        if info == "is_readable":
            return _readable(self._socket)
        return self._stream.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    # A socket that is gone reads as readable: its next read returns b"", so the pool drops the connection.
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _KnownSocketBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend whose streams keep their socket."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        """Open a TCP connection."""
        return _KnownSocketStream(
            await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        """Open a Unix socket connection."""
        return _KnownSocketStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        """Sleep as the backend does."""
        await self._backend.sleep(seconds)


def with_known_sockets(client: httpx.AsyncClient) -> bool:
    """Make `client`'s connection pool use streams that keep their socket; False if its shape is unknown."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(pool, httpcore.AsyncConnectionPool) or backend is None:
        log.info("HTTP client: connection pool not recognised; left as it is")
        return False
    if not isinstance(backend, _KnownSocketBackend):
        pool._network_backend = _KnownSocketBackend(backend)
    return True


class BotApiRequest(HTTPXRequest):
    """PTB's HTTPXRequest (same arguments) whose client's pool keeps each connection's socket."""

    def _build_client(self) -> httpx.AsyncClient:
        client = super()._build_client()
        with_known_sockets(client)
        return client
