"""`python -m sandbox`: run the sandbox Bot API and chat page alone until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import Sandbox


async def _serve(args: argparse.Namespace) -> None:
    sandbox = Sandbox(token=args.token, bot_username=args.bot_username)
    url = await sandbox.start(host=args.host, port=args.port)
    print(f"Bot API:    {sandbox.bot_api_url}   (token {sandbox.token})")
    print(f"Citizen:    {url}/?user=2001")
    print(f"Staff:      {url}/?as=staff&chat=-1001234567890&user=1001")
    print(f"User API:   {url}/sandbox/api/", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:SANDBOX-TOKEN")
    parser.add_argument("--bot-username", default="charterdesk_bot")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
