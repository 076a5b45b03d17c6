"""Password hashing (argon2) and access tokens (JWT, HS256 pinned)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from todochat.errors import Unauthorized

ALGORITHM = "HS256"
_hasher = PasswordHasher()


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
