"""Units of work: the only place in the product that commits (or chooses autocommit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.db.engine import POOLED_OPTION


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Open a session in a transaction; commit if the block succeeds, roll back if it raises."""
    async with sessionmaker() as session, session.begin():
        yield session


@asynccontextmanager
async def single_statements(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in autocommit mode, for work where each statement stands alone.

    PostgreSQL runs every statement atomically, so work that is one statement (or several
    independent ones) needs no BEGIN/COMMIT: two round trips saved per unit of work.
    """
    async with sessionmaker() as session:
        if session.info.get(POOLED_OPTION):
            # Behind PgBouncer in transaction mode a statement's prepare and execute may land on
            # different server connections unless a transaction pins them together.
            async with session.begin():
                yield session
            return
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
