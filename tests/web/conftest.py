"""Browser fixtures: a real `todochat serve` subprocess and headless Debian Chromium.

Set TODOCHAT_WEB_BASE_URL to run these tests against a server that is already running instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Error,
    Page,
    sync_playwright,
)

from tests.conftest import require_tool
from tests.servers import UNLIMITED_ADDRESS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
OUTPUT_DIR = Path(__file__).parent / "output"
READY_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll /readyz until the server answers 200; fail fast if the process dies."""
    deadline = time.monotonic() + READY_TIMEOUT
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = log_path.read_text()[-4000:]
                pytest.fail(f"todochat serve exited with {process.returncode}:\n{log}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    pytest.fail(
        f"todochat serve was not ready after {READY_TIMEOUT:.0f}s:\n{log_path.read_text()[-4000:]}"
    )


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where screenshots (and the server log) go; gitignored."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest, output_dir: Path) -> Iterator[str]:
    """The URL of a running todochat: `todochat serve` on a free port over the session database."""
    external = os.environ.get("TODOCHAT_WEB_BASE_URL")
    if external:
        yield external.rstrip("/")
        return
    database_url = request.getfixturevalue("database_url")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **UNLIMITED_ADDRESS,
        "DATABASE_URL": database_url,
        "TODOCHAT_MODEL": "offline",
    }
    todochat = Path(sys.executable).with_name("todochat")
    log_path = output_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(todochat), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(url, process, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def browser(base_url: str) -> Iterator[Browser]:
    """Headless Chromium, for one test.

    Function-scoped on purpose: while Playwright's sync API is active the thread reports a running
    event loop, which would break asyncio.run() and pytest-asyncio in any test that came after.
    Depending on base_url makes the server (and its database) start before it.
    """
    require_tool(CHROMIUM, "apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class PageWatch:
    """What the page did that a test should never see: dialogs, uncaught errors."""

    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


def _watch(page: Page) -> PageWatch:
    watch = PageWatch()

    def on_dialog(dialog: Dialog) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        # Failed requests (a deliberate 422, say) are logged by the browser itself; only our code's
        # errors count.
        if message.type == "error" and "Failed to load resource" not in message.text:
            watch.console_errors.append(message.text)

    def on_page_error(error: Error) -> None:
        watch.page_errors.append(str(error))

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    return watch


@dataclass
class Browsing:
    """A fresh browser context (its own localStorage) and page, plus what it watched."""

    context: BrowserContext
    page: Page
    watch: PageWatch


def _open(browser: Browser, base_url: str, **context_options: object) -> Browsing:
    context = browser.new_context(base_url=base_url, **context_options)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    page = context.new_page()
    return Browsing(context, page, _watch(page))


@pytest.fixture
def open_browser(browser: Browser, base_url: str) -> Iterator[object]:
    """Factory: open_browser(**context_options) -> Browsing; every page is checked at teardown."""
    opened: list[Browsing] = []

    def factory(**context_options: object) -> Browsing:
        browsing = _open(browser, base_url, **context_options)
        opened.append(browsing)
        return browsing

    yield factory
    for browsing in opened:
        browsing.context.close()
    for browsing in opened:
        assert browsing.watch.dialogs == [], "the page opened a dialog"
        assert browsing.watch.page_errors == [], "uncaught errors in the page"
        assert browsing.watch.console_errors == [], "errors logged to the console"


@pytest.fixture
def unique_email() -> str:
    """An email no other test uses."""
    return f"web-{uuid.uuid4().hex[:12]}@example.com"
