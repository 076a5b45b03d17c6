"""An app that lets webhooks reach 127.0.0.1 (TODOCHAT_WEBHOOK_ALLOW_PRIVATE=true), and an SMTP inbox."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import running_lifespan
from tests.servers import free_port
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


class Inbox:
    """An aiosmtpd handler keeping every message it accepts (or refusing them all)."""

    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self.refuse = False
        self.attempts = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.refuse:
            return "451 Try again later"
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope, parsed))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server for the test, and its port."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
