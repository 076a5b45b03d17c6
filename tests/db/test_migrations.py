"""Alembic: upgrade from empty and downgrade to base both work."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from todochat.db.migrate import downgrade, upgrade


async def _tables(url: str) -> set[str]:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database,
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await conn.close()


async def test_upgrade_from_empty_then_downgrade_to_base(empty_database_url: str) -> None:
    assert await _tables(empty_database_url) == set()
    upgrade(empty_database_url)
    assert {
        "app_user",
        "task",
        "conversation",
        "message",
        "app_setting",
        "alembic_version",
    } <= await _tables(empty_database_url)
    upgrade(empty_database_url)  # idempotent
    downgrade(empty_database_url, "base")
    assert await _tables(empty_database_url) == {"alembic_version"}
    upgrade(empty_database_url)
    assert "task" in await _tables(empty_database_url)


async def test_concurrent_upgrades_migrate_once(empty_database_url: str) -> None:
    """Several instances starting at once: the advisory lock lets one migrate, the others wait.

    Real processes: Alembic keeps its context in module globals, so threads would not do.
    """
    import asyncio
    import os
    import sys
    from pathlib import Path

    todochat = str(Path(sys.executable).parent / "todochat")
    env = {**os.environ, "DATABASE_URL": empty_database_url}
    processes = [
        await asyncio.create_subprocess_exec(
            todochat,
            "db",
            "upgrade",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    assert [process.returncode for process in processes] == [0, 0, 0, 0], outputs
    assert "task" in await _tables(empty_database_url)


# The task-numbers migration and the one before it.
BEFORE_NUMBERS, NUMBERS = "c97a108fe5f0", "9a3f6c2e8b17"


async def _connect(url: str) -> asyncpg.Connection:
    parsed = make_url(url)
    return await asyncpg.connect(
        user=parsed.username,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database,
    )


def _tool_calls(task_ids: dict[str, Any]) -> list[dict[str, Any]]:
    """A turn's stored tool calls naming tasks by id (as the offline model reads them back)."""
    a1, a2, gone = task_ids["A1"], task_ids["A2"], task_ids["A-gone"]
    return [
        {
            "name": "list_tasks",
            "arguments": {},
            "result": {"tasks": [{"id": a1, "title": "A1"}, {"id": a2, "title": "A2"}], "total": 2},
        },
        {
            "name": "complete_task",
            "arguments": {"task_id": a2},
            "result": {"task_id": a2, "status": "completed", "task": {"id": a2, "title": "A2"}},
        },
        {"name": "delete_task", "arguments": {"task_id": gone}, "result": {"task_id": gone}},
        {"name": "complete_task", "arguments": {"task_id": 999999}, "result": {"error": "x"}},
    ]


def _expected_references(task_ids: dict[str, Any]) -> dict[str, Any]:
    calls = _tool_calls(task_ids)
    # A number that names no task of the user (here 999999) becomes null too.
    calls[3] = {**calls[3], "arguments": {"task_id": None}}
    return {
        "content": f"- #{task_ids['A1']} A1\n- #{task_ids['A2']} A2 (#7 in my heart)",
        "tool_calls": calls,
        "ledger": {"task_id": task_ids["A2"], "task": {"id": task_ids["A2"], "title": "A2"}},
        "replay": {"id": task_ids["A1"], "title": "A1", "completed": False},
    }


async def _store_references(conn: asyncpg.Connection, user: Any, ids: dict[str, int]) -> None:
    """A conversation, a ledger entry and a replayable response naming A's tasks by global id."""
    conversation = await conn.fetchval(
        "INSERT INTO conversation (user_id) VALUES ($1) RETURNING id", user
    )
    await conn.execute(
        "INSERT INTO message (conversation_id, user_id, seq, role, content, tool_calls)"
        " VALUES ($1, $2, 1, 'assistant', $3, $4::jsonb)",
        conversation,
        user,
        f"- #{ids['A1']} A1\n- #{ids['A2']} A2 (#7 in my heart)",
        json.dumps(_tool_calls(ids)),
    )
    await conn.execute(
        "INSERT INTO tool_call_record (user_id, turn_key, call_hash, result)"
        " VALUES ($1, 'turn', 'hash', $2::jsonb)",
        user,
        json.dumps({"task_id": ids["A2"], "task": {"id": ids["A2"], "title": "A2"}}),
    )
    await conn.execute(
        "INSERT INTO idempotency_record (user_id, key, request_hash, status_code, response,"
        " locked_until) VALUES ($1, 'key', 'hash', 201, $2::jsonb, now())",
        user,
        json.dumps({"id": ids["A1"], "title": "A1", "completed": False}),
    )


async def _references(url: str) -> dict[str, Any]:
    conn = await _connect(url)
    try:
        message = await conn.fetchrow("SELECT content, tool_calls FROM message")
        return {
            "content": message["content"],
            "tool_calls": json.loads(message["tool_calls"]),
            "ledger": json.loads(await conn.fetchval("SELECT result FROM tool_call_record")),
            "replay": json.loads(await conn.fetchval("SELECT response FROM idempotency_record")),
        }
    finally:
        await conn.close()


async def _numbers(url: str) -> dict[str, list[tuple[str, int]]]:
    """Each user's (title, number) in creation order, and their counters."""
    conn = await _connect(url)
    try:
        rows = await conn.fetch(
            "SELECT u.email, t.title, t.number FROM task t JOIN app_user u ON u.id = t.user_id"
            " ORDER BY t.id"
        )
        counters = await conn.fetch("SELECT email, last_task_number FROM app_user ORDER BY email")
    finally:
        await conn.close()
    numbered: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        numbered.setdefault(row["email"], []).append((row["title"], row["number"]))
    numbered["counters"] = [(row["email"], row["last_task_number"]) for row in counters]
    return numbered


async def test_task_numbers_migration_numbers_existing_tasks_per_user(
    empty_database_url: str,
) -> None:
    """Tasks made before numbers existed get 1, 2, 3... per user in creation order; the counters
    continue after them; reminders and completion history keep their task; downgrade and
    upgrade again give the same numbers."""
    url = empty_database_url
    upgrade(url, BEFORE_NUMBERS)
    conn = await _connect(url)
    try:
        users = {}
        for email in ("a@example.com", "b@example.com", "c@example.com"):
            users[email] = await conn.fetchval(
                "INSERT INTO app_user (email, email_canonical, password_hash)"
                " VALUES ($1::text, $1::text, 'x') RETURNING id",
                email,
            )
        a, b = users["a@example.com"], users["b@example.com"]
        ids = {}
        # Interleaved, as global ids were handed out; one of A's is deleted before the upgrade.
        for owner, title in [(a, "A1"), (b, "B1"), (a, "A-gone"), (a, "A2"), (b, "B2"), (a, "A3")]:
            ids[title] = await conn.fetchval(
                "INSERT INTO task (user_id, title) VALUES ($1, $2) RETURNING id", owner, title
            )
        await conn.execute("DELETE FROM task WHERE id = $1", ids["A-gone"])
        await conn.execute(
            "INSERT INTO reminder (user_id, task_id, at, delivery_id)"
            " VALUES ($1, $2, now() + interval '1 day', gen_random_uuid())",
            a,
            ids["A2"],
        )
        await conn.execute(
            "INSERT INTO task_completion (user_id, task_id, title, completed_at)"
            " VALUES ($1, $2, 'B2', now())",
            b,
            ids["B2"],
        )
        await _store_references(conn, a, ids)
    finally:
        await conn.close()

    upgrade(url, NUMBERS)
    assert await _references(url) == _expected_references({"A1": 1, "A2": 2, "A-gone": None})
    expected = {
        "a@example.com": [("A1", 1), ("A2", 2), ("A3", 3)],
        "b@example.com": [("B1", 1), ("B2", 2)],
        "counters": [("a@example.com", 3), ("b@example.com", 2), ("c@example.com", 0)],
    }
    assert await _numbers(url) == expected

    conn = await _connect(url)
    try:
        # Still attached to the same tasks, now known by their numbers.
        assert (
            await conn.fetchval("SELECT t.number FROM reminder r JOIN task t ON t.id = r.task_id")
            == 2
        )
        assert (
            await conn.fetchval(
                "SELECT t.title FROM task_completion c JOIN task t ON t.id = c.task_id"
            )
            == "B2"
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("INSERT INTO task (user_id, number, title) VALUES ($1, 1, 'dup')", a)
        with pytest.raises(asyncpg.NotNullViolationError):
            await conn.execute("INSERT INTO task (user_id, title) VALUES ($1, 'no number')", a)
    finally:
        await conn.close()

    downgrade(url, BEFORE_NUMBERS)
    conn = await _connect(url)
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE (table_name, column_name) IN (('task', 'number'),"
            " ('app_user', 'last_task_number'))"
        )
        assert columns == []
        assert await conn.fetchval("SELECT count(*) FROM task") == 5
    finally:
        await conn.close()
    # Back to the global ids; the deleted task's references stay unnamed.
    assert await _references(url) == _expected_references(
        {"A1": ids["A1"], "A2": ids["A2"], "A-gone": None}
    )
    upgrade(url)
    assert await _numbers(url) == expected
