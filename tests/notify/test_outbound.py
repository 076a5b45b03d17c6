"""Fired reminders reach webhooks and email through the job queue, retried there."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook as Verifier

from tests.factories import signup
from tests.notify.conftest import Inbox
from tests.notify.receiver import receiving
from tests.notify.reminding import add_reminders
from todochat.config import Settings
from todochat.notify.channels import reminder_channels
from todochat.notify.events import Notice
from todochat.notify.worker import run_reminder_worker


@asynccontextmanager
async def worker(
    settings: Settings, database_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[None]:
    """The reminder worker with every channel, in this process, for the block."""
    stop = asyncio.Event()
    channels = reminder_channels(settings, sessionmaker)
    task = asyncio.create_task(
        run_reminder_worker(settings, database_url, sessionmaker, channels, stop)
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def until(condition: Callable[[], bool], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_fired_reminder_is_posted_signed_and_retried_through_the_queue(
    private_client: httpx.AsyncClient,
    private_settings: Settings,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account = await signup(private_client)
    settings = private_settings.model_copy(update={"webhook_retry_seconds": [0.5, 0.5]})
    async with receiving([503, 200]) as receiver:
        created = await private_client.post(
            account.url("/webhooks"), json={"url": receiver.url}, headers=account.headers
        )
        secret = created.json()["secret"]
        at = datetime.now(UTC) + timedelta(seconds=1)
        [reminder_id] = await add_reminders(sessionmaker, uuid.UUID(account.id), 1, at)
        async with worker(settings, database_url, sessionmaker):
            await until(lambda: len(receiver.requests) == 2)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    payload = Verifier(secret).verify(second.body, second.headers)
    assert payload["type"] == "reminder.due"
    assert payload["data"]["reminder"]["id"] == reminder_id
    assert payload["data"]["reminder"]["delivery_id"] == second.headers["webhook-id"]
    assert payload["data"]["task"]["title"] == "Reminded 0"
    assert json.loads(first.body) == payload
    listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
    [item] = listed.json()["items"]
    assert (item["failures"], item["last_success_at"] is not None) == (0, True)


async def test_a_disabled_webhook_is_announced_on_the_event_stream(
    private_client: httpx.AsyncClient,
    private_app: Any,
    private_settings: Settings,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    account = await signup(private_client)
    settings = private_settings.model_copy(update={"webhook_retry_seconds": [0.2]})
    async with receiving([500]) as receiver:
        created = await private_client.post(
            account.url("/webhooks"), json={"url": receiver.url}, headers=account.headers
        )
        at = datetime.now(UTC) + timedelta(seconds=1)
        async with private_app.state.events.subscribe(uuid.UUID(account.id)) as stream:
            await add_reminders(sessionmaker, uuid.UUID(account.id), 1, at)
            async with worker(settings, database_url, sessionmaker):
                items = []
                while not any(isinstance(item, Notice) for item in items):
                    items.append(await asyncio.wait_for(stream.get(), 60))
    assert len(receiver.requests) == 2
    [notice] = [item for item in items if isinstance(item, Notice)]
    assert notice.event == "webhook_disabled"
    assert notice.data == {
        "id": created.json()["id"],
        "url": receiver.url,
        "last_error": "HTTP 500",
    }
    listed = await private_client.get(account.url("/webhooks"), headers=account.headers)
    assert listed.json()["items"][0]["disabled_at"] is not None


async def test_a_fired_reminder_is_emailed_through_the_queue(
    client: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    handler.refuse = True  # the first attempt is refused (451): the queue retries it
    account = await signup(client)
    smtp = settings.model_copy(
        update={
            "smtp_url": f"smtp://127.0.0.1:{port}?starttls=false",
            "webhook_retry_seconds": [0.5],
        }
    )
    at = datetime.now(UTC) + timedelta(seconds=1)
    await add_reminders(sessionmaker, uuid.UUID(account.id), 1, at)
    async with worker(smtp, database_url, sessionmaker):
        await until(lambda: handler.attempts >= 1)
        handler.refuse = False
        await until(lambda: len(handler.messages) == 1)
    [(envelope, message)] = handler.messages
    assert envelope.rcpt_tos == [account.email]
    assert message["Subject"] == "Reminder: Reminded 0"
    assert message["X-Todochat-Delivery-Id"]
