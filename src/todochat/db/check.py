"""Before anything starts: is the database there, reachable, and at the schema this code needs?"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

import asyncpg
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from todochat.config import SettingError
from todochat.db.engine import async_url

CONNECT_SECONDS = 10.0
URL_FORM = "postgresql://USER:PASSWORD@HOST:5432/DATABASE"


def check_database(url: str, *, schema_head: str | None = None) -> None:
    """Connect once; SettingError with a one-line cause and fix if that fails.

    With `schema_head`, the database must also be migrated to that revision (for commands that
    do not migrate themselves). Messages name the host and database, never the password.
    """
    try:
        parsed, connect_args = async_url(url)
    except (ArgumentError, ValueError):
        raise SettingError(
            f"DATABASE_URL is not a PostgreSQL URL: write it as {URL_FORM} (or unset it to use "
            "the embedded PostgreSQL)."
        ) from None
    asyncio.run(_check(parsed, connect_args, schema_head))


async def _check(parsed: URL, connect_args: dict[str, Any], schema_head: str | None) -> None:
    host = str(parsed.query.get("host") or parsed.host or "localhost")
    where = f"{host}:{parsed.port or 5432}" if not host.startswith("/") else host
    database = parsed.database or parsed.username or "postgres"
    try:
        connection = await asyncpg.connect(
            user=parsed.username,
            password=parsed.password,
            host=host,
            port=parsed.port,
            database=parsed.database,
            timeout=CONNECT_SECONDS,
            ssl=connect_args.get("ssl"),
        )
    except asyncpg.InvalidCatalogNameError:
        raise SettingError(
            f"DATABASE_URL names database {database!r}, which does not exist on {where}: create "
            f"it (createdb -h {host} -p {parsed.port or 5432} {database}) or fix the name in the URL."
        ) from None
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as error:
        raise SettingError(
            f"DATABASE_URL: PostgreSQL at {where} refused user {parsed.username!r} ({error}): "
            "fix the user or password in the URL."
        ) from None
    except (OSError, TimeoutError) as error:
        reason = _reason(error)
        raise SettingError(
            f"DATABASE_URL: cannot reach PostgreSQL at {where} ({reason}): start it, or fix the "
            "host and port in the URL."
        ) from None
    except asyncpg.PostgresError as error:
        raise SettingError(
            f"DATABASE_URL: PostgreSQL at {where} refused the connection ({error})."
        ) from None
    try:
        if schema_head is not None:
            await _check_schema(connection, database, schema_head)
    finally:
        await connection.close()


def _reason(error: OSError | TimeoutError) -> str:
    """ "Connection refused", "Name or service not known", "no answer": the cause, briefly."""
    if isinstance(error, TimeoutError) or not isinstance(error, OSError):
        return f"no answer within {CONNECT_SECONDS:g} seconds"
    if error.errno and error.errno > 0:
        return os.strerror(error.errno)  # asyncio's strerror repeats the address instead
    return error.strerror or "unreachable"


async def _check_schema(connection: asyncpg.Connection, database: str, head: str) -> None:
    try:
        current = await connection.fetchval("SELECT version_num FROM alembic_version")
    except asyncpg.UndefinedTableError:
        current = None
    if current == head:
        return
    state = "has no todochat tables" if current is None else f"is at schema {current}, not {head}"
    raise SettingError(
        f"DATABASE_URL: database {database!r} {state}: run `todochat db upgrade` (with the same "
        "DATABASE_URL) first."
    )


def check_port(host: str, port: int) -> None:
    """SettingError if something already listens on host:port (before migrations, not after)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As uvicorn binds: SO_REUSEADDR allows a port in TIME_WAIT, never one in use.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            raise SettingError(
                f"--port {port}: cannot listen on {host}:{port} ({error.strerror}): stop what "
                f"listens there or choose another port (todochat serve --port {port + 1}, "
                f"make run PORT={port + 1})."
            ) from None
