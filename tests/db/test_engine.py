"""DATABASE_URL handling: libpq, Neon and SQLAlchemy spellings all become asyncpg URLs."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError
from sqlalchemy import event, text

from todochat.config import Settings
from todochat.db.engine import async_url, create_engine, is_pooled


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@host:5432/db",
        "postgres://u:p@host:5432/db",
        "postgresql+asyncpg://u:p@host:5432/db",
        "postgresql+psycopg://u:p@host:5432/db",
    ],
)
def test_schemes_become_asyncpg(url: str) -> None:
    parsed, connect_args = async_url(url)
    assert parsed.drivername == "postgresql+asyncpg"
    assert (parsed.username, parsed.password, parsed.host, parsed.port, parsed.database) == (
        "u",
        "p",
        "host",
        5432,
        "db",
    )
    assert connect_args == {}


def test_neon_url_options_are_translated() -> None:
    url = "postgresql://neondb_owner:secret@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require&channel_binding=require"
    parsed, connect_args = async_url(url)
    assert dict(parsed.query) == {}
    assert connect_args == {"ssl": "require"}


def test_sslmode_disable_means_no_ssl() -> None:
    _, connect_args = async_url("postgresql://u@h/db?sslmode=disable&connect_timeout=5")
    assert connect_args == {"timeout": 5.0}


def test_non_postgres_url_is_refused() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        async_url("mysql://u@h/db")


def test_pooled_hosts_are_detected() -> None:
    settings = Settings(database_url=None)
    assert is_pooled("postgresql://u@ep-x-pooler.eu-central-1.aws.neon.tech/db", settings)
    assert not is_pooled("postgresql://u@ep-x.eu-central-1.aws.neon.tech/db", settings)
    assert is_pooled("postgresql://u@localhost/db", Settings(database_pooled=True))


async def test_pooled_engine_works_without_statement_cache(database_url: str) -> None:
    """The PgBouncer-safe settings still run queries (prepared statements get unique names)."""
    from sqlalchemy import text

    engine = create_engine(database_url, Settings(database_pooled=True))
    try:
        for _ in range(3):
            async with engine.connect() as conn:
                assert (
                    await conn.scalar(
                        text("SELECT count(*) FROM app_user WHERE email = :e"), {"e": "x"}
                    )
                    == 0
                )
    finally:
        await engine.dispose()


def test_pgbouncer_marker_is_not_passed_to_asyncpg() -> None:
    url = "postgresql://u@h/db?pgbouncer=true"
    parsed, _ = async_url(url)
    assert dict(parsed.query) == {}
    assert is_pooled(url, Settings(database_url=None))


async def test_the_pool_keeps_a_fixed_set_of_connections(database_url: str) -> None:
    # Connections beyond the pool would be opened and closed again under load (a backend fork
    # and an authentication each); instead a request waits for one of the pool's connections.
    engine = create_engine(database_url, Settings(database_pool_size=2))
    opened = 0

    def count(*_: object) -> None:
        nonlocal opened
        opened += 1

    event.listen(engine.sync_engine, "connect", count)
    try:
        async with engine.connect() as first, engine.connect() as second:
            assert await first.scalar(text("select 1")) == await second.scalar(text("select 1"))
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5):
                    await engine.connect().start()
        for _ in range(5):  # reused, never reopened
            async with engine.connect() as again:
                await again.scalar(text("select 1"))
        assert opened == 2
    finally:
        await engine.dispose()


def test_the_pool_size_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        Settings(database_pool_size=0)


def test_the_pool_wait_stays_shorter_than_a_claim_renewal_can_afford() -> None:
    assert Settings().pool_timeout == 5.0
    assert Settings(turn_claim_seconds=3).pool_timeout == 1.5
    assert Settings(database_pool_timeout=2).pool_timeout == 2
    # A heartbeat waiting 12 s for a connection would let a 15 s claim lapse mid-turn.
    with pytest.raises(
        ValidationError, match="TODOCHAT_DATABASE_POOL_TIMEOUT must be under two thirds"
    ):
        Settings(database_pool_timeout=12)
