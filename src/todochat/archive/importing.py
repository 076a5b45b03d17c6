"""Import: a todochat export, or a Todoist CSV, into the importing account; all or nothing."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.accounts.models import User
from todochat.archive.schemas import (
    MAX_IMPORTED_TASKS,
    Export,
    ExportedConversation,
    ExportedTask,
    ImportResult,
)
from todochat.chat.models import Conversation, Message
from todochat.clock import Clock
from todochat.errors import InvalidInput
from todochat.todos.dates import parse_due
from todochat.todos.models import Task, TaskCompletion
from todochat.todos.recurrence import RuleEnded
from todochat.todos.schemas import (
    PriorityLevel,
    RecurrenceSet,
    ReminderSpec,
    TaskCreate,
    normalize_tags,
)
from todochat.todos.service import TaskService

# Todoist's CSV PRIORITY is 4 for its p1 (most urgent) down to 1 for p4, which is "no priority":
# p1-p3 read as the words do everywhere else (high, medium, low), p4 as the default.
TODOIST_PRIORITIES: dict[str, PriorityLevel] = {
    "4": "high",
    "3": "medium",
    "2": "low",
    "1": "medium",
}
_LABEL_RE = re.compile(r"(?<!\S)@([\w-]+)")
_MAX_DESCRIPTION = 2000


@dataclass
class Importer:
    """Adds imported tasks and conversations to one account, inside the caller's transaction."""

    session: AsyncSession
    user: User
    clock: Clock
    result: ImportResult = field(
        default_factory=lambda: ImportResult(tasks=0, conversations=0, messages=0)
    )

    def __post_init__(self) -> None:
        self.tasks = TaskService(self.session, self.user.id, self.user.time_zone, self.clock)

    async def add_export(self, document: Export) -> ImportResult:
        """Every task (with its completion history) and conversation of an export."""
        for index, task in enumerate(document.tasks):
            await self._add_task(index, task)
        for conversation in document.conversations:
            await self._add_conversation(conversation)
        await self.session.flush()
        return self.result

    async def add_todoist_csv(self, text: str) -> ImportResult:
        """The tasks of a Todoist CSV export (a project's 'Export as CSV')."""
        for row in _todoist_rows(text):
            await self._add_todoist_task(row)
        await self.session.flush()
        return self.result

    async def _add_task(self, index: int, exported: ExportedTask) -> None:
        now = self.clock()
        reminders = [
            ReminderSpec(before=reminder.before)
            if reminder.before is not None
            else ReminderSpec(at=reminder.at.isoformat())
            for reminder in exported.reminders
            if reminder.status == "pending" and reminder.at > now
        ]
        data = TaskCreate(
            title=exported.title,
            description=exported.description,
            priority=exported.priority,
            tags=exported.tags,
            due_at=exported.due_at,
            reminders=reminders,
            recurrence=exported.recurrence,
        )
        task = await self._create(data, f"tasks[{index}] ({exported.title!r})")
        if exported.completed:
            task.completed = True
            task.completed_at = exported.completed_at or now
        if exported.created_at is not None:
            task.created_at = exported.created_at
        if exported.completions:
            await self.session.execute(
                insert(TaskCompletion).values(
                    [
                        {
                            "user_id": self.user.id,
                            "task_id": task.id,
                            "title": task.title,
                            "due_at": done.due_at,
                            "completed_at": done.completed_at,
                        }
                        for done in exported.completions
                    ]
                )
            )

    async def _create(self, data: TaskCreate, where: str) -> Task:
        """Create the task; a repeat rule that has ended is left out, with a warning."""
        try:
            task = await self.tasks.create_task(data)
        except RuleEnded as error:
            self.result.warnings.append(
                f"{where}: imported without repeating ({error.message.rstrip('.')})."
            )
            data.recurrence = None
            task = await self.tasks.create_task(data)
        except InvalidInput as error:
            raise InvalidInput(f"{where}: {error.message}") from error
        self.result.tasks += 1
        return task

    async def _add_conversation(self, exported: ExportedConversation) -> None:
        now = self.clock()
        conversation = Conversation(
            user_id=self.user.id,
            title=exported.title,
            last_seq=len(exported.messages),
            created_at=exported.created_at or now,
            updated_at=exported.updated_at or exported.created_at or now,
        )
        self.session.add(conversation)
        await self.session.flush()
        if exported.messages:
            await self.session.execute(
                insert(Message).values(
                    [
                        {
                            "conversation_id": conversation.id,
                            "user_id": self.user.id,
                            "seq": seq,
                            "role": message.role,
                            "content": message.content,
                            "tool_calls": message.tool_calls,
                            "error": message.error,
                            "created_at": message.created_at or now,
                        }
                        for seq, message in enumerate(exported.messages, start=1)
                    ]
                )
            )
        self.result.conversations += 1
        self.result.messages += len(exported.messages)

    async def _add_todoist_task(self, row: TodoistRow) -> None:
        where = f"line {row.line} ({row.title!r})"
        zone = row.zone or self.user.time_zone
        recurrence: RecurrenceSet | None = None
        due_at: datetime | None = None
        if row.date.lower().startswith("every"):
            recurrence = RecurrenceSet(rule=row.date)
        elif row.date:
            try:
                due_at = parse_due(row.date, zone, self.clock())
            except InvalidInput:
                self.result.warnings.append(
                    f"{where}: imported without a due date (could not read {row.date!r})."
                )
        try:
            data = TaskCreate(
                title=row.title,
                description=row.description,
                priority=row.priority,
                tags=row.tags,
                due_at=due_at,
                recurrence=recurrence,
            )
        except ValidationError as error:
            problem = error.errors()[0]
            raise InvalidInput(f"{where}: {problem['loc'][0]}: {problem['msg']}") from error
        await self._create(data, where)


@dataclass
class TodoistRow:
    """One task line of a Todoist CSV, with the notes under it folded into its description."""

    line: int
    title: str
    description: str
    priority: PriorityLevel
    tags: list[str]
    date: str
    zone: str | None


def _todoist_rows(text: str) -> Iterator[TodoistRow]:
    """The task rows of a Todoist CSV: labels (@name) and the section a task is under become
    tags, notes join their task's description; meta lines and blank lines are skipped."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = {name.strip().upper() for name in reader.fieldnames or ()}
    if not {"TYPE", "CONTENT"} <= columns:
        raise InvalidInput(
            "This is not a Todoist CSV export: the first line must name the columns, "
            "including TYPE and CONTENT."
        )
    section: str | None = None
    pending: TodoistRow | None = None
    count = 0
    for line, raw in enumerate(reader, start=2):
        row = {(key or "").strip().upper(): (value or "").strip() for key, value in raw.items()}
        kind = row.get("TYPE", "").lower()
        content = row.get("CONTENT", "")
        if kind == "section":
            section = content or None
        elif kind == "note" and pending is not None and content:
            pending.description = "\n\n".join(filter(None, (pending.description, content)))
            pending.description = pending.description[:_MAX_DESCRIPTION]
        elif kind == "task" and content:
            if pending is not None:
                yield pending
            count += 1
            if count > MAX_IMPORTED_TASKS:
                raise InvalidInput(f"An import can hold at most {MAX_IMPORTED_TASKS} tasks.")
            pending = _todoist_task(line, row, section)
    if pending is not None:
        yield pending


def _todoist_task(line: int, row: dict[str, str], section: str | None) -> TodoistRow:
    content = row["CONTENT"]
    labels = _LABEL_RE.findall(content)
    title = " ".join(_LABEL_RE.sub(" ", content).split()) or content
    try:
        tags = normalize_tags([*([section] if section else []), *labels])
    except ValueError as error:
        raise InvalidInput(f"line {line}: tags: {error}") from error
    return TodoistRow(
        line=line,
        title=title,
        description=row.get("DESCRIPTION", "")[:_MAX_DESCRIPTION],
        priority=TODOIST_PRIORITIES.get(row.get("PRIORITY", ""), "medium"),
        tags=tags,
        date=row.get("DATE", ""),
        zone=_zone(row.get("TIMEZONE", "")),
    )


def _zone(name: str) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def read_export(body: bytes) -> Export:
    """The export document in `body`; InvalidInput naming the first fields that are wrong."""
    try:
        return Export.model_validate_json(body)
    except ValidationError as error:
        raise InvalidInput(_describe(error)) from error


def _describe(error: ValidationError) -> str:
    parts = []
    for problem in error.errors()[:5]:
        if problem["type"] == "json_invalid":
            return "The file is not valid JSON."
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"]
        ).lstrip(".")
        parts.append(f"{where}: {problem['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
