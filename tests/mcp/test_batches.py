"""The batch tools (add_tasks, complete_tasks, update_tasks) and list_tasks' date ranges, through
the SDK's in-memory client on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from mcp import Client
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import add_task, signup
from tests.mcp.conftest import Connect, error, ok, rest_tasks
from todochat.mcp.server import MAX_BATCH, Principal, bound_principal, build_mcp, identify_bound


async def test_add_tasks_adds_every_item_in_order(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    async with connect(alice, "UTC") as mcp:
        result = ok(
            await mcp.call_tool(
                "add_tasks",
                {
                    "tasks": [
                        {"title": "Buy milk", "tags": ["shop"]},
                        {"title": "Call mom", "priority": "high", "due": "2030-01-05T10:00"},
                    ]
                },
            )
        )
    stored = await rest_tasks(client, alice)
    by_id = {task["id"]: task for task in stored}
    assert [item["title"] for item in result["results"]] == ["Buy milk", "Call mom"]
    assert [item["status"] for item in result["results"]] == ["created", "created"]
    for item in result["results"]:
        assert item["task"] == by_id[item["task_id"]]
    call_mom = by_id[result["results"][1]["task_id"]]
    assert call_mom["priority"] == "high"
    assert datetime.fromisoformat(call_mom["due_at"]) == datetime(2030, 1, 5, 10, tzinfo=UTC)


async def test_add_tasks_with_a_bad_item_adds_nothing_and_names_it(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    async with connect(alice, "UTC") as mcp:
        message = error(
            await mcp.call_tool(
                "add_tasks",
                {
                    "tasks": [
                        {"title": "Fine"},
                        {"title": "Also fine", "reminders": [{"at": "tomorrow 9am"}]},
                        {"title": "Broken", "due": "the twelfth of never"},
                    ]
                },
            )
        )
    assert message.startswith("Error executing tool add_tasks: tasks[2]: "), message
    assert "twelfth of never" in message
    assert message.endswith("Nothing in the batch was changed.")
    assert await rest_tasks(client, alice) == []


async def test_batches_over_the_limit_or_empty_are_refused(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    mine = await add_task(client, alice, title="Mine")
    async with connect(alice, "UTC") as mcp:
        too_many = [{"title": f"Task {n}"} for n in range(MAX_BATCH + 1)]
        message = error(await mcp.call_tool("add_tasks", {"tasks": too_many}))
        assert "tasks" in message and str(MAX_BATCH) in message, message
        message = error(await mcp.call_tool("complete_tasks", {"task_ids": []}))
        assert "task_ids" in message, message
        ids = [mine["id"]] * (MAX_BATCH + 1)
        message = error(await mcp.call_tool("complete_tasks", {"task_ids": ids}))
        assert "task_ids" in message and str(MAX_BATCH) in message, message
    # Exactly the limit is accepted.
    async with connect(alice, "UTC") as mcp:
        at_limit = [{"title": f"Task {n}"} for n in range(MAX_BATCH)]
        assert len(ok(await mcp.call_tool("add_tasks", {"tasks": at_limit}))["results"]) == (
            MAX_BATCH
        )
    assert len(await rest_tasks(client, alice)) == MAX_BATCH + 1


async def test_complete_tasks_completes_all_and_repeating_ones_move_on(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    one = await add_task(client, alice, title="One")
    weekly = await add_task(
        client, alice, title="Weekly", due_at="2030-01-07T09:00:00Z", recurrence="every week"
    )
    untouched = await add_task(client, alice, title="Untouched")
    async with connect(alice, "UTC") as mcp:
        result = ok(await mcp.call_tool("complete_tasks", {"task_ids": [one["id"], weekly["id"]]}))
    first, second = result["results"]
    assert (first["task_id"], first["status"], first["task"]["completed"]) == (
        one["id"],
        "completed",
        True,
    )
    assert second["task_id"] == weekly["id"]
    assert second["task"]["completed"] is False
    assert datetime.fromisoformat(second["next_due"]) == datetime(2030, 1, 14, 9, tzinfo=UTC)
    stored = {task["id"]: task for task in await rest_tasks(client, alice)}
    assert stored[one["id"]]["completed"] is True
    assert stored[untouched["id"]] == untouched


async def test_complete_tasks_with_an_unknown_or_repeated_id_changes_nothing(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice, bob = await signup(client), await signup(client)
    mine = await add_task(client, alice, title="Mine")
    await add_task(client, bob, title="Bob's first")
    bobs = await add_task(client, bob, title="Bob's secret plan")
    assert bobs["id"] != mine["id"]  # a number only Bob has
    async with connect(alice, "UTC") as mcp:
        message = error(
            await mcp.call_tool("complete_tasks", {"task_ids": [mine["id"], bobs["id"]]})
        )
        assert message.startswith("Error executing tool complete_tasks: task_ids[1]: "), message
        assert "secret" not in message
        message = error(
            await mcp.call_tool("complete_tasks", {"task_ids": [mine["id"], mine["id"]]})
        )
        assert message.startswith("Error executing tool complete_tasks: task_ids[1]: "), message
    assert await rest_tasks(client, alice) == [mine]
    assert all(task["completed"] is False for task in await rest_tasks(client, bob))


async def test_update_tasks_changes_only_the_given_fields(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    first = await add_task(client, alice, title="First", priority="low", tags=["a"])
    second = await add_task(client, alice, title="Second", due_at="2030-01-05T10:00:00Z")
    async with connect(alice, "UTC") as mcp:
        result = ok(
            await mcp.call_tool(
                "update_tasks",
                {
                    "updates": [
                        {"task_id": first["id"], "priority": "high"},
                        {"task_id": second["id"], "title": "Second, renamed", "due": ""},
                    ]
                },
            )
        )
    stored = {task["id"]: task for task in await rest_tasks(client, alice)}
    assert [item["status"] for item in result["results"]] == ["updated", "updated"]
    assert [item["task"] for item in result["results"]] == [
        stored[first["id"]],
        stored[second["id"]],
    ]
    assert (stored[first["id"]]["priority"], stored[first["id"]]["tags"]) == ("high", ["a"])
    assert stored[first["id"]]["title"] == "First"
    assert (stored[second["id"]]["title"], stored[second["id"]]["due_at"]) == (
        "Second, renamed",
        None,
    )


async def test_update_tasks_with_a_bad_item_changes_nothing(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice, bob = await signup(client), await signup(client)
    first = await add_task(client, alice, title="First")
    second = await add_task(client, alice, title="Second")
    await add_task(client, bob, title="Bob 1")
    await add_task(client, bob, title="Bob 2")
    bobs = await add_task(client, bob, title="Bob's private note")
    async with connect(alice, "UTC") as mcp:
        # Nothing to change in the second item.
        message = error(
            await mcp.call_tool(
                "update_tasks",
                {"updates": [{"task_id": first["id"], "title": "X"}, {"task_id": second["id"]}]},
            )
        )
        assert message.startswith(
            "Error executing tool update_tasks: updates[1]: Nothing to change"
        ), message
        # A task only Bob has.
        message = error(
            await mcp.call_tool(
                "update_tasks",
                {
                    "updates": [
                        {"task_id": first["id"], "title": "X"},
                        {"task_id": bobs["id"], "title": "Hijacked"},
                    ]
                },
            )
        )
        assert message.startswith("Error executing tool update_tasks: updates[1]: "), message
        assert "private" not in message
        # A bad value: an unknown field in an item is refused by the schema.
        message = error(
            await mcp.call_tool(
                "update_tasks", {"updates": [{"task_id": first["id"], "colour": "red"}]}
            )
        )
        assert "updates.0.colour" in message, message
    assert await rest_tasks(client, alice) == [first, second]
    assert "Hijacked" not in {task["title"] for task in await rest_tasks(client, bob)}


async def test_list_tasks_by_due_range(client: httpx.AsyncClient, connect: Connect) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    await add_task(client, alice, title="Early", due_at="2030-01-05T10:00:00Z")
    middle = await add_task(client, alice, title="Middle", due_at="2030-01-10T10:00:00Z")
    late = await add_task(client, alice, title="Late", due_at="2030-01-20T10:00:00Z")
    await add_task(client, alice, title="Undated")
    async with connect(alice, "Europe/Paris") as mcp:
        both = ok(
            await mcp.call_tool(
                "list_tasks",
                {"due_after": "2030-01-06T00:00", "due_before": "2030-01-15T00:00"},
            )
        )
        after = ok(await mcp.call_tool("list_tasks", {"due_after": "2030-01-06T00:00"}))
        # The bound is read in the user's zone: 11:00 in Paris is 10:00 UTC, included.
        paris = ok(await mcp.call_tool("list_tasks", {"due_after": "2030-01-20T11:00"}))
        bad = error(await mcp.call_tool("list_tasks", {"due_before": "someday maybe"}))
        reversed_range = error(
            await mcp.call_tool(
                "list_tasks", {"due_after": "2030-01-15T00:00", "due_before": "2030-01-06T00:00"}
            )
        )
    assert [task["id"] for task in both["tasks"]] == [middle["id"]]
    assert both["total"] == 1
    assert {task["id"] for task in after["tasks"]} == {middle["id"], late["id"]}
    assert [task["id"] for task in paris["tasks"]] == [late["id"]]
    assert bad.startswith("Error executing tool list_tasks: due_before: "), bad
    assert "due_after" in reversed_range and "due_before" in reversed_range


async def test_list_tasks_by_completed_range(client: httpx.AsyncClient, connect: Connect) -> None:
    alice = await signup(client)
    done = await add_task(client, alice, title="Done")
    await add_task(client, alice, title="Still open")
    weekly = await add_task(
        client, alice, title="Weekly", due_at="2030-01-07T09:00:00Z", recurrence="every week"
    )
    now = datetime.now(UTC)
    hour_ago, in_an_hour = (
        (now - timedelta(hours=1)).isoformat(),
        (now + timedelta(hours=1)).isoformat(),
    )
    async with connect(alice, "UTC") as mcp:
        ok(await mcp.call_tool("complete_tasks", {"task_ids": [done["id"], weekly["id"]]}))
        recent = ok(
            await mcp.call_tool(
                "list_tasks",
                {
                    "status": "completed",
                    "completed_after": hour_ago,
                    "completed_before": in_an_hour,
                },
            )
        )
        # status=all with a completed range still lists only completed tasks.
        any_status = ok(await mcp.call_tool("list_tasks", {"completed_after": hour_ago}))
        earlier = ok(
            await mcp.call_tool("list_tasks", {"status": "completed", "completed_before": hour_ago})
        )
        bad = error(await mcp.call_tool("list_tasks", {"completed_after": "whenever"}))
    assert [task["id"] for task in recent["tasks"]] == [done["id"]]
    assert [item["task_id"] for item in recent["completions"]] == [weekly["id"]]
    assert [task["id"] for task in any_status["tasks"]] == [done["id"]]
    assert (earlier["tasks"], earlier["total"]) == ([], 0)
    assert "completions" not in earlier
    assert bad.startswith("Error executing tool list_tasks: completed_after: "), bad


async def test_a_retried_turn_replays_a_batch_instead_of_applying_it_twice(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    alice = await signup(client)
    server = build_mcp(sessionmaker, identify_bound)
    batch = {"tasks": [{"title": "Buy milk"}, {"title": "Call mom"}]}
    results = []
    for _attempt in range(2):  # the same turn (same key), run again after a lost reply
        principal = Principal(uuid.UUID(alice.id), "UTC", turn_key="turn-1")
        async with bound_principal(principal), Client(server) as mcp:
            results.append(ok(await mcp.call_tool("add_tasks", batch)))
    assert results[0] == results[1]
    stored = await rest_tasks(client, alice)
    assert sorted(task["title"] for task in stored) == ["Buy milk", "Call mom"]
    # A different turn asking the same is a new request: it adds again.
    principal = Principal(uuid.UUID(alice.id), "UTC", turn_key="turn-2")
    async with bound_principal(principal), Client(server) as mcp:
        ok(await mcp.call_tool("add_tasks", batch))
    assert len(await rest_tasks(client, alice)) == 4
