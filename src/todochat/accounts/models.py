"""Users, and the service-wide settings row that holds the shared signing key."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, String, Text, func, text
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
