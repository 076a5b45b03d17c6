"""The reminder worker: runs the job queue with the dispatcher and every channel's jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.config import Settings
from todochat.db.engine import create_engine, create_sessionmaker
from todochat.jobs import run_worker
from todochat.notify.channels import Channels, reminder_channels
from todochat.notify.dispatch import Dispatcher
from todochat.todos.reminders import FIRE_REMINDER

log = logging.getLogger(__name__)


async def run_reminder_worker(
    settings: Settings,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    channels: Channels,
    stop: asyncio.Event,
) -> None:
    """Fire reminders (and run the channels' jobs) until `stop` is set; restart after errors."""
    dispatcher = Dispatcher(sessionmaker, channels.hooks)

    async def fire(payload: dict[str, Any]) -> None:
        await dispatcher.fire(payload)

    delay = 1.0
    while not stop.is_set():
        try:
            await run_worker(
                database_url,
                {FIRE_REMINDER: fire, **channels.jobs},
                stop,
                heartbeat_timeout=timedelta(seconds=settings.reminder_heartbeat_seconds),
                concurrency=settings.reminder_concurrency,
            )
        except Exception:
            # The database went away (a restart, a failover): jobs wait in it, so start again.
            log.exception("reminder worker stopped; restarting in %.0f s", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 30.0)
        else:
            delay = 1.0


async def serve_worker(settings: Settings, database_url: str) -> None:
    """`todochat worker`: the reminder worker alone, until SIGTERM or SIGINT."""
    engine = create_engine(database_url, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        sessionmaker = create_sessionmaker(engine)
        channels = reminder_channels(settings, sessionmaker)
        log.info("reminder worker started")
        await run_reminder_worker(settings, database_url, sessionmaker, channels, stop)
    finally:
        await engine.dispose()
    log.info("reminder worker stopped")
