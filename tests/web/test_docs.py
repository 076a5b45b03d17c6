"""The API docs render in a browser that cannot reach the internet."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, expect

from tests.web.conftest import Browsing

pytestmark = pytest.mark.slow


def block_the_internet(browsing: Browsing) -> list[str]:
    """Abort every request that leaves the machine; returns the list of what was refused."""
    refused: list[str] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    browsing.context.route("**/*", handle)
    return refused


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/docs", ".swagger-ui .opblock-summary-path"),
        ("/redoc", ".redoc-wrap"),
    ],
)
def test_api_docs_render_offline(
    open_browser: Callable[..., Browsing], path: str, rendered: str
) -> None:
    browsing = open_browser()
    refused = block_the_internet(browsing)

    browsing.page.goto(path)

    operations = browsing.page.locator(rendered)
    expect(operations.first).to_be_visible()
    expect(browsing.page.get_by_text("/api/auth/signup").first).to_be_visible()
    # ReDoc's "API docs by Redocly" badge links its logo from Redocly's site: decoration only.
    assert [url for url in refused if not url.endswith("/redoc/logo-mini.svg")] == []
