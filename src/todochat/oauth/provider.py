"""The `mcp` SDK's authorization-server provider, backed by PostgreSQL.

The SDK's handlers (mcp.server.auth.handlers) parse and check the protocol: PKCE S256, exact
redirect URI match, code expiry, client authentication. This provider stores and decides:
clients, authorizations awaiting consent, single-use codes, grants, rotating refresh tokens.
It is built per request, for the issuer that request reached, so any instance serves any step.
"""

from __future__ import annotations

import hmac
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from todochat.db.uow import unit_of_work
from todochat.errors import Unauthorized
from todochat.oauth import scopes
from todochat.oauth.models import (
    OAuthAuthorization,
    OAuthClient,
    OAuthGrant,
    OAuthRefreshToken,
)
from todochat.oauth.tokens import (
    create_oauth_access_token,
    digest,
    new_secret,
    read_bearer_token,
)

# RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
# Schemes that must never receive a code: they run in the browser or read local files.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
CONSENT_SECONDS = 600  # to sign in and decide
CODE_SECONDS = 60  # RFC 9700 §4.5: short-lived


class StoredCode(AuthorizationCode):
    """A code, and the authorization row it belongs to."""

    handle_hash: str


class StoredRefreshToken(RefreshToken):
    """A refresh token, and the grant (token family) it belongs to."""

    token_hash: str
    grant_id: uuid.UUID


class GrantAccessToken(AccessToken):
    """A verified access token, and the grant whose revocation ends it."""

    grant_id: uuid.UUID


def same_resource(first: str, second: str) -> bool:
    """Whether two resource indicators name the same resource (a trailing slash aside)."""
    return first.rstrip("/") == second.rstrip("/")


def check_redirect_uri(uri: str) -> None:
    """RegistrationError unless a code may be sent to `uri`: https, http to this machine's
    loopback (native apps, RFC 8252 §7.3), or an app's own scheme (§7.1); never a fragment."""
    parsed = AnyUrl(uri)
    if parsed.fragment is not None:
        raise RegistrationError("invalid_redirect_uri", f"{uri}: a redirect URI has no fragment.")
    scheme = parsed.scheme.lower()
    if scheme in _FORBIDDEN_SCHEMES:
        raise RegistrationError("invalid_redirect_uri", f"{uri}: scheme {scheme!r} is not allowed.")
    if scheme == "http" and (parsed.host or "") not in LOOPBACK_HOSTS:
        raise RegistrationError(
            "invalid_redirect_uri", f"{uri}: use https (plain http only to localhost)."
        )


class PostgresOAuthProvider:
    """OAuthAuthorizationServerProvider on PostgreSQL, for the issuer `issuer`."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        secret_key: str,
        issuer: str,
        *,
        access_token_seconds: int,
        refresh_token_days: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.secret_key = secret_key
        self.issuer = issuer
        self.resource = f"{issuer}/mcp"
        self.access_token_seconds = access_token_seconds
        self.refresh_token_days = refresh_token_days
        self.now = now

    # ---- clients ------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """The registered client; its `client_secret` is the stored digest (see
        HashedSecretAuthenticator), never the secret."""
        async with unit_of_work(self.sessionmaker) as session:
            client = await session.get(OAuthClient, client_id)
        if client is None:
            return None
        return OAuthClientInformationFull.model_validate(
            {**client.info, "client_id": client.client_id, "client_secret": client.secret_hash}
        )

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        """Store a newly registered client, once its redirect URIs and name are acceptable."""
        if not client_info.redirect_uris:
            raise RegistrationError("invalid_redirect_uri", "redirect_uris is required.")
        for uri in client_info.redirect_uris:
            check_redirect_uri(str(uri))
        if client_info.client_name is not None and not 0 < len(client_info.client_name) <= 100:
            raise RegistrationError(
                "invalid_client_metadata", "client_name must be 1 to 100 characters."
            )
        info = client_info.model_dump(
            mode="json", exclude={"client_id", "client_secret"}, exclude_none=True
        )
        secret = client_info.client_secret
        async with unit_of_work(self.sessionmaker) as session:
            session.add(
                OAuthClient(
                    client_id=client_info.client_id,
                    secret_hash=digest(secret) if secret else None,
                    info=info,
                )
            )

    # ---- authorization ------------------------------------------------------------------

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        """Keep the request until the user decides; the consent page's address."""
        if not params.state:
            raise AuthorizeError("invalid_request", "state is required.")
        if not _S256_CHALLENGE.fullmatch(params.code_challenge):
            raise AuthorizeError("invalid_request", "code_challenge must be an S256 challenge.")
        resource = params.resource or self.resource
        if not same_resource(resource, self.resource):
            raise AuthorizeError("invalid_target", f"Unknown resource {resource!r}.")
        requested = params.scopes or (client.scope.split() if client.scope else list(scopes.ALL))
        unknown = sorted(set(requested) - set(scopes.ALL))
        if unknown:
            raise AuthorizeError("invalid_scope", f"Unknown scope {unknown[0]!r}.")
        handle = new_secret()
        now = self.now()
        async with unit_of_work(self.sessionmaker) as session:
            # Requests nobody finished, and codes too old to matter for reuse detection.
            await session.execute(
                delete(OAuthAuthorization).where(
                    OAuthAuthorization.expires_at < now - timedelta(days=1)
                )
            )
            session.add(
                OAuthAuthorization(
                    handle_hash=digest(handle),
                    client_id=client.client_id,
                    scopes=[scope for scope in scopes.ALL if scope in requested],
                    resource=self.resource,
                    redirect_uri=str(params.redirect_uri),
                    redirect_uri_explicit=params.redirect_uri_provided_explicitly,
                    code_challenge=params.code_challenge,
                    state=params.state,
                    expires_at=now + timedelta(seconds=CONSENT_SECONDS),
                )
            )
        return f"{self.issuer}/consent.html?request={handle}"

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> StoredCode | None:
        """The code's authorization; None if unknown. A code used before revokes what its first
        use granted (RFC 6749 §4.1.2: someone else has the code)."""
        async with unit_of_work(self.sessionmaker) as session:
            row = (
                await session.scalars(
                    select(OAuthAuthorization).where(
                        OAuthAuthorization.code_hash == digest(authorization_code),
                        OAuthAuthorization.client_id == client.client_id,
                    )
                )
            ).one_or_none()
            if row is None or row.user_id is None:
                return None
            if row.used_at is not None:
                if row.grant_id is not None:
                    await _revoke_grant(session, row.grant_id)
                return None
        return StoredCode(
            code=authorization_code,
            scopes=row.scopes,
            expires_at=row.expires_at.timestamp(),
            client_id=row.client_id,
            code_challenge=row.code_challenge,
            redirect_uri=AnyUrl(row.redirect_uri),
            redirect_uri_provided_explicitly=row.redirect_uri_explicit,
            resource=row.resource,
            subject=str(row.user_id),
            handle_hash=row.handle_hash,
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: StoredCode
    ) -> OAuthToken:
        """Spend the code (once, even when two requests race) and start a grant."""
        async with unit_of_work(self.sessionmaker) as session:
            spent = (
                await session.execute(
                    update(OAuthAuthorization)
                    .where(
                        OAuthAuthorization.handle_hash == authorization_code.handle_hash,
                        OAuthAuthorization.used_at.is_(None),
                    )
                    .values(used_at=self.now())
                    .returning(OAuthAuthorization.user_id)
                )
            ).one_or_none()
            if spent is None or spent.user_id is None:
                raced = True
            else:
                raced = False
                grant = OAuthGrant(
                    user_id=spent.user_id,
                    client_id=client.client_id,
                    scopes=authorization_code.scopes,
                    resource=authorization_code.resource or self.resource,
                )
                session.add(grant)
                await session.flush()
                await session.execute(
                    update(OAuthAuthorization)
                    .where(OAuthAuthorization.handle_hash == authorization_code.handle_hash)
                    .values(grant_id=grant.id)
                )
                tokens = await self._issue(session, grant, authorization_code.scopes)
        if raced:
            # The other request spent it: whoever holds the code twice is not to be trusted.
            await self.load_authorization_code(client, authorization_code.code)
            raise TokenError("invalid_grant", "authorization code was already used")
        return tokens

    # ---- refresh tokens -----------------------------------------------------------------

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> StoredRefreshToken | None:
        """The refresh token if it is current; a rotated one presented again revokes its whole
        family (RFC 9700 §4.14.2) and is refused."""
        token_hash = digest(refresh_token)
        async with unit_of_work(self.sessionmaker) as session:
            found = (
                await session.execute(
                    select(OAuthRefreshToken, OAuthGrant)
                    .join(OAuthGrant, OAuthGrant.id == OAuthRefreshToken.grant_id)
                    .where(OAuthRefreshToken.token_hash == token_hash)
                )
            ).one_or_none()
            if found is None:
                return None
            token, grant = found.tuple()
            if grant.client_id != client.client_id or grant.revoked_at is not None:
                return None
            if token.used_at is not None:
                await _revoke_grant(session, grant.id)
                return None
        return StoredRefreshToken(
            token=refresh_token,
            client_id=grant.client_id,
            scopes=grant.scopes,
            expires_at=int(token.expires_at.timestamp()),
            resource=grant.resource,
            subject=str(grant.user_id),
            token_hash=token_hash,
            grant_id=grant.id,
        )

    async def exchange_refresh_token(
        self,
        client: OAuthClientInformationFull,
        refresh_token: StoredRefreshToken,
        scopes: list[str],
    ) -> OAuthToken:
        """Rotate: the token is spent, a new one and a new access token are issued."""
        now = self.now()
        async with unit_of_work(self.sessionmaker) as session:
            spent = (
                await session.execute(
                    update(OAuthRefreshToken)
                    .where(
                        OAuthRefreshToken.token_hash == refresh_token.token_hash,
                        OAuthRefreshToken.used_at.is_(None),
                    )
                    .values(used_at=now)
                    .returning(OAuthRefreshToken.grant_id)
                )
            ).one_or_none()
            grant = (
                await session.scalars(
                    update(OAuthGrant)
                    .where(OAuthGrant.id == refresh_token.grant_id, OAuthGrant.revoked_at.is_(None))
                    .values(last_used_at=now)
                    .returning(OAuthGrant)
                )
            ).one_or_none()
            tokens = None
            if spent is None:
                await _revoke_grant(session, refresh_token.grant_id)
            elif grant is not None:
                tokens = await self._issue(session, grant, scopes)
        if tokens is None:
            raise TokenError("invalid_grant", "refresh token is no longer valid")
        return tokens

    async def _issue(
        self, session: AsyncSession, grant: OAuthGrant, token_scopes: list[str]
    ) -> OAuthToken:
        """A new access token and refresh token under `grant`."""
        refresh = new_secret()
        session.add(
            OAuthRefreshToken(
                token_hash=digest(refresh),
                grant_id=grant.id,
                user_id=grant.user_id,
                expires_at=self.now() + timedelta(days=self.refresh_token_days),
            )
        )
        access = create_oauth_access_token(
            user_id=grant.user_id,
            grant_id=grant.id,
            client_id=grant.client_id,
            token_scopes=token_scopes,
            resource=grant.resource,
            issuer=self.issuer,
            secret=self.secret_key,
            seconds=self.access_token_seconds,
        )
        return OAuthToken(
            access_token=access,
            expires_in=self.access_token_seconds,
            scope=" ".join(token_scopes),
            refresh_token=refresh,
        )

    # ---- access tokens and revocation ---------------------------------------------------

    async def load_access_token(self, token: str) -> GrantAccessToken | None:
        """An OAuth access token for this resource whose grant stands; None otherwise (the
        API's own tokens are not OAuth tokens and cannot be revoked here)."""
        try:
            claims = read_bearer_token(token, self.secret_key, self.resource)
        except Unauthorized:
            return None
        if claims.grant_id is None or claims.client_id is None:
            return None
        async with unit_of_work(self.sessionmaker) as session:
            grant = await session.get(OAuthGrant, claims.grant_id)
        if grant is None or grant.revoked_at is not None:
            return None
        return GrantAccessToken(
            token=token,
            client_id=claims.client_id,
            scopes=sorted(claims.scopes),
            expires_at=claims.expires_at,
            resource=grant.resource,
            subject=str(claims.user_id),
            grant_id=grant.id,
        )

    async def revoke_token(self, token: GrantAccessToken | StoredRefreshToken) -> None:
        """Revoke the token's whole grant: its access and refresh tokens alike."""
        async with unit_of_work(self.sessionmaker) as session:
            await _revoke_grant(session, token.grant_id)


async def _revoke_grant(session: AsyncSession, grant_id: uuid.UUID) -> None:
    await session.execute(
        update(OAuthGrant)
        .where(OAuthGrant.id == grant_id, OAuthGrant.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


class PresentedSecretClients:
    """The provider's clients as ClientAuthenticator should see them for one request: the
    stored digest is replaced by the presented secret if it matches, by a value nothing
    matches otherwise (so not even the digest itself passes)."""

    def __init__(self, provider: PostgresOAuthProvider, presented: str | None) -> None:
        self.provider = provider
        self.presented = presented

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """The client, with the secret the authenticator compares against."""
        client = await self.provider.get_client(client_id)
        if client is None or client.client_secret is None:
            return client
        matches = self.presented is not None and hmac.compare_digest(
            digest(self.presented), client.client_secret
        )
        return client.model_copy(
            update={"client_secret": self.presented if matches else new_secret()}
        )


def as_sdk_provider(provider: object) -> Any:
    """The SDK types its handlers' provider with a Protocol whose generics cannot name our
    subclasses; the handlers only call the methods above."""
    return cast(Any, provider)
