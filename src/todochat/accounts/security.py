"""Password hashing (argon2) and access tokens (JWT, HS256 pinned)."""

from __future__ import annotations

import asyncio
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from todochat.errors import Unauthorized

ALGORITHM = "HS256"
_hasher = PasswordHasher()


# argon2 takes ~50 ms of CPU (and 64 MiB) per call and releases the GIL. Run on the event loop
# it would stop every request; on the default executor a login flood would have several threads
# hashing at once and starve the loop of CPU. One core is left to the loop.
_hashing = ThreadPoolExecutor(
    max_workers=max(1, len(os.sched_getaffinity(0)) - 1), thread_name_prefix="argon2"
)


async def hash_password_off_loop(password: str) -> str:
    """hash_password on the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, hash_password, password)


async def verify_password_off_loop(password_hash: str, password: str) -> bool:
    """verify_password on the hashing threads."""
    return await asyncio.get_running_loop().run_in_executor(
        _hashing, verify_password, password_hash, password
    )


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A valid hash to verify against when the email is unknown, so timing does not reveal accounts.
DUMMY_HASH = hash_password("todochat-dummy-password")


def create_access_token(user_id: uuid.UUID, secret: str, minutes: int) -> str:
    """A signed token naming the user, valid for `minutes`."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": now, "exp": now + timedelta(minutes=minutes)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(token: str, secret: str) -> uuid.UUID:
    """The user id in a valid token; Unauthorized for anything else."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "sub"]}
        )
        return uuid.UUID(claims["sub"])
    except jwt.ExpiredSignatureError as error:
        raise Unauthorized("Your session has expired; log in again.") from error
    except (jwt.InvalidTokenError, ValueError, TypeError) as error:
        raise Unauthorized("Invalid access token.") from error
