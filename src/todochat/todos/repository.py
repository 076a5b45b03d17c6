"""Every task query; always scoped to one user."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import (
    DateTime,
    Select,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from todochat.accounts.models import User
from todochat.errors import AccountGone
from todochat.todos.models import TOMBSTONE_DAYS, Task, TaskCompletion
from todochat.todos.schemas import SortKey, TaskFilter

_TASK = cast(Table, Task.__table__)
_INSERTED = (
    "title",
    "description",
    "priority",
    "tags",
    "due_at",
    "recurrence_rule",
    "recurrence_text",
    "recurrence_from_completion",
)
_USER = cast(Table, User.__table__)
# The user's next task number, in the statement that adds the task: the UPDATE locks the user's
# row until the transaction ends, so concurrent adds of one user (on any instance) take numbers
# one after another, and a number given once is never given again.
_NUMBERED = (
    update(_USER)
    .where(_USER.c.id == bindparam("p_user_id", type_=_USER.c.id.type))
    # Not a change of the account: updated_at stays (Core would otherwise bump it).
    .values(last_task_number=_USER.c.last_task_number + 1, updated_at=_USER.c.updated_at)
    .returning(_USER.c.id, _USER.c.last_task_number)
    .cte("numbered")
)
# Built once: adding a task is the most common change (every "add ..." in chat), and building an
# ORM INSERT with its values costs more CPU than PostgreSQL takes to run it. Values are bound
# as p_* parameters; the row comes back as a Task. No row when the account is gone.
# A new task has no reminders yet: no SELECT for them (the service refreshes them if it adds some).
_INSERT_TASK = (
    select(Task)
    .options(lazyload(Task.reminders))
    .from_statement(
        insert(_TASK)
        .from_select(
            ["user_id", "number", *_INSERTED],
            select(
                _NUMBERED.c.id,
                _NUMBERED.c.last_task_number,
                *(bindparam(f"p_{name}", type_=_TASK.c[name].type) for name in _INSERTED),
            ),
        )
        .returning(*_TASK.c)
    )
)

_Selected = TypeVar("_Selected", Select[Task], Select[TaskCompletion])

_PRIORITY_RANK = case({"high": 0, "medium": 1, "low": 2}, value=Task.priority)
_ORDER: dict[SortKey, tuple[Any, ...]] = {
    "created": (Task.id,),
    "due": (Task.due_at.asc().nulls_last(), Task.id),
    "priority": (_PRIORITY_RANK, Task.id),
    "title": (func.lower(Task.title), Task.id),
}


# A range of moments, [start, end); None leaves that end open.
Window = tuple[datetime | None, datetime | None]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class TaskRepository:
    """Queries over one user's tasks."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def get_task(self, number: int) -> Task | None:
        """The user's task with this number, or None."""
        statement = select(Task).where(
            Task.user_id == self.user_id, Task.number == number, Task.deleted_at.is_(None)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def add_task(self, values: dict[str, Any]) -> Task:
        """Insert a task (every field of TaskCreate) under the user's next number and return it
        as stored."""
        params = {f"p_{name}": values[name] for name in _INSERTED} | {"p_user_id": self.user_id}
        task: Task | None = (await self.session.scalars(_INSERT_TASK, params)).one_or_none()
        if task is None:
            raise AccountGone()
        set_committed_value(task, "reminders", [])
        return task

    async def update_task(self, number: int, values: dict[str, Any]) -> Task | None:
        """Apply changes in one statement and return the task, or None if not the user's."""
        statement = (
            update(Task)
            .where(Task.user_id == self.user_id, Task.number == number, Task.deleted_at.is_(None))
            .values(updated_at=func.now(), **values)
            .returning(Task)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def complete_unless_repeating(self, number: int) -> Task | None:
        """Mark done in one statement, unless the task repeats and is not done (then None)."""
        statement = (
            update(Task)
            .where(
                Task.user_id == self.user_id,
                Task.number == number,
                Task.deleted_at.is_(None),
                or_(Task.recurrence_rule.is_(None), Task.completed),
            )
            # Completing a task already done keeps when it was done.
            .values(
                completed=True,
                completed_at=func.coalesce(Task.completed_at, func.now()),
                updated_at=func.now(),
            )
            .returning(Task)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def move_occurrence(
        self, task: Task, due_at: datetime, rule: str, text: str, completed_at: datetime | None
    ) -> Task | None:
        """Move a repeating task to its next occurrence and, with `completed_at`, keep the one
        it leaves in the completion history — in one statement, and only if the task is still
        at that occurrence (a concurrent completion moves it once, not twice); else None."""
        moved = (
            update(_TASK)
            .where(
                _TASK.c.id == task.id,
                _TASK.c.user_id == self.user_id,
                _TASK.c.deleted_at.is_(None),
                _TASK.c.completed.is_(False),
                _TASK.c.due_at.is_not_distinct_from(task.due_at),
                _TASK.c.recurrence_rule == task.recurrence_rule,
            )
            .values(
                due_at=due_at, recurrence_rule=rule, recurrence_text=text, updated_at=func.now()
            )
            .returning(*_TASK.c)
            .cte("moved")
        )
        query = select(moved)
        if completed_at is not None:
            moment = DateTime(timezone=True)
            history = (
                insert(TaskCompletion)
                .from_select(
                    ["user_id", "task_id", "title", "due_at", "completed_at"],
                    select(
                        moved.c.user_id,
                        moved.c.id,
                        moved.c.title,
                        literal(task.due_at, moment),
                        literal(completed_at, moment),
                    ),
                )
                .cte("history")
            )
            query = query.add_cte(history)
        statement = select(Task).from_statement(query).execution_options(populate_existing=True)
        return (await self.session.scalars(statement)).one_or_none()

    async def toggle_task(self, number: int) -> Task | None:
        """Flip done/not done in one statement (so concurrent toggles each flip once).

        A repeating task that is not done is left alone (None): completing it moves it on.
        """
        statement = (
            update(Task)
            .where(
                Task.user_id == self.user_id,
                Task.number == number,
                Task.deleted_at.is_(None),
                or_(Task.recurrence_rule.is_(None), Task.completed),
            )
            .values(
                completed=~Task.completed,
                # The right-hand side sees the row as it was: done before → cleared now.
                completed_at=case((Task.completed, None), else_=func.now()),
                updated_at=func.now(),
            )
            .returning(Task)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def delete_task(self, number: int) -> Task | None:
        """Delete the task (hide it, restorable for TOMBSTONE_DAYS) and return what it was, or
        None if not the user's or already deleted. The user's tombstones older than that are
        purged here, so no background job is needed for them."""
        await self.session.execute(
            delete(Task).where(
                Task.user_id == self.user_id,
                Task.deleted_at < func.now() - timedelta(days=TOMBSTONE_DAYS),
            )
        )
        statement = (
            update(Task)
            .where(Task.user_id == self.user_id, Task.number == number, Task.deleted_at.is_(None))
            .values(deleted_at=func.now(), updated_at=func.now())
            .returning(Task)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def restore_task(self, number: int) -> Task | None:
        """Bring a deleted task back as it was (same number), or None if the user has no
        deleted task with that number."""
        statement = (
            update(Task)
            .where(
                Task.user_id == self.user_id, Task.number == number, Task.deleted_at.is_not(None)
            )
            .values(deleted_at=None, updated_at=func.now())
            .returning(Task)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def list_tasks(
        self,
        filters: TaskFilter,
        due_window: Window,
        completed_window: Window = (None, None),
    ) -> tuple[list[Task], int]:
        """One page of matching tasks and how many match in all, in one round trip."""
        statement = self._filtered(filters, due_window, completed_window)
        total = func.count().over().label("total")
        page = (
            statement.add_columns(total)
            .order_by(*_ORDER[filters.sort])
            .limit(filters.limit)
            .offset(filters.offset)
        )
        rows = (await self.session.execute(page)).all()
        if rows:
            return [row[0] for row in rows], rows[0].total
        if filters.offset == 0:
            return [], 0
        # Past the last page: the window function saw no rows, so count separately.
        count = await self.session.scalar(
            select(func.count()).select_from(
                self._filtered(filters, due_window, completed_window).subquery()
            )
        )
        return [], count or 0

    async def list_completions(
        self, filters: TaskFilter, completed_window: Window = (None, None)
    ) -> list[TaskCompletion]:
        """Completed occurrences of the user's repeating tasks, newest first."""
        statement = (
            select(TaskCompletion)
            .join(Task, Task.id == TaskCompletion.task_id)
            .where(TaskCompletion.user_id == self.user_id, Task.deleted_at.is_(None))
            .order_by(TaskCompletion.completed_at.desc(), TaskCompletion.id.desc())
            .limit(filters.limit)
        )
        statement = self._matching(statement, filters)
        start, end = completed_window
        if start is not None:
            statement = statement.where(TaskCompletion.completed_at >= start)
        if end is not None:
            statement = statement.where(TaskCompletion.completed_at < end)
        return list((await self.session.scalars(statement)).all())

    def _filtered(
        self, filters: TaskFilter, due_window: Window, completed_window: Window = (None, None)
    ) -> Select[Task]:
        statement = select(Task).where(Task.user_id == self.user_id, Task.deleted_at.is_(None))
        if filters.status != "all":
            statement = statement.where(Task.completed.is_(filters.status == "completed"))
        statement = self._matching(statement, filters)
        start, end = due_window
        if start is not None:
            statement = statement.where(Task.due_at >= start)
        if end is not None:
            statement = statement.where(Task.due_at < end)
        if filters.due in ("overdue", "upcoming"):
            statement = statement.where(Task.completed.is_(False))
        completed_start, completed_end = completed_window
        if completed_start is not None or completed_end is not None:
            statement = statement.where(Task.completed.is_(True))
        if completed_start is not None:
            statement = statement.where(Task.completed_at >= completed_start)
        if completed_end is not None:
            statement = statement.where(Task.completed_at < completed_end)
        return statement

    @staticmethod
    def _matching(statement: _Selected, filters: TaskFilter) -> _Selected:
        """The search, tag and priority filters, on a statement that selects from task."""
        if filters.q:
            pattern = f"%{_escape_like(filters.q)}%"
            statement = statement.where(
                or_(
                    Task.title.ilike(pattern, escape="\\"),
                    Task.description.ilike(pattern, escape="\\"),
                )
            )
        if filters.tag:
            statement = statement.where(
                Task.tags.contains([filters.tag.strip().lstrip("#").lower()])
            )
        if filters.priority:
            statement = statement.where(Task.priority == filters.priority)
        return statement
