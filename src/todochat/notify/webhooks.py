"""Webhooks: registration rules, Standard Webhooks signing, and one delivery attempt.

Deliveries follow https://www.standardwebhooks.com: every POST carries `webhook-id` (the
reminder's delivery id, the same on every retry, so receivers can deduplicate),
`webhook-timestamp` and `webhook-signature` (HMAC-SHA256 of `id.timestamp.body` with the
endpoint's `whsec_` secret), signed by the `standardwebhooks` package. Only a 2xx answer counts
as delivered; redirects are not followed.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpcore
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook as Signer

from todochat.db.uow import single_statements, unit_of_work
from todochat.errors import Conflict, InvalidInput, NotFound
from todochat.notify.addresses import (
    GuardedBackend,
    UnsafeAddress,
    public_addresses,
    webhook_host_port,
)
from todochat.notify.models import Webhook
from todochat.notify.repository import WebhookRepository

MAX_WEBHOOKS = 10
USER_AGENT = "todochat-webhooks/1"


class WebhookNotFound(NotFound):
    """No webhook with this id for the user."""

    def __init__(self, webhook_id: int) -> None:
        super().__init__(f"Webhook {webhook_id} not found.")


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookService:
    """One user's webhook endpoints."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID, allow_private: bool) -> None:
        self.repo = WebhookRepository(session, user_id)
        self.allow_private = allow_private

    async def create_webhook(self, url: str) -> Webhook:
        """Register a URL; refuses non-public targets unless the operator allows them."""
        try:
            host, port = webhook_host_port(url)
            await public_addresses(host, port, self.allow_private)
        except (ValueError, UnsafeAddress) as error:
            raise InvalidInput(f"url: {error}.") from error
        if await self.repo.count_webhooks() >= MAX_WEBHOOKS:
            raise InvalidInput(f"A user can register at most {MAX_WEBHOOKS} webhooks.")
        webhook = await self.repo.add_webhook(url, new_secret())
        if webhook is None:
            raise Conflict(f"{url} is already registered as a webhook.")
        return webhook

    async def list_webhooks(self) -> list[Webhook]:
        """Every webhook of the user, with how its deliveries go."""
        return await self.repo.list_webhooks()

    async def get_webhook(self, webhook_id: int) -> Webhook:
        """The webhook, or WebhookNotFound."""
        webhook = await self.repo.get_webhook(webhook_id)
        if webhook is None:
            raise WebhookNotFound(webhook_id)
        return webhook

    async def enable_webhook(self, webhook_id: int) -> Webhook:
        """Send to a disabled webhook again (after its receiver is fixed)."""
        webhook = await self.repo.enable_webhook(webhook_id)
        if webhook is None:
            raise WebhookNotFound(webhook_id)
        return webhook

    async def delete_webhook(self, webhook_id: int) -> None:
        """Stop sending to this webhook; pending retries are dropped."""
        if not await self.repo.delete_webhook(webhook_id):
            raise WebhookNotFound(webhook_id)


def reminder_body(data: dict[str, Any], fired_at: datetime) -> str:
    """The JSON body of a `reminder.due` event, exactly the bytes that are signed and sent."""
    payload = {
        "type": "reminder.due",
        "timestamp": fired_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def signed_headers(secret: str, message_id: str, body: str, now: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for this body."""
    timestamp = now.astimezone(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, timestamp, body),
    }


async def post_signed(
    url: str,
    secret: str,
    message_id: str,
    body: str,
    *,
    allow_private: bool,
    timeout_seconds: float,
    now: datetime,
) -> str | None:
    """POST the signed body once; None when the receiver answered 2xx, else what went wrong."""
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        **signed_headers(secret, message_id, body, now),
    }
    try:
        async with httpcore.AsyncConnectionPool(
            network_backend=GuardedBackend(allow_private), retries=0
        ) as pool:
            async with pool.stream(
                "POST",
                url,
                headers=list(headers.items()),
                content=body.encode(),
                extensions={
                    "timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout_seconds)
                },
            ) as response:
                status = response.status
    except UnsafeAddress as error:
        return f"refused: {error}"
    except httpcore.TimeoutException:
        return f"no answer within {timeout_seconds:g} s"
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as error:
        return f"connection failed: {error or type(error).__name__}"
    if 200 <= status < 300:
        return None
    return f"HTTP {status}"


@dataclass(frozen=True)
class WebhookMessage:
    """One reminder on its way to one webhook; `attempt` counts from 0."""

    webhook_id: int
    user_id: uuid.UUID
    delivery_id: str
    body: str
    attempt: int = 0

    def retry(self) -> WebhookMessage:
        """The same message, one attempt later."""
        return WebhookMessage(
            self.webhook_id, self.user_id, self.delivery_id, self.body, self.attempt + 1
        )

    def to_payload(self) -> dict[str, Any]:
        """The message as a job payload (JSON)."""
        return {
            "webhook_id": self.webhook_id,
            "user_id": str(self.user_id),
            "delivery_id": self.delivery_id,
            "body": self.body,
            "attempt": self.attempt,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> WebhookMessage:
        """The message a job payload holds."""
        return cls(
            int(payload["webhook_id"]),
            uuid.UUID(payload["user_id"]),
            str(payload["delivery_id"]),
            str(payload["body"]),
            int(payload["attempt"]),
        )


OnDisabled = Callable[[AsyncSession, Webhook], Awaitable[None]]
# Queues the next attempt in the session's transaction, to run after the delay.
ScheduleRetry = Callable[[AsyncSession, WebhookMessage, timedelta], Awaitable[None]]


class WebhookSender:
    """Makes delivery attempts and records how they went; the queue schedules the retries."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        retry_seconds: list[float],
        timeout: float,
        allow_private: bool,
        schedule_retry: ScheduleRetry,
        on_disabled: OnDisabled | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.retry_seconds = retry_seconds
        self.timeout = timeout
        self.allow_private = allow_private
        self.schedule_retry = schedule_retry
        self.on_disabled = on_disabled
        self.clock = clock

    async def attempt(self, message: WebhookMessage) -> float | None:
        """Send once; on failure schedule the next attempt and return its delay (None: done).

        After the last retry fails the webhook is disabled and the user told (on_disabled).
        No database connection is held while the receiver answers.
        """
        async with single_statements(self.sessionmaker) as session:
            webhook = await WebhookRepository(session, message.user_id).get_webhook(
                message.webhook_id
            )
        if webhook is None or webhook.disabled_at is not None:
            return None  # deleted or disabled meanwhile: nothing left to do
        error = await post_signed(
            webhook.url,
            webhook.secret,
            message.delivery_id,
            message.body,
            allow_private=self.allow_private,
            timeout_seconds=self.timeout,
            now=self.clock(),
        )
        give_up = error is not None and message.attempt >= len(self.retry_seconds)
        delay = None if error is None or give_up else self.retry_seconds[message.attempt]
        # The outcome, the next attempt and the user's notice commit together: a crash before
        # the commit leaves the job to be run again (the receiver deduplicates by webhook-id).
        async with unit_of_work(self.sessionmaker) as session:
            recorded = await WebhookRepository(session, message.user_id).record_attempt(
                message.webhook_id, error, disable=give_up, now=self.clock()
            )
            if recorded is None:
                return None  # deleted while we were sending
            if delay is not None:
                await self.schedule_retry(session, message.retry(), timedelta(seconds=delay))
            if give_up and self.on_disabled is not None:
                await self.on_disabled(session, recorded)
        return delay
