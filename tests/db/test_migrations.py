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
