"""Helpers shared by the MCP tests: reading tool results and a user's tasks over REST."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Account
from todochat.mcp.server import Principal, bound_principal, build_mcp, identify_bound

Connect = Callable[[Account, str], AbstractAsyncContextManager[Client]]


def ok(result: CallToolResult) -> dict[str, Any]:
    """The structured result of a successful call, checked to equal its JSON text content."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert len(result.content) == 1
    text = result.content[0]
    assert isinstance(text, TextContent)
    # Clients that ignore structured output read the text: it must carry the same data.
    assert json.loads(text.text) == result.structured_content
    return dict(result.structured_content)


def error(result: CallToolResult) -> str:
    """The message of a failed call (an is_error result, not a protocol error)."""
    assert result.is_error, result.structured_content
    assert result.structured_content is None
    assert len(result.content) == 1
    text = result.content[0]
    assert isinstance(text, TextContent)
    return text.text


async def rest_tasks(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    """Every task of the account, read over REST (the source of truth the MCP tools must match)."""
    response = await client.get(
        account.url("/tasks"), params={"limit": 100}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture
def connect(sessionmaker: async_sessionmaker[AsyncSession]) -> Connect:
    """Open an in-memory MCP client acting for `account`, bound the way the agent binds it."""

    @asynccontextmanager
    async def open_client(account: Account, time_zone: str = "UTC") -> AsyncIterator[Client]:
        server = build_mcp(sessionmaker, identify_bound)
        async with (
            bound_principal(Principal(uuid.UUID(account.id), time_zone)),
            Client(server) as mcp_client,
        ):
            yield mcp_client

    return open_client
