"""Telling a database outage (unreachable, connection dropped, no answer) from other errors."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError

# Connection exceptions (class 08), the server shutting down or not yet up (57P01-57P03), and
# no connection slot free (53300): the request may succeed on a retry.
_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_outage(error: BaseException) -> bool:
    """Whether `error` means PostgreSQL was unreachable, dropped the connection or timed out.

    asyncpg raises OSError (refused, reset) and TimeoutError (connect or command timeout)
    unwrapped; SQLAlchemy wraps the rest in DBAPIError around asyncpg's own exception.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError | asyncpg.ConnectionDoesNotExistError):
            return True  # OSError covers TimeoutError and ConnectionError
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_OUTAGE_STATES):
            return True
        current = current.orig if isinstance(current, DBAPIError) else current.__cause__
    return False


def discard_broken_connections(context: ExceptionContext) -> None:
    """SQLAlchemy `handle_error` hook: a connection whose command timed out or whose socket
    failed is closed instead of going back to the pool (SQLAlchemy only recognises asyncpg's
    "connection is closed" on its own), and the pool's other connections are checked too."""
    if isinstance(context.original_exception, OSError):
        context.is_disconnect = True
