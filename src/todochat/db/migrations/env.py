"""Alembic environment: async engine, one advisory lock so concurrent starts migrate once."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from todochat.db.engine import async_url
from todochat.db.metadata import metadata

# Any constant shared by every instance; taken for the duration of the migration.
MIGRATION_LOCK_ID = 0x70D0C4A7


def run_migrations(connection: Connection) -> None:
    """Run the migrations under a transaction-scoped advisory lock."""
    context.configure(
        connection=connection, target_metadata=metadata, transaction_per_migration=False
    )
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


async def run_async() -> None:
    """Connect with asyncpg and migrate."""
    url, connect_args = async_url(
        context.config.attributes.get("database_url") or os.environ["DATABASE_URL"]
    )
    # Statement cache off: migrations may run through PgBouncer too.
    connect_args["statement_cache_size"] = 0
    engine = create_async_engine(url, connect_args=connect_args, poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


def run_in_thread() -> None:
    """Alembic may be called from inside a running event loop (tests, app start): use a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_async())
        return
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run_async())
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


if context.is_offline_mode():
    raise SystemExit("Offline SQL generation is not supported; run against a database.")
run_in_thread()
