"""Reminder rules: arm, move, cancel and fire; every armed reminder has a job that fires it.

Arming gives a reminder a new delivery id and queues a job carrying it, in the transaction that
changes the reminder. The job fires the reminder only if it is still pending with that delivery
id, so a reminder moved (re-armed) or cancelled since makes its old job a no-op, and a job run
twice (a worker died mid-delivery) fires once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Table,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.clock import Clock
from todochat.errors import InvalidInput, TodochatError
from todochat.jobs import enqueue_jobs
from todochat.todos.dates import parse_due
from todochat.todos.models import Reminder, Task
from todochat.todos.schemas import ReminderSpec

FIRE_REMINDER = "fire_reminder"
_REMINDER = cast(Table, Reminder.__table__)
_ARMED = (Reminder.id, Reminder.delivery_id, Reminder.at)


class TaskReminders:
    """The reminders of one user's tasks; called by TaskService, inside its unit of work."""

    def __init__(
        self, session: AsyncSession, user_id: uuid.UUID, time_zone: str, clock: Clock
    ) -> None:
        self.session = session
        self.user_id = user_id
        self.time_zone = time_zone
        self.clock = clock

    async def add(self, task: Task, specs: Sequence[ReminderSpec]) -> None:
        """Arm new reminders on the task (each `at` a moment, or `before` its due time)."""
        if not specs:
            return
        now = self.clock()
        rows = [self._row(task, index, spec, now) for index, spec in enumerate(specs)]
        result = await self.session.execute(insert(_REMINDER).values(rows).returning(*_ARMED))
        await self._schedule(result.all())

    async def replace(self, task: Task, specs: Sequence[ReminderSpec]) -> None:
        """Make `specs` the task's reminders; those already sent stay as history."""
        await self.session.execute(
            delete(Reminder).where(
                Reminder.task_id == task.id,
                Reminder.user_id == self.user_id,
                Reminder.status != "sent",
            )
        )
        await self.add(task, specs)

    async def follow_due(self, task: Task) -> None:
        """Move pending relative reminders with the task's new due time (cancel them if none)."""
        relative = (
            Reminder.task_id == task.id,
            Reminder.user_id == self.user_id,
            Reminder.status == "pending",
            Reminder.before.is_not(None),
        )
        if task.due_at is None:
            await self.session.execute(
                update(Reminder).where(*relative).values(status="cancelled", updated_at=func.now())
            )
            return
        due = literal(task.due_at, DateTime(timezone=True))
        await self._rearm(update(Reminder).where(*relative).values(at=due - Reminder.before))

    async def cancel_pending(self, task: Task) -> None:
        """Completing a task cancels the reminders it still had coming."""
        await self.session.execute(
            update(Reminder)
            .where(
                Reminder.task_id == task.id,
                Reminder.user_id == self.user_id,
                Reminder.status == "pending",
            )
            .values(status="cancelled", updated_at=func.now())
        )

    async def restore_cancelled(self, task: Task) -> None:
        """Reopening a task re-arms its cancelled reminders that are still ahead."""
        await self._rearm(
            update(Reminder).where(
                Reminder.task_id == task.id,
                Reminder.user_id == self.user_id,
                Reminder.status == "cancelled",
                Reminder.at > self.clock(),
            )
        )

    async def rearm_for_occurrence(self, task: Task, previous_due: datetime) -> None:
        """A recurring task moved to its next occurrence: every reminder comes back for it.

        Relative reminders count back from the new due time; reminders at a time move by as
        much as the due time did.
        """
        if task.due_at is None:
            return
        due = literal(task.due_at, DateTime(timezone=True))
        shift = task.due_at - previous_due
        await self._rearm(
            update(Reminder)
            .where(Reminder.task_id == task.id, Reminder.user_id == self.user_id)
            .values(
                at=case(
                    (Reminder.before.is_not(None), due - Reminder.before),
                    else_=Reminder.at + shift,
                ),
                sent_at=None,
                seen_at=None,
            )
        )

    async def _rearm(self, statement: Any) -> None:
        """Run an UPDATE of reminders as a re-arming: pending, a new delivery id, a new job."""
        result = await self.session.execute(
            statement.values(
                status="pending", delivery_id=func.gen_random_uuid(), updated_at=func.now()
            ).returning(*_ARMED)
        )
        await self._schedule(result.all())

    async def _schedule(self, armed: Sequence[Any]) -> None:
        if not armed:
            return
        # pgqueuer adds the delay to the transaction's now(), not to the moment of the insert:
        # delays are counted from that same now(), or a long transaction would fire jobs early.
        now = await self.session.scalar(select(func.now()))
        await enqueue_jobs(
            self.session,
            FIRE_REMINDER,
            [{"reminder_id": row.id, "delivery_id": str(row.delivery_id)} for row in armed],
            [row.at - now for row in armed],
        )

    def _row(self, task: Task, index: int, spec: ReminderSpec, now: datetime) -> dict[str, Any]:
        """The values of one new reminder; InvalidInput names the field that is wrong."""
        if spec.before is not None:
            if task.due_at is None:
                raise InvalidInput(
                    f"reminders[{index}].before: the task has no due date to count back from; "
                    "give it a due date or remind at a time instead."
                )
            at = task.due_at - spec.before
        else:
            assert spec.at is not None
            try:
                at = parse_due(spec.at, self.time_zone, now)
            except TodochatError as error:
                raise InvalidInput(f"reminders[{index}].at: {error.message}") from error
            if at <= now:
                raise InvalidInput(f"reminders[{index}].at: {at.isoformat()} is in the past.")
        return {
            "user_id": self.user_id,
            "task_id": task.id,
            "at": at,
            "before": spec.before,
            "delivery_id": uuid.uuid4(),
        }


# ---- firing and the missed list (the dispatcher and the event stream call these) ----------


async def fire_reminder(
    session: AsyncSession, reminder_id: int, delivery_id: uuid.UUID
) -> tuple[Reminder, Task] | None:
    """Mark the reminder sent if this is its armed firing; None if moved, cancelled or gone.

    One statement: of two workers running the same job, exactly one gets the row. A reminder
    of a task completed meanwhile is cancelled instead.
    """
    # A reminder of a task completed or deleted meanwhile is cancelled instead of sent.
    completed = (
        select(Task.completed | Task.deleted_at.is_not(None))
        .where(Task.id == Reminder.task_id)
        .scalar_subquery()
    )
    claimed = (
        await session.execute(
            update(Reminder)
            .where(
                Reminder.id == reminder_id,
                Reminder.delivery_id == delivery_id,
                Reminder.status == "pending",
            )
            .values(
                status=case((completed, "cancelled"), else_="sent"),
                sent_at=case((completed, None), else_=func.clock_timestamp()),
                updated_at=func.now(),
            )
            .returning(Reminder)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
    ).scalar_one_or_none()
    if claimed is None or claimed.status != "sent":
        return None
    task = (
        await session.scalars(
            select(Task).where(Task.id == claimed.task_id, Task.user_id == claimed.user_id)
        )
    ).one()
    return claimed, task


async def sent_reminder(
    session: AsyncSession, user_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[Reminder, Task] | None:
    """The reminder sent with this delivery id and its task, if the user still has them."""
    row = (
        await session.execute(
            select(Reminder, Task)
            .join(Task, Task.id == Reminder.task_id)
            .where(
                Reminder.user_id == user_id,
                Reminder.delivery_id == delivery_id,
                Reminder.status == "sent",
            )
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1])


async def unseen_reminders(
    session: AsyncSession, user_id: uuid.UUID, limit: int = 50
) -> list[tuple[Reminder, Task]]:
    """Reminders sent but not yet shown to the user, oldest first."""
    rows = await session.execute(
        select(Reminder, Task)
        .join(Task, Task.id == Reminder.task_id)
        .where(
            Reminder.user_id == user_id,
            Reminder.status == "sent",
            Reminder.seen_at.is_(None),
            Task.deleted_at.is_(None),
        )
        .order_by(Reminder.sent_at)
        .limit(limit)
    )
    return [(reminder, task) for reminder, task in rows]


async def mark_seen(session: AsyncSession, user_id: uuid.UUID, reminder_ids: list[int]) -> None:
    """The user saw these reminders: no longer shown as missed."""
    await session.execute(
        update(Reminder)
        .where(
            Reminder.user_id == user_id,
            Reminder.id.in_(reminder_ids),
            Reminder.status == "sent",
            Reminder.seen_at.is_(None),
        )
        .values(seen_at=func.now())
    )
