"""Reminders through the MCP tools: add_task and update_task accept them; bad ones name the field."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.factories import add_task, signup
from tests.mcp.conftest import Connect, error, ok, rest_tasks

PARIS = ZoneInfo("Europe/Paris")


async def test_add_task_with_natural_and_relative_reminders(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    async with connect(alice, "Europe/Paris") as mcp:
        result = ok(
            await mcp.call_tool(
                "add_task",
                {
                    "title": "Call the dentist",
                    "due": "tomorrow 6pm",
                    "reminders": [{"at": "tomorrow 5pm"}, {"before": "10 minutes"}],
                },
            )
        )
    [stored] = await rest_tasks(client, alice)
    assert result["task"] == stored
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    first, second = stored["reminders"]
    assert datetime.fromisoformat(first["at"]) == datetime.combine(tomorrow, time(17), PARIS)
    assert datetime.fromisoformat(second["at"]) == datetime.combine(tomorrow, time(17, 50), PARIS)
    assert (first["before"], second["before"]) == (None, "PT10M")


async def test_update_task_replaces_reminders_and_moves_them_with_the_due_date(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    task = await add_task(client, alice, title="Report", due_at="2030-03-01T12:00:00Z")
    async with connect(alice, "UTC") as mcp:
        updated = ok(
            await mcp.call_tool(
                "update_task", {"task_id": task["id"], "reminders": [{"before": "PT1H"}]}
            )
        )
        assert [r["at"] for r in updated["task"]["reminders"]] == ["2030-03-01T11:00:00Z"]
        moved = ok(
            await mcp.call_tool(
                "update_task", {"task_id": task["id"], "due": "2030-03-02T09:00:00Z"}
            )
        )
        assert [r["at"] for r in moved["task"]["reminders"]] == ["2030-03-02T08:00:00Z"]
        done = ok(await mcp.call_tool("complete_task", {"task_id": task["id"]}))
        assert [r["status"] for r in done["task"]["reminders"]] == ["cancelled"]
        cleared = ok(await mcp.call_tool("update_task", {"task_id": task["id"], "reminders": []}))
        assert cleared["task"]["reminders"] == []


@pytest.mark.parametrize(
    ("reminders", "expected"),
    [
        ([{"before": "30m"}], "reminders[0].before: the task has no due date"),
        ([{"at": "whenever you like"}], "reminders[0].at: I can't read 'whenever you like'"),
        ([{"before": "soon"}], "reminders[0]: before: can't read 'soon'"),
        ([{}], "reminders[0]: give either 'at'"),
    ],
)
async def test_bad_reminders_are_tool_errors_and_add_nothing(
    client: httpx.AsyncClient, connect: Connect, reminders: list[dict[str, str]], expected: str
) -> None:
    alice = await signup(client)
    async with connect(alice, "UTC") as mcp:
        message = error(
            await mcp.call_tool("add_task", {"title": "Something", "reminders": reminders})
        )
    assert expected in message
    assert await rest_tasks(client, alice) == []  # the task was not added without its reminders
