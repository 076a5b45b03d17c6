"""Request and response shapes of the delivery channels."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class WebhookCreate(BaseModel):
    """A URL to register."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl


class WebhookRead(BaseModel):
    """A registered webhook and how its deliveries go; the secret is shown only once."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    created_at: datetime
    failures: int
    last_error: str | None
    last_success_at: datetime | None
    disabled_at: datetime | None


class WebhookCreated(WebhookRead):
    """A new webhook with its signing secret (`whsec_…`, Standard Webhooks)."""

    secret: str


class WebhookSecret(BaseModel):
    """The signing secret of a webhook."""

    secret: str


class WebhookPage(BaseModel):
    """The user's webhooks."""

    items: list[WebhookRead]
    total: int


class CalendarFeedRead(BaseModel):
    """The secret address of the user's iCalendar feed."""

    url: str


class NotificationSettingsRead(BaseModel):
    """Where reminders go besides the app."""

    email_reminders: bool
    email_available: bool


class NotificationSettingsUpdate(BaseModel):
    """Turn reminder emails on or off."""

    model_config = ConfigDict(extra="forbid")

    email_reminders: bool
