"""Real-PostgreSQL fixtures: one fresh, migrated database per test session.

With DATABASE_URL set, the session's database is created on that server (and dropped at the
end); without it, a throwaway embedded PostgreSQL is started. Tests isolate themselves by
signing up fresh users, so every assertion about a user's data can be exact.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from todochat.api.app import create_app
from todochat.config import Settings
from todochat.db.engine import create_engine, create_sessionmaker, start_embedded
from todochat.db.migrate import upgrade

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256-and-even-for-hs512!!"


def require_tool(path: str, install: str) -> None:
    """Skip the test, saying why, when an optional tool is missing; in CI (`CI` set) fail instead.

    `make test` on a fresh machine passes without extra system packages, while CI (whose
    `.ci/run` installs them) still runs every test.
    """
    if Path(path).exists():
        return
    message = f"{path} is not installed ({install}; .ci/run installs it)"
    if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"{message}, and CI must run this test")
    pytest.skip(message)


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    data_dir = Path(tempfile.mkdtemp(prefix="todochat-test-pg-"))
    # atexit runs last-registered first: the server (registered by start_embedded) stops and
    # deletes its data, then this removes the folder around it.
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    return start_embedded(data_dir, cleanup="delete")


async def _admin(url: str, statement: str) -> None:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username or "postgres",
        password=parsed.password,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database or "postgres",
    )
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_database(server_url: str) -> str:
    """A new empty database on the server; returns its URL."""
    name = f"todochat_test_{secrets.token_hex(4)}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    """Drop a database made by create_database, even if connections linger."""
    name = make_url(url).database
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def server_url() -> str:
    """A PostgreSQL server to create test databases on."""
    return _server_url()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database migrated with `alembic upgrade head`, for the whole session."""
    url = create_database(server_url)
    upgrade(url)
    yield url
    drop_database(server_url, url)


@pytest.fixture
def empty_database_url(server_url: str) -> Iterator[str]:
    """A fresh database with no schema at all (for migration tests)."""
    url = create_database(server_url)
    yield url
    drop_database(server_url, url)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Settings pointing at the session database, with a fixed signing key.

    The in-process app fires no reminders: tests that fire them run worker processes (or the
    dispatcher itself), so they know exactly which dispatchers are at work.
    """
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        reminder_worker=False,
        # Every in-process request comes from 127.0.0.1, and tests sign up users freely.
        login_attempts_per_address=100_000_000,
        signups_per_address=100_000_000,
        oauth_registrations_per_address=100_000_000,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """One engine for the session."""
    assert settings.database_url
    engine = create_engine(settings.database_url, settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the session database."""
    return create_sessionmaker(engine)


@asynccontextmanager
async def running_lifespan(app: FastAPI) -> AsyncIterator[FastAPI]:
    """Run the app's lifespan in a task of its own.

    The lifespan opens task groups (the MCP session manager) that must be closed by the task
    that opened them; pytest may finalise a fixture from another task, so the lifespan gets a
    task whose only job is to enter it, wait, and exit it.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    task = asyncio.create_task(run())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # startup failed: raise its error
    try:
        yield app
    finally:
        stop.set()
        await task


@pytest.fixture(scope="session")
async def app(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FastAPI]:
    """The app, with its lifespan running."""
    async with running_lifespan(create_app(settings, sessionmaker)) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
