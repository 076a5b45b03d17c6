"""An app that lets webhooks reach 127.0.0.1 (TODOCHAT_WEBHOOK_ALLOW_PRIVATE=true)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import running_lifespan
from todochat.api.app import create_app
from todochat.config import Settings


@pytest.fixture(scope="session")
def private_settings(settings: Settings) -> Settings:
    """The test settings with the SSRF guard off, as an operator testing locally would set."""
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture(scope="session")
async def private_app(
    private_settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[object]:
    """The app built with private_settings, lifespan running."""
    async with running_lifespan(create_app(private_settings, sessionmaker)) as app:
        yield app


@pytest.fixture
async def private_client(private_app: object) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of private_app."""
    transport = httpx.ASGITransport(app=private_app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
