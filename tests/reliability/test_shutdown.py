"""SIGTERM while turns are in flight: they finish and are stored, new connections are refused."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import signup
from tests.reliability.slow_model import slow_model
from tests.servers import start_server
from todochat.chat.models import Message

pytestmark = pytest.mark.slow

TURN_SECONDS = 2.0


async def stored(
    maker: async_sessionmaker[AsyncSession], conversation_id: int
) -> list[tuple[str, str]]:
    """(role, content) of a conversation's messages, read from the database directly."""
    async with maker() as session:
        rows = await session.execute(
            select(Message.role, Message.content)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.seq)
        )
        return [(role, content) for role, content in rows.all()]


async def wait_until_refused(base_url: str, within: float = 10) -> None:
    """Return once a fresh connection to the server is refused."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=1) as fresh:
                await fresh.get("/healthz")
        except httpx.ConnectError:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the server still accepts connections after SIGTERM")


async def test_sigterm_finishes_in_flight_turns(
    database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A JSON turn and a streamed turn in flight at SIGTERM both complete; exit code 0."""
    with slow_model(reply_delay=TURN_SECONDS) as model:
        env = {"DATABASE_URL": database_url, **model.env()}
        server = await asyncio.to_thread(start_server, tmp_path, env)
        try:
            async with (
                httpx.AsyncClient(base_url=server.base_url, timeout=60) as plain,
                httpx.AsyncClient(base_url=server.base_url, timeout=60) as streaming,
            ):
                account = await signup(plain)

                async def stream_turn() -> list[str]:
                    async with streaming.stream(
                        "POST",
                        account.url("/chat/stream"),
                        json={"message": "streamed goodbye"},
                        headers=account.headers,
                    ) as response:
                        assert response.status_code == 200
                        return [line async for line in response.aiter_lines() if line]

                json_turn = asyncio.create_task(
                    plain.post(
                        account.url("/chat"), json={"message": "goodbye"}, headers=account.headers
                    )
                )
                sse_turn = asyncio.create_task(stream_turn())
                await asyncio.to_thread(model.wait_for_requests, 2)
                server.process.send_signal(signal.SIGTERM)

                await wait_until_refused(server.base_url)
                assert not json_turn.done()  # refused while the turns were still running

                response = await json_turn
                assert response.status_code == 200, response.text
                assert response.json()["response"] == "You said: goodbye"
                lines = await sse_turn
                assert lines[-2] == "event: done"
                done = json.loads(lines[-1].removeprefix("data: "))
                assert done["response"] == "You said: streamed goodbye"

            assert await asyncio.to_thread(server.process.wait, 60) == 0
        finally:
            server.stop(signal.SIGKILL)

    assert await stored(sessionmaker, response.json()["conversation_id"]) == [
        ("user", "goodbye"),
        ("assistant", "You said: goodbye"),
    ]
    assert await stored(sessionmaker, done["conversation_id"]) == [
        ("user", "streamed goodbye"),
        ("assistant", "You said: streamed goodbye"),
    ]
