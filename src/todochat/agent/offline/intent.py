"""What the offline model understood: an action and its slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """Everything the offline model knows how to do."""

    ADD = "add"
    LIST = "list"
    COMPLETE = "complete"
    REOPEN = "reopen"
    DELETE = "delete"
    UPDATE = "update"
    SKIP = "skip"  # "skip this week's gym": a repeating task moves on without being done
    SELECT = "select"  # a bare answer to "which one?" ("the second one", "#4", "yes")
    CANCEL = "cancel"
    UNDO = "undo"  # "undo", "scratch that": reverse the last change
    GREET = "greet"
    THANKS = "thanks"
    HELP = "help"
    UNKNOWN = "unknown"


TARGETED = frozenset({Action.COMPLETE, Action.REOPEN, Action.DELETE, Action.UPDATE, Action.SKIP})


@dataclass
class Filter:
    """Which tasks a list (or a bulk change) is about; mirrors list_tasks' arguments."""

    status: str | None = None
    query: str | None = None
    tag: str | None = None
    priority: str | None = None
    due: str | None = None
    sort: str | None = None
    guessed_tag: bool = False  # "my shopping tasks": a tag, or else words to search for
    tomorrow: bool = False  # "due tomorrow": due=week, then only tomorrow's
    day: int | None = None  # "due the day after tomorrow": days from today, picked out of week

    def arguments(self) -> dict[str, str]:
        """The list_tasks arguments for this filter."""
        args = {
            "status": self.status or "all",
            "query": self.query,
            "tag": self.tag,
            "priority": self.priority,
            "due": self.due,
            "sort": self.sort,
        }
        return {k: v for k, v in args.items() if v}

    @property
    def narrowed(self) -> bool:
        """True when it selects some tasks rather than all of them."""
        return any(
            (self.status not in (None, "all"), self.query, self.tag, self.priority, self.due)
        )


@dataclass
class Target:
    """How the user pointed at tasks: ids, positions, "it", a name, or a whole group."""

    ids: list[int] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # 1-based; negative counts from the end
    pronoun: bool = False
    name: str | None = None
    names: list[str] = field(default_factory=list)  # "the milk and the rent tasks", split up
    group: Filter | None = None  # "all completed tasks", "everything tagged shopping"
    every_shown: bool = False  # "both", "all of them"
    shown_count: int | None = None  # "both" means two; "all of them" leaves it open
    bare: bool = False  # a lone number ("3"): an id, or a position in the list just shown
    loose: str | None = None  # "call the plumber": the object alone, tried if the name finds none

    @property
    def empty(self) -> bool:
        """True when nothing points at any task."""
        return not (
            self.ids
            or self.positions
            or self.pronoun
            or self.name
            or self.group
            or self.every_shown
        )


@dataclass
class Changes:
    """Fields to set on add or update; None means "leave as is"."""

    title: str | None = None
    description: str | None = None
    priority: str | None = None
    tags: list[str] | None = None
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    due: str | None = None  # "" clears the due date
    shift_days: int | None = None  # "push it back a week": moved from its current due date
    recurrence: str | None = None  # "every monday" as said; "" stops repeating
    reminders: list[dict[str, str]] | None = None  # [{"at": "5pm"}] / [{"before": "30m"}]

    @property
    def empty(self) -> bool:
        """True when nothing would change."""
        return (
            self.title is None
            and self.description is None
            and self.priority is None
            and self.tags is None
            and not self.add_tags
            and not self.remove_tags
            and self.due is None
            and self.shift_days is None
            and self.recurrence is None
            and self.reminders is None
        )


@dataclass
class Intent:
    """One understood message."""

    action: Action
    target: Target = field(default_factory=Target)
    changes: Changes = field(default_factory=Changes)
    new_tasks: list[Changes] = field(default_factory=list)  # for ADD: one per task
    filter: Filter = field(default_factory=Filter)
    count: bool = False  # "how many …?"
    affirm: bool = False  # "yes" / "that one"
    about: bool = False  # a question about one task: show it in detail
    errand: bool = False  # an add said without "add" ("buy milk"): a follow-up reading wins
    # "remind me about the gym at 7pm": a reminder on that task if there is one, else a new task
    remind: Target | None = None
