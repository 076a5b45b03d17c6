"""Turns per minute per user: counted in PostgreSQL, so every instance enforces the same limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import signup
from todochat.api.app import create_app
from todochat.config import Settings

LIMIT = 3


@asynccontextmanager
async def instance(
    settings: Settings, maker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    """An app instance (lifespan held by a task of its own) and a client for it."""
    app: FastAPI = create_app(settings, maker)
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        # anyio cancel scopes in the lifespan must be exited by the task that entered them.
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    holder = asyncio.create_task(hold())
    await asyncio.wait(
        {holder, asyncio.create_task(started.wait())}, return_when=asyncio.FIRST_COMPLETED
    )
    if holder.done():
        holder.result()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        stop.set()
        await holder


async def away_from_a_minute_boundary() -> None:
    """The window is the calendar minute: start early in one so the test stays inside it."""
    second = datetime.now(UTC).second
    if second >= 50:
        await asyncio.sleep(60.5 - second)


async def test_fourth_turn_in_a_minute_is_429_on_any_instance(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Turns on two instances count together; the 4th gets 429 with Retry-After; others unaffected."""
    limited = settings.model_copy(update={"turns_per_minute": LIMIT})
    async with instance(limited, sessionmaker) as one, instance(limited, sessionmaker) as two:
        alice, bob = await signup(one), await signup(one)
        await away_from_a_minute_boundary()
        conversation_id = None
        for client in (one, two, one):
            body = {"message": "what's pending?", "conversation_id": conversation_id}
            response = await client.post(alice.url("/chat"), json=body, headers=alice.headers)
            assert response.status_code == 200, response.text
            conversation_id = response.json()["conversation_id"]

        for client in (two, one):
            body = {"message": "what's pending?", "conversation_id": conversation_id}
            refused = await client.post(alice.url("/chat"), json=body, headers=alice.headers)
            assert refused.status_code == 429
            assert refused.json()["error"] == "rate_limited"
            assert f"the limit is {LIMIT} a minute" in refused.json()["detail"]
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Streaming is a turn too, refused before any stream starts.
        streamed = await two.post(alice.url("/chat/stream"), json=body, headers=alice.headers)
        assert streamed.status_code == 429
        assert streamed.headers["content-type"] == "application/json"

        # A refused turn stores nothing.
        detail = await one.get(
            alice.url(f"/conversations/{conversation_id}"), headers=alice.headers
        )
        assert len(detail.json()["messages"]) == 2 * LIMIT
        # Another user has a budget of their own; the rest of the API is not limited.
        assert (
            await two.post(bob.url("/chat"), json={"message": "hi"}, headers=bob.headers)
        ).status_code == 200
        assert (await one.get(alice.url("/tasks"), headers=alice.headers)).status_code == 200
