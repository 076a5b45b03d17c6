"""A task not yet created, as the user would get it: what a quick-add line was read as."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError

from todochat.errors import InvalidInput
from todochat.todos.dates import parse_due
from todochat.todos.recurrence import first_due, parse_recurrence
from todochat.todos.schemas import PriorityLevel, RecurrenceRead, Tags, Title


class ReminderDraft(BaseModel):
    """A reminder to set: at a moment, or `before` the due time (ISO 8601 duration)."""

    at: datetime | None = None
    before: str | None = None


class TaskDraft(BaseModel):
    """What a line was understood as. Without `problems` it is a valid `POST .../tasks` body."""

    title: Title
    description: str = ""
    priority: PriorityLevel = "medium"
    tags: Tags = Field(default_factory=list)
    due_at: datetime | None = None
    recurrence: RecurrenceRead | None = None
    reminders: list[ReminderDraft] = Field(default_factory=list)
    problems: list[str] = Field(
        default_factory=list, description="Parts that could not be read, and were left out."
    )


def draft_task(arguments: dict[str, Any], time_zone: str, now: datetime) -> TaskDraft:
    """The task that add_task `arguments` (natural due, repeat and reminder phrases) would
    create for a user in `time_zone`: phrases resolved, unreadable ones left out and named."""
    zone = ZoneInfo(time_zone)
    problems: list[str] = []

    def moment(phrase: str, what: str) -> datetime | None:
        try:
            return parse_due(phrase, time_zone, now).astimezone(UTC)  # shown as tasks are
        except InvalidInput:
            problems.append(f"I couldn't read {phrase!r} as {what}.")
            return None

    due = arguments.get("due")
    due_at = moment(due, "a due date") if due else None
    recurrence = None
    if arguments.get("recurrence"):
        try:
            read = parse_recurrence(arguments["recurrence"], zone, now)
        except InvalidInput as error:
            problems.append(error.message)
        else:
            recurrence = RecurrenceRead(
                rule=read.rule, text=read.text, from_completion=read.from_completion
            )
            first = first_due(read.rule, zone, now)
            due_at = due_at or (first and first.astimezone(UTC))
    reminders = []
    for reminder in arguments.get("reminders") or []:
        if "before" in reminder:
            reminders.append(ReminderDraft(before=reminder["before"]))
        elif (at := moment(reminder["at"], "a reminder time")) is not None:
            reminders.append(ReminderDraft(at=at))
    try:
        return TaskDraft(
            title=arguments["title"],
            description=arguments.get("description") or "",
            priority=arguments.get("priority") or "medium",
            tags=arguments.get("tags") or [],
            due_at=due_at,
            recurrence=recurrence,
            reminders=reminders,
            problems=problems,
        )
    except ValidationError as error:
        raise InvalidInput(f"text: {error.errors()[0]['msg']}") from error
