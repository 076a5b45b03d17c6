"""Export: the whole account as JSON, the task list as CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.accounts.models import User
from todochat.archive.schemas import (
    AccountRecord,
    CompletionRecord,
    Export,
    ExportedConversation,
    ExportedMessage,
    ExportedTask,
)
from todochat.chat.models import Conversation, Message
from todochat.todos.models import Task, TaskCompletion
from todochat.todos.schemas import TaskRead

CSV_COLUMNS = (
    "id",
    "title",
    "description",
    "completed",
    "completed_at",
    "priority",
    "tags",
    "due_at",
    "recurrence",
    "created_at",
    "updated_at",
)


async def export_account(session: AsyncSession, user: User, now: datetime) -> Export:
    """Everything `user` holds, in creation order; three queries whatever its size."""
    return Export(
        exported_at=now,
        account=AccountRecord(email=user.email, name=user.name, time_zone=user.time_zone),
        tasks=await _tasks(session, user),
        conversations=await _conversations(session, user),
    )


async def user_tasks(session: AsyncSession, user: User) -> Sequence[Task]:
    """All of the user's tasks, oldest first, with their reminders."""
    statement = (
        select(Task).where(Task.user_id == user.id, Task.deleted_at.is_(None)).order_by(Task.id)
    )
    return (await session.scalars(statement)).all()


async def _tasks(session: AsyncSession, user: User) -> list[ExportedTask]:
    completions: dict[int, list[CompletionRecord]] = defaultdict(list)
    statement = (
        select(TaskCompletion)
        .where(TaskCompletion.user_id == user.id)
        .order_by(TaskCompletion.completed_at, TaskCompletion.id)
    )
    for done in await session.scalars(statement):
        completions[done.task_id].append(CompletionRecord.model_validate(done))
    return [
        ExportedTask(
            **TaskRead.model_validate(task).model_dump(),
            completions=completions.get(task.id, []),
        )
        for task in await user_tasks(session, user)
    ]


async def _conversations(session: AsyncSession, user: User) -> list[ExportedConversation]:
    messages: dict[int, list[ExportedMessage]] = defaultdict(list)
    statement = (
        select(Message)
        .where(Message.user_id == user.id)
        .order_by(Message.conversation_id, Message.seq)
    )
    for message in await session.scalars(statement):
        messages[message.conversation_id].append(
            ExportedMessage(
                role=message.role,
                content=message.content,
                tool_calls=message.tool_calls,
                error=message.error,
                created_at=message.created_at,
            )
        )
    conversations = select(Conversation).where(Conversation.user_id == user.id)
    return [
        ExportedConversation(
            title=conversation.title,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
            messages=messages.get(conversation.id, []),
        )
        for conversation in await session.scalars(conversations.order_by(Conversation.id))
    ]


def tasks_csv(tasks: Sequence[Task]) -> str:
    """The task list as CSV (one row per task, tags comma-separated, dates ISO 8601)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for task in tasks:
        row = TaskRead.model_validate(task)
        writer.writerow(
            (
                row.id,
                _text(row.title),
                _text(row.description),
                "true" if row.completed else "false",
                _iso(row.completed_at),
                row.priority,
                _text(", ".join(row.tags)),
                _iso(row.due_at),
                row.recurrence.rule if row.recurrence else "",
                _iso(row.created_at),
                _iso(row.updated_at),
            )
        )
    return out.getvalue()


def _text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading =, +, -, @ or tab would make it a formula
    (OWASP's CSV injection), so such a cell starts with an apostrophe."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""
