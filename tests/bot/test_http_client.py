"""bot/http_client.py: PTB's client whose pool keeps each connection's socket, and still drops closed ones."""

import asyncio

import httpcore
import httpx
import pytest

from bot.http_client import BotApiRequest, _KnownSocketBackend, with_known_sockets


async def _server(close_after_answer: bool):
    """A one-route HTTP/1.1 server; counts connections; may close each connection after its answer."""
    connections = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(next(
                (line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")),
                b"0",
            ))
            await reader.readexactly(length)
            body = b'{"ok":true,"result":42}'
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
            if close_after_answer:
                writer.close()
                return

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], connections


async def test_the_pool_of_a_bot_api_request_keeps_sockets():
    request = BotApiRequest(connection_pool_size=4)
    await request.initialize()
    try:
        assert isinstance(request._client._transport._pool._network_backend, _KnownSocketBackend)
    finally:
        await request.shutdown()


async def test_a_reused_connection_answers_again():
    server, port, connections = await _server(close_after_answer=False)
    request = BotApiRequest(connection_pool_size=4)
    await request.initialize()
    try:
        for _ in range(3):
            assert await request.post(f"http://127.0.0.1:{port}/botX/getMe") == 42
        assert len(connections) == 1  # kept alive, asked whether readable, reused
    finally:
        await request.shutdown()
        server.close()


async def test_a_connection_the_server_closed_while_idle_is_not_reused():
    server, port, connections = await _server(close_after_answer=True)
    request = BotApiRequest(connection_pool_size=4)
    await request.initialize()
    try:
        for _ in range(3):
            assert await request.post(f"http://127.0.0.1:{port}/botX/getMe") == 42
            await asyncio.sleep(0.05)  # the server's close arrives: the idle socket reads as readable
        assert len(connections) == 3
    finally:
        await request.shutdown()
        server.close()


async def test_a_request_built_again_after_shutdown_keeps_sockets_too():
    request = BotApiRequest(connection_pool_size=4)
    await request.initialize()
    await request.shutdown()
    await request.initialize()  # PTB builds a new client here
    try:
        assert isinstance(request._client._transport._pool._network_backend, _KnownSocketBackend)
    finally:
        await request.shutdown()


@pytest.mark.parametrize("kwargs", [{"transport": httpx.MockTransport(lambda r: httpx.Response(200))}])
async def test_a_client_of_another_shape_is_left_as_it_is(kwargs):
    async with httpx.AsyncClient(**kwargs) as client:
        assert with_known_sockets(client) is False
        assert (await client.get("http://example.invalid/")).status_code == 200


async def test_a_pool_already_wrapped_is_not_wrapped_twice():
    async with httpx.AsyncClient() as client:
        assert with_known_sockets(client) and with_known_sockets(client)
        backend = client._transport._pool._network_backend
        assert isinstance(backend, _KnownSocketBackend)
        assert not isinstance(backend._backend, _KnownSocketBackend)
        assert isinstance(client._transport._pool, httpcore.AsyncConnectionPool)
