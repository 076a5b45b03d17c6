"""Signup, login, and the shared signing key."""

from __future__ import annotations

import asyncio
import secrets
import unicodedata
import uuid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from todochat.accounts.models import AppSetting, User
from todochat.accounts.schemas import UserCreate
from todochat.accounts.security import DUMMY_HASH, hash_password, verify_password
from todochat.errors import EmailTaken, Unauthorized

SECRET_KEY_SETTING = "jwt_secret_key"


def canonical_email(email: str) -> str:
    """The one form an address is compared in: email-validator's normalised form, then NFKC and
    Unicode case folding.

    Folding the whole address makes 'Ivan@' and 'ivan@', 'İvan@' and 'i̇van@' (i + U+0307), a
    full-width 'ivan@' and 'ivan@' one identity: a look-alike of an address cannot become a
    second account. The database never lower-cases: its case rules depend on its collation.
    """
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        pass  # not an address anyone can sign up with: it simply matches no account
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", email).casefold())


async def create_user(session: AsyncSession, data: UserCreate) -> User:
    """Create an account; EmailTaken if the email (in its canonical form) is in use."""
    password_hash = await asyncio.to_thread(hash_password, data.password)
    statement = (
        insert(User)
        .values(
            email=str(data.email),
            email_canonical=canonical_email(str(data.email)),
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
    """The user with this email, compared in canonical form."""
    statement = select(User).where(User.email_canonical == canonical_email(email))
    return (await session.scalars(statement)).one_or_none()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The user with this id, if any."""
    return await session.get(User, user_id)


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
