"""Every query of the delivery channels; always scoped to one user."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.accounts.models import User
from todochat.notify.models import CalendarFeed, NotificationSetting, Webhook
from todochat.todos.models import Task

# A feed shows pending tasks and those completed in the last weeks, up to this many.
FEED_MAX_TASKS = 2000
FEED_COMPLETED_DAYS = 30


class WebhookRepository:
    """Queries over one user's webhooks."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def list_webhooks(self) -> list[Webhook]:
        """The user's webhooks, oldest first."""
        statement = select(Webhook).where(Webhook.user_id == self.user_id).order_by(Webhook.id)
        return list((await self.session.scalars(statement)).all())

    async def get_webhook(self, webhook_id: int) -> Webhook | None:
        """The user's webhook with this id, or None."""
        statement = select(Webhook).where(Webhook.id == webhook_id, Webhook.user_id == self.user_id)
        return (await self.session.scalars(statement)).one_or_none()

    async def count_webhooks(self) -> int:
        """How many webhooks the user has."""
        statement = select(func.count()).select_from(Webhook).where(Webhook.user_id == self.user_id)
        return int(await self.session.scalar(statement) or 0)

    async def add_webhook(self, url: str, secret: str) -> Webhook | None:
        """Insert a webhook; None if the user already has one for this URL."""
        statement = (
            pg_insert(Webhook)
            .values(user_id=self.user_id, url=url, secret=secret)
            .on_conflict_do_nothing(index_elements=["user_id", "url"])
            .returning(Webhook)
        )
        return (await self.session.scalars(select(Webhook).from_statement(statement))).one_or_none()

    async def delete_webhook(self, webhook_id: int) -> bool:
        """Delete the user's webhook; False if there was none."""
        statement = (
            delete(Webhook)
            .where(Webhook.id == webhook_id, Webhook.user_id == self.user_id)
            .returning(Webhook.id)
        )
        return (await self.session.scalar(statement)) is not None

    async def active_webhooks(self) -> list[Webhook]:
        """The user's webhooks that are not disabled."""
        statement = (
            select(Webhook)
            .where(Webhook.user_id == self.user_id, Webhook.disabled_at.is_(None))
            .order_by(Webhook.id)
        )
        return list((await self.session.scalars(statement)).all())

    async def enable_webhook(self, webhook_id: int) -> Webhook | None:
        """Clear the webhook's disabled mark and failure count; None if not the user's."""
        statement = (
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.user_id == self.user_id)
            .values(disabled_at=None, failures=0, last_error=None, updated_at=func.now())
            .returning(Webhook)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def record_attempt(
        self, webhook_id: int, error: str | None, disable: bool, now: datetime
    ) -> Webhook | None:
        """Store how an attempt went: a success clears the failure count, a failure adds one."""
        values: dict[str, Any]
        if error is None:
            values = {"failures": 0, "last_error": None, "last_success_at": now}
        else:
            values = {"failures": Webhook.failures + 1, "last_error": error}
            if disable:
                values["disabled_at"] = func.coalesce(Webhook.disabled_at, now)
        statement = (
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.user_id == self.user_id)
            .values(updated_at=func.now(), **values)
            .returning(Webhook)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        return (await self.session.scalars(statement)).one_or_none()


class CalendarFeedRepository:
    """The one calendar feed of a user."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def get_or_create(self, nonce: bytes) -> bytes:
        """The feed's nonce, creating the feed with `nonce` if the user has none."""
        inserted = (
            pg_insert(CalendarFeed)
            .values(user_id=self.user_id, nonce=nonce)
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
        await self.session.execute(inserted)
        current = await self.session.scalar(
            select(CalendarFeed.nonce).where(CalendarFeed.user_id == self.user_id)
        )
        assert current is not None
        return current

    async def get_nonce(self) -> bytes | None:
        """The feed's nonce, or None when the user has no feed."""
        statement = select(CalendarFeed.nonce).where(CalendarFeed.user_id == self.user_id)
        return await self.session.scalar(statement)

    async def delete_feed(self) -> bool:
        """Revoke the feed; False if there was none."""
        statement = (
            delete(CalendarFeed)
            .where(CalendarFeed.user_id == self.user_id)
            .returning(CalendarFeed.user_id)
        )
        return (await self.session.scalar(statement)) is not None

    async def feed_tasks(self) -> list[Task]:
        """The tasks a feed shows: due ones, pending or recently completed, by due time."""
        recent = func.now() - timedelta(days=FEED_COMPLETED_DAYS)
        statement = (
            select(Task)
            .where(
                Task.user_id == self.user_id,
                Task.deleted_at.is_(None),
                Task.due_at.is_not(None),
                or_(Task.completed.is_(False), Task.completed_at >= recent),
            )
            .order_by(Task.due_at, Task.id)
            .limit(FEED_MAX_TASKS)
        )
        return list((await self.session.scalars(statement)).all())


class NotificationSettingRepository:
    """A user's delivery choices."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def email_reminders(self) -> bool:
        """Whether the user wants reminders by email (yes unless they said no)."""
        statement = select(NotificationSetting.email_reminders).where(
            NotificationSetting.user_id == self.user_id
        )
        chosen = await self.session.scalar(statement)
        return True if chosen is None else chosen

    async def set_email_reminders(self, enabled: bool) -> None:
        """Record the user's choice."""
        statement = (
            pg_insert(NotificationSetting)
            .values(user_id=self.user_id, email_reminders=enabled)
            .on_conflict_do_update(
                index_elements=["user_id"],
                set_={"email_reminders": enabled, "updated_at": func.now()},
            )
        )
        await self.session.execute(statement)

    async def email_recipient(self) -> tuple[str, str] | None:
        """The user's address and time zone if they take reminders by email, else None."""
        statement = (
            select(User.email, User.time_zone)
            .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
            .where(
                User.id == self.user_id,
                func.coalesce(NotificationSetting.email_reminders, True),
            )
        )
        row = (await self.session.execute(statement)).one_or_none()
        return None if row is None else (row.email, row.time_zone)
