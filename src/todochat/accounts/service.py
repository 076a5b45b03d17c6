"""Signup, login, and the shared signing key."""

from __future__ import annotations

import secrets
import unicodedata
import uuid

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.accounts.models import AppSetting, User
from todochat.accounts.schemas import AccountDeletion, PasswordChange, UserCreate, UserUpdate
from todochat.accounts.security import (
    DUMMY_HASH,
    hash_password_off_loop,
    verify_password_off_loop,
)
from todochat.config import Settings
from todochat.db.uow import single_statements
from todochat.errors import EmailTaken, InvalidInput, Unauthorized
from todochat.ratelimit import Limit, count_attempt, uncount_attempt

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


async def create_user(
    sessionmaker: async_sessionmaker[AsyncSession],
    data: UserCreate,
    address: str,
    settings: Settings,
) -> User:
    """Create an account; RateLimited past `signups_per_address` signups from one address in a
    window, EmailTaken if the email (in its canonical form) is in use."""
    async with single_statements(sessionmaker) as session:
        await count_attempt(
            session,
            [
                Limit(
                    f"signup-from:{address}",
                    settings.signups_per_address,
                    "Too many signups from your address.",
                )
            ],
            settings.auth_window_seconds,
        )
    # Hashed before a connection is taken: waiting for the hashing thread holds none.
    password_hash = await hash_password_off_loop(data.password)
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
    async with single_statements(sessionmaker) as session:
        user = (await session.scalars(statement)).one_or_none()
    if user is None:
        raise EmailTaken()
    return user


async def authenticate(
    sessionmaker: async_sessionmaker[AsyncSession],
    email: str,
    password: str,
    address: str,
    settings: Settings,
) -> User:
    """The user with these credentials; Unauthorized otherwise (same answer for both failures).

    RateLimited past `login_attempts_per_address` attempts from one address, or
    `login_attempts_per_account` failed ones for one email (known or not: the answer must not
    reveal which accounts exist), in a window. Refused attempts verify no password.
    """
    canonical = canonical_email(email)
    account = f"login:{canonical}"
    async with single_statements(sessionmaker) as session:
        await count_attempt(
            session,
            [
                Limit(
                    f"login-from:{address}",
                    settings.login_attempts_per_address,
                    "Too many login attempts from your address.",
                ),
                Limit(
                    account,
                    settings.login_attempts_per_account,
                    "Too many failed logins for this account.",
                ),
            ],
            settings.auth_window_seconds,
        )
        user = await _user_with_canonical_email(session, canonical)
    # Verified with no connection held: a login flood waits for the hashing thread, not the pool.
    ok = await verify_password_off_loop(user.password_hash if user else DUMMY_HASH, password)
    if user is None or not ok:
        raise Unauthorized("Wrong email or password.")
    async with single_statements(sessionmaker) as session:
        # The account's budget counts failures only: logging in often is not abuse.
        await uncount_attempt(session, account, settings.auth_window_seconds)
    return user


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this email, compared in canonical form."""
    return await _user_with_canonical_email(session, canonical_email(email))


async def _user_with_canonical_email(session: AsyncSession, canonical: str) -> User | None:
    statement = select(User).where(User.email_canonical == canonical)
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
    if not await verify_password_off_loop(user.password_hash, data.current_password):
        raise InvalidInput("current_password: The current password is wrong.")
    user.password_hash = await hash_password_off_loop(data.new_password)
    await session.flush()


async def delete_user(session: AsyncSession, user: User, data: AccountDeletion) -> None:
    """Delete the account and everything it holds (every table's rows go with it, by foreign
    key); InvalidInput if the password is wrong. Its tokens are refused from then on."""
    if not await verify_password_off_loop(user.password_hash, data.password):
        raise InvalidInput("password: The password is wrong.")
    await session.delete(user)
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
