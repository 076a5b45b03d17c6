"""The task rules, in one place; REST, MCP and the CLI all call this. Flushes, never commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.clock import Clock, system_clock
from todochat.errors import Conflict, TaskNotFound
from todochat.todos.models import Task, TaskCompletion
from todochat.todos.recurrence import describe_rule, first_due, next_due, parse_recurrence
from todochat.todos.reminders import TaskReminders
from todochat.todos.repository import TaskRepository, Window
from todochat.todos.schemas import RecurrenceSet, TaskCreate, TaskFilter, TaskUpdate


class TaskService:
    """One user's tasks: every operation is scoped to `user_id`.

    A `task_id` here is the user's own task number (1, 2, 3... per user), the id every
    adapter shows; the table's internal key never leaves the domain.
    """

    def __init__(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        time_zone: str = "UTC",
        clock: Clock = system_clock,
    ) -> None:
        # The unit of work this service works in: adapters add their own rows to it (the
        # idempotency record, the tool-call ledger) so they commit with the task change.
        self.session = session
        self.repo = TaskRepository(session, user_id)
        self.reminders = TaskReminders(session, user_id, time_zone, clock)
        self.user_id = user_id
        self.zone = ZoneInfo(time_zone)
        self.clock = clock

    async def list_tasks(
        self,
        filters: TaskFilter,
        *,
        due_range: Window = (None, None),
        completed_range: Window = (None, None),
    ) -> tuple[list[Task], int]:
        """A page of tasks matching the filters, and the total. `due_range` and
        `completed_range` narrow further: [start, end), either end open when None; a
        completed range keeps only tasks completed within it."""
        start, end = self._due_window(filters)
        window = (_latest(start, due_range[0]), _earliest(end, due_range[1]))
        return await self.repo.list_tasks(filters, window, completed_range)

    async def list_completions(
        self, filters: TaskFilter, *, completed_range: Window = (None, None)
    ) -> list[TaskCompletion]:
        """With status=completed: completed occurrences of repeating tasks (those completed
        within `completed_range` when given); else none."""
        if filters.status != "completed":
            return []
        return await self.repo.list_completions(filters, completed_range)

    async def get_task(self, task_id: int) -> Task:
        """The task with this number (the user's own, as every adapter shows it), or
        TaskNotFound."""
        task = await self.repo.get_task(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    async def create_task(self, data: TaskCreate) -> Task:
        """Add a task to the user's list; a repeating one without a due date gets its first
        occurrence as due date."""
        values = data.model_dump(exclude={"recurrence", "reminders"})
        values["due_at"] = self._aware(values["due_at"])
        values |= self._recurrence_columns(data.recurrence)
        rule = values["recurrence_rule"]
        if rule is not None and values["due_at"] is None:
            values["due_at"] = first_due(rule, self.zone, self.clock())
        task = await self.repo.add_task(values)
        if data.reminders:
            await self.reminders.add(task, data.reminders)
            await self.session.refresh(task, ["reminders"])
        return task

    async def update_task(self, task_id: int, data: TaskUpdate) -> Task:
        """Change the given fields; absent fields stay as they are. Completing a repeating task
        moves it to its next occurrence (see complete_task)."""
        changes: dict[str, Any] = data.changes()
        completed = changes.pop("completed", None)
        if "due_at" in changes:
            changes["due_at"] = self._aware(changes["due_at"])
        if "recurrence" in changes:
            del changes["recurrence"]
            changes |= self._recurrence_columns(data.recurrence)
            rule = changes["recurrence_rule"]
            if rule is not None and changes.get("due_at") is None:
                # A task that starts repeating keeps its due date, or gets the first occurrence.
                first = first_due(rule, self.zone, self.clock())
                changes["due_at"] = (
                    first if "due_at" in changes else func.coalesce(Task.due_at, first)
                )
        if completed is False:
            changes |= {"completed": False, "completed_at": None}
        if changes:
            updated = await self.repo.update_task(task_id, changes)
            if updated is None:
                raise TaskNotFound(task_id)
            task = updated
        else:
            task = await self.get_task(task_id)
        reminders_changed = await self._reminders_follow(task, changes)
        if completed:
            task = await self.complete_task(task_id)
        if data.reminders is not None:
            await self.reminders.replace(task, data.reminders)
            reminders_changed = True
        if reminders_changed:
            await self.session.refresh(task, ["reminders"])
        return task

    async def complete_task(self, task_id: int) -> Task:
        """Mark the task done. A repeating task moves to its next occurrence instead (after its
        due date, or after now for from-completion rules), still not done, and the occurrence
        it leaves is kept in the completion history; once its rule has ended it is done."""
        task = await self.repo.complete_unless_repeating(task_id)
        if task is not None:
            if await self._reminders_follow(task, {"completed": True}):
                await self.session.refresh(task, ["reminders"])
            return task
        return await self._advance(await self.get_task(task_id), completed=True)

    async def skip_occurrence(self, task_id: int) -> Task:
        """Move a repeating task to its next occurrence without completing this one."""
        task = await self.get_task(task_id)
        if task.recurrence_rule is None:
            raise Conflict(f"Task {task.number} does not repeat: there is no occurrence to skip.")
        if task.completed:
            raise Conflict(f"Task {task.number} is done: reopen it before skipping.")
        return await self._advance(task, completed=False)

    async def set_completed(self, task_id: int, completed: bool) -> Task:
        """Mark the task done (or not done)."""
        return await self.update_task(task_id, TaskUpdate(completed=completed))

    async def toggle_task(self, task_id: int) -> Task:
        """Flip the task between done and not done (a repeating task moves on: complete_task)."""
        task = await self.repo.toggle_task(task_id)
        if task is None:
            # A repeating task that is not done: completing it moves it on.
            return await self._advance(await self.get_task(task_id), completed=True)
        if await self._reminders_follow(task, {"completed": task.completed}):
            await self.session.refresh(task, ["reminders"])
        return task

    async def delete_task(self, task_id: int) -> Task:
        """Delete the task (restorable with restore_task for a while: see TOMBSTONE_DAYS) and
        cancel the reminders it had coming; returns what was deleted."""
        task = await self.repo.delete_task(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if task.reminders:
            await self.reminders.cancel_pending(task)
            await self.session.refresh(task, ["reminders"])
        return task

    async def restore_task(self, task_id: int) -> Task:
        """Undo a delete: the task comes back with its number, and a task not done gets its
        reminders that are still ahead re-armed. TaskNotFound if the user has no deleted task
        with that number."""
        task = await self.repo.restore_task(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if task.reminders and not task.completed:
            await self.reminders.restore_cancelled(task)
            await self.session.refresh(task, ["reminders"])
        return task

    async def _reminders_follow(self, task: Task, changes: dict[str, Any]) -> bool:
        """Completing cancels pending reminders, reopening restores them, a new due time moves
        relative ones; True if any reminder may have changed."""
        if not task.reminders:
            return False
        if changes.get("completed") is True:
            await self.reminders.cancel_pending(task)
        elif changes.get("completed") is False:
            await self.reminders.restore_cancelled(task)
        if "due_at" in changes:
            await self.reminders.follow_due(task)
        return bool({"completed", "due_at"} & changes.keys())

    async def _advance(self, task: Task, *, completed: bool) -> Task:
        """Move a repeating task on by one occurrence; completed=True also records the one it
        leaves, or marks the task done when the rule has ended."""
        assert task.recurrence_rule is not None
        now = self.clock()
        following, rule = next_due(
            task.recurrence_rule, task.recurrence_from_completion, task.due_at, self.zone, now
        )
        if following is None:
            if not completed:
                raise Conflict(
                    f"Task {task.number} is at its last occurrence: there is none to skip to. "
                    "Complete it, or stop it repeating."
                )
            done = await self.repo.update_task(
                task.number,
                {"completed": True, "completed_at": func.coalesce(Task.completed_at, func.now())},
            )
            if done is None:
                raise TaskNotFound(task.number)
            if await self._reminders_follow(done, {"completed": True}):
                await self.session.refresh(done, ["reminders"])
            return done
        previous_due = task.due_at
        text = describe_rule(rule, self.zone, task.recurrence_from_completion)
        moved = await self.repo.move_occurrence(
            task, following, rule, text, now if completed else None
        )
        if moved is None:
            # A concurrent call moved it first; this one answers the task as it now is.
            return await self.get_task(task.number)
        if previous_due is not None and moved.reminders:
            # Every reminder comes back for the new occurrence.
            await self.reminders.rearm_for_occurrence(moved, previous_due)
            await self.session.refresh(moved, ["reminders"])
        return moved

    def _recurrence_columns(self, given: RecurrenceSet | None) -> dict[str, Any]:
        """The task's recurrence columns for what the client sent ("" or None: no repetition)."""
        text = given.rule if given is not None else ""
        if not text:
            return {
                "recurrence_rule": None,
                "recurrence_text": None,
                "recurrence_from_completion": False,
            }
        recurrence = parse_recurrence(
            text,
            self.zone,
            self.clock(),
            from_completion=given is not None and given.from_completion,
        )
        return {
            "recurrence_rule": recurrence.rule,
            "recurrence_text": recurrence.text,
            "recurrence_from_completion": recurrence.from_completion,
        }

    def _aware(self, moment: datetime | None) -> datetime | None:
        """A naive date-time means wall-clock time in the user's zone."""
        if moment is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=self.zone)
        return moment

    def _due_window(self, filters: TaskFilter) -> tuple[datetime | None, datetime | None]:
        """The due_at range the `due` filter means, in the user's calendar."""
        if filters.due is None:
            return None, None
        now = self.clock().astimezone(self.zone)
        start_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if filters.due == "today":
            return start_of_today, _next_midnight(start_of_today, days=1)
        if filters.due == "week":
            return start_of_today, _next_midnight(start_of_today, days=7)
        if filters.due == "upcoming":  # after today, pending only (see the repository)
            return _next_midnight(start_of_today, days=1), None
        return None, now  # overdue


def _latest(*moments: datetime | None) -> datetime | None:
    """The latest of the given moments (None: no bound)."""
    given = [moment for moment in moments if moment is not None]
    return max(given) if given else None


def _earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the given moments (None: no bound)."""
    given = [moment for moment in moments if moment is not None]
    return min(given) if given else None


def _next_midnight(start: datetime, days: int) -> datetime:
    """Midnight `days` calendar days later (DST-safe: computed on the date, not by adding hours)."""
    return datetime.combine(start.date() + timedelta(days=days), start.time(), start.tzinfo)
