"""MCP tools name tasks by the user's own number, never reaching another user's task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.factories import add_task, signup
from tests.mcp.conftest import Connect, error, ok, rest_tasks


async def test_every_tool_takes_the_users_own_number(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice, bob = await signup(client), await signup(client)
    bobs = await add_task(client, bob, title="Bob's 1")
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    async with connect(alice, "UTC") as mcp:
        first = ok(await mcp.call_tool("add_task", {"title": "Alice's 1"}))
        second = ok(
            await mcp.call_tool(
                "add_task", {"title": "Alice's 2", "due": due, "recurrence": "every week"}
            )
        )
        assert (first["task_id"], first["task"]["id"]) == (1, 1)
        assert (second["task_id"], second["task"]["id"]) == (2, 2)

        done = ok(await mcp.call_tool("complete_task", {"task_id": 1}))
        assert (done["task_id"], done["status"], done["title"]) == (1, "completed", "Alice's 1")
        updated = ok(await mcp.call_tool("update_task", {"task_id": 2, "priority": "high"}))
        assert (updated["task_id"], updated["task"]["priority"]) == (2, "high")
        skipped = ok(await mcp.call_tool("skip_occurrence", {"task_id": 2}))
        assert (skipped["task_id"], skipped["status"]) == (2, "skipped")
        moved = ok(await mcp.call_tool("complete_task", {"task_id": 2}))
        listing = ok(await mcp.call_tool("list_tasks", {"status": "completed"}))
        assert [task["id"] for task in listing["tasks"]] == [1]
        assert [c["task_id"] for c in listing["completions"]] == [2]
        assert moved["next_due"] is not None

        deleted = ok(await mcp.call_tool("delete_task", {"task_id": 2}))
        assert (deleted["task_id"], deleted["title"]) == (2, "Alice's 2")
        again = error(await mcp.call_tool("complete_task", {"task_id": 2}))
        assert again == "Error executing tool complete_task: Task 2 not found."
        third = ok(await mcp.call_tool("add_task", {"title": "Alice's 3"}))
        assert third["task_id"] == 3  # 2 is not given again

    # Bob's #1 was never touched; Bob's tools see only Bob's numbers.
    assert await rest_tasks(client, bob) == [bobs]
    async with connect(bob, "UTC") as mcp:
        for tool, arguments in [
            ("complete_task", {"task_id": 3}),
            ("update_task", {"task_id": 3, "title": "mine now"}),
            ("skip_occurrence", {"task_id": 3}),
            ("delete_task", {"task_id": 3}),
        ]:
            message = error(await mcp.call_tool(tool, arguments))
            assert message == f"Error executing tool {tool}: Task 3 not found."
        listing = ok(await mcp.call_tool("list_tasks", {}))
        assert [(task["id"], task["title"]) for task in listing["tasks"]] == [(1, "Bob's 1")]
    assert [
        (task["id"], task["title"], task["completed"]) for task in await rest_tasks(client, alice)
    ] == [
        (1, "Alice's 1", True),
        (3, "Alice's 3", False),
    ]
