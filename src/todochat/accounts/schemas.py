"""Account request and response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like 'Europe/Paris')"
        ) from error
    return name


TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_time_zone)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]


class UserCreate(BaseModel):
    """Signup body."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    time_zone: TimeZone = "UTC"


class Credentials(BaseModel):
    """Login body."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Annotated[str, StringConstraints(max_length=256)]


class UserUpdate(BaseModel):
    """PATCH /api/auth/me body: the fields to change (absent ones stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    time_zone: TimeZone | None = None


class PasswordChange(BaseModel):
    """POST /api/auth/password body."""

    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(max_length=256)]
    new_password: Password


class AccountDeletion(BaseModel):
    """DELETE /api/auth/me body: the password confirms it."""

    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, StringConstraints(max_length=256)]


class UserRead(BaseModel):
    """A user as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    time_zone: str
    created_at: datetime


class TokenRead(BaseModel):
    """The answer to signup and login."""

    user: UserRead
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
