"""Reminder dispatch: latency (scheduled time -> fired) and the cost of a queue poll vs pending.

Seeds N pending reminders a month ahead, each with its `fire_reminder` job (as arming makes
them), measures one poll of the queue with nothing due (pgqueuer's own dequeue statement,
rolled back) at 1,000 / 10,000 / 100,000 pending, then arms 1,000 reminders due within one
minute through the real service path and lets a `todochat worker` process fire them:
latency = the reminder's `sent_at` (set in the firing transaction) - its `at`.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pgqueuer import AsyncpgDriver
from pgqueuer.queries import Queries

from bench import common

PENDING_STEPS = (1_000, 10_000, 100_000)
DUE = 1_000
DUE_WINDOW_SECONDS = 60.0
LEAD_SECONDS = 15.0  # the worker starts and the 1,000 are armed before the minute begins
POLLS = 60


async def _seed_pending(db: str, user_id: uuid.UUID, have: int, want: int) -> None:
    """Reminders (ten per task) a month ahead, and their queued jobs, up to `want` in all."""
    conn = await common.connect(db)
    try:
        queries = Queries(AsyncpgDriver(conn))
        for start in range(have, want, 10_000):
            count = min(10_000, want - start)
            tasks = await conn.fetch(
                # Numbered as the app numbers them: 1, 2, 3... per user, the counter kept.
                "WITH bumped AS (UPDATE app_user SET last_task_number = last_task_number + $2 "
                "WHERE id = $1 RETURNING last_task_number - $2 AS base) "
                "INSERT INTO task (user_id, number, title) "
                "SELECT $1, base + g, 'Seeded ' || g FROM bumped, generate_series(1, $2) g "
                "RETURNING id",
                user_id,
                count // 10,
            )
            rows = await conn.fetch(
                """
                INSERT INTO reminder (user_id, task_id, at, delivery_id)
                SELECT $1, t, now() + interval '30 days' + (g || ' seconds')::interval,
                       gen_random_uuid()
                FROM unnest($2::bigint[]) t, generate_series(1, 10) g
                RETURNING id, delivery_id, at
                """,
                user_id,
                [task["id"] for task in tasks],
            )
            now = datetime.now(UTC)
            await queries.enqueue(
                ["fire_reminder"] * len(rows),
                [
                    json.dumps(
                        {"reminder_id": r["id"], "delivery_id": str(r["delivery_id"])}
                    ).encode()
                    for r in rows
                ],
                [0] * len(rows),
                [r["at"] - now for r in rows],
            )
        await conn.execute("ANALYZE reminder")
        await conn.execute("ANALYZE pgqueuer")
    finally:
        await conn.close()


async def _poll_cost(db: str) -> dict[str, float]:
    """Median and p90 wall time of one dequeue poll that finds nothing due (rolled back)."""
    conn = await common.connect(db)
    try:
        queries = Queries(AsyncpgDriver(conn))
        query = queries.qbq.build_dequeue_query(
            batch_size=10,
            entrypoints=["fire_reminder"],  # type: ignore[list-item]
            concurrency_limits=[0],
            queue_manager_id=uuid.uuid4(),  # type: ignore[arg-type]
            global_concurrency_limit=20,
            heartbeat_timeout=timedelta(seconds=30),
        )
        times = []
        for _ in range(POLLS):
            transaction = conn.transaction()
            await transaction.start()
            started = time.perf_counter()
            found = await conn.fetch(query.sql, *query.args)
            times.append((time.perf_counter() - started) * 1000)
            await transaction.rollback()
            assert not found, "nothing should be due"
    finally:
        await conn.close()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p90_ms": round(times[int(len(times) * 0.9)], 3),
    }


async def _arm_due(db_url: str, user_id: uuid.UUID, start: datetime) -> list[int]:
    """1,000 reminders at random moments of one minute, armed through TaskService."""
    from todochat.config import Settings
    from todochat.db.engine import create_engine, create_sessionmaker
    from todochat.db.uow import unit_of_work
    from todochat.todos.schemas import ReminderSpec, TaskCreate
    from todochat.todos.service import TaskService

    engine = create_engine(db_url, Settings(database_url=db_url))
    ids: list[int] = []
    rng = random.Random(19)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            tasks = TaskService(session, user_id)
            for batch in range(DUE // 10):
                moments = [
                    start + timedelta(seconds=rng.uniform(0, DUE_WINDOW_SECONDS)) for _ in range(10)
                ]
                task = await tasks.create_task(
                    TaskCreate(
                        title=f"Due {batch}",
                        reminders=[ReminderSpec(at=moment.isoformat()) for moment in moments],
                    )
                )
                ids.extend(reminder.id for reminder in task.reminders)
    finally:
        await engine.dispose()
    return ids


async def _latencies(db: str, ids: list[int], within: float) -> list[float]:
    """sent_at - at (ms) of each reminder, once all have fired."""
    conn = await common.connect(db)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            pending = await conn.fetchval(
                "SELECT count(*) FROM reminder WHERE id = ANY($1) AND status = 'pending'", ids
            )
            if pending == 0:
                break
            await asyncio.sleep(1)
        rows = await conn.fetch(
            "SELECT extract(epoch FROM sent_at - at) * 1000 AS ms FROM reminder "
            "WHERE id = ANY($1) AND status = 'sent'",
            ids,
        )
    finally:
        await conn.close()
    return [float(row["ms"]) for row in rows]


async def measure(db: str) -> dict[str, Any]:
    """Poll cost at each pending count, then dispatch latency with 100,000 pending."""
    conn = await common.connect(db)
    try:
        user_id = await conn.fetchval(
            "INSERT INTO app_user (email, email_canonical, name, password_hash) "
            "VALUES ('bench-reminders@example.com', 'bench-reminders@example.com', 'bench', 'x') "
            "RETURNING id"
        )
    finally:
        await conn.close()

    poll: dict[str, Any] = {}
    have = 0
    for pending in PENDING_STEPS:
        await _seed_pending(db, user_id, have, pending)
        have = pending
        poll[str(pending)] = await _poll_cost(db)
    ratio = round(poll[str(PENDING_STEPS[-1])]["p50_ms"] / poll[str(PENDING_STEPS[0])]["p50_ms"], 2)

    db_url = common.database_url(db)
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-worker-{db}.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(  # noqa: ASYNC220 (started once, before anything is timed)
            [str(Path(sys.executable).with_name("todochat")), "worker"],
            env={**os.environ, **common.SERVER_ENV, "DATABASE_URL": db_url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        start = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        ids = await _arm_due(db_url, user_id, start)
        armed_by = (datetime.now(UTC) - start).total_seconds()
        if armed_by > 0:
            raise RuntimeError(f"arming took {armed_by:.1f} s past the minute's start")
        values = await _latencies(db, ids, within=LEAD_SECONDS + DUE_WINDOW_SECONDS + 120)
    finally:
        worker.terminate()
        worker.wait(30)
    values.sort()
    return {
        "pending": PENDING_STEPS[-1] + DUE,
        "due_in_one_minute": DUE,
        "fired": len(values),
        "latency_ms": {
            "p50": round(common.percentile(values, 50), 1),
            "p99": round(common.percentile(values, 99), 1),
            "max": round(values[-1], 1) if values else None,
        },
        "poll_ms_by_pending": poll,
        "poll_ratio_100k_to_1k": ratio,
    }
