"""Security headers: a Content-Security-Policy the UI satisfies, no sniffing, no framing, no
referrer (issue 12, item 9). The browser side is in tests/web/test_csp.py."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from tests.factories import signup

SAFE_SOURCES = {"'self'", "'none'", "data:"}


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    """The response's CSP as {directive: sources}."""
    header = response.headers["content-security-policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def _assert_secured(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert _policy(response)["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/app.js", 200),
        ("GET", "/styles.css", 200),
        ("GET", "/healthz", 200),
        ("GET", "/api/auth/me", 401),
        ("POST", "/api/auth/login", 422),
        ("GET", "/no-such-page", 404),
        ("POST", "/mcp/", 401),
        ("GET", "/openapi.json", 200),
    ],
)
async def test_every_response_carries_the_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    _assert_secured(response)
    policy = _policy(response)
    # The UI's policy: only its own files, no inline code, nothing from elsewhere.
    for directive in ("default-src", "script-src", "style-src", "connect-src"):
        assert policy[directive] == ["'self'"], (directive, policy[directive])
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


async def test_the_headers_are_on_refusals_before_the_app(client: httpx.AsyncClient) -> None:
    account = await signup(client)
    too_large = await client.post(
        account.url("/tasks"),
        content=b"x" * (64 * 1024 + 1),
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert too_large.status_code == 413
    _assert_secured(too_large)


async def test_the_docs_page_allows_exactly_its_own_bootstrap(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    _assert_secured(response)
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.S)
    assert inline, "the docs page has no inline bootstrap any more: simplify its policy"
    hashes = {
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in inline
    }
    scripts = set(_policy(response)["script-src"])
    assert hashes <= scripts
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    # Anything else allowed is an origin the page itself loads its bundle from.
    for source in scripts - hashes - SAFE_SOURCES:
        assert f'src="{source}/' in response.text, source


async def test_another_page_does_not_inherit_the_docs_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert not any(source.startswith("'sha256-") for source in _policy(response)["script-src"])
