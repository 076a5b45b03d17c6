"""The history window: only the recent, budgeted part of a long conversation reaches the model.

Unit tests of `window()` / `to_input_items()`, then a conversation of thousands of messages
(inserted with one SQL statement) driven through a real turn, and the query plan that makes the
load cost independent of the conversation's length.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from agents.testing import ScriptedModel, assistant_message
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.chat.conftest import MakeApp
from tests.factories import Account
from todochat.chat.history import estimated_tokens, to_input_items, window
from todochat.chat.models import Message
from todochat.chat.repository import ConversationRepository
from todochat.db.uow import unit_of_work

LONG = 5000


def message(
    seq: int,
    role: str,
    content: str = "",
    tool_calls: list[dict[str, Any]] | None = None,
    error: str | None = None,
) -> Message:
    """A transient message, as loaded from the database."""
    return Message(
        id=seq,
        seq=seq,
        role=role,
        content=content or f"{role} {seq}",
        tool_calls=tool_calls or [],
        error=error,
    )


def added(task_id: int, title: str) -> dict[str, Any]:
    """A stored add_task call with its result."""
    return {
        "name": "add_task",
        "arguments": {"title": title},
        "result": {"task_id": task_id, "status": "created", "title": title},
    }


def seqs(messages: list[Message]) -> list[int]:
    """The seq of each message."""
    return [m.seq for m in messages]


def test_window_of_nothing_is_empty() -> None:
    assert window([], 1000) == []


def test_window_keeps_everything_that_fits() -> None:
    messages = [message(1, "user"), message(2, "assistant"), message(3, "user")]
    assert window(messages, 1000) == messages


def test_window_keeps_the_newest_messages_within_the_token_budget() -> None:
    messages = [message(seq, "user" if seq % 2 else "assistant", "x" * 40) for seq in range(1, 8)]
    cost = estimated_tokens(messages[0])
    assert cost == 14  # 40 chars / 4 + 4 of overhead
    # Room for exactly three messages: seq 5, 6, 7 (5 is a user message, so nothing is trimmed).
    assert seqs(window(messages, 3 * cost)) == [5, 6, 7]
    # Room for four: 4..7, but 4 is an assistant reply without its question, so it goes.
    assert seqs(window(messages, 4 * cost)) == [5, 6, 7]
    assert seqs(window(messages, 5 * cost)) == [3, 4, 5, 6, 7]
    assert seqs(window(messages, 5 * cost - 1)) == [5, 6, 7]


def test_window_always_keeps_the_newest_message_even_if_it_alone_is_too_big() -> None:
    messages = [message(1, "user"), message(2, "assistant"), message(3, "user", "x" * 10_000)]
    assert seqs(window(messages, 10)) == [3]


def test_window_starts_at_a_user_message() -> None:
    messages = [message(1, "assistant"), message(2, "assistant"), message(3, "user")]
    assert seqs(window(messages, 1000)) == [3]
    assert seqs(window([message(1, "assistant"), message(2, "user")], 1000)) == [2]


def test_window_counts_tool_calls_and_keeps_them_with_their_message() -> None:
    calls = [added(task_id, f"Task number {task_id}") for task_id in range(10)]
    messages = [message(1, "user"), message(2, "assistant", tool_calls=calls), message(3, "user")]
    big = estimated_tokens(messages[1])
    assert big > len(json.dumps(calls, separators=(",", ":"))) // 4
    assert seqs(window(messages, 1000)) == [1, 2, 3]
    # Too small for the reply with its calls: the reply is dropped whole, never half.
    assert seqs(window(messages, big)) == [3]


def test_window_leaves_out_failed_replies() -> None:
    messages = [
        message(1, "user"),
        message(2, "assistant", "", error="The model provider failed."),
        message(3, "user"),
    ]
    assert seqs(window(messages, 1000)) == [1, 3]


def test_input_items_pair_every_call_with_its_output() -> None:
    calls = [
        added(7, "Buy milk"),
        {
            "name": "complete_task",
            "arguments": {"task_id": 99},
            "result": {"error": "Task 99 not found."},
        },
    ]
    items = to_input_items(
        [
            message(1, "user", "add milk"),
            message(2, "assistant", "Added.", calls),
            message(3, "user", "thanks"),
        ]
    )
    assert items == [
        {"role": "user", "content": "add milk"},
        {
            "type": "function_call",
            "call_id": "call_2_0",
            "name": "add_task",
            "arguments": json.dumps({"title": "Buy milk"}),
        },
        {
            "type": "function_call_output",
            "call_id": "call_2_0",
            "output": json.dumps(calls[0]["result"], separators=(",", ":")),
        },
        {
            "type": "function_call",
            "call_id": "call_2_1",
            "name": "complete_task",
            "arguments": json.dumps({"task_id": 99}),
        },
        # An error result goes back as the text the model saw the first time.
        {"type": "function_call_output", "call_id": "call_2_1", "output": "Task 99 not found."},
        {"role": "assistant", "content": "Added."},
        {"role": "user", "content": "thanks"},
    ]


def assert_calls_paired(items: list[Any]) -> None:
    """Every function_call is followed directly by its output, and no output is orphaned."""
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("type") == "function_call":
            following = items[index + 1]
            assert following["type"] == "function_call_output"
            assert following["call_id"] == item["call_id"]
        if isinstance(item, dict) and item.get("type") == "function_call_output":
            assert items[index - 1]["call_id"] == item["call_id"]


async def long_conversation(
    sessionmaker: async_sessionmaker[AsyncSession], account: Account, length: int = LONG
) -> int:
    """A conversation of `length` messages inserted in one statement.

    Odd seqs are user messages, even ones assistant replies; every fourth message is a reply
    that called add_task.
    """
    tool_calls = json.dumps([added(1, "Water the plants")])
    async with unit_of_work(sessionmaker) as session:
        conversation_id = await session.scalar(
            text(
                "INSERT INTO conversation (user_id, title, last_seq) "
                "VALUES (:user_id, 'A long one', :length) RETURNING id"
            ),
            {"user_id": uuid.UUID(account.id), "length": length},
        )
        await session.execute(
            text(
                "INSERT INTO message (conversation_id, user_id, seq, role, content, tool_calls) "
                "SELECT :conversation_id, :user_id, seq, "
                "CASE WHEN seq % 2 = 1 THEN 'user' ELSE 'assistant' END, "
                "'message ' || seq, "
                "CASE WHEN seq % 4 = 0 THEN CAST(:tool_calls AS jsonb) ELSE '[]'::jsonb END "
                "FROM generate_series(1, :length) AS seq"
            ),
            {
                "conversation_id": conversation_id,
                "user_id": uuid.UUID(account.id),
                "tool_calls": tool_calls,
                "length": length,
            },
        )
    assert conversation_id is not None
    return int(conversation_id)


async def test_a_long_conversation_sends_only_its_window(
    make_app: MakeApp, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    model = ScriptedModel([[assistant_message("Still here.")]])
    async with make_app(model, history_max_messages=40, history_max_tokens=8000) as chat:
        account = await chat.signup()
        conversation_id = await long_conversation(sessionmaker, account)
        body = await chat.say(account, "what was I doing?", conversation_id)
        stored = await chat.client.get(account.url("/conversations"), headers=account.headers)
    assert body["response"] == "Still here."
    [call] = model.calls
    items = call.input
    assert isinstance(items, list)
    texts = [item["content"] for item in items if "role" in item]
    # 40 newest rows = 39 old ones (seq 4962..5000) and the new message; 4962 is a reply whose
    # question fell outside, so the window starts at 4963.
    assert texts == [f"message {seq}" for seq in range(4963, LONG + 1)] + ["what was I doing?"]
    assert items[0]["role"] == "user"
    assert_calls_paired(items)
    assert sum(1 for item in items if item.get("type") == "function_call") == len(
        range(4964, LONG + 1, 4)
    )
    assert stored.json()["items"][0]["id"] == conversation_id


async def test_a_long_conversation_within_a_small_token_budget(
    make_app: MakeApp, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    model = ScriptedModel([[assistant_message("ok")]])
    budget = 300
    async with make_app(model, history_max_messages=40, history_max_tokens=budget) as chat:
        account = await chat.signup()
        conversation_id = await long_conversation(sessionmaker, account)
        await chat.say(account, "hello again", conversation_id)
    items = model.calls[0].input
    assert isinstance(items, list)
    assert_calls_paired(items)
    # What the rows look like (see long_conversation), windowed by the rules unit-tested above.
    rows = [
        message(
            seq,
            "user" if seq % 2 else "assistant",
            f"message {seq}",
            [added(1, "Water the plants")] if seq % 4 == 0 else None,
        )
        for seq in range(LONG - 38, LONG + 1)
    ] + [message(LONG + 1, "user", "hello again")]
    expected = window(rows, budget)
    assert 2 < len(expected) < 20  # the budget, not the message count, is what cut it
    assert sum(estimated_tokens(m) for m in expected) <= budget
    assert [item["content"] for item in items if "role" in item] == [m.content for m in expected]
    assert items[0]["role"] == "user"


@contextmanager
def captured_sql(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Record the SQL statements (and parameters) sent through the engine."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.mark.parametrize("length", [10, LONG])
async def test_loading_the_window_reads_only_the_window_from_the_index(
    make_app: MakeApp,
    sessionmaker: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    length: int,
) -> None:
    async with make_app() as chat:
        account = await chat.signup()
    conversation_id = await long_conversation(sessionmaker, account, length)
    async with sessionmaker() as session:
        await session.execute(text("ANALYZE message"))
        repository = ConversationRepository(session, uuid.UUID(account.id))
        with captured_sql(engine) as statements:
            recent = await repository.recent_messages(conversation_id, 40)
        [(statement, parameters)] = statements
        plan_rows = await session.execute(
            text("EXPLAIN (ANALYZE, FORMAT JSON) " + _inline(statement, parameters))
        )
        plan = plan_rows.scalar_one()[0]["Plan"]
    assert seqs(recent) == list(range(max(1, length - 39), length + 1))
    scan = _find(plan, "Index Scan")
    assert scan["Scan Direction"] == "Backward"
    assert scan["Index Name"] == "uq_message_conversation_seq"
    # Only the window's rows are read, however long the conversation is.
    assert scan["Actual Rows"] == min(length, 40)
    assert scan.get("Rows Removed by Filter", 0) == 0
    assert _find(plan, "Sort", required=False) is None


def _find(plan: dict[str, Any], node_type: str, required: bool = True) -> Any:
    """The first plan node of a type, depth first."""
    if plan["Node Type"] == node_type:
        return plan
    for child in plan.get("Plans", []):
        found = _find(child, node_type, required=False)
        if found is not None:
            return found
    if required:
        pytest.fail(f"no {node_type} in the plan: {json.dumps(plan, indent=1)}")
    return None


def _inline(statement: str, parameters: Any) -> str:
    """The driver-level statement with its positional ($n) parameters written in as literals."""
    for index, value in reversed(list(enumerate(parameters, start=1))):
        literal = f"'{value}'" if isinstance(value, str | uuid.UUID) else str(value)
        statement = statement.replace(f"${index}", literal)
    return statement
