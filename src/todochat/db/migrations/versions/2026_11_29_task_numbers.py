"""Task numbers per user: task.number (unique per user) and app_user.last_task_number.

Existing tasks are numbered 1, 2, 3... per user in the order they were created, and each
user's counter starts after their last task. What was stored naming tasks by their old global
id is renamed to the numbers, so the assistant's "it" and "the first one" still mean the task
the user saw: chat history (tool calls, "#id" in replies), the tool-call ledger and replayed
responses. A reference to a task deleted before the upgrade names no task any more (null in
JSON). Downgrade renames the other way.

Revision ID: 9a3f6c2e8b17
Revises: c97a108fe5f0
Create Date: 2026-11-29 21:00:00
"""

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "9a3f6c2e8b17"
down_revision: str | None = "c97a108fe5f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column("last_task_number", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("task", sa.Column("number", sa.BigInteger(), nullable=True))
    op.execute(
        """
        UPDATE task SET number = numbered.number
        FROM (
            SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id) AS number FROM task
        ) AS numbered
        WHERE task.id = numbered.id
        """
    )
    op.execute(
        """
        UPDATE app_user SET last_task_number = counted.last
        FROM (SELECT user_id, max(number) AS last FROM task GROUP BY user_id) AS counted
        WHERE app_user.id = counted.user_id
        """
    )
    op.alter_column("task", "number", nullable=False)
    op.create_unique_constraint(op.f("uq_task_user_id_number"), "task", ["user_id", "number"])
    _rename_references(to_numbers=True)


def downgrade() -> None:
    _rename_references(to_numbers=False)
    op.drop_constraint(op.f("uq_task_user_id_number"), "task", type_="unique")
    op.drop_column("task", "number")
    op.drop_column("app_user", "last_task_number")


Rename = Callable[[Any], Any]
_SHOWN_ID = re.compile(r"#(\d+)\b")


def _rename_references(*, to_numbers: bool) -> None:
    """Rewrite stored task references from global ids to per-user numbers (or back)."""
    bind = op.get_bind()
    renames: dict[Any, dict[int, int]] = {}
    for user_id, key, number in bind.execute(sa.text("SELECT user_id, id, number FROM task")):
        old, new = (key, number) if to_numbers else (number, key)
        renames.setdefault(user_id, {})[old] = new

    def rename_for(user_id: Any) -> Rename:
        known = renames.get(user_id, {})
        return lambda value: known.get(value) if isinstance(value, int) else value

    messages = bind.execute(
        sa.text(
            "SELECT id, user_id, content, tool_calls FROM message"
            " WHERE role = 'assistant' AND (tool_calls <> '[]'::jsonb OR content LIKE '%#%')"
        )
    )
    for message_id, user_id, content, stored_calls in messages.all():
        rename = rename_for(user_id)
        tool_calls = _json(stored_calls)
        new_content = _renamed_text(content, rename)
        new_calls = [_call(call, rename) for call in tool_calls]
        if new_content != content or new_calls != tool_calls:
            bind.execute(
                sa.text(
                    "UPDATE message SET content = :content, tool_calls = CAST(:calls AS jsonb)"
                    " WHERE id = :id"
                ),
                {"content": new_content, "calls": json.dumps(new_calls), "id": message_id},
            )
    ledger = bind.execute(
        sa.text("SELECT user_id, turn_key, call_hash, result FROM tool_call_record")
    )
    for user_id, turn_key, digest, stored in ledger.all():
        result = _json(stored)
        renamed = _result(result, rename_for(user_id))
        if renamed != result:
            bind.execute(
                sa.text(
                    "UPDATE tool_call_record SET result = CAST(:result AS jsonb) WHERE"
                    " user_id = :user_id AND turn_key = :turn_key AND call_hash = :digest"
                ),
                {
                    "result": json.dumps(renamed),
                    "user_id": user_id,
                    "turn_key": turn_key,
                    "digest": digest,
                },
            )
    replays = bind.execute(
        sa.text("SELECT user_id, key, response FROM idempotency_record WHERE response IS NOT NULL")
    )
    for user_id, key, stored in replays.all():
        response = _json(stored)
        renamed = _response(response, rename_for(user_id))
        if renamed != response:
            bind.execute(
                sa.text(
                    "UPDATE idempotency_record SET response = CAST(:response AS jsonb)"
                    " WHERE user_id = :user_id AND key = :key"
                ),
                {"response": json.dumps(renamed), "user_id": user_id, "key": key},
            )


def _json(value: Any) -> Any:
    """A jsonb value as data (a raw SELECT may hand it over as text)."""
    return json.loads(value) if isinstance(value, str) else value


def _renamed_text(content: str, rename: Rename) -> str:
    """A reply's "#id"s: renamed where they name a task, else left as written."""

    def shown(match: re.Match[str]) -> str:
        renamed = rename(int(match[1]))
        return match[0] if renamed is None else f"#{renamed}"

    return _SHOWN_ID.sub(shown, content)


def _task(task: Any, rename: Rename) -> Any:
    if isinstance(task, dict) and "id" in task:
        return {**task, "id": rename(task["id"])}
    return task


def _result(result: Any, rename: Rename) -> Any:
    """A tool result: task_id, the task, a list of tasks, completions."""
    if not isinstance(result, dict):
        return result
    renamed = dict(result)
    if "task_id" in renamed:
        renamed["task_id"] = rename(renamed["task_id"])
    if "task" in renamed:
        renamed["task"] = _task(renamed["task"], rename)
    if isinstance(renamed.get("tasks"), list):
        renamed["tasks"] = [_task(task, rename) for task in renamed["tasks"]]
    if isinstance(renamed.get("completions"), list):
        renamed["completions"] = [
            {**done, "task_id": rename(done.get("task_id"))} if isinstance(done, dict) else done
            for done in renamed["completions"]
        ]
    return renamed


def _call(call: Any, rename: Rename) -> Any:
    """A stored tool call: its arguments' task_id and its result."""
    if not isinstance(call, dict):
        return call
    renamed = dict(call)
    arguments = renamed.get("arguments")
    if isinstance(arguments, dict) and "task_id" in arguments:
        renamed["arguments"] = {**arguments, "task_id": rename(arguments["task_id"])}
    renamed["result"] = _result(renamed.get("result"), rename)
    return renamed


def _response(response: Any, rename: Rename) -> Any:
    """A replayed response: a chat turn (its tool calls) or a task (POST /tasks)."""
    if not isinstance(response, dict):
        return response
    if isinstance(response.get("tool_calls"), list):
        return {**response, "tool_calls": [_call(call, rename) for call in response["tool_calls"]]}
    if {"id", "title", "completed"} <= response.keys():
        return _task(response, rename)
    return response
