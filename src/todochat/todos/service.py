"""The task rules, in one place; REST, MCP and the CLI all call this. Flushes, never commits."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.clock import Clock, system_clock
from todochat.errors import TaskNotFound
from todochat.todos.models import Task
from todochat.todos.reminders import TaskReminders
from todochat.todos.repository import TaskRepository
from todochat.todos.schemas import TaskCreate, TaskFilter, TaskUpdate


class TaskService:
    """One user's tasks: every operation is scoped to `user_id`."""

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

    async def list_tasks(self, filters: TaskFilter) -> tuple[list[Task], int]:
        """A page of tasks matching the filters, and the total."""
        return await self.repo.list_tasks(filters, self._due_window(filters))

    async def get_task(self, task_id: int) -> Task:
        """The task, or TaskNotFound."""
        task = await self.repo.get_task(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    async def create_task(self, data: TaskCreate) -> Task:
        """Add a task to the user's list."""
        values = data.model_dump(exclude={"reminders"})
        values["due_at"] = self._aware(values["due_at"])
        task = await self.repo.add_task(values)
        if data.reminders:
            await self.reminders.add(task, data.reminders)
            await self.session.refresh(task, ["reminders"])
        return task

    async def update_task(self, task_id: int, data: TaskUpdate) -> Task:
        """Change the given fields; absent fields stay as they are."""
        changes: dict[str, Any] = data.changes()
        if "due_at" in changes:
            changes["due_at"] = self._aware(changes["due_at"])
        if "completed" in changes:
            # Completing a task already done keeps when it was done.
            changes["completed_at"] = (
                func.coalesce(Task.completed_at, func.now()) if changes["completed"] else None
            )
        if not changes:
            task = await self.get_task(task_id)
        else:
            updated = await self.repo.update_task(task_id, changes)
            if updated is None:
                raise TaskNotFound(task_id)
            task = updated
        reminders_changed = await self._reminders_follow(task, changes)
        if data.reminders is not None:
            await self.reminders.replace(task, data.reminders)
            reminders_changed = True
        if reminders_changed:
            await self.session.refresh(task, ["reminders"])
        return task

    async def set_completed(self, task_id: int, completed: bool) -> Task:
        """Mark the task done (or not done)."""
        return await self.update_task(task_id, TaskUpdate(completed=completed))

    async def toggle_task(self, task_id: int) -> Task:
        """Flip the task between done and not done."""
        task = await self.repo.toggle_task(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        if await self._reminders_follow(task, {"completed": task.completed}):
            await self.session.refresh(task, ["reminders"])
        return task

    async def delete_task(self, task_id: int) -> Task:
        """Delete the task; returns what was deleted."""
        task = await self.repo.delete_task(task_id)
        if task is None:
            raise TaskNotFound(task_id)
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
        return None, now  # overdue


def _next_midnight(start: datetime, days: int) -> datetime:
    """Midnight `days` calendar days later (DST-safe: computed on the date, not by adding hours)."""
    return datetime.combine(start.date() + timedelta(days=days), start.time(), start.tzinfo)
