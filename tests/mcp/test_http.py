"""The MCP tools over streamable HTTP against a real `todochat serve`: auth, identity, hosts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx
import httpx2
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import RequestParamsMeta

from tests.factories import Account, add_task, signup
from tests.mcp.conftest import error, ok, rest_tasks
from tests.servers import Server, running_server
from todochat.accounts.security import create_access_token

pytestmark = pytest.mark.slow

# tests/servers.py starts every server with this signing key.
SERVER_SECRET = "x" * 48
# A JSON-RPC request; auth must reject it before the MCP layer ever parses it.
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    """One real server for the whole module (starting one costs about a second)."""
    with running_server(tmp_path_factory.mktemp("mcp-http"), {"DATABASE_URL": database_url}) as srv:
        yield srv


@pytest.fixture
async def rest(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the real server."""
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        yield http


@asynccontextmanager
async def mcp_over_http(
    base_url: str, token: str | None, headers: dict[str, str] | None = None, path: str = "/mcp/"
) -> AsyncIterator[Client]:
    """The SDK's streamable-HTTP client, sending `token` as a bearer token."""
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers={**auth, **(headers or {})}, timeout=30) as http,
        Client(streamable_http_client(f"{base_url}{path}", http_client=http)) as mcp,
    ):
        yield mcp


def expired_token(account: Account) -> str:
    """A correctly signed token for the account that expired a minute ago."""
    return create_access_token(uuid.UUID(account.id), SERVER_SECRET, minutes=-1)


@pytest.mark.parametrize(
    ("credentials", "detail"),
    [
        (None, "Missing bearer token: send 'Authorization: Bearer <access_token>'."),
        ("Bearer", "Missing bearer token: send 'Authorization: Bearer <access_token>'."),
        (
            "Basic dXNlcjpwYXNz",
            "Missing bearer token: send 'Authorization: Bearer <access_token>'.",
        ),
        ("Bearer not-a-jwt", "Invalid access token."),
        ("Bearer {forged}", "Invalid access token."),
        ("Bearer {expired}", "Your session has expired; log in again."),
    ],
    ids=["none", "empty", "basic", "garbage", "wrong-key", "expired"],
)
async def test_requests_without_a_valid_token_are_401(
    rest: httpx.AsyncClient, credentials: str | None, detail: str
) -> None:
    account = await signup(rest)
    forged = create_access_token(uuid.UUID(account.id), "y" * 48, minutes=60)
    headers = dict(MCP_HEADERS)
    if credentials:
        headers["Authorization"] = credentials.format(forged=forged, expired=expired_token(account))
    for method, body in [("POST", PING), ("GET", None), ("DELETE", None)]:
        response = await rest.request(method, "/mcp/", json=body, headers=headers)
        assert response.status_code == 401, (method, response.text)
        assert response.json() == {"error": "unauthorized", "detail": detail}
        # Where an OAuth client learns to get a token (tests/oauth checks it in full).
        assert response.headers["www-authenticate"].startswith(
            'Bearer realm="todochat", resource_metadata="'
        )
    # Not even a malformed body or a foreign Host gets past auth to the MCP layer.
    garbage = await rest.post("/mcp/", content=b"{not json", headers=headers)
    assert garbage.status_code == 401
    evil = await rest.post("/mcp/", json=PING, headers={**headers, "Host": "evil.example"})
    assert evil.status_code == 401


async def test_the_sdk_client_without_a_token_cannot_connect(server: Server) -> None:
    # The SDK reports the 401 as a generic MCPError inside its task groups.
    with pytest.raises(ExceptionGroup) as raised:
        async with mcp_over_http(server.base_url, None) as mcp:
            await mcp.list_tools()
    matched, _ = raised.value.split(MCPError)
    assert matched is not None


async def test_mcp_without_slash_redirects(rest: httpx.AsyncClient) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await rest.request(method, "/mcp")
        assert response.status_code == 307, method
        assert response.headers["location"] == "/mcp/"


async def test_each_tool_works_with_a_users_token(server: Server, rest: httpx.AsyncClient) -> None:
    alice = await signup(rest, time_zone="Europe/Paris")
    async with mcp_over_http(server.base_url, alice.token) as mcp:
        added = ok(
            await mcp.call_tool(
                "add_task", {"title": "Buy milk", "tags": ["Shop"], "due": "2030-03-01T08:00"}
            )
        )
        task_id = added["task_id"]
        assert (added["status"], added["title"]) == ("created", "Buy milk")
        assert added["task"]["due_at"] == "2030-03-01T07:00:00Z"  # Paris wall clock, UTC+1
        assert await rest_tasks(rest, alice) == [added["task"]]

        listing = ok(await mcp.call_tool("list_tasks", {"status": "pending", "tag": "shop"}))
        assert listing == {"tasks": [added["task"]], "total": 1}

        updated = ok(await mcp.call_tool("update_task", {"task_id": task_id, "priority": "high"}))
        assert (updated["status"], updated["task"]["priority"]) == ("updated", "high")

        completed = ok(await mcp.call_tool("complete_task", {"task_id": task_id}))
        assert (completed["status"], completed["task"]["completed"]) == ("completed", True)
        assert await rest_tasks(rest, alice) == [completed["task"]]

        reopened = ok(
            await mcp.call_tool("complete_task", {"task_id": task_id, "completed": False})
        )
        assert (reopened["status"], reopened["task"]["completed"]) == ("reopened", False)

        deleted = ok(await mcp.call_tool("delete_task", {"task_id": task_id}))
        assert deleted == {"task_id": task_id, "status": "deleted", "title": "Buy milk"}
        assert await rest_tasks(rest, alice) == []

        # Bad input over HTTP is the same readable tool error, never a 500.
        missing = error(await mcp.call_tool("complete_task", {"task_id": task_id}))
        assert missing == f"Error executing tool complete_task: Task {task_id} not found."
        empty = error(await mcp.call_tool("add_task", {"title": ""}))
        assert empty == (
            "Error executing tool add_task: Invalid arguments: "
            "title: String should have at least 1 character"
        )
    assert await rest_tasks(rest, alice) == []


async def test_the_sdk_client_follows_the_redirect_from_mcp(
    server: Server, rest: httpx.AsyncClient
) -> None:
    alice = await signup(rest)
    async with mcp_over_http(server.base_url, alice.token, path="/mcp") as mcp:
        assert ok(await mcp.call_tool("list_tasks", {})) == {"tasks": [], "total": 0}


async def test_another_users_token_can_neither_see_nor_change_tasks(
    server: Server, rest: httpx.AsyncClient
) -> None:
    alice, bob = await signup(rest), await signup(rest)
    secret = await add_task(rest, alice, title="Alice's secret", tags=["private"])
    target = secret["id"]
    # Everything a client controls that might be read as "act as Alice".
    spoof_headers = {
        "X-User-Id": alice.id,
        "X-Todochat-User": alice.id,
        "X-Forwarded-User": alice.email,
        "Mcp-Session-Id": alice.id,
    }
    # RequestParamsMeta is a TypedDict; unknown keys travel on the wire unchanged.
    spoof_meta = cast(RequestParamsMeta, {"user_id": alice.id, "todochat.user_id": alice.id})

    async with mcp_over_http(server.base_url, bob.token, headers=spoof_headers) as mcp:
        for arguments in [{}, {"user_id": alice.id}, {"tag": "private"}, {"query": "secret"}]:
            for meta in (None, spoof_meta):
                result = await mcp.call_tool("list_tasks", arguments, meta=meta)
                assert ok(result) == {"tasks": [], "total": 0}, (arguments, meta)

        changes: list[tuple[str, dict[str, Any]]] = [
            ("complete_task", {"task_id": target}),
            ("complete_task", {"task_id": target, "completed": False}),
            ("update_task", {"task_id": target, "title": "hijacked"}),
            ("update_task", {"task_id": target, "due": ""}),
            ("delete_task", {"task_id": target}),
        ]
        for tool, arguments in changes:
            for extra in ({}, {"user_id": alice.id}):
                for meta in (None, spoof_meta):
                    result = await mcp.call_tool(tool, {**arguments, **extra}, meta=meta)
                    message = error(result)
                    assert message == f"Error executing tool {tool}: Task {target} not found."

        # A user_id argument never selects the owner: the new task is Bob's.
        added = ok(
            await mcp.call_tool(
                "add_task", {"title": "Bob's own", "user_id": alice.id}, meta=spoof_meta
            )
        )
    assert await rest_tasks(rest, alice) == [secret]
    assert await rest_tasks(rest, bob) == [added["task"]]


async def test_unknown_host_is_refused(server: Server, rest: httpx.AsyncClient) -> None:
    alice = await signup(rest)
    headers = {**MCP_HEADERS, **alice.headers}
    # DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not reach the tools.
    refused = await rest.post("/mcp/", json=PING, headers={**headers, "Host": "evil.example"})
    assert (refused.status_code, refused.text) == (421, "Invalid Host header")
    origin = await rest.post(
        "/mcp/", json=PING, headers={**headers, "Origin": "http://evil.example"}
    )
    assert (origin.status_code, origin.text) == (403, "Invalid Origin header")
    # And the localhost names it does accept.
    port = server.base_url.rsplit(":", 1)[1]
    for host in ("127.0.0.1", f"127.0.0.1:{port}", "localhost", f"localhost:{port}"):
        async with mcp_over_http(server.base_url, alice.token, headers={"Host": host}) as mcp:
            assert ok(await mcp.call_tool("list_tasks", {}))["total"] == 0


async def test_configured_allowed_host_is_accepted(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> None:
    env = {"DATABASE_URL": database_url, "TODOCHAT_MCP_ALLOWED_HOSTS": '["todo.example.com"]'}
    with running_server(tmp_path_factory.mktemp("mcp-hosts"), env) as custom:
        async with httpx.AsyncClient(base_url=custom.base_url) as http:
            alice = await signup(http)
            headers = {**MCP_HEADERS, **alice.headers}
            # Behind a proxy on 443 the Host header has no port; on a custom port it has one.
            for host, origin in [
                ("todo.example.com", "https://todo.example.com"),
                ("todo.example.com:8443", "https://todo.example.com:8443"),
            ]:
                accepted = await http.post(
                    "/mcp/", json=PING, headers={**headers, "Host": host, "Origin": origin}
                )
                assert accepted.status_code == 200, (host, accepted.text)
            evil = await http.post("/mcp/", json=PING, headers={**headers, "Host": "evil.example"})
            assert evil.status_code == 421
        async with mcp_over_http(
            custom.base_url, alice.token, headers={"Host": "todo.example.com"}
        ) as mcp:
            added = ok(await mcp.call_tool("add_task", {"title": "Behind a real host name"}))
            assert added["status"] == "created"
