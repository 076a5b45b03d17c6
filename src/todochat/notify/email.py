"""Reminders by email over SMTP (aiosmtplib), when the operator configures a server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.db.uow import single_statements
from todochat.notify.repository import NotificationSettingRepository

_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send mail, read from `smtp[s]://user:password@host:port`."""

    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    # None: upgrade with STARTTLS when the server offers it.
    start_tls: bool | None
    sender: str

    @classmethod
    def from_url(cls, url: str, sender: str | None = None) -> SmtpServer:
        """Parse the URL; `smtps://` is TLS from the start, `smtp://` upgrades when offered.

        `?starttls=false` never upgrades (a local relay), `?starttls=true` insists on it.
        """
        parts = urlsplit(url)
        if parts.scheme not in _PORTS or not parts.hostname:
            raise ValueError("smtp_url must look like smtp://user:password@host:587 or smtps://…")
        options = dict(part.split("=", 1) for part in parts.query.split("&") if "=" in part)
        start_tls: bool | None = None
        if parts.scheme == "smtp" and "starttls" in options:
            start_tls = options["starttls"].lower() in ("1", "true", "yes")
        username = unquote(parts.username) if parts.username else None
        if sender is None:
            address = username if username and "@" in username else f"noreply@{parts.hostname}"
            sender = formataddr(("todochat", address))
        return cls(
            hostname=parts.hostname,
            port=parts.port or _PORTS[parts.scheme],
            username=username,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=start_tls,
            sender=sender,
        )


def reminder_email(
    sender: str,
    recipient: str,
    zone: ZoneInfo,
    task: dict[str, Any],
    delivery_id: str,
) -> EmailMessage:
    """The email for one fired reminder; its Message-ID carries the delivery id."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = f"Reminder: {task['title']}"
    message["Message-ID"] = make_msgid(idstring=delivery_id, domain="todochat")
    message["X-Todochat-Delivery-Id"] = delivery_id
    lines = [str(task["title"])]
    if task.get("due_at"):
        due = datetime.fromisoformat(str(task["due_at"])).astimezone(zone)
        lines.append(f"Due {due:%A %d %B %Y, %H:%M} ({zone.key})")
    if task.get("description"):
        lines += ["", str(task["description"])]
    lines += ["", "— todochat (turn these emails off in your notification settings)"]
    message.set_content("\n".join(lines))
    return message


class EmailSender:
    """Sends reminder emails to users who have not turned them off."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        server: SmtpServer,
        timeout_seconds: float = 30.0,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.server = server
        self.timeout_seconds = timeout_seconds

    async def send_reminder(
        self, user_id: uuid.UUID, delivery_id: str, task: dict[str, Any]
    ) -> str | None:
        """Send once; None when sent (or not wanted), else the error (the queue retries)."""
        async with single_statements(self.sessionmaker) as session:
            recipient = await NotificationSettingRepository(session, user_id).email_recipient()
        if recipient is None:
            return None
        address, time_zone = recipient
        message = reminder_email(
            self.server.sender, address, ZoneInfo(time_zone), task, delivery_id
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=self.server.hostname,
                port=self.server.port,
                username=self.server.username,
                password=self.server.password,
                use_tls=self.server.use_tls,
                start_tls=self.server.start_tls,
                timeout=self.timeout_seconds,
            )
        except aiosmtplib.SMTPException as error:
            return f"{type(error).__name__}: {error}"
        except OSError as error:
            return f"connection failed: {error}"
        return None


class NotificationSettingsService:
    """A user's delivery choices."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.repo = NotificationSettingRepository(session, user_id)

    async def get_email_reminders(self) -> bool:
        """Whether reminders also go by email (when the server sends email at all)."""
        return await self.repo.email_reminders()

    async def set_email_reminders(self, enabled: bool) -> bool:
        """Turn reminder emails on or off; returns the new choice."""
        await self.repo.set_email_reminders(enabled)
        return enabled
