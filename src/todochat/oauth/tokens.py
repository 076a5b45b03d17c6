"""Random handles and their digests; access tokens as JWTs bound to one resource (RFC 8707).

An OAuth access token carries `aud` (the resource it was issued for), `scope`, `client_id` and
`grant` (the grant whose revocation ends it). The API's own tokens carry no `aud`, and PyJWT
refuses a token with an audience when none is expected, so an OAuth token never works on the
REST API: it is for /mcp/ only.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from todochat.accounts.security import ALGORITHM
from todochat.errors import Unauthorized
from todochat.oauth import scopes


def new_secret() -> str:
    """A fresh random value with 256 bits of entropy (codes, handles, tokens, client secrets)."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """The stored form of a random secret."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class BearerClaims:
    """What a verified bearer token says: whose it is, what it may do, and its grant (OAuth)."""

    user_id: uuid.UUID
    scopes: frozenset[str]
    grant_id: uuid.UUID | None = None
    client_id: str | None = None
    expires_at: int | None = None


def create_oauth_access_token(
    *,
    user_id: uuid.UUID,
    grant_id: uuid.UUID,
    client_id: str,
    token_scopes: list[str],
    resource: str,
    issuer: str,
    secret: str,
    seconds: int,
) -> str:
    """An access token for `resource`, valid for `seconds`."""
    now = datetime.now(UTC)
    claims = {
        "iss": issuer,
        "sub": str(user_id),
        "aud": resource,
        "client_id": client_id,
        "scope": " ".join(token_scopes),
        "grant": str(grant_id),
        "iat": now,
        "exp": now + timedelta(seconds=seconds),
        "jti": new_secret(),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_bearer_token(token: str, secret: str, resource: str) -> BearerClaims:
    """The claims of a token for `resource`: an OAuth token issued for it, or the API's own token
    (which may do everything its user may); Unauthorized for anything else."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"], "verify_aud": False},
        )
        if "aud" not in claims:
            return BearerClaims(uuid.UUID(claims["sub"]), frozenset(scopes.ALL))
        # The audience as its own check, so a token for another resource says so.
        jwt.decode(token, secret, algorithms=[ALGORITHM], audience=_equivalents(resource))
        return BearerClaims(
            user_id=uuid.UUID(claims["sub"]),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            grant_id=uuid.UUID(claims["grant"]),
            client_id=str(claims["client_id"]),
            expires_at=int(claims["exp"]),
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthorized("Your session has expired; log in again.") from error
    except jwt.InvalidAudienceError as error:
        raise Unauthorized("This access token was issued for another resource.") from error
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError) as error:
        raise Unauthorized("Invalid access token.") from error


def _equivalents(resource: str) -> list[str]:
    """The resource with and without a trailing slash (the same resource, RFC 8707 §2)."""
    bare = resource.rstrip("/")
    return [bare, f"{bare}/"]
