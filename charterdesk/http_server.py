"""An ASGI app served by uvicorn inside our own event loop, started and stopped by us (not by signals)."""

import asyncio
import contextlib
import socket

import uvicorn

# Requests still open when stopping get this long to finish before uvicorn cuts them off.
GRACE_SECONDS = 5


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):
        # The process's own SIGTERM/SIGINT handling decides when to stop, and in what order.
        yield


class HttpServer:
    """One ASGI app on one address."""

    def __init__(self, app, *, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> str:
        """Bind and serve; returns the base URL. Raises OSError if the address cannot be bound."""
        sock = _bind(self.host, self.port)
        bound_host, bound_port = sock.getsockname()[:2]
        config = uvicorn.Config(
            self.app, lifespan="off", access_log=False, log_config=None, timeout_graceful_shutdown=GRACE_SECONDS,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=f"http {bound_host}:{bound_port}")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise OSError(f"the web server on {bound_host}:{bound_port} stopped at once")
            await asyncio.sleep(0.01)
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        return f"http://{shown}:{bound_port}"

    async def stop(self) -> None:
        """Stop accepting connections, let open requests finish (a few seconds at most)."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
