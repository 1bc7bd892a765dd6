"""Browser tests: a real ASGI server (uvicorn, so Server-Sent Events work) in a thread of the test process,
Debian's chromium driven by Playwright, and axe-core run on every page a test opens.

Set SHIGUANG_STRICT=1 (CI does) to turn a missing chromium into a failure instead of a skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = (Path(__file__).parent / "axe.min.js").read_text(encoding="utf-8")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 360, "height": 780}


def _need_chromium() -> None:
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    message = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("SHIGUANG_STRICT"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _ServerThread(threading.Thread):
    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.server: Any = None

    def run(self) -> None:
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
        from django.core.asgi import get_asgi_application

        app = ASGIStaticFilesHandler(get_asgi_application())
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        asyncio.run(self.server.serve())


@pytest.fixture(scope="session")
def asgi_server(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    port = _free_port()
    thread = _ServerThread(port)
    thread.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    if thread.server is not None:
        thread.server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def browser() -> Iterator[Any]:
    # Per test: Playwright's sync API keeps an asyncio loop running in this thread while it is open, which
    # would break later tests that call async views through Django's sync test client.
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Page:
    """A Playwright page that runs axe-core after every navigation the test asks for."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.checked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.page, name)

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.check_a11y()
        return response

    def check_a11y(self) -> None:
        """Fail on any axe-core violation (WCAG 2.x A/AA rules) on the current page."""
        self.page.wait_for_load_state("load")
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_JS)
        result = self.page.evaluate(
            """async () => {
                const tags = ['wcag2a', 'wcag2aa', 'wcag21aa'];
                const r = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }"""
        )
        self.checked.append(self.page.url)
        assert result == [], f"axe-core violations on {self.page.url}: {result}"


@pytest.fixture
def live_db(transactional_db: Any) -> None:
    """Committed data, visible to the server thread (see core/testing/db.py for the flush)."""


@pytest.fixture
def page(browser: Any, asgi_server: str, live_db: Any) -> Iterator[Page]:

    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    wrapped = Page(context.new_page(), asgi_server)
    yield wrapped
    context.close()


def sign_in(page: Page, username: str, password: str) -> None:
    page.open("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
