"""The export document, read back by the import: one shape both ways."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from todochat.todos.schemas import (
    Description,
    DueAt,
    Priority,
    RecurrenceSet,
    ReminderRead,
    Tags,
    Title,
)

MAX_IMPORTED_TASKS = 10_000
MAX_IMPORTED_CONVERSATIONS = 1_000
MAX_IMPORTED_MESSAGES = 10_000


class CompletionRecord(BaseModel):
    """A completed occurrence of a repeating task."""

    model_config = ConfigDict(from_attributes=True)

    due_at: DueAt | None
    completed_at: datetime


class ExportedTask(BaseModel):
    """A task with everything it carries: reminders and completed occurrences."""

    model_config = ConfigDict(extra="ignore")

    id: int | None = Field(default=None, description="The task's number in the exporting account.")
    title: Title
    description: Description = ""
    completed: bool = False
    completed_at: datetime | None = None
    priority: Priority = "medium"
    tags: Tags = Field(default_factory=list)
    due_at: DueAt | None = None
    recurrence: RecurrenceSet | None = None
    created_at: datetime | None = None
    reminders: Annotated[list[ReminderRead], Field(max_length=100)] = Field(default_factory=list)
    completions: Annotated[list[CompletionRecord], Field(max_length=10_000)] = Field(
        default_factory=list
    )


class ExportedMessage(BaseModel):
    """One message of a conversation, in order."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant"]
    content: Annotated[str, StringConstraints(max_length=100_000)]
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None
    created_at: datetime | None = None


class ExportedConversation(BaseModel):
    """A conversation and its messages."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    created_at: datetime | None = None
    updated_at: datetime | None = None
    messages: Annotated[list[ExportedMessage], Field(max_length=MAX_IMPORTED_MESSAGES)] = Field(
        default_factory=list
    )


class AccountRecord(BaseModel):
    """Who the export belongs to (informational: an import goes to the importing account)."""

    email: str
    name: str | None
    time_zone: str


class Export(BaseModel):
    """Everything an account holds: its tasks with their history and its conversations."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["todochat-export"] = "todochat-export"
    version: Literal[1] = 1
    exported_at: datetime | None = None
    account: AccountRecord | None = None
    tasks: Annotated[list[ExportedTask], Field(max_length=MAX_IMPORTED_TASKS)] = Field(
        default_factory=list
    )
    conversations: Annotated[
        list[ExportedConversation], Field(max_length=MAX_IMPORTED_CONVERSATIONS)
    ] = Field(default_factory=list)


class ImportResult(BaseModel):
    """What an import added, and what it had to leave out or change."""

    tasks: int
    conversations: int
    messages: int
    warnings: list[str] = Field(
        default_factory=list, description="Rows imported with something left out, and why."
    )
