"""Todoist's p1-p4 words over MCP (REST: tests/api/test_quick_add.py)."""

from __future__ import annotations

import httpx

from tests.factories import signup
from tests.mcp.conftest import Connect, ok


async def test_p1_to_p4_over_mcp(client: httpx.AsyncClient, connect: Connect) -> None:
    account = await signup(client)
    async with connect(account, "UTC") as mcp:
        added = ok(await mcp.call_tool("add_task", {"title": "Urgent thing", "priority": "p1"}))
        assert added["task"]["priority"] == "high"
        updated = ok(
            await mcp.call_tool("update_task", {"task_id": added["task_id"], "priority": "p4"})
        )
        assert updated["task"]["priority"] == "low"
