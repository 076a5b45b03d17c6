"""Shared fixtures for the reliability suite: one real `todochat serve` on the offline model.

Starting a server costs seconds on a loaded machine, so the tests that only need "a real server
with default settings" share this one and isolate themselves by signing up fresh users.
Tests that need other settings (a slow model, short claims, two instances) start their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.factories import Account
from tests.servers import Server, running_server, start_server

# tests/servers.py starts every server with this signing key.
SERVER_SECRET = "x" * 48


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Server]:
    """A real server on the offline model, shared by the package."""
    with running_server(
        tmp_path_factory.mktemp("reliability"), {"DATABASE_URL": database_url}
    ) as srv:
        yield srv


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the shared server."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        yield client


async def conversation_messages(
    client: httpx.AsyncClient, account: Account, conversation_id: int
) -> list[dict[str, Any]]:
    """The stored messages of a conversation, in seq order, read over REST."""
    response = await client.get(
        account.url(f"/conversations/{conversation_id}"), headers=account.headers
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


async def task_titles(client: httpx.AsyncClient, account: Account) -> list[str]:
    """Titles of every task of the account, oldest first."""
    response = await client.get(
        account.url("/tasks"), params={"limit": 100}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    items = sorted(response.json()["items"], key=lambda task: task["id"])
    return [task["title"] for task in items]


def assert_turns_well_formed(messages: list[dict[str, Any]]) -> None:
    """seq is 1..n with no gap, and every user message is followed by its assistant reply."""
    assert [message["seq"] for message in messages] == list(range(1, len(messages) + 1))
    roles = [message["role"] for message in messages]
    assert roles == ["user", "assistant"] * (len(messages) // 2), roles


@asynccontextmanager
async def servers(log_dir: Path, env: dict[str, str], count: int) -> AsyncIterator[list[Server]]:
    """`count` servers started side by side (startup is slow here); all stopped at the end."""
    started = await asyncio.gather(
        *(asyncio.to_thread(start_server, log_dir, env) for _ in range(count)),
        return_exceptions=True,
    )
    running = [server for server in started if isinstance(server, Server)]
    try:
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        yield running
    finally:
        for server in running:
            await asyncio.to_thread(server.stop)
