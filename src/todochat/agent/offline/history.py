"""A structured view of the input items: turns, the tools called in each, what was shown."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

MUTATING_TOOLS = frozenset(
    {"add_task", "complete_task", "delete_task", "restore_task", "update_task", "skip_occurrence"}
)

# The lines of a list the assistant showed: "1. #3 Buy milk (high)" or "- #3 Buy milk".
_SHOWN_LINE_RE = re.compile(r"^\s*(?:\d+[.)]|[-*•])?\s*#(\d+)\b", re.M)


@dataclass(frozen=True)
class ToolStep:
    """One tool call and what came back: a JSON object, or an error message.

    Arguments and output are kept as they came and parsed on first use: a conversation holds
    the results of up to ten earlier turns, and most decisions read only the last few.
    """

    name: str
    raw_arguments: Any
    output: Any

    @cached_property
    def arguments(self) -> dict[str, Any]:
        """The call's arguments ({} if they are not a JSON object)."""
        return _arguments(self.raw_arguments)

    @cached_property
    def _parsed(self) -> tuple[dict[str, Any] | None, str | None]:
        return parse_output(self.output)

    @property
    def result(self) -> dict[str, Any] | None:
        """The JSON object the tool answered, or None if it failed."""
        return self._parsed[0]

    @property
    def error(self) -> str | None:
        """The error message of a failed call."""
        return self._parsed[1]

    @property
    def ok(self) -> bool:
        """True when the tool answered with a result rather than an error."""
        return self.result is not None

    @property
    def tasks(self) -> list[dict[str, Any]]:
        """The tasks a list_tasks call returned (empty for anything else)."""
        tasks = (self.result or {}).get("tasks")
        return [t for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []

    @property
    def task_id(self) -> int | None:
        """The id of the task a single-task tool acted on."""
        value = (self.result or {}).get("task_id", self.arguments.get("task_id"))
        return value if isinstance(value, int) else None


@dataclass
class Turn:
    """One user message, the tools called while answering it, and the reply."""

    user: str
    steps: list[ToolStep] = field(default_factory=list)
    reply: str | None = None

    @property
    def changed(self) -> bool:
        """True when a tool changed a task in this turn."""
        return any(step.name in MUTATING_TOOLS and step.ok for step in self.steps)

    @property
    def shown_ids(self) -> list[int]:
        """Task ids listed line by line in the reply, in the order the user saw them."""
        return [int(m) for m in _SHOWN_LINE_RE.findall(self.reply or "")]


@dataclass
class Conversation:
    """Every turn, oldest first; the last one is being answered now."""

    turns: list[Turn]

    @property
    def current(self) -> Turn:
        """The turn being answered."""
        return self.turns[-1]

    @property
    def previous(self) -> Turn | None:
        """The turn before this one, if any."""
        return self.turns[-2] if len(self.turns) > 1 else None

    def known_tasks(self) -> dict[int, dict[str, Any]]:
        """The latest known state of every task seen in any tool result, by id."""
        known: dict[int, dict[str, Any]] = {}
        for turn in self.turns:
            for step in turn.steps:
                for task in step.tasks:
                    if isinstance(task.get("id"), int):
                        known[task["id"]] = task
                changed = (step.result or {}).get("task")
                if isinstance(changed, dict) and isinstance(changed.get("id"), int):
                    known[changed["id"]] = changed
                if step.name == "delete_task" and step.ok and step.task_id is not None:
                    known.pop(step.task_id, None)
        return known

    def last_shown(self) -> list[int]:
        """Ids of the most recent list shown to the user ("the first one" counts in it)."""
        for turn in reversed(self.turns[:-1]):
            if turn.shown_ids:
                return turn.shown_ids
        return []

    def last_talked_about(self) -> list[int]:
        """Ids "it" may mean: the task last changed, or the tasks last shown."""
        for turn in reversed(self.turns):
            changed = [
                s.task_id for s in turn.steps if s.name in MUTATING_TOOLS and s.ok and s.task_id
            ]
            if changed:
                return [changed[-1]]
            if turn is not self.current and turn.shown_ids:
                return turn.shown_ids
        return []


def _text_of(content: Any) -> str:
    """Text of a message content: a string or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, Iterable):
        parts = []
        for part in content:
            part = _as_dict(part)
            text = part.get("text") if part else None
            if isinstance(text, str):
                parts.append(text)
        return "".join(parts)
    return ""


def _as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        dumped = dump(exclude_unset=True)
        return dumped if isinstance(dumped, dict) else {}
    return {}


def parse_output(output: Any) -> tuple[dict[str, Any] | None, str | None]:
    """A tool output as (result, None) when it is a JSON object, else (None, error text)."""
    text = _text_of(output) if not isinstance(output, str) else output
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        value = None
    if isinstance(value, dict) and "error" not in value:
        return value, None
    if isinstance(value, dict):
        return None, str(value.get("detail") or value.get("error"))
    return None, (text or "The tool failed.").strip()


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def read_conversation(items: str | list[Any]) -> Conversation:
    """Group Responses-API input items into turns."""
    if isinstance(items, str):
        return Conversation([Turn(user=items)])
    turns: list[Turn] = []
    calls: dict[str, tuple[str, Any]] = {}
    for raw in items:
        item = _as_dict(raw)
        kind = item.get("type")
        role = item.get("role")
        if role == "user" and kind in (None, "message"):
            turns.append(Turn(user=_text_of(item.get("content")).strip()))
        elif not turns:
            continue  # Nothing before the first user message matters.
        elif role == "assistant" and kind in (None, "message"):
            text = _text_of(item.get("content"))
            turn = turns[-1]
            turn.reply = f"{turn.reply}\n{text}" if turn.reply else text
        elif kind == "function_call":
            calls[str(item.get("call_id"))] = (str(item.get("name")), item.get("arguments"))
        elif kind == "function_call_output":
            name, arguments = calls.pop(str(item.get("call_id")), ("unknown", None))
            turns[-1].steps.append(ToolStep(name, arguments, item.get("output")))
    if not turns:
        turns.append(Turn(user=""))
    return Conversation(turns)
