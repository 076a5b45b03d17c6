"""The task REST API: thin adapters over TaskService."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

from todochat.agent.offline.quick import read_tasks
from todochat.api.deps import IdempotencyKey, Tasks
from todochat.api.errors import error_responses
from todochat.idempotency import IdempotencyStore, Replay, check_key, request_fingerprint
from todochat.todos.drafts import TaskDraft, draft_task
from todochat.todos.models import Task
from todochat.todos.schemas import (
    CompletionRead,
    TaskCreate,
    TaskFilter,
    TaskPage,
    TaskRead,
    TaskUpdate,
)

router = APIRouter(
    prefix="/api/{user_id}/tasks",
    tags=["tasks"],
    responses=error_responses(400, 401, 403, 404, 413, 422),
)


@router.get("", response_model=TaskPage)
async def list_tasks(tasks: Tasks, filters: Annotated[TaskFilter, Query()]) -> TaskPage:
    """List tasks with filters, search, sort and pagination; with status=completed, also the
    completed occurrences of repeating tasks."""
    items, total = await tasks.list_tasks(filters)
    completions = await tasks.list_completions(filters)
    return TaskPage(
        items=[TaskRead.model_validate(task) for task in items],
        total=total,
        completions=[CompletionRead.model_validate(done) for done in completions],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TaskRead)
async def create_task(
    data: TaskCreate,
    tasks: Tasks,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Task | JSONResponse:
    """Add a task. With an Idempotency-Key, a retry returns the task created the first time."""
    if idempotency_key is None:
        return await tasks.create_task(data)
    keys = IdempotencyStore(request.app.state.sessionmaker, tasks.user_id)
    fingerprint = request_fingerprint("POST", "tasks", data.model_dump(mode="json"))
    # Same transaction as the insert: the task and the recorded outcome commit together.
    claim = await keys.claim_in(tasks.session, check_key(idempotency_key), fingerprint)
    if isinstance(claim, Replay):
        return JSONResponse(claim.body, status_code=claim.status_code)
    task = await tasks.create_task(data)
    body = TaskRead.model_validate(task).model_dump(mode="json")
    await keys.complete(tasks.session, idempotency_key, status.HTTP_201_CREATED, body)
    return task


class QuickAdd(BaseModel):
    """A line typed as a new task."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Drafts(BaseModel):
    """The tasks a line was read as."""

    tasks: list[TaskDraft]


@router.post("/parse", response_model=Drafts)
async def parse_tasks(data: QuickAdd, tasks: Tasks) -> Drafts:
    """Read a quick-add line ("buy milk tomorrow 5pm #home p1", "water plants every monday")
    with the chat's own understanding, without creating anything: each draft (minus `problems`)
    is a body for `POST .../tasks`."""
    now = tasks.clock()
    return Drafts(
        tasks=[draft_task(arguments, tasks.zone.key, now) for arguments in read_tasks(data.text)]
    )


@router.get("/{task_id}", response_model=TaskRead)
async def get_task(task_id: int, tasks: Tasks) -> Task:
    """One task."""
    return await tasks.get_task(task_id)


@router.put("/{task_id}", response_model=TaskRead)
async def update_task(task_id: int, data: TaskUpdate, tasks: Tasks) -> Task:
    """Change the given fields of a task; `"due_at": null` clears the due date, `"recurrence":
    null` stops it repeating."""
    return await tasks.update_task(task_id, data)


@router.patch("/{task_id}/complete", response_model=TaskRead)
async def toggle_task(task_id: int, tasks: Tasks) -> Task:
    """Toggle a task between done and not done; a repeating task moves to its next occurrence."""
    return await tasks.toggle_task(task_id)


@router.post("/{task_id}/skip", response_model=TaskRead, responses=error_responses(409))
async def skip_occurrence(task_id: int, tasks: Tasks) -> Task:
    """Skip a repeating task's current occurrence: it moves to the next one, nothing completed."""
    return await tasks.skip_occurrence(task_id)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_task(task_id: int, tasks: Tasks) -> Response:
    """Delete a task."""
    await tasks.delete_task(task_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{task_id}/restore", response_model=TaskRead)
async def restore_task(task_id: int, tasks: Tasks) -> Task:
    """Undo a delete: the deleted task comes back as it was, with its number and its reminders
    still ahead (for 30 days after the delete; 404 if there is no deleted task with that
    number)."""
    return await tasks.restore_task(task_id)
