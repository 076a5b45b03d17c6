"""The OAuth consent page in real Chromium: sign in, see who asks for what, Allow or Deny, and
the browser lands on the app's redirect URI (a real loopback listener, as a native app has)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.web.conftest import Browsing
from tests.web.test_csp import RECORD_VIOLATIONS, _violations
from tests.web.test_ui import shot, sign_up

pytestmark = pytest.mark.slow

OpenBrowser = Callable[..., Browsing]
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class _Callback(BaseHTTPRequestHandler):
    received: list[dict[str, str]]

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/callback":  # not the browser's /favicon.ico
            query = parse_qs(url.query)
            self.received.append({key: values[0] for key, values in query.items()})
        body = b"<!doctype html><title>Connected</title><p>You can close this window."
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def callback() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback HTTP listener for the redirect, and the query strings it received."""
    received: list[dict[str, str]] = []
    handler = type("Handler", (_Callback,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/callback", received
    finally:
        server.shutdown()
        server.server_close()


def _authorize_url(base_url: str, redirect: str, state: str) -> tuple[str, str, str]:
    """A registered client's /authorize URL; also its client id and PKCE verifier."""
    client = httpx.post(
        f"{base_url}/register",
        json={
            "client_name": "Claude (test)",
            "redirect_uris": [redirect],
            "token_endpoint_auth_method": "none",
        },
    )
    assert client.status_code == 201, client.text
    client_id = client.json()["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
        "state": state,
        "scope": "tasks:read tasks:write",
        "resource": f"{base_url}/mcp",
    }
    return f"{base_url}/authorize?{urlencode(params)}", client_id, verifier


def test_sign_in_and_allow_in_the_browser(
    open_browser: OpenBrowser,
    base_url: str,
    unique_email: str,
    callback: tuple[str, list[dict[str, str]]],
    output_dir: Path,
) -> None:
    signed_up = httpx.post(
        f"{base_url}/api/auth/signup", json={"email": unique_email, "password": PASSWORD}
    )
    assert signed_up.status_code == 201
    redirect, received = callback
    url, client_id, verifier = _authorize_url(base_url, redirect, "browser-state")

    page = open_browser().page
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(url)
    expect(page.get_by_role("heading", name="Sign in to connect an app")).to_be_visible()
    page.get_by_label("Email").fill(unique_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(
        page.get_by_role("heading", name="Claude (test) wants to use your todo list")
    ).to_be_visible()
    expect(page.get_by_text("It will be sent back to 127.0.0.1.")).to_be_visible()
    expect(page.get_by_text("See your tasks")).to_be_visible()
    expect(page.get_by_text("Add, change, complete and delete your tasks")).to_be_visible()
    page.screenshot(path=str(output_dir / "consent.png"))
    assert _violations(page) == []
    page.get_by_role("button", name="Allow").click()

    page.wait_for_url(f"{redirect}?*")
    expect(page.get_by_text("You can close this window.")).to_be_visible()
    [answer] = received
    assert answer["state"] == "browser-state"
    assert answer["iss"] == base_url
    token = httpx.post(
        f"{base_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text
    listed = httpx.post(
        f"{base_url}/mcp/",
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "list_tasks", "arguments": {}},
        },
        headers={**MCP_HEADERS, "Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["result"]["structuredContent"] == {"tasks": [], "total": 0}


def test_deny_in_the_browser_of_a_signed_in_user(
    open_browser: OpenBrowser,
    base_url: str,
    unique_email: str,
    callback: tuple[str, list[dict[str, str]]],
) -> None:
    redirect, received = callback
    url, _, _ = _authorize_url(base_url, redirect, "deny-state")
    page = open_browser().page
    # Signed in to the web UI already: the consent page asks for nothing more.
    page.goto("/")
    page.get_by_label("Email").fill(unique_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_label("Message")).to_be_visible()

    page.goto(url)
    expect(page.get_by_text(f"Signed in as {unique_email}.")).to_be_visible()
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(f"{redirect}?*")
    [answer] = received
    assert (answer["error"], answer["state"]) == ("access_denied", "deny-state")
    assert "code" not in answer


def test_connected_apps_are_listed_and_disconnected_in_settings(
    open_browser: OpenBrowser,
    base_url: str,
    unique_email: str,
    callback: tuple[str, list[dict[str, str]]],
    output_dir: Path,
) -> None:
    redirect, received = callback
    url, client_id, verifier = _authorize_url(base_url, redirect, "apps-state")
    page = open_browser(viewport={"width": 1360, "height": 860}).page
    page.add_init_script(RECORD_VIOLATIONS)
    sign_up(page, unique_email)
    page.goto(url)
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{redirect}?*")
    [answer] = received
    token = httpx.post(
        f"{base_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    ).json()["access_token"]

    page.goto("/")
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    apps = dialog.get_by_role("list", name="Connected apps")
    expect(apps.get_by_role("listitem")).to_have_count(1)
    expect(apps.get_by_text("Claude (test)")).to_be_visible()
    expect(apps.get_by_text("Can read and change your tasks")).to_be_visible()
    apps.scroll_into_view_if_needed()
    shot(page, output_dir / "connected-apps.png")
    assert _violations(page) == []
    apps.get_by_role("button", name="Disconnect Claude (test)").click()
    expect(apps.get_by_text("No apps connected.")).to_be_visible()

    refused = httpx.post(
        f"{base_url}/mcp/",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401
