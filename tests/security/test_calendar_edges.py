"""Due dates at the edges of the calendar: refused at the door, harmless when already stored, and
a keyed retry of a failed turn leaves one reply, not two."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from agents.testing import ScriptedModel, function_call
from mcp import Client
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.chat.conftest import ChatApp, MakeApp
from tests.factories import Account, add_task
from tests.mcp.conftest import error, ok
from todochat.db.migrate import upgrade
from todochat.db.uow import unit_of_work
from todochat.mcp.server import Principal, bound_principal, build_mcp, identify_bound

OUT_OF_RANGE = "Due dates must fall between the years 1900 and 2200."


@pytest.fixture(scope="module")
async def chat(make_app: MakeApp) -> AsyncIterator[ChatApp]:
    """An app on the real offline model."""
    async with make_app() as chat_app:
        yield chat_app


async def _store_due(
    sessionmaker: async_sessionmaker[AsyncSession], account: Account, task_id: int, due: str
) -> None:
    """Write a due date as a row from before the range check could hold it."""
    async with unit_of_work(sessionmaker) as session:
        await session.execute(
            text("UPDATE task SET due_at = :due WHERE user_id = :u AND number = :i"),
            {"due": datetime.fromisoformat(due), "u": uuid.UUID(account.id), "i": task_id},
        )


@pytest.mark.parametrize(
    "due_at",
    ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00", "1899-12-31T23:59:59+00:00", "2201-01-01"],
)
async def test_rest_refuses_due_dates_outside_the_range(chat: ChatApp, due_at: str) -> None:
    account = await chat.signup(time_zone="Asia/Tokyo")
    created = await chat.client.post(
        account.url("/tasks"), json={"title": "z", "due_at": due_at}, headers=account.headers
    )
    assert (created.status_code, created.json()) == (
        422,
        {"error": "validation_error", "detail": f"due_at: {OUT_OF_RANGE}"},
    )
    task = await add_task(chat.client, account, title="z", due_at="2200-12-31T12:00:00Z")
    updated = await chat.client.put(
        account.url(f"/tasks/{task['id']}"), json={"due_at": due_at}, headers=account.headers
    )
    assert (updated.status_code, updated.json()["detail"]) == (422, f"due_at: {OUT_OF_RANGE}")
    assert [t["due_at"] for t in await chat.tasks(account)] == ["2200-12-31T12:00:00Z"]


async def test_mcp_refuses_due_dates_outside_the_range(
    chat: ChatApp, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await chat.signup(time_zone="Pacific/Honolulu")
    server = build_mcp(sessionmaker, identify_bound)
    async with (
        bound_principal(Principal(uuid.UUID(account.id), "Pacific/Honolulu")),
        Client(server) as mcp,
    ):
        for due in ("9999-12-31", "0001-01-01T00:00", "in 300 years"):
            refused = error(await mcp.call_tool("add_task", {"title": "z", "due": due}))
            assert refused.endswith(f"due: {OUT_OF_RANGE}"), (due, refused)
        for due in ("in 100000 years", "in 9000000 days"):  # past the calendar: a tool error too
            assert error(await mcp.call_tool("add_task", {"title": "z", "due": due}))
        task = ok(await mcp.call_tool("add_task", {"title": "z", "due": "2200-06-01"}))
        moved = error(
            await mcp.call_tool("update_task", {"task_id": task["task_id"], "due": "0001-01-01"})
        )
        assert moved.endswith(f"due: {OUT_OF_RANGE}")
    assert [t["title"] for t in await chat.tasks(account)] == ["z"]


@pytest.mark.parametrize(
    ("time_zone", "stored"),
    [
        ("Asia/Tokyo", "9999-12-31T23:00:00+00:00"),
        ("Pacific/Kiritimati", "9999-12-31T12:00:00+00:00"),
        ("Pacific/Honolulu", "0001-01-01T00:00:00+00:00"),
    ],
)
async def test_stored_edge_dates_do_not_break_listing(
    chat: ChatApp, sessionmaker: async_sessionmaker[AsyncSession], time_zone: str, stored: str
) -> None:
    account = await chat.signup(time_zone=time_zone)
    task = await add_task(chat.client, account, title="z")
    await _store_due(sessionmaker, account, task["id"], stored)
    for _ in range(2):  # it failed every time
        reply = await chat.say(account, "list my tasks")
        assert "z" in reply["response"]
        assert [call["name"] for call in reply["tool_calls"]] == ["list_tasks"]


async def test_postponing_a_task_at_the_calendars_end_is_refused_not_a_crash(
    chat: ChatApp, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    account = await chat.signup(time_zone="Asia/Tokyo")
    task = await add_task(chat.client, account, title="z")
    await _store_due(sessionmaker, account, task["id"], "9999-12-31T10:00:00+00:00")
    reply = await chat.say(account, "postpone z by 1 day")
    (call,) = [c for c in reply["tool_calls"] if c["name"] == "update_task"]
    assert OUT_OF_RANGE in str(call["result"])
    assert [t["due_at"] for t in await chat.tasks(account)] == ["9999-12-31T10:00:00Z"]
    # And a date well inside the range moves as asked.
    await _store_due(sessionmaker, account, task["id"], "2200-12-30T10:00:00+00:00")
    moved = await chat.say(account, "postpone z by 1 day")
    assert moved["tool_calls"][-1]["name"] == "update_task"
    assert [t["due_at"] for t in await chat.tasks(account)] == ["2200-12-31T10:00:00Z"]


async def test_a_keyed_retry_of_a_failed_turn_keeps_one_reply(make_app: MakeApp) -> None:
    """Every attempt of a keyed turn that fails overwrites the same failure; the attempt that
    succeeds (on another instance) replaces it with the reply."""
    body = {"message": "add a task to buy milk"}
    # Each attempt asks for a tool and then needs a second step it is not allowed: it fails.
    looping = ScriptedModel([[function_call("list_tasks", {}, call_id=f"c{i}")] for i in range(3)])
    async with make_app(looping, agent_max_turns=1) as failing:
        account = await failing.signup()
        headers = {**account.headers, "Idempotency-Key": "k-1"}
        for _ in range(3):
            response = await failing.client.post(account.url("/chat"), json=body, headers=headers)
            assert response.status_code == 503, response.text
        conversation_id = response.json()["conversation_id"]
        messages = (await failing.conversation(account, conversation_id))["messages"]
        assert [(m["seq"], m["role"], bool(m["error"])) for m in _shape(messages)] == [
            (1, "user", False),
            (2, "assistant", True),
        ]
    looping.assert_complete()
    async with make_app() as working:  # the offline model
        answered = await working.client.post(account.url("/chat"), json=body, headers=headers)
        assert answered.status_code == 200, answered.text
        messages = (await working.conversation(account, conversation_id))["messages"]
        assert [(m["seq"], m["role"], bool(m["error"])) for m in _shape(messages)] == [
            (1, "user", False),
            (2, "assistant", False),
        ]
        assert messages[1]["content"] == answered.json()["response"]
        assert [t["title"] for t in await working.tasks(account)] == ["Buy milk"]
        replayed = await working.client.post(account.url("/chat"), json=body, headers=headers)
        assert replayed.json() == answered.json()


def _shape(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(messages, key=lambda message: message["seq"])


async def test_the_migration_clamps_stored_due_dates(empty_database_url: str) -> None:
    upgrade(empty_database_url, "8d41c7a0e2f3")  # the revision before the clamp
    parsed = make_url(empty_database_url)
    conn = await asyncpg.connect(
        user=parsed.username, host=parsed.host, port=parsed.port, database=parsed.database
    )
    try:
        user = await conn.fetchval(
            "INSERT INTO app_user (email, email_canonical, password_hash) "
            "VALUES ('a@example.com', 'a@example.com', 'x') RETURNING id"
        )
        dues = ["9999-12-31 23:00+00", "0001-01-01 00:00+00", "2026-12-24 17:00+00", None]
        for due in dues:
            await conn.execute(
                "INSERT INTO task (user_id, title, due_at) VALUES ($1, 't', $2::text::timestamptz)",
                user,
                due,
            )
    finally:
        await conn.close()

    upgrade(empty_database_url)

    conn = await asyncpg.connect(
        user=parsed.username, host=parsed.host, port=parsed.port, database=parsed.database
    )
    try:
        rows = await conn.fetch("SELECT due_at FROM task ORDER BY id")
    finally:
        await conn.close()
    assert [row["due_at"] for row in rows] == [
        datetime.fromisoformat("2200-12-31T00:00:00+00:00"),
        datetime.fromisoformat("1900-01-02T00:00:00+00:00"),
        datetime.fromisoformat("2026-12-24T17:00:00+00:00"),
        None,
    ]
