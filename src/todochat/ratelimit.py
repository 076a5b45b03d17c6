"""Fixed-window counters in PostgreSQL, shared by every instance.

One table counts everything that is rate-limited: a user's chat turns (`turn:<user id>`, one-minute
windows, counted in the turn's first statement: chat/statements.py), login attempts per account
(`login:<canonical email>`) and per client address (`login-from:<address>`), signups per address
(`signup-from:<address>`). An attempt is counted before any work is done for it, so a refused
one costs one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import DateTime, Index, Integer, Interval, Table, Text, func, literal, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from todochat.db.base import Base
from todochat.errors import RateLimited


class RateWindow(Base):
    """How many times a subject did something in one window.

    UNLOGGED: counters lost in a database crash are harmless, and updating them waits for no
    WAL flush (a turn's count shares its statement with reading the user).
    """

    __tablename__ = "rate_window"
    __table_args__ = (
        # Finds finished windows of every subject, e.g. of addresses never seen again.
        Index("ix_rate_window_window_start", "window_start"),
        {"prefixes": ["UNLOGGED"]},
    )

    subject: Mapped[str] = mapped_column(Text, primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, server_default="0")


rate_window = cast(Table, RateWindow.__table__)

# Windows are aligned on multiples of their length since the epoch, so every instance agrees.
_EPOCH = literal(datetime.fromisoformat("1970-01-01T00:00:00+00:00"), DateTime(timezone=True))


def _span(seconds: int) -> Any:
    return literal(timedelta(seconds=seconds), Interval())


def _window(seconds: int) -> Any:
    """The start of the current window."""
    return func.date_bin(_span(seconds), func.now(), _EPOCH)


@dataclass(frozen=True)
class Limit:
    """At most `limit` events of `subject` per window; `message` tells the client why not."""

    subject: str
    limit: int
    message: str


async def count_attempt(session: AsyncSession, limits: list[Limit], window_seconds: int) -> None:
    """Count one event for each subject in the current window (dropping finished windows), in
    one statement; RateLimited, with the seconds until the window ends, if one is over its limit.
    """
    span = _span(window_seconds)
    window = _window(window_seconds)
    # Every subject's finished windows: a window older than both this one's length and a chat
    # turn's minute is over, whatever kind it is.
    finished = func.now() - func.greatest(span, _span(60))
    purge = rate_window.delete().where(rate_window.c.window_start < finished).cte("purge")
    statement = (
        insert(rate_window)
        .values(
            [{"subject": limit.subject, "window_start": window, "count": 1} for limit in limits]
        )
        .on_conflict_do_update(
            index_elements=[rate_window.c.subject, rate_window.c.window_start],
            set_={"count": rate_window.c.count + 1},
        )
        .returning(
            rate_window.c.subject,
            rate_window.c.count,
            func.extract("epoch", rate_window.c.window_start + span - func.now()),
        )
        .add_cte(purge)
    )
    counts = {row[0]: (row[1], row[2]) for row in await session.execute(statement)}
    for limit in limits:
        count, seconds_left = counts[limit.subject]
        if count > limit.limit:
            retry_after = max(1, int(seconds_left) + 1)
            raise RateLimited(f"{limit.message} Try again in {retry_after} s.", retry_after)


async def uncount_attempt(session: AsyncSession, subject: str, window_seconds: int) -> None:
    """Take back an event counted in the current window (e.g. a login that succeeded)."""
    await session.execute(
        update(rate_window)
        .where(
            rate_window.c.subject == subject,
            rate_window.c.window_start == _window(window_seconds),
        )
        .values(count=rate_window.c.count - 1)
    )
