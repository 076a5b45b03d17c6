"""The job queue (pgqueuer on PostgreSQL): enqueue inside the caller's transaction, run workers.

A job is enqueued on the same connection, in the same transaction, as the rows it is about (a
reminder and its job commit together or not at all). Workers on any number of instances take
jobs with SKIP LOCKED; a worker that dies mid-job stops heartbeating and another takes the job
over after `heartbeat_timeout`. Choice of pgqueuer over procrastinate: docs/reminders.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

import asyncpg
from pgqueuer import AsyncpgDriver, Job, QueueManager, RetryRequested
from pgqueuer.adapters.persistence.qb import QueryQueueBuilder
from pgqueuer.queries import Queries
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.db.engine import async_url

log = logging.getLogger(__name__)

JobHandler = Callable[[dict[str, Any]], Awaitable[None]]
# A failed job is tried again after these delays (then every last one), never dropped.
RETRY_DELAYS = (timedelta(seconds=1), timedelta(seconds=5), timedelta(seconds=30))


@lru_cache
def _queue_queries() -> QueryQueueBuilder:
    return QueryQueueBuilder()


async def enqueue_jobs(
    session: AsyncSession,
    entrypoint: str,
    payloads: Sequence[dict[str, Any]],
    delays: Sequence[timedelta],
) -> None:
    """Queue one job per payload, each to run after its delay, in the session's transaction."""
    if not payloads:
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    queries = Queries(AsyncpgDriver(raw.driver_connection), qbq=_queue_queries())
    count = len(payloads)
    await queries.enqueue(
        [entrypoint] * count,
        [json.dumps(payload).encode() for payload in payloads],
        [0] * count,
        [max(delay, timedelta(0)) for delay in delays],
    )


async def connect(database_url: str) -> asyncpg.Connection:
    """A connection of its own (not from the pool), for a worker or a LISTEN."""
    url, connect_args = async_url(database_url)
    connect_args.setdefault("server_settings", {})["application_name"] = "todochat-worker"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(dsn, **connect_args)


async def run_worker(
    database_url: str,
    handlers: Mapping[str, JobHandler],
    stop: asyncio.Event,
    *,
    heartbeat_timeout: timedelta = timedelta(seconds=30),
    concurrency: int = 20,
) -> None:
    """Run jobs with `handlers` (entrypoint -> handler) until `stop` is set."""
    connection = await connect(database_url)
    try:
        manager = QueueManager(Queries(AsyncpgDriver(connection), qbq=_queue_queries()))
        for name, handler in handlers.items():
            manager.entrypoint(name)(_retrying(name, handler))
        watcher = asyncio.create_task(_stop_when(stop, manager.shutdown))
        try:
            await manager.run(
                dequeue_timeout=timedelta(seconds=5),
                batch_size=10,
                max_concurrent_tasks=concurrency,
                heartbeat_timeout=heartbeat_timeout,
            )
        finally:
            watcher.cancel()
    finally:
        await connection.close()


async def _stop_when(stop: asyncio.Event, shutdown: asyncio.Event) -> None:
    await stop.wait()
    shutdown.set()


def _retrying(name: str, handler: JobHandler) -> Callable[[Job], Awaitable[None]]:
    """The handler as a pgqueuer entrypoint: a failure is retried later, never dropped."""

    async def run(job: Job) -> None:
        payload = json.loads(job.payload or b"{}")
        try:
            await handler(payload)
        except Exception as error:
            delay = RETRY_DELAYS[min(job.attempts, len(RETRY_DELAYS) - 1)]
            log.warning("job %s %s failed (%s); retrying in %s", name, payload, error, delay)
            raise RetryRequested(delay=delay, reason=str(error)) from error

    return run
