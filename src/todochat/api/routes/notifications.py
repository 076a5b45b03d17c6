"""A user's notification settings: reminders by email on or off."""

from __future__ import annotations

from fastapi import APIRouter

from todochat.api.deps import AppSettings, CurrentUser, Session
from todochat.api.errors import error_responses
from todochat.notify.email import NotificationSettingsService
from todochat.notify.schemas import NotificationSettingsRead, NotificationSettingsUpdate

router = APIRouter(
    prefix="/api/{user_id}/notifications",
    tags=["notifications"],
    responses=error_responses(401, 403, 422),
)


@router.get("", response_model=NotificationSettingsRead)
async def get_notification_settings(
    user: CurrentUser, session: Session, settings: AppSettings
) -> NotificationSettingsRead:
    """Whether reminders also go by email, and whether this server sends email at all."""
    enabled = await NotificationSettingsService(session, user.id).get_email_reminders()
    return NotificationSettingsRead(
        email_reminders=enabled, email_available=settings.smtp_url is not None
    )


@router.put("", response_model=NotificationSettingsRead)
async def update_notification_settings(
    data: NotificationSettingsUpdate, user: CurrentUser, session: Session, settings: AppSettings
) -> NotificationSettingsRead:
    """Turn reminder emails on or off."""
    enabled = await NotificationSettingsService(session, user.id).set_email_reminders(
        data.email_reminders
    )
    return NotificationSettingsRead(
        email_reminders=enabled, email_available=settings.smtp_url is not None
    )
