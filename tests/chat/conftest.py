"""Chat test helpers: apps with a chosen model, SSE parsing, and reading state over REST.

Each test that needs a particular model or settings builds its own app (cheap: the engine is the
session's), so no test changes the state of an app another test uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from agents import Model
from agents.testing import ScriptedModel
from fastapi import FastAPI
from httpx_sse import EventSource
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import running_lifespan
from tests.factories import Account, signup
from todochat.api.app import create_app
from todochat.chat.turn import ChatTurns
from todochat.config import Settings


@dataclass
class ChatApp:
    """A running app and an in-process client for it."""

    app: FastAPI
    client: httpx.AsyncClient

    @property
    def turns(self) -> ChatTurns:
        """The app's chat turns (to reach its model)."""
        turns: ChatTurns = self.app.state.turns
        return turns

    async def signup(self, **fields: Any) -> Account:
        """A fresh user of this app."""
        return await signup(self.client, **fields)

    async def chat(
        self, account: Account, message: str, conversation_id: int | None = None
    ) -> httpx.Response:
        """POST one chat message."""
        return await self.client.post(
            account.url("/chat"), json=_body(message, conversation_id), headers=account.headers
        )

    async def say(
        self, account: Account, message: str, conversation_id: int | None = None
    ) -> dict[str, Any]:
        """One successful chat turn's JSON body."""
        response = await self.chat(account, message, conversation_id)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def stream(
        self, account: Account, message: str, conversation_id: int | None = None
    ) -> list[tuple[str, dict[str, Any]]]:
        """One streamed turn, read to the end, as (event, data) pairs."""
        async with self.client.stream(
            "POST",
            account.url("/chat/stream"),
            json=_body(message, conversation_id),
            headers=account.headers,
        ) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            return [event async for event in sse_events(response)]

    async def tasks(self, account: Account) -> list[dict[str, Any]]:
        """Every task of the account over REST, oldest first."""
        response = await self.client.get(
            account.url("/tasks"), params={"limit": 100}, headers=account.headers
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return sorted(items, key=lambda task: task["id"])

    async def conversation(self, account: Account, conversation_id: int) -> dict[str, Any]:
        """A stored conversation with its messages."""
        response = await self.client.get(
            account.url(f"/conversations/{conversation_id}"), headers=account.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _body(message: str, conversation_id: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return body


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a text/event-stream body as they arrive (httpx-sse, as the CLI)."""
    async for event in EventSource(response).aiter_sse():
        yield event.event, event.json()


MakeApp = Callable[..., AbstractAsyncContextManager[ChatApp]]


@pytest.fixture(scope="session")
def make_app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> MakeApp:
    """Build an app on the session DB: `agent_model` replaces its model; keywords are settings."""

    @asynccontextmanager
    async def build(agent_model: Model | None = None, **overrides: Any) -> AsyncIterator[ChatApp]:
        app = create_app(settings.model_copy(update=overrides), sessionmaker)
        async with running_lifespan(app):
            if agent_model is not None:
                # replace() rebuilds the turn's agent around the new model.
                app.state.turns = dataclasses.replace(app.state.turns, model=agent_model)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                yield ChatApp(app, client)

    return build


@pytest.fixture(scope="module")
async def offline(make_app: MakeApp) -> AsyncIterator[ChatApp]:
    """An app running the real offline model (tests sign up their own users)."""
    async with make_app() as chat_app:
        yield chat_app


@pytest.fixture
async def scripted(make_app: MakeApp) -> AsyncIterator[tuple[ChatApp, ScriptedModel]]:
    """An app whose model is a ScriptedModel the test fills in; every step must be used."""
    model = ScriptedModel()
    async with make_app(model) as chat_app:
        yield chat_app, model
    model.assert_complete()
