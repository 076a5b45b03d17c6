"""The five MCP tools through the SDK's in-memory client, bound to a user the way the agent is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from mcp import Client
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import add_task, signup
from tests.mcp.conftest import Connect, error, ok, rest_tasks
from todochat.mcp.server import build_mcp, identify_bound
from todochat.todos.models import Task

PARIS = ZoneInfo("Europe/Paris")


def at(moment: str | None) -> datetime | None:
    """An ISO timestamp from a tool or REST result as an aware datetime."""
    return None if moment is None else datetime.fromisoformat(moment)


def iso(moment: datetime) -> str:
    """A datetime as the ISO text REST accepts."""
    return moment.isoformat()


async def test_add_task_with_tags_priority_and_natural_due(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    async with connect(alice, "Europe/Paris") as mcp:
        result = ok(
            await mcp.call_tool(
                "add_task",
                {
                    "title": "  Buy groceries ",
                    "description": "milk, eggs",
                    "priority": "high",
                    "tags": ["#Home", "Shopping", "home"],
                    "due": "tomorrow 5pm",
                },
            )
        )
    [stored] = await rest_tasks(client, alice)
    assert result == {
        "task_id": stored["id"],
        "status": "created",
        "title": "Buy groceries",
        "task": stored,
    }
    assert stored["title"] == "Buy groceries"
    assert stored["description"] == "milk, eggs"
    assert stored["priority"] == "high"
    assert stored["tags"] == ["home", "shopping"]
    assert stored["completed"] is False
    # 5 pm on tomorrow's date on a Paris wall clock, whatever the server's own zone is.
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    assert at(stored["due_at"]) == datetime.combine(tomorrow, time(17), PARIS)


async def test_add_task_with_only_a_title_uses_the_defaults(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    async with connect(alice, "UTC") as mcp:
        result = ok(await mcp.call_tool("add_task", {"title": "Call mom"}))
    task = result["task"]
    assert (task["title"], task["description"], task["priority"]) == ("Call mom", "", "medium")
    assert (task["tags"], task["due_at"], task["completed_at"]) == ([], None, None)
    assert await rest_tasks(client, alice) == [task]


async def test_add_task_with_iso_due_keeps_the_given_offset(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    async with connect(alice, "Europe/Paris") as mcp:
        naive = ok(await mcp.call_tool("add_task", {"title": "a", "due": "2030-06-01T09:30"}))
        utc = ok(await mcp.call_tool("add_task", {"title": "b", "due": "2030-06-01T09:30Z"}))
    # A naive ISO time is Paris wall-clock time (UTC+2 in June); an explicit offset wins.
    assert at(naive["task"]["due_at"]) == datetime(2030, 6, 1, 7, 30, tzinfo=UTC)
    assert at(utc["task"]["due_at"]) == datetime(2030, 6, 1, 9, 30, tzinfo=UTC)


async def test_list_tasks_with_each_filter(client: httpx.AsyncClient, connect: Connect) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    now = datetime.now(PARIS)
    end_of_today = datetime.combine(now.date(), time(23, 59), PARIS)

    async def make(title: str, **fields: Any) -> int:
        return int((await add_task(client, alice, title=title, **fields))["id"])

    rent = await make("Pay rent", due_at=iso(now - timedelta(days=1)), tags=["home"])
    mom = await make("Call mom", due_at=iso(end_of_today), priority="high")
    trip = await make("Plan trip", due_at=iso(now + timedelta(days=3)), priority="low")
    book = await make("Read book", description="the trip guide", tags=["home", "fun"])
    milk = await make("Buy milk", due_at=iso(now + timedelta(days=30)), priority="high")
    done = await client.patch(alice.url(f"/tasks/{book}/complete"), headers=alice.headers)
    assert done.status_code == 200

    async def ids(mcp: Client, **arguments: Any) -> tuple[list[int], int]:
        result = ok(await mcp.call_tool("list_tasks", arguments))
        return [task["id"] for task in result["tasks"]], result["total"]

    async with connect(alice, "Europe/Paris") as mcp:
        assert await ids(mcp) == ([rent, mom, trip, book, milk], 5)
        assert await ids(mcp, status="all") == ([rent, mom, trip, book, milk], 5)
        assert await ids(mcp, status="pending") == ([rent, mom, trip, milk], 4)
        assert await ids(mcp, status="completed") == ([book], 1)
        assert await ids(mcp, query="TRIP") == ([trip, book], 2)  # title or description
        assert await ids(mcp, tag="#Home") == ([rent, book], 2)
        assert await ids(mcp, priority="high") == ([mom, milk], 2)
        assert await ids(mcp, due="today") == ([mom], 1)
        assert await ids(mcp, due="overdue") == ([rent], 1)
        assert await ids(mcp, due="week") == ([mom, trip], 2)
        assert await ids(mcp, sort="due") == ([rent, mom, trip, milk, book], 5)
        assert await ids(mcp, sort="priority") == ([mom, milk, rent, book, trip], 5)
        assert await ids(mcp, sort="title") == ([milk, mom, rent, trip, book], 5)
        # limit cuts the page, total still counts every match.
        assert await ids(mcp, limit=2) == ([rent, mom], 5)
        assert await ids(mcp, status="pending", priority="high", due="week") == ([mom], 1)
        full = ok(await mcp.call_tool("list_tasks", {"status": "completed"}))
    assert full["tasks"] == [task for task in await rest_tasks(client, alice) if task["id"] == book]


async def test_complete_then_reopen(client: httpx.AsyncClient, connect: Connect) -> None:
    alice = await signup(client)
    task = await add_task(client, alice, title="Water plants")
    async with connect(alice, "UTC") as mcp:
        completed = ok(await mcp.call_tool("complete_task", {"task_id": task["id"]}))
        [stored] = await rest_tasks(client, alice)
        assert completed == {
            "task_id": task["id"],
            "status": "completed",
            "title": "Water plants",
            "task": stored,
        }
        assert stored["completed"] is True
        assert stored["completed_at"] is not None

        # Completing again is idempotent, not a toggle.
        again = ok(await mcp.call_tool("complete_task", {"task_id": task["id"], "completed": True}))
        assert again["task"]["completed"] is True

        reopened = ok(
            await mcp.call_tool("complete_task", {"task_id": task["id"], "completed": False})
        )
        [stored] = await rest_tasks(client, alice)
        assert reopened == {
            "task_id": task["id"],
            "status": "reopened",
            "title": "Water plants",
            "task": stored,
        }
        assert (stored["completed"], stored["completed_at"]) == (False, None)


async def test_delete_task(client: httpx.AsyncClient, connect: Connect) -> None:
    alice = await signup(client)
    keep = await add_task(client, alice, title="Keep me")
    drop = await add_task(client, alice, title="Cancel dentist")
    async with connect(alice, "UTC") as mcp:
        result = ok(await mcp.call_tool("delete_task", {"task_id": drop["id"]}))
        assert result == {"task_id": drop["id"], "status": "deleted", "title": "Cancel dentist"}
        assert await rest_tasks(client, alice) == [keep]
        # Deleting twice is an error the model can read, not a crash.
        message = error(await mcp.call_tool("delete_task", {"task_id": drop["id"]}))
        assert message == f"Error executing tool delete_task: Task {drop['id']} not found."


async def test_update_task_changes_only_the_given_fields(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    task = await add_task(
        client, alice, title="Meeting", description="room 4", tags=["work"], priority="low"
    )
    async with connect(alice, "Europe/Paris") as mcp:
        renamed = ok(
            await mcp.call_tool("update_task", {"task_id": task["id"], "title": "Standup"})
        )
        [stored] = await rest_tasks(client, alice)
        assert renamed == {
            "task_id": task["id"],
            "status": "updated",
            "title": "Standup",
            "task": stored,
        }
        assert (stored["description"], stored["tags"], stored["priority"]) == (
            "room 4",
            ["work"],
            "low",
        )

        changed = ok(
            await mcp.call_tool(
                "update_task",
                {
                    "task_id": task["id"],
                    "description": "room 5",
                    "priority": "high",
                    "tags": ["#Team", "work"],
                    "due": "tomorrow 9:30am",
                },
            )
        )
        [stored] = await rest_tasks(client, alice)
        assert changed["task"] == stored
        assert stored["title"] == "Standup"
        assert (stored["description"], stored["tags"], stored["priority"]) == (
            "room 5",
            ["team", "work"],
            "high",
        )
        tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
        assert at(stored["due_at"]) == datetime.combine(tomorrow, time(9, 30), PARIS)

        # An empty due clears the date and touches nothing else.
        cleared = ok(await mcp.call_tool("update_task", {"task_id": task["id"], "due": ""}))
        [stored] = await rest_tasks(client, alice)
        assert cleared["task"] == stored
        assert stored["due_at"] is None
        assert (stored["title"], stored["priority"], stored["tags"]) == (
            "Standup",
            "high",
            ["team", "work"],
        )


Arguments = Callable[[int, int], dict[str, Any]]

# (tool, arguments given (own task number, a number only another user has), message after the
# tool prefix)
BAD_CALLS: list[tuple[str, Arguments, str]] = [
    ("complete_task", lambda own, other: {"task_id": 987654321}, "Task 987654321 not found."),
    (
        "update_task",
        lambda own, other: {"task_id": 987654321, "title": "x"},
        "Task 987654321 not found.",
    ),
    ("delete_task", lambda own, other: {"task_id": 987654321}, "Task 987654321 not found."),
    ("complete_task", lambda own, other: {"task_id": other}, "Task {other} not found."),
    (
        "update_task",
        lambda own, other: {"task_id": other, "title": "mine"},
        "Task {other} not found.",
    ),
    ("update_task", lambda own, other: {"task_id": other, "due": ""}, "Task {other} not found."),
    ("delete_task", lambda own, other: {"task_id": other}, "Task {other} not found."),
    (
        "add_task",
        lambda own, other: {"title": ""},
        "Invalid arguments: title: String should have at least 1 character",
    ),
    (
        "add_task",
        lambda own, other: {"title": "   "},
        "Invalid arguments: title: String should have at least 1 character",
    ),
    (
        "add_task",
        lambda own, other: {"title": "x" * 201},
        "Invalid arguments: title: String should have at most 200 characters",
    ),
    ("add_task", lambda own, other: {}, "Invalid arguments: title: Field required"),
    (
        "add_task",
        lambda own, other: {"title": "ok", "priority": "urgent"},
        "Invalid arguments: priority: Input should be 'low', 'medium' or 'high'",
    ),
    (
        "add_task",
        lambda own, other: {"title": "ok", "due": "when pigs fly"},
        "I can't read 'when pigs fly' as a date. Try 'tomorrow 5pm', 'next friday', "
        "'in 3 days' or an ISO date like 2026-12-24T17:00.",
    ),
    (
        "add_task",
        lambda own, other: {"title": "ok", "tags": "home"},
        "Invalid arguments: tags: Input should be a valid list",
    ),
    (
        "complete_task",
        lambda own, other: {"task_id": "abc"},
        "Invalid arguments: task_id: Input should be a valid integer, "
        "unable to parse string as an integer",
    ),
    (
        "complete_task",
        lambda own, other: {"task_id": own, "completed": "maybe"},
        "Invalid arguments: completed: Input should be a valid boolean, unable to interpret input",
    ),
    (
        "update_task",
        lambda own, other: {"task_id": own},
        "Nothing to change: give a title, description, priority, tags, due, reminders or recurrence.",
    ),
    (
        "add_task",
        lambda own, other: {"title": "x", "recurrence": "now and then"},
        "recurrence: I can't read 'now and then' as a repeat rule. Try 'every monday', "
        "'every weekday at 9am', 'every 2 weeks', 'every month on the 1st', "
        "'every last friday of the month' or an RRULE like FREQ=WEEKLY;BYDAY=MO.",
    ),
    (
        "update_task",
        lambda own, other: {"task_id": own, "title": "new", "recurrence": "FREQ=WEEKLY;BYDAY=XX"},
        "recurrence: invalid 'BYDAY': XX.",
    ),
    (
        "skip_occurrence",
        lambda own, other: {"task_id": own},
        "Task {own} does not repeat: there is no occurrence to skip.",
    ),
    ("skip_occurrence", lambda own, other: {"task_id": other}, "Task {other} not found."),
    (
        "update_task",
        lambda own, other: {"task_id": own, "title": ""},
        "Invalid arguments: title: String should have at least 1 character",
    ),
    (
        "update_task",
        lambda own, other: {"task_id": own, "priority": "urgent"},
        "Invalid arguments: priority: Input should be 'low', 'medium' or 'high'",
    ),
    (
        "update_task",
        lambda own, other: {"task_id": own, "title": "new", "due": "blargh"},
        "I can't read 'blargh' as a date. Try 'tomorrow 5pm', 'next friday', "
        "'in 3 days' or an ISO date like 2026-12-24T17:00.",
    ),
    (
        "list_tasks",
        lambda own, other: {"status": "done"},
        "Invalid arguments: status: Input should be 'all', 'pending' or 'completed'",
    ),
    (
        "list_tasks",
        lambda own, other: {"limit": 0},
        "Invalid arguments: limit: Input should be greater than or equal to 1",
    ),
    (
        "list_tasks",
        lambda own, other: {"due": "tomorrow"},
        "Invalid arguments: due: Input should be 'today', 'overdue', 'week' or 'upcoming'",
    ),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    BAD_CALLS,
    ids=[f"{tool}-{index}" for index, (tool, _, _) in enumerate(BAD_CALLS)],
)
async def test_bad_input_is_a_tool_error_and_changes_nothing(
    client: httpx.AsyncClient, connect: Connect, tool: str, arguments: Arguments, expected: str
) -> None:
    alice, bob = await signup(client), await signup(client)
    own = await add_task(client, alice, title="Alice's task", tags=["home"])
    # Bob's #2: a number Alice does not have, held by another user.
    first = await add_task(client, bob, title="Bob's first")
    other = await add_task(client, bob, title="Bob's secret", due_at="2030-01-01T10:00:00Z")
    assert (own["id"], first["id"], other["id"]) == (1, 1, 2)
    async with connect(alice, "UTC") as mcp:
        message = error(await mcp.call_tool(tool, arguments(own["id"], other["id"])))
    assert message == f"Error executing tool {tool}: " + expected.format(
        own=own["id"], other=other["id"]
    )
    assert "Bob" not in message
    assert await rest_tasks(client, alice) == [own]
    assert await rest_tasks(client, bob) == [first, other]


async def test_unknown_argument_like_user_id_is_ignored(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice, bob = await signup(client), await signup(client)
    async with connect(alice, "UTC") as mcp:
        ok(await mcp.call_tool("add_task", {"title": "Mine", "user_id": bob.id}))
        listing = ok(await mcp.call_tool("list_tasks", {"user_id": bob.id}))
    assert [task["title"] for task in listing["tasks"]] == ["Mine"]
    assert [task["title"] for task in await rest_tasks(client, alice)] == ["Mine"]
    assert await rest_tasks(client, bob) == []


async def test_no_bound_user_is_a_tool_error(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async def task_count() -> int:
        async with sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(Task)) or 0)

    before = await task_count()
    # The client is opened outside any bound_principal block: the server sees no user.
    async with Client(build_mcp(sessionmaker, identify_bound)) as mcp:
        for tool, arguments in [("list_tasks", {}), ("add_task", {"title": "orphan"})]:
            message = error(await mcp.call_tool(tool, arguments))
            assert message == f"Error executing tool {tool}: No user is bound to this MCP session."
    assert await task_count() == before


async def test_repeating_task_through_the_tools(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    async with connect(alice, "Europe/Paris") as mcp:
        added = ok(
            await mcp.call_tool(
                "add_task",
                {
                    "title": "Water the plants",
                    "due": "2030-01-07T09:00",
                    "recurrence": "every monday",
                },
            )
        )
        assert added["task"]["recurrence"] == {
            "rule": "FREQ=WEEKLY;BYDAY=MO",
            "text": "every Monday",
            "from_completion": False,
        }
        task_id = added["task_id"]
        done = ok(await mcp.call_tool("complete_task", {"task_id": task_id}))
        [stored] = await rest_tasks(client, alice)
        assert done == {
            "task_id": task_id,
            "status": "completed",
            "title": "Water the plants",
            "task": stored,
            "next_due": "2030-01-14T08:00:00Z",
        }
        assert stored["completed"] is False and stored["due_at"] == "2030-01-14T08:00:00Z"

        skipped = ok(await mcp.call_tool("skip_occurrence", {"task_id": task_id}))
        assert (skipped["status"], skipped["next_due"]) == ("skipped", "2030-01-21T08:00:00Z")

        changed = ok(
            await mcp.call_tool("update_task", {"task_id": task_id, "recurrence": "every 2 weeks"})
        )
        assert changed["task"]["recurrence"]["text"] == "every 2 weeks"
        assert changed["task"]["due_at"] == "2030-01-21T08:00:00Z"

        stopped = ok(await mcp.call_tool("update_task", {"task_id": task_id, "recurrence": ""}))
        assert stopped["task"]["recurrence"] is None
        final = ok(await mcp.call_tool("complete_task", {"task_id": task_id}))
        assert final["task"]["completed"] is True and "next_due" not in final
