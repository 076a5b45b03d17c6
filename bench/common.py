"""Shared pieces: throwaway databases, seeding with SQL, `todochat serve` processes, statistics."""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

TODOCHAT = str(Path(sys.executable).parent / "todochat")
SECRET = "bench-secret-key-" + "x" * 40
PASSWORD = "correct horse battery staple"
ONE_TOOL_MESSAGE = "add a task to buy milk {n}"
# The bench measures the service, not the per-user abuse limit (60 turns/min by default).
SERVER_ENV = {
    "TODOCHAT_SECRET_KEY": SECRET,
    "TODOCHAT_TURNS_PER_MINUTE": "100000000",
    # ... nor the per-address signup and login limits (every bench client is 127.0.0.1).
    "TODOCHAT_SIGNUPS_PER_ADDRESS": "100000000",
    "TODOCHAT_LOGIN_ATTEMPTS_PER_ADDRESS": "100000000",
    "TODOCHAT_MODEL": "offline",
}


def admin_url() -> str:
    """The PostgreSQL server to create bench databases on (DATABASE_URL's server, or local)."""
    return os.environ.get(
        "BENCH_PG", os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )


def database_url(name: str, port: int | None = None) -> str:
    """A URL to database `name` on the bench server, optionally through another port (the proxy)."""
    from sqlalchemy.engine import make_url

    url = make_url(admin_url()).set(database=name)
    if port is not None:
        url = url.set(host="127.0.0.1", port=port)
    return url.render_as_string(hide_password=False)


async def connect(name: str = "postgres") -> asyncpg.Connection:
    """A plain asyncpg connection (for seeding and admin), never through the proxy."""
    from sqlalchemy.engine import make_url

    url = make_url(admin_url())
    return await asyncpg.connect(
        user=url.username or "postgres",
        password=url.password,
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        database=name,
    )


async def create_database() -> str:
    """A new empty database; returns its name."""
    name = f"bench_{secrets.token_hex(4)}"
    conn = await connect()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    """Drop a bench database even if connections linger."""
    conn = await connect()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# ---- seeding -------------------------------------------------------------------------------


async def seed_conversations(
    db: str, user_id: str, count: int, prior: int, tool_calls: list[Any]
) -> list[int]:
    """`count` conversations of `user_id`, each with exactly `prior` messages (contiguous seq)."""
    conn = await connect(db)
    try:
        ids = [
            row["id"]
            for row in await conn.fetch(
                "INSERT INTO conversation (user_id, title, last_seq) "
                "SELECT $1, 'seeded ' || g, $2 FROM generate_series(1, $3) g RETURNING id",
                uuid.UUID(user_id),
                prior,
                count,
            )
        ]
        await conn.execute(
            """
            INSERT INTO message (conversation_id, user_id, seq, role, content, tool_calls)
            SELECT c, $2, g,
                   CASE WHEN g % 2 = 1 THEN 'user' ELSE 'assistant' END,
                   CASE WHEN g % 2 = 1 THEN 'add a task to buy item ' || g
                        ELSE 'Added #' || g || ' Buy item ' || (g - 1) || '.' END,
                   CASE WHEN g % 2 = 1 THEN '[]'::jsonb ELSE $3::jsonb END
            FROM unnest($1::bigint[]) c, generate_series(1, $4) g
            """,
            ids,
            uuid.UUID(user_id),
            json.dumps(tool_calls),
            prior,
        )
        await conn.execute("ANALYZE message")
    finally:
        await conn.close()
    return ids


async def seed_tasks(db: str, user_id: str, count: int) -> None:
    """`count` tasks for `user_id`, a mix of done and pending, some with due dates and tags."""
    conn = await connect(db)
    try:
        await conn.execute(
            """
            WITH bumped AS (
                UPDATE app_user SET last_task_number = last_task_number + $2
                WHERE id = $1 RETURNING last_task_number - $2 AS base
            )
            INSERT INTO task (user_id, number, title, description, completed, completed_at,
                              priority, tags, due_at)
            SELECT $1, base + g, 'Task number ' || g, 'Seeded for the benchmark', g % 3 = 0,
                   CASE WHEN g % 3 = 0 THEN now() END,
                   (ARRAY['low','medium','high'])[1 + g % 3],
                   CASE WHEN g % 5 = 0 THEN ARRAY['home','errand'] ELSE '{}' END,
                   CASE WHEN g % 4 = 0 THEN now() + (g || ' hours')::interval END
            FROM bumped, generate_series(1, $2) g
            """,
            uuid.UUID(user_id),
            count,
        )
        await conn.execute("ANALYZE task")
    finally:
        await conn.close()


# ---- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `todochat serve` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    workers: int

    def worker_processes(self) -> list[psutil.Process]:
        """The processes that serve requests: the workers (or the one process with 1 worker)."""
        main = psutil.Process(self.process.pid)
        if self.workers == 1:
            return [main]
        children = main.children(recursive=True)
        return [p for p in children if "resource_tracker" not in " ".join(p.cmdline())]

    def listening_workers(self) -> int:
        """How many workers listen on the server's port."""
        port = int(self.base_url.rsplit(":", 1)[1])
        count = 0
        for worker in self.worker_processes():
            try:
                connections = worker.net_connections(kind="tcp")
            except psutil.Error:
                continue
            count += any(
                c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in connections
            )
        return count

    def rss_mb(self) -> list[float]:
        """Each worker's resident set size, MiB."""
        return [round(p.memory_info().rss / 2**20, 1) for p in self.worker_processes()]

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server and its workers."""
        main = psutil.Process(self.process.pid)
        total = 0.0
        for proc in [main, *main.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self) -> None:
        """SIGTERM, then wait (SIGKILL after 30 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(db_url: str, workers: int = 1, extra_env: dict[str, str] | None = None) -> Server:
    """`todochat serve` on a free port; returns once GET /readyz answers 200."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"todochat-bench-serve-{port}.log"
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": db_url, **(extra_env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [TODOCHAT, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log, workers)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                # With several workers, /readyz may come from the first one up: wait until
                # every worker listens on the port (each has its own socket, SO_REUSEPORT).
                if workers == 1 or server.listening_workers() >= workers:
                    return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"server not ready after 180 s:\n{log.read_text(errors='replace')}")


# ---- statistics --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank), or NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Latencies:
    """Latencies in seconds; summarised in milliseconds."""

    values: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """p50/p95/p99/mean in ms and the count."""
        ms = [v * 1000 for v in self.values]
        return {
            "n": len(ms),
            "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2),
            "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
        }


def median(values: Sequence[float]) -> float:
    """The median, or NaN."""
    return statistics.median(values) if values else float("nan")


def load_average() -> float:
    """The 1-minute load average (the machine is shared: a noise indicator)."""
    return round(os.getloadavg()[0], 2)


def upstream() -> tuple[str, int]:
    """Host and port of the bench PostgreSQL server (what the counting proxy forwards to)."""
    from sqlalchemy.engine import make_url

    url = make_url(admin_url())
    return url.host or "127.0.0.1", url.port or 5432


class PostgresCpu:
    """CPU time of the PostgreSQL backends serving one database, sampled so exits are not lost.

    Pooled connections come and go (overflow connections close when returned), and an exited
    backend's CPU can no longer be read: sampling every `interval` seconds loses at most the
    last interval of each exited backend.
    """

    def __init__(self, db: str, interval: float = 0.25) -> None:
        self.db, self.interval = db, interval
        self._seen: dict[int, float] = {}  # pid -> CPU at the last sample
        self._base: dict[int, float] = {}  # pid -> CPU at its first sample (0 if born later)
        self._task: asyncio.Task[None] | None = None

    def _sample(self, first: bool = False) -> None:
        for proc in psutil.process_iter(["name", "cmdline"]):
            try:
                line = " ".join(proc.info["cmdline"] or [])
                if (
                    not (proc.info["name"] or "").startswith("postgres")
                    or f" {self.db} " not in line + " "
                ):
                    continue
                times = proc.cpu_times()
                cpu = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if proc.pid not in self._base:
                self._base[proc.pid] = cpu if first else 0.0
            self._seen[proc.pid] = cpu

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self._sample()

    def start(self) -> None:
        """Begin sampling (call inside a running event loop)."""
        self._sample(first=True)
        self._task = asyncio.get_running_loop().create_task(self._loop())

    def stop(self) -> float:
        """Stop; the CPU seconds used since start()."""
        self._sample()
        if self._task is not None:
            self._task.cancel()
        return sum(self._seen[pid] - self._base[pid] for pid in self._seen)
