"""Headless Chromium (Debian's package) driven by Playwright, and the web chat served over real HTTP."""

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Browser, async_playwright
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from charterdesk.http_server import HttpServer

# Playwright's own browser builds are never downloaded: Debian's chromium is what runs.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Root in a container has no user namespaces for Chromium's sandbox.
FLAGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=ko-KR"]


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium; fails with the install command if it is missing."""
    if shutil.which("chromium") is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (scripts/test.sh does it when root)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def served(app) -> AsyncIterator[str]:
    """`app` on a free port of 127.0.0.1; yields its base URL."""
    server = HttpServer(app, host="127.0.0.1", port=0)
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()


def foreign_page(widget_url: str) -> Starlette:
    """Another site's page embedding the widget with the one tag."""
    html = (f'<!doctype html><html lang="en"><head><title>Elsewhere</title></head><body><h1>Elsewhere</h1>'
            f'<script src="{widget_url}" data-desk="ansim" async></script></body></html>')

    async def page(request):
        return HTMLResponse(html)

    return Starlette(routes=[Route("/", page)])
