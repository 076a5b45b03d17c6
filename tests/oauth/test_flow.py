"""OAuth for /mcp/ against a real server: metadata, the whole flow with the SDK's MCP client,
refresh rotation and reuse, revocation, and each way a request must be refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.factories import signup
from tests.mcp.conftest import ok
from tests.oauth.flow import (
    REDIRECT,
    Pkce,
    authorization_code,
    connect,
    consent_handle,
    decide,
    exchange,
    query,
    refresh,
    register,
    start_authorization,
)
from tests.servers import Server

pytestmark = pytest.mark.slow

MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@asynccontextmanager
async def mcp_session(base_url: str, token: str) -> AsyncIterator[Client]:
    """The SDK's streamable-HTTP MCP client with a bearer token."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        Client(streamable_http_client(f"{base_url}/mcp/", http_client=http)) as mcp,
    ):
        yield mcp


async def call(
    http: httpx.AsyncClient, token: str, tool: str, arguments: dict[str, Any]
) -> httpx.Response:
    """A raw JSON-RPC tools/call on /mcp/."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments},
    }
    return await http.post(
        "/mcp/", json=body, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    )


async def test_metadata_documents_describe_the_server(
    http: httpx.AsyncClient, server: Server
) -> None:
    base = server.base_url
    for path in (
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ):
        resource = await http.get(path)
        assert resource.status_code == 200, path
        assert resource.json() == {
            "resource": f"{base}/mcp",
            "authorization_servers": [base],
            "scopes_supported": ["tasks:read", "tasks:write"],
            "bearer_methods_supported": ["header"],
            "resource_name": "todochat",
        }
    metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == base
    assert metadata["authorization_endpoint"] == f"{base}/authorize"
    assert metadata["token_endpoint"] == f"{base}/token"
    assert metadata["registration_endpoint"] == f"{base}/register"
    assert metadata["revocation_endpoint"] == f"{base}/revoke"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert metadata["scopes_supported"] == ["tasks:read", "tasks:write"]
    assert "none" in metadata["token_endpoint_auth_methods_supported"]


async def test_401_from_mcp_points_at_the_metadata(http: httpx.AsyncClient, server: Server) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    missing = await http.post("/mcp/", json=ping, headers=MCP_HEADERS)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == (
        f'Bearer realm="todochat", resource_metadata="{server.base_url}'
        '/.well-known/oauth-protected-resource/mcp", scope="tasks:read tasks:write"'
    )
    invalid = await http.post(
        "/mcp/", json=ping, headers={**MCP_HEADERS, "Authorization": "Bearer nope"}
    )
    assert invalid.status_code == 401
    assert invalid.headers["www-authenticate"].endswith(', error="invalid_token"')
    assert invalid.json() == {"error": "unauthorized", "detail": "Invalid access token."}


async def test_the_sdk_oauth_client_connects_end_to_end(
    http: httpx.AsyncClient, server: Server
) -> None:
    """The MCP SDK's own OAuth client: discovery from the 401, DCR, authorize with PKCE, the
    user's Allow (through the consent API, as the page does), token, tools."""
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

    account = await signup(http)
    stored: dict[str, Any] = {}
    answered: dict[str, str] = {}

    class Memory:
        async def get_tokens(self) -> OAuthToken | None:
            return stored.get("tokens")

        async def set_tokens(self, tokens: OAuthToken) -> None:
            stored["tokens"] = tokens

        async def get_client_info(self) -> OAuthClientInformationFull | None:
            return stored.get("client")

        async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
            stored["client"] = client_info

    async def open_browser(url: str) -> None:
        assert url.startswith(f"{server.base_url}/authorize?")
        response = await http.get(url)
        assert response.status_code == 302, response.text
        handle = query(response.headers["location"])["request"]
        answered.update(query(await decide(http, account, handle, "allow")))

    async def callback() -> Any:
        from mcp.shared.auth import AuthorizationCodeResult

        return AuthorizationCodeResult(**answered)

    provider = OAuthClientProvider(
        server_url=f"{server.base_url}/mcp/",
        client_metadata=OAuthClientMetadata(
            client_name="SDK client",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=Memory(),
        redirect_handler=open_browser,
        callback_handler=callback,
    )
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as client,
        Client(streamable_http_client(f"{server.base_url}/mcp/", http_client=client)) as mcp,
    ):
        added = ok(await mcp.call_tool("add_task", {"title": "Connected by OAuth"}))
        listed = ok(await mcp.call_tool("list_tasks", {}))
    assert listed == {"tasks": [added["task"]], "total": 1}
    assert stored["tokens"].scope == "tasks:read tasks:write"
    assert stored["tokens"].refresh_token
    # The task is the signed-in user's, seen over REST with their own token.
    tasks = await http.get(account.url("/tasks"), headers=account.headers)
    assert [task["title"] for task in tasks.json()["items"]] == ["Connected by OAuth"]


async def test_refresh_rotates_and_reuse_revokes_the_family(
    http: httpx.AsyncClient, server: Server
) -> None:
    account = await signup(http)
    first = await connect(http, account)
    client_id = first["client_id"]
    second = await refresh(http, client_id, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    async with mcp_session(server.base_url, rotated["access_token"]) as mcp:
        assert ok(await mcp.call_tool("list_tasks", {}))["total"] == 0

    # The first refresh token again: someone else has it. The whole family ends.
    reused = await refresh(http, client_id, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    after = await refresh(http, client_id, rotated["refresh_token"])
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"
    refused = await call(http, rotated["access_token"], "list_tasks", {})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This app's access was revoked; connect it again."


async def test_revocation_ends_access_and_refresh(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    tokens = await connect(http, account)
    assert (await call(http, tokens["access_token"], "list_tasks", {})).status_code == 200
    revoked = await http.post(
        "/revoke", data={"token": tokens["refresh_token"], "client_id": tokens["client_id"]}
    )
    assert revoked.status_code == 200
    assert (await call(http, tokens["access_token"], "list_tasks", {})).status_code == 401
    again = await refresh(http, tokens["client_id"], tokens["refresh_token"])
    assert again.json()["error"] == "invalid_grant"


async def test_revoking_an_access_token_needs_its_own_client(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    tokens = await connect(http, account)
    other = await register(http)
    foreign = await http.post(
        "/revoke", data={"token": tokens["access_token"], "client_id": other["client_id"]}
    )
    assert foreign.status_code == 200  # RFC 7009: the same answer, but nothing happens
    assert (await call(http, tokens["access_token"], "list_tasks", {})).status_code == 200
    own = await http.post(
        "/revoke", data={"token": tokens["access_token"], "client_id": tokens["client_id"]}
    )
    assert own.status_code == 200
    assert (await call(http, tokens["access_token"], "list_tasks", {})).status_code == 401


async def test_deny_sends_access_denied_and_no_code(http: httpx.AsyncClient) -> None:
    account = await signup(http)
    client = await register(http)
    handle = await consent_handle(http, client["client_id"], Pkce.new(), state="deny-me")
    redirect = await decide(http, account, handle, "deny")
    assert redirect.startswith(REDIRECT + "?")
    values = query(redirect)
    assert (values["error"], values["state"]) == ("access_denied", "deny-me")
    assert "code" not in values
    # Answered once: neither Allow nor another look at it afterwards.
    late = await http.post(
        f"/api/oauth/requests/{handle}", json={"decision": "allow"}, headers=account.headers
    )
    assert late.status_code == 404
    assert late.json()["error"] == "not_found"


async def test_consent_needs_the_users_session(http: httpx.AsyncClient) -> None:
    """A page elsewhere cannot answer for the user: no bearer token, no decision (CSRF)."""
    client = await register(http)
    handle = await consent_handle(http, client["client_id"], Pkce.new())
    forged = await http.post(f"/api/oauth/requests/{handle}", json={"decision": "allow"})
    assert forged.status_code == 401
    assert forged.json()["error"] == "unauthorized"
    # An OAuth access token is not a session either: it only works on /mcp/.
    account = await signup(http)
    tokens = await connect(http, account)
    with_oauth = await http.post(
        f"/api/oauth/requests/{handle}",
        json={"decision": "allow"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert with_oauth.status_code == 401
    shown = await http.get(f"/api/oauth/requests/{handle}", headers=account.headers)
    assert shown.status_code == 200
    assert shown.json() | {"expires_at": None} == {
        "client_name": "Test Assistant",
        "client_uri": None,
        "redirect_uri": REDIRECT,
        "redirect_host": "127.0.0.1",
        "scopes": [
            {"name": "tasks:read", "description": "See your tasks"},
            {"name": "tasks:write", "description": "Add, change, complete and delete your tasks"},
        ],
        "expires_at": None,
    }


async def test_wrong_verifier_reused_code_and_wrong_redirect_are_refused(
    http: httpx.AsyncClient,
) -> None:
    account = await signup(http)
    client = await register(http, redirect_uris=[REDIRECT, "http://localhost:8765/other"])
    client_id = client["client_id"]
    pkce = Pkce.new()
    code = await authorization_code(http, account, client_id, pkce)

    wrong = await exchange(http, client_id, code, Pkce.new().verifier)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    other_redirect = await exchange(
        http, client_id, code, pkce.verifier, redirect_uri="http://localhost:8765/other"
    )
    assert other_redirect.status_code == 400
    assert other_redirect.json()["error"] == "invalid_request"

    good = await exchange(http, client_id, code, pkce.verifier)
    assert good.status_code == 200, good.text
    access = good.json()["access_token"]
    assert (await call(http, access, "list_tasks", {})).status_code == 200
    # The same code twice: refused, and what its first use granted is revoked.
    reused = await exchange(http, client_id, code, pkce.verifier)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert (await call(http, access, "list_tasks", {})).status_code == 401


async def test_authorize_refuses_unregistered_redirects_and_missing_state(
    http: httpx.AsyncClient,
) -> None:
    client = await register(http)
    client_id = client["client_id"]
    for redirect in ("http://127.0.0.1:8765/callback/extra", "http://127.0.0.1:8766/callback"):
        response = await start_authorization(http, client_id, Pkce.new(), redirect_uri=redirect)
        # Never redirected to an address that was not registered.
        assert response.status_code == 400, redirect
        assert response.json()["error"] == "invalid_request"
    no_state = await start_authorization(http, client_id, Pkce.new(), state="")
    assert no_state.status_code == 302
    assert query(no_state.headers["location"])["error"] == "invalid_request"
    plain = await start_authorization(http, client_id, Pkce.new(), code_challenge_method="plain")
    assert plain.status_code == 302
    assert query(plain.headers["location"])["error"] == "invalid_request"
    no_pkce = await start_authorization(http, client_id, Pkce("", ""))
    assert query(no_pkce.headers["location"])["error"] == "invalid_request"


async def test_registration_refuses_unsafe_redirects(http: httpx.AsyncClient) -> None:
    for uri in ("http://example.com/cb", "javascript:alert(1)", "https://app.example/cb#frag"):
        response = await http.post("/register", json={"client_name": "x", "redirect_uris": [uri]})
        assert response.status_code == 400, uri
        assert response.json()["error"] in {"invalid_redirect_uri", "invalid_client_metadata"}
    ok_response = await http.post(
        "/register",
        json={
            "client_name": "Native",
            "redirect_uris": ["https://app.example/cb", "com.example.app:/cb"],
        },
    )
    assert ok_response.status_code == 201, ok_response.text


async def test_tokens_for_another_resource_are_refused(
    http: httpx.AsyncClient, server: Server
) -> None:
    account = await signup(http)
    client = await register(http)
    other = await start_authorization(
        http, client["client_id"], Pkce.new(), resource="https://other.example/mcp"
    )
    assert other.status_code == 302
    assert query(other.headers["location"])["error"] == "invalid_target"

    pkce = Pkce.new()
    code = await authorization_code(http, account, client["client_id"], pkce)
    foreign = await exchange(
        http, client["client_id"], code, pkce.verifier, resource="https://other.example/mcp"
    )
    assert foreign.status_code == 400
    assert foreign.json()["error"] == "invalid_target"

    # A token correctly signed but for another audience (as if issued for another server).
    from datetime import UTC, datetime, timedelta

    import jwt

    tokens = await connect(http, account)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    claims["aud"] = "https://other.example/mcp"
    claims["exp"] = datetime.now(UTC) + timedelta(minutes=5)
    forged = jwt.encode(claims, "x" * 48, algorithm="HS256")
    refused = await call(http, forged, "list_tasks", {})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This access token was issued for another resource."
    # And an OAuth token is no key to the REST API.
    rest = await http.get(
        account.url("/tasks"), headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert rest.status_code == 401


async def test_a_read_only_token_can_list_but_not_change(
    http: httpx.AsyncClient, server: Server
) -> None:
    account = await signup(http)
    tokens = await connect(http, account, scope="tasks:read")
    assert tokens["scope"] == "tasks:read"
    async with mcp_session(server.base_url, tokens["access_token"]) as mcp:
        assert ok(await mcp.call_tool("list_tasks", {})) == {"tasks": [], "total": 0}
    refused = await call(http, tokens["access_token"], "add_task", {"title": "Sneaky"})
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "insufficient_scope",
        "detail": "add_task changes tasks: this connection may only read them (tasks:write is needed).",
    }
    assert refused.headers["www-authenticate"] == (
        f'Bearer error="insufficient_scope", resource_metadata="{server.base_url}'
        '/.well-known/oauth-protected-resource/mcp", scope="tasks:read tasks:write"'
    )
    # Hidden in a batch after a read, it is refused all the same.
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tasks"}},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "delete_task", "arguments": {"task_id": 1}},
        },
    ]
    batched = await http.post(
        "/mcp/",
        json=batch,
        headers={**MCP_HEADERS, "Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert batched.status_code == 403
    assert batched.json()["error"] == "insufficient_scope"
    tasks = await http.get(account.url("/tasks"), headers=account.headers)
    assert tasks.json()["total"] == 0
    # The API's own token may still do everything.
    assert (await call(http, account.token, "add_task", {"title": "Mine"})).status_code == 200


async def test_users_see_and_disconnect_their_apps(http: httpx.AsyncClient) -> None:
    alice = await signup(http)
    bob = await signup(http)
    tokens = await connect(http, alice, scope="tasks:read")
    apps = await http.get(alice.url("/connected-apps"), headers=alice.headers)
    assert apps.status_code == 200
    [app] = apps.json()["items"]
    assert (app["client_name"], app["scopes"], apps.json()["total"]) == (
        "Test Assistant",
        ["tasks:read"],
        1,
    )
    assert (await http.get(bob.url("/connected-apps"), headers=bob.headers)).json() == {
        "items": [],
        "total": 0,
    }
    # Bob cannot disconnect Alice's app, nor reach her list.
    theirs = await http.delete(bob.url(f"/connected-apps/{app['id']}"), headers=bob.headers)
    assert theirs.status_code == 404
    assert (await http.get(alice.url("/connected-apps"), headers=bob.headers)).status_code == 403
    bad = await http.delete(alice.url("/connected-apps/not-an-id"), headers=alice.headers)
    assert bad.status_code == 404

    gone = await http.delete(alice.url(f"/connected-apps/{app['id']}"), headers=alice.headers)
    assert gone.status_code == 204
    assert (await call(http, tokens["access_token"], "list_tasks", {})).status_code == 401
    assert (await refresh(http, tokens["client_id"], tokens["refresh_token"])).status_code == 400
    after = await http.get(alice.url("/connected-apps"), headers=alice.headers)
    assert after.json() == {"items": [], "total": 0}
