"""Where reminders go besides the app: webhook endpoints and the calendar feed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from todochat.db.base import Base, Timestamped


class Webhook(Timestamped, Base):
    """A URL of the user's that receives a signed POST for every reminder."""

    __tablename__ = "webhook"
    __table_args__ = (Index("uq_webhook_user_id_url", "user_id", "url", unique=True),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    # Kept as given to the user: signing needs the secret itself, not a hash of it.
    secret: Mapped[str] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CalendarFeed(Base):
    """A user's secret iCalendar feed.

    The URL's token is never stored: it is an HMAC of this random nonce under the service's
    signing key, so the same URL can be shown again, and a new nonce (after a revocation) makes
    a new URL.
    """

    __tablename__ = "calendar_feed"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationSetting(Base):
    """A user's choices about delivery channels; no row means the defaults."""

    __tablename__ = "notification_setting"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    email_reminders: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
