"""Task request and response shapes, shared by REST and MCP."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from todochat.todos.dates import check_due_range, format_offset, parse_offset
from todochat.todos.models import Task, TaskCompletion

PriorityLevel = Literal["low", "medium", "high"]
# Todoist's words, read wherever a priority is given (REST, MCP, chat, quick add): p1 is the most
# urgent. Stored and shown as the three levels.
PRIORITY_WORDS: dict[str, PriorityLevel] = {"p1": "high", "p2": "medium", "p3": "low", "p4": "low"}


def _priority_word(value: object) -> object:
    if isinstance(value, str):
        return PRIORITY_WORDS.get(value.strip().lower(), value)
    return value


Priority = Annotated[
    PriorityLevel,
    BeforeValidator(
        _priority_word,
        json_schema_input_type=Literal["low", "medium", "high", "p1", "p2", "p3", "p4"],
    ),
]
Status = Literal["all", "pending", "completed"]
DueFilter = Literal["today", "overdue", "week", "upcoming"]
SortKey = Literal["created", "due", "priority", "title"]

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
MAX_TAGS = 20


def normalize_tags(tags: list[str]) -> list[str]:
    """Lower-case, strip '#', drop blanks and duplicates, keep order."""
    seen: dict[str, None] = {}
    for tag in tags:
        clean = tag.strip().lstrip("#").strip().lower()
        if not clean:
            continue
        if len(clean) > 50:
            raise ValueError(f"tag {clean[:20]!r}... is longer than 50 characters")
        seen.setdefault(clean, None)
    if len(seen) > MAX_TAGS:
        raise ValueError(f"a task can have at most {MAX_TAGS} tags")
    return list(seen)


Tags = Annotated[list[str], AfterValidator(normalize_tags)]
DueAt = Annotated[datetime, AfterValidator(check_due_range)]
ReminderStatus = Literal["pending", "sent", "cancelled"]
MAX_REMINDERS = 10


def _read_offset(value: object) -> object:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("give a duration such as '30m', '2 hours' or 'PT30M'")
    return parse_offset(value)


def _show_offset(value: object) -> object:
    return format_offset(value) if isinstance(value, timedelta) else value


class ReminderSpec(BaseModel):
    """A reminder a client asks for: at a moment, or some time before the due time."""

    model_config = ConfigDict(extra="forbid")

    at: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
        | None
    ) = None
    before: Annotated[timedelta, BeforeValidator(_read_offset)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReminderSpec:
        if (self.at is None) == (self.before is None):
            raise ValueError(
                "give either 'at' (a time) or 'before' (a duration before the due time)"
            )
        return self


Reminders = Annotated[list[ReminderSpec], Field(max_length=MAX_REMINDERS)]
RecurrenceText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class RecurrenceSet(BaseModel):
    """A repeat rule given as an object, the shape task JSON shows (its `text` is ignored: the
    readable text is always made from the rule)."""

    model_config = ConfigDict(extra="forbid")

    rule: RecurrenceText
    from_completion: bool = False
    text: str | None = None


def _rule_object(value: object) -> object:
    return {"rule": value} if isinstance(value, str) else value


# Natural words ("every monday 9am", "every! 3 days") or an RRULE ("FREQ=WEEKLY;BYDAY=MO"), as
# a string or a RecurrenceSet; "" or null stops repeating. A string is read as {"rule": ...} so a
# bad value gets one error naming recurrence.rule, not one per member of a union.
RecurrenceArg = Annotated[
    RecurrenceSet | None,
    BeforeValidator(_rule_object, json_schema_input_type=RecurrenceText | RecurrenceSet | None),
]


class RecurrenceRead(BaseModel):
    """How a task repeats."""

    rule: str = Field(description="RFC 5545 RRULE; DTSTART is the due date in the user's zone.")
    text: str = Field(description="The rule in words, e.g. 'every Monday at 9:00'.")
    from_completion: bool = Field(
        description="The next occurrence counts from completion, not from the due date."
    )


class TaskCreate(BaseModel):
    """A new task."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Description = ""
    priority: Priority = "medium"
    tags: Tags = Field(default_factory=list)
    due_at: DueAt | None = None
    reminders: Reminders = Field(default_factory=list)
    recurrence: RecurrenceArg = None


class TaskUpdate(BaseModel):
    """A partial update: only the fields present change; due_at=null clears the due date,
    recurrence=null (or "") stops repeating."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    tags: Tags | None = None
    due_at: DueAt | None = None
    recurrence: RecurrenceArg = None
    completed: bool | None = None
    reminders: Reminders | None = Field(
        default=None, description="Replaces the task's pending reminders ([] removes them)."
    )

    @model_validator(mode="after")
    def _null_only_clears_due(self) -> TaskUpdate:
        for name in self.model_fields_set - {"due_at", "recurrence"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        """The task fields the client actually sent (reminders are rows of their own)."""
        return self.model_dump(include=self.model_fields_set - {"reminders"})


class _BlankAllowed:
    """Declares in the JSON schema what TaskFilter does: a blank value (`?priority=`) is
    accepted and means the parameter was not given."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        return _with_blank(schema)


def _with_blank(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]}
    if "anyOf" in schema:
        return {**schema, "anyOf": [_with_blank(option) for option in schema["anyOf"]]}
    if schema.get("type") == "integer":
        outer = {key: value for key, value in schema.items() if key in ("default", "title")}
        inner = {key: value for key, value in schema.items() if key not in outer}
        return {"anyOf": [inner, {"type": "string", "maxLength": 0}], **outer}
    return schema


BlankAllowed = _BlankAllowed()


class TaskFilter(BaseModel):
    """What to list and in which order."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _blank_means_unset(cls, data: object) -> object:
        # Forms and query builders send `?priority=&due=` for "no filter".
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data

    status: Annotated[Status, BlankAllowed] = "all"
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    tag: str | None = None
    priority: Annotated[Priority | None, BlankAllowed] = None
    due: Annotated[DueFilter | None, BlankAllowed] = None
    sort: Annotated[SortKey, BlankAllowed] = "created"
    limit: Annotated[int, Field(ge=1, le=100), BlankAllowed] = 50
    offset: Annotated[int, Field(ge=0), BlankAllowed] = 0


class ReminderRead(BaseModel):
    """A reminder as every adapter shows it; `before` (ISO 8601 duration) when relative."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    status: ReminderStatus
    before: Annotated[str | None, BeforeValidator(_show_offset)] = None


class TaskRead(BaseModel):
    """A task as every adapter shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="The task's number in the user's list: 1, 2, 3... never reused.")
    title: str
    description: str
    completed: bool
    completed_at: datetime | None
    priority: PriorityLevel
    tags: list[str]
    due_at: datetime | None
    recurrence: RecurrenceRead | None
    created_at: datetime
    updated_at: datetime
    reminders: list[ReminderRead] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _number_as_id(cls, data: object) -> object:
        # A Task row's `id` is its internal key, never shown: the user sees its number.
        if isinstance(data, Task):
            return {name: getattr(data, name) for name in cls.model_fields} | {"id": data.number}
        return data


class CompletionRead(BaseModel):
    """A completed occurrence of a repeating task (the task itself moved on)."""

    model_config = ConfigDict(from_attributes=True)

    task_id: int = Field(description="The number of the task that was completed.")
    title: str
    due_at: datetime | None
    completed_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _number_as_task_id(cls, data: object) -> object:
        # A TaskCompletion's `task_id` is the task's internal key: the user sees its number.
        if isinstance(data, TaskCompletion):
            return {name: getattr(data, name) for name in cls.model_fields} | {
                "task_id": data.task_number
            }
        return data


class TaskPage(BaseModel):
    """One page of a task list and the total matching."""

    items: list[TaskRead]
    total: int
    completions: list[CompletionRead] = Field(
        default_factory=list,
        # Left out when empty: only status=completed fills it, and other lists keep their shape.
        exclude_if=lambda completions: not completions,
        description="With status=completed: completed occurrences of repeating tasks, newest "
        "first (at most `limit`; q, tag and priority apply). Absent when there are none.",
    )


class RemindersSeen(BaseModel):
    """Reminders the user has now seen (no longer shown as missed)."""

    model_config = ConfigDict(extra="forbid")

    ids: Annotated[list[Annotated[int, Field(ge=1, le=2**63 - 1)]], Field(max_length=100)]
