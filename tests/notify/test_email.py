"""Reminder emails, sent over SMTP to a real aiosmtpd server started by the test."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import signup
from tests.notify.conftest import Inbox
from tests.servers import free_port
from todochat.notify.email import EmailSender, SmtpServer

TASK = {
    "id": 4,
    "title": "Call the dentist",
    "description": "Ask about Thursday",
    "due_at": "2030-06-03T15:00:00Z",
}


def _sender(
    sessionmaker: async_sessionmaker[AsyncSession], port: int, query: str = "?starttls=false"
) -> EmailSender:
    server = SmtpServer.from_url(f"smtp://127.0.0.1:{port}{query}", "todochat <r@example.com>")
    return EmailSender(sessionmaker, server, timeout_seconds=5)


async def test_reminder_email_reaches_the_user(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    account = await signup(client, time_zone="America/New_York")
    error = await _sender(sessionmaker, port).send_reminder(
        uuid.UUID(account.id), "dlv_abc123", TASK
    )
    assert error is None
    [(envelope, message)] = handler.messages
    assert envelope.rcpt_tos == [account.email]
    assert envelope.mail_from == "r@example.com"
    assert message["Subject"] == "Reminder: Call the dentist"
    assert message["X-Todochat-Delivery-Id"] == "dlv_abc123"
    assert "dlv_abc123" in message["Message-ID"]
    body = message.get_content()
    assert "Ask about Thursday" in body
    assert "11:00 (America/New_York)" in body  # 15:00 UTC in New York, summer time


async def test_users_can_turn_reminder_emails_off(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    account = await signup(client)
    settings = await client.get(account.url("/notifications"), headers=account.headers)
    assert settings.json() == {"email_reminders": True, "email_available": False}
    off = await client.put(
        account.url("/notifications"), json={"email_reminders": False}, headers=account.headers
    )
    assert off.status_code == 200 and off.json()["email_reminders"] is False
    sender = _sender(sessionmaker, port)
    assert await sender.send_reminder(uuid.UUID(account.id), "dlv_1", TASK) is None
    assert handler.messages == []
    on = await client.put(
        account.url("/notifications"), json={"email_reminders": True}, headers=account.headers
    )
    assert on.json()["email_reminders"] is True
    assert await sender.send_reminder(uuid.UUID(account.id), "dlv_2", TASK) is None
    assert len(handler.messages) == 1


@pytest.mark.parametrize(
    "body", [{}, {"email_reminders": "sometimes"}, {"email_reminders": True, "sms": True}]
)
async def test_bad_notification_settings_are_422(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    account = await signup(client)
    response = await client.put(account.url("/notifications"), json=body, headers=account.headers)
    assert response.status_code == 422 and set(response.json()) == {"error", "detail"}


async def test_smtp_failures_are_reported_for_a_retry(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    account = await signup(client)
    handler.refuse = True
    error = await _sender(sessionmaker, port).send_reminder(uuid.UUID(account.id), "dlv_x", TASK)
    assert error is not None and "451" in error
    nobody = free_port()
    error = await _sender(sessionmaker, nobody).send_reminder(uuid.UUID(account.id), "dlv_y", TASK)
    assert error is not None and error.startswith(("connection failed", "SMTPConnect"))


def test_smtp_urls() -> None:
    server = SmtpServer.from_url("smtps://me%40example.com:p%40ss@mail.example.com")
    assert (server.hostname, server.port, server.use_tls) == ("mail.example.com", 465, True)
    assert (server.username, server.password) == ("me@example.com", "p@ss")
    assert server.sender == "todochat <me@example.com>"
    plain = SmtpServer.from_url("smtp://relay:2525?starttls=true")
    assert (plain.port, plain.use_tls, plain.start_tls) == (2525, False, True)
    assert plain.sender == "todochat <noreply@relay>"
    assert SmtpServer.from_url("smtp://relay").start_tls is None
    for bad in ("http://relay", "smtp://", "relay:25"):
        with pytest.raises(ValueError, match="smtp_url"):
            SmtpServer.from_url(bad)
