"""The in-app channel: reminders reach open tabs over SSE, whichever instance fires them.

Firing a reminder sends a PostgreSQL NOTIFY (committed with the firing) naming the user and the
delivery. Each process keeps ONE listening connection (not from the pool) and fans each
notification out to the streams it holds for that user, reading the reminder once per process.
A stream holds no database connection while it waits. Reminders fired while no stream was
open stay unseen and are replayed when the next stream opens, until the UI marks them seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.db.uow import single_statements
from todochat.jobs import connect
from todochat.lifecycle import stopping
from todochat.notify.dispatch import FiredReminder
from todochat.notify.models import Webhook
from todochat.todos.reminders import sent_reminder, unseen_reminders

log = logging.getLogger(__name__)

CHANNEL = "todochat_reminder"
# Notices that are not reminders (a webhook disabled for failing), shown to open tabs only: the
# lasting record is on the webhook itself (GET .../webhooks shows disabled_at and last_error).
NOTICE_CHANNEL = "todochat_notice"
# What a stream's queue carries besides reminders: replay the unseen ones (the listener
# reconnected and may have missed some), or end (the process is shutting down).
_Signal = Literal["resync", "close"]
_STOP_CHECK_SECONDS = 1.0


async def notify_in_app(session: AsyncSession, fired: FiredReminder) -> None:
    """The in-app channel's hook: tell every instance's listener, when the firing commits."""
    payload = json.dumps({"user_id": str(fired.user_id), "delivery_id": str(fired.delivery_id)})
    await session.execute(select(func.pg_notify(CHANNEL, payload)))


async def notify_webhook_disabled(session: AsyncSession, webhook: Webhook) -> None:
    """Tell the user's open tabs that a webhook was disabled, when that commits."""
    payload = json.dumps(
        {
            "user_id": str(webhook.user_id),
            "event": "webhook_disabled",
            "data": {"id": webhook.id, "url": webhook.url, "last_error": webhook.last_error},
        }
    )
    await session.execute(select(func.pg_notify(NOTICE_CHANNEL, payload)))


@dataclass(frozen=True)
class Notice:
    """A named event with its data, for one user's streams."""

    event: str
    data: dict[str, Any]


_Item = FiredReminder | Notice | _Signal


class EventHub:
    """This process's reminder listener and the event streams it feeds."""

    def __init__(self, database_url: str, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.database_url = database_url
        self.sessionmaker = sessionmaker
        self.listening = asyncio.Event()
        self._streams: dict[uuid.UUID, set[asyncio.Queue[_Item]]] = {}
        self._fetches: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set; after a lost connection, reconnect and resync streams."""
        delay = 0.5
        first = True
        while not stop.is_set():
            try:
                connection = await connect(self.database_url)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("event listener cannot connect (%s); retrying in %.0f s", error, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 30.0)
                continue
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _, lost=lost: lost.set())
            try:
                await connection.add_listener(CHANNEL, self._on_notify)
                await connection.add_listener(NOTICE_CHANNEL, self._on_notice)
                self.listening.set()
                delay = 0.5
                if not first:
                    self._broadcast("resync")
                first = False
                waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())}
                _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                for waiter in pending:
                    waiter.cancel()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("event listener lost its connection: %s", error)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await connection.close(timeout=5)
        self._broadcast("close")

    @asynccontextmanager
    async def subscribe(self, user_id: uuid.UUID) -> AsyncIterator[asyncio.Queue[_Item]]:
        """A queue of the user's reminders for as long as the block runs."""
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        self._streams.setdefault(user_id, set()).add(queue)
        try:
            yield queue
        finally:
            streams = self._streams.get(user_id, set())
            streams.discard(queue)
            if not streams:
                self._streams.pop(user_id, None)

    def _on_notice(self, connection: object, pid: int, channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            notice = Notice(str(message["event"]), dict(message["data"]))
            user_id = uuid.UUID(message["user_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed %s notification", NOTICE_CHANNEL)
            return
        for queue in self._streams.get(user_id, ()):
            queue.put_nowait(notice)

    def _on_notify(self, connection: object, pid: int, channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            user_id, delivery_id = uuid.UUID(message["user_id"]), uuid.UUID(message["delivery_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed %s notification", CHANNEL)
            return
        if user_id not in self._streams:
            return  # nobody of that user is connected here: nothing to read
        fetch = asyncio.get_running_loop().create_task(self._deliver(user_id, delivery_id))
        self._fetches.add(fetch)
        fetch.add_done_callback(self._fetches.discard)

    async def _deliver(self, user_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
        async with single_statements(self.sessionmaker) as session:
            found = await sent_reminder(session, user_id, delivery_id)
        if found is None:
            return  # deleted since it fired
        fired = FiredReminder.of(*found)
        for queue in self._streams.get(user_id, ()):
            queue.put_nowait(fired)

    def _broadcast(self, signal: _Signal) -> None:
        for streams in self._streams.values():
            for queue in streams:
                queue.put_nowait(signal)


async def reminder_stream(
    hub: EventHub, user_id: uuid.UUID, keepalive_seconds: float
) -> AsyncIterator[bytes]:
    """The user's reminders as Server-Sent Events: the unseen ones first, then each as it fires."""
    async with hub.subscribe(user_id) as queue:
        sent: set[uuid.UUID] = set()
        yield b"retry: 3000\n: connected\n\n"  # headers out now; reconnect after 3 s if cut
        for frame in await _replay(hub, user_id, sent):
            yield frame
        idle = 0.0
        while not stopping.is_set():
            try:
                item = await asyncio.wait_for(queue.get(), _STOP_CHECK_SECONDS)
            except TimeoutError:
                idle += _STOP_CHECK_SECONDS
                if idle >= keepalive_seconds:
                    idle = 0.0
                    yield b": keep-alive\n\n"
                continue
            idle = 0.0
            if item == "close":
                return
            if item == "resync":
                for frame in await _replay(hub, user_id, sent):
                    yield frame
            elif isinstance(item, Notice):
                yield f"event: {item.event}\ndata: {json.dumps(item.data)}\n\n".encode()
            elif isinstance(item, FiredReminder) and item.delivery_id not in sent:
                sent.add(item.delivery_id)
                yield _frame(item, missed=False)


async def _replay(hub: EventHub, user_id: uuid.UUID, sent: set[uuid.UUID]) -> list[bytes]:
    """Frames for the user's unseen reminders not yet sent on this stream."""
    async with single_statements(hub.sessionmaker) as session:
        unseen = await unseen_reminders(session, user_id)
    frames = []
    for reminder, task in unseen:
        fired = FiredReminder.of(reminder, task)
        if fired.delivery_id not in sent:
            sent.add(fired.delivery_id)
            frames.append(_frame(fired, missed=True))
    return frames


def _frame(fired: FiredReminder, *, missed: bool) -> bytes:
    data = json.dumps({**fired.data(), "missed": missed})
    return f"id: {fired.delivery_id}\nevent: reminder\ndata: {data}\n\n".encode()
