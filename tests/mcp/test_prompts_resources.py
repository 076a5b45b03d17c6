"""The MCP prompts ("plan my day", "weekly review") and the task list as a resource, through
the SDK's client in memory, bound to a user as the agent is."""

from __future__ import annotations

import json

import httpx
import pytest
from mcp import MCPError
from mcp.types import TextContent, TextResourceContents

from tests.factories import add_task, signup
from tests.mcp.conftest import Connect, rest_tasks
from todochat.mcp.server import TASKS_URI_TEMPLATE


async def test_the_open_tasks_resource_is_the_users_pending_list(
    client: httpx.AsyncClient, connect: Connect
) -> None:
    alice = await signup(client)
    bob = await signup(client)
    later = await add_task(client, alice, title="Later", due_at="2031-01-02T09:00:00Z")
    sooner = await add_task(client, alice, title="Sooner", due_at="2031-01-01T09:00:00Z")
    done = await add_task(client, alice, title="Done already")
    toggled = await client.patch(alice.url(f"/tasks/{done['id']}/complete"), headers=alice.headers)
    assert toggled.status_code == 200
    await add_task(client, bob, title="Bob's")

    async with connect(alice) as mcp:
        listed = await mcp.list_resource_templates()
        assert [(r.uri_template, r.name, r.mime_type) for r in listed.resource_templates] == [
            (TASKS_URI_TEMPLATE, "tasks", "application/json")
        ]
        read = await mcp.read_resource("todochat://tasks/pending")
        completed = await mcp.read_resource("todochat://tasks/completed")
        with pytest.raises(MCPError, match="Unknown task list 'someday'"):
            await mcp.read_resource("todochat://tasks/someday")
    [finished] = completed.contents
    assert isinstance(finished, TextResourceContents)
    assert [task["title"] for task in json.loads(finished.text)["tasks"]] == ["Done already"]
    [contents] = read.contents
    assert isinstance(contents, TextResourceContents)
    body = json.loads(contents.text)
    titles = [task["title"] for task in body["tasks"]]
    assert (titles, body["total"]) == (["Sooner", "Later"], 2)
    by_id = {task["id"]: task for task in await rest_tasks(client, alice)}
    assert body["tasks"] == [by_id[sooner["id"]], by_id[later["id"]]]


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        ("plan_my_day", ["due=overdue", "due=today", "ask before changing"]),
        ("weekly_review", ["status=completed", "due=week", "ask before changing"]),
    ],
)
async def test_prompts_guide_the_model_to_the_tools(
    client: httpx.AsyncClient, connect: Connect, name: str, mentions: list[str]
) -> None:
    alice = await signup(client)
    async with connect(alice) as mcp:
        prompts = {prompt.name: prompt for prompt in (await mcp.list_prompts()).prompts}
        assert set(prompts) == {"plan_my_day", "weekly_review"}
        assert prompts[name].description
        result = await mcp.get_prompt(name)
    [message] = result.messages
    assert message.role == "user"
    assert isinstance(message.content, TextContent)
    for words in mentions:
        assert words in message.content.text.lower(), words
