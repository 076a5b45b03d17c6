"""`todochat mcp --user EMAIL` as a subprocess, driven by the SDK's stdio client."""

from __future__ import annotations

import os
import subprocess
from importlib.metadata import version

import httpx
import pytest
from mcp import Client, StdioServerParameters

from tests.factories import add_task, signup
from tests.mcp.conftest import ok, rest_tasks
from tests.servers import TODOCHAT

pytestmark = pytest.mark.slow


async def test_list_add_complete_over_stdio(client: httpx.AsyncClient, database_url: str) -> None:
    alice = await signup(client, time_zone="Europe/Paris")
    existing = await add_task(client, alice, title="Made over REST")
    # Emails are case-insensitive, so the user may type theirs however they like.
    params = StdioServerParameters(
        command=TODOCHAT,
        args=["mcp", "--user", alice.email.upper()],
        env={"DATABASE_URL": database_url},
    )
    # One subprocess for every call: each start costs about two seconds.
    async with Client(params) as mcp:
        assert mcp.server_info is not None
        assert (mcp.server_info.name, mcp.server_info.version) == ("todochat", version("todochat"))
        assert ok(await mcp.call_tool("list_tasks", {})) == {"tasks": [existing], "total": 1}
        added = ok(
            await mcp.call_tool("add_task", {"title": "Made over stdio", "due": "2030-03-01T08:00"})
        )
        assert added["task"]["due_at"] == "2030-03-01T07:00:00Z"  # the user's zone: Paris
        completed = ok(await mcp.call_tool("complete_task", {"task_id": existing["id"]}))
        assert completed["status"] == "completed"
        pending = ok(await mcp.call_tool("list_tasks", {"status": "pending"}))
        assert pending == {"tasks": [added["task"]], "total": 1}
    assert await rest_tasks(client, alice) == [completed["task"], added["task"]]


def test_unknown_email_exits_with_a_message(database_url: str) -> None:
    email = "nobody-at-all@example.com"
    finished = subprocess.run(
        [TODOCHAT, "mcp", "--user", email],
        env={**os.environ, "DATABASE_URL": database_url},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert f"No account with email {email!r}" in finished.stderr
    # stdout is the protocol channel: nothing human may leak onto it.
    assert finished.stdout == ""
