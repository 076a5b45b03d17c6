"""Firing a reminder: claim it once, then hand it to every channel in the same transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.db.uow import unit_of_work
from todochat.todos.models import Reminder, Task
from todochat.todos.reminders import fire_reminder
from todochat.todos.schemas import ReminderRead, TaskRead

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FiredReminder:
    """A reminder that has just fired, as every channel sees it."""

    user_id: uuid.UUID
    # The same for every attempt to deliver this firing (a retried job, a re-sent webhook):
    # receivers drop duplicates by it. A re-armed reminder fires with a new one.
    delivery_id: uuid.UUID
    sent_at: datetime
    task: TaskRead
    reminder: ReminderRead

    @classmethod
    def of(cls, reminder: Reminder, task: Task) -> FiredReminder:
        """The fired reminder as stored: a sent reminder row and its task."""
        assert reminder.sent_at is not None
        return cls(
            user_id=reminder.user_id,
            delivery_id=reminder.delivery_id,
            sent_at=reminder.sent_at,
            task=TaskRead.model_validate(task),
            reminder=ReminderRead.model_validate(reminder),
        )

    def data(self) -> dict[str, Any]:
        """The event body: `{"task": {...}, "reminder": {..., "delivery_id", "sent_at"}}`."""
        return {
            "task": self.task.model_dump(mode="json"),
            "reminder": {
                **self.reminder.model_dump(mode="json"),
                "delivery_id": str(self.delivery_id),
                "sent_at": self.sent_at.isoformat().replace("+00:00", "Z"),
            },
        }


# A channel's part in firing a reminder. It runs inside the transaction that marks the reminder
# sent, so what it writes commits with that mark, exactly once per firing: queue a job of its own
# there (todochat.jobs.enqueue_jobs) for anything slow or remote, never do network I/O in it.
ReminderHook = Callable[[AsyncSession, FiredReminder], Awaitable[None]]


class Dispatcher:
    """Fires reminders for the job queue's `fire_reminder` jobs."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], hooks: Sequence[ReminderHook]
    ) -> None:
        self.sessionmaker = sessionmaker
        self.hooks = list(hooks)

    async def fire(self, payload: dict[str, Any]) -> FiredReminder | None:
        """Fire the reminder a job names; None if it was moved, cancelled or deleted since."""
        async with unit_of_work(self.sessionmaker) as session:
            claimed = await fire_reminder(
                session, int(payload["reminder_id"]), uuid.UUID(payload["delivery_id"])
            )
            if claimed is None:
                return None
            fired = FiredReminder.of(*claimed)
            for hook in self.hooks:
                await hook(session, fired)
        return fired
