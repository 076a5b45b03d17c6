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
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        # The adapted DBAPI error, raised from asyncpg's own exception.
        causes = [error.orig, getattr(error.orig, "__cause__", None)]
    else:
        causes = [error]
    for cause in causes:
        if isinstance(cause, OSError | asyncpg.ConnectionDoesNotExistError):
            return True  # OSError covers TimeoutError and ConnectionError
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_OUTAGE_STATES):
            return True
    return False


def discard_broken_connections(context: ExceptionContext) -> None:
    """SQLAlchemy `handle_error` hook: a connection whose command timed out or whose socket
    failed is closed instead of going back to the pool (SQLAlchemy only recognises asyncpg's
    "connection is closed" on its own), and the pool's other connections are checked too."""
    if isinstance(context.original_exception, OSError):
        context.is_disconnect = True
