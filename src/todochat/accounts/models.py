"""Users, and the service-wide settings row that holds the shared signing key."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from todochat.db.base import Base, Timestamped


class User(Timestamped, Base):
    """A person with a todo list."""

    __tablename__ = "app_user"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    # As the person wrote it (email-validator's normalised form), for display.
    email: Mapped[str] = mapped_column(String(320))
    # The identity: canonical_email(email), computed in Python by signup and login alike.
    email_canonical: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(String(100), server_default="")
    password_hash: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    # The number of the user's last task: adding one takes the next (never reused after delete).
    last_task_number: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class AppSetting(Base):
    """A service-wide value shared by every instance (e.g. the generated JWT key)."""

    __tablename__ = "app_setting"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ExternalIdentity(Base):
    """An account created for a user of an external issuer (TODOCHAT_JWT_ISSUER), found again
    by the token's `iss` and `sub` and never by email: an issuer that does not verify
    addresses must not open somebody else's account."""

    __tablename__ = "external_identity"

    issuer: Mapped[str] = mapped_column(Text, primary_key=True)
    subject: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
