"""Tokens from an external issuer (OIDC, Better Auth's JWT plugin, Auth0, Clerk, Neon Auth).

The issuer's keys come from its JWKS URL through PyJWT's PyJWKClient, which keeps them and
fetches the set again when a token names a key it does not have: the issuer can rotate keys
without todochat being told. The user is created on first sight, keyed by (`iss`, `sub`).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import jwt
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.accounts.models import ExternalIdentity, User
from todochat.accounts.service import canonical_email
from todochat.config import Settings
from todochat.db.uow import unit_of_work
from todochat.errors import IssuerUnavailable, Unauthorized

# Never a valid argon2 hash: an account made for an external user has no password.
NO_PASSWORD = "!external"


class ExternalIssuer:
    """Verifies the issuer's tokens and maps them to todochat accounts."""

    def __init__(self, settings: Settings) -> None:
        if settings.jwt_issuer is None:
            raise ValueError("jwt_issuer is not set")
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.algorithms = list(settings.jwt_algorithms)
        jwks_url = settings.jwt_jwks_url or f"{self.issuer.rstrip('/')}/.well-known/jwks.json"
        # The key set is kept 5 minutes (cache_jwk_set); no per-key cache (cache_keys), which
        # would keep honouring a key the issuer has retired for as long as the process lives.
        self.keys = jwt.PyJWKClient(
            jwks_url,
            cache_keys=False,
            cache_jwk_set=True,
            lifespan=300,
            timeout=5,
            cooldown_duration=settings.jwt_keys_refresh_seconds,
        )

    def issued(self, token: str) -> bool:
        """Whether the token claims to come from this issuer (not yet verified)."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            return False
        return claims.get("iss") == self.issuer

    async def user_id(
        self, token: str, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> uuid.UUID:
        """The account of the token's user, created on first sight; Unauthorized if the token
        does not verify, IssuerUnavailable if the keys cannot be fetched."""
        claims = await asyncio.to_thread(self._verified_claims, token)
        async with unit_of_work(sessionmaker) as session:
            return await _account_for(session, self.issuer, claims)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            return jwt.decode(
                token,
                key.key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                audience=self.audience,
                options={
                    "require": ["exp", "iss", "sub"],
                    "verify_aud": self.audience is not None,
                },
            )
        except jwt.PyJWKClientConnectionError as error:
            raise IssuerUnavailable(
                "Could not fetch the sign-in provider's keys; try again shortly."
            ) from error
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("Your session has expired; log in again.") from error
        except (jwt.PyJWKClientError, jwt.InvalidTokenError) as error:
            raise Unauthorized("Invalid access token.") from error


async def _account_for(session: AsyncSession, issuer: str, claims: dict[str, Any]) -> uuid.UUID:
    subject = str(claims["sub"])
    # One first sight at a time per subject: two requests racing must not make two accounts.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"external-identity:{issuer}\n{subject}"},
    )
    known = await session.scalar(
        select(ExternalIdentity.user_id).where(
            ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
        )
    )
    if known is not None:
        return known
    email = str(claims.get("email") or "")[:320]
    name = str(claims.get("name") or "")[:100]
    user_id: uuid.UUID | None = await session.scalar(
        insert(User)
        .values(
            email=email or f"{uuid.uuid4()}@external.invalid",
            email_canonical=canonical_email(email) if email else f"external:{uuid.uuid4()}",
            name=name,
            password_hash=NO_PASSWORD,
        )
        .on_conflict_do_nothing()
        .returning(User.id)
    )
    if user_id is None:
        # The address belongs to a local account: never merged, kept apart under a stand-in.
        stand_in = f"external:{uuid.uuid4()}"
        user_id = await session.scalar(
            insert(User)
            .values(
                email=email,
                email_canonical=stand_in,
                name=name,
                password_hash=NO_PASSWORD,
            )
            .returning(User.id)
        )
    assert user_id is not None
    await session.execute(
        insert(ExternalIdentity).values(issuer=issuer, subject=subject, user_id=user_id)
    )
    return user_id
