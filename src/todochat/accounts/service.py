"""Signup, login, and the shared signing key."""

from __future__ import annotations

import asyncio
import secrets
import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.accounts.models import AppSetting, User
from todochat.accounts.schemas import PasswordChange, UserCreate, UserUpdate
from todochat.accounts.security import DUMMY_HASH, hash_password, verify_password
from todochat.errors import EmailTaken, InvalidInput, Unauthorized

SECRET_KEY_SETTING = "jwt_secret_key"


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    """Create an account; EmailTaken if the email (any case) is in use."""
    password_hash = await asyncio.to_thread(hash_password, data.password)
    statement = (
        insert(User)
        .values(
            email=str(data.email),
            name=data.name,
            time_zone=data.time_zone,
            password_hash=password_hash,
        )
        .on_conflict_do_nothing()
        .returning(User)
    )
    user = (await session.scalars(statement)).one_or_none()
    if user is None:
        raise EmailTaken()
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The user with these credentials; Unauthorized otherwise (same answer for both failures)."""
    user = await find_user_by_email(session, email)
    ok = await asyncio.to_thread(
        verify_password, user.password_hash if user else DUMMY_HASH, password
    )
    if user is None or not ok:
        raise Unauthorized("Wrong email or password.")
    return user


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    statement = select(User).where(func.lower(User.email) == email.lower())
    return (await session.scalars(statement)).one_or_none()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user with this id, if any."""
    return await session.get(User, user_id)


async def update_user(session: AsyncSession, user: User, data: UserUpdate) -> User:
    """Change the given fields of an account (name, time zone)."""
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(user, field, value)
    await session.flush()
    return user


async def change_password(session: AsyncSession, user: User, data: PasswordChange) -> None:
    """Set a new password once the current one is proven; InvalidInput if it is wrong."""
    if not await asyncio.to_thread(verify_password, user.password_hash, data.current_password):
        raise InvalidInput("current_password: The current password is wrong.")
    user.password_hash = await asyncio.to_thread(hash_password, data.new_password)
    await session.flush()


async def shared_secret_key(session: AsyncSession) -> str:
    """The signing key every instance shares: generated once, stored in the database."""
    candidate = secrets.token_urlsafe(48)
    await session.execute(
        insert(AppSetting)
        .values(name=SECRET_KEY_SETTING, value=candidate)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return (
        await session.scalars(select(AppSetting.value).where(AppSetting.name == SECRET_KEY_SETTING))
    ).one()
