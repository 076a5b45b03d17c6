"""All ORM models imported in one place, so Alembic sees the whole schema."""

from todochat.accounts.models import AppSetting, ExternalIdentity, User
from todochat.chat.models import Conversation, Message
from todochat.db.base import Base
from todochat.idempotency import IdempotencyRecord
from todochat.mcp.ledger import ToolCallRecord
from todochat.notify.models import CalendarFeed, NotificationSetting, Webhook
from todochat.oauth.models import OAuthAuthorization, OAuthClient, OAuthGrant, OAuthRefreshToken
from todochat.ratelimit import RateWindow
from todochat.todos.models import Reminder, Task, TaskCompletion

metadata = Base.metadata

__all__ = [
    "AppSetting",
    "CalendarFeed",
    "Conversation",
    "ExternalIdentity",
    "IdempotencyRecord",
    "Message",
    "NotificationSetting",
    "OAuthAuthorization",
    "OAuthClient",
    "OAuthGrant",
    "OAuthRefreshToken",
    "RateWindow",
    "Reminder",
    "Task",
    "TaskCompletion",
    "ToolCallRecord",
    "User",
    "Webhook",
    "metadata",
]
