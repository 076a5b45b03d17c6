"""A valid token for a deleted account is 401 "This account no longer exists." on every surface."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Account, add_task, signup
from tests.servers import Server, running_server
from todochat.accounts.models import User
from todochat.db.uow import unit_of_work

pytestmark = pytest.mark.slow

GONE = {"error": "unauthorized", "detail": "This account no longer exists."}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
LIST_TASKS = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "list_tasks", "arguments": {}},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    """One real server for the module."""
    env = {"DATABASE_URL": database_url, "TODOCHAT_DATABASE_POOL_SIZE": "4"}
    with running_server(tmp_path_factory.mktemp("deleted"), env) as srv:
        yield srv


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the real server."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        yield client


async def delete_account(sessionmaker: async_sessionmaker[AsyncSession], account: Account) -> None:
    """Delete the user row (everything of theirs cascades), as an operator would."""
    async with unit_of_work(sessionmaker) as session:
        await session.execute(delete(User).where(User.id == uuid.UUID(account.id)))


def surfaces(account: Account) -> list[tuple[str, str, dict[str, object] | None, dict[str, str]]]:
    """Every authenticated route: method, path, JSON body, extra headers."""
    chat = {"message": "list my tasks"}
    return [
        ("GET", "/api/auth/me", None, {}),
        ("GET", account.url("/tasks"), None, {}),
        ("POST", account.url("/tasks"), {"title": "x"}, {}),
        ("POST", account.url("/tasks"), {"title": "x"}, {"Idempotency-Key": "k-task"}),
        ("GET", account.url("/tasks/1"), None, {}),
        ("PUT", account.url("/tasks/1"), {"title": "y"}, {}),
        ("PATCH", account.url("/tasks/1/complete"), None, {}),
        ("DELETE", account.url("/tasks/1"), None, {}),
        ("POST", account.url("/chat"), chat, {}),
        ("POST", account.url("/chat"), {**chat, "conversation_id": 1}, {}),
        ("POST", account.url("/chat"), chat, {"Idempotency-Key": "k-chat"}),
        ("POST", account.url("/chat/stream"), chat, {}),
        ("POST", account.url("/chat/stream"), chat, {"Idempotency-Key": "k-stream"}),
        ("GET", account.url("/conversations"), None, {}),
        ("GET", account.url("/conversations/1"), None, {}),
        ("DELETE", account.url("/conversations/1"), None, {}),
        ("GET", account.url("/webhooks"), None, {}),
        ("POST", account.url("/webhooks"), {"url": "https://example.com/hook"}, {}),
        ("DELETE", account.url("/webhooks/1"), None, {}),
        ("GET", account.url("/calendar"), None, {}),
        ("DELETE", account.url("/calendar"), None, {}),
        ("GET", account.url("/notifications"), None, {}),
        ("PUT", account.url("/notifications"), {"email_reminders": False}, {}),
    ]


async def test_every_route_refuses_a_deleted_accounts_token(
    http: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(http)
    await add_task(http, account, title="Buy milk")
    turn = await http.post(
        account.url("/chat"), json={"message": "list my tasks"}, headers=account.headers
    )
    assert turn.status_code == 200, turn.text
    # The same requests work while the account exists (so the 401 below is about deletion).
    for method, path, body, headers in surfaces(account)[:2]:
        live = await http.request(method, path, json=body, headers={**account.headers, **headers})
        assert live.status_code == 200, (method, path, live.text)

    await delete_account(sessionmaker, account)

    for method, path, body, headers in surfaces(account):
        response = await http.request(
            method, path, json=body, headers={**account.headers, **headers}
        )
        assert (response.status_code, response.json()) == (401, GONE), (method, path, headers)


async def test_mcp_over_http_refuses_a_deleted_accounts_token(
    http: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await signup(http)
    headers = {**account.headers, **MCP_HEADERS}
    live = await http.post("/mcp/", json=LIST_TASKS, headers=headers)
    assert live.status_code == 200, live.text
    assert live.json()["result"]["isError"] is False

    await delete_account(sessionmaker, account)

    for message in (INITIALIZE, LIST_TASKS):
        response = await http.post("/mcp/", json=message, headers=headers)
        assert (response.status_code, response.json()) == (401, GONE), message["method"]
        assert response.headers["www-authenticate"].startswith("Bearer")
