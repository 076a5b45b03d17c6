"""Alembic: upgrade from empty and downgrade to base both work."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from todochat.db.migrate import downgrade, upgrade


async def _tables(url: str) -> set[str]:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database,
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await conn.close()


async def test_upgrade_from_empty_then_downgrade_to_base(empty_database_url: str) -> None:
    assert await _tables(empty_database_url) == set()
    upgrade(empty_database_url)
    assert {
        "app_user",
        "task",
        "conversation",
        "message",
        "app_setting",
        "alembic_version",
    } <= await _tables(empty_database_url)
    upgrade(empty_database_url)  # idempotent
    downgrade(empty_database_url, "base")
    assert await _tables(empty_database_url) == {"alembic_version"}
    upgrade(empty_database_url)
    assert "task" in await _tables(empty_database_url)


async def test_concurrent_upgrades_migrate_once(empty_database_url: str) -> None:
    """Several instances starting at once: the advisory lock lets one migrate, the others wait.

    Real processes: Alembic keeps its context in module globals, so threads would not do.
    """
    import asyncio
    import os
    import sys
    from pathlib import Path

    todochat = str(Path(sys.executable).parent / "todochat")
    env = {**os.environ, "DATABASE_URL": empty_database_url}
    processes = [
        await asyncio.create_subprocess_exec(
            todochat,
            "db",
            "upgrade",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    assert [process.returncode for process in processes] == [0, 0, 0, 0], outputs
    assert "task" in await _tables(empty_database_url)
