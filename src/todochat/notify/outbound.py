"""The webhook and email channels of fired reminders: hooks that queue jobs, and the jobs.

The hooks run inside the transaction that fires the reminder, so they only queue work (one job
per webhook, one for the email): the sending happens in those jobs, each retried on its own
schedule, and a crash before a job commits its outcome runs it again with the same delivery id.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.config import Settings
from todochat.db.uow import unit_of_work
from todochat.jobs import JobHandler, enqueue_jobs
from todochat.notify.dispatch import FiredReminder, ReminderHook
from todochat.notify.email import EmailSender, SmtpServer
from todochat.notify.repository import WebhookRepository
from todochat.notify.webhooks import OnDisabled, WebhookMessage, WebhookSender, reminder_body

log = logging.getLogger(__name__)

WEBHOOK_JOB = "deliver_webhook"
EMAIL_JOB = "send_reminder_email"


async def queue_webhooks(session: AsyncSession, fired: FiredReminder) -> None:
    """Queue one delivery per active webhook of the user, committed with the firing."""
    webhooks = await WebhookRepository(session, fired.user_id).active_webhooks()
    if not webhooks:
        return
    body = reminder_body(fired.data(), fired.sent_at)
    messages = [
        WebhookMessage(webhook.id, fired.user_id, str(fired.delivery_id), body).to_payload()
        for webhook in webhooks
    ]
    await enqueue_jobs(session, WEBHOOK_JOB, messages, [timedelta(0)] * len(messages))


async def queue_email(session: AsyncSession, fired: FiredReminder) -> None:
    """Queue the reminder's email, committed with the firing."""
    payload = {
        "user_id": str(fired.user_id),
        "delivery_id": str(fired.delivery_id),
        "task": fired.task.model_dump(mode="json"),
        "attempt": 0,
    }
    await enqueue_jobs(session, EMAIL_JOB, [payload], [timedelta(0)])


def outbound_channels(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    on_webhook_disabled: OnDisabled | None = None,
) -> tuple[list[ReminderHook], dict[str, JobHandler]]:
    """The hooks and job handlers of the webhook channel, and of email when SMTP is set."""
    hooks: list[ReminderHook] = [queue_webhooks]
    jobs: dict[str, JobHandler] = {}

    async def schedule_webhook(
        session: AsyncSession, message: WebhookMessage, delay: timedelta
    ) -> None:
        await enqueue_jobs(session, WEBHOOK_JOB, [message.to_payload()], [delay])

    sender = WebhookSender(
        sessionmaker,
        retry_seconds=settings.webhook_retry_seconds,
        timeout=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private,
        schedule_retry=schedule_webhook,
        on_disabled=on_webhook_disabled,
    )

    async def deliver_webhook(payload: dict[str, Any]) -> None:
        await sender.attempt(WebhookMessage.from_payload(payload))

    jobs[WEBHOOK_JOB] = deliver_webhook
    if settings.smtp_url:
        mailer = EmailSender(
            sessionmaker, SmtpServer.from_url(settings.smtp_url, settings.smtp_from)
        )
        retry_seconds = settings.webhook_retry_seconds

        async def send_email(payload: dict[str, Any]) -> None:
            user_id = uuid.UUID(payload["user_id"])
            error = await mailer.send_reminder(user_id, payload["delivery_id"], payload["task"])
            if error is None:
                return
            attempt = int(payload.get("attempt", 0))
            if attempt >= len(retry_seconds):
                log.warning("reminder email %s given up: %s", payload["delivery_id"], error)
                return
            log.info("reminder email %s failed (%s); retrying", payload["delivery_id"], error)
            async with unit_of_work(sessionmaker) as session:
                await enqueue_jobs(
                    session,
                    EMAIL_JOB,
                    [{**payload, "attempt": attempt + 1}],
                    [timedelta(seconds=retry_seconds[attempt])],
                )

        hooks.append(queue_email)
        jobs[EMAIL_JOB] = send_email
    return hooks, jobs
