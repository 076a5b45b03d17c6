"""Helpers for the reminder delivery tests: many reminders at once, waiting for them to fire."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import signup
from todochat.db.uow import unit_of_work
from todochat.todos.schemas import MAX_REMINDERS, ReminderSpec, TaskCreate
from todochat.todos.service import TaskService

REPO = Path(__file__).resolve().parents[2]
TODOCHAT = str(Path(sys.executable).parent / "todochat")


async def add_reminders(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID, count: int, at: datetime
) -> list[int]:
    """`count` reminders at `at`, on tasks of ten reminders each; their ids.

    The service's clock is held a second before `at`, so however long adding them takes, each is
    accepted as ahead and its job runs a second after it is queued.
    """
    ids: list[int] = []
    async with unit_of_work(sessionmaker) as session:
        tasks = TaskService(session, user_id, clock=lambda: at - timedelta(seconds=1))
        for start in range(0, count, MAX_REMINDERS):
            size = min(MAX_REMINDERS, count - start)
            task = await tasks.create_task(
                TaskCreate(
                    title=f"Reminded {start}",
                    reminders=[ReminderSpec(at=at.isoformat()) for _ in range(size)],
                )
            )
            ids.extend(reminder.id for reminder in task.reminders)
    return ids


async def wait_until_fired(
    sessionmaker: async_sessionmaker[AsyncSession], ids: list[int], within: float
) -> None:
    """Poll until none of the reminders is pending any more."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with sessionmaker() as session:
            pending = await session.scalar(
                text("SELECT count(*) FROM reminder WHERE id = ANY(:ids) AND status = 'pending'"),
                {"ids": ids},
            )
        if pending == 0:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{pending} of {len(ids)} reminders still pending after {within} s")


@dataclass
class Worker:
    """A `todochat worker` subprocess."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What it printed."""
        return self.log.read_text(errors="replace")


@contextmanager
def running_worker(log_dir: Path, database_url: str, env: dict[str, str]) -> Iterator[Worker]:
    """A worker process for the block's duration (killed at the end if still running)."""
    log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO),
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen([TODOCHAT, "worker"], env=full_env, stdout=out, stderr=out)
    worker = Worker(process, log)
    try:
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def new_user(client: httpx.AsyncClient) -> uuid.UUID:
    """A fresh account's id."""
    return uuid.UUID((await signup(client)).id)


def soon(seconds: float) -> datetime:
    """A moment `seconds` from now."""
    return datetime.now(UTC) + timedelta(seconds=seconds)
